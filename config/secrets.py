"""Secrets come only from environment variables, never from config files.

Each name is documented in docs/settings.md. Values are wrapped in ``SecretStr``
so a repr, a log line or a traceback shows ``**********`` instead of the value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import SecretStr

# Every secret mentiondesk reads, with what it is for: the web inbox's here, and each
# platform's (listed in its folder, listener/<platform>/__init__.py) registered from above
# when the platform is described (listener.base.Platform), so config imports no network.
SECRETS: dict[str, str] = {
    "MENTIONDESK_SESSION_SECRET": "key signing web inbox session cookies",
    "MENTIONDESK_METRICS_TOKEN": "bearer token /metrics asks for (unset: /metrics is open)",
    "MENTIONDESK_SPIKE_WEBHOOK_URL": "Slack-compatible incoming webhook for spike alerts",
    "MENTIONDESK_DIGEST_WEBHOOK_URL": "Slack-compatible incoming webhook for daily digests",
    "MENTIONDESK_AI_API_KEY": "key for the AI drafts model ([responder.ai]), sent as a "
                              "Bearer header; unset: no Authorization header (Ollama)",
}


def register(secrets: Mapping[str, str]) -> None:
    """Document ``secrets`` (env variable -> what it is for) as secrets mentiondesk reads."""
    SECRETS.update(secrets)


def secret(name: str) -> SecretStr | None:
    """The secret's value, or None when unset or empty."""
    if name not in SECRETS:
        raise KeyError(f"undocumented secret {name}")
    value = os.environ.get(name, "")
    return SecretStr(value) if value else None
