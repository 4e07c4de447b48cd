"""Per-room orchestration: load -> rules -> commit -> publish. No Starlette here.

Commands run inside the single writer's transaction (see `db.Writer` and `commands`),
so the facts the rules see, the change, the op record and the room's next `seq` are
committed together; the event is published only after that commit.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from . import auth, commands, erasure, export, importer, limits, phases, similar, store, voting
from .domain import checked_text
from .commands import Committed, Outcome
from .db import Reader, Writer, storage_error
from .errors import Rejection
from .events import ParticipantRemoved, ParticipantRoleChanged, PhaseChanged
from .hub import ONLY, Frame, RoomHub
from .protocol import VERSION, Command, encode
from .room_settings import RoomSettings
from .timer import Timer
from .visibility import private_now, sees_idea, tallies_shown
from .workshop_templates import Template

T = TypeVar("T")
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no I, L, O, 0, 1: nothing to confuse
CODE_LENGTH = 6

__all__ = ["Committed", "Identity", "NewRoom", "Outcome", "Service"]


@dataclass(frozen=True)
class Identity:
    room_id: str
    participant_id: str
    public_id: str
    name: str
    role: str
    author_tag: str = ""
    creator: bool = False  # the room's creator, the lead facilitator (see `facilitation._other_person`)
    facilitator_version: int | None = None  # the link version the token carries, if it came from one


@dataclass(frozen=True)
class NewRoom:
    room_id: str
    facilitator_id: str


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class Service:
    def __init__(self, writer: Writer, reader: Reader, hub: RoomHub,
                 templates: dict[str, Template], clock: Callable[[], float] = time.time) -> None:
        self.writer = writer
        self.reader = reader
        self.hub = hub
        self.templates = templates
        self.clock = clock
        self._erasing: set[asyncio.Task[bool]] = set()  # WAL checkpoints after a person left

    async def _read(self, fn: Callable[[Connection], T]) -> T:
        try:
            return await self.reader.run(fn)
        except (DBAPIError, sqlite3.Error) as exc:
            raise storage_error(exc) from exc

    # -- workshops and people ------------------------------------------------------------

    async def create_room(self, title: str, template_id: str, lang: str, facilitator_name: str,
                          phase: str = phases.INITIAL_PHASE) -> NewRoom | Rejection:
        template = self.templates.get(template_id)
        if template is None:
            return Rejection("protocol.invalid", {"field": "template"})
        cleaned, name = clean_title(title), clean_name(facilitator_name)
        if isinstance(cleaned, Rejection):
            return cleaned
        if isinstance(name, Rejection):
            return name
        now, room_id, facilitator_id = self.clock(), auth.new_room_id(), auth.new_id()
        room = {"id": room_id, "title": cleaned, "template": template.id, "lang": lang,
                "phase": phase, "seq": 0, "facilitator_version": 1,
                "author_key": auth.new_secret(), "settings": RoomSettings.load(template.settings).json(),
                "timer": json.dumps(Timer().dump()), "created_at": now, "updated_at": now}
        prompts = [{"id": auth.new_id(), "room_id": room_id, "position": i, "title": t}
                   for i, t in enumerate(template.prompt_titles(lang))]
        facilitator = {"id": facilitator_id, "room_id": room_id, "public_id": auth.new_id(),
                       "name": name, "role": "facilitator", "removed": False, "created_at": now,
                       "creator": True}
        for _attempt in range(5):  # a short code may already be taken
            try:
                await self.writer.submit(lambda conn: _insert_room(conn, {**room, "code": new_code()},
                                                                   prompts, facilitator))
                return NewRoom(room_id, facilitator_id)
            except IntegrityError:
                continue
        raise RuntimeError("no free short code")  # pragma: no cover - 887 million codes

    async def join(self, room_id: str, name: str) -> Identity | Rejection | None:
        """Add a participant; None when the workshop does not exist."""
        cleaned = clean_name(name)
        if isinstance(cleaned, Rejection):
            return cleaned
        person = {"id": auth.new_id(), "room_id": room_id, "public_id": auth.new_id(), "name": cleaned,
                  "role": "participant", "removed": False, "created_at": self.clock(), "creator": False}

        def run(conn: Connection) -> Identity | Rejection | None:
            store.lock_room(conn, room_id)  # the count of participants holds until commit
            room = store.room(conn, room_id)
            if room is None:
                return None
            if RoomSettings.load(room.settings).locked:
                return Rejection("room.locked")
            if store.count_participants(conn, room_id) >= limits.PARTICIPANTS_PER_ROOM:
                return Rejection("room.full", {"max": limits.PARTICIPANTS_PER_ROOM})
            store.insert_participant(conn, person)
            return Identity(room_id, person["id"], person["public_id"], cleaned, "participant",
                            auth.author_tag(room.author_key, person["id"]))
        return await self.writer.submit(run)

    async def room(self, room_id: str) -> Any | None:
        return await self._read(lambda conn: store.room(conn, room_id))

    async def room_by_code(self, code: str) -> Any | None:
        """The open workshop with this short code (a closed workshop's code stops working)."""
        row = await self._read(lambda conn: store.room_by_code(conn, code))
        return None if row is None or row.phase == "closed" else row

    async def regenerate_facilitator_link(self, room_id: str) -> int:
        """A new link version: tokens of earlier links are refused, and their open sockets closed."""
        version = await self.writer.submit(lambda conn: store.bump_facilitator_version(conn, room_id))
        await self.hub.revoke(room_id, version)
        return version

    async def creator(self, room_id: str) -> str | None:
        """The public id of the room's creator, so that pages can tell them apart."""
        return await self._read(lambda conn: store.creator_public_id(conn, room_id))

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
            return Identity(room.id, person.id, person.public_id, person.name, person.role,
                            auth.author_tag(room.author_key, person.id), bool(person.creator),
                            grant.facilitator_version)
        return await self._read(run)

    async def people(self, who: Identity) -> list[dict[str, Any]] | None:
        """Everyone still in the room, online or not, for its facilitators (None for anyone else):
        removing or appointing someone who closed their tab, and `author`, the tag their ideas
        carry, so that a facilitator may see who wrote what without the room seeing it."""
        def run(conn: Connection) -> list[dict[str, Any]] | None:
            room, me = store.room(conn, who.room_id), store.participant(conn, who.room_id, who.participant_id)
            if room is None or me is None or me.removed or me.role != "facilitator":
                return None
            return [{"id": p.public_id, "name": p.name, "role": p.role, "creator": bool(p.creator),
                     "author": auth.author_tag(room.author_key, p.id)}
                    for p in store.participants(conn, room.id) if not p.removed]
        return await self._read(run)

    # -- commands ------------------------------------------------------------------------

    async def execute(self, who: Identity, command: Command) -> Outcome:
        now, new_id = self.clock(), auth.new_id()

        async def publish(outcome: Outcome) -> None:
            if isinstance(outcome, Committed) and not outcome.duplicate:
                await self.hub.publish(who.room_id, Frame(outcome.seq, outcome.payload, outcome.redacted,
                                                          outcome.audience))
                await self._after(who.room_id, outcome)
        return await self.writer.submit(
            lambda conn: commands.run(conn, who.room_id, who.participant_id, command, now, new_id), publish)

    async def _after(self, room_id: str, outcome: Committed) -> None:
        """What sockets must do once an event is out: reset "done", close, change rights."""
        event = outcome.event
        if isinstance(event, PhaseChanged):
            await self.hub.reset_done(room_id)
        elif isinstance(event, ParticipantRemoved):
            await self.hub.remove(room_id, event.public_id)
            if event.left:  # no copy of the erased pages may stay in the WAL; the writer goes on meanwhile
                from .purge import checkpoint  # (purge imports this module)
                task = asyncio.create_task(asyncio.to_thread(checkpoint, self.writer.engine))
                self._erasing.add(task)
                task.add_done_callback(self._erasing.discard)
        elif isinstance(event, ParticipantRoleChanged):
            await self.hub.set_role(room_id, event.public_id, event.role)

    # -- what a socket is sent ------------------------------------------------------------

    async def snapshot(self, who: Identity) -> tuple[int, str]:
        frame = await self._read(lambda conn: self._snapshot(conn, who))
        frame["done"] = self.hub.done_counts(who.room_id)  # {done, present}, as done.changed carries
        # The list of those present goes in already encoded (`RoomHub.present_json`).
        return frame["seq"], f'{encode(frame)[:-1]},"present":{self.hub.present_json(who.room_id)}}}'

    def _snapshot(self, conn: Connection, who: Identity) -> dict[str, Any]:
        room = store.room(conn, who.room_id)
        person = store.participant(conn, who.room_id, who.participant_id)
        assert room is not None
        role = person.role if person is not None else who.role
        settings = RoomSettings.load(room.settings)
        private = private_now(room.phase, settings)
        names = {p.id: p.name for p in store.participants(conn, room.id)} if settings.show_authors else {}
        # A private view gets no clusters: their titles may quote others' ideas.
        grouped = not private or role == "facilitator"
        ideas = []
        for row in store.ideas(conn, room.id):
            if sees_idea(viewer_id=who.participant_id, facilitator=role == "facilitator",
                         author_id=row.author_id, hidden=row.hidden, private=private):
                idea = commands.idea_added(room, row, names.get(row.author_id)).wire()
                idea.pop("type")
                idea.update(cluster=row.cluster_id if grouped else None, position=row.position)
                if row.hidden:
                    idea["hidden"] = True
                ideas.append({**idea, **_provenance(row)})
        clusters = [{"cluster": c.id, "prompt": c.prompt_id, "title": c.title, "named": c.named,
                     "position": c.position, **_provenance(c)} for c in store.clusters(conn, room.id)] if grouped else []
        return {
            "type": "snapshot", "v": VERSION, "seq": room.seq, "now": self.clock(),
            "room": {"id": room.id, "title": room.title, "phase": room.phase, "template": room.template,
                     "settings": settings.dump(), "timer": json.loads(room.timer or "{}") or Timer().dump(),
                     "code": room.code, "sources": json.loads(room.sources or "[]")},
            "prompts": [{"id": p.id, "title": p.title} for p in store.prompts(conn, room.id)],
            "ideas": ideas, "clusters": clusters, "tallies": store.tally(conn, room.id),
            "actions": [action_wire(a) for a in store.actions(conn, room.id)] if grouped else [],
            "votes": self._votes(conn, room, settings, who.participant_id),
            "me": {"id": who.public_id, "author": who.author_tag, "name": who.name, "role": role},
        }

    @staticmethod
    def _votes(conn: Connection, room: Any, settings: RoomSettings, participant_id: str) -> dict[str, Any]:
        """My dots always; everyone's totals only when the room shows them (`voting.live`)."""
        mine, totals, voters = store.vote_summary(conn, room.id, participant_id)
        return {"mine": mine, "voters": voters, "totals": totals if voting.live(room.phase, settings) else None}

    async def catch_up(self, who: Identity, since: int) -> tuple[int, list[str]] | None:
        """Events after `since` as this reader may see them, with the last seq; None: send a snapshot."""
        def run(conn: Connection) -> tuple[int, list[str]] | None:
            room = store.room(conn, who.room_id)
            person = store.participant(conn, who.room_id, who.participant_id)
            if room is None or person is None or since > room.seq:
                return None
            rows = store.events_since(conn, who.room_id, since, limits.CATCH_UP_MAX_EVENTS)
            if rows is None:
                return None
            facilitator = person.role == "facilitator"
            hidden = frozenset() if facilitator else store.layout(conn, who.room_id).hidden
            # Same read transaction: the rows are exactly the events up to room.seq.
            return room.seq, [_unless_hidden(row.payload if _privileged(row.audience, who.participant_id, facilitator)
                                             else row.redacted, hidden) for row in rows]
        return await self._read(run)

    async def similar(self, who: Identity) -> list[similar.Pair] | None:
        """Near-duplicate hints for a page that sees every idea; None in a private view."""
        def run(conn: Connection) -> list[similar.Item] | None:
            room = store.room(conn, who.room_id)
            person = store.participant(conn, who.room_id, who.participant_id)
            if room is None or person is None:
                return None
            if private_now(room.phase, RoomSettings.load(room.settings)) and person.role != "facilitator":
                return None
            items = [similar.Item(r.id, "idea", r.text, r.cluster_id, r.source)
                     for r in store.ideas(conn, room.id) if not r.hidden]
            return items + [similar.Item(c.id, "cluster", c.title, source=c.source)
                            for c in store.clusters(conn, room.id)]
        items = await self._read(run)
        return None if items is None else await asyncio.to_thread(similar.pairs, items)

    async def document(self, room_id: str, *, with_authors: bool) -> dict[str, Any] | None:
        """The workshop document that every export renders (see `export.build`); None: no such room."""
        return await self._read(lambda conn: room_document(conn, room_id, self.clock(), with_authors=with_authors))

    async def import_document(self, raw: bytes, facilitator_name: str) -> NewRoom | Rejection | list[importer.Problem]:
        """A new workshop from a JSON export (see `import_room`); a list: the file's problems."""
        return await import_room(self, raw, facilitator_name)


def _provenance(row: Any) -> dict[str, Any]:
    """Capitalisation: the group an idea or cluster came from, and its dots there (absent otherwise)."""
    return {} if row.source is None else {"source": row.source, "source_votes": row.source_votes}


def action_wire(row: Any) -> dict[str, Any]:
    """An action row as pages get it: the `state` of `action.changed`, with its id."""
    return {"action": row.id, "title": row.title, "description": row.description,
            "owners": json.loads(row.owners), "partners": json.loads(row.partners), "horizon": row.horizon,
            "due": row.due, "status": row.status, "source_kind": row.source_kind, "source_id": row.source_id,
            "position": row.position}


def _unless_hidden(payload: str, hidden: frozenset[str]) -> str:
    """A logged idea's text, unless moderation hid the idea since: then only its seq (`skip`), as
    the live fan-out would send now. Without this a page catching up got the hidden text first."""
    if not hidden:
        return payload
    event = json.loads(payload)
    if event["type"] in erasure.TEXT_FRAMES and event["idea"] in hidden:
        return erasure.skipped(event["seq"])
    return payload


def _privileged(audience: str | None, participant_id: str, facilitator: bool) -> bool:
    """The log's twin of `hub.Member.text_for`: audiences name participant ids there."""
    if audience is not None and audience.startswith(ONLY):
        return audience[1:] == participant_id
    return audience is None or facilitator or audience == participant_id


def _insert_room(conn: Connection, room: dict[str, Any], prompts: list[dict[str, Any]],
                 facilitator: dict[str, Any]) -> None:
    store.insert_room(conn, room, prompts)
    store.insert_participant(conn, facilitator)


def clean_name(raw: str) -> str | Rejection:
    return _clean_line(raw, "name", limits.PSEUDONYM_MAX)


def clean_title(raw: str) -> str | Rejection:
    return _clean_line(raw, "title", limits.ROOM_TITLE_MAX)


def _clean_line(raw: str, field: str, maximum: int) -> str | Rejection:
    return checked_text(raw, field, maximum)


def room_document(conn: Connection, room_id: str, now: float, *, with_authors: bool) -> dict[str, Any] | None:
    """Votes as counts only, and none while the tallies are hidden (`visibility.tallies_shown`);
    pseudonyms only when asked and the room shows authors."""
    room = store.room(conn, room_id)
    if room is None:
        return None
    settings = RoomSettings.load(room.settings)
    _mine, totals, voters = store.vote_summary(conn, room_id, "")
    names = ({p.id: p.name for p in store.participants(conn, room_id)}
             if with_authors and settings.show_authors else {})
    return export.build(room=room, prompts=store.prompts(conn, room_id), clusters=store.clusters(conn, room_id),
                        ideas=store.ideas(conn, room_id), actions=store.actions(conn, room_id),
                        totals=totals if tallies_shown(room.phase, settings) else None, voters=voters,
                        names=names, now=now)


async def import_room(service: Service, raw: bytes, facilitator_name: str) -> NewRoom | Rejection | list[importer.Problem]:
    """A new workshop from a JSON export (`importer`), its creator the person importing: all of it
    in one transaction, or nothing and the file's problems."""
    name = clean_name(facilitator_name)
    if isinstance(name, Rejection):
        return name
    # Parsing and checking a big file takes up to a second: off the event loop, live rooms keep flowing.
    made = await asyncio.to_thread(importer.plan, raw, auth.new_id, templates=frozenset(service.templates))
    if isinstance(made, list):
        return made
    now, room_id, facilitator_id = service.clock(), auth.new_room_id(), auth.new_id()
    room = {"id": room_id, "facilitator_version": 1, "author_key": auth.new_secret(),
            "timer": json.dumps(Timer().dump()), "created_at": now, "updated_at": now}
    creator = {"id": facilitator_id, "room_id": room_id, "public_id": auth.new_id(), "name": name,
               "role": "facilitator", "removed": False, "created_at": now, "creator": True}
    new = importer.rows(made, room=room, creator=creator, new_id=auth.new_id)

    def run(conn: Connection) -> None:
        _insert_room(conn, {**new.room, "code": new_code()}, new.prompts, new.creator)
        store.insert_imported(conn, [*new.others], new.clusters, new.ideas, new.actions, new.votes)
    for _attempt in range(5):  # a short code may already be taken
        try:
            await service.writer.submit(run)
            return NewRoom(room_id, facilitator_id)
        except IntegrityError:
            continue
    raise RuntimeError("no free short code")  # pragma: no cover - 887 million codes
