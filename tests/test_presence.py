"""Presence across processes, as pure bookkeeping (what each message means for the room), and
the hub putting events that several processes published back in seq order."""

from __future__ import annotations

import asyncio

import pytest

from app import hub as hub_module
from app.hub import Member, RoomHub, _Room
from app.outbox import Frame
from app.presence import Person, Roster
from app.pubsub import Broadcast


def person(public_id: str, role: str = "participant") -> Person:
    return {"id": public_id, "name": public_id.title(), "role": role}


def test_one_process_counts_its_own_sockets_per_person() -> None:
    roster = Roster()
    for public_id, facilitator in (("ana", False), ("ana", False), ("bob", False), ("fac", True)):
        roster.count(public_id, facilitator, 1)
    roster.done.add("ana")
    assert roster.counts() == {"done": 1, "present": 2}  # two people, not three sockets; no facilitator
    roster.count("ana", False, -1)
    assert roster.here_locally("ana") and roster.counts() == {"done": 1, "present": 2}
    roster.count("ana", False, -1)
    assert not roster.here_locally("ana") and roster.own_out("ana")
    assert roster.counts() == {"done": 0, "present": 1} and "ana" not in roster.done


def test_a_person_on_two_processes_joins_once_and_leaves_when_gone_from_both() -> None:
    roster = Roster()
    roster.count("ana", False, 1)  # a tab here
    assert not roster.heard_in("B", person("ana"), True, now=1.0)  # another tab there: not new
    assert roster.heard_in("B", person("bob"), True, now=1.0)  # Bob only there: new to our pages
    assert roster.counts() == {"done": 0, "present": 2}
    roster.count("ana", False, -1)
    assert not roster.own_out("ana")  # still there on B
    assert roster.heard_out("B", "ana", now=2.0)  # and now gone from both
    assert roster.counts() == {"done": 0, "present": 1}


def test_done_counts_cover_every_process_and_skip_facilitators() -> None:
    roster = Roster()
    roster.count("ana", False, 1)
    roster.heard_in("B", person("bob"), True, now=0.0)
    roster.heard_in("B", person("fac", "facilitator"), False, now=0.0)
    roster.done.update({"ana", "bob"})
    assert roster.counts() == {"done": 2, "present": 2}
    roster.set_role("bob", "facilitator")  # appointed: no longer among those who are "done"
    assert roster.counts() == {"done": 1, "present": 1}
    assert roster.remote_people()["bob"]["role"] == "facilitator"


def test_a_whole_list_replaces_what_a_process_said_and_tells_who_came_and_went() -> None:
    roster = Roster()
    roster.heard_in("B", person("ana"), True, now=0.0)
    roster.heard_in("B", person("bob"), True, now=0.0)
    roster.count("bob", False, 1)  # Bob also has a tab here
    joined, left = roster.heard_here("B", [(person("cy"), True), (person("bob"), True)], ["cy"], now=1.0)
    assert [p["id"] for p in joined] == ["cy"] and [p["id"] for p in left] == ["ana"]
    assert roster.counts() == {"done": 1, "present": 2}


def test_a_silent_process_is_forgotten_with_the_people_only_it_had() -> None:
    roster = Roster()
    roster.count("ana", False, 1)
    roster.heard_in("B", person("ana"), True, now=0.0)
    roster.heard_in("B", person("bob"), True, now=0.0)
    roster.heard_in("C", person("cy"), True, now=0.0)
    roster.done.add("bob")
    roster.heard_here("C", [(person("cy"), True)], [], now=25.0)  # C keeps talking, B went quiet
    assert roster.forget_silent(now=29.0, beat=10.0) == []
    left = roster.forget_silent(now=31.0, beat=10.0)
    assert [p["id"] for p in left] == ["bob"]  # Ana is still here, on this process
    assert set(roster.remote) == {"C"} and "bob" not in roster.done
    assert roster.counts() == {"done": 0, "present": 2}


# -- the hub puts a room's events back in seq order ------------------------------------------

async def _delivered(hub: RoomHub, room: _Room, member: Member, wait: float) -> list[int | None]:
    await asyncio.sleep(wait)
    hub._flush(room)
    return [seq for batch in await member.outbox.take() for seq, _ in batch.parts]


def _room_with_a_socket() -> tuple[RoomHub, _Room, Member]:
    hub, room, member = RoomHub(Broadcast("memory://")), _Room(), Member("ana", "Ana")
    room.members.add(member)
    return hub, room, member


async def test_an_event_ahead_of_a_missing_one_waits_for_it() -> None:
    hub, room, member = _room_with_a_socket()
    for seq in (1, 2, 4, 5, 3, 6):  # 3 was committed before 4 but reached the broker after it
        hub._in_order(room, Frame(seq, f'{{"seq":{seq}}}'))
    assert await _delivered(hub, room, member, 0) == [1, 2, 3, 4, 5, 6]
    assert not room.held and room.hold is None


async def test_a_hole_that_never_fills_is_let_through_after_the_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hub_module, "HOLD_SECONDS", 0.05)
    hub, room, member = _room_with_a_socket()
    for seq in (7, 9, 10):  # 8 died with the process that committed it: the page will ask for it
        hub._in_order(room, Frame(seq, f'{{"seq":{seq}}}'))
    assert await _delivered(hub, room, member, 0) == [7]
    assert await _delivered(hub, room, member, 0.1) == [9, 10]
    hub._in_order(room, Frame(8, '{"seq":8}'))  # late after all: passed on, the page drops it if caught up
    hub._in_order(room, Frame(11, '{"seq":11}'))
    assert await _delivered(hub, room, member, 0) == [8, 11]


# -- a big room ticks less often ------------------------------------------------------------

def test_the_tick_grows_with_the_room_from_250_sockets_up_to_200_ms() -> None:
    ticks = {n: hub_module._tick(n) for n in (1, 250, 500, 1000, 4000)}
    assert ticks == {1: 0.05, 250: 0.05, 500: 0.1, 1000: 0.2, 4000: 0.2}


async def test_a_room_of_1000_sockets_sends_events_of_200_ms_as_one_frame() -> None:
    hub, room = RoomHub(Broadcast("memory://")), _Room()
    members = [Member(f"p{i}", f"P{i}") for i in range(1000)]
    room.members.update(members)
    hub._in_order(room, Frame(1, '{"seq":1}'))  # after a quiet tick: leaves at once
    await asyncio.sleep(0)
    assert [seq for batch in await members[0].outbox.take() for seq, _ in batch.parts] == [1]
    for seq in (2, 3, 4):
        await asyncio.sleep(0.04)
        hub._in_order(room, Frame(seq, f'{{"seq":{seq}}}'))
    with pytest.raises(TimeoutError):  # 120 ms after the first: still gathering
        await asyncio.wait_for(members[0].outbox.take(), 0.01)
    took = await asyncio.wait_for(members[0].outbox.take(), 1)
    assert [[seq for seq, _ in batch.parts] for batch in took] == [[2, 3, 4]]
