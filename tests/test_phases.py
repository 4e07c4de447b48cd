"""app.phases.allows: the whole (phase, command, role) table, written out."""

from __future__ import annotations

import itertools

import pytest

from app.phases import INITIAL_PHASE, PHASES, allows
from app.protocol import COMMAND_TYPES

# What DESIGN §1 says: participants add/edit/delete their own ideas while writing; the facilitator
# may correct ideas in every phase except once the workshop is closed.
PARTICIPANT_MAY = {
    ("write", "idea.add"), ("write", "idea.edit"), ("write", "idea.delete"),
}
FACILITATOR_MAY = {(phase, command) for phase in PHASES if phase != "closed" for command in COMMAND_TYPES}
ROLES = ("participant", "facilitator")

TABLE = [
    (phase, command, role, (phase, command) in (PARTICIPANT_MAY if role == "participant" else FACILITATOR_MAY))
    for phase, command, role in itertools.product(PHASES, sorted(COMMAND_TYPES), ROLES)
]


def test_the_table_covers_every_phase_command_and_role() -> None:
    assert len(TABLE) == 7 * 3 * 2
    assert PHASES == ("lobby", "write", "group", "vote", "results", "roadmap", "closed")
    assert COMMAND_TYPES == {"idea.add", "idea.edit", "idea.delete"}


@pytest.mark.parametrize(("phase", "command", "role", "expected"), TABLE)
def test_allows(phase: str, command: str, role: str, expected: bool) -> None:
    assert allows(phase, command, role) is expected  # type: ignore[arg-type]


def test_closed_is_read_only_for_everyone() -> None:
    assert not any(allows("closed", command, role) for command in COMMAND_TYPES for role in ROLES)  # type: ignore[arg-type]


def test_a_new_room_starts_where_participants_can_write() -> None:
    assert INITIAL_PHASE in PHASES
    assert all(allows(INITIAL_PHASE, command, "participant") for command in COMMAND_TYPES)


def test_participants_may_send_only_the_listed_commands() -> None:
    for event in ("idea.added", "idea.edited", "idea.deleted", "presence.joined", "snapshot"):
        assert not allows("write", event, "participant")


@pytest.mark.parametrize(("phase", "command"), [("write", "room.delete"), ("bogus", "idea.add"), ("", "idea.add")])
def test_unknown_phase_or_command_is_refused_for_everyone(phase: str, command: str) -> None:
    assert not allows(phase, command, "facilitator")
    assert not allows(phase, command, "participant")
