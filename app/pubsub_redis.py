"""Fan-out through Redis publish/subscribe, for several Essaim processes (redis-py's asyncio client).

One subscriber connection per process carries every room channel this process has
sockets for; messages go to the local subscribers in the order Redis delivers them,
which is the order they were published. Losing Redis ends every local subscription
(the hub closes those sockets, pages reconnect, possibly to another process, and
resync by seq), then the backend reconnects with backoff and jitter.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

import redis.asyncio as redis
from redis.exceptions import RedisError

from .pubsub import Subscriber

log = logging.getLogger("essaim.pubsub")
ALIVE = "essaim:alive"  # always subscribed: a pubsub connection needs one channel to read from
BACKOFF_MAX = 10.0


class RedisBackend:
    def __init__(self, url: str) -> None:
        self.url = url
        self._local: dict[str, set[Subscriber]] = {}
        self._client: Any = None
        self._pubsub: Any = None
        self._up = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        """Connect now (a wrong URL or a Redis that is down stops the start, with its reason)."""
        await self._open()
        self._task = asyncio.create_task(self._run(), name="essaim-redis")

    async def disconnect(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._end_subscriptions()
        await self._close()

    async def publish(self, channel: str, message: str) -> None:
        await self._up.wait()
        await self._client.publish(channel, message)

    async def subscribe(self, channel: str, subscriber: Subscriber) -> None:
        await self._up.wait()
        first = channel not in self._local
        self._local.setdefault(channel, set()).add(subscriber)
        if first:
            await self._pubsub.subscribe(channel)

    async def unsubscribe(self, channel: str, subscriber: Subscriber) -> None:
        subscribers = self._local.get(channel)
        if subscribers is None:
            return
        subscribers.discard(subscriber)
        if not subscribers:
            self._local.pop(channel, None)
            if self._up.is_set():
                try:
                    await self._pubsub.unsubscribe(channel)
                except RedisError:
                    pass  # the reader notices the lost connection

    async def _open(self) -> None:
        self._client = redis.from_url(self.url, decode_responses=True, health_check_interval=5)
        self._pubsub = self._client.pubsub()
        await self._pubsub.subscribe(ALIVE)
        await self._client.ping()
        self._up.set()

    async def _close(self) -> None:
        self._up.clear()
        for closing in (self._pubsub, self._client):
            if closing is not None:
                try:
                    await closing.aclose()
                except (RedisError, OSError):
                    pass

    async def _run(self) -> None:
        delay = 0.5
        while True:
            try:
                if not self._up.is_set():
                    await self._open()
                    log.warning("redis: connected again")
                    delay = 0.5
                await self._read()
            except (RedisError, OSError) as exc:
                log.warning("redis: connection lost (%s); sockets of this process reconnect", type(exc).__name__)
                self._end_subscriptions()
                await self._close()
                await asyncio.sleep(delay * (1 + random.random() / 2))
                delay = min(BACKOFF_MAX, delay * 2)

    async def _read(self) -> None:
        while True:
            message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is None or message.get("type") != "message":
                continue
            for subscriber in list(self._local.get(message["channel"], ())):
                subscriber.deliver(message["data"])

    def _end_subscriptions(self) -> None:
        """Every local subscription ends: what was published meanwhile may be lost, so pages must resync."""
        for subscribers in self._local.values():
            for subscriber in subscribers:
                subscriber.deliver(None)
        self._local.clear()
