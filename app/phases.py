"""What each phase of a workshop allows: the one table of these rules.

The facilitator may always correct ideas (except once the workshop is closed);
participants act only where the table says so.
"""

from __future__ import annotations

from typing import Literal

Phase = Literal["lobby", "write", "group", "vote", "results", "roadmap", "closed"]
PHASES: tuple[Phase, ...] = ("lobby", "write", "group", "vote", "results", "roadmap", "closed")
Role = Literal["facilitator", "participant"]
INITIAL_PHASE: Phase = "write"

# command type -> phases in which a participant may send it. A command missing
# here is refused to everyone: new commands are closed until listed.
_PARTICIPANT: dict[str, frozenset[str]] = {
    "idea.add": frozenset({"write"}),
    "idea.edit": frozenset({"write"}),
    "idea.delete": frozenset({"write"}),
}
_FACILITATOR_EVERYWHERE_BUT = frozenset({"closed"})


def allows(phase: str, command: str, role: Role) -> bool:
    if phase not in PHASES or command not in _PARTICIPANT:
        return False
    if role == "facilitator":
        return phase not in _FACILITATOR_EVERYWHERE_BUT
    return phase in _PARTICIPANT[command]
