"""A clock that moves only when the test says so, for the Session's injectable clock.

Tests of the shell advance it and then `sync()` the session, so nothing depends
on how fast the machine is (no timed assertions).
"""

from __future__ import annotations

import threading


class ManualClock:
    """Seconds that move only on `advance()`; safe to read from the session's threads."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds
