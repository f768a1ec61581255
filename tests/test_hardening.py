"""Hardening (issue 21): the log-in throttle under a concurrent burst, secrets that are
not settings, formulas in every CSV, undo under claims, and the operator's checks.
Each test is an attack or a slip that once worked, written as the rule that now holds."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from config.settings import BrandSettings, Settings, TopicSettings, WebSettings
from core.clock import ManualClock
from store import users
from store.db import Store
from store.schema import open_store
from web import auth
from web.server import WebService

PASSWORD = "correct horse battery"
SECRET = "test-secret-" + "h" * 24


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    s = open_store(tmp_path / "desk.db")
    yield s
    s.close()


def _settings(**web: Any) -> Settings:
    return Settings(brands=[BrandSettings(name="Acme", handles=["acme"])],
                    topics=[TopicSettings(name="delivery")], web=WebSettings(**web))


class CountingHasher(PasswordHasher):
    """argon2 that records how many checks run at once (each holds 64 MiB)."""

    def __init__(self) -> None:
        super().__init__()
        self.lock, self.running, self.peak, self.calls = threading.Lock(), 0, 0, 0

    def verify(self, *args: Any) -> Any:
        with self.lock:
            self.running += 1
            self.calls += 1
            self.peak = max(self.peak, self.running)
        try:
            return super().verify(*args)
        finally:
            with self.lock:
                self.running -= 1


# --- 1. the throttle under a burst ---------------------------------------------------------

def test_a_burst_of_concurrent_guesses_is_counted_and_bounded(store, monkeypatch) -> None:
    """45 attempts on one account from one address, released together against a real
    server: attempts are counted when they start, so the right password sent late is
    refused, most answers are 429 at once, and few argon2 checks ever run together."""
    clock = ManualClock()
    users.add(store, "alice", "agent", auth.hash_password(PASSWORD), clock.now())
    hasher = CountingHasher()
    monkeypatch.setattr(auth, "_hasher", hasher)
    service = WebService(store, _settings(), clock, host="127.0.0.1", port=0,
                         session_secret=SECRET)
    service.start()
    try:
        clients = [httpx.Client(base_url=service.url, timeout=60) for _ in range(45)]
        tokens = [re.search(r'name="csrf-token" content="([^"]+)"',
                            c.get("/login").text).group(1) for c in clients]
        gate = threading.Barrier(45)
        statuses: list[int] = [0] * 45

        def attempt(i: int) -> None:
            password = PASSWORD if i == 40 else f"wrong guess {i}"
            gate.wait()
            statuses[i] = clients[i].post("/login", data={
                "csrf_token": tokens[i], "username": "alice", "password": password,
                "next": "/queue"}).status_code

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(45)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for c in clients:
            c.close()
    finally:
        service.stop()
    assert statuses[40] != 303  # the right password, sent 41st, gets nobody in
    assert set(statuses) <= {401, 429}
    assert statuses.count(429) >= 35
    assert statuses.count(401) <= 5  # never more full checks than the sequential limit
    assert hasher.peak <= auth.MAX_CHECKS_PER_ACCOUNT
    assert hasher.calls == statuses.count(401)
