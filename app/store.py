"""Reading and writing rows. Every function takes an open connection: the
transaction (and so atomicity) belongs to the caller, the writer or a reader.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from .events import (IdeaAdded, IdeaDeleted, IdeaEdited, IdeaHidden, ParticipantRemoved, ParticipantRoleChanged,
                     PhaseChanged, PromptAdded, PromptDeleted, PromptRenamed, RoomConfigured, RoomEvent,
                     TimerChanged)
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
                 op_id: str | None, subject: str | None, payload: str, at: float,
                 audience: str | None = None, redacted: str | None = None) -> None:
    conn.execute(insert(event_t).values(room_id=room_id, seq=seq, participant_id=participant_id,
                                        op_id=op_id, subject=subject, payload=payload, at=at,
                                        audience=audience, redacted=redacted))


def apply(conn: Connection, room_id: str, event: RoomEvent) -> None:
    """Make the tables say what the event says."""
    if not _apply_idea(conn, room_id, event) and not _apply_room(conn, room_id, event):
        raise TypeError(type(event))  # pragma: no cover - every event type is handled


def _apply_idea(conn: Connection, room_id: str, event: RoomEvent) -> bool:
    if isinstance(event, IdeaAdded):
        conn.execute(insert(idea_t).values(
            id=event.idea, room_id=room_id, prompt_id=event.prompt, author_id=event.author_id,
            text=event.text, colour=event.colour, created_at=event.at, updated_at=event.at))
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
