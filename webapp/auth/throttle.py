"""A sliding one-minute window per key (a shared link, a client address): `hit(key)` counts one event and says
whether it is within the limit. In-process: each app replica counts its own."""
from __future__ import annotations

import threading
import time
from collections import deque


class Throttle:
    def __init__(self, per_minute: int, window_s: float = 60.0) -> None:
        self.per_minute, self.window_s = per_minute, window_s
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        return hits

    def hit(self, key: str) -> bool:
        """Count one event for `key`; False (and not counted) when the window is full."""
        now = time.monotonic()
        with self._lock:
            hits = self._recent(key, now)
            if len(hits) >= self.per_minute:
                return False
            hits.append(now)
            if len(self._hits) > 10_000:      # forget idle keys
                self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - self.window_s}
            return True

    def retry_after(self, key: str) -> int:
        """Seconds until `key` may go again."""
        now = time.monotonic()
        with self._lock:
            hits = self._recent(key, now)
            return max(1, int(hits[0] + self.window_s - now) + 1) if len(hits) >= self.per_minute else 0
