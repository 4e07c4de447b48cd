"""Pure rules: a command and the facts it needs -> an event, or a `Rejection`.

No I/O here. The service loads the facts inside the write transaction, so what
the rules see is exactly what will be committed. Each rule reads in the same
order: authority (phase, role, ownership), then validation, then resolution.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import limits, phases, text
from .errors import Rejection
from .events import IdeaAdded, IdeaDeleted, IdeaEdited
from .protocol import IdeaAdd, IdeaDelete, IdeaEdit
from .room_settings import RoomSettings
from .timer import Timer
from .visibility import private_now


@dataclass(frozen=True)
class Actor:
    id: str
    tag: str
    role: phases.Role


@dataclass(frozen=True)
class RoomFacts:
    phase: str
    idea_count: int
    settings: RoomSettings = RoomSettings()
    timer: Timer = Timer()
    now: float = 0.0


@dataclass(frozen=True)
class IdeaFacts:
    id: str
    author_id: str
    text: str
    colour: str
    prompt_id: str = ""
    hidden: bool = False
    created_at: float = 0.0


def checked_text(raw: str, field: str, maximum: int, *, multiline: bool = False) -> str | Rejection:
    """The one rule for every text a person types: cleaned, not empty, within its limit."""
    if not isinstance(raw, str) or len(raw) > maximum * 8:  # far too long to be worth cleaning
        return Rejection("text.too_long", {"field": field, "max": maximum})
    cleaned = text.clean(raw, multiline=multiline)
    if not cleaned:
        return Rejection("text.empty", {"field": field})
    if len(cleaned) > maximum:
        return Rejection("text.too_long", {"field": field, "max": maximum})
    return cleaned


def idea_text(raw: str) -> str | Rejection:
    return checked_text(raw, "text", limits.IDEA_TEXT_MAX, multiline=True)


def phase_check(room: RoomFacts, command: str, actor: Actor) -> Rejection | None:
    """Authority first (role), then the phase table, then the timer when it closes writing
    (participants' writing during "write" only: `phases.closed_by_timer`)."""
    if actor.role != "facilitator" and command not in phases.PARTICIPANT_COMMANDS:
        return Rejection("auth.forbidden")
    if (command in phases.GROUPING and actor.role != "facilitator" and room.settings.grouping != "everyone"
            and room.phase == "group"):
        return Rejection("grouping.facilitators_only")
    if (command in phases.ROADMAP and actor.role != "facilitator" and room.settings.roadmap != "everyone"
            and room.phase == "roadmap"):
        return Rejection("roadmap.facilitators_only")
    if not phases.allows(room.phase, command, actor.role, add_after_write=room.settings.add_after_write,
                         participants_group=room.settings.grouping == "everyone",
                         participants_plan=room.settings.roadmap == "everyone",
                         private=private_now(room.phase, room.settings)):
        return Rejection("phase.forbidden", {"phase": room.phase, "command": command})
    if (actor.role != "facilitator" and room.settings.timer_closes_writing and phases.closed_by_timer(room.phase, command)
            and room.timer.expired(room.now)):
        return Rejection("timer.expired")
    return None


_phase = phase_check


def _may_change(actor: Actor, idea: IdeaFacts | None) -> Rejection | None:
    if idea is None:
        return Rejection("idea.not_found")
    if actor.role != "facilitator" and idea.author_id != actor.id:
        return Rejection("idea.not_yours")
    return None


def add_idea(cmd: IdeaAdd, actor: Actor, room: RoomFacts, prompt_exists: bool,
             own_ideas: int, new_id: str, now: float) -> IdeaAdded | Rejection:
    if refused := _phase(room, cmd.type, actor):
        return refused
    if not prompt_exists:
        return Rejection("prompt.not_found")
    if own_ideas >= limits.IDEAS_PER_PARTICIPANT:
        return Rejection("idea.too_many", {"max": limits.IDEAS_PER_PARTICIPANT})
    if room.idea_count >= limits.IDEAS_PER_ROOM:
        return Rejection("room.full_of_ideas", {"max": limits.IDEAS_PER_ROOM})
    cleaned = idea_text(cmd.text)
    if isinstance(cleaned, Rejection):
        return cleaned
    return IdeaAdded(idea=new_id, prompt=cmd.prompt, author_id=actor.id, author=actor.tag,
                     text=cleaned, colour=cmd.colour, at=now)


def edit_idea(cmd: IdeaEdit, actor: Actor, room: RoomFacts, idea: IdeaFacts | None,
              now: float) -> IdeaEdited | Rejection:
    if refused := _phase(room, cmd.type, actor) or _may_change(actor, idea):
        return refused
    assert idea is not None
    new_text = idea.text if cmd.text is None else idea_text(cmd.text)
    if isinstance(new_text, Rejection):
        return new_text
    return IdeaEdited(idea=idea.id, text=new_text, colour=cmd.colour or idea.colour, at=now)


def delete_idea(cmd: IdeaDelete, actor: Actor, room: RoomFacts,
                idea: IdeaFacts | None) -> IdeaDeleted | Rejection:
    if refused := _phase(room, cmd.type, actor) or _may_change(actor, idea):
        return refused
    assert idea is not None
    return IdeaDeleted(idea=idea.id)
