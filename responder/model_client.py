"""A client for any OpenAI-compatible chat-completions endpoint (Ollama, llama.cpp
server, vLLM, a hosted provider), on httpx.

Why httpx and not the ``openai`` package: httpx is already installed (atproto needs
it); ``openai`` 3.x adds ~30 MB, pulls its own pins (a newer pydantic than ours) and
costs ~0.6 s of import against ~0.1 s (measured with ``python -X importtime``, this
machine), and it retries on its own, which would hide 429s and 5xx from the desk's
back-off. One POST with a JSON body is all we need.

Every failure is a ``ModelFailure`` with a short reason and whether a retry may help; an
answer is read whole within ``timeout_seconds`` (a server that trickles bytes is cut
off too, not only one that never answers). The key is sent as a Bearer header and
never appears in a reason or a log line.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from pydantic import SecretStr

MAX_ANSWER_BYTES = 1_000_000


class ModelFailure(Exception):
    """The model gave no usable answer. ``retry``: a later try may work (timeouts, 5xx,
    429); ``retry_after``: seconds the server asked us to wait; ``setup``: the desk's
    settings are wrong (401/403/404: key, model or URL), not this draft, so no draft
    should be failed for it."""

    def __init__(self, reason: str, *, retry: bool = False,
                 retry_after: float | None = None, setup: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.retry, self.retry_after = reason, retry, retry_after
        self.setup = setup


@dataclass(frozen=True)
class Answer:
    text: str
    model: str  # the model asked for (what the audit records)
    seconds: float


class ChatModel:
    """One endpoint and model; ``complete`` is safe to call from one thread at a time."""

    def __init__(self, base_url: str, model: str, *, timeout_seconds: float,
                 max_tokens: int, temperature: float, key: SecretStr | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model, self.timeout = model, timeout_seconds
        self.max_tokens, self.temperature = max_tokens, temperature
        headers = {"content-type": "application/json", "user-agent": "mentiondesk"}
        if key is not None:
            headers["authorization"] = f"Bearer {key.get_secret_value()}"
        self._http = httpx.Client(headers=headers, timeout=httpx.Timeout(timeout_seconds),
                                  transport=transport, follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def complete(self, messages: list[dict[str, str]]) -> Answer:
        """The model's reply to ``messages``; raises ``ModelFailure``."""
        body = {"model": self.model, "messages": messages, "stream": False,
                "max_tokens": self.max_tokens, "temperature": self.temperature}
        started = time.monotonic()
        deadline = started + self.timeout
        try:
            with self._http.stream("POST", self.url, json=body) as response:
                raw = bytearray()
                for chunk in response.iter_bytes():
                    raw += chunk
                    if time.monotonic() > deadline:
                        raise ModelFailure(f"no whole answer within {self.timeout:g} s",
                                           retry=True)
                    if len(raw) > MAX_ANSWER_BYTES:
                        raise ModelFailure("answer larger than 1 MB")
        except httpx.TimeoutException:
            raise ModelFailure(f"no answer within {self.timeout:g} s", retry=True) from None
        except httpx.HTTPError as exc:
            raise ModelFailure(f"unreachable ({type(exc).__name__})", retry=True) from None
        seconds = time.monotonic() - started
        status = response.status_code
        if status == 429:
            raise ModelFailure("rate limited (429)", retry=True,
                               retry_after=_retry_after(response.headers.get("retry-after")))
        if status >= 500:
            raise ModelFailure(f"server error ({status})", retry=True)
        if status in (401, 403, 404):
            # A wrong key, model or URL: retrying this draft will not fix it, an operator will.
            raise ModelFailure(f"refused ({status}): check base_url, model and the key",
                               setup=True)
        if status >= 400:
            raise ModelFailure(f"refused ({status})")
        return Answer(_content(bytes(raw)), self.model, seconds)


def _content(raw: bytes) -> str:
    """choices[0].message.content of a chat-completions answer, or ModelFailure."""
    try:
        data: Any = json.loads(raw)
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise ModelFailure("malformed answer (not a chat completion)") from None
    if not isinstance(content, str):
        raise ModelFailure("malformed answer (content is not text)")
    return content


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (a number or an HTTP date); None when absent or odd."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
