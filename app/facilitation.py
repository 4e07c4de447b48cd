"""Pure rules of the facilitator's commands: phases, settings, timer, prompts, people, moderation.

Same shape as `domain`: a command and the facts it needs -> an event or a `Rejection`.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import limits, phases
from .domain import Actor, IdeaFacts, RoomFacts, checked_text, phase_check
from .errors import Rejection
from .events import (IdeaAdded, IdeaHidden, ParticipantRemoved, ParticipantRoleChanged, PhaseChanged,
                     PromptAdded, PromptDeleted, PromptRenamed, RoomConfigured, TimerChanged)
from .protocol import (IdeaHide, ParticipantLeave, ParticipantRemove, ParticipantRole, PromptAdd, PromptDelete, PromptRename,
                       RoomConfigure, RoomPhase, TimerAdd, TimerPause, TimerResume, TimerStart, TimerStop)
from .visibility import view_changes

TimerCommand = TimerStart | TimerAdd | TimerPause | TimerResume | TimerStop


@dataclass(frozen=True)
class PersonFacts:
    id: str
    public_id: str
    role: str
    removed: bool
    creator: bool = False


def prompt_title(raw: str) -> str | Rejection:
    return checked_text(raw, "title", limits.PROMPT_TITLE_MAX)


def change_phase(cmd: RoomPhase, actor: Actor, room: RoomFacts) -> PhaseChanged | Rejection:
    """A timer belongs to the phase it was started in: a phase change stops it. Otherwise "Temps
    écoulé 00:00" stayed on every screen into the next phases, and going back to writing found
    writing closed at once by the old timer (`timer_closes_writing`)."""
    if refused := phase_check(room, cmd.type, actor):
        return refused
    stopped = None if room.timer.state == "stopped" else room.timer.stop().dump()
    return PhaseChanged(phase=cmd.phase, reveal=view_changes(room.phase, room.settings, cmd.phase, room.settings),
                        timer=stopped)


def configure(cmd: RoomConfigure, actor: Actor, room: RoomFacts) -> RoomConfigured | Rejection:
    if refused := phase_check(room, cmd.type, actor):
        return refused
    return RoomConfigured(settings=room.settings.merge(cmd.changes()).dump())


def run_timer(cmd: TimerCommand, actor: Actor, room: RoomFacts) -> TimerChanged | Rejection:
    if refused := phase_check(room, cmd.type, actor):
        return refused
    timer, now = room.timer, room.now
    if isinstance(cmd, TimerStart):
        return TimerChanged(timer.start(cmd.seconds, now).dump(), now)
    if isinstance(cmd, TimerStop):
        return TimerChanged(timer.stop().dump(), now)
    running, paused = timer.state == "running", timer.state == "paused"
    if isinstance(cmd, TimerPause) and running:
        return TimerChanged(timer.pause(now).dump(), now)
    if isinstance(cmd, TimerResume) and paused:
        return TimerChanged(timer.resume(now).dump(), now)
    if isinstance(cmd, TimerAdd) and (running or paused):
        return TimerChanged(timer.add(cmd.seconds, now).dump(), now)
    return Rejection("timer.not_running")


def add_prompt(cmd: PromptAdd, actor: Actor, room: RoomFacts, prompt_count: int, new_id: str) -> PromptAdded | Rejection:
    if refused := phase_check(room, cmd.type, actor):
        return refused
    if prompt_count >= limits.PROMPTS_PER_ROOM:
        return Rejection("prompt.too_many", {"max": limits.PROMPTS_PER_ROOM})
    title = prompt_title(cmd.title)
    return title if isinstance(title, Rejection) else PromptAdded(new_id, title, prompt_count)


def rename_prompt(cmd: PromptRename, actor: Actor, room: RoomFacts, exists: bool) -> PromptRenamed | Rejection:
    if refused := phase_check(room, cmd.type, actor):
        return refused
    if not exists:
        return Rejection("prompt.not_found")
    title = prompt_title(cmd.title)
    return title if isinstance(title, Rejection) else PromptRenamed(cmd.prompt, title)


def delete_prompt(cmd: PromptDelete, actor: Actor, room: RoomFacts, exists: bool,
                  prompt_count: int) -> PromptDeleted | Rejection:
    if refused := phase_check(room, cmd.type, actor):
        return refused
    if not exists:
        return Rejection("prompt.not_found")
    if prompt_count <= 1:
        return Rejection("prompt.last")
    return PromptDeleted(cmd.prompt)


def hide_idea(cmd: IdeaHide, actor: Actor, room: RoomFacts, idea: IdeaFacts | None,
              shown: IdeaAdded | None) -> IdeaHidden | Rejection:
    if refused := phase_check(room, cmd.type, actor):
        return refused
    if idea is None or shown is None:
        return Rejection("idea.not_found")
    return IdeaHidden(idea.id, cmd.hidden, shown)


def remove_participant(cmd: ParticipantRemove, actor: Actor, room: RoomFacts,
                       target: PersonFacts | None) -> ParticipantRemoved | Rejection:
    if refused := phase_check(room, cmd.type, actor) or _other_person(actor, target):
        return refused
    assert target is not None
    if target.creator:
        return Rejection("participant.creator")
    return ParticipantRemoved(target.id, target.public_id)


def leave(cmd: ParticipantLeave, actor: Actor, room: RoomFacts, me: PersonFacts,
          ideas: tuple[str, ...]) -> ParticipantRemoved | Rejection:
    """Leave and erase one's ideas (`ideas`: every idea this person wrote that is still here).

    In every phase, whatever the timer says: erasure is a right, not a move of the workshop.
    The creator cannot: the workshop would lose its lead facilitator; deleting the workshop
    is their way to erase everything.
    """
    if not phases.allows(room.phase, cmd.type, "facilitator" if actor.role == "facilitator" else "participant"):
        return Rejection("phase.forbidden", {"phase": room.phase, "command": cmd.type})
    if me.creator:
        return Rejection("participant.creator_leaves")
    return ParticipantRemoved(me.id, me.public_id, left=True, ideas=ideas)


def set_role(cmd: ParticipantRole, actor: Actor, room: RoomFacts,
             target: PersonFacts | None) -> ParticipantRoleChanged | Rejection:
    if refused := phase_check(room, cmd.type, actor) or _other_person(actor, target):
        return refused
    assert target is not None
    if target.creator and cmd.role != "facilitator":  # only demoting is refused: appointing gives rights back
        return Rejection("participant.creator")
    return ParticipantRoleChanged(target.id, target.public_id, cmd.role)


def _other_person(actor: Actor, target: PersonFacts | None) -> Rejection | None:
    if target is None or target.removed:
        return Rejection("participant.not_found")
    if target.id == actor.id:  # nobody removes or demotes themselves by mistake
        return Rejection("participant.self")
    return None
