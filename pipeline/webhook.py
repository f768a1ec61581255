"""Posting JSON to a Slack-compatible incoming webhook (the one place urllib errors
are caught for it, mapped to DeliveryError). The URL is a secret: never logged."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from core.errors import DeliveryError


def post(url: str, payload: dict[str, Any], timeout: float) -> None:
    """POST ``payload`` as JSON; any answer but 2xx raises DeliveryError."""
    request = urllib.request.Request(
        url, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers={"content-type": "application/json", "user-agent": "mentiondesk"},
        method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"webhook answered HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"webhook unreachable: {reason}") from None
