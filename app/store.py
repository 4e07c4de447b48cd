"""Reading and writing rows. Every function takes an open connection: the
transaction (and so atomicity) belongs to the caller, the writer or a reader.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, insert, select, update

from . import grouping
from .events import (IdeaAdded, IdeaDeleted, IdeaEdited, IdeaHidden, ParticipantRemoved, ParticipantRoleChanged,
                     PhaseChanged, PromptAdded, PromptDeleted, PromptRenamed, Regrouped, RoomConfigured, RoomEvent,
                     TimerChanged, VoteChanged, ActionChanged)
from .models import Action, Cluster, Idea, Participant, Prompt, Room, Vote
from .models import Event as EventRow

room_t = Room.__table__  # type: ignore[attr-defined]
prompt_t = Prompt.__table__  # type: ignore[attr-defined]
participant_t = Participant.__table__  # type: ignore[attr-defined]
idea_t = Idea.__table__  # type: ignore[attr-defined]
event_t = EventRow.__table__  # type: ignore[attr-defined]
cluster_t = Cluster.__table__  # type: ignore[attr-defined]
vote_t = Vote.__table__  # type: ignore[attr-defined]
action_t = Action.__table__  # type: ignore[attr-defined]

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
_LAYOUT_IDEAS = select(idea_t.c.id, idea_t.c.prompt_id, idea_t.c.cluster_id, idea_t.c.position, idea_t.c.text,
                       idea_t.c.hidden).where(idea_t.c.room_id == bindparam("b_room"))
_LAYOUT_CLUSTERS = select(cluster_t).where(cluster_t.c.room_id == bindparam("b_room"))
_LAYOUT_PROMPTS = select(prompt_t.c.id).where(prompt_t.c.room_id == bindparam("b_room"))
_HERE = func.coalesce(vote_t.c.idea_id, vote_t.c.cluster_id) == bindparam("b_item")
_MINE = vote_t.c.participant_id == bindparam("b_participant")
_VOTE_COUNTS = select(func.count().filter(_MINE), func.count().filter(_MINE & _HERE), func.count().filter(_HERE),
                      func.count(vote_t.c.participant_id.distinct())).where(vote_t.c.room_id == bindparam("b_room"))


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
    if isinstance(event, PhaseChanged):
        conn.execute(update(room_t).where(this_room).values(phase=event.phase))
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


# -- grouping -------------------------------------------------------------------------


def layout(conn: Connection, room_id: str) -> grouping.Layout:
    this_room = {"b_room": room_id}
    ideas = conn.execute(_LAYOUT_IDEAS, this_room).all()
    clusters = conn.execute(_LAYOUT_CLUSTERS, this_room).all()
    prompt_ids = conn.execute(_LAYOUT_PROMPTS, this_room).scalars()
    return grouping.Layout(
        ideas={r.id: grouping.Placement(r.prompt_id, r.cluster_id, r.position) for r in ideas},
        clusters={c.id: grouping.Cluster(c.prompt_id, c.title, c.named, c.position) for c in clusters},
        texts={r.id: r.text for r in ideas}, hidden=frozenset(r.id for r in ideas if r.hidden),
        prompts=frozenset(prompt_ids))


def clusters(conn: Connection, room_id: str) -> list[Row[Any]]:
    query = select(cluster_t).where(cluster_t.c.room_id == room_id).order_by(cluster_t.c.position, cluster_t.c.id)
    return list(conn.execute(query))


def _apply_change(conn: Connection, room_id: str, change: grouping.Change) -> None:
    # Clusters first (ideas may join a new one), ideas next, dropped clusters last (now empty).
    for cluster_id, state in change.clusters.items():
        if state is None:
            continue
        values = {"prompt_id": state.prompt, "title": state.title, "named": state.named, "position": state.position}
        updated = conn.execute(update(cluster_t).where(cluster_t.c.id == cluster_id, cluster_t.c.room_id == room_id)
                               .values(**values))
        if updated.rowcount == 0:
            conn.execute(insert(cluster_t).values(id=cluster_id, room_id=room_id, **values))
    for idea_id, place in change.ideas.items():
        conn.execute(update(idea_t).where(idea_t.c.id == idea_id, idea_t.c.room_id == room_id)
                     .values(prompt_id=place.prompt, cluster_id=place.cluster, position=place.position))
    gone = [c for c, state in change.clusters.items() if state is None]
    if gone:
        conn.execute(delete(cluster_t).where(cluster_t.c.room_id == room_id, cluster_t.c.id.in_(gone)))


def drop_if_empty(conn: Connection, room_id: str, cluster_id: str) -> bool:
    """After an idea left: a cluster with no idea goes, unless a person named it."""
    row = conn.execute(select(cluster_t.c.named).where(cluster_t.c.id == cluster_id,
                                                        cluster_t.c.room_id == room_id)).first()
    left = conn.execute(select(func.count()).select_from(idea_t).where(idea_t.c.cluster_id == cluster_id)).scalar_one()
    if row is None or row.named or left:
        return False
    conn.execute(delete(cluster_t).where(cluster_t.c.id == cluster_id))
    return True


def last_undoable(conn: Connection, room_id: str, participant_id: str,
                  kind: str | None = None) -> tuple[int, str] | None:
    """(seq, undo JSON) of this participant's latest change of this kind (None: grouping) not undone."""
    of_kind = event_t.c.undo_kind.is_(None) if kind is None else event_t.c.undo_kind == kind
    query = (select(event_t.c.seq, event_t.c.undo)
             .where(event_t.c.room_id == room_id, event_t.c.participant_id == participant_id,
                    event_t.c.undo.is_not(None), event_t.c.undone.is_(False), of_kind)
             .order_by(event_t.c.seq.desc()).limit(1))
    row = conn.execute(query).first()
    return None if row is None else (int(row.seq), str(row.undo))


def mark_undone(conn: Connection, room_id: str, seq: int) -> None:
    conn.execute(update(event_t).where(event_t.c.room_id == room_id, event_t.c.seq == seq).values(undone=True))


# -- votes ----------------------------------------------------------------------------


def _apply_vote(conn: Connection, room_id: str, event: VoteChanged, seq: int) -> None:
    column = "idea_id" if event.kind == "idea" else "cluster_id"
    mine = (vote_t.c.room_id == room_id, vote_t.c.participant_id == event.voter_id, vote_t.c[column] == event.item)
    current = int(conn.execute(select(func.count()).select_from(vote_t).where(*mine)).scalar_one())
    if event.mine > current:
        conn.execute(insert(vote_t).values(room_id=room_id, seq=seq, participant_id=event.voter_id,
                                           **{column: event.item}))
    elif event.mine < current:  # take back the most recent dot
        newest = select(func.max(vote_t.c.seq)).where(*mine).scalar_subquery()
        conn.execute(delete(vote_t).where(vote_t.c.room_id == room_id, vote_t.c.seq == newest))


def vote_item(conn: Connection, room_id: str, item_id: str) -> tuple[str, bool, bool] | None:
    """(kind, grouped, hidden) of an idea or cluster of this room."""
    idea_row = conn.execute(select(idea_t.c.cluster_id, idea_t.c.hidden)
                            .where(idea_t.c.id == item_id, idea_t.c.room_id == room_id)).first()
    if idea_row is not None:
        return "idea", idea_row.cluster_id is not None, bool(idea_row.hidden)
    found = conn.execute(select(cluster_t.c.id).where(cluster_t.c.id == item_id, cluster_t.c.room_id == room_id))
    return ("cluster", False, False) if found.first() is not None else None


def vote_counts(conn: Connection, room_id: str, participant_id: str, item_id: str) -> tuple[int, int, int, int]:
    """(participant's dots, participant's dots here, everyone's dots here, voters) in one pass."""
    row = conn.execute(_VOTE_COUNTS, {"b_room": room_id, "b_participant": participant_id, "b_item": item_id}).one()
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


def dots(conn: Connection, room_id: str) -> list[Row[Any]]:
    """Every dot of the room: seq, participant_id, item (idea or cluster id)."""
    item = func.coalesce(vote_t.c.idea_id, vote_t.c.cluster_id).label("item")
    return list(conn.execute(select(vote_t.c.seq, vote_t.c.participant_id, item)
                             .where(vote_t.c.room_id == room_id).order_by(vote_t.c.seq)))


def count_dots(conn: Connection, room_id: str) -> int:
    return int(conn.execute(select(func.count()).select_from(vote_t).where(vote_t.c.room_id == room_id)).scalar_one())


def delete_dots(conn: Connection, room_id: str, seqs: Sequence[int]) -> None:
    if seqs:
        conn.execute(delete(vote_t).where(vote_t.c.room_id == room_id, vote_t.c.seq.in_(list(seqs))))


def vote_summary(conn: Connection, room_id: str, participant_id: str) -> tuple[dict[str, int], dict[str, int], int]:
    """(this participant's dots per item, everyone's dots per item, number of voters)."""
    item = func.coalesce(vote_t.c.idea_id, vote_t.c.cluster_id)
    mine = func.count().filter(vote_t.c.participant_id == participant_id)
    rows = conn.execute(select(item, func.count(), mine).where(vote_t.c.room_id == room_id).group_by(item)).all()
    voters = conn.execute(select(func.count(vote_t.c.participant_id.distinct()))
                          .where(vote_t.c.room_id == room_id)).scalar_one()
    return ({str(r[0]): int(r[2]) for r in rows if r[2]}, {str(r[0]): int(r[1]) for r in rows}, int(voters))


def creator_public_id(conn: Connection, room_id: str) -> str | None:
    query = select(participant_t.c.public_id).where(participant_t.c.room_id == room_id, participant_t.c.creator)
    return conn.execute(query).scalar()


# -- the roadmap ----------------------------------------------------------------------


def actions(conn: Connection, room_id: str) -> list[Row[Any]]:
    """Every action of the room, in the table's order. `owners` and `partners` are JSON lists."""
    query = select(action_t).where(action_t.c.room_id == room_id).order_by(action_t.c.position, action_t.c.id)
    return list(conn.execute(query))


def _apply_action(conn: Connection, room_id: str, event: ActionChanged) -> None:
    mine = (action_t.c.id == event.action, action_t.c.room_id == room_id)
    if event.state is None:
        conn.execute(delete(action_t).where(*mine))
        return
    values = event.state.dump()
    values["owners"], values["partners"] = json.dumps(values["owners"]), json.dumps(values["partners"])
    if conn.execute(update(action_t).where(*mine).values(**values)).rowcount == 0:
        conn.execute(insert(action_t).values(id=event.action, room_id=room_id, **values))



def insert_imported(conn: Connection, *tables: Sequence[dict[str, Any]]) -> None:
    """An import's rows after its room (`insert_room`): participants, clusters, ideas, actions, votes."""
    for table, rows in zip((participant_t, cluster_t, idea_t, action_t, vote_t), tables, strict=True):
        if rows:
            conn.execute(insert(table), list(rows))

# -- erasure, retention and backups (see `purge` and `backup`) ------------------------


def erase_rooms(conn: Connection, room_ids: list[str]) -> tuple[int, int, int, int, tuple[tuple[str, str], ...]]:
    """Delete these workshops and all their rows (ON DELETE CASCADE), overwriting the freed bytes.

    Returns (rooms, participants, ideas, events, (room id, public id) of each person).
    """
    if not room_ids:
        return 0, 0, 0, 0, ()
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
