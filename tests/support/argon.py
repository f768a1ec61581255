"""argon2 that counts its checks, for the log-in burst test and bench."""

from __future__ import annotations

import threading
from typing import Any

from argon2 import PasswordHasher


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
