"""Flood guards for websockets: connection caps and command rate limits (docs/securite.md).

The caps are counted per process, in memory. Three caps on simultaneous sockets, checked in
this order: the server's ceiling, per client address (loose: a town hall's wifi
is one address), per person in a room. A refused socket is accepted just long
enough to hear why (an `error` frame, then close 1013 with a reason), because a
browser cannot read the HTTP status of a refused handshake.

Rate limits are token buckets (`ratelimit.Bucket`): commands, resyncs and "done"
share one bucket per person and room, across their tabs; other frames (ping,
malformed ones) have a small bucket per socket. A limited frame gets
`command.rate_limited` with `retry_after`; the socket stays open. With several processes
(BROADCAST_URL=redis://) the person's bucket is kept in Redis (`ratelimit_redis`), since
their tabs may be served by different processes.
"""

from __future__ import annotations

import logging
import resource
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from . import limits
from .errors import Rejection
from .protocol import Hello, Ping, encode, error_frame
from .ratelimit import Bucket, Buckets, Clock

if TYPE_CHECKING:
    from .ratelimit_redis import RedisBuckets
from .settings import Settings

log = logging.getLogger("essaim.guards")
CLOSE_TRY_AGAIN = 1013
REASONS = {  # close reasons, short and in English like the other close reasons
    "server.full": "server full",
    "connection.too_many_per_address": "too many connections from this address",
    "connection.too_many_per_participant": "too many pages open",
}


class Throttle:
    """The rate limits of one socket: its person's shared bucket and its own."""

    def __init__(self, shared: Buckets | RedisBuckets, key: tuple[str, str], clock: Clock = time.monotonic) -> None:
        self._shared, self._key = shared, key
        self._own = Bucket(limits.FRAME_BURST, limits.FRAMES_PER_SECOND, clock)

    async def check(self, frame: Any) -> Rejection | None:
        # Commands, Sync, SnapshotRequest and Done cost the room work: they share the person's bucket.
        cheap = isinstance(frame, (Ping, Hello, Rejection))
        wait = self._own.take() if cheap else await self._shared.wait(self._key)
        if wait <= 0.0:
            return None
        return Rejection("command.rate_limited", {"retry_after": round(wait + 0.05, 1)})


class Guards:
    def __init__(self, max_connections: int, max_per_address: int, clock: Clock = time.monotonic,
                 command_burst: int | None = None, redis_url: str | None = None) -> None:
        self.max_connections = max_connections
        self.max_per_address = max_per_address  # 0: no cap
        self.max_per_participant = limits.SOCKETS_PER_PARTICIPANT
        self.total = 0
        self._addresses: Counter[str] = Counter()
        self._people: Counter[tuple[str, str]] = Counter()
        self.clock = clock
        burst = command_burst or limits.COMMAND_BURST
        self.commands: Buckets | RedisBuckets = Buckets(burst, limits.COMMANDS_PER_SECOND, clock)
        if redis_url:  # imported here: redis-py is only installed for several processes
            from .ratelimit_redis import RedisBuckets, client_for
            self.commands = RedisBuckets(client_for(redis_url), "commands", burst, limits.COMMANDS_PER_SECOND)

    @classmethod
    def from_settings(cls, settings: Settings) -> Guards:
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY and settings.max_connections > soft:
            log.warning("ESSAIM_MAX_CONNECTIONS (%d) is above the open-file limit (%d): "
                        "the system will refuse sockets before Essaim does", settings.max_connections, soft)
        shared = settings.broadcast_url if settings.broadcast_url.startswith(("redis://", "rediss://")) else None
        return cls(settings.max_connections, settings.max_connections_per_address,
                   command_burst=settings.command_burst, redis_url=shared)

    def connect(self, address: str) -> Rejection | None:
        """Count a new socket, or say why not (then nothing is counted)."""
        if self.total >= self.max_connections:
            return Rejection("server.full")
        if self.max_per_address and self._addresses[address] >= self.max_per_address:
            return Rejection("connection.too_many_per_address", {"max": self.max_per_address})
        self.total += 1
        self._addresses[address] += 1
        return None

    def disconnect(self, address: str) -> None:
        self.total -= 1
        _decrement(self._addresses, address)

    def join(self, room_id: str, participant_id: str) -> Rejection | None:
        key = (room_id, participant_id)
        if self._people[key] >= self.max_per_participant:
            return Rejection("connection.too_many_per_participant", {"max": self.max_per_participant})
        self._people[key] += 1
        return None

    def leave(self, room_id: str, participant_id: str) -> None:
        _decrement(self._people, (room_id, participant_id))

    def throttle(self, room_id: str, participant_id: str) -> Throttle:
        return Throttle(self.commands, (room_id, participant_id), self.clock)


def _decrement(counter: Counter[Any], key: Any) -> None:
    counter[key] -= 1
    if counter[key] <= 0:
        del counter[key]  # an idle key costs nothing


def guards_of(websocket: WebSocket) -> Guards:
    """The app's guards, made on first use from its settings."""
    state = websocket.app.state
    guards: Guards | None = getattr(state, "guards", None)
    if guards is None:
        guards = state.guards = Guards.from_settings(state.essaim.settings)
    return guards


def client_address(websocket: WebSocket) -> str:
    """What uvicorn says the client is (it applies --proxy-headers when configured)."""
    return websocket.client.host if websocket.client else "?"


async def refuse(websocket: WebSocket, rejection: Rejection) -> None:
    """Accept only to say why, then close 1013 (try again later)."""
    try:
        await websocket.accept()
        await websocket.send_text(encode(error_frame(rejection)))
        await websocket.close(code=CLOSE_TRY_AGAIN, reason=REASONS[rejection.code])
    except (RuntimeError, OSError, WebSocketDisconnect):  # it left before hearing why
        pass
