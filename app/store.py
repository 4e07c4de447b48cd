"""Reading and writing rows. Every function takes an open connection: the
transaction (and so atomicity) belongs to the caller, the writer or a reader.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from .events import Event, IdeaAdded, IdeaDeleted, IdeaEdited
from .models import Event as EventRow
from .models import Idea, Participant, Prompt, Room

room_t = Room.__table__  # type: ignore[attr-defined]
prompt_t = Prompt.__table__  # type: ignore[attr-defined]
participant_t = Participant.__table__  # type: ignore[attr-defined]
idea_t = Idea.__table__  # type: ignore[attr-defined]
event_t = EventRow.__table__  # type: ignore[attr-defined]


def insert_room(conn: Connection, room: dict[str, Any], prompts: Sequence[dict[str, Any]]) -> None:
    conn.execute(insert(room_t).values(**room))
    if prompts:
        conn.execute(insert(prompt_t), list(prompts))


def insert_participant(conn: Connection, participant: dict[str, Any]) -> None:
    conn.execute(insert(participant_t).values(**participant))


def room(conn: Connection, room_id: str) -> Row[Any] | None:
    return conn.execute(select(room_t).where(room_t.c.id == room_id)).first()


def participant(conn: Connection, room_id: str, participant_id: str) -> Row[Any] | None:
    query = select(participant_t).where(participant_t.c.id == participant_id, participant_t.c.room_id == room_id)
    return conn.execute(query).first()


def count_participants(conn: Connection, room_id: str) -> int:
    query = select(func.count()).select_from(participant_t).where(participant_t.c.room_id == room_id)
    return int(conn.execute(query).scalar_one())


def prompt_exists(conn: Connection, room_id: str, prompt_id: str) -> bool:
    query = select(prompt_t.c.id).where(prompt_t.c.id == prompt_id, prompt_t.c.room_id == room_id)
    return conn.execute(query).first() is not None


def count_ideas(conn: Connection, room_id: str, author_id: str | None = None) -> int:
    query = select(func.count()).select_from(idea_t).where(idea_t.c.room_id == room_id)
    if author_id is not None:
        query = query.where(idea_t.c.author_id == author_id)
    return int(conn.execute(query).scalar_one())


def idea(conn: Connection, room_id: str, idea_id: str) -> Row[Any] | None:
    return conn.execute(select(idea_t).where(idea_t.c.id == idea_id, idea_t.c.room_id == room_id)).first()


def recorded_op(conn: Connection, room_id: str, participant_id: str, op_id: str) -> str | None:
    """The frame a command with this op_id already produced, if any."""
    query = select(event_t.c.payload).where(
        event_t.c.room_id == room_id, event_t.c.participant_id == participant_id, event_t.c.op_id == op_id)
    return conn.execute(query).scalar()


def next_seq(conn: Connection, room_id: str, now: float) -> int:
    """Take the room's next sequence number; on PostgreSQL this also locks the room row."""
    query = (update(room_t).where(room_t.c.id == room_id)
             .values(seq=room_t.c.seq + 1, updated_at=now).returning(room_t.c.seq))
    return int(conn.execute(query).scalar_one())


def record_event(conn: Connection, room_id: str, seq: int, *, participant_id: str | None,
                 op_id: str | None, subject: str | None, payload: str, at: float) -> None:
    conn.execute(insert(event_t).values(room_id=room_id, seq=seq, participant_id=participant_id,
                                        op_id=op_id, subject=subject, payload=payload, at=at))


def apply(conn: Connection, room_id: str, event: Event) -> None:
    """Make the tables say what the event says."""
    if isinstance(event, IdeaAdded):
        conn.execute(insert(idea_t).values(
            id=event.idea, room_id=room_id, prompt_id=event.prompt, author_id=event.author_id,
            text=event.text, colour=event.colour, created_at=event.at, updated_at=event.at))
    elif isinstance(event, IdeaEdited):
        conn.execute(update(idea_t).where(idea_t.c.id == event.idea, idea_t.c.room_id == room_id)
                     .values(text=event.text, colour=event.colour, updated_at=event.at))
    elif isinstance(event, IdeaDeleted):
        conn.execute(delete(idea_t).where(idea_t.c.id == event.idea, idea_t.c.room_id == room_id))
    else:  # pragma: no cover - every event type is handled above
        raise TypeError(type(event))


def events_since(conn: Connection, room_id: str, since: int, limit: int) -> list[str] | None:
    """Frames after `since` in order, or None when there are more than `limit`."""
    query = (select(event_t.c.payload).where(event_t.c.room_id == room_id, event_t.c.seq > since)
             .order_by(event_t.c.seq).limit(limit + 1))
    rows = list(conn.execute(query).scalars())
    return None if len(rows) > limit else rows


def prompts(conn: Connection, room_id: str) -> list[Row[Any]]:
    query = select(prompt_t).where(prompt_t.c.room_id == room_id).order_by(prompt_t.c.position)
    return list(conn.execute(query))


def ideas(conn: Connection, room_id: str) -> list[Row[Any]]:
    query = select(idea_t).where(idea_t.c.room_id == room_id).order_by(idea_t.c.created_at, idea_t.c.id)
    return list(conn.execute(query))


def participants(conn: Connection, room_id: str) -> list[Row[Any]]:
    return list(conn.execute(select(participant_t).where(participant_t.c.room_id == room_id)))
