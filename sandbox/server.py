"""One way to serve a sandbox: a small Starlette app run by uvicorn in a daemon thread.

Each sandbox keeps its API's rules in a plain ``handle`` method (easy to read and to
drive from tests); this module only turns HTTP requests into calls of it. The handler
runs in a worker thread, so an injected slow answer does not stall other requests.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Self

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Incoming:
    """One request as a sandbox sees it: header names in lower case, query not parsed."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]


def make_app(handle: Callable[[Incoming], Answer]) -> Starlette:
    """A Starlette app that answers every GET and POST through ``handle``."""

    async def endpoint(request: Request) -> Response:
        incoming = Incoming(request.method, request.url.path, request.url.query,
                            {k.lower(): v for k, v in request.headers.items()},
                            await request.body())
        try:
            answer = await run_in_threadpool(handle, incoming)
        except Exception:  # a sandbox bug must answer, not hang the client
            log.exception("sandbox failed on %s %s", incoming.method, incoming.path)
            answer = Answer(500, b'{"error": 500}', {"content-type": "application/json"})
        headers = {"content-type": "application/json; charset=utf-8", **answer.headers}
        return Response(answer.body, answer.status, headers=headers)

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST"])])


class AppServer:
    """Serves a Starlette app on ``host:port`` (0: any free port) from a daemon thread."""

    def __init__(self, app: Starlette, host: str = "127.0.0.1", port: int = 0,
                 name: str = "sandbox") -> None:
        self.app, self.host, self.port, self.name = app, host, port, name
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        """Start serving; returns the base URL once the server accepts connections."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off",
                                access_log=False, timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name=self.name, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start on {self.host}:{self.port}")
            time.sleep(0.01)
        return self.url

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(5)
            self._server = None


class Served:
    """Start, stop and ``with`` for a sandbox whose ``answer`` method handles requests."""

    server_name = "sandbox"
    _server: AppServer | None = None

    def answer(self, request: Incoming) -> Answer:
        raise NotImplementedError

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in a daemon thread; returns the base URL (http://host:port)."""
        self._server = AppServer(make_app(self.answer), host, port, self.server_name)
        return self._server.start()

    @property
    def url(self) -> str:
        assert self._server is not None, "sandbox not started"
        return self._server.url

    def stop(self) -> None:
        if self._server:
            self._server.stop()
            self._server = None

    def __enter__(self) -> Self:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
