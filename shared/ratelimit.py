"""A sliding-window rate limit per key (an API key, an address, a user name), in process.

Each instance counts its own traffic: with N API replicas behind a load balancer a client
gets at most N times the limit, which is what these limits are sized for.
"""

import math
import time
from collections import defaultdict, deque


class RateLimiter:
    def __init__(self, limit: int, window_s: float = 60.0) -> None:
        self.limit, self.window_s = limit, window_s
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def _trim(self, key: str, now: float) -> deque[float]:
        hits = self._hits[key]
        while hits and now - hits[0] > self.window_s:
            hits.popleft()
        return hits

    def allow(self, key: str) -> bool:
        """Count an attempt; False when the key has used its limit in the window."""
        now = time.monotonic()
        hits = self._trim(key, now)
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True

    def used(self, key: str) -> bool:
        """Whether the key has used its limit in the window, without counting an attempt."""
        return len(self._trim(key, time.monotonic())) >= self.limit

    def count(self, key: str) -> None:
        """Count an attempt that the caller judged against the limit (a failed sign-in)."""
        self._trim(key, time.monotonic()).append(time.monotonic())

    def retry_after(self, key: str) -> int:
        """Whole seconds until the key may try again."""
        now = time.monotonic()
        hits = self._trim(key, now)
        return max(1, math.ceil(self.window_s - (now - hits[0]))) if hits else 1
