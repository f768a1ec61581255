"""Secrets come only from environment variables, never from config files.

Each name is documented in docs/settings.md. Values are wrapped in ``SecretStr``
so a repr, a log line or a traceback shows ``**********`` instead of the value.
"""

from __future__ import annotations

import os

from pydantic import SecretStr

# Every secret mentiondesk reads, with what it is for.
SECRETS: dict[str, str] = {
    "MENTIONDESK_X_BEARER_TOKEN": "X app-only bearer token, for search (read)",
    "MENTIONDESK_X_CONSUMER_KEY": "X OAuth 1.0a consumer key, for posting replies",
    "MENTIONDESK_X_CONSUMER_SECRET": "X OAuth 1.0a consumer secret",
    "MENTIONDESK_X_ACCESS_TOKEN": "X OAuth 1.0a access token of the brand account",
    "MENTIONDESK_X_ACCESS_TOKEN_SECRET": "X OAuth 1.0a access token secret",
    "MENTIONDESK_REDDIT_CLIENT_ID": "Reddit script app client id",
    "MENTIONDESK_REDDIT_CLIENT_SECRET": "Reddit script app client secret",
    "MENTIONDESK_REDDIT_USERNAME": "Reddit brand account username",
    "MENTIONDESK_REDDIT_PASSWORD": "Reddit brand account password",
    "MENTIONDESK_SESSION_SECRET": "key signing web inbox session cookies",
    "MENTIONDESK_METRICS_TOKEN": "bearer token /metrics asks for (unset: /metrics is open)",
}


def secret(name: str) -> SecretStr | None:
    """The secret's value, or None when unset or empty."""
    if name not in SECRETS:
        raise KeyError(f"undocumented secret {name}")
    value = os.environ.get(name, "")
    return SecretStr(value) if value else None
