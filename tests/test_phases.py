"""app.phases.allows: the whole (phase, command, role) table, written out."""

from __future__ import annotations

import itertools

import pytest

from app.domain import Actor, RoomFacts, phase_check
from app.phases import INITIAL_PHASE, PHASES, allows, closed_by_timer
from app.protocol import COMMAND_TYPES
from app.room_settings import RoomSettings
from app.timer import Timer

# Written out from DESIGN §1 and issue 3, not derived from the code under test.
WRITING = {"idea.add", "idea.edit", "idea.delete"}
RUNNING = {"idea.hide", "prompt.add", "prompt.rename", "prompt.delete",
           "timer.start", "timer.pause", "timer.resume", "timer.add", "timer.stop"}
STEERING = {"room.phase", "room.configure", "participant.remove", "participant.role"}
GROUPING = {"cluster.create", "ideas.move", "cluster.rename", "cluster.merge", "cluster.dissolve", "cluster.move",
            "group.undo"}
VOTING = {"vote.add", "vote.remove"}
ROADMAP = {"action.add", "action.edit", "action.delete", "action.move", "action.undo"}
LEAVING = {"participant.leave"}  # issue 8: leaving and erasing one's ideas is a right, in every phase
PARTICIPANT_MAY = ({("write", command) for command in WRITING} | {("group", command) for command in GROUPING}
                   | {("vote", command) for command in VOTING}  # the roadmap only when the room says so
                   | {(phase, command) for phase in PHASES for command in LEAVING})
FACILITATOR_MAY = ({(phase, command) for phase in PHASES if phase != "closed" for command in WRITING | RUNNING}
                   | {(phase, command) for phase in PHASES for command in STEERING | LEAVING}
                   | {(phase, command) for phase in ("group", "vote", "results", "roadmap") for command in GROUPING}
                   | {("vote", command) for command in VOTING}
                   | {(phase, command) for phase in ("results", "roadmap") for command in ROADMAP})
ROLES = ("participant", "facilitator")

TABLE = [
    (phase, command, role, (phase, command) in (PARTICIPANT_MAY if role == "participant" else FACILITATOR_MAY))
    for phase, command, role in itertools.product(PHASES, sorted(COMMAND_TYPES), ROLES)
]


def test_the_table_covers_every_phase_command_and_role() -> None:
    assert PHASES == ("lobby", "write", "group", "vote", "results", "roadmap", "closed")
    assert COMMAND_TYPES == WRITING | RUNNING | STEERING | GROUPING | VOTING | ROADMAP | LEAVING
    assert len(TABLE) == 7 * len(COMMAND_TYPES) * 2


@pytest.mark.parametrize(("phase", "command", "role", "expected"), TABLE)
def test_allows(phase: str, command: str, role: str, expected: bool) -> None:
    assert allows(phase, command, role) is expected  # type: ignore[arg-type]


def test_closed_is_read_only_but_can_be_reopened() -> None:
    for command in WRITING | RUNNING:
        assert not any(allows("closed", command, role) for role in ROLES)  # type: ignore[arg-type]
    assert allows("closed", "room.phase", "facilitator")


def test_a_new_room_starts_in_the_lobby_where_nobody_writes_yet() -> None:
    assert INITIAL_PHASE == "lobby"
    assert not any(allows(INITIAL_PHASE, command, "participant") for command in WRITING)


@pytest.mark.parametrize("phase", ["group", "vote", "results", "roadmap"])
def test_adding_after_writing_is_a_room_setting(phase: str) -> None:
    assert not allows(phase, "idea.add", "participant")
    assert allows(phase, "idea.add", "participant", add_after_write=True)
    assert not allows("closed", "idea.add", "participant", add_after_write=True)
    assert not allows("lobby", "idea.add", "participant", add_after_write=True)


def test_participants_may_send_only_the_listed_commands() -> None:
    for event in ("idea.added", "idea.edited", "idea.deleted", "presence.joined", "snapshot"):
        assert not allows("write", event, "participant")


@pytest.mark.parametrize(("phase", "command"), [("write", "room.delete"), ("bogus", "idea.add"), ("", "idea.add")])
def test_unknown_phase_or_command_is_refused_for_everyone(phase: str, command: str) -> None:
    assert not allows(phase, command, "facilitator")
    assert not allows(phase, command, "participant")


def test_grouping_can_be_kept_to_facilitators() -> None:
    for command in GROUPING:
        assert not allows("group", command, "participant", participants_group=False)
        assert allows("group", command, "facilitator", participants_group=False)
    assert allows("vote", "vote.add", "participant", participants_group=False)


def test_nobody_groups_while_ideas_may_still_be_private() -> None:
    for phase, role in itertools.product(("lobby", "write", "closed"), ROLES):
        assert not any(allows(phase, command, role) for command in GROUPING)  # type: ignore[arg-type]


def test_hiding_is_refused_while_writing_is_private() -> None:
    assert allows("write", "idea.hide", "facilitator")
    assert not allows("write", "idea.hide", "facilitator", private=True)
    assert allows("write", "idea.edit", "facilitator", private=True)


def test_participants_write_the_roadmap_only_when_the_room_lets_them() -> None:
    for command in ROADMAP:
        assert allows("roadmap", command, "participant", participants_plan=True)
        assert not allows("results", command, "participant", participants_plan=True)
        assert not allows("closed", command, "facilitator")


# -- a timer that ran out (room setting `timer_closes_writing`) ------------------------------------

def _expired_room(phase: str, *, closes: bool = True, add_after_write: bool = False) -> RoomFacts:
    return RoomFacts(phase=phase, idea_count=0, now=1000.0, timer=Timer().start(60, 900.0),
                     settings=RoomSettings(timer_closes_writing=closes, add_after_write=add_after_write,
                                           roadmap="everyone"))


@pytest.mark.parametrize("phase, command", [(p, c) for p, c in sorted(PARTICIPANT_MAY) if c not in LEAVING])
def test_a_timer_that_ran_out_closes_only_writing_during_write(phase: str, command: str) -> None:
    actor = Actor("p", "tag", "participant")
    refused = phase_check(_expired_room(phase), command, actor)
    assert (refused.code if refused else None) == ("timer.expired" if phase == "write" else None)
    assert phase_check(_expired_room(phase, closes=False), command, actor) is None  # the setting off: never
    assert phase_check(_expired_room(phase), command, Actor("f", "tag-f", "facilitator")) is None  # facilitators write on


def test_adding_after_writing_is_not_closed_by_a_timer_of_the_later_phase() -> None:
    actor = Actor("p", "tag", "participant")
    assert phase_check(_expired_room("group", add_after_write=True), "idea.add", actor) is None
    assert phase_check(_expired_room("roadmap"), "action.add", actor) is None


def test_closed_by_timer_names_writing_in_write_only() -> None:
    assert {(p, c) for p in PHASES for c in COMMAND_TYPES if closed_by_timer(p, c)} == {("write", c) for c in WRITING}
