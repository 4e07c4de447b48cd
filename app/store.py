"""Reading and writing rows. Every function takes an open connection: the
transaction (and so atomicity) belongs to the caller, the writer or a reader.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, insert, select, update

from .events import (IdeaAdded, IdeaDeleted, IdeaEdited, IdeaHidden, ParticipantRemoved, ParticipantRoleChanged,
                     PhaseChanged, PromptAdded, PromptDeleted, PromptRenamed, Regrouped, RoomConfigured, RoomEvent,
                     TimerChanged, VoteChanged, ActionChanged)
from .models import Participant, Room
from .store_board import (  # noqa: F401  (the public face: callers say store.layout)
    _apply_action, _apply_change, _apply_vote, action_t, actions, authored, cluster_t, clusters, count_dots,
    delete_dots, dots, drop_if_empty, erase_person, event_t, events_quoting, idea_t, last_undoable, layout,
    logged_frames, mark_undone, prompt_t, rewrite_event, skip_events, skip_redacted, vote_counts, vote_item,
    vote_summary, vote_t, voters)

room_t = Room.__table__  # type: ignore[attr-defined]
participant_t = Participant.__table__  # type: ignore[attr-defined]

# The statements every command runs, built once: building a statement anew costs several
# times what SQLite takes to run it (bench/store_micro.py). Parameters are named `b_*` so
# that they never clash with a column's own name in an INSERT or UPDATE.
_ROOM = select(room_t).where(room_t.c.id == bindparam("b_room"))
_PARTICIPANT = select(participant_t).where(participant_t.c.id == bindparam("b_id"),
                                           participant_t.c.room_id == bindparam("b_room"))
_PROMPT_EXISTS = select(prompt_t.c.id).where(prompt_t.c.id == bindparam("b_id"),
                                              prompt_t.c.room_id == bindparam("b_room"))
_COUNT_IDEAS = select(func.count()).select_from(idea_t).where(idea_t.c.room_id == bindparam("b_room"))
_COUNT_AUTHOR_IDEAS = _COUNT_IDEAS.where(idea_t.c.author_id == bindparam("b_author"))
_IDEA = select(idea_t).where(idea_t.c.id == bindparam("b_id"), idea_t.c.room_id == bindparam("b_room"))
_RECORDED_OP = select(event_t.c.payload).where(event_t.c.room_id == bindparam("b_room"),
                                               event_t.c.participant_id == bindparam("b_participant"),
                                               event_t.c.op_id == bindparam("b_op"))
_NEXT_SEQ = (update(room_t).where(room_t.c.id == bindparam("b_room"))
             .values(seq=room_t.c.seq + 1, updated_at=bindparam("b_now")).returning(room_t.c.seq))
_INSERT_EVENT = insert(event_t)
_INSERT_IDEA = insert(idea_t)


def insert_room(conn: Connection, room: dict[str, Any], prompts: Sequence[dict[str, Any]]) -> None:
    conn.execute(insert(room_t).values(**room))
    if prompts:
        conn.execute(insert(prompt_t), list(prompts))


def insert_participant(conn: Connection, participant: dict[str, Any]) -> None:
    conn.execute(insert(participant_t).values(**participant))


def room(conn: Connection, room_id: str) -> Row[Any] | None:
    return conn.execute(_ROOM, {"b_room": room_id}).first()


def lock_room(conn: Connection, room_id: str) -> None:
    """Hold the room's row until commit (SELECT … FOR UPDATE; SQLite's BEGIN IMMEDIATE already does more)."""
    if conn.dialect.name != "sqlite":
        conn.execute(select(room_t.c.id).where(room_t.c.id == room_id).with_for_update())


def participant(conn: Connection, room_id: str, participant_id: str) -> Row[Any] | None:
    return conn.execute(_PARTICIPANT, {"b_id": participant_id, "b_room": room_id}).first()


def count_participants(conn: Connection, room_id: str) -> int:
    query = select(func.count()).select_from(participant_t).where(participant_t.c.room_id == room_id)
    return int(conn.execute(query).scalar_one())


def prompt_exists(conn: Connection, room_id: str, prompt_id: str) -> bool:
    return conn.execute(_PROMPT_EXISTS, {"b_id": prompt_id, "b_room": room_id}).first() is not None


def count_ideas(conn: Connection, room_id: str, author_id: str | None = None) -> int:
    if author_id is None:
        return int(conn.execute(_COUNT_IDEAS, {"b_room": room_id}).scalar_one())
    return int(conn.execute(_COUNT_AUTHOR_IDEAS, {"b_room": room_id, "b_author": author_id}).scalar_one())


def idea(conn: Connection, room_id: str, idea_id: str) -> Row[Any] | None:
    return conn.execute(_IDEA, {"b_id": idea_id, "b_room": room_id}).first()


def recorded_op(conn: Connection, room_id: str, participant_id: str, op_id: str) -> str | None:
    """The frame a command with this op_id already produced, if any."""
    return conn.execute(_RECORDED_OP, {"b_room": room_id, "b_participant": participant_id, "b_op": op_id}).scalar()


def next_seq(conn: Connection, room_id: str, now: float) -> int:
    """Take the room's next sequence number; on PostgreSQL this also locks the room row."""
    return int(conn.execute(_NEXT_SEQ, {"b_room": room_id, "b_now": now}).scalar_one())


def record_event(conn: Connection, room_id: str, seq: int, *, participant_id: str | None,
                 op_id: str | None, subject: str | None, payload: str, at: float,
                 audience: str | None = None, redacted: str | None = None, undo: str | None = None,
                 undo_kind: str | None = None) -> None:
    conn.execute(_INSERT_EVENT, {"room_id": room_id, "seq": seq, "participant_id": participant_id, "op_id": op_id,
                                 "subject": subject, "payload": payload, "at": at, "audience": audience,
                                 "redacted": redacted, "undo": undo, "undo_kind": undo_kind})


def apply(conn: Connection, room_id: str, event: RoomEvent, seq: int) -> None:
    """Make the tables say what the event (numbered `seq`) says."""
    if isinstance(event, Regrouped):
        _apply_change(conn, room_id, event.change)
    elif isinstance(event, VoteChanged):
        _apply_vote(conn, room_id, event, seq)
    elif isinstance(event, ActionChanged):
        _apply_action(conn, room_id, event)
    elif not _apply_idea(conn, room_id, event) and not _apply_room(conn, room_id, event):
        raise TypeError(type(event))  # pragma: no cover - every event type is handled


def _apply_idea(conn: Connection, room_id: str, event: RoomEvent) -> bool:
    if isinstance(event, IdeaAdded):
        conn.execute(_INSERT_IDEA, {
            "id": event.idea, "room_id": room_id, "prompt_id": event.prompt, "author_id": event.author_id,
            "text": event.text, "colour": event.colour, "position": event.at, "created_at": event.at,
            "updated_at": event.at})
    elif isinstance(event, IdeaEdited):
        conn.execute(update(idea_t).where(idea_t.c.id == event.idea, idea_t.c.room_id == room_id)
                     .values(text=event.text, colour=event.colour, updated_at=event.at))
    elif isinstance(event, IdeaDeleted):
        conn.execute(delete(idea_t).where(idea_t.c.id == event.idea, idea_t.c.room_id == room_id))
    elif isinstance(event, IdeaHidden):
        conn.execute(update(idea_t).where(idea_t.c.id == event.idea, idea_t.c.room_id == room_id)
                     .values(hidden=event.hidden))
    else:
        return False
    return True


def _apply_room(conn: Connection, room_id: str, event: RoomEvent) -> bool:
    this_room = room_t.c.id == room_id
    if isinstance(event, PhaseChanged):  # it may stop the timer too (`facilitation.change_phase`)
        timer = {} if event.timer is None else {"timer": json.dumps(event.timer)}
        conn.execute(update(room_t).where(this_room).values(phase=event.phase, **timer))
    elif isinstance(event, RoomConfigured):
        conn.execute(update(room_t).where(this_room).values(settings=json.dumps(event.settings, sort_keys=True)))
    elif isinstance(event, TimerChanged):
        conn.execute(update(room_t).where(this_room).values(timer=json.dumps(event.timer)))
    elif isinstance(event, PromptAdded):
        conn.execute(insert(prompt_t).values(id=event.prompt, room_id=room_id, position=event.position,
                                             title=event.title))
    elif isinstance(event, PromptRenamed):
        conn.execute(update(prompt_t).where(prompt_t.c.id == event.prompt, prompt_t.c.room_id == room_id)
                     .values(title=event.title))
    elif isinstance(event, PromptDeleted):
        conn.execute(delete(prompt_t).where(prompt_t.c.id == event.prompt, prompt_t.c.room_id == room_id))
    elif isinstance(event, ParticipantRemoved) and event.left:
        erase_person(conn, room_id, event.participant_id)
    elif isinstance(event, ParticipantRemoved):
        conn.execute(update(participant_t).where(participant_t.c.id == event.participant_id)
                     .values(removed=True))
    elif isinstance(event, ParticipantRoleChanged):
        conn.execute(update(participant_t).where(participant_t.c.id == event.participant_id)
                     .values(role=event.role))
    else:
        return False
    return True


def events_since(conn: Connection, room_id: str, since: int, limit: int) -> list[Row[Any]] | None:
    """Event rows (payload, audience, redacted) after `since` in order, or None when more than `limit`."""
    query = (select(event_t.c.payload, event_t.c.audience, event_t.c.redacted)
             .where(event_t.c.room_id == room_id, event_t.c.seq > since)
             .order_by(event_t.c.seq).limit(limit + 1))
    rows = list(conn.execute(query))
    return None if len(rows) > limit else rows


def count_prompts(conn: Connection, room_id: str) -> int:
    query = select(func.count()).select_from(prompt_t).where(prompt_t.c.room_id == room_id)
    return int(conn.execute(query).scalar_one())


def max_prompt_position(conn: Connection, room_id: str) -> int:
    query = select(func.max(prompt_t.c.position)).where(prompt_t.c.room_id == room_id)
    return int(conn.execute(query).scalar() or 0)


def tally(conn: Connection, room_id: str, prompt_id: str | None = None) -> dict[str, int]:
    """Visible (not hidden) ideas per prompt."""
    query = (select(idea_t.c.prompt_id, func.count()).where(idea_t.c.room_id == room_id, idea_t.c.hidden.is_(False))
             .group_by(idea_t.c.prompt_id))
    if prompt_id is not None:
        query = query.where(idea_t.c.prompt_id == prompt_id)
    counts = {str(p): int(n) for p, n in conn.execute(query)}
    return counts if prompt_id is None else {prompt_id: counts.get(prompt_id, 0)}


def participant_by_public_id(conn: Connection, room_id: str, public_id: str) -> Row[Any] | None:
    query = select(participant_t).where(participant_t.c.room_id == room_id, participant_t.c.public_id == public_id)
    return conn.execute(query).first()


def room_by_code(conn: Connection, code: str) -> Row[Any] | None:
    return conn.execute(select(room_t).where(room_t.c.code == code)).first()


def bump_facilitator_version(conn: Connection, room_id: str) -> int:
    query = (update(room_t).where(room_t.c.id == room_id)
             .values(facilitator_version=room_t.c.facilitator_version + 1).returning(room_t.c.facilitator_version))
    return int(conn.execute(query).scalar_one())


def prompts(conn: Connection, room_id: str) -> list[Row[Any]]:
    query = select(prompt_t).where(prompt_t.c.room_id == room_id).order_by(prompt_t.c.position)
    return list(conn.execute(query))


def ideas(conn: Connection, room_id: str) -> list[Row[Any]]:
    query = select(idea_t).where(idea_t.c.room_id == room_id).order_by(idea_t.c.created_at, idea_t.c.id)
    return list(conn.execute(query))


def participants(conn: Connection, room_id: str) -> list[Row[Any]]:
    return list(conn.execute(select(participant_t).where(participant_t.c.room_id == room_id)))


def creator_public_id(conn: Connection, room_id: str) -> str | None:
    query = select(participant_t.c.public_id).where(participant_t.c.room_id == room_id, participant_t.c.creator)
    return conn.execute(query).scalar()


# -- erasure, retention and backups (see `purge` and `backup`) ------------------------


def erase_rooms(conn: Connection, room_ids: list[str]) -> tuple[int, int, int, int, tuple[tuple[str, str], ...]]:
    """Delete these workshops and all their rows (ON DELETE CASCADE), overwriting the freed bytes.

    Returns (rooms, participants, ideas, events, (room id, public id) of each person).
    """
    if not room_ids:
        return 0, 0, 0, 0, ()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA secure_delete = ON")  # deleted cells and freed pages are zeroed

    def count(table: Any) -> int:
        return int(conn.execute(select(func.count()).select_from(table)
                                .where(table.c.room_id.in_(room_ids))).scalar_one())
    people = tuple((str(r), str(p)) for r, p in conn.execute(
        select(participant_t.c.room_id, participant_t.c.public_id).where(participant_t.c.room_id.in_(room_ids))))
    ideas, events = count(idea_t), count(event_t)
    rooms = conn.execute(delete(room_t).where(room_t.c.id.in_(room_ids))).rowcount
    return int(rooms), len(people), ideas, events, people


def stale_room_ids(conn: Connection, before: float) -> list[str]:
    """Workshops whose last activity (`updated_at`) is before `before`."""
    return [str(r) for r in conn.execute(select(room_t.c.id).where(room_t.c.updated_at < before)).scalars()]


def checkpoint(conn: Connection) -> bool:
    """Checkpoint the WAL into the database file and truncate it; True when it completed."""
    if conn.dialect.name != "sqlite":
        return True
    # On the driver's connection: SQLAlchemy would open a transaction first, and a checkpoint
    # cannot run inside one.
    row = conn.connection.dbapi_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()  # type: ignore[union-attr]
    return row is not None and not row[0]



def insert_imported(conn: Connection, *tables: Sequence[dict[str, Any]]) -> None:
    """An import's rows after its room (`insert_room`): participants, clusters, ideas, actions, votes."""
    for table, rows in zip((participant_t, cluster_t, idea_t, action_t, vote_t), tables, strict=True):
        if rows:
            conn.execute(insert(table), list(rows))


def backup_to(conn: Connection, dest: str) -> tuple[int, str]:
    """Copy the whole database into the SQLite file `dest` with the online backup API.

    One step (all pages at once) inside one read transaction: the copy is the database as
    it was at one instant, every committed transaction before it in, none after. Writers
    are not blocked (WAL). Returns (pages, the copy's integrity_check).
    """
    source = conn.connection.dbapi_connection
    target = sqlite3.connect(dest)
    try:
        source.backup(target)  # type: ignore[union-attr]
        pages = int(target.execute("PRAGMA page_count").fetchone()[0])
        check = str(target.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        target.close()
    return pages, check
