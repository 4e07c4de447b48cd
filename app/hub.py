"""Fan-out inside one process: one subscription per room, one outbox per socket.

Each room event is encoded once, by the service, and the same string goes to every
socket allowed to read it. Some events have two forms: the full one for their
audience (the facilitators, and the author for a private idea) and a redacted one,
with the same `seq`, for everyone else. Channel messages carry `seq`, audience and
the split point in a small header (`"42|fac|117|{...}{...}"`), so that no socket has
to parse JSON to pick its form or to drop what it already has.

Events are not sent one by one: a room gathers those of one tick (`TICK_SECONDS`) and
sends them as one frame (a JSON array) per socket, built once for all the sockets that
see the room alike; a private-writing tick has one such view per author plus the common one.

Control messages (audience starting with "!") change sockets rather than reach pages:
a removed participant's sockets close, a new co-facilitator's sockets see everything
(and, since facilitators are not counted among those who may be "done", the counts
are sent again), and a regenerated facilitator link closes the sockets opened with an
earlier one. Presence, with each person's role, and "done" counts are kept per
process.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from . import limits
from .protocol import encode
from .pubsub import Broadcast

log = logging.getLogger("essaim.hub")
FACILITATORS = "fac"
ONLY = "="  # "=<author tag>": that author alone, facilitators not included (a voter's own dots)
CLOSE_REMOVED = 4003
CLOSE_RESYNC = 1012  # "service restart": reconnect, and catch up by seq
CLOSE_REVOKED = 4001  # opened with a facilitator link since regenerated: reconnect, the token decides
# A room sends at most one batch of events per tick. Longer sends fewer frames (each
# costs a task wake-up, a websocket frame and a system call per socket, whatever its
# size), shorter answers sooner: 50 ms is below what a person notices, and a room of
# 1,000 then gets at most 20 frames a second per socket however fast ideas come. An
# event that comes after a quiet tick leaves at once (with whatever the same loop
# iteration brings), so a calm room pays no delay.
TICK_SECONDS = 0.05
DONE_CHANGED = encode({"type": "done.changed"})[:-1] + ","  # how a "done" count frame begins


@dataclass(frozen=True)
class Frame:
    seq: int | None
    text: str
    redacted: str | None = None  # what members outside the audience get
    audience: str | None = None  # None: everyone; "fac"; an author tag; "!…" control

    def pack(self) -> str:
        split = -1 if self.redacted is None else len(self.text)
        seq = "-" if self.seq is None else self.seq
        return f"{seq}|{self.audience or ''}|{split}|{self.text}{self.redacted or ''}"

    @staticmethod
    def unpack(message: str) -> Frame:
        seq, audience, split, body = message.split("|", 3)
        cut = int(split)
        text, redacted = (body, None) if cut < 0 else (body[:cut], body[cut:])
        return Frame(None if seq == "-" else int(seq), text, redacted, audience or None)


@dataclass(frozen=True)
class Batch:
    """Frames as one view of a room gets them, encoded once for every socket of that view."""

    parts: tuple[tuple[int | None, str], ...]  # (seq or None, text), in order
    text: str  # what goes on the wire: the one frame, or a JSON array of them
    first_seq: int | None  # the lowest and highest seq among the parts, if any
    last_seq: int | None

    @staticmethod
    def of(parts: tuple[tuple[int | None, str], ...]) -> Batch:
        seqs = [seq for seq, _ in parts if seq is not None]
        text = parts[0][1] if len(parts) == 1 else f"[{','.join(text for _, text in parts)}]"
        return Batch(parts, text, seqs[0] if seqs else None, seqs[-1] if seqs else None)


class Outbox:
    """A socket's queue of frames to send. Bounded: a reader that stops reading is cut off."""

    def __init__(self, max_frames: int = limits.OUTBOX_MAX_FRAMES) -> None:
        self._batches: deque[Batch] = deque()
        self._frames = 0
        self._max = max_frames
        self._ready = asyncio.Event()
        self.overflowed = False
        self.close_code: int | None = None
        self.before_push: Callable[[], None] | None = None  # sends the room's pending tick first

    def push(self, seq: int | None, text: str) -> None:
        """One frame for this socket alone (an answer, a snapshot): after what the room sent before it."""
        if self.before_push is not None:
            self.before_push()
        self.put(Batch(((seq, text),), text, seq, seq))

    def put(self, batch: Batch) -> None:
        if self._frames >= self._max:
            self.overflowed = True
        else:
            self._batches.append(batch)
            self._frames += len(batch.parts)
        self._ready.set()

    def close(self, code: int) -> None:
        self.close_code = code
        self._ready.set()

    async def take(self) -> list[Batch]:
        await self._ready.wait()
        self._ready.clear()
        batches = list(self._batches)
        self._batches.clear()
        self._frames = 0
        return batches


@dataclass(eq=False)
class Member:
    public_id: str
    name: str
    author_tag: str = ""
    facilitator: bool = False
    outbox: Outbox = field(default_factory=Outbox)
    creator: bool = False  # the room's creator, shown as the lead facilitator
    facilitator_version: int | None = None  # the facilitator link version its token carried, if any
    hurried: int = 0  # how many of the room's pending frames it already got (see `RoomHub.hurry`)

    def text_for(self, frame: Frame) -> str:
        if frame.redacted is None or frame.audience is None:
            return frame.text
        if frame.audience.startswith(ONLY):
            return frame.text if frame.audience[1:] == self.author_tag else frame.redacted
        if self.facilitator or frame.audience == self.author_tag:
            return frame.text
        return frame.redacted


@dataclass(eq=False)
class _Room:
    members: set[Member] = field(default_factory=set)
    done: set[str] = field(default_factory=set)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    pending: list[Frame] = field(default_factory=list)  # this tick's events, not sent yet
    # Kept as sockets come and go, so that an arrival costs the same in a room of 10 or 1,000:
    sockets: dict[str, int] = field(default_factory=dict)  # public id -> its sockets here
    participants: dict[str, int] = field(default_factory=dict)  # the same, not counting facilitators
    tick: asyncio.Handle | None = None
    flushed_at: float = 0.0  # loop time of the last batch sent


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
        # What was published before it entered is not for it: it skips the frames pending now
        # (flushing the room here instead would send a frame to everyone at every arrival).
        member.hurried = len(room.pending)
        member.outbox.before_push = partial(self._hurry, room, member)
        room.members.add(member)
        _count(room, member, 1)
        if first:
            await self._presence(room_id, "presence.joined", member)
            await self._publish_done(room_id, room)

    def hurry(self, room_id: str, member: Member, seq: int) -> None:
        """Send `member` now what the room holds for the next tick, up to and past its own event `seq`.

        An author's confirmation is its own event: without this, its ack waits for the
        room's tick (up to `TICK_SECONDS`, more for a writer who sends as soon as it hears).
        It gets the room's pending frames in order, so no later seq ever overtakes an
        earlier one; the tick then sends it only the frames after these.
        """
        room = self._rooms.get(room_id)
        if room is None or member not in room.members:
            return
        if any(frame.seq == seq for frame in room.pending[member.hurried:]):
            self._hurry(room, member)
        # else: already sent with a tick, or not read from the channel yet: the tick carries it

    @staticmethod
    def _hurry(room: _Room, member: Member) -> None:
        """Send this socket alone, now, the room's pending frames it has not had (before a reply to it)."""
        frames = room.pending[member.hurried:]
        member.hurried = len(room.pending)
        if frames:
            member.outbox.put(Batch.of(tuple((frame.seq, member.text_for(frame)) for frame in frames)))

    async def leave(self, room_id: str, member: Member) -> None:
        room = self._rooms.get(room_id)
        if room is None or member not in room.members:
            return
        room.members.discard(member)
        _count(room, member, -1)
        if not self._is_present(room, member.public_id):
            room.done.discard(member.public_id)
            await self._presence(room_id, "presence.left", member)
            await self._publish_done(room_id, room)
        if not room.members and self._rooms.get(room_id) is room:
            self._rooms.pop(room_id, None)
            if room.tick is not None:
                room.tick.cancel()
            if room.task:
                room.task.cancel()

    def present(self, room_id: str) -> list[dict[str, str | bool]]:
        """One entry per person (not per socket): `{id, name, role}`, and `creator: true` for the creator."""
        room = self._rooms.get(room_id)
        seen: dict[str, dict[str, str | bool]] = {}
        for member in room.members if room else ():
            person = seen.setdefault(member.public_id, _person(member))
            if member.facilitator:
                person["role"] = "facilitator"
        return list(seen.values())

    def done_counts(self, room_id: str) -> dict[str, int]:
        room = self._rooms.get(room_id)
        if room is None:
            return {"done": 0, "present": 0}
        present = room.participants
        return {"done": sum(1 for public_id in room.done if public_id in present), "present": len(present)}

    async def set_done(self, room_id: str, member: Member, done: bool) -> None:
        room = self._rooms.get(room_id)
        if room is None:
            return
        (room.done.add if done else room.done.discard)(member.public_id)
        await self._publish_done(room_id, room)

    async def reset_done(self, room_id: str) -> None:
        room = self._rooms.get(room_id)
        if room is not None and room.done:
            room.done.clear()
            await self._publish_done(room_id, room)

    async def remove(self, room_id: str, public_id: str) -> None:
        await self.publish(room_id, Frame(None, "", audience=f"!remove:{public_id}"))

    async def set_role(self, room_id: str, public_id: str, role: str) -> None:
        await self.publish(room_id, Frame(None, role, audience=f"!role:{public_id}"))

    async def revoke(self, room_id: str, version: int) -> None:
        """Close the sockets whose token came from a facilitator link older than `version`."""
        await self.publish(room_id, Frame(None, str(version), audience="!revoke:"))

    def sockets(self) -> int:
        return sum(len(room.members) for room in self._rooms.values())

    @staticmethod
    def _is_present(room: _Room, public_id: str) -> bool:
        return public_id in room.sockets

    async def _presence(self, room_id: str, kind: str, member: Member) -> None:
        text = encode({"type": kind, **_person(member)})
        await self.publish(room_id, Frame(None, text))

    async def _publish_done(self, room_id: str, room: _Room) -> None:
        await self.publish(room_id, Frame(None, encode({"type": "done.changed", **self.done_counts(room_id)})))

    async def _pump(self, room_id: str, room: _Room) -> None:
        async with self._broadcast.subscribe(self.channel(room_id)) as subscriber:
            room.ready.set()
            async for message in subscriber:
                frame = Frame.unpack(message)
                if frame.audience and frame.audience.startswith("!"):
                    self._flush(room)  # what was published before the change goes out under the old rules
                    if self._control(room, frame):
                        await self._publish_done(room_id, room)
                    continue
                room.pending.append(frame)
                if room.tick is None:
                    loop = asyncio.get_running_loop()
                    wait = room.flushed_at + TICK_SECONDS - loop.time()
                    room.tick = (loop.call_later(wait, self._flush, room) if wait > 0
                                 else loop.call_soon(self._flush, room))
        # The subscription ended under us (the broker was lost, or the server stops): whatever
        # was published meanwhile may never come, so every socket goes and its page resyncs.
        self._flush(room)
        if self._rooms.get(room_id) is room:
            self._rooms.pop(room_id, None)
        for member in list(room.members):
            member.outbox.close(CLOSE_RESYNC)

    @staticmethod
    def _flush(room: _Room) -> None:
        """Send this tick's events: one batch per view of the room, the same object for every socket of a view."""
        if room.tick is not None:
            room.tick.cancel()
            room.tick = None
        everything, room.pending = room.pending, []
        if not everything:
            return
        room.flushed_at = asyncio.get_running_loop().time()
        # A "done" count frame states the whole count: within a tick only the last one matters
        # (a join storm otherwise sends everyone one per arrival).
        counts = [i for i, f in enumerate(everything) if f.seq is None and f.text.startswith(DONE_CHANGED)]
        stale = set(counts[:-1])
        frames = [frame for i, frame in enumerate(everything) if i not in stale] if stale else everything
        # Which form of each two-form event a socket gets depends only on whether it is a
        # facilitator and on its author tag, when some event of the tick names that tag
        # (Member.text_for): that pair is its view, found without looking at each event.
        tags = {frame.audience.removeprefix(ONLY) for frame in frames
                if frame.redacted is not None and frame.audience is not None and frame.audience != FACILITATORS}
        views: dict[tuple[bool, str | None], Batch] = {}
        for member in list(room.members):
            if member.hurried:  # it got the start of this tick early, or entered after it began
                rest = [frame for i, frame in enumerate(everything) if i >= member.hurried and i not in stale]
                member.hurried = 0
                if rest:
                    member.outbox.put(Batch.of(tuple((frame.seq, member.text_for(frame)) for frame in rest)))
                continue
            view = (member.facilitator, member.author_tag if member.author_tag in tags else None)
            batch = views.get(view)
            if batch is None:
                batch = views[view] = Batch.of(tuple((frame.seq, member.text_for(frame)) for frame in frames))
            member.outbox.put(batch)

    @staticmethod
    def _control(room: _Room, frame: Frame) -> bool:
        """Apply a control message to this process's sockets; True when the "done" counts changed."""
        action, _, public_id = (frame.audience or "")[1:].partition(":")
        recount = False
        if action == "revoke":
            for member in room.members:
                if member.facilitator_version is not None and member.facilitator_version < int(frame.text):
                    member.outbox.close(CLOSE_REVOKED)
            return False
        for member in room.members:
            if member.public_id != public_id:
                continue
            if action == "remove":
                member.outbox.close(CLOSE_REMOVED)
            elif action == "role":
                facilitator = frame.text == "facilitator"
                recount = recount or member.facilitator != facilitator
                _count(room, member, -1)
                member.facilitator = facilitator
                _count(room, member, 1)
                if facilitator:  # facilitators are not among those who say they are done
                    room.done.discard(public_id)
        return recount


def _count(room: _Room, member: Member, step: int) -> None:
    """Count a socket in (`step` 1) or out (-1) of the room's per-person tallies."""
    tallies = (room.sockets,) if member.facilitator else (room.sockets, room.participants)
    for tally in tallies:
        left = tally.get(member.public_id, 0) + step
        if left > 0:
            tally[member.public_id] = left
        else:
            tally.pop(member.public_id, None)


def _role(member: Member) -> str:
    return "facilitator" if member.facilitator else "participant"


def _person(member: Member) -> dict[str, str | bool]:
    """A person as presence shows them; `creator` only on the room's creator."""
    person: dict[str, str | bool] = {"id": member.public_id, "name": member.name, "role": _role(member)}
    if member.creator:
        person["creator"] = True
    return person
