"""Fan-out through Redis publish/subscribe, for several Essaim processes (redis-py's asyncio client).

One subscriber connection per process carries every room channel this process has
sockets for; messages go to the local subscribers in the order Redis delivers them,
which is the order they were published. Publishing goes through one queue and one
connection per process, in pipelines: this process's messages reach Redis in the order
they were published (its events in commit order), and a burst of thousands needs no
pool of connections (redis-py's asyncio pool refuses the 101st concurrent command
instead of waiting, which lost events under load). Losing Redis ends every local subscription
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
PUBLISH_BATCH = 500  # messages per pipeline


class RedisBackend:
    def __init__(self, url: str) -> None:
        self.url = url
        self._local: dict[str, set[Subscriber]] = {}
        self._client: Any = None
        self._pubsub: Any = None
        self._up = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._outgoing: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._publisher: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        """Connect now (a wrong URL or a Redis that is down stops the start, with its reason)."""
        await self._open()
        self._task = asyncio.create_task(self._run(), name="essaim-redis")
        self._publisher = asyncio.create_task(self._publish_queued(), name="essaim-redis-publish")

    async def disconnect(self) -> None:
        for task in (self._task, self._publisher):
            if task:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._end_subscriptions()
        await self._close()

    async def publish(self, channel: str, message: str) -> None:
        self._outgoing.put_nowait((channel, message))

    async def _publish_queued(self) -> None:
        """Send what was published, in order, as many messages per round trip as are waiting."""
        while True:
            batch = [await self._outgoing.get()]
            while not self._outgoing.empty() and len(batch) < PUBLISH_BATCH:
                batch.append(self._outgoing.get_nowait())
            await self._up.wait()
            try:
                pipe = self._client.pipeline(transaction=False)
                for channel, message in batch:
                    pipe.publish(channel, message)
                await pipe.execute()
            except (RedisError, OSError) as exc:
                # Lost with the connection: the reader notices too and ends every subscription,
                # so the pages resync from the database by seq.
                log.warning("redis: %d message(s) not published (%s)", len(batch), type(exc).__name__)

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
                while not self._outgoing.empty():  # for subscriptions that just ended: pages resync instead
                    self._outgoing.get_nowait()
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
