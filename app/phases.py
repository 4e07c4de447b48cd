"""What each phase of a workshop allows: the one table of these rules.

Participants write during "write" (and later if the room allows adding after
writing), group during "group" (unless the room keeps grouping to facilitators)
and place dots during "vote". Facilitators run the room: they may correct
ideas, prompts and the timer in every phase but "closed", group in every phase
from "group" on (never while ideas may still be private), vote like everyone
during "vote", write the roadmap from "results" on (participants during
"roadmap" if the room lets them), and move phases, change settings and manage people in every
phase, so that a closed workshop can be reopened.
"""

from __future__ import annotations

from typing import Literal

Phase = Literal["lobby", "write", "group", "vote", "results", "roadmap", "closed"]
PHASES: tuple[Phase, ...] = ("lobby", "write", "group", "vote", "results", "roadmap", "closed")
Role = Literal["facilitator", "participant"]
INITIAL_PHASE: Phase = "lobby"
AFTER_WRITE: frozenset[str] = frozenset({"group", "vote", "results", "roadmap"})
RESULTS: frozenset[str] = frozenset({"results", "roadmap", "closed"})  # tallies shown to all from here

WRITING = frozenset({"idea.add", "idea.edit", "idea.delete"})
GROUPING = frozenset({"cluster.create", "ideas.move", "cluster.rename", "cluster.merge",
                      "cluster.dissolve", "cluster.move", "group.undo"})
VOTING = frozenset({"vote.add", "vote.remove"})
ROADMAP = frozenset({"action.add", "action.edit", "action.delete", "action.move", "action.undo"})
LEAVING = frozenset({"participant.leave"})  # erasure is a right: every phase, everyone but the creator
PARTICIPANT_COMMANDS = WRITING | GROUPING | VOTING | ROADMAP | LEAVING  # everything else is for facilitators
_OPEN = frozenset(PHASES)
_NOT_CLOSED = _OPEN - {"closed"}
# command -> (phases for participants, phases for facilitators). A command missing
# here is refused to everyone: new commands are closed until listed.
_TABLE: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    **{command: (frozenset({"write"}), _NOT_CLOSED) for command in WRITING},
    **{command: (frozenset({"group"}), AFTER_WRITE) for command in GROUPING},
    **{command: (frozenset({"vote"}), frozenset({"vote"})) for command in VOTING},
    **{command: (frozenset({"roadmap"}), frozenset({"results", "roadmap"})) for command in ROADMAP},
    **{command: (frozenset(), _NOT_CLOSED) for command in (
        "idea.hide", "prompt.add", "prompt.rename", "prompt.delete",
        "timer.start", "timer.pause", "timer.resume", "timer.add", "timer.stop")},
    **{command: (frozenset(), _OPEN) for command in (
        "room.phase", "room.configure", "participant.remove", "participant.role")},
    **{command: (_OPEN, _OPEN) for command in LEAVING},
}


# While ideas are private (writing with private writing on), nobody but their authors
# sees them: hiding one would tell the room it exists. Delete it if it must go.
_NOT_WHILE_PRIVATE = frozenset({"idea.hide"})


def allows(phase: str, command: str, role: Role, *, add_after_write: bool = False,
           participants_group: bool = True, participants_plan: bool = False, private: bool = False) -> bool:
    if phase not in PHASES or command not in _TABLE:
        return False
    if private and command in _NOT_WHILE_PRIVATE:
        return False
    participants, facilitators = _TABLE[command]
    if role == "facilitator":
        return phase in facilitators
    if command in GROUPING and not participants_group:
        return False
    if command in ROADMAP and not participants_plan:
        return False
    return phase in participants or (add_after_write and command in WRITING and phase in AFTER_WRITE)


def closed_by_timer(phase: str, command: str) -> bool:
    """Does a timer that ran out refuse `command` (rooms with `timer_closes_writing`)? Only
    writing during "write": the timer closes writing, not the vote, grouping or roadmap."""
    return phase == "write" and command in WRITING


def commands() -> frozenset[str]:
    return frozenset(_TABLE)
