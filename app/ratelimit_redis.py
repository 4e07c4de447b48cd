"""Rate limits kept in Redis, for several processes (BROADCAST_URL=redis://).

With one process the limits live in memory (`ratelimit`). With several, a person's tabs
or a guesser's requests may reach different processes, and each process counting alone
would multiply the limit by the number of processes. So the limits that hold per person
or per address (commands per person and room, short-code lookups and organiser
passphrase attempts per address) are counted in Redis, atomically, by small scripts;
buckets read Redis's own clock, since the processes' clocks may disagree.

If Redis cannot answer, the process falls back on its own memory for that check: the
limit then holds per process for a while, rather than refusing everyone. Losing Redis
also closes the sockets (see `pubsub_redis`), so this lasts only until they come back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable
from typing import Any

import redis.asyncio as redis
from redis.exceptions import RedisError

from .ratelimit import Buckets, Limiter

log = logging.getLogger("essaim.ratelimit")
PREFIX = "essaim:rate:"
POOL_SIZE = 20  # connections per process for the limits; a check takes well under a millisecond

# A token bucket: `burst` tokens refilled at `rate` per second; 0 when the hit may go,
# otherwise the seconds until it could (nothing is taken). The key expires once full again.
BUCKET = """
local burst, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(saved[1]) or burst, tonumber(saved[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return tostring(wait)
"""

# Hits in the current minute (a fixed window, where the memory `Limiter` slides): 1 allowed, 0 not.
WINDOW = """
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('EXPIRE', KEYS[1], 61) end
if hits > tonumber(ARGV[1]) then return 0 end
return 1
"""

# One more hit in the current minute, whatever the limit (`over` reads it before a lookup).
COUNT = """
if redis.call('INCR', KEYS[1]) == 1 then redis.call('EXPIRE', KEYS[1], 61) end
return 1
"""


def client_for(url: str) -> Any:
    """A client for the limits; it connects on first use. Its pool waits for a free connection
    (up to `socket_timeout`) rather than refusing a burst of concurrent checks, as the default
    asyncio pool does beyond 100."""
    pool = redis.BlockingConnectionPool.from_url(url, decode_responses=True, max_connections=POOL_SIZE, timeout=2,
                                                 socket_timeout=2, socket_connect_timeout=2)
    return redis.Redis(connection_pool=pool)


class RedisBuckets:
    """`ratelimit.Buckets`, shared by every process."""

    def __init__(self, client: Any, name: str, burst: int, per_second: float) -> None:
        self.burst, self.per_second = burst, per_second
        self._prefix = f"{PREFIX}{name}:"
        self._script = client.register_script(BUCKET)
        self._fallback = Buckets(burst, per_second)

    async def wait(self, key: Hashable) -> float:
        name = self._prefix + (":".join(key) if isinstance(key, tuple) else str(key))
        try:
            return float(await self._script(keys=[name], args=[self.burst, self.per_second]))
        except (RedisError, OSError) as error:
            log.warning("rate limit counted in this process only (%s)", type(error).__name__)
            return self._fallback.take(key)


class RedisLimiter:
    """`ratelimit.Limiter` (hits per minute and key), shared by every process."""

    def __init__(self, client: Any, name: str, per_minute: int) -> None:
        self.per_minute = per_minute
        self._prefix = f"{PREFIX}{name}:"
        self._client = client
        self._script = client.register_script(WINDOW)
        self._count = client.register_script(COUNT)
        self._fallback = Limiter(per_minute)

    def _window(self, key: str) -> str:
        return f"{self._prefix}{key}:{int(time.time() // 60)}"

    async def admit(self, key: str) -> bool:
        try:
            return bool(await self._script(keys=[self._window(key)], args=[self.per_minute]))
        except (RedisError, OSError) as error:
            log.warning("rate limit counted in this process only (%s)", type(error).__name__)
            return self._fallback.allow(key)

    async def over(self, key: str, per_minute: int) -> bool:
        try:
            return int(await self._client.get(self._window(key)) or 0) >= per_minute
        except (RedisError, OSError) as error:
            log.warning("rate limit counted in this process only (%s)", type(error).__name__)
            return await self._fallback.over(key, per_minute)

    async def miss(self, key: str) -> None:
        try:
            await self._count(keys=[self._window(key)])
        except (RedisError, OSError) as error:
            log.warning("rate limit counted in this process only (%s)", type(error).__name__)
            await self._fallback.miss(key)
