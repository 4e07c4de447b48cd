"""Rows of the board beyond ideas: clusters and grouping undo, dots, roadmap actions.

Part of the storage layer; `store` is its public face (callers say `store.layout`),
so the module stays small and the rule "only store knows SQL" still reads as one place.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, insert, or_, select, update

from . import grouping
from .events import ActionChanged, VoteChanged
from .models import Action, Cluster, Idea, Participant, Prompt, Vote
from .models import Event as EventRow

# The tables of the board, and those its statements join; `store` takes them from here.
idea_t = Idea.__table__  # type: ignore[attr-defined]
prompt_t = Prompt.__table__  # type: ignore[attr-defined]
event_t = EventRow.__table__  # type: ignore[attr-defined]
cluster_t = Cluster.__table__  # type: ignore[attr-defined]
vote_t = Vote.__table__  # type: ignore[attr-defined]
action_t = Action.__table__  # type: ignore[attr-defined]
participant_t = Participant.__table__  # type: ignore[attr-defined]

# Built once: these run inside the writer for every grouping and voting command.
_LAYOUT_IDEAS = select(idea_t.c.id, idea_t.c.prompt_id, idea_t.c.cluster_id, idea_t.c.position, idea_t.c.text,
                       idea_t.c.hidden).where(idea_t.c.room_id == bindparam("b_room"))
_LAYOUT_CLUSTERS = select(cluster_t).where(cluster_t.c.room_id == bindparam("b_room"))
_LAYOUT_PROMPTS = select(prompt_t.c.id).where(prompt_t.c.room_id == bindparam("b_room"))
_HERE = func.coalesce(vote_t.c.idea_id, vote_t.c.cluster_id) == bindparam("b_item")
_MINE = vote_t.c.participant_id == bindparam("b_participant")


def _dots_where(*where: Any) -> Any:
    return (select(func.count()).select_from(vote_t).where(vote_t.c.room_id == bindparam("b_room"), *where)
            .scalar_subquery())


# Each count walks one index range (migration 7): a vote costs the same with 50 dots in the room
# or 5,000. The voters are counted apart, and only when a dot can change them (`voting.counts_voters`):
# that count reads every dot of the room.
_VOTE_COUNTS = select(_dots_where(_MINE), _dots_where(_MINE, _HERE),
                      _dots_where(vote_t.c.idea_id == bindparam("b_item"))
                      + _dots_where(vote_t.c.cluster_id == bindparam("b_item")))
_VOTERS = select(func.count(vote_t.c.participant_id.distinct())).where(vote_t.c.room_id == bindparam("b_room"))


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


def _dot_statements(column: str) -> tuple[Any, Any, Any]:
    """(count, insert, take back the newest) of one voter's dots on one idea or cluster: built once."""
    mine = (vote_t.c.room_id == bindparam("b_room"), vote_t.c.participant_id == bindparam("b_voter"),
            vote_t.c[column] == bindparam("b_item"))
    newest = select(func.max(vote_t.c.seq)).where(*mine).scalar_subquery()
    return (select(func.count()).select_from(vote_t).where(*mine),
            insert(vote_t).values(room_id=bindparam("b_room"), seq=bindparam("b_seq"),
                                  participant_id=bindparam("b_voter"), **{column: bindparam("b_item")}),
            delete(vote_t).where(vote_t.c.room_id == bindparam("b_room"), vote_t.c.seq == newest))


_DOTS = {"idea": _dot_statements("idea_id"), "cluster": _dot_statements("cluster_id")}
_VOTE_ITEM_IDEA = select(idea_t.c.cluster_id, idea_t.c.hidden).where(idea_t.c.id == bindparam("b_item"),
                                                                      idea_t.c.room_id == bindparam("b_room"))
_VOTE_ITEM_CLUSTER = select(cluster_t.c.id).where(cluster_t.c.id == bindparam("b_item"),
                                                  cluster_t.c.room_id == bindparam("b_room"))


def _apply_vote(conn: Connection, room_id: str, event: VoteChanged, seq: int) -> None:
    count, add, take_back = _DOTS[event.kind]
    params = {"b_room": room_id, "b_voter": event.voter_id, "b_item": event.item}
    current = int(conn.execute(count, params).scalar_one())
    if event.mine > current:
        conn.execute(add, {**params, "b_seq": seq})
    elif event.mine < current:  # take back the most recent dot
        conn.execute(take_back, params)


def vote_item(conn: Connection, room_id: str, item_id: str) -> tuple[str, bool, bool] | None:
    """(kind, grouped, hidden) of an idea or cluster of this room."""
    params = {"b_room": room_id, "b_item": item_id}
    idea_row = conn.execute(_VOTE_ITEM_IDEA, params).first()
    if idea_row is not None:
        return "idea", idea_row.cluster_id is not None, bool(idea_row.hidden)
    found = conn.execute(_VOTE_ITEM_CLUSTER, params).first()
    return ("cluster", False, False) if found is not None else None


def vote_counts(conn: Connection, room_id: str, participant_id: str, item_id: str) -> tuple[int, int, int]:
    """(participant's dots, participant's dots here, everyone's dots here)."""
    row = conn.execute(_VOTE_COUNTS, {"b_room": room_id, "b_participant": participant_id, "b_item": item_id}).one()
    return int(row[0]), int(row[1]), int(row[2])


def voters(conn: Connection, room_id: str) -> int:
    """Participants with at least one dot."""
    return int(conn.execute(_VOTERS, {"b_room": room_id}).scalar_one())


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


# -- a participant leaving (see `erasure`) --------------------------------------------


def authored(conn: Connection, room_id: str, participant_id: str) -> tuple[list[Row[Any]], list[str]]:
    """(id, cluster_id, hidden) of the ideas this person wrote that are still here, and the ids of
    those they wrote that the log remembers but the board no longer holds (deleted since)."""
    here = list(conn.execute(select(idea_t.c.id, idea_t.c.cluster_id, idea_t.c.hidden)
                             .where(idea_t.c.room_id == room_id, idea_t.c.author_id == participant_id)
                             .order_by(idea_t.c.created_at, idea_t.c.id)))
    logged = conn.execute(select(event_t.c.subject).where(
        event_t.c.room_id == room_id, event_t.c.participant_id == participant_id, event_t.c.subject.is_not(None),
        event_t.c.payload.startswith('{"type":"idea.added"'))).scalars()
    ids = {row.id for row in here}
    return here, [str(s) for s in dict.fromkeys(logged) if s not in ids]


def logged_frames(conn: Connection, room_id: str, subjects: Sequence[str]) -> list[Row[Any]]:
    """(seq, payload, redacted) of every logged event about these ideas."""
    query = (select(event_t.c.seq, event_t.c.payload, event_t.c.redacted)
             .where(event_t.c.room_id == room_id, event_t.c.subject.in_(list(subjects))))
    return list(conn.execute(query)) if subjects else []


def skip_events(conn: Connection, room_id: str, frames: Sequence[tuple[int, str]]) -> None:
    """Rewrite these log rows (seq, new frame) as the same frame for everyone."""
    if frames:
        conn.execute(update(event_t).where(event_t.c.room_id == room_id, event_t.c.seq == bindparam("b_seq"))
                     .values(payload=bindparam("b_payload"), redacted=None, audience=None),
                     [{"b_seq": seq, "b_payload": frame} for seq, frame in frames])


def skip_redacted(conn: Connection, room_id: str, frames: Sequence[tuple[int, str]]) -> None:
    """Rewrite the form these log rows (seq, new frame) give the rest of the room; their audience's stays."""
    if frames:
        conn.execute(update(event_t).where(event_t.c.room_id == room_id, event_t.c.seq == bindparam("b_seq"))
                     .values(redacted=bindparam("b_redacted")),
                     [{"b_seq": seq, "b_redacted": frame} for seq, frame in frames])


def events_quoting(conn: Connection, room_id: str, titles: Sequence[str]) -> list[Row[Any]]:
    """(seq, payload, undo) of the grouping rows whose frame or undo record may quote one of `titles`."""
    if not titles:
        return []
    quoting = [column.contains(json.dumps(title, ensure_ascii=False)[1:-1], autoescape=True)
               for title in titles for column in (event_t.c.payload, event_t.c.undo)]
    query = (select(event_t.c.seq, event_t.c.payload, event_t.c.undo)
             .where(event_t.c.room_id == room_id, event_t.c.payload.startswith('{"type":"group.changed"'),
                    or_(*quoting)))
    return list(conn.execute(query))


def rewrite_event(conn: Connection, room_id: str, seq: int, payload: str, undo: str | None) -> None:
    conn.execute(update(event_t).where(event_t.c.room_id == room_id, event_t.c.seq == seq)
                 .values(payload=payload, undo=undo))


def erase_person(conn: Connection, room_id: str, participant_id: str) -> None:
    """Their dots, their ideas (and everyone's dots on them, by cascade), their pseudonym; they are out."""
    conn.execute(delete(vote_t).where(vote_t.c.room_id == room_id, vote_t.c.participant_id == participant_id))
    conn.execute(delete(idea_t).where(idea_t.c.room_id == room_id, idea_t.c.author_id == participant_id))
    conn.execute(update(participant_t).where(participant_t.c.room_id == room_id, participant_t.c.id == participant_id)
                 .values(name="", removed=True))
