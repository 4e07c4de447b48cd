"""Authority: nobody gains rights they do not hold.

A participant sending the valid payload of every facilitator-only command, a facilitator
naming another room's ids, another person's `op_id` replayed, tokens that are expired,
signed for another purpose, another room or a link version that is gone. Each refusal
must store nothing. Cases covered elsewhere are listed in docs/securite.md.
"""

from __future__ import annotations

import concurrent.futures
import json
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app import limits, phases, protocol
from tests.conftest import ORIGIN, Room, Socket, op_id, table_counts
from tests.test_hardening_fields import BUILDERS, Ctx, setup_room, unlimited  # noqa: F401 (fixture)

FACILITATOR_ONLY = sorted(protocol.COMMAND_TYPES - phases.PARTICIPANT_COMMANDS)


def event_rows(client: TestClient) -> int:
    return table_counts(client.app, "event")[0]


def answer(socket: Socket, frame: dict[str, Any]) -> dict[str, Any]:
    """The reply that names this frame's op_id (events of others pass by)."""
    socket.send(frame)
    while (reply := socket.receive()).get("op_id") != frame["op_id"]:
        pass
    return reply


def state(room: Room) -> dict[str, Any]:
    fresh = room.connect(room.facilitator_token)
    snapshot = fresh.first
    fresh.close()
    return {key: snapshot[key] for key in ("seq", "room", "prompts", "ideas", "clusters", "tallies")}


def test_facilitator_only_commands_are_known() -> None:
    # The sweep below must not silently shrink: these are for facilitators, the rest for all.
    assert {"room.phase", "room.configure", "participant.remove", "participant.role", "idea.hide",
            "prompt.add", "prompt.delete", "timer.start"} <= set(FACILITATOR_ONLY)
    assert set(FACILITATOR_ONLY) <= set(BUILDERS)


@pytest.mark.parametrize("phase", sorted({BUILDERS[c][0] for c in FACILITATOR_ONLY}))
def test_a_participant_sending_every_facilitator_command_is_refused_and_nothing_is_stored(
        room: Room, phase: str, unlimited: None) -> None:
    facilitator, witness, ctx = setup_room(room, phase)
    alice = room.connect(room.join("Alice"))
    before, rows = state(room), event_rows(room.client)
    for command in (c for c in FACILITATOR_ONLY if BUILDERS[c][0] == phase):
        frame = {"type": command, "op_id": op_id(), **BUILDERS[command][1](ctx)}
        reply = answer(alice, frame)
        assert (reply["type"], reply.get("code")) == ("error", "auth.forbidden"), (command, reply)
    assert state(room) == before and event_rows(room.client) == rows
    # The valid payloads were valid: the facilitator's own sending of one is stored.
    assert answer(facilitator, {"type": "prompt.add", "op_id": op_id(), "title": "Bien à moi"})["type"] == "prompt.added"
    for socket in (facilitator, witness, alice):
        socket.close()


def names_an_id(fields: dict[str, Any], ctx: Ctx) -> bool:
    ids = {ctx.prompt, ctx.idea, ctx.cluster, ctx.person}
    values = [v for value in fields.values() for v in (value if isinstance(value, list) else [value])]
    return any(v in ids for v in values if isinstance(v, str))


@pytest.mark.parametrize("command", sorted(c for c in BUILDERS
                                           if names_an_id(BUILDERS[c][1](Ctx("p", "i", "c", "x")), Ctx("p", "i", "c", "x"))))
def test_a_command_naming_another_rooms_ids_is_refused_and_neither_room_changes(
        client: TestClient, command: str, unlimited: None) -> None:
    phase, build = BUILDERS[command]
    mine, theirs = Room(client), Room(client, title="Autre atelier")
    facilitator, witness, _ = setup_room(mine, phase)
    other_facilitator, other_witness, other = setup_room(theirs, phase)
    before = (state(mine), state(theirs), event_rows(client))
    reply = answer(facilitator, {"type": command, "op_id": op_id(), **build(other)})
    assert reply["type"] == "error" and reply["code"].endswith(("not_found", "not_votable", "invalid")), reply
    assert (state(mine), state(theirs), event_rows(client)) == before
    for socket in (facilitator, witness, other_facilitator, other_witness):
        socket.close()


def test_another_persons_op_id_replayed_on_another_connection_is_a_new_command_of_the_replayer(room: Room) -> None:
    room.set_phase("write")
    alice_token = room.join("Alice")
    alice, bob = room.connect(alice_token), room.connect(room.join("Bob"))
    prompt = alice.first["prompts"][0]["id"]
    frame = {"type": "idea.add", "op_id": op_id(), "prompt": prompt, "text": "l'idée d'Alice"}
    hers = answer(alice, frame)
    assert hers["type"] == "idea.added"
    assert bob.receive_until("idea.added")["idea"] == hers["idea"]  # the room hears hers first
    replayed = answer(bob, frame)  # the very same frame, on Bob's connection
    assert replayed["type"] == "idea.added" and replayed["seq"] > hers["seq"], replayed
    assert replayed["idea"] != hers["idea"] and replayed["author"] == bob.first["me"]["author"] != hers["author"]
    # Her own second tab replaying it is a duplicate: an ack of her seq, nothing new stored.
    second_tab = room.connect(alice_token)
    assert answer(second_tab, frame) == {"type": "ack", "op_id": frame["op_id"], "seq": hers["seq"]}
    assert len(state(room)["ideas"]) == 2
    for socket in (alice, bob, second_tab):
        socket.close()


def test_a_replayed_op_id_in_private_writing_never_returns_the_others_text(client: TestClient) -> None:
    room = Room(client, template="journee-citoyenne", phase="write")  # private writing on
    alice, bob = room.connect(room.join("Alice")), room.connect(room.join("Bob"))
    assert alice.first["room"]["settings"]["private_writing"]
    frame = {"type": "idea.add", "op_id": op_id(), "prompt": alice.first["prompts"][0]["id"], "text": "secret d'Alice"}
    assert answer(alice, frame)["text"] == "secret d'Alice"
    assert bob.receive_until("tally")["count"] == 1  # hers, as a count only (tested in test_facilitation)
    replayed = answer(bob, {**frame, "text": "à Bob"})
    assert replayed["type"] == "idea.added" and replayed["text"] == "à Bob"
    alice.close()
    bob.close()


def handshake_refused(client: TestClient, room_id: str, token: str) -> bool:
    headers = {"origin": ORIGIN, "authorization": f"Bearer {token}"}
    context = client.websocket_connect(f"/rooms/{room_id}/ws", headers=headers)
    try:
        ws = context.__enter__()
    except WebSocketDisconnect:
        return True
    try:
        ws.send_text(json.dumps({"type": "hello", "v": 1}))
        ws.receive_text()
    finally:
        try:  # as conftest's Socket.close: the harness may report the app's cleanup as a cancel
            context.__exit__(None, None, None)
        except (concurrent.futures.CancelledError, WebSocketDisconnect):
            pass
    return False


def test_expired_tokens_are_refused_on_the_socket_and_the_pages(
        client: TestClient, room: Room, monkeypatch: pytest.MonkeyPatch) -> None:
    token = room.join("Alice")
    assert not handshake_refused(client, room.id, token)
    monkeypatch.setattr(limits, "PARTICIPANT_TOKEN_MAX_AGE", -1)  # every token is now too old
    monkeypatch.setattr(limits, "FACILITATOR_TOKEN_MAX_AGE", -1)
    assert handshake_refused(client, room.id, token)
    assert handshake_refused(client, room.id, room.facilitator_token)
    headers = {"origin": ORIGIN, "authorization": f"Bearer {room.facilitator_token}"}
    assert client.post(f"/rooms/{room.id}/facilitator-link", headers=headers).status_code == 403
    assert client.post(f"/rooms/{room.id}/claim", json={"token": room.facilitator_token},
                       headers={"origin": ORIGIN}).status_code == 403


def test_tokens_signed_with_the_key_but_for_what_they_do_not_hold_are_refused(client: TestClient, room: Room) -> None:
    """Even with the server's key, a token only gives what the database still says."""
    tokens = client.app.state.essaim.tokens  # type: ignore[attr-defined]
    other = Room(client, title="Autre")
    alice = tokens.read(room.join("Alice"), room.id).participant_id
    facilitator = tokens.read(room.facilitator_token, room.id)
    cases = {
        "a participant's id in a facilitator token": tokens.facilitator(room.id, alice, 1),
        "a facilitator token of a future link version": tokens.facilitator(room.id, facilitator.participant_id, 2),
        "a person of another room": tokens.participant(room.id, tokens.read(other.join("Zoé"), other.id).participant_id),
        "a person who does not exist": tokens.participant(room.id, "nobody-at-all"),
        "another room's facilitator": other.facilitator_token,
    }
    for case, token in cases.items():
        assert handshake_refused(client, room.id, token), case
        headers = {"origin": ORIGIN, "authorization": f"Bearer {token}"}
        assert client.post(f"/rooms/{room.id}/facilitator-link", headers=headers).status_code == 403, case
    # A participant token is for taking part, not for claiming the facilitator's cookie.
    participant_token = room.join("Bob")
    assert client.post(f"/rooms/{room.id}/claim", json={"token": participant_token},
                       headers={"origin": ORIGIN}).status_code == 403
    assert client.post(f"/rooms/{room.id}/facilitator-link",
                       headers={"origin": ORIGIN, "authorization": f"Bearer {participant_token}"}).status_code == 403
