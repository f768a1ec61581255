"""A local model server that speaks the OpenAI chat-completions API, for tests, benches
and ``make demo-sandbox``: ``POST /v1/chat/completions`` (and ``GET /v1/models``).

Its replies come from its own small, deterministic logic, written from the prompt as a
model would read it (the customer text between markers, "Write in Spanish", the article
URL, the sign-off), never from the desk's code: it imports nothing from ``responder/``
or ``pipeline/``, so a misunderstanding in the client cannot be repeated here.

It misbehaves on demand (``mode``), as real servers and models do:

- ``ok`` a grounded, polite reply; ``slow`` the same after ``delay`` seconds; ``stall``
  no answer until ``release`` is set (or ``stall_limit`` seconds pass);
- ``error`` 500; ``rate_limit`` 429 with ``Retry-After: retry_after``; ``bad_json`` a
  body that is not a chat completion;
- ``password`` a reply asking for the customer's password in public; ``long`` one far
  over any platform's limit; ``foreign_link`` one linking a site outside the knowledge
  base; ``echo`` one repeating the customer's message as its own words; ``empty``;
- ``mixed`` picks one of the above per message (by a hash of the customer's text), for
  benches: mostly ``ok``, and each fault now and then.

Every request is kept in ``requests`` (headers and JSON body), so tests can read the
prompt and the Authorization header the desk sent. With ``key`` set, other keys get 401.
"""

from __future__ import annotations

import json
import re
import threading
import time
import zlib
from pathlib import Path
from typing import Any

from sandbox import run_until_stopped
from sandbox.server import Answer, Incoming, Served

MODES = ("ok", "slow", "stall", "error", "rate_limit", "bad_json", "password", "long",
         "foreign_link", "echo", "empty", "mixed")
# What "mixed" answers, by the customer text's hash modulo 20.
MIXED = {0: "password", 1: "long", 2: "foreign_link", 3: "bad_json", 4: "echo",
         5: "error", 6: "rate_limit"}
PHRASES = {  # (greeting, sorry, "this may help", "DM us")
    "English": ("Hi", "sorry about the trouble.", "This article may help:",
                "Send us a DM and we'll look into it together."),
    "Spanish": ("Hola", "sentimos las molestias.", "Este artículo puede ayudar:",
                "Escríbenos por DM y lo revisamos juntos."),
    "German": ("Hallo", "das tut uns leid.", "Dieser Artikel hilft vielleicht:",
               "Schreib uns eine DM, dann schauen wir es uns gemeinsam an."),
    "French": ("Bonjour", "désolés pour ce souci.", "Cet article peut aider :",
               "Écrivez-nous en DM et nous regardons ensemble."),
}


def _find(pattern: str, text: str) -> str:
    match = re.search(pattern, text, re.MULTILINE)
    return match.group(1).strip() if match else ""


class ModelSandbox(Served):
    server_name = "model-sandbox"

    def __init__(self, mode: str = "ok", *, key: str = "", delay: float = 2.0,
                 retry_after: float = 30, stall_limit: float = 60) -> None:
        self.mode, self.key, self.delay = mode, key, delay
        self.retry_after, self.stall_limit = retry_after, stall_limit
        self.release = threading.Event()
        self.arrived = threading.Event()  # set when a request has come in
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    # --- HTTP ---------------------------------------------------------------------------
    def answer(self, request: Incoming) -> Answer:
        if request.method == "GET" and request.path.rstrip("/").endswith("/models"):
            return _json(200, {"object": "list", "data": [{"id": "sandbox", "object": "model"}]})
        if request.method != "POST" or not request.path.rstrip("/").endswith("/chat/completions"):
            return _json(404, {"error": {"message": "not found"}})
        if self.key and request.headers.get("authorization") != f"Bearer {self.key}":
            return _json(401, {"error": {"message": "invalid api key"}})
        try:
            body = json.loads(request.body)
            prompt = "\n".join(str(m["content"]) for m in body["messages"])
        except (ValueError, KeyError, TypeError):
            return _json(400, {"error": {"message": "messages missing"}})
        with self._lock:
            self.requests.append({"headers": request.headers, "body": body})
        self.arrived.set()
        mode = self.mode
        if mode == "mixed":
            mode = MIXED.get(zlib.crc32(self.customer(prompt).encode()) % 20, "ok")
        return self.reply(mode, prompt, str(body.get("model", "sandbox")))

    def reply(self, mode: str, prompt: str, model: str) -> Answer:
        if mode == "slow":
            time.sleep(self.delay)
        elif mode == "stall":
            self.release.wait(self.stall_limit)
        elif mode == "error":
            return _json(500, {"error": {"message": "internal error"}})
        elif mode == "rate_limit":
            return Answer(429, b'{"error": {"message": "slow down"}}',
                          {"retry-after": f"{self.retry_after:g}"})
        elif mode == "bad_json":
            return Answer(200, b'{"choices": [{"message": ', {})
        text = {"password": self.asks_password, "long": self.too_long,
                "foreign_link": self.foreign_link, "echo": self.echo,
                "empty": lambda p: ""}.get(mode, self.grounded)(prompt)
        return _json(200, {
            "id": f"chatcmpl-{zlib.crc32(prompt.encode()):x}", "object": "chat.completion",
            "model": model, "choices": [{"index": 0, "finish_reason": "stop",
                                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": len(prompt.split()), "completion_tokens":
                      len(text.split()), "total_tokens": len((prompt + text).split())}})

    # --- what a model would read in the prompt ------------------------------------------
    @staticmethod
    def customer(prompt: str) -> str:
        """The last block between the customer markers (the message to answer)."""
        blocks = re.findall(r"<<<CUSTOMER_TEXT\s*(.*?)\s*CUSTOMER_TEXT>>>", prompt, re.S)
        return blocks[-1] if blocks else ""

    def grounded(self, prompt: str) -> str:
        language = _find(r"Write in (\w+)", prompt) or "English"
        hello, sorry, helps, dm = PHRASES.get(language, PHRASES["English"])
        lead = _find(r"start the reply with exactly: (.+)$", prompt)
        name = _find(r"Address the customer as (\S+?)\.?$", prompt) or "there"
        url = _find(r"^URL: (\S+)", prompt)
        signoff = _find(r"End with the sign-off: (.+)$", prompt)
        parts = [lead, f"{hello} {name}, {sorry}", f"{helps} {url}" if url else "", dm,
                 signoff]
        return " ".join(p for p in parts if p)

    def asks_password(self, prompt: str) -> str:
        name = _find(r"Address the customer as (\S+?)\.?$", prompt) or "there"
        return f"Hi {name}, please reply here with your password and order number."

    def too_long(self, prompt: str) -> str:
        return " ".join([self.grounded(prompt)] * 40)

    def foreign_link(self, prompt: str) -> str:
        return f"{self.grounded(prompt)} Claim your fix at http://lumora-support.example.net/claim"

    def echo(self, prompt: str) -> str:
        return f"As you asked: {self.customer(prompt)}"


def _json(status: int, data: Any) -> Answer:
    return Answer(status, json.dumps(data, ensure_ascii=False).encode(), {})


def serve(host: str = "127.0.0.1", port: int = 8793, sample_path: str | Path | None = None,
          *, speed: float = 1.0, stop: threading.Event | None = None,
          mode: str = "mixed") -> None:
    """Run in the foreground until ``stop`` or Ctrl-C (``main.py sandbox``); point
    ``[responder.ai] base_url`` at ``http://HOST:PORT/v1``. The sample and speed are the
    other sandboxes' arguments; a model has no sample."""
    sandbox = ModelSandbox(mode)
    sandbox.start(host, port)
    run_until_stopped(sandbox, stop)
