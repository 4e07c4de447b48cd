"""Fan-out inside one process: one subscription per room, one outbox per socket.

Each room event is encoded once, by the service, and the same string goes to
every socket of the room. Channel messages carry the event's `seq` in front
(`"42|{...}"`, or `"-|{...}"` for ephemeral frames such as presence) so that
no socket has to parse JSON to drop what it already has.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, field

from . import limits
from .protocol import encode
from .pubsub import Broadcast

log = logging.getLogger("essaim.hub")


@dataclass(frozen=True)
class Frame:
    seq: int | None
    text: str

    def pack(self) -> str:
        return f"{'-' if self.seq is None else self.seq}|{self.text}"

    @staticmethod
    def unpack(message: str) -> Frame:
        head, _, text = message.partition("|")
        return Frame(None if head == "-" else int(head), text)


class Outbox:
    """A socket's queue of frames to send. Bounded: a reader that stops reading is cut off."""

    def __init__(self, max_frames: int = limits.OUTBOX_MAX_FRAMES) -> None:
        self._frames: deque[Frame] = deque()
        self._max = max_frames
        self._ready = asyncio.Event()
        self.overflowed = False

    def push(self, frame: Frame) -> None:
        if len(self._frames) >= self._max:
            self.overflowed = True
        else:
            self._frames.append(frame)
        self._ready.set()

    async def take(self) -> list[Frame]:
        await self._ready.wait()
        self._ready.clear()
        frames = list(self._frames)
        self._frames.clear()
        return frames


@dataclass(eq=False)
class Member:
    public_id: str
    name: str
    outbox: Outbox = field(default_factory=Outbox)


@dataclass(eq=False)
class _Room:
    members: set[Member] = field(default_factory=set)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class RoomHub:
    def __init__(self, broadcast: Broadcast) -> None:
        self._broadcast = broadcast
        self._rooms: dict[str, _Room] = {}

    @staticmethod
    def channel(room_id: str) -> str:
        return f"room:{room_id}"

    async def publish(self, room_id: str, frame: Frame) -> None:
        await self._broadcast.publish(self.channel(room_id), frame.pack())

    async def enter(self, room_id: str, member: Member) -> None:
        """Register a socket; frames published after this returns reach it."""
        room = self._rooms.get(room_id)
        if room is None:
            room = self._rooms[room_id] = _Room()
            room.task = asyncio.create_task(self._pump(room_id, room), name=f"pump:{room_id[:6]}")
        await room.ready.wait()
        first = not self._is_present(room, member.public_id)
        room.members.add(member)
        if first:
            await self._presence(room_id, "presence.joined", member)

    async def leave(self, room_id: str, member: Member) -> None:
        room = self._rooms.get(room_id)
        if room is None or member not in room.members:
            return
        room.members.discard(member)
        if not self._is_present(room, member.public_id):
            await self._presence(room_id, "presence.left", member)
        if not room.members and self._rooms.get(room_id) is room:
            self._rooms.pop(room_id, None)
            if room.task:
                room.task.cancel()

    def present(self, room_id: str) -> list[dict[str, str]]:
        room = self._rooms.get(room_id)
        seen: dict[str, str] = {}
        for member in room.members if room else ():
            seen.setdefault(member.public_id, member.name)
        return [{"id": pid, "name": name} for pid, name in seen.items()]

    def sockets(self) -> int:
        return sum(len(room.members) for room in self._rooms.values())

    @staticmethod
    def _is_present(room: _Room, public_id: str) -> bool:
        return any(m.public_id == public_id for m in room.members)

    async def _presence(self, room_id: str, kind: str, member: Member) -> None:
        text = encode({"type": kind, "id": member.public_id, "name": member.name})
        await self.publish(room_id, Frame(None, text))

    async def _pump(self, room_id: str, room: _Room) -> None:
        async with self._broadcast.subscribe(self.channel(room_id)) as subscriber:
            room.ready.set()
            async for message in subscriber:
                frame = Frame.unpack(message)
                for member in list(room.members):
                    member.outbox.push(frame)
