"""One command inside the writer's transaction: op record, facts, rules, write, seq, event row.

Also decides each event's audience: who gets the full frame and what the rest of the
room gets instead (see `visibility`), so that hidden and private ideas never leave the
server for pages that must not see them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection

from . import auth, domain, erasure, facilitation, group_commands, grouping, roadmap, store, voting
from .errors import Rejection
from .events import (ActionChanged, IdeaAdded, IdeaDeleted, IdeaEdited, IdeaHidden, ParticipantRemoved, PromptDeleted,
                     Regrouped, RoomConfigured, RoomEvent, VoteChanged)
from .hub import FACILITATORS, ONLY
from .protocol import (ActionAdd, ActionDelete, ActionEdit, ActionMove, ActionUndo, ClusterCreate, ClusterDissolve, ClusterMerge, ClusterMove, ClusterRename, Command, GroupUndo,
                       IdeaAdd, IdeaDelete, IdeaEdit, IdeaHide, IdeasMove, ParticipantLeave, ParticipantRemove, ParticipantRole,
                       PromptAdd, PromptDelete, PromptRename, RoomConfigure, RoomPhase, VoteAdd, VoteRemove, encode)
from .room_settings import RoomSettings
from .timer import Timer
from .visibility import private_now, tallies_shown

GROUPING = (ClusterCreate, IdeasMove, ClusterRename, ClusterMerge, ClusterDissolve, ClusterMove)
# Events after which some dots may have lost their item (see `voting.returned`).
RETURNS_DOTS = (Regrouped, IdeaDeleted, IdeaHidden, RoomConfigured, PromptDeleted)


@dataclass(frozen=True)
class Committed:
    seq: int
    payload: str  # the event frame as its audience gets it
    duplicate: bool = False  # the op_id was seen before: nothing new happened
    redacted: str | None = None  # what the rest of the room gets
    audience: str | None = None  # None, "fac", or the author's tag
    event: RoomEvent | None = None


Outcome = Committed | Rejection


def run(conn: Connection, room_id: str, participant_id: str, command: Command, now: float, new_id: str) -> Outcome:
    # First the room's lock: the op record, the facts and the seq are then this room's own
    # until commit, whichever process runs the command (a no-op inside SQLite's IMMEDIATE).
    store.lock_room(conn, room_id)
    if (prior := store.recorded_op(conn, room_id, participant_id, command.op_id)) is not None:
        return Committed(json.loads(prior)["seq"], prior, duplicate=True)
    room = store.room(conn, room_id)
    person = store.participant(conn, room_id, participant_id)
    if room is None or person is None or person.removed:
        return Rejection("auth.forbidden")
    actor = domain.Actor(person.id, auth.author_tag(room.author_key, person.id), person.role)
    settings = RoomSettings.load(room.settings)
    facts = domain.RoomFacts(room.phase, store.count_ideas(conn, room.id), settings,
                             Timer.load(json.loads(room.timer or "{}")), now)
    event = decide(conn, room, command, actor, facts, new_id)
    if isinstance(event, Rejection):
        return event
    if isinstance(event, IdeaAdded) and settings.show_authors:
        event = IdeaAdded(**{**event.__dict__, "name": person.name})
    subject = getattr(event, "idea", None)
    before = store.idea(conn, room.id, subject) if subject else None  # who wrote it, where, hidden?
    seq = store.next_seq(conn, room.id, now)
    if isinstance(event, ParticipantRemoved) and event.left:
        extra, redacted = _leave(conn, room.id, facts, event, seq)
        # The full form for the facilitators and the person leaving (their own tabs), as for a private idea.
        audience, author_id = (None, None) if redacted is None else (actor.tag, actor.id)
    else:
        dots_before = store.count_dots(conn, room.id) if isinstance(event, RETURNS_DOTS) else 0
        store.apply(conn, room.id, event, seq)
        extra = _aftermath(conn, room.id, event, before, dots_before)
        audience, author_id, redacted = _audience(conn, room, facts, event, before, seq, extra)
    payload = encode({**event.wire(), **extra, "seq": seq, "op_id": command.op_id})
    store.record_event(conn, room.id, seq, participant_id=person.id, op_id=command.op_id, subject=subject,
                       payload=payload, at=now, audience=author_id or audience, redacted=redacted,
                       undo=_undo_record(conn, room.id, event),
                       undo_kind="action" if isinstance(event, ActionChanged) else None)
    return Committed(seq, payload, redacted=redacted, audience=audience, event=event)


def _aftermath(conn: Connection, room_id: str, event: RoomEvent, before: Any | None,
               dots_before: int) -> dict[str, Any]:
    """What else the event changed: a cluster its idea left empty, dots given back."""
    extra: dict[str, Any] = {}
    if isinstance(event, IdeaDeleted):
        # A deleted idea's text goes from the log too, so that "delete" means gone, not only
        # off the board (docs/donnees-personnelles.md).
        _forget(conn, room_id, store.logged_frames(conn, room_id, [event.idea]))
    if isinstance(event, IdeaDeleted) and before is not None and before.cluster_id:
        if store.drop_if_empty(conn, room_id, before.cluster_id):
            extra["dropped"] = [before.cluster_id]
    if isinstance(event, RETURNS_DOTS) and dots_before:
        room = store.room(conn, room_id)
        assert room is not None
        settings = RoomSettings.load(room.settings)
        back = voting.returned((voting.Dot(d.seq, d.participant_id, d.item) for d in store.dots(conn, room_id)),
                               _vote_items(conn, room_id), settings)
        store.delete_dots(conn, room_id, [d.seq for d in back])
        # Pages ask for the room again: their dots may have changed. While the totals are hidden,
        # whether this event gave dots back would tell the room that the item held some, so every
        # page gets the flag whenever the room has dots at all (which the count of voters says).
        if store.count_dots(conn, room_id) < dots_before or not tallies_shown(room.phase, settings):
            extra["votes_returned"] = True
    return extra


def _vote_items(conn: Connection, room_id: str) -> dict[str, voting.ItemFacts]:
    layout = store.layout(conn, room_id)
    items = {i: voting.ItemFacts("idea", p.cluster is not None, i in layout.hidden) for i, p in layout.ideas.items()}
    items.update({c: voting.ItemFacts("cluster") for c in layout.clusters})
    return items


def _undo_record(conn: Connection, room_id: str, event: RoomEvent) -> str | None:
    """A grouping or roadmap change keeps what it did and its inverse, so that its author can undo it."""
    if isinstance(event, ActionChanged):
        if event.undo_of is not None:
            store.mark_undone(conn, room_id, event.undo_of)
            return None
        dump = (lambda a: None if a is None else a.dump())  # noqa: E731
        return json.dumps({"id": event.action, "before": dump(event.before), "after": dump(event.state)})
    if not isinstance(event, Regrouped):
        return None
    if event.undo_of is not None:
        store.mark_undone(conn, room_id, event.undo_of)
        return None
    return json.dumps({"change": grouping.dump(event.change), "inverse": grouping.dump(event.inverse)})


def decide(conn: Connection, room: Any, command: Command, actor: domain.Actor, facts: domain.RoomFacts,
           new_id: str) -> RoomEvent | Rejection:
    if isinstance(command, IdeaAdd):
        return domain.add_idea(command, actor, facts, store.prompt_exists(conn, room.id, command.prompt),
                               store.count_ideas(conn, room.id, actor.id), new_id, facts.now)
    if isinstance(command, (IdeaEdit, IdeaDelete, IdeaHide)):
        return _idea_command(conn, room, command, actor, facts)
    if isinstance(command, RoomPhase):
        return facilitation.change_phase(command, actor, facts)
    if isinstance(command, RoomConfigure):
        return facilitation.configure(command, actor, facts)
    if isinstance(command, PromptAdd):
        return facilitation.add_prompt(command, actor, facts, store.count_prompts(conn, room.id), new_id)
    if isinstance(command, (PromptRename, PromptDelete)):
        exists = store.prompt_exists(conn, room.id, command.prompt)
        if isinstance(command, PromptRename):
            return facilitation.rename_prompt(command, actor, facts, exists)
        return facilitation.delete_prompt(command, actor, facts, exists, store.count_prompts(conn, room.id))
    if isinstance(command, ParticipantLeave):
        me = store.participant(conn, room.id, actor.id)
        assert me is not None  # `run` checked that this person is in the room
        here, _deleted = store.authored(conn, room.id, actor.id)
        return facilitation.leave(command, actor, facts, _person(me), tuple(row.id for row in here))
    if isinstance(command, (ParticipantRemove, ParticipantRole)):
        row = store.participant_by_public_id(conn, room.id, command.participant)
        target = None if row is None else _person(row)
        if isinstance(command, ParticipantRemove):
            return facilitation.remove_participant(command, actor, facts, target)
        return facilitation.set_role(command, actor, facts, target)
    if isinstance(command, GROUPING):
        return group_commands.decide(command, actor, facts, store.layout(conn, room.id), new_id)
    if isinstance(command, GroupUndo):
        return _undo(conn, room, actor, facts)
    if isinstance(command, (VoteAdd, VoteRemove)):
        return _vote(conn, room, command, actor, facts)
    if isinstance(command, (ActionAdd, ActionEdit, ActionDelete, ActionMove, ActionUndo)):
        return _plan(conn, room, command, actor, facts, new_id)
    return facilitation.run_timer(command, actor, facts)


def _person(row: Any) -> facilitation.PersonFacts:
    return facilitation.PersonFacts(row.id, row.public_id, row.role, row.removed, bool(row.creator))


def _forget(conn: Connection, room_id: str, rows: list[Any]) -> None:
    """The log's copies of erased ideas' texts go (see `erasure.forgotten`)."""
    whole, redacted = erasure.forgotten(rows)
    store.skip_events(conn, room_id, whole)
    store.skip_redacted(conn, room_id, redacted)


def _leave(conn: Connection, room_id: str, facts: domain.RoomFacts, event: ParticipantRemoved,
           seq: int) -> tuple[dict[str, Any], str | None]:
    """Erase the person who leaves (see `erasure`): their ideas and what hangs on them, their dots
    and pseudonym, and the log's copies of their texts; all in this transaction.

    Returns the event's extra fields and, when some pages must not learn everything (private
    writing, hidden ideas), what they get instead.
    """
    here, deleted = store.authored(conn, room_id, event.participant_id)
    frames = store.logged_frames(conn, room_id, [*event.ideas, *deleted])
    titles = erasure.suggested_titles(erasure.texts(f for row in frames for f in (row.payload, row.redacted)))
    left = {row.cluster_id for row in here if row.cluster_id is not None}
    dots_before = store.count_dots(conn, room_id)
    store.apply(conn, room_id, event, seq)
    _forget(conn, room_id, frames)
    for row in store.events_quoting(conn, room_id, sorted(titles)):
        payload, undo = erasure.scrub_frame(row.payload, titles), row.undo and erasure.scrub_undo(row.undo, titles)
        if payload or undo:
            store.rewrite_event(conn, room_id, row.seq, payload or row.payload, undo or row.undo)
    fixes = erasure.cluster_fixes(store.layout(conn, room_id), titles, left)
    store._apply_change(conn, room_id, fixes)
    board = Regrouped("participant.leave", fixes).wire()
    extra: dict[str, Any] = {"clusters": board["clusters"], "dropped": board["dropped"]}
    if store.count_dots(conn, room_id) < dots_before:
        extra["votes_returned"] = True  # totals and voters changed: pages ask for the room again
    private, hidden = private_now(facts.phase, facts.settings), {row.id for row in here if row.hidden}
    if not private and not hidden:
        return extra, None
    others: dict[str, Any] = {**event.wire(), "seq": seq, **{k: v for k, v in extra.items() if k == "votes_returned"}}
    if private:  # no idea id, no cluster: the counts per prompt only
        others.update(ideas=[], clusters=[], dropped=[], tallies=store.tally(conn, room_id))
    else:
        others.update(ideas=[i for i in event.ideas if i not in hidden], clusters=extra["clusters"],
                      dropped=extra["dropped"])
    return extra, encode(others)


def _undo(conn: Connection, room: Any, actor: domain.Actor, facts: domain.RoomFacts) -> RoomEvent | Rejection:
    found = store.last_undoable(conn, room.id, actor.id)
    last = None
    if found is not None:
        seq, record = found
        data = json.loads(record)
        last = (seq, grouping.load(data["change"]), grouping.load(data["inverse"]))
    return group_commands.undo(actor, facts, store.layout(conn, room.id), last)


def _plan(conn: Connection, room: Any, command: ActionAdd | ActionEdit | ActionDelete | ActionMove | ActionUndo,
          actor: domain.Actor, facts: domain.RoomFacts, new_id: str) -> RoomEvent | Rejection:
    board = _roadmap_board(conn, room.id)
    if isinstance(command, ActionUndo):
        return _undo_action(conn, room.id, actor, facts, board)
    if isinstance(command, ActionAdd):
        event = roadmap.add(command, actor, facts, board, new_id)
    elif isinstance(command, ActionEdit):
        event = roadmap.edit(command, actor, facts, board)
    elif isinstance(command, ActionDelete):
        event = roadmap.delete(command, actor, facts, board)
    else:
        event = roadmap.move(command, actor, facts, board)
    if isinstance(event, Rejection):
        return event
    return replace(event, before=board.actions.get(event.action))


def _roadmap_board(conn: Connection, room_id: str) -> roadmap.Board:
    layout = store.layout(conn, room_id)
    _mine, totals, _voters = store.vote_summary(conn, room_id, "")
    actions = {row.id: roadmap.Action(row.title, row.description, tuple(json.loads(row.owners)),
                                      tuple(json.loads(row.partners)), row.horizon, row.due, row.status,
                                      row.source_kind, row.source_id, row.position)
               for row in store.actions(conn, room_id)}
    sources = frozenset(layout.clusters) | (frozenset(layout.ideas) - layout.hidden)
    return roadmap.Board(actions, totals, sources)


def _undo_action(conn: Connection, room_id: str, actor: domain.Actor, facts: domain.RoomFacts,
                 board: roadmap.Board) -> RoomEvent | Rejection:
    if refused := domain.phase_check(facts, "action.undo", actor):
        return refused
    found = store.last_undoable(conn, room_id, actor.id, "action")
    if found is None:
        return Rejection("undo.nothing")
    seq, record = found
    data = json.loads(record)
    after = None if data["after"] is None else roadmap.Action.load(data["after"])
    if board.actions.get(data["id"]) != after:  # someone changed it since: do not overwrite their work
        return Rejection("undo.conflict")
    before = None if data["before"] is None else roadmap.Action.load(data["before"])
    return ActionChanged(data["id"], before, undo_of=seq)


def _vote(conn: Connection, room: Any, command: VoteAdd | VoteRemove, actor: domain.Actor,
          facts: domain.RoomFacts) -> RoomEvent | Rejection:
    found = store.vote_item(conn, room.id, command.item)
    item = None if found is None else voting.ItemFacts(found[0], found[1], found[2])  # type: ignore[arg-type]
    mine_total, mine_here, total_here = store.vote_counts(conn, room.id, actor.id, command.item)
    voters = store.voters(conn, room.id) if voting.counts_voters(command.type, mine_total) else None
    tally = voting.Tally(mine_total, mine_here, total_here, voters)
    rule = voting.add if isinstance(command, VoteAdd) else voting.remove
    return rule(command, actor, facts, item, tally)  # type: ignore[arg-type]


def _idea_command(conn: Connection, room: Any, command: IdeaEdit | IdeaDelete | IdeaHide, actor: domain.Actor,
                  facts: domain.RoomFacts) -> RoomEvent | Rejection:
    row = store.idea(conn, room.id, command.idea)
    idea = None if row is None else domain.IdeaFacts(row.id, row.author_id, row.text, row.colour, row.prompt_id,
                                                     row.hidden, row.created_at)
    if idea is not None and idea.hidden and actor.role != "facilitator":
        idea = None  # a hidden idea does not exist for participants, their own included
    if isinstance(command, IdeaEdit):
        return domain.edit_idea(command, actor, facts, idea, facts.now)
    if isinstance(command, IdeaDelete):
        return domain.delete_idea(command, actor, facts, idea)
    shown = None if row is None else idea_added(room, row)
    return facilitation.hide_idea(command, actor, facts, idea, shown)


def idea_added(room: Any, row: Any, name: str | None = None) -> IdeaAdded:
    return IdeaAdded(idea=row.id, prompt=row.prompt_id, author_id=row.author_id,
                     author=auth.author_tag(room.author_key, row.author_id), text=row.text,
                     colour=row.colour, at=row.created_at, name=name)


def _audience(conn: Connection, room: Any, facts: domain.RoomFacts, event: RoomEvent, before: Any | None,
              seq: int, extra: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(audience tag, author's participant id, redacted frame); all None when everyone gets the event.

    Live fan-out matches the audience by author tag; the log keeps the participant id
    so that a catch-up can tell which reader is the author.
    """
    if isinstance(event, IdeaHidden):
        shown = event.shown.wire() if not event.hidden else {"type": "idea.deleted", "idea": event.idea}
        flag = {k: v for k, v in extra.items() if k == "votes_returned"}  # its voters must hear their dots went
        return FACILITATORS, None, encode({**shown, **flag, "seq": seq})
    if isinstance(event, VoteChanged):  # the voter's own count, facilitators included, is for the voter alone
        tag = auth.author_tag(room.author_key, event.voter_id)
        return ONLY + tag, ONLY + event.voter_id, encode({**event.redacted(), "seq": seq})
    if not isinstance(event, (IdeaAdded, IdeaEdited, IdeaDeleted)):
        return None, None, None
    if before is not None and before.hidden and isinstance(event, IdeaEdited):
        return FACILITATORS, None, encode({"type": "skip", **extra, "seq": seq})
    if not private_now(facts.phase, facts.settings):
        return None, None, None
    author_id = event.author_id if isinstance(event, IdeaAdded) else before.author_id
    tag = auth.author_tag(room.author_key, author_id)
    if isinstance(event, IdeaEdited):
        return tag, author_id, encode({"type": "skip", **extra, "seq": seq})
    prompt = event.prompt if isinstance(event, IdeaAdded) else before.prompt_id
    count = store.tally(conn, room.id, prompt)[prompt]
    return tag, author_id, encode({"type": "tally", **extra, "seq": seq, "prompt": prompt, "count": count})
