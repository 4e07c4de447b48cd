"""Per-room orchestration: load -> rules -> commit -> publish. No Starlette here.

Commands run inside the single writer's transaction (see `db.Writer`), so the
facts the rules see, the change, the op record and the room's next `seq` are
committed together; the event is published only after that commit.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from . import auth, domain, limits, phases, store, text
from .db import Writer, storage_error
from .errors import Rejection
from .events import Event
from .hub import Frame, RoomHub
from .protocol import VERSION, Command, IdeaAdd, IdeaDelete, IdeaEdit, encode
from .workshop_templates import Template

T = TypeVar("T")


@dataclass(frozen=True)
class Committed:
    seq: int
    payload: str  # the event frame as broadcast
    duplicate: bool = False  # the op_id was seen before: nothing new happened


@dataclass(frozen=True)
class Identity:
    room_id: str
    participant_id: str
    public_id: str
    name: str
    role: str


@dataclass(frozen=True)
class NewRoom:
    room_id: str
    facilitator_id: str


Outcome = Committed | Rejection


class Service:
    def __init__(self, writer: Writer, reader: Engine, hub: RoomHub,
                 templates: dict[str, Template], clock: Callable[[], float] = time.time) -> None:
        self.writer = writer
        self.reader = reader
        self.hub = hub
        self.templates = templates
        self.clock = clock

    async def _read(self, fn: Callable[[Connection], T]) -> T:
        def run() -> T:
            with self.reader.begin() as conn:  # one read transaction: a consistent view
                return fn(conn)
        try:
            return await asyncio.to_thread(run)
        except (DBAPIError, sqlite3.Error) as exc:
            raise storage_error(exc) from exc

    # -- workshops and people ------------------------------------------------------------

    async def create_room(self, title: str, template_id: str, lang: str, facilitator_name: str) -> NewRoom | Rejection:
        template = self.templates.get(template_id)
        if template is None:
            return Rejection("protocol.invalid", {"field": "template"})
        cleaned = clean_title(title)
        name = clean_name(facilitator_name)
        if isinstance(cleaned, Rejection) or isinstance(name, Rejection):
            return cleaned if isinstance(cleaned, Rejection) else name  # type: ignore[return-value]
        now, room_id, facilitator_id = self.clock(), auth.new_room_id(), auth.new_id()
        room = {"id": room_id, "title": cleaned, "template": template.id, "lang": lang,
                "phase": phases.INITIAL_PHASE, "seq": 0, "facilitator_version": 1,
                "author_key": auth.new_secret(), "settings": json.dumps(template.settings),
                "created_at": now, "updated_at": now}
        prompts = [{"id": auth.new_id(), "room_id": room_id, "position": i, "title": t}
                   for i, t in enumerate(template.prompt_titles(lang))]
        facilitator = {"id": facilitator_id, "room_id": room_id, "public_id": auth.new_id(),
                       "name": name, "role": "facilitator", "removed": False, "created_at": now}

        def run(conn: Connection) -> None:
            store.insert_room(conn, room, prompts)
            store.insert_participant(conn, facilitator)
        await self.writer.submit(run)
        return NewRoom(room_id, facilitator_id)

    async def join(self, room_id: str, name: str) -> Identity | Rejection | None:
        """Add a participant; None when the workshop does not exist."""
        cleaned = clean_name(name)
        if isinstance(cleaned, Rejection):
            return cleaned
        person = {"id": auth.new_id(), "room_id": room_id, "public_id": auth.new_id(), "name": cleaned,
                  "role": "participant", "removed": False, "created_at": self.clock()}

        def run(conn: Connection) -> Identity | Rejection | None:
            if store.room(conn, room_id) is None:
                return None
            if store.count_participants(conn, room_id) >= limits.PARTICIPANTS_PER_ROOM:
                return Rejection("room.full", {"max": limits.PARTICIPANTS_PER_ROOM})
            store.insert_participant(conn, person)
            return Identity(room_id, person["id"], person["public_id"], cleaned, "participant")
        return await self.writer.submit(run)

    async def room(self, room_id: str) -> Any | None:
        return await self._read(lambda conn: store.room(conn, room_id))

    async def identity(self, grant: auth.Grant) -> Identity | None:
        """Who a token speaks for, if that person is still in the room with those rights."""
        def run(conn: Connection) -> Identity | None:
            room = store.room(conn, grant.room_id)
            person = store.participant(conn, grant.room_id, grant.participant_id)
            if room is None or person is None or person.removed:
                return None
            if grant.facilitator_version is not None and (
                    person.role != "facilitator" or grant.facilitator_version != room.facilitator_version):
                return None
            return Identity(room.id, person.id, person.public_id, person.name, person.role)
        return await self._read(run)

    # -- commands ------------------------------------------------------------------------

    async def execute(self, who: Identity, command: Command) -> Outcome:
        now, new_id = self.clock(), auth.new_id()

        async def publish(outcome: Outcome) -> None:
            if isinstance(outcome, Committed) and not outcome.duplicate:
                await self.hub.publish(who.room_id, Frame(outcome.seq, outcome.payload))
        return await self.writer.submit(lambda conn: self._run(conn, who, command, now, new_id), publish)

    def _run(self, conn: Connection, who: Identity, command: Command, now: float, new_id: str) -> Outcome:
        if (prior := store.recorded_op(conn, who.room_id, who.participant_id, command.op_id)) is not None:
            return Committed(json.loads(prior)["seq"], prior, duplicate=True)
        room = store.room(conn, who.room_id)
        person = store.participant(conn, who.room_id, who.participant_id)
        if room is None or person is None or person.removed:
            return Rejection("auth.forbidden")
        actor = domain.Actor(person.id, auth.author_tag(room.author_key, person.id), person.role)
        facts = domain.RoomFacts(room.phase, store.count_ideas(conn, room.id))
        event = self._decide(conn, room.id, command, actor, facts, now, new_id)
        if isinstance(event, Rejection):
            return event
        store.apply(conn, room.id, event)
        seq = store.next_seq(conn, room.id, now)
        payload = encode({**event.wire(), "seq": seq, "op_id": command.op_id})
        store.record_event(conn, room.id, seq, participant_id=person.id, op_id=command.op_id,
                           subject=getattr(event, "idea", None), payload=payload, at=now)
        return Committed(seq, payload)

    @staticmethod
    def _decide(conn: Connection, room_id: str, command: Command, actor: domain.Actor,
                room: domain.RoomFacts, now: float, new_id: str) -> Event | Rejection:
        if isinstance(command, IdeaAdd):
            return domain.add_idea(command, actor, room, store.prompt_exists(conn, room_id, command.prompt),
                                   store.count_ideas(conn, room_id, actor.id), new_id, now)
        idea = _idea_facts(store.idea(conn, room_id, command.idea))
        if isinstance(command, IdeaEdit):
            return domain.edit_idea(command, actor, room, idea, now)
        if isinstance(command, IdeaDelete):
            return domain.delete_idea(command, actor, room, idea)
        raise TypeError(type(command))  # pragma: no cover - the parser admits nothing else

    # -- what a socket is sent ------------------------------------------------------------

    async def snapshot(self, who: Identity) -> tuple[int, str]:
        def run(conn: Connection) -> dict[str, Any]:
            room = store.room(conn, who.room_id)
            assert room is not None
            key = room.author_key
            return {
                "type": "snapshot", "v": VERSION, "seq": room.seq,
                "room": {"id": room.id, "title": room.title, "phase": room.phase, "template": room.template},
                "prompts": [{"id": p.id, "title": p.title} for p in store.prompts(conn, room.id)],
                "ideas": [{"idea": i.id, "prompt": i.prompt_id, "author": auth.author_tag(key, i.author_id),
                           "text": i.text, "colour": i.colour, "at": i.created_at}
                          for i in store.ideas(conn, room.id)],
                "me": {"id": who.public_id, "author": auth.author_tag(key, who.participant_id),
                       "name": who.name, "role": who.role},
            }
        frame = await self._read(run)
        frame["present"] = self.hub.present(who.room_id)
        return frame["seq"], encode(frame)

    async def catch_up(self, room_id: str, since: int) -> tuple[int, list[str]] | None:
        """Events after `since` with the last seq, or None when a snapshot is the better answer."""
        def run(conn: Connection) -> tuple[int, list[str]] | None:
            room = store.room(conn, room_id)
            if room is None or since > room.seq:
                return None
            rows = store.events_since(conn, room_id, since, limits.CATCH_UP_MAX_EVENTS)
            # Same read transaction: the rows are exactly the events up to room.seq.
            return None if rows is None else (room.seq, rows)
        return await self._read(run)


def _idea_facts(row: Any | None) -> domain.IdeaFacts | None:
    return None if row is None else domain.IdeaFacts(row.id, row.author_id, row.text, row.colour)


def clean_name(raw: str) -> str | Rejection:
    return _clean_line(raw, "name", limits.PSEUDONYM_MAX)


def clean_title(raw: str) -> str | Rejection:
    return _clean_line(raw, "title", limits.ROOM_TITLE_MAX)


def _clean_line(raw: str, field: str, maximum: int) -> str | Rejection:
    if not isinstance(raw, str) or len(raw) > maximum * 8:
        return Rejection("text.too_long", {"field": field, "max": maximum})
    cleaned = text.clean(raw)
    if not cleaned:
        return Rejection("text.empty", {"field": field})
    if len(cleaned) > maximum:
        return Rejection("text.too_long", {"field": field, "max": maximum})
    return cleaned
