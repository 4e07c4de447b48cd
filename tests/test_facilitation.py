"""Facilitation over the websocket: phases, private writing, reveal, timer, moderation, people."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.conftest import ORIGIN, Room, Socket

NOISE = ("presence.joined", "presence.left", "done.changed")


def prompt_of(socket: Socket) -> str:
    return str(socket.first["prompts"][0]["id"])


def expect_ok(socket: Socket, frame_type: str, **fields: object) -> dict:
    sent = socket.command(frame_type, **fields)
    while True:
        frame = socket.receive()
        if frame.get("op_id") == sent["op_id"]:
            assert frame["type"] != "error", frame
            return frame


def expect_error(socket: Socket, frame_type: str, **fields: object) -> str:
    sent = socket.command(frame_type, **fields)
    while True:
        frame = socket.receive()
        if frame.get("op_id") == sent["op_id"]:
            assert frame["type"] == "error", frame
            return str(frame["code"])


@pytest.fixture
def private_room(client: TestClient) -> Room:
    room = Room(client, template="journee-citoyenne", phase="lobby")  # private writing on by default
    return room


def test_a_room_from_the_pages_starts_in_the_lobby_where_nobody_writes(private_room: Room) -> None:
    alice = private_room.connect(private_room.join("Alice"))
    assert alice.first["room"]["phase"] == "lobby" and alice.first["room"]["settings"]["private_writing"]
    assert expect_error(alice, "idea.add", prompt=prompt_of(alice), text="trop tôt") == "phase.forbidden"
    alice.close()


@pytest.mark.parametrize("command, fields", [
    ("room.phase", {"phase": "write"}), ("room.configure", {"locked": True}), ("timer.start", {"seconds": 60}),
    ("timer.stop", {}), ("prompt.add", {"title": "Nouvelle"}), ("participant.role", {"participant": "x", "role": "facilitator"}),
])
def test_participants_cannot_send_facilitator_commands(private_room: Room, command: str, fields: dict) -> None:
    alice = private_room.connect(private_room.join("Alice"))
    assert expect_error(alice, command, **fields) == "auth.forbidden"
    alice.close()


def test_private_writing_never_sends_others_idea_text_until_the_reveal(private_room: Room) -> None:
    facilitator = private_room.connect(private_room.facilitator_token)
    alice = private_room.connect(private_room.join("Alice"))
    bob = private_room.connect(private_room.join("Bob"))
    expect_ok(facilitator, "room.phase", phase="write")
    secret = "Idée secrète d'Alice"
    added = expect_ok(alice, "idea.add", prompt=prompt_of(alice), text=secret)
    assert added["type"] == "idea.added" and added["text"] == secret
    # Bob gets a tally with the same seq, never the text.
    frame = bob.receive()
    while frame["type"] in NOISE or frame.get("seq") != added["seq"]:
        assert secret not in json.dumps(frame)
        frame = bob.receive()
    assert frame == {"type": "tally", "seq": added["seq"], "prompt": prompt_of(alice), "count": 1}
    assert facilitator.receive_until("idea.added", skip=NOISE)["text"] == secret
    late = private_room.connect(private_room.join("Chloé"))
    assert late.first["ideas"] == [] and late.first["tallies"] == {prompt_of(alice): 1}
    assert secret not in json.dumps(late.first)
    catchup = private_room.connect(private_room.join("Dan"), since=0)
    assert secret not in json.dumps(catchup.first)
    # The reveal is one event; then a snapshot brings everyone's ideas.
    reveal = expect_ok(facilitator, "room.phase", phase="group")
    assert reveal["type"] == "phase.changed" and reveal["reveal"] is True
    bob.send({"type": "snapshot"})
    snapshot = bob.receive_until("snapshot", skip=NOISE + ("phase.changed",))
    assert [i["text"] for i in snapshot["ideas"]] == [secret]
    for s in (facilitator, alice, bob, late, catchup):
        s.close()


def test_back_to_write_keeps_writing_private_again(private_room: Room) -> None:
    facilitator = private_room.connect(private_room.facilitator_token)
    expect_ok(facilitator, "room.phase", phase="group")
    back = expect_ok(facilitator, "room.phase", phase="write")
    assert back["reveal"] is False
    alice = private_room.connect(private_room.join("Alice"))
    expect_ok(alice, "idea.add", prompt=prompt_of(alice), text="encore privée")
    bob = private_room.connect(private_room.join("Bob"))
    assert bob.first["ideas"] == []
    for s in (facilitator, alice, bob):
        s.close()


def test_add_after_write_is_a_setting(client: TestClient) -> None:
    room = Room(client)
    facilitator = room.connect(room.facilitator_token)
    alice = room.connect(room.join("Alice"))
    expect_ok(facilitator, "room.phase", phase="vote")
    assert expect_error(alice, "idea.add", prompt=prompt_of(alice), text="tard") == "phase.forbidden"
    configured = expect_ok(facilitator, "room.configure", add_after_write=True)
    assert configured["settings"]["add_after_write"] is True
    assert expect_ok(alice, "idea.add", prompt=prompt_of(alice), text="tard")["type"] == "idea.added"
    for s in (facilitator, alice):
        s.close()


def test_timer_is_held_by_the_server_and_can_close_writing(client: TestClient) -> None:
    room = Room(client)
    essaim = client.app.state.essaim  # type: ignore[attr-defined]
    now = [1_000_000.0]
    essaim.service.clock = lambda: now[0]
    facilitator = room.connect(room.facilitator_token)
    alice = room.connect(room.join("Alice"))
    started = expect_ok(facilitator, "timer.start", seconds=180)
    assert started["timer"] == {"state": "running", "ends_at": now[0] + 180, "remaining": None, "duration": 180.0}
    assert started["now"] == now[0]
    now[0] += 60
    paused = expect_ok(facilitator, "timer.pause")
    assert paused["timer"]["state"] == "paused" and paused["timer"]["remaining"] == 120
    assert expect_ok(facilitator, "timer.add", seconds=60)["timer"]["remaining"] == 180
    resumed = expect_ok(facilitator, "timer.resume")
    assert resumed["timer"]["ends_at"] == now[0] + 180
    expect_ok(facilitator, "room.configure", timer_closes_writing=True)
    now[0] += 181
    assert expect_error(alice, "idea.add", prompt=prompt_of(alice), text="trop tard") == "timer.expired"
    assert expect_ok(facilitator, "idea.add", prompt=prompt_of(alice), text="l'animation peut")["type"] == "idea.added"
    assert expect_ok(facilitator, "timer.stop")["timer"]["state"] == "stopped"
    assert expect_error(facilitator, "timer.pause") == "timer.not_running"
    assert expect_ok(alice, "idea.add", prompt=prompt_of(alice), text="de nouveau")["type"] == "idea.added"
    fresh = room.connect(room.join("Bob"))
    assert fresh.first["room"]["timer"]["state"] == "stopped"
    for s in (facilitator, alice, fresh):
        s.close()


def test_hidden_ideas_reach_facilitators_only(client: TestClient) -> None:
    room = Room(client)
    facilitator = room.connect(room.facilitator_token)
    alice = room.connect(room.join("Alice"))
    bob = room.connect(room.join("Bob"))
    idea = expect_ok(alice, "idea.add", prompt=prompt_of(alice), text="Propos déplacé")["idea"]
    bob.receive_until("idea.added", skip=NOISE)
    expect_ok(facilitator, "idea.hide", idea=idea, hidden=True)
    assert bob.receive_until("idea.deleted", skip=NOISE)["idea"] == idea
    expect_ok(facilitator, "idea.edit", idea=idea, text="Propos reformulé")
    assert bob.receive_until("skip", skip=NOISE)["type"] == "skip"  # the seq, not the text
    assert expect_error(alice, "idea.edit", idea=idea, text="re") == "idea.not_found"
    late = room.connect(room.join("Chloé"))
    assert late.first["ideas"] == [] and "reformulé" not in json.dumps(late.first)
    again = room.connect(room.facilitator_token)
    assert again.first["ideas"][0]["hidden"] is True
    expect_ok(facilitator, "idea.hide", idea=idea, hidden=False)
    assert bob.receive_until("idea.added", skip=NOISE)["text"] == "Propos reformulé"
    for s in (facilitator, alice, bob, late, again):
        s.close()


def test_prompts_can_be_added_renamed_and_deleted(client: TestClient) -> None:
    room = Room(client)
    facilitator = room.connect(room.facilitator_token)
    added = expect_ok(facilitator, "prompt.add", title="  Une autre question  ")
    assert added["prompt"]["title"] == "Une autre question"
    new_id = added["prompt"]["id"]
    assert expect_ok(facilitator, "prompt.rename", prompt=new_id, title="Renommée")["title"] == "Renommée"
    expect_ok(facilitator, "idea.add", prompt=new_id, text="sous la nouvelle question")
    expect_ok(facilitator, "prompt.delete", prompt=new_id)
    assert expect_error(facilitator, "prompt.delete", prompt=prompt_of(facilitator)) == "prompt.last"
    fresh = room.connect(room.join("Bob"))
    assert [p["id"] for p in fresh.first["prompts"]] == [prompt_of(facilitator)] and fresh.first["ideas"] == []
    for s in (facilitator, fresh):
        s.close()


def test_a_removed_participant_is_really_out(client: TestClient) -> None:
    room = Room(client)
    facilitator = room.connect(room.facilitator_token)
    token = room.join("Perturbateur")
    intruder = room.connect(token)
    idea = expect_ok(intruder, "idea.add", prompt=prompt_of(intruder), text="reste après le départ")["idea"]
    public_id = intruder.first["me"]["id"]
    assert expect_error(facilitator, "participant.remove", participant=facilitator.first["me"]["id"]) == "participant.self"
    expect_ok(facilitator, "participant.remove", participant=public_id)
    with pytest.raises(WebSocketDisconnect) as closed:
        while True:
            intruder.receive()
    assert closed.value.code == 4003
    with pytest.raises(WebSocketDisconnect):  # cannot come back with the same identity
        with client.websocket_connect(f"/rooms/{room.id}/ws", headers={"origin": ORIGIN, "authorization": f"Bearer {token}"}):
            pass
    page = client.get(f"/rooms/{room.id}", headers={"authorization": f"Bearer {token}"})
    assert 'name="name"' in page.text  # back to the join form, a new person
    fresh = room.connect(room.join("Témoin"))
    assert [i["idea"] for i in fresh.first["ideas"]] == [idea]  # their ideas stay
    for s in (facilitator, fresh):
        s.close()


def test_a_co_facilitator_gets_facilitator_rights_and_view(private_room: Room) -> None:
    facilitator = private_room.connect(private_room.facilitator_token)
    alice = private_room.connect(private_room.join("Alice"))
    bob = private_room.connect(private_room.join("Bob"))
    expect_ok(facilitator, "room.phase", phase="write")
    expect_ok(bob, "idea.add", prompt=prompt_of(bob), text="de Bob")
    expect_ok(facilitator, "participant.role", participant=alice.first["me"]["id"], role="facilitator")
    alice.receive_until("participant.role", skip=NOISE + ("tally", "phase.changed"))
    alice.send({"type": "snapshot"})
    snapshot = alice.receive_until("snapshot", skip=NOISE + ("tally",))
    assert snapshot["me"]["role"] == "facilitator" and [i["text"] for i in snapshot["ideas"]] == ["de Bob"]
    assert expect_ok(alice, "timer.start", seconds=60)["type"] == "timer.changed"
    for s in (facilitator, alice, bob):
        s.close()


def test_done_counts_are_live_and_reset_at_each_phase(client: TestClient) -> None:
    room = Room(client)
    facilitator = room.connect(room.facilitator_token)
    alice = room.connect(room.join("Alice"))
    room.connect(room.join("Bob"))
    alice.send({"type": "done", "done": True})
    counts = facilitator.receive_until("done.changed", skip=("presence.joined",))
    while counts != {"type": "done.changed", "done": 1, "present": 2}:
        counts = facilitator.receive_until("done.changed", skip=("presence.joined",))
    expect_ok(facilitator, "room.phase", phase="group")
    assert facilitator.receive_until("done.changed", skip=NOISE[:2])["done"] == 0


def test_locked_rooms_refuse_newcomers(client: TestClient, room: Room) -> None:
    facilitator = room.connect(room.facilitator_token)
    expect_ok(facilitator, "room.configure", locked=True)
    refused = client.post(f"/api/rooms/{room.id}/participants", json={"name": "Tard"})
    assert refused.status_code == 422 and refused.json()["error"] == "room.locked"
    facilitator.close()


def test_short_codes_lead_to_open_rooms_and_cannot_be_enumerated(client: TestClient, room: Room) -> None:
    facilitator = room.connect(room.facilitator_token)
    code = facilitator.first["room"]["code"]
    assert len(code) == 6 and not set(code) & set("IL01O")
    found = client.post("/join-code", data={"code": code.lower()}, headers={"origin": ORIGIN}, follow_redirects=False)
    assert found.status_code == 303 and found.headers["location"] == f"/rooms/{room.id}"
    expect_ok(facilitator, "room.phase", phase="closed")
    closed = client.post("/join-code", data={"code": code}, headers={"origin": ORIGIN})
    assert closed.status_code == 404
    statuses = [client.post("/join-code", data={"code": "AAAAAA"}, headers={"origin": ORIGIN}).status_code
                for _ in range(12)]
    assert statuses[-1] == 429
    facilitator.close()


def test_regenerating_the_facilitator_link_revokes_the_old_one(client: TestClient, room: Room) -> None:
    old = room.facilitator_token
    assert client.post(f"/rooms/{room.id}/claim", json={"token": old}, headers={"origin": ORIGIN}).status_code == 200
    fresh = client.post(f"/rooms/{room.id}/facilitator-link/regenerate", headers={"origin": ORIGIN})
    assert fresh.status_code == 200
    new_token = fresh.json()["url"].split("#", 1)[1]
    assert client.post(f"/rooms/{room.id}/claim", json={"token": old}, headers={"origin": ORIGIN}).status_code == 403
    assert client.post(f"/rooms/{room.id}/claim", json={"token": new_token}, headers={"origin": ORIGIN}).status_code == 200
    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect(f"/rooms/{room.id}/ws", headers={"origin": ORIGIN, "authorization": f"Bearer {old}"}):
            pass


def test_projector_view_is_for_facilitators(client: TestClient, room: Room) -> None:
    token = room.join("Alice")
    denied = client.get(f"/rooms/{room.id}/screen", headers={"authorization": f"Bearer {token}"})
    assert denied.status_code == 403
    allowed = client.get(f"/rooms/{room.id}/screen", headers={"authorization": f"Bearer {room.facilitator_token}"})
    assert allowed.status_code == 200 and '"screen": true' in allowed.text.replace('":true', '": true')
