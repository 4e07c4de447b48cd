"""Floods: command rate limits, connection caps, silent sockets, the server's ceiling.

Each refusal is a clear error code to the sender; nothing is stored; the others go on.
"""

from __future__ import annotations

import logging
import random
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app import limits, protocol
from app.errors import Rejection
from app.guards import Guards
from app.main import create_app
from tests.conftest import ORIGIN, OPEN_SOCKETS, Room, Socket, make_settings

IDEA = protocol.IdeaAdd(type="idea.add", op_id="op-000001", prompt="p1", text="une idée")
PING = protocol.Ping(type="ping")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def prompt_of(socket: Socket) -> str:
    return str(socket.first["prompts"][0]["id"])


def no_error_logged(caplog: pytest.LogCaptureFixture) -> None:
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [r.getMessage() for r in bad]


def refused(socket: Socket) -> tuple[int, str]:
    """The close code and reason of a socket that should be closing."""
    with pytest.raises(WebSocketDisconnect) as closed:
        while True:
            socket.session.receive_text()
    socket.close()  # leave the test session's context, or the app waits for it at shutdown
    return closed.value.code, closed.value.reason


# -- the buckets, with a fake clock: exact schedules, no sleeping ---------------------------

async def test_fifty_people_each_adding_three_ideas_within_ten_seconds_all_pass() -> None:
    clock, rng = FakeClock(), random.Random(8)
    guards = Guards(4000, 1000, clock)
    throttles = [guards.throttle("room", f"person-{i}") for i in range(50)]
    schedule = sorted((rng.uniform(0, 10), i) for i in range(50) for _ in range(3))
    for at, i in schedule:
        clock.now = 1000.0 + at
        assert await throttles[i].check(IDEA) is None


async def test_a_script_at_a_hundred_commands_per_second_is_cut_to_the_steady_rate() -> None:
    clock = FakeClock()
    guards = Guards(4000, 1000, clock)
    script, neighbour = guards.throttle("room", "script"), guards.throttle("room", "neighbour")
    outcomes = []
    for tick in range(300):  # 3 seconds at 100/s
        clock.now = 1000.0 + tick / 100
        outcomes.append(await script.check(IDEA))
    passed = sum(o is None for o in outcomes)
    assert passed <= limits.COMMAND_BURST + 3 * limits.COMMANDS_PER_SECOND + 1
    assert passed >= limits.COMMAND_BURST  # the burst itself is not refused
    limited = [o for o in outcomes if o is not None]
    assert {o.code for o in limited} == {"command.rate_limited"}
    assert all(0 < o.params["retry_after"] <= 1 / limits.COMMANDS_PER_SECOND + 0.1 for o in limited)
    assert await neighbour.check(IDEA) is None  # one person's flood is theirs alone


async def test_all_tabs_of_one_person_share_one_bucket_but_pings_do_not_spend_it() -> None:
    clock = FakeClock()
    guards = Guards(4000, 1000, clock)
    tab1, tab2 = guards.throttle("room", "p"), guards.throttle("room", "p")
    for _ in range(limits.COMMAND_BURST // 2):
        assert await tab1.check(IDEA) is None and await tab2.check(IDEA) is None
    assert await tab1.check(IDEA) is not None and await tab2.check(IDEA) is not None
    assert await tab1.check(PING) is None  # the page can still tell it is alive
    for _ in range(limits.FRAME_BURST):
        await tab2.check(PING)
    assert await tab2.check(PING) is not None and await tab2.check(Rejection("protocol.invalid_json")) is not None
    clock.now += 1 / limits.COMMANDS_PER_SECOND
    assert await tab1.check(IDEA) is None


async def test_idle_buckets_are_forgotten() -> None:
    clock = FakeClock()
    guards = Guards(4000, 1000, clock)
    guards.commands.max_keys = 100
    for i in range(1000):
        await guards.throttle("room", f"p{i}").check(IDEA)
        clock.now += limits.COMMAND_BURST / limits.COMMANDS_PER_SECOND / 50
    assert len(guards.commands) <= 100 + 1


# -- through the websocket ------------------------------------------------------------------

def test_a_flood_of_commands_gets_rate_limited_errors_and_stores_only_what_passed(
        room: Room, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    script, witness = room.connect(room.join("Script")), room.connect(room.join("Témoin"))
    prompt = prompt_of(script)
    sent = [script.command("idea.add", prompt=prompt, text=f"spam {i}") for i in range(100)]
    answers = {}
    while len(answers) < len(sent):
        frame = script.receive()
        if frame.get("op_id"):
            answers[frame["op_id"]] = frame
    added = [a for a in answers.values() if a["type"] == "idea.added"]
    limited = [a for a in answers.values() if a["type"] == "error"]
    assert limits.COMMAND_BURST <= len(added) < 60, len(added)
    assert {e["code"] for e in limited} == {"command.rate_limited"}
    assert all(e["params"]["retry_after"] > 0 for e in limited)
    script.send({"type": "ping"})
    assert script.receive_until("pong") == {"type": "pong"}  # the socket stays open
    # The others are unaffected: they can write, and they saw only what was stored.
    mine = witness.command("idea.add", prompt=prompt, text="la mienne")
    seen = []
    while (frame := witness.receive())["type"] != "idea.added" or frame["op_id"] != mine["op_id"]:
        if frame["type"] == "idea.added":
            seen.append(frame["op_id"])
    assert sorted(seen) == sorted(a["op_id"] for a in added)
    fresh = room.connect(room.join("Nouvelle"))
    assert len(fresh.first["ideas"]) == len(added) + 1
    for socket in (script, witness, fresh):
        socket.close()
    no_error_logged(caplog)


def test_people_writing_at_a_human_pace_are_never_limited(room: Room) -> None:
    people = [room.connect(room.join(f"Personne {i}")) for i in range(10)]
    for round_ in range(3):
        for i, person in enumerate(people):
            person.command("idea.add", prompt=prompt_of(person), text=f"idée {i}.{round_}")
    for person in people:
        heard = [person.receive_until("idea.added") for _ in range(30)]
        assert len({h["seq"] for h in heard}) == 30
    for person in people:
        person.close()


def test_a_person_has_a_cap_on_simultaneous_sockets(room: Room, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "SOCKETS_PER_PARTICIPANT", 3)
    token = room.join("Camille")
    tabs = [room.connect(token) for _ in range(3)]
    assert all(tab.first["type"] == "snapshot" for tab in tabs)
    extra = room.connect(token)
    assert extra.first["type"] == "error" and extra.first["code"] == "connection.too_many_per_participant"
    assert extra.first["params"] == {"max": 3}
    assert refused(extra) == (1013, "too many pages open")
    other = room.connect(room.join("Dominique"))  # another person is not concerned
    assert other.first["type"] == "snapshot"
    tabs.pop().close()
    again = room.connect(token)  # a closed tab frees its place
    assert again.first["type"] == "snapshot"
    for socket in (*tabs, other, again):
        socket.close()


def test_the_cap_per_address_is_a_setting(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", ESSAIM_MAX_CONNECTIONS_PER_ADDRESS="3")
    with TestClient(create_app(settings), base_url=ORIGIN) as client:
        room = Room(client)
        sockets = [room.connect(room.join(f"P{i}")) for i in range(3)]  # everyone is "testclient"
        extra = room.connect(room.join("P4"))
        assert extra.first["code"] == "connection.too_many_per_address"
        assert refused(extra) == (1013, "too many connections from this address")
        sockets.pop().close()
        assert room.connect(room.join("P5")).first["type"] == "snapshot"
        while OPEN_SOCKETS:
            OPEN_SOCKETS.pop().close()


def test_the_server_ceiling_answers_full_cleanly_and_counts_unauthenticated_sockets(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = make_settings(tmp_path / "data", ESSAIM_MAX_CONNECTIONS="2", ESSAIM_MAX_CONNECTIONS_PER_ADDRESS="0")
    with TestClient(create_app(settings), base_url=ORIGIN) as client:
        room = Room(client)
        first, second = room.connect(room.join("A")), room.connect(room.join("B"))
        full = room.connect(room.join("C"))
        assert full.first == {"type": "error", "code": "server.full", "params": {}}
        assert refused(full) == (1013, "server full")
        first.close()
        # A refused handshake (no token) is released at once: it does not hold a place.
        with pytest.raises(WebSocketDisconnect):
            with client.websocket_connect(f"/rooms/{room.id}/ws", headers={"origin": ORIGIN}) as ws:
                ws.receive_text()
        third = room.connect(room.join("D"))
        assert third.first["type"] == "snapshot"
        assert client.app.state.guards.total == 2
        second.close()
        third.close()
        while OPEN_SOCKETS:
            OPEN_SOCKETS.pop().close()
    no_error_logged(caplog)


def test_a_socket_that_never_says_hello_is_closed_and_released(
        room: Room, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "HELLO_TIMEOUT_SECONDS", 0.3)
    token = room.join("Muette")
    with client.websocket_connect(f"/rooms/{room.id}/ws",
                                  headers={"origin": ORIGIN, "authorization": f"Bearer {token}"}) as ws:
        message = ws.receive()
        while message["type"] != "websocket.close":  # presence may come first
            message = ws.receive()
    assert (message["code"], message["reason"]) == (1008, "hello expected")
    guards = client.app.state.guards
    assert guards.total == 0 and not guards._people
    assert room.connect(token).first["type"] == "snapshot"


def test_connection_settings_must_be_whole_numbers(tmp_path: Path) -> None:
    for name, value in (("ESSAIM_MAX_CONNECTIONS", "0"), ("ESSAIM_MAX_CONNECTIONS", "lots"),
                        ("ESSAIM_MAX_CONNECTIONS_PER_ADDRESS", "-1")):
        with pytest.raises(ValueError, match=name):
            make_settings(tmp_path, **{name: value})

