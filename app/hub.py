"""Fan-out inside one process: one subscription per room, one outbox per socket.

Each room event is encoded once, by the service, and the same string goes to every
socket allowed to read it. Some events have two forms: the full one for their
audience (the facilitators, and the author for a private idea) and a redacted one,
with the same `seq`, for everyone else (see `outbox.Frame`).

Events are not sent one by one: a room gathers those of one tick (`TICK_SECONDS`) and
sends them as one frame (a JSON array) per socket, built once for all the sockets that
see the room alike; a private-writing tick has one such view per author plus the common one.

Control messages (audience starting with "!") change sockets rather than reach pages:
a removed participant's sockets close, a new co-facilitator's sockets see everything,
and a regenerated facilitator link closes the sockets opened with an earlier one.
Presence and "done" travel as control messages too, so that every process serving a
room agrees on them (see `presence`); the "done" counts go to pages once per tick.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from functools import partial

from .outbox import FACILITATORS, ONLY, Batch, Frame, Member, Outbox
from .presence import Person, Roster
from .protocol import encode
from .pubsub import Broadcast

__all__ = ["FACILITATORS", "ONLY", "Batch", "Frame", "Member", "Outbox", "RoomHub"]
log = logging.getLogger("essaim.hub")
CLOSE_REMOVED = 4003
CLOSE_RESYNC = 1012  # "service restart": reconnect, and catch up by seq
CLOSE_REVOKED = 4001  # opened with a facilitator link since regenerated: reconnect, the token decides
# A room sends at most one batch of events per tick. Longer sends fewer frames (each
# costs a trip down the send chain, a websocket frame and a system call per socket, whatever its
# size), shorter answers sooner: 50 ms is below what a person notices, and a room of
# 1,000 then gets at most 20 frames a second per socket however fast ideas come. An
# event that comes after a quiet tick leaves at once (with whatever the same loop
# iteration brings), so a calm room pays no delay.
TICK_SECONDS = 0.05
# A big room ticks less often: its fan-out is a frame per socket per tick, and at 1,000
# sockets twenty ticks a second kept the event loop busy most of the time, so commands
# waited behind the sends. From `TICK_MEMBERS` sockets on the tick grows with the room, up to
# `TICK_MAX_SECONDS`; authors still hear their own events at once (`hurry`).
TICK_MEMBERS = 250
TICK_MAX_SECONDS = 0.2
# Several processes publish a room's events, and one committed first may reach the broker
# second. A process holds an event that comes ahead of a missing one this long, then lets it
# go (the page sees the hole and asks the database for it): pages get events in seq order.
HOLD_SECONDS = 0.5
PRESENCE = frozenset({"in", "out", "here", "hello", "done", "undone", "done-reset"})


class _Room:
    def __init__(self) -> None:
        self.members: set[Member] = set()
        self.roster = Roster()
        self.ready = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.beat: asyncio.Task[None] | None = None  # restates who is here, with several processes
        self.pending: list[Frame] = []  # this tick's events, not sent yet
        self.counts_changed = False  # the "done" counts go with the next tick
        self.tick: asyncio.Handle | None = None
        self.flushed_at = 0.0  # loop time of the last batch sent
        self.expected: int | None = None  # the seq that comes next, once one has come
        self.held: dict[int, list[Frame]] = {}  # events that came ahead of a missing one
        self.hold: asyncio.Handle | None = None


class RoomHub:
    def __init__(self, broadcast: Broadcast, beat_seconds: float = 10.0) -> None:
        self._broadcast = broadcast
        self._beat_seconds = beat_seconds  # with several processes, how often each says who is here
        self._rooms: dict[str, _Room] = {}
        self._proc = secrets.token_hex(6)  # this process, as the others hear of it
        self._shared = broadcast.shared

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
            if self._shared:
                room.beat = asyncio.create_task(self._beat(room_id, room), name=f"beat:{room_id[:6]}")
        await room.ready.wait()
        first = not room.roster.here_locally(member.public_id)
        # What was published before it entered is not for it: it skips the frames pending now
        # (flushing the room here instead would send a frame to everyone at every arrival).
        member.hurried = len(room.pending)
        member.outbox.before_push = partial(self._hurry, room, member)
        room.members.add(member)
        room.roster.count(member.public_id, member.facilitator, 1)
        if first:
            participant = "0" if member.facilitator else "1"
            await self.publish(room_id, Frame(None, encode({"type": "presence.joined", **_person(member)}),
                                              audience=f"!in:{self._proc}:{participant}:{member.public_id}"))

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
        room.roster.count(member.public_id, member.facilitator, -1)
        if not room.roster.here_locally(member.public_id):
            await self.publish(room_id, Frame(None, encode({"type": "presence.left", **_person(member)}),
                                              audience=f"!out:{self._proc}:{member.public_id}"))
        if not room.members and self._rooms.get(room_id) is room:
            self._rooms.pop(room_id, None)
            for handle in (room.tick, room.task, room.beat, room.hold):
                if handle is not None:
                    handle.cancel()

    def present(self, room_id: str) -> list[Person]:
        """One entry per person (not per socket): `{id, name, role}`, and `creator: true` for the creator."""
        return [json.loads(text) for text in self._present(room_id)]

    def present_json(self, room_id: str) -> str:
        """`present` as the JSON array a snapshot carries. Each socket's entry is encoded once and
        kept (`Member.shown`): in a join storm every arrival's snapshot lists everyone already
        there, and encoding that list anew for each one was most of a join's cost on the loop."""
        return f"[{','.join(self._present(room_id))}]"

    def _present(self, room_id: str) -> list[str]:
        room = self._rooms.get(room_id)
        if room is None:
            return []
        seen: dict[str, Member] = {}
        for member in room.members:  # a person's facilitator socket speaks for them
            if member.public_id not in seen or (member.facilitator and not seen[member.public_id].facilitator):
                seen[member.public_id] = member
        texts = {public_id: _shown(member) for public_id, member in seen.items()}
        for public_id, person in room.roster.remote_people().items():
            if public_id not in seen or (person.get("role") == "facilitator" and not seen[public_id].facilitator):
                texts[public_id] = encode(person)
        return list(texts.values())

    def done_counts(self, room_id: str) -> dict[str, int]:
        room = self._rooms.get(room_id)
        return {"done": 0, "present": 0} if room is None else room.roster.counts()

    async def set_done(self, room_id: str, member: Member, done: bool) -> None:
        if room_id in self._rooms:
            await self.publish(room_id, Frame(None, "", audience=f"!{'done' if done else 'undone'}:{member.public_id}"))

    async def reset_done(self, room_id: str) -> None:
        await self.publish(room_id, Frame(None, "", audience="!done-reset:"))

    async def remove(self, room_id: str, public_id: str) -> None:
        await self.publish(room_id, Frame(None, "", audience=f"!remove:{public_id}"))

    async def set_role(self, room_id: str, public_id: str, role: str) -> None:
        await self.publish(room_id, Frame(None, role, audience=f"!role:{public_id}"))

    async def revoke(self, room_id: str, version: int) -> None:
        """Close the sockets whose token came from a facilitator link older than `version`."""
        await self.publish(room_id, Frame(None, str(version), audience="!revoke:"))

    def sockets(self) -> int:
        return sum(len(room.members) for room in self._rooms.values())

    async def _pump(self, room_id: str, room: _Room) -> None:
        async with self._broadcast.subscribe(self.channel(room_id)) as subscriber:
            room.ready.set()
            if self._shared:  # the processes already serving the room say who is there
                await self.publish(room_id, Frame(None, "", audience=f"!hello:{self._proc}"))
            async for message in subscriber:
                frame = Frame.unpack(message)
                if not (frame.audience and frame.audience.startswith("!")):
                    self._in_order(room, frame)
                    continue
                action, _, rest = frame.audience[1:].partition(":")
                if action in PRESENCE:
                    await self._heard(room_id, room, action, rest, frame.text)
                    continue
                self._flush(room)  # what was published before the change goes out under the old rules
                if self._control(room, action, rest, frame.text):
                    self._recount(room)
        # The subscription ended under us (the broker was lost, or the server stops): whatever
        # was published meanwhile may never come, so every socket goes and its page resyncs.
        self._flush(room)
        if self._rooms.get(room_id) is room:
            self._rooms.pop(room_id, None)
        for handle in (room.beat, room.hold):
            if handle is not None:
                handle.cancel()
        for member in list(room.members):
            member.outbox.close(CLOSE_RESYNC)

    def _in_order(self, room: _Room, frame: Frame) -> None:
        """Queue a room event in seq order, holding it for a while if one before it is missing."""
        if frame.seq is None or room.expected is None or frame.seq <= room.expected:
            self._queue(room, frame)  # in order, or late: a page drops a seq it already has
            if frame.seq is not None and (room.expected is None or frame.seq >= room.expected):
                room.expected = frame.seq + 1
                self._release(room, waited=False)
            return
        room.held.setdefault(frame.seq, []).append(frame)
        if room.hold is None:
            room.hold = asyncio.get_running_loop().call_later(HOLD_SECONDS, self._release, room)

    def _release(self, room: _Room, waited: bool = True) -> None:
        """Queue the held events that now follow on; after the wait, all of them, hole or not."""
        while room.held and (waited or room.expected in room.held):
            seq = room.expected if room.expected in room.held else min(room.held)
            for frame in room.held.pop(seq):
                self._queue(room, frame)
            room.expected = seq + 1
        if not room.held and room.hold is not None:
            room.hold.cancel()
            room.hold = None

    def _queue(self, room: _Room, frame: Frame) -> None:
        room.pending.append(frame)
        self._schedule(room)

    def _recount(self, room: _Room) -> None:
        """The "done" counts may have changed: one frame with the whole count ends the tick
        (a join storm would otherwise send everyone one per arrival)."""
        room.counts_changed = True
        self._schedule(room)

    def _schedule(self, room: _Room) -> None:
        """The first frame of a tick schedules it."""
        if room.tick is None:
            loop = asyncio.get_running_loop()
            wait = room.flushed_at + _tick(len(room.members)) - loop.time()
            room.tick = loop.call_later(wait, self._flush, room) if wait > 0 else loop.call_soon(self._flush, room)

    async def _heard(self, room_id: str, room: _Room, action: str, rest: str, text: str) -> None:
        """A presence or "done" message, from this process or another one."""
        roster, now = room.roster, asyncio.get_running_loop().time()
        proc, _, detail = rest.partition(":")
        own = proc == self._proc
        if action == "in":
            participant, _, public_id = detail.partition(":")
            person = None if own else _parsed_person(text)
            if (not roster.elsewhere(public_id)) if own else roster.heard_in(proc, person, participant == "1", now):
                self._queue(room, Frame(None, text))
        elif action == "out":
            if roster.own_out(detail) if own else roster.heard_out(proc, detail, now):
                self._queue(room, Frame(None, text))
        elif action == "here" and not own:
            said = json.loads(text)
            joined, left = roster.heard_here(proc, [(p, bool(part)) for p, part in said["people"]], said["done"], now)
            for kind, people in (("presence.joined", joined), ("presence.left", left)):
                for person in people:
                    self._queue(room, Frame(None, encode({"type": kind, **person})))
        elif action == "hello" and not own:
            await self._say_here(room_id, room)
            return
        elif action in ("done", "undone"):
            (roster.done.add if action == "done" else roster.done.discard)(rest)
        elif action == "done-reset":
            roster.done.clear()
        else:
            return
        self._recount(room)

    async def _say_here(self, room_id: str, room: _Room) -> None:
        people: dict[str, list[Person | int]] = {}
        for member in room.members:
            entry = people.setdefault(member.public_id, [_person(member), 0])
            if member.facilitator:
                entry[0]["role"] = "facilitator"  # type: ignore[index]
            else:
                entry[1] = 1
        said = encode({"people": list(people.values()), "done": sorted(room.roster.done)})
        await self.publish(room_id, Frame(None, said, audience=f"!here:{self._proc}"))

    async def _beat(self, room_id: str, room: _Room) -> None:
        """With several processes: restate who is here now and then; forget the silent ones."""
        await room.ready.wait()
        while True:
            await asyncio.sleep(self._beat_seconds)
            try:
                await self._say_here(room_id, room)
            except Exception as error:  # the broker is down: the pump ends and sockets resync
                log.warning("presence not restated: %s", type(error).__name__)
            left = room.roster.forget_silent(asyncio.get_running_loop().time(), self._beat_seconds)
            for person in left:
                self._queue(room, Frame(None, encode({"type": "presence.left", **person})))
            if left:
                self._recount(room)

    @staticmethod
    def _flush(room: _Room) -> None:
        """Send this tick's events: one batch per view of the room, the same object for every socket of a view."""
        if room.tick is not None:
            room.tick.cancel()
            room.tick = None
        frames, room.pending = room.pending, []
        if room.counts_changed:  # after the tick's frames, so after any socket hurried through them
            room.counts_changed = False
            frames.append(Frame(None, encode({"type": "done.changed", **room.roster.counts()})))
        if not frames:
            return
        room.flushed_at = asyncio.get_running_loop().time()
        # Which form of each two-form event a socket gets depends only on whether it is a
        # facilitator and on its author tag, when some event of the tick names that tag
        # (Member.text_for): that pair is its view, found without looking at each event.
        tags = {frame.audience.removeprefix(ONLY) for frame in frames
                if frame.redacted is not None and frame.audience is not None and frame.audience != FACILITATORS}
        views: dict[tuple[bool, str | None], Batch] = {}
        for member in list(room.members):
            if member.hurried:  # it got the start of this tick early, or entered after it began
                rest, member.hurried = frames[member.hurried:], 0
                if rest:
                    member.outbox.put(Batch.of(tuple((frame.seq, member.text_for(frame)) for frame in rest)))
                continue
            view = (member.facilitator, member.author_tag if member.author_tag in tags else None)
            batch = views.get(view)
            if batch is None:
                batch = views[view] = Batch.of(tuple((frame.seq, member.text_for(frame)) for frame in frames))
            member.outbox.put(batch)

    @staticmethod
    def _control(room: _Room, action: str, public_id: str, text: str) -> bool:
        """Apply a control message to this process's sockets; True when the "done" counts changed."""
        if action == "revoke":
            for member in room.members:
                if member.facilitator_version is not None and member.facilitator_version < int(text):
                    member.outbox.close(CLOSE_REVOKED)
            return False
        if action == "role":
            room.roster.set_role(public_id, text)
        recount = action == "role"
        for member in room.members:
            if member.public_id != public_id:
                continue
            if action == "remove":
                member.outbox.close(CLOSE_REMOVED)
            elif action == "role":
                room.roster.count(member.public_id, member.facilitator, -1)
                member.facilitator = text == "facilitator"
                member.shown = ""
                room.roster.count(member.public_id, member.facilitator, 1)
        return recount


def _tick(sockets: int) -> float:
    """How long a room of this many sockets gathers events before sending them."""
    return min(TICK_MAX_SECONDS, TICK_SECONDS * max(1.0, sockets / TICK_MEMBERS))


def _parsed_person(text: str) -> Person:
    person = json.loads(text)
    person.pop("type", None)
    return person


def _shown(member: Member) -> str:
    if not member.shown:
        member.shown = encode(_person(member))
    return member.shown


def _person(member: Member) -> Person:
    """A person as presence shows them; `creator` only on the room's creator."""
    person: Person = {"id": member.public_id, "name": member.name,
                      "role": "facilitator" if member.facilitator else "participant"}
    if member.creator:
        person["creator"] = True
    return person
