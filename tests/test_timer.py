"""The timer, the room's settings and the facilitator's rules on them, as pure rules: no socket, no database.

The websocket tests (test_facilitation.py) show them reaching pages; these pin the rules down.
"""

from __future__ import annotations

import pytest

from app import facilitation
from app.domain import Actor, RoomFacts
from app.errors import Rejection
from app.events import PhaseChanged, RoomConfigured, TimerChanged
from app.protocol import RoomConfigure, RoomPhase, TimerAdd, TimerPause, TimerResume, TimerStart, TimerStop
from app.room_settings import RoomSettings
from app.timer import Timer

NOW = 1_000_000.0
FACILITATOR = Actor("f", "tag-f", "facilitator")
PARTICIPANT = Actor("p", "tag-p", "participant")


# -- app.timer.Timer ---------------------------------------------------------------------------

def test_start_holds_the_end_time_not_a_countdown() -> None:
    timer = Timer().start(180, NOW)
    assert timer == Timer("running", NOW + 180, None, 180.0)
    assert timer.left(NOW + 30) == 150 and not timer.expired(NOW + 30)


def test_pause_keeps_what_was_left_and_resume_sets_a_new_end() -> None:
    paused = Timer().start(180, NOW).pause(NOW + 60)
    assert paused == Timer("paused", None, 120.0, 180.0)
    assert paused.left(NOW + 9999) == 120  # a paused timer does not run down
    assert paused.resume(NOW + 500) == Timer("running", NOW + 620, None, 180.0)


@pytest.mark.parametrize(("timer", "seconds", "now", "expected"), [
    (Timer("running", NOW + 100, None, 180.0), 60, NOW, Timer("running", NOW + 160, None, 180.0)),
    (Timer("running", NOW + 100, None, 180.0), -60, NOW, Timer("running", NOW + 40, None, 180.0)),
    # Taking off more than is left ends it now, never in the past (pages would show negative time).
    (Timer("running", NOW + 100, None, 180.0), -3600, NOW, Timer("running", NOW, None, 180.0)),
    (Timer("running", NOW - 50, None, 180.0), 60, NOW, Timer("running", NOW + 10, None, 180.0)),  # already out
    (Timer("paused", None, 30.0, 180.0), 60, NOW, Timer("paused", None, 90.0, 180.0)),
    (Timer("paused", None, 30.0, 180.0), -60, NOW, Timer("paused", None, 0.0, 180.0)),  # floored at zero
])
def test_add_moves_the_end_and_never_below_now_or_zero(timer: Timer, seconds: int, now: float, expected: Timer) -> None:
    assert timer.add(seconds, now) == expected


@pytest.mark.parametrize(("timer", "left", "expired"), [
    (Timer(), 0.0, False),  # stopped: never expires, whatever the time
    (Timer("running", NOW + 5, None, 60.0), 5.0, False),
    (Timer("running", NOW, None, 60.0), 0.0, True),
    (Timer("running", NOW - 30, None, 60.0), 0.0, True),  # left is never negative
    (Timer("paused", None, 12.5, 60.0), 12.5, False),
    (Timer("paused", None, 0.0, 60.0), 0.0, True),  # paused at zero is over too
])
def test_left_and_expired(timer: Timer, left: float, expired: bool) -> None:
    assert (timer.left(NOW), timer.expired(NOW)) == (left, expired)


def test_stop_forgets_everything_and_the_timer_round_trips() -> None:
    running = Timer().start(60, NOW)
    assert running.stop() == Timer() and Timer.load(running.dump()) == running
    assert Timer.load({}) == Timer() and Timer.load({**running.dump(), "extra": 1}) == running


# -- facilitation.run_timer ----------------------------------------------------------------------

def room(timer: Timer = Timer(), phase: str = "write", **settings: object) -> RoomFacts:
    return RoomFacts(phase=phase, idea_count=0, settings=RoomSettings(**settings), timer=timer, now=NOW)  # type: ignore[arg-type]


STOPPED, RUNNING, PAUSED = Timer(), Timer().start(60, NOW - 10), Timer("paused", None, 20.0, 60.0)


@pytest.mark.parametrize(("timer", "command", "state"), [
    (STOPPED, TimerStart(type="timer.start", op_id="op-00000001", seconds=60), "running"),
    (RUNNING, TimerStart(type="timer.start", op_id="op-00000001", seconds=60), "running"),  # starts again
    (RUNNING, TimerPause(type="timer.pause", op_id="op-00000001"), "paused"),
    (PAUSED, TimerResume(type="timer.resume", op_id="op-00000001"), "running"),
    (RUNNING, TimerAdd(type="timer.add", op_id="op-00000001", seconds=60), "running"),
    (PAUSED, TimerAdd(type="timer.add", op_id="op-00000001", seconds=60), "paused"),
    (RUNNING, TimerStop(type="timer.stop", op_id="op-00000001"), "stopped"),
    (STOPPED, TimerStop(type="timer.stop", op_id="op-00000001"), "stopped"),  # harmless
])
def test_timer_commands(timer: Timer, command: facilitation.TimerCommand, state: str) -> None:
    changed = facilitation.run_timer(command, FACILITATOR, room(timer))
    assert isinstance(changed, TimerChanged) and changed.timer["state"] == state and changed.now == NOW


@pytest.mark.parametrize(("timer", "command"), [
    (PAUSED, TimerPause(type="timer.pause", op_id="op-00000001")),
    (STOPPED, TimerPause(type="timer.pause", op_id="op-00000001")),
    (RUNNING, TimerResume(type="timer.resume", op_id="op-00000001")),
    (STOPPED, TimerResume(type="timer.resume", op_id="op-00000001")),
    (STOPPED, TimerAdd(type="timer.add", op_id="op-00000001", seconds=60)),
])
def test_a_command_for_another_state_of_the_timer_is_refused(timer: Timer, command: facilitation.TimerCommand) -> None:
    assert facilitation.run_timer(command, FACILITATOR, room(timer)) == Rejection("timer.not_running")


def test_only_facilitators_run_the_timer_and_never_in_a_closed_room() -> None:
    start = TimerStart(type="timer.start", op_id="op-00000001", seconds=60)
    assert facilitation.run_timer(start, PARTICIPANT, room()) == Rejection("auth.forbidden")
    refused = facilitation.run_timer(start, FACILITATOR, room(phase="closed"))
    assert isinstance(refused, Rejection) and refused.code == "phase.forbidden"


# -- app.room_settings.RoomSettings and facilitation.configure -------------------------------------

def test_settings_load_drops_unknown_keys_and_round_trips() -> None:
    assert RoomSettings.load('{"private_writing": true, "gone_setting": 3}') == RoomSettings(private_writing=True)
    assert RoomSettings.load({}) == RoomSettings()
    custom = RoomSettings(show_authors=True, grouping="facilitators", vote_budget=8, tallies="live")
    assert RoomSettings.load(custom.json()) == custom == RoomSettings.load(custom.dump())


def test_settings_defaults_protect_people() -> None:
    defaults = RoomSettings()
    assert not defaults.show_authors and not defaults.locked and not defaults.timer_closes_writing
    assert defaults.tallies == "hidden" and defaults.roadmap == "facilitators" and not defaults.exports_for_everyone


def test_merge_changes_only_what_is_given() -> None:
    merged = RoomSettings(private_writing=True).merge({"locked": True})
    assert merged == RoomSettings(private_writing=True, locked=True)


def test_configure_merges_the_changes_for_facilitators_only() -> None:
    command = RoomConfigure(type="room.configure", op_id="op-00000001", locked=True, vote_budget=7)
    configured = facilitation.configure(command, FACILITATOR, room(private_writing=True))
    assert isinstance(configured, RoomConfigured)
    assert RoomSettings.load(configured.settings) == RoomSettings(private_writing=True, locked=True, vote_budget=7)
    assert facilitation.configure(command, PARTICIPANT, room()) == Rejection("auth.forbidden")
    assert isinstance(facilitation.configure(command, FACILITATOR, room(phase="closed")), RoomConfigured)  # to reopen


# -- facilitation.change_phase: the reveal flag ----------------------------------------------------

@pytest.mark.parametrize(("before", "after", "private_writing", "tallies", "reveal"), [
    ("write", "group", True, "hidden", True),  # private ideas become everyone's
    ("group", "write", True, "hidden", True),  # and private again
    ("lobby", "write", True, "hidden", True),
    ("write", "group", False, "hidden", False),  # nothing was private
    ("group", "vote", True, "hidden", False),
    ("vote", "results", False, "hidden", True),  # the totals are shown from the results on
    ("vote", "results", False, "live", False),  # already shown during the vote
    ("results", "roadmap", False, "hidden", False),
])
def test_a_phase_change_says_when_pages_see_other_things(before: str, after: str, private_writing: bool,
                                                          tallies: str, reveal: bool) -> None:
    changed = facilitation.change_phase(RoomPhase(type="room.phase", op_id="op-00000001", phase=after),  # type: ignore[arg-type]
                                        FACILITATOR, room(phase=before, private_writing=private_writing, tallies=tallies))
    assert isinstance(changed, PhaseChanged) and (changed.phase, changed.reveal) == (after, reveal)


@pytest.mark.parametrize("timer", [RUNNING, PAUSED, Timer("running", NOW - 5, None, 60.0)])
def test_a_phase_change_stops_the_timer_of_the_phase_before(timer: Timer) -> None:
    changed = facilitation.change_phase(RoomPhase(type="room.phase", op_id="op-00000001", phase="group"),
                                        FACILITATOR, room(timer))
    assert isinstance(changed, PhaseChanged) and changed.timer == Timer().dump()
    assert changed.wire()["timer"] == {"state": "stopped", "ends_at": None, "remaining": None, "duration": None}


def test_a_phase_change_without_a_timer_says_nothing_of_it() -> None:
    changed = facilitation.change_phase(RoomPhase(type="room.phase", op_id="op-00000001", phase="group"),
                                        FACILITATOR, room())
    assert isinstance(changed, PhaseChanged) and changed.timer is None and "timer" not in changed.wire()
