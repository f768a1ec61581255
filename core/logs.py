"""Log set-up: text for people, one JSON object per line for log collectors; secrets
redacted either way.

Every secret the process was given (the ``MENTIONDESK_*`` variables that config/secrets.py
reads) is replaced by ``[redacted]`` wherever it would appear in a message or a
traceback, and so are bearer tokens and OAuth signatures a vendor error might echo.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

REDACTED = "[redacted]"
# Credentials a vendor library may print in an error: headers, OAuth parameters.
_PATTERNS = re.compile(
    r"(?i)(bearer\s+|oauth_(?:signature|token|consumer_key)=(?:\\?\")?|"
    r"(?:access_token|client_secret|password)[\"']?\s*[:=]\s*[\"']?)([^\s\"'&,]+)")
NOISY = ("apscheduler", "urllib3", "prawcore", "httpx")


class Redactor(logging.Filter):
    """Rewrites each record's message with secrets replaced (runs before any handler)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Long secrets first, so one that contains another is replaced whole.
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for value in self.secrets:
            text = text.replace(value, REDACTED)
        return _PATTERNS.sub(lambda m: m.group(1) + REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = self.redact(record.getMessage())
        if record.exc_info:
            message += "\n" + self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
            record.exc_text = None
        record.msg, record.args = message, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps({
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }, ensure_ascii=False)


class _Stderr(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (a test may swap it)."""

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def configure(level: str, fmt: str, secrets: Iterable[str]) -> None:
    """Log to stderr through one handler, redacting ``secrets``; calling it again
    replaces that handler (other handlers, a test's capture, are left alone)."""
    handler = _Stderr()
    handler.addFilter(Redactor(secrets))
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(
        "%(asctime)s %(levelname)-7s %(name)s: %(message)s", datefmt="%Y-%m-%dT%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if not isinstance(h, _Stderr)] + [handler]
    root.setLevel(level)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
