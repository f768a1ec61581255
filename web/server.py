"""Serving the inbox: uvicorn in a thread beside the daemon's jobs, or alone.

``WebService(store, settings, clock)`` is the daemon's service (start/stop);
``serve(store, settings, clock)`` blocks, for ``main.py serve``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from config.settings import Settings
from core.clock import Clock
from core.errors import MentiondeskError
from store.db import Store
from web import auth
from web.app import create_app

log = logging.getLogger(__name__)

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 3.0


class HeaderDeadline(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for each request's headers.

    uvicorn times out a keep-alive connection that is idle, but not one that is still
    sending its request line and headers: a client trickling a header a minute holds
    a connection (and its memory) for ever. Here the clock starts when a connection
    opens, or when the next request of a kept-alive one begins, and the connection is
    closed if the headers are not complete by ``web.header_timeout_seconds`` (read
    from the uvicorn config as ``header_timeout_s``)."""

    _deadline: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._deadline = self.loop.call_later(self.config.header_timeout_s,  # type: ignore[attr-defined]
                                              self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._deadline is None and self.conn.their_state is h11.IDLE:
            self._arm()  # the next request on a kept-alive connection begins
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()  # its headers are in (or the connection is done)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _too_slow(self) -> None:
        self._deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            log.debug("closed a connection from %s: headers not complete in %ss",
                      self.client, self.config.header_timeout_s)  # type: ignore[attr-defined]
            self.transport.close()


def _config(store: Store, settings: Settings, clock: Clock, host: str, port: int,
            session_secret: str | None) -> uvicorn.Config:
    secret = session_secret or auth.session_secret(settings.app.data_dir)
    app = create_app(store, settings, clock, secret)
    # log_config=None: uvicorn keeps to the logging main.py configured.
    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False,
                            lifespan="off", server_header=False, http=HeaderDeadline)
    config.header_timeout_s = settings.web.header_timeout_seconds  # type: ignore[attr-defined]
    return config


class WebService:
    """The inbox on settings.web.host/port in a background thread."""

    def __init__(self, store: Store, settings: Settings, clock: Clock, *,
                 host: str | None = None, port: int | None = None,
                 session_secret: str | None = None) -> None:
        self.host = host or settings.web.host
        self.port = port if port is not None else settings.web.port
        self._server = uvicorn.Server(
            _config(store, settings, clock, self.host, self.port, session_secret))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        """Returns once the port accepts connections; raises if it cannot bind."""
        self._thread = threading.Thread(target=self._server.run, name="web", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise MentiondeskError(f"web inbox could not start on {self.url} "
                                       "(port in use?)")
            time.sleep(0.02)
        if self.port == 0:  # an ephemeral port (tests): read the one the OS gave
            self.port = self._server.servers[0].sockets[0].getsockname()[1]
        log.info("web inbox at %s/queue", self.url)

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S)


def serve(store: Store, settings: Settings, clock: Clock) -> None:
    """The inbox alone, in the foreground, until Ctrl-C."""
    log.info("web inbox at http://%s:%d/queue", settings.web.host, settings.web.port)
    uvicorn.Server(_config(store, settings, clock, settings.web.host, settings.web.port,
                           None)).run()
