"""Rate limits in memory (one process): a sliding window and token buckets.

`ratelimit_redis` holds the same limits in Redis for several processes; callers use the
async faces (`Limiter.admit`, `Buckets.wait`) that both share.

`Limiter` counts hits in the last minute and key: every organiser passphrase attempt
(`admit`), or only the wrong short codes (`over` before the lookup, `miss` after a wrong
one), so that a right code is never refused to a crowd that shares one address.
`Bucket` lets a burst through at once, then a steady rate: people type in bursts
(three ideas, then a pause), scripts do not pause. `Buckets` keeps one bucket
per key and forgets full ones, so idle keys never pile up.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable

Clock = Callable[[], float]


class Limiter:
    def __init__(self, per_minute: int, clock: Clock = time.monotonic, max_keys: int = 10000) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        if self.count(key) >= self.per_minute:
            return False
        self._hit(key)
        return True

    async def admit(self, key: str) -> bool:
        return self.allow(key)

    def count(self, key: str) -> int:
        """Hits on `key` in the last minute."""
        now, hits = self.clock(), self._hits.get(key)
        while hits and hits[0] <= now - 60:
            hits.popleft()
        return len(hits) if hits else 0

    async def over(self, key: str, per_minute: int) -> bool:
        """True when `key` already has `per_minute` hits in the last minute (nothing is counted)."""
        return self.count(key) >= per_minute

    async def miss(self, key: str) -> None:
        """Count one hit on `key` (a wrong guess), whatever the limit."""
        self._hit(key)

    def _hit(self, key: str) -> None:
        now = self.clock()
        self._hits.setdefault(key, deque()).append(now)
        if len(self._hits) > self.max_keys:  # forget idle keys rather than grow without bound
            self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - 60}


class Bucket:
    """`burst` tokens, refilled at `per_second`; each hit takes one."""

    __slots__ = ("burst", "per_second", "clock", "tokens", "at")

    def __init__(self, burst: int, per_second: float, clock: Clock = time.monotonic) -> None:
        self.burst, self.per_second, self.clock = burst, per_second, clock
        self.tokens, self.at = float(burst), clock()

    def take(self) -> float:
        """0.0 when the hit may go; otherwise the seconds until it could (nothing is taken)."""
        now = self.clock()
        self.tokens = min(float(self.burst), self.tokens + (now - self.at) * self.per_second)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.per_second

    def full(self) -> bool:
        return self.tokens + (self.clock() - self.at) * self.per_second >= self.burst


class Buckets:
    """One `Bucket` per key, shared by every caller with that key (a person's several tabs)."""

    def __init__(self, burst: int, per_second: float, clock: Clock = time.monotonic,
                 max_keys: int = 10000) -> None:
        self.burst, self.per_second, self.clock, self.max_keys = burst, per_second, clock, max_keys
        self._buckets: dict[Hashable, Bucket] = {}

    def take(self, key: Hashable) -> float:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:  # a full bucket is the same as no bucket
                self._buckets = {k: b for k, b in self._buckets.items() if not b.full()}
            bucket = self._buckets[key] = Bucket(self.burst, self.per_second, self.clock)
        return bucket.take()

    async def wait(self, key: Hashable) -> float:
        return self.take(key)

    def __len__(self) -> int:
        return len(self._buckets)
