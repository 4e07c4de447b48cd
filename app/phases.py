"""What each phase of a workshop allows: the one table of these rules.

Participants write during "write" (and later if the room allows adding after
writing). Facilitators run the room: they may correct ideas, prompts and the
timer in every phase but "closed", and move phases, change settings and manage
people in every phase, so that a closed workshop can be reopened.
"""

from __future__ import annotations

from typing import Literal

Phase = Literal["lobby", "write", "group", "vote", "results", "roadmap", "closed"]
PHASES: tuple[Phase, ...] = ("lobby", "write", "group", "vote", "results", "roadmap", "closed")
Role = Literal["facilitator", "participant"]
INITIAL_PHASE: Phase = "lobby"
AFTER_WRITE: frozenset[str] = frozenset({"group", "vote", "results", "roadmap"})

_WRITING = frozenset({"idea.add", "idea.edit", "idea.delete"})
PARTICIPANT_COMMANDS = _WRITING  # everything else is for facilitators
_OPEN = frozenset(PHASES)
_NOT_CLOSED = _OPEN - {"closed"}
# command -> (phases for participants, phases for facilitators). A command missing
# here is refused to everyone: new commands are closed until listed.
_TABLE: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    **{command: (frozenset({"write"}), _NOT_CLOSED) for command in _WRITING},
    **{command: (frozenset(), _NOT_CLOSED) for command in (
        "idea.hide", "prompt.add", "prompt.rename", "prompt.delete",
        "timer.start", "timer.pause", "timer.resume", "timer.add", "timer.stop")},
    **{command: (frozenset(), _OPEN) for command in (
        "room.phase", "room.configure", "participant.remove", "participant.role")},
}


def allows(phase: str, command: str, role: Role, *, add_after_write: bool = False) -> bool:
    if phase not in PHASES or command not in _TABLE:
        return False
    participants, facilitators = _TABLE[command]
    if role == "facilitator":
        return phase in facilitators
    return phase in participants or (add_after_write and command in _WRITING and phase in AFTER_WRITE)


def commands() -> frozenset[str]:
    return frozenset(_TABLE)
