"""Publish/subscribe by channel, after encode/broadcaster.

`Broadcast(url)` picks a backend by URL scheme: `memory://` for one process,
`redis://` (see `pubsub_redis`) for several. Messages are strings; the domain
never sees this module. A subscription whose backend is lost ends (its iterator
stops): the hub then closes its sockets, and pages reconnect and resync by seq.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol
from urllib.parse import urlparse


class Subscriber:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()

    def deliver(self, message: str | None) -> None:
        self._queue.put_nowait(message)

    async def __aiter__(self) -> AsyncIterator[str]:
        while (message := await self._queue.get()) is not None:
            yield message


class Backend(Protocol):
    async def connect(self) -> None: ...
    async def disconnect(self) -> None: ...
    async def publish(self, channel: str, message: str) -> None: ...
    async def subscribe(self, channel: str, subscriber: Subscriber) -> None: ...
    async def unsubscribe(self, channel: str, subscriber: Subscriber) -> None: ...


class MemoryBackend:
    """Fan-out inside one process. Refuse it for several workers: they would not hear each other."""

    def __init__(self) -> None:
        self._channels: dict[str, set[Subscriber]] = {}

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        for subscribers in self._channels.values():
            for subscriber in subscribers:
                subscriber.deliver(None)
        self._channels.clear()

    async def publish(self, channel: str, message: str) -> None:
        for subscriber in self._channels.get(channel, ()):
            subscriber.deliver(message)

    async def subscribe(self, channel: str, subscriber: Subscriber) -> None:
        self._channels.setdefault(channel, set()).add(subscriber)

    async def unsubscribe(self, channel: str, subscriber: Subscriber) -> None:
        subscribers = self._channels.get(channel, set())
        subscribers.discard(subscriber)
        if not subscribers:
            self._channels.pop(channel, None)


def backend_for(url: str) -> Backend:
    scheme = urlparse(url).scheme
    if scheme == "memory":
        return MemoryBackend()
    if scheme in ("redis", "rediss"):
        from .pubsub_redis import RedisBackend  # imported only when asked for: redis is optional

        return RedisBackend(url)
    raise ValueError(f"unsupported BROADCAST_URL scheme {scheme!r}; use memory:// or redis://")


class Broadcast:
    def __init__(self, url: str) -> None:
        self.url = url
        self._backend = backend_for(url)

    @property
    def shared(self) -> bool:
        """Whether other processes hear this broadcast (anything but `memory://`)."""
        return not isinstance(self._backend, MemoryBackend)

    async def connect(self) -> None:
        await self._backend.connect()

    async def disconnect(self) -> None:
        await self._backend.disconnect()

    async def publish(self, channel: str, message: str) -> None:
        await self._backend.publish(channel, message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscriber]:
        """Messages published after this returns are delivered to the subscriber."""
        subscriber = Subscriber()
        await self._backend.subscribe(channel, subscriber)
        try:
            yield subscriber
        finally:
            await self._backend.unsubscribe(channel, subscriber)
