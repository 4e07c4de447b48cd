"""Facilitation over the websocket: phases, private writing, reveal, timer, moderation, people."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app import db, limits, migrations, protocol
from app.ratelimit import Limiter
from app.ratelimit_redis import RedisLimiter, client_for
from tests.conftest import OPEN_SOCKETS, ORIGIN, Room, Socket
from tests.support.server import Server
from tests.test_redis import Redis, redis_server  # noqa: F401  (a fixture)

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
    assert back["reveal"] is True  # the view changes (ideas private again): pages fetch a snapshot
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


def test_a_timer_that_ran_out_closes_writing_and_nothing_else(client: TestClient) -> None:
    """`timer_closes_writing`: when time is up during "write", participants stop writing; a timer
    that runs out while they group or vote closes nothing (state.js closedByTimer says the same)."""
    room = Room(client)
    now = [1_000_000.0]
    client.app.state.essaim.service.clock = lambda: now[0]  # type: ignore[attr-defined]
    facilitator = room.connect(room.facilitator_token)
    alice = room.connect(room.join("Alice"))
    expect_ok(facilitator, "room.configure", timer_closes_writing=True, add_after_write=True)
    ideas = [expect_ok(alice, "idea.add", prompt=prompt_of(alice), text=t)["idea"] for t in ("Un", "Deux")]

    def run_out() -> None:
        expect_ok(facilitator, "timer.start", seconds=60)
        now[0] += 61
    run_out()
    assert expect_error(alice, "idea.add", prompt=prompt_of(alice), text="trop tard") == "timer.expired"
    assert expect_error(alice, "idea.edit", idea=ideas[0], text="trop tard") == "timer.expired"
    expect_ok(facilitator, "room.phase", phase="group")
    run_out()
    assert expect_ok(alice, "cluster.create", ideas=ideas[:1])["type"] == "group.changed"
    assert expect_ok(alice, "idea.add", prompt=prompt_of(alice), text="Après coup")["type"] == "idea.added"
    expect_ok(facilitator, "room.phase", phase="vote")
    run_out()
    assert expect_ok(alice, "vote.add", item=ideas[1])["type"] == "vote.changed"


def test_a_phase_change_stops_the_timer_so_going_back_to_writing_opens_it(client: TestClient) -> None:
    room = Room(client)
    now = [1_000_000.0]
    client.app.state.essaim.service.clock = lambda: now[0]  # type: ignore[attr-defined]
    facilitator = room.connect(room.facilitator_token)
    alice = room.connect(room.join("Alice"))
    expect_ok(facilitator, "room.configure", timer_closes_writing=True)
    expect_ok(facilitator, "timer.start", seconds=60)
    now[0] += 61
    assert expect_error(alice, "idea.add", prompt=prompt_of(alice), text="trop tard") == "timer.expired"
    grouped = expect_ok(facilitator, "room.phase", phase="group")
    assert grouped["timer"]["state"] == "stopped"  # "Temps écoulé" leaves every screen
    assert alice.receive_until("phase.changed", skip=NOISE)["timer"]["state"] == "stopped"
    assert room.connect(room.join("Bob")).first["room"]["timer"]["state"] == "stopped"  # and the room's state
    back = expect_ok(facilitator, "room.phase", phase="write")
    assert "timer" not in back  # nothing to stop
    assert expect_ok(alice, "idea.add", prompt=prompt_of(alice), text="encore une")["type"] == "idea.added"


def test_a_catch_up_and_a_resync_say_the_servers_time_now(client: TestClient, room: Room) -> None:
    """A phone that slept gets the logged timer.changed with the `now` of its start; the frame's own
    `now` is what the page sets its clock from (static/js/client.js), so it shows the time left now."""
    service = client.app.state.essaim.service  # type: ignore[attr-defined]
    now = [5000.0]
    service.clock = lambda: now[0]
    alice = room.join("Alice")
    seq = room.connect(alice).first["seq"]
    facilitator = room.connect(room.facilitator_token)
    expect_ok(facilitator, "timer.start", seconds=180)
    now[0] += 120
    again = room.connect(alice, since=seq)
    assert again.first["type"] == "catchup" and again.first["now"] == 5120.0
    assert [e["now"] for e in again.first["events"] if e["type"] == "timer.changed"] == [5000.0]
    now[0] += 5
    again.send({"type": "sync", "since": seq})
    resent = again.receive_until("resync", skip=NOISE)
    assert resent["now"] == 5125.0 and [e["type"] for e in resent["events"]] == ["timer.changed"]


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


def test_facilitators_list_everyone_and_remove_or_appoint_people_who_are_offline(private_room: Room) -> None:
    """Someone who wrote something abusive and closed the tab can still be removed; facilitators may
    see who wrote an idea (people.json: the tag their ideas carry), the room never does."""
    room, client = private_room, private_room.client
    facilitator = room.connect(room.facilitator_token)
    expect_ok(facilitator, "room.phase", phase="write")
    token, helper_token = room.join("Perturbateur"), room.join("Aide")
    gone = room.connect(token)
    idea = expect_ok(gone, "idea.add", prompt=prompt_of(gone), text="propos abusif")
    me = gone.first["me"]
    gone.close()
    helper = room.connect(helper_token)
    helper_id = helper.first["me"]["id"]
    helper.close()  # offline too

    def listed(token: str) -> Any:
        return client.get(f"/rooms/{room.id}/people.json", headers={"authorization": f"Bearer {token}"})
    assert listed(helper_token).status_code == 403  # participants never get it
    people = {p["id"]: p for p in listed(room.facilitator_token).json()["people"]}
    assert people[me["id"]] == {"id": me["id"], "name": "Perturbateur", "role": "participant", "creator": False,
                                "author": me["author"]}
    assert people[me["id"]]["author"] == idea["author"]  # who wrote it, for the facilitators' eyes
    assert sum(p["creator"] for p in people.values()) == 1 and len(people) == 3
    expect_ok(facilitator, "participant.remove", participant=me["id"])
    expect_ok(facilitator, "participant.role", participant=helper_id, role="facilitator")
    with pytest.raises(WebSocketDisconnect) as refused:  # cannot come back with the same identity
        room.connect(token)
    assert refused.value.code in (1008, 403)  # refused at the handshake
    people = {p["id"]: p for p in listed(room.facilitator_token).json()["people"]}
    assert me["id"] not in people and people[helper_id]["role"] == "facilitator"
    assert listed(helper_token).status_code == 200  # a facilitator now
    facilitator.close()


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
    # The link and the code say so at once, before anyone types a pseudonym.
    code = facilitator.first["room"]["code"]
    page = client.post("/join-code", data={"code": code}, headers={"origin": ORIGIN})
    assert page.status_code == 200 and "n’accepte plus de nouvelles personnes" in page.text
    assert 'name="name"' not in page.text
    expect_ok(facilitator, "room.configure", locked=False)
    assert 'name="name"' in client.get(f"/rooms/{room.id}").text
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
    statuses = [look_up(client, "AAAAAA") for _ in range(limits.WRONG_CODES_PER_MINUTE - 1)]
    assert set(statuses) == {404} and look_up(client, "AAAAAA") == 429  # the closed room's miss counted too
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


@pytest.mark.parametrize("change", ["remove", "regenerate", "appoint"])
def test_what_changes_while_a_socket_enters_the_room_closes_it(client: TestClient, room: Room, change: str) -> None:
    """A socket read (removed? which link? which role?) just before a removal, a regenerated link or a
    new role, and entering the hub just after its control message, used to stay open with the old
    rights: it is read again once in the hub (ws._changed_meanwhile)."""
    essaim = client.app.state.essaim  # type: ignore[attr-defined]
    facilitator = room.connect(room.facilitator_token)  # the room is live in the hub
    token = room.facilitator_token if change == "regenerate" else room.join("Alice")
    target = room.connect(token).first["me"]["id"] if change != "regenerate" else ""
    OPEN_SOCKETS[-1].close()
    entering, original = [], essaim.hub.enter

    async def enter(room_id: str, member: Any) -> None:
        if not entering:  # the change commits and is published between the read and the entry
            entering.append(member.public_id)
            if change == "regenerate":
                await essaim.service.regenerate_facilitator_link(room_id)
            else:
                who = await essaim.service.identity(essaim.tokens.read(room.facilitator_token, room_id))
                command = {"type": "participant.remove", "participant": target} if change == "remove" else {
                    "type": "participant.role", "participant": target, "role": "facilitator"}
                await essaim.service.execute(who, protocol.parse(json.dumps({**command, "op_id": "op-race-0001"})))
        await original(room_id, member)
    essaim.hub.enter = enter
    with pytest.raises(WebSocketDisconnect) as closed:
        late = room.connect(token)
        while True:
            late.receive()
    assert closed.value.code == {"remove": 4003, "regenerate": 4001, "appoint": 1012}[change]
    essaim.hub.enter = original
    if change == "appoint":  # the page comes back, with a facilitator's view this time
        assert room.connect(token).first["me"]["role"] == "facilitator"
    facilitator.close()


def test_projector_view_is_for_facilitators(client: TestClient, room: Room) -> None:
    token = room.join("Alice")
    denied = client.get(f"/rooms/{room.id}/screen", headers={"authorization": f"Bearer {token}"})
    assert denied.status_code == 403
    allowed = client.get(f"/rooms/{room.id}/screen", headers={"authorization": f"Bearer {room.facilitator_token}"})
    assert allowed.status_code == 200 and '"screen": true' in allowed.text.replace('":true', '": true')


# -- presence, roles and "done" -----------------------------------------------------------


def frames_until(socket: Socket, frame_type: str, **match: object) -> dict:
    """The next frame of `frame_type` whose fields equal `match`, passing over anything else."""
    while True:
        frame = socket.receive()
        if frame["type"] == frame_type and all(frame.get(k) == v for k, v in match.items()):
            return frame


def test_presence_says_who_facilitates_and_follows_role_changes(client: TestClient) -> None:
    room = Room(client)
    facilitator = room.connect(room.facilitator_token)
    alice = room.connect(room.join("Alice"))
    creator = facilitator.first["me"]["id"]
    alice_id = alice.first["me"]["id"]
    assert {p["id"]: p["role"] for p in alice.first["present"]} == {creator: "facilitator", alice_id: "participant"}
    joined = frames_until(facilitator, "presence.joined", id=alice_id)
    assert joined == {"type": "presence.joined", "id": alice_id, "name": "Alice", "role": "participant"}
    assert alice.first["done"] == {"done": 0, "present": 1}  # the facilitator is not counted

    alice.send({"type": "done", "done": True})
    assert frames_until(facilitator, "done.changed", done=1) == {"type": "done.changed", "done": 1, "present": 1}
    expect_ok(facilitator, "participant.role", participant=alice_id, role="facilitator")
    # A co-facilitator is not among those who may be done: the counts are sent again.
    assert frames_until(facilitator, "done.changed") == {"type": "done.changed", "done": 0, "present": 0}
    bob = room.connect(room.join("Bob"))
    assert {p["id"]: p["role"] for p in bob.first["present"]}[alice_id] == "facilitator"
    assert bob.first["done"] == {"done": 0, "present": 1}
    again = room.connect(room.join("Chloé"), since=0)
    assert again.first["type"] == "catchup"
    assert {p["name"]: p["role"] for p in again.first["present"]} == {
        "Animation": "facilitator", "Alice": "facilitator", "Bob": "participant", "Chloé": "participant"}

    expect_ok(facilitator, "participant.role", participant=alice_id, role="participant")
    assert frames_until(facilitator, "done.changed", present=3) == {"type": "done.changed", "done": 0, "present": 3}
    later = room.connect(room.join("Dan"))
    assert {p["id"]: p["role"] for p in later.first["present"]}[alice_id] == "participant"
    for s in (facilitator, alice, bob, again, later):
        s.close()


def test_a_kicked_participant_is_out_of_every_tab_and_of_the_counts(client: TestClient) -> None:
    room = Room(client)
    facilitator = room.connect(room.facilitator_token)
    witness = room.connect(room.join("Témoin"))
    token = room.join("Perturbateur")
    tabs = [room.connect(token), room.connect(token)]  # the same person in two tabs
    target = tabs[0].first["me"]["id"]
    frames_until(facilitator, "done.changed", present=2)
    tabs[0].send({"type": "done", "done": True})
    frames_until(facilitator, "done.changed", done=1)
    removed = expect_ok(facilitator, "participant.remove", participant=target)
    assert removed == {"type": "participant.removed", "participant": target, "seq": removed["seq"],
                       "op_id": removed["op_id"]}
    for tab in tabs:
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                tab.receive()
        assert closed.value.code == 4003
    assert frames_until(witness, "participant.removed")["participant"] == target
    assert frames_until(witness, "presence.left")["id"] == target
    assert frames_until(witness, "done.changed") == {"type": "done.changed", "done": 0, "present": 1}
    for since in (None, 0, removed["seq"]):  # no way back: neither a snapshot nor a catch-up
        with pytest.raises(WebSocketDisconnect):
            room.connect(token, since=since)
    # The same person cannot be brought back either (nor appointed, nor removed twice).
    assert expect_error(facilitator, "participant.role", participant=target, role="facilitator") == "participant.not_found"
    assert expect_error(facilitator, "participant.remove", participant=target) == "participant.not_found"
    assert target not in {p["id"] for p in room.connect(room.join("Tard")).first["present"]}
    for s in (facilitator, witness):
        s.close()


# -- private writing: the frames themselves --------------------------------------------------


def raw_frames(socket: Socket, until: str) -> list[str]:
    """Every text frame as it came off the wire, up to and including one that contains `until`."""
    assert not socket.pending
    frames: list[str] = []
    while not frames or until not in frames[-1]:
        frames.append(socket.session.receive_text())
    return frames


def last_of(raw: str, frame_type: str) -> dict[str, Any]:
    """The last frame of this type in one websocket message (a frame, or a batch of them)."""
    parsed = json.loads(raw)
    return [f for f in (parsed if isinstance(parsed, list) else [parsed]) if f["type"] == frame_type][-1]


def test_private_writing_frames_never_carry_another_participants_text(private_room: Room) -> None:
    facilitator = private_room.connect(private_room.facilitator_token)
    expect_ok(facilitator, "room.phase", phase="write")
    expect_ok(facilitator, "room.configure", show_authors=True)  # even with names shown
    alice = private_room.connect(private_room.join("Alice"))
    bob = private_room.connect(private_room.join("Bob"))
    prompt = prompt_of(alice)
    secret, edited = "Le secret d'Alice", "Le secret d'Alice, corrigé"
    idea = expect_ok(alice, "idea.add", prompt=prompt, text=secret)["idea"]
    expect_ok(alice, "idea.edit", idea=idea, text=edited, colour="pink")
    other = expect_ok(alice, "idea.add", prompt=prompt, text="Une deuxième idée d'Alice")["idea"]
    expect_ok(alice, "idea.delete", idea=other)
    expect_ok(facilitator, "idea.edit", idea=idea, text=edited + " (animation)")
    sent = bob.command("idea.add", prompt=prompt, text="L'idée de Bob")  # Bob's own: the last frame to read
    seen = raw_frames(bob, sent["op_id"])
    marker = last_of(seen[-1], "idea.added")  # Bob's own event may end a batch of the room's
    everything = "\n".join(seen)
    for text in (secret, "corrigé", "deuxième", "Alice\"", idea, other):
        assert text not in everything, text
    events = [frame for raw in seen for frame in (json.loads(raw) if raw.startswith("[") else [json.loads(raw)])]
    kinds = [e["type"] for e in events if "seq" in e]
    assert kinds == ["tally", "skip", "tally", "tally", "skip", "idea.added"], kinds  # every seq, no text
    assert [e["count"] for e in events if e["type"] == "tally"] == [1, 2, 1]

    for since in (0, marker["seq"] - 6):  # catching up, and a fresh page, say no more
        late = private_room.connect(private_room.join("Chloé"), since=since)
        assert secret not in json.dumps(late.first) and "corrigé" not in json.dumps(late.first)
        late.close()
    bob.send({"type": "snapshot"})
    assert "corrigé" not in raw_frames(bob, '"type":"snapshot"')[-1]

    expect_ok(facilitator, "room.phase", phase="group")  # the reveal
    bob.send({"type": "snapshot"})
    revealed = last_of(raw_frames(bob, '"type":"snapshot"')[-1], "snapshot")
    assert {i["text"] for i in revealed["ideas"]} == {edited + " (animation)", "L'idée de Bob"}
    assert {i["name"] for i in revealed["ideas"]} == {"Alice", "Bob"}
    for s in (facilitator, alice, bob):
        s.close()


def test_turning_private_writing_on_during_writing_hides_the_others_at_once(client: TestClient) -> None:
    room = Room(client)  # free brainstorm: not private
    facilitator = room.connect(room.facilitator_token)
    alice = room.connect(room.join("Alice"))
    bob = room.connect(room.join("Bob"))
    expect_ok(alice, "idea.add", prompt=prompt_of(alice), text="visible de tous")
    assert frames_until(bob, "idea.added")["text"] == "visible de tous"
    configured = expect_ok(facilitator, "room.configure", private_writing=True)
    assert frames_until(bob, "room.configured")["settings"]["private_writing"] is True
    expect_ok(alice, "idea.add", prompt=prompt_of(alice), text="privée désormais")
    assert frames_until(bob, "tally", seq=configured["seq"] + 1)["count"] == 2
    bob.send({"type": "snapshot"})
    assert frames_until(bob, "snapshot")["ideas"] == []
    expect_ok(facilitator, "room.configure", private_writing=False)
    bob.send({"type": "snapshot"})
    assert {i["text"] for i in frames_until(bob, "snapshot")["ideas"]} == {"privée désormais", "visible de tous"}
    for s in (facilitator, alice, bob):
        s.close()


# -- every facilitation command, in every phase, by each role ----------------------------------

PHASE_LIST = ("lobby", "write", "group", "vote", "results", "roadmap", "closed")
# Written out from issue 3 (not read from app.phases): participants write during "write" only;
# facilitators correct ideas, prompts and the timer in every phase but "closed", and steer the
# room (phase, settings, people) in every phase, so that a closed room can be reopened.
WRITING = ("idea.add", "idea.edit", "idea.delete")
RUNNING = ("idea.hide", "prompt.add", "prompt.rename", "prompt.delete", "timer.start", "timer.add",
           "timer.pause", "timer.resume", "timer.stop")
STEERING = ("room.phase", "room.configure", "participant.remove", "participant.role")


def forbidden(phase: str, role: str) -> list[str]:
    if role == "participant":
        return [c for c in WRITING if phase != "write"] + list(RUNNING + STEERING)
    return list(WRITING + RUNNING) if phase == "closed" else []


def fields_for(command: str, prompt: str, spare_prompt: str, idea: str, person: str) -> dict[str, object]:
    """Valid fields, naming things that exist: only the phase or the role can be the reason to refuse."""
    return {
        "idea.add": {"prompt": prompt, "text": "refusée"}, "idea.edit": {"idea": idea, "text": "refusée"},
        "idea.delete": {"idea": idea}, "idea.hide": {"idea": idea, "hidden": True},
        "prompt.add": {"title": "refusée"}, "prompt.rename": {"prompt": prompt, "title": "refusée"},
        "prompt.delete": {"prompt": spare_prompt}, "timer.start": {"seconds": 60}, "timer.add": {"seconds": 60},
        "timer.pause": {}, "timer.resume": {}, "timer.stop": {}, "room.phase": {"phase": "write"},
        "room.configure": {"locked": True}, "participant.remove": {"participant": person},
        "participant.role": {"participant": person, "role": "facilitator"},
    }[command]


@pytest.mark.parametrize("phase", PHASE_LIST)
def test_each_forbidden_command_in_each_phase_is_refused_and_changes_nothing(private_room: Room, phase: str) -> None:
    facilitator = private_room.connect(private_room.facilitator_token)
    alice = private_room.connect(private_room.join("Alice"))
    target = private_room.connect(private_room.join("Cible")).first["me"]["id"]
    prompt, spare = (p["id"] for p in alice.first["prompts"][:2])
    expect_ok(facilitator, "room.phase", phase="write")
    idea = expect_ok(alice, "idea.add", prompt=prompt, text="l'idée d'Alice")["idea"]  # her own: not a matter of owner
    expect_ok(facilitator, "timer.start", seconds=600)  # a running timer: pause, add, stop are meaningful
    if phase != "write":
        expect_ok(facilitator, "room.phase", phase=phase)
    before = private_room.connect(private_room.facilitator_token).first
    for role, socket in (("participant", alice), ("facilitator", facilitator)):
        for command in forbidden(phase, role):
            code = expect_error(socket, command, **fields_for(command, prompt, spare, idea, target))
            expected = "auth.forbidden" if role == "participant" and command not in WRITING else "phase.forbidden"
            assert code == expected, (role, phase, command, code)
    after = private_room.connect(private_room.facilitator_token).first
    assert after["seq"] == before["seq"]  # nothing was stored
    assert (after["ideas"], after["prompts"], after["room"]) == (before["ideas"], before["prompts"], before["room"])
    assert {p["id"] for p in after["present"]} >= {target}


@pytest.mark.parametrize("phase", ["lobby", "closed"])
def test_adding_after_writing_never_opens_the_lobby_or_a_closed_room(private_room: Room, phase: str) -> None:
    facilitator = private_room.connect(private_room.facilitator_token)
    expect_ok(facilitator, "room.configure", add_after_write=True)
    expect_ok(facilitator, "room.phase", phase=phase)
    alice = private_room.connect(private_room.join("Alice"))
    assert expect_error(alice, "idea.add", prompt=prompt_of(alice), text="non") == "phase.forbidden"
    expect_ok(facilitator, "room.phase", phase="vote")
    assert expect_ok(alice, "idea.add", prompt=prompt_of(alice), text="oui")["type"] == "idea.added"


# -- short codes ------------------------------------------------------------------------------


def look_up(client: TestClient, typed: str, **headers: str) -> int:
    return client.post("/join-code", data={"code": typed}, headers={"origin": ORIGIN, **headers},
                       follow_redirects=False).status_code


def test_a_crowd_on_one_address_always_gets_in_with_the_right_code(client: TestClient, room: Room) -> None:
    code = room.connect(room.facilitator_token).first["room"]["code"]
    assert [look_up(client, code) for _ in range(40)] == [303] * 40  # a town hall's wifi, within a minute
    assert look_up(client, f" {code[:3].lower()}-{code[3:]} ") == 303  # as typed by a thumb: spaces, a dash, lower case
    page = client.get(f"/rooms/{room.id}")
    assert 'name="name"' in page.text  # it leads to the join form, nothing more


def test_wrong_short_codes_are_limited_per_address_and_minute(client: TestClient, room: Room) -> None:
    limiter = client.app.state.code_limiter  # type: ignore[attr-defined]
    now = [1000.0]
    limiter.clock = lambda: now[0]
    code = room.connect(room.facilitator_token).first["room"]["code"]
    wrong = "ZZZZZZ" if code != "ZZZZZZ" else "YYYYYY"
    misses = [look_up(client, wrong) for _ in range(limits.WRONG_CODES_PER_MINUTE - 1)]
    assert look_up(client, code) == 303  # a right one in between neither counts nor forgives
    assert misses + [look_up(client, wrong)] == [404] * limits.WRONG_CODES_PER_MINUTE
    assert look_up(client, wrong) == 429
    # Then even the right one waits, unread: answering it would tell a guesser which codes exist.
    assert look_up(client, code) == 429
    now[0] += 61
    assert look_up(client, code) == 303


async def test_the_memory_limiter_counts_only_what_it_is_told() -> None:
    now = [0.0]
    limiter = Limiter(10, clock=lambda: now[0])
    assert not await limiter.over("code:a", 2)
    await limiter.miss("code:a")
    await limiter.miss("code:a")
    assert await limiter.over("code:a", 2) and not await limiter.over("code:b", 2)  # per key
    assert await limiter.admit("code:a") and not await limiter.over("code:a", 4)  # admit counts a hit too
    now[0] += 60
    assert not await limiter.over("code:a", 1)  # a minute later, forgotten


async def test_the_redis_limiter_counts_wrong_codes_for_every_process(redis_server: Redis) -> None:  # noqa: F811
    here, there = client_for(redis_server.url), client_for(redis_server.url)  # two processes' clients
    windows = [RedisLimiter(client, "lookups", 10) for client in (here, there)]
    for k in range(3):
        assert not await windows[k % 2].over("code:192.0.2.7", 3)
        await windows[k % 2].miss("code:192.0.2.7")
    assert await windows[0].over("code:192.0.2.7", 3) and await windows[1].over("code:192.0.2.7", 3)
    assert not await windows[1].over("code:198.51.100.4", 3)
    await here.aclose()
    await there.aclose()


@pytest.mark.server
def test_behind_a_trusted_proxy_each_person_has_their_own_address(tmp_path: Path) -> None:
    """ESSAIM_FORWARDED_ALLOW_IPS=127.0.0.1: uvicorn believes X-Forwarded-For from the local nginx, so one
    guesser's misses are theirs alone. Without it (the default), the header is not read (test_settings)."""
    server = Server(tmp_path / "data", ESSAIM_FORWARDED_ALLOW_IPS="127.0.0.1").start()
    try:
        def post(address: str) -> int:
            request = urllib.request.Request(f"{server.url}/join-code", data=b"code=ZZZZZZ", method="POST", headers={
                "origin": server.origin, "content-type": "application/x-www-form-urlencoded",
                "x-forwarded-for": address})
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return int(response.status)
            except urllib.error.HTTPError as refused:
                return int(refused.code)
        assert {post("192.0.2.7") for _ in range(limits.WRONG_CODES_PER_MINUTE)} == {404}
        assert post("192.0.2.7") == 429
        assert post("198.51.100.4") == 404  # someone else behind the same proxy
    finally:
        server.stop()


def test_a_closed_rooms_code_stops_working_and_comes_back_when_reopened(client: TestClient, room: Room) -> None:
    facilitator = room.connect(room.facilitator_token)
    code = facilitator.first["room"]["code"]
    expect_ok(facilitator, "room.phase", phase="closed")
    refused = client.post("/join-code", data={"code": code}, headers={"origin": ORIGIN}, follow_redirects=False)
    assert refused.status_code == 404 and room.id not in refused.text
    expect_ok(facilitator, "room.phase", phase="lobby")
    reopened = client.post("/join-code", data={"code": code}, headers={"origin": ORIGIN}, follow_redirects=False)
    assert reopened.status_code == 303


# -- the facilitator link ---------------------------------------------------------------------


def test_regenerating_the_link_refuses_the_old_one_everywhere_it_is_read(client: TestClient, room: Room) -> None:
    old = {"authorization": f"Bearer {room.facilitator_token}"}
    stranger = TestClient(client.app, base_url=ORIGIN)  # no cookie: only the old link speaks
    assert stranger.get(f"/rooms/{room.id}/screen", headers=old).status_code == 200
    assert client.post(f"/rooms/{room.id}/facilitator-link/regenerate",
                       headers={**old, "origin": ORIGIN}).status_code == 200
    assert stranger.get(f"/rooms/{room.id}/screen", headers=old).status_code == 403
    assert stranger.post(f"/rooms/{room.id}/facilitator-link/regenerate",
                         headers={**old, "origin": ORIGIN}).status_code == 403
    assert stranger.post(f"/rooms/{room.id}/facilitator-link", headers={**old, "origin": ORIGIN}).status_code == 403


def cookie_socket(browser: TestClient, room: Room) -> Socket:
    """A socket as a browser opens it: the room's cookie, no bearer token."""
    ws = browser.websocket_connect(f"/rooms/{room.id}/ws", headers={"origin": ORIGIN})
    socket = Socket(ws.__enter__(), ws)
    OPEN_SOCKETS.append(socket)
    socket.send({"type": "hello", "v": 1, "since": None})
    socket.first = socket.receive()
    return socket


def closed_with(socket: Socket, patience: int = 100) -> int:
    """The code the server closes `socket` with; fails (rather than hangs) if it stays open."""
    with pytest.raises(WebSocketDisconnect) as closed:
        for _ in range(patience):  # each ping gets an answer while the socket is open
            socket.send({"type": "ping"})
            socket.receive()
    return closed.value.code


def regenerate(browser: TestClient, room: Room, token: str | None = None) -> tuple[int, str]:
    headers = {"origin": ORIGIN, **({"authorization": f"Bearer {token}"} if token else {})}
    response = browser.post(f"/rooms/{room.id}/facilitator-link/regenerate", headers=headers)
    return response.status_code, response.json().get("url", "").partition("#")[2]


def test_regenerating_the_link_revokes_browsers_that_used_the_old_one(client: TestClient, room: Room) -> None:
    outsider = TestClient(client.app, base_url=ORIGIN)  # someone the link leaked to
    assert outsider.post(f"/rooms/{room.id}/claim", json={"token": room.facilitator_token},
                         headers={"origin": ORIGIN}).status_code == 200
    client.post(f"/rooms/{room.id}/claim", json={"token": room.facilitator_token}, headers={"origin": ORIGIN})
    theirs, mine = cookie_socket(outsider, room), cookie_socket(client, room)
    assert theirs.first["me"]["role"] == mine.first["me"]["role"] == "facilitator"
    assert regenerate(client, room)[0] == 200
    assert outsider.get(f"/rooms/{room.id}/screen").status_code == 403
    assert closed_with(theirs) == closed_with(mine) == 4001  # every socket of the old link
    with pytest.raises(WebSocketDisconnect):
        cookie_socket(outsider, room)  # its reconnection is refused
    assert outsider.post(f"/rooms/{room.id}/claim", json={"token": room.facilitator_token},
                         headers={"origin": ORIGIN}).status_code == 403
    # The browser that regenerated got a fresh cookie: it reconnects with its rights.
    assert client.get(f"/rooms/{room.id}/screen").status_code == 200
    again = cookie_socket(client, room)
    assert again.first["me"]["role"] == "facilitator"
    expect_ok(again, "room.phase", phase="group")


def test_regenerating_leaves_the_creators_own_browser_and_co_facilitators_alone(client: TestClient) -> None:
    """A co-facilitator's rights come from their role, the creating browser's from its cookie: no link."""
    created = client.post("/rooms", data={"title": "Atelier", "template": "remue-meninges", "name": "Nadia"},
                          headers={"origin": ORIGIN}, follow_redirects=False)
    assert created.status_code == 303
    room_id = created.headers["location"].split("/")[2].split("?")[0]
    room = Room.__new__(Room)
    room.client, room.id = client, room_id
    creator = cookie_socket(client, room)
    link = client.post(f"/rooms/{room_id}/facilitator-link", headers={"origin": ORIGIN}).json()["url"]
    on_phone = room.connect(link.partition("#")[2])
    sami_token = room.join("Sami")
    sami = room.connect(sami_token)
    expect_ok(creator, "participant.role", participant=sami.first["me"]["id"], role="facilitator")
    sami_link = client.post(f"/rooms/{room_id}/facilitator-link", headers={
        "origin": ORIGIN, "authorization": f"Bearer {sami_token}"}).json()["url"].partition("#")[2]
    assert regenerate(client, room, sami_token)[0] == 403  # the creator's alone (else: a lock-out)
    status, fresh = regenerate(client, room)
    assert status == 200 and fresh
    assert closed_with(on_phone) == 4001
    for socket in (creator, sami):  # still there, with their rights
        assert expect_ok(socket, "timer.start", seconds=60)["type"] == "timer.changed"
    with pytest.raises(WebSocketDisconnect):  # the links Sami handed out are revoked with the rest
        room.connect(sami_link)
    assert room.connect(fresh).first["me"]["role"] == "facilitator"
    assert 'id="facilitator-regenerate"' in client.get(f"/rooms/{room_id}").text
    sami_page = TestClient(client.app, base_url=ORIGIN).get(f"/rooms/{room_id}",
                                                           headers={"authorization": f"Bearer {sami_token}"})
    assert "facilitator-section" in sami_page.text and 'id="facilitator-regenerate"' not in sami_page.text


def test_a_link_stops_working_when_its_holder_is_demoted(client: TestClient, room: Room) -> None:
    facilitator = room.connect(room.facilitator_token)
    token = room.join("Sami")
    sami = room.connect(token)
    expect_ok(facilitator, "participant.role", participant=sami.first["me"]["id"], role="facilitator")
    link = client.post(f"/rooms/{room.id}/facilitator-link", headers={
        "origin": ORIGIN, "authorization": f"Bearer {token}"}).json()["url"].partition("#")[2]
    assert room.connect(link).first["me"]["role"] == "facilitator"
    expect_ok(facilitator, "participant.role", participant=sami.first["me"]["id"], role="participant")
    with pytest.raises(WebSocketDisconnect):
        room.connect(link)
    assert room.connect(token).first["me"]["role"] == "participant"


# -- the room's creator -------------------------------------------------------------------------


def test_nobody_removes_or_demotes_the_rooms_creator(client: TestClient, room: Room) -> None:
    creator = room.connect(room.facilitator_token)
    sami = room.connect(room.join("Sami"))
    creator_id, sami_id = creator.first["me"]["id"], sami.first["me"]["id"]
    expect_ok(creator, "participant.role", participant=sami_id, role="facilitator")
    sami.send({"type": "snapshot"})
    present = {p["id"]: p for p in frames_until(sami, "snapshot")["present"]}
    assert present[creator_id].get("creator") is True and "creator" not in present[sami_id]
    seq = expect_ok(creator, "timer.stop")["seq"]
    assert expect_error(sami, "participant.remove", participant=creator_id) == "participant.creator"
    assert expect_error(sami, "participant.role", participant=creator_id, role="participant") == "participant.creator"
    assert expect_error(creator, "participant.role", participant=creator_id, role="participant") == "participant.self"
    assert expect_ok(creator, "timer.start", seconds=60)["seq"] == seq + 1  # nothing was stored, still in charge
    # The co-facilitator, unlike the creator, can be demoted and removed.
    expect_ok(creator, "participant.role", participant=sami_id, role="participant")
    expect_ok(creator, "participant.remove", participant=sami_id)
    assert closed_with(sami) == 4003


def test_the_page_and_presence_name_the_creator(client: TestClient, room: Room) -> None:
    creator = room.connect(room.facilitator_token)
    token = room.join("Alice")
    page = TestClient(client.app, base_url=ORIGIN).get(f"/rooms/{room.id}", headers={"authorization": f"Bearer {token}"})
    config = json.loads(page.text.split('id="essaim-config">')[1].split("</script>")[0])
    assert config["creator"] == creator.first["me"]["id"]
    alice = room.connect(token)
    assert frames_until(creator, "presence.joined", id=alice.first["me"]["id"]).get("creator") is None
    late = room.connect(room.join("Bob"))
    assert [p.get("creator") for p in late.first["present"] if p["id"] == creator.first["me"]["id"]] == [True]


def test_the_migration_finds_the_creator_of_existing_rooms(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}", immediate=True)
    with engine.begin() as conn:
        migrations.current_version(conn)
        for _number, statements in migrations.STEPS[:3]:
            for statement in statements:
                conn.execute(text(statement))
        conn.execute(text("INSERT INTO schema_version (version) VALUES (3)"))
        for room_id in ("r1", "r2"):
            conn.execute(text("INSERT INTO room (id, title, template, phase, author_key, created_at, updated_at) "
                              "VALUES (:id, 't', 'x', 'write', 'k', 1, 1)"), {"id": room_id})
        people = [("a", "r1", "facilitator", 1.0), ("b", "r1", "facilitator", 2.0), ("c", "r1", "participant", 3.0),
                  ("d", "r2", "participant", 5.0), ("e", "r2", "facilitator", 6.0)]  # d: demoted before the fix
        for pid, room_id, role, at in people:
            conn.execute(text("INSERT INTO participant (id, room_id, public_id, name, role, created_at) "
                              "VALUES (:id, :room, :id, :id, :role, :at)"),
                         {"id": pid, "room": room_id, "role": role, "at": at})
        assert migrations.migrate(conn) == migrations.STEPS[-1][0]
        creators = conn.execute(text("SELECT id FROM participant WHERE creator ORDER BY id")).scalars().all()
    engine.dispose()
    assert creators == ["a", "d"]
