"""One exception tree for mentiondesk.

Vendor exceptions (tweepy, prawcore, sqlite3, transformers) are caught only in the
adapter that talks to that system and re-raised as one of these, so the daemon's
jobs decide what to do from our types alone.
"""

from __future__ import annotations

from datetime import datetime


class MentiondeskError(Exception):
    """Base of every error mentiondesk raises on purpose."""


class ConfigError(MentiondeskError):
    """A setting is missing, mistyped or contradicts another one."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        """``key`` "-": the problem is the whole file's (missing, not TOML): no key shown."""
        self.file, self.key, self.problem = file, key, problem
        super().__init__(f"{file}: {problem}" if key == "-" else f"{file}: {key}: {problem}")


class SourceError(MentiondeskError):
    """A mention source could not be read; the other sources go on."""


class RateLimited(SourceError):
    """The platform refused for now; do not call again before ``reset_at``."""

    def __init__(self, message: str, reset_at: datetime) -> None:
        self.reset_at = reset_at
        super().__init__(message)


class AuthError(SourceError):
    """Credentials are missing, wrong or lack a permission: pause the source."""


class SourceUnavailable(SourceError):
    """5xx answers or time-outs after the adapter's own bounded retries."""


class MalformedResponse(SourceError):
    """The platform answered with a body we cannot read; the cursor stays put."""


class PublishError(MentiondeskError):
    """A reply could not be posted; the draft may be retried."""


class PublishRefused(PublishError):
    """The platform refused this reply for good (policy, duplicate, too long).

    ``manual_url`` lets the agent post the approved text by hand where possible.
    """

    def __init__(self, message: str, manual_url: str | None = None) -> None:
        self.manual_url = manual_url
        super().__init__(message)


class PublishRateLimited(PublishError):
    """The platform's posting limit (429): no post of this source before ``reset_at``."""

    def __init__(self, message: str, reset_at: datetime) -> None:
        self.reset_at = reset_at
        super().__init__(message)


class PostGone(PublishRefused):
    """The post answered no longer exists on the platform (deleted by its author or
    removed): the reply cannot be posted, and the platform's terms want the stored copy
    redacted."""


class StoreError(MentiondeskError):
    """The database refused an operation (locked too long, disk full, bad state)."""


class ConflictError(StoreError):
    """A state change lost a race: the row changed since the caller last read it."""


class ActionRefused(MentiondeskError):
    """An agent's action was not done; the message is one sentence saying why."""


class ModelError(MentiondeskError):
    """The sentiment model could not be loaded or run."""


class DeliveryError(MentiondeskError):
    """A webhook did not take an alert or digest; the next run tries again."""
