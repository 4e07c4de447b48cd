"""The realtime contract through Starlette's TestClient, several clients per room."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app import limits
from tests.conftest import ORIGIN, Room, Socket, op_id


def prompt_of(socket: Socket, index: int = 0) -> str:
    return str(socket.first["prompts"][index]["id"])


def add(socket: Socket, text: str, prompt: str | None = None) -> dict:
    sent = socket.command("idea.add", prompt=prompt or prompt_of(socket), text=text)
    event = socket.receive_until("idea.added")
    assert event["op_id"] == sent["op_id"]
    return event


def test_every_socket_gets_each_event_once_in_order(room: Room) -> None:
    sockets = [room.connect(room.join(name)) for name in ("Alice", "Bob", "Chloé")]
    for i, socket in enumerate(sockets):
        socket.command("idea.add", prompt=prompt_of(socket), text=f"idée {i}")
        for other in sockets:
            event = other.receive_until("idea.added")
            assert event["text"] == f"idée {i}" and event["seq"] == i + 1
    for socket in sockets:
        socket.close()


def test_snapshot_holds_what_was_committed_and_who_i_am(room: Room) -> None:
    alice = room.connect(room.join("Alice"))
    added = add(alice, "Un pique-nique")
    bob = room.connect(room.join("Bob"))
    snapshot = bob.first
    assert snapshot["type"] == "snapshot" and snapshot["seq"] == added["seq"]
    assert [i["text"] for i in snapshot["ideas"]] == ["Un pique-nique"]
    assert snapshot["me"]["name"] == "Bob" and snapshot["me"]["role"] == "participant"
    assert snapshot["ideas"][0]["author"] != snapshot["me"]["author"]
    assert len(snapshot["prompts"]) == 1
    assert {p["name"] for p in snapshot["present"]} == {"Alice", "Bob"}
    alice.close()
    bob.close()


def test_no_private_identifier_reaches_other_pages(room: Room, client: TestClient) -> None:
    alice = room.connect(room.join("Alice"))
    event = add(alice, "Une idée")
    bob = room.connect(room.join("Bob"))
    text = json.dumps(bob.first) + json.dumps(event)
    assert "author_id" not in text and "participant_id" not in text
    alice.close()
    bob.close()


def test_repeated_op_id_has_one_effect_and_the_original_answer(room: Room) -> None:
    alice = room.connect(room.join("Alice"))
    frame = {"type": "idea.add", "op_id": op_id(), "prompt": prompt_of(alice), "text": "Une seule fois"}
    alice.send(frame)
    first = alice.receive_until("idea.added")
    alice.send(frame)
    again = alice.receive_until("ack")
    assert again == {"type": "ack", "op_id": frame["op_id"], "seq": first["seq"]}
    fresh = room.connect(room.join("Témoin"))
    assert [i["text"] for i in fresh.first["ideas"]] == ["Une seule fois"]
    alice.close()
    fresh.close()


def test_op_id_is_per_participant(room: Room) -> None:
    """Another participant reusing an op_id is a different command, not a replay of someone else's."""
    alice, bob = room.connect(room.join("Alice")), room.connect(room.join("Bob"))
    frame = {"type": "idea.add", "op_id": op_id(), "prompt": prompt_of(alice), "text": "A"}
    alice.send(frame)
    alice.receive_until("idea.added")
    bob.receive_until("idea.added")
    bob.send({**frame, "text": "B"})
    assert bob.receive_until("idea.added")["text"] == "B"
    alice.close()
    bob.close()


def test_edit_and_delete_own_idea_reach_everyone(room: Room) -> None:
    alice, bob = room.connect(room.join("Alice")), room.connect(room.join("Bob"))
    idea = add(alice, "Premier jet")["idea"]
    bob.receive_until("idea.added")
    alice.command("idea.edit", idea=idea, text="Version corrigée", colour="blue")
    edited = bob.receive_until("idea.edited")
    assert (edited["text"], edited["colour"]) == ("Version corrigée", "blue")
    alice.command("idea.delete", idea=idea)
    assert bob.receive_until("idea.deleted")["idea"] == idea
    alice.close()
    bob.close()


def test_someone_elses_idea_is_refused_but_the_facilitator_may(room: Room) -> None:
    alice, bob = room.connect(room.join("Alice")), room.connect(room.join("Bob"))
    idea = add(alice, "À Alice")["idea"]
    bob.receive_until("idea.added")
    sent = bob.command("idea.edit", idea=idea, text="Volé")
    error = bob.receive_until("error")
    assert error["code"] == "idea.not_yours" and error["op_id"] == sent["op_id"]
    bob.command("idea.delete", idea=idea)
    assert bob.receive_until("error")["code"] == "idea.not_yours"
    facilitator = room.connect(room.facilitator_token)
    assert facilitator.first["me"]["role"] == "facilitator"
    facilitator.command("idea.edit", idea=idea, text="Reformulée par l'animation")
    assert alice.receive_until("idea.edited")["text"] == "Reformulée par l'animation"
    facilitator.command("idea.delete", idea=idea)
    assert alice.receive_until("idea.deleted")["idea"] == idea
    for s in (alice, bob, facilitator):
        s.close()


def test_ideas_of_another_room_cannot_be_touched(client: TestClient) -> None:
    first, second = Room(client), Room(client)
    alice = first.connect(first.join("Alice"))
    idea = add(alice, "Dans la salle 1")["idea"]
    intruder = second.connect(second.facilitator_token)
    intruder.command("idea.delete", idea=idea)
    assert intruder.receive_until("error")["code"] == "idea.not_found"
    intruder.command("idea.add", prompt=prompt_of(alice), text="Question d'une autre salle")
    assert intruder.receive_until("error")["code"] == "prompt.not_found"
    alice.close()
    intruder.close()


HOSTILE = [
    ("malformed json", '{"type": "idea.add", ', "protocol.invalid_json"),
    ("not an object", "[1, 2, 3]", "protocol.invalid_json"),
    ("unknown type", '{"type": "room.drop", "op_id": "abcdefgh"}', "protocol.unknown_type"),
    ("extra field", '{"type": "idea.add", "op_id": "abcdefgh", "prompt": "p", "text": "x", "room": "other"}', "protocol.invalid"),
    ("NaN", '{"type": "sync", "since": NaN}', "protocol.invalid"),
    ("huge number", '{"type": "sync", "since": 1e400}', "protocol.invalid"),
    ("lone surrogate", '{"type": "idea.add", "op_id": "abcdefgh", "prompt": "p", "text": "\\ud800"}', "protocol.invalid_json"),
    ("css through colour", '{"type": "idea.add", "op_id": "abcdefgh", "prompt": "p", "text": "x", "colour": "red;background:url(x)"}', "protocol.invalid"),
    ("bad op_id", '{"type": "idea.add", "op_id": "<script>", "prompt": "p", "text": "x"}', "protocol.invalid"),
    ("deep json", "[" * 5000 + "]" * 5000, "protocol.invalid_json"),
]


@pytest.mark.parametrize(("label", "raw", "code"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_bad_frames_get_a_clear_error_and_the_socket_stays_open(room: Room, label: str, raw: str, code: str) -> None:
    alice = room.connect(room.join("Alice"))
    alice.session.send_text(raw)
    assert alice.receive_until("error")["code"] == code
    alice.send({"type": "ping"})
    assert alice.receive_until("pong")["type"] == "pong"
    assert add(alice, "toujours là")["seq"] == 1  # nothing was stored before
    alice.close()


@pytest.mark.parametrize(("text", "code"), [("", "text.empty"), ("  \u200b\u202e ", "text.empty"),
                                            ("x" * (limits.IDEA_TEXT_MAX + 1), "text.too_long")])
def test_texts_outside_the_limits_are_refused(room: Room, text: str, code: str) -> None:
    alice = room.connect(room.join("Alice"))
    alice.command("idea.add", prompt=prompt_of(alice), text=text)
    assert alice.receive_until("error")["code"] == code
    alice.close()


def test_html_in_every_text_field_is_stored_as_text(client: TestClient) -> None:
    script = "<script>alert(1)</script>"
    response = client.post("/api/rooms", json={"title": script, "template": "remue-meninges", "name": script,
                                               "phase": "write"})
    room_id = response.json()["id"]
    token = client.post(f"/api/rooms/{room_id}/participants", json={"name": script}).json()["token"]
    room = Room.__new__(Room)
    room.client, room.id = client, room_id
    alice = room.connect(token)
    assert alice.first["room"]["title"] == script and alice.first["me"]["name"] == script
    assert add(alice, script)["text"] == script
    page = client.get(f"/rooms/{room_id}", headers={"authorization": f"Bearer {token}"})
    assert script not in page.text and "&lt;script&gt;" in page.text
    alice.close()


def test_cap_of_ideas_per_participant(room: Room, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "IDEAS_PER_PARTICIPANT", 2)
    alice = room.connect(room.join("Alice"))
    add(alice, "un")
    add(alice, "deux")
    alice.command("idea.add", prompt=prompt_of(alice), text="trois")
    error = alice.receive_until("error")
    assert error["code"] == "idea.too_many" and error["params"]["max"] == 2
    alice.close()


def test_frames_over_the_size_limit_close_the_socket(room: Room) -> None:
    alice = room.connect(room.join("Alice"))
    alice.session.send_text("x" * (limits.WS_MESSAGE_MAX_BYTES + 1))
    with pytest.raises(WebSocketDisconnect) as closed:
        alice.receive_until("never")
    assert closed.value.code == 1009


def test_a_command_before_hello_is_refused(room: Room, client: TestClient) -> None:
    token = room.join("Alice")
    with client.websocket_connect(f"/rooms/{room.id}/ws",
                                  headers={"origin": ORIGIN, "authorization": f"Bearer {token}"}) as ws:
        ws.send_text(json.dumps({"type": "idea.add", "op_id": op_id(), "prompt": "p", "text": "x"}))
        assert json.loads(ws.receive_text())["code"] == "protocol.not_ready"
        with pytest.raises(WebSocketDisconnect):
            ws.receive_text()


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "", "http://testserver.evil.example"])
def test_handshake_from_another_origin_is_refused(room: Room, client: TestClient, origin: str) -> None:
    headers = {"authorization": f"Bearer {room.join('Alice')}"}
    if origin:
        headers["origin"] = origin
    with pytest.raises(WebSocketDisconnect) as refused:
        with client.websocket_connect(f"/rooms/{room.id}/ws", headers=headers):
            pass
    assert refused.value.code == 1008


def test_handshake_without_a_valid_token_for_this_room_is_refused(client: TestClient) -> None:
    first, second = Room(client), Room(client)
    valid = first.join("Alice")
    for token in ("", "forged", valid[:-2] + "xx", second.join("Bob")):
        headers = {"origin": ORIGIN, "authorization": f"Bearer {token}"}
        with pytest.raises(WebSocketDisconnect):
            with client.websocket_connect(f"/rooms/{first.id}/ws", headers=headers):
                pass
    with pytest.raises(WebSocketDisconnect):  # an unknown room refuses even a well-formed token
        with client.websocket_connect("/rooms/unknownroomid000000000/ws", headers={"origin": ORIGIN,
                                      "authorization": f"Bearer {valid}"}):
            pass


def test_reconnecting_client_gets_exactly_the_events_it_missed(room: Room) -> None:
    token = room.join("Alice")
    alice = room.connect(token)
    seen = add(alice, "avant")["seq"]
    alice.close()
    bob = room.connect(room.join("Bob"))
    missed = [add(bob, f"pendant {i}") for i in range(3)]
    idea = missed[0]["idea"]
    bob.command("idea.delete", idea=idea)
    bob.receive_until("idea.deleted")
    back = room.connect(token, since=seen)
    assert back.first["type"] == "catchup" and back.first["seq"] == seen + 4
    assert [e["seq"] for e in back.first["events"]] == [seen + 1, seen + 2, seen + 3, seen + 4]
    assert [e["type"] for e in back.first["events"]][-1] == "idea.deleted"
    # then it follows live events with nothing in between
    add(bob, "après")
    assert back.receive_until("idea.added")["seq"] == seen + 5
    back.close()
    bob.close()


def test_a_client_too_far_behind_gets_a_snapshot(room: Room, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "CATCH_UP_MAX_EVENTS", 2)
    alice = room.connect(room.join("Alice"))
    for i in range(3):
        add(alice, f"idée {i}")
    late = room.connect(room.join("Bob"), since=0)
    assert late.first["type"] == "snapshot" and len(late.first["ideas"]) == 3
    ahead = room.connect(room.join("Chloé"), since=999)  # a seq from another database: start afresh
    assert ahead.first["type"] == "snapshot"
    for s in (alice, late, ahead):
        s.close()


def test_sync_fills_a_gap(room: Room) -> None:
    alice = room.connect(room.join("Alice"))
    for i in range(3):
        add(alice, f"idée {i}")
    alice.send({"type": "sync", "since": 1})
    resync = alice.receive_until("resync")
    assert resync["complete"] is True and [e["seq"] for e in resync["events"]] == [2, 3]
    alice.close()


def test_presence_is_live_and_never_sequenced(room: Room) -> None:
    alice = room.connect(room.join("Alice"))
    assert alice.receive_until("presence.joined", skip=("done.changed",))["name"] == "Alice"  # its own, already in its snapshot
    bob = room.connect(room.join("Bob"))
    joined = alice.receive_until("presence.joined", skip=("done.changed",))
    assert joined["name"] == "Bob" and "seq" not in joined
    bob.close()
    left = alice.receive_until("presence.left", skip=("done.changed",))
    assert left["id"] == joined["id"]
    assert add(alice, "après")["seq"] == 1  # presence took no sequence number
    alice.close()


def test_a_second_tab_of_the_same_person_is_one_presence(room: Room) -> None:
    token = room.join("Alice")
    one, two = room.connect(token), room.connect(token)
    watcher = room.connect(room.join("Bob"))
    assert [p["name"] for p in watcher.first["present"]].count("Alice") == 1
    two.close()
    add(one, "encore là")
    assert watcher.receive_until("idea.added")["text"] == "encore là"  # no presence.left in between
    for s in (one, watcher):
        s.close()
