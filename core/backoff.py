"""The one back-off: bounded retries with exponential delays and equal jitter, the sleep
and the random numbers injected (as prawcore's RetryStrategy), shared by every network
client's reads (listener/x, listener/bluesky) and by publishing's retries (pipeline/jobs).

Attempt ``n`` (0 for the first retry) waits between half and all of
``min(max_backoff, backoff * 2**n)``: retries spread out over an outage instead of
arriving together, and a test that injects ``sleep`` and ``rng`` sees every delay.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass
class RetryPolicy:
    retries: int = 3  # retries after the first attempt
    backoff: float = 1.0  # seconds before the first retry (before jitter)
    max_backoff: float = 30.0  # no delay is longer
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry ``attempt`` (0-based), jittered."""
        ceiling = min(self.max_backoff, self.backoff * 2**attempt)
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    def run(self, once: Callable[[], T], transient: type[Exception] | tuple[type[Exception], ...],
            what: str, give_up: Callable[[str], Exception],
            before_each: Callable[[], None] | None = None,
            logger: logging.Logger = log) -> T:
        """``once()`` until it returns, retrying ``transient`` failures after a delay;
        after the last retry raises ``give_up(message)``. ``before_each`` runs before
        every attempt (a request counter); each retry is logged on ``logger``."""
        for attempt in range(self.retries + 1):
            if before_each is not None:
                before_each()
            try:
                return once()
            except transient as exc:
                if attempt == self.retries:
                    raise give_up(f"{what}: {exc} (gave up after {attempt + 1} attempts)"
                                  ) from None
                pause = self.delay(attempt)
                logger.warning("%s: %s; retry %d/%d in %.1fs", what, exc, attempt + 1,
                            self.retries, pause)
                self.sleep(pause)
        raise AssertionError("unreachable")
