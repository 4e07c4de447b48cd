"""Leaving a workshop ("Quitter l'atelier et effacer mes idées"): the person's ideas, dots and
pseudonym go, everyone's board follows, their tabs stop, and no copy of what they wrote stays:
not in the tables, the replay log, the database file, its WAL, nor in exports made afterwards.
"""

from __future__ import annotations

import io
import json
import sqlite3
import time
import uuid
import zipfile
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app import grouping
from app.export_routes import FORMATS
from tests.conftest import ORIGIN, POSTGRES, Room, Socket
from tests.test_hardening_erasure import answer, database

NOISE = ("presence.joined", "presence.left", "done.changed")


def refused(socket: Socket, frame_type: str, **fields: Any) -> str:
    sent = socket.command(frame_type, **fields)
    while (reply := socket.receive()).get("op_id") != sent["op_id"]:
        pass
    assert reply["type"] == "error", reply
    return str(reply["code"])


def closed_code(socket: Socket) -> int:
    with pytest.raises(WebSocketDisconnect) as closed:
        while True:
            socket.receive()
    return closed.value.code


def leave_event(socket: Socket) -> dict[str, Any]:
    while (frame := socket.receive())["type"] != "participant.removed":
        pass
    return frame


def test_a_participant_leaves_and_their_ideas_dots_and_name_go_with_them(client: TestClient) -> None:
    room = Room(client)
    facilitator = room.connect(room.facilitator_token)
    alice_token = room.join("Alice")
    alice, alice_phone = room.connect(alice_token), room.connect(alice_token)  # two tabs, one person
    bob = room.connect(room.join("Bob"))
    prompt = alice.first["prompts"][0]["id"]
    first = answer(alice, "idea.add", prompt=prompt, text="Un pique-nique géant au parc")["idea"]
    alone = answer(alice, "idea.add", prompt=prompt, text="Une chorale de quartier")["idea"]
    loose = answer(alice, "idea.add", prompt=prompt, text="Des jeux pour les enfants")["idea"]
    kept = answer(bob, "idea.add", prompt=prompt, text="Une fête des voisins")["idea"]
    answer(facilitator, "room.phase", phase="group")
    shared = answer(bob, "cluster.create", ideas=[first, kept])["clusters"][0]  # titled from Alice's idea
    assert shared["title"] == "Un pique-nique géant au parc" and not shared["named"]
    hers = answer(alice, "cluster.create", ideas=[alone])["clusters"][0]["cluster"]  # left empty: goes
    named = answer(bob, "cluster.create", ideas=[], prompt=prompt, title="Nos envies")["clusters"][0]["cluster"]
    answer(facilitator, "room.configure", vote_on="all", tallies="live")
    answer(facilitator, "room.phase", phase="vote")
    answer(alice, "vote.add", item=shared["cluster"])
    answer(bob, "vote.add", item=loose)  # a dot on her idea: it goes back to Bob
    answer(bob, "vote.add", item=named)
    assert refused(facilitator, "participant.leave") == "participant.creator_leaves"

    answer(alice, "participant.leave")
    for socket in (bob, facilitator):  # everyone's board converges on the same event
        event = leave_event(socket)
        assert event["participant"] == alice.first["me"]["id"] and event["left"] is True
        assert sorted(event["ideas"]) == sorted([first, alone, loose])
        assert event["dropped"] == [hers] and event["votes_returned"] is True
        assert event["clusters"] == [{**shared, "title": "Une fête des voisins"}]
    for socket in (alice, alice_phone):  # every tab of hers stops
        assert closed_code(socket) == 4003
    with pytest.raises(WebSocketDisconnect):  # the old cookie does not bring her back
        with client.websocket_connect(f"/rooms/{room.id}/ws",
                                      headers={"origin": ORIGIN, "authorization": f"Bearer {alice_token}"}):
            pass
    page = client.get(f"/rooms/{room.id}", headers={"authorization": f"Bearer {alice_token}"})
    assert 'name="name"' in page.text  # the join form: she may come back, as a new person

    witness = room.connect(room.join("Témoin"))
    assert [i["idea"] for i in witness.first["ideas"]] == [kept]
    assert {c["cluster"]: c["title"] for c in witness.first["clusters"]} == {
        shared["cluster"]: "Une fête des voisins", named: "Nos envies"}
    assert witness.first["votes"]["totals"] == {named: 1} and witness.first["votes"]["voters"] == 1
    assert all(p["name"] != "Alice" for p in witness.first["present"])
    if not POSTGRES:
        with sqlite3.connect(f"file:{database(client)}?mode=ro", uri=True) as db:
            row = db.execute("SELECT name, removed FROM participant WHERE public_id = ?",
                             (alice.first["me"]["id"],)).fetchone()
            assert row == ("", 1)
            log = " ".join(p or "" for r in db.execute("SELECT payload, redacted, undo FROM event WHERE room_id = ?",
                                                       (room.id,)) for p in r)
        for text in ("pique-nique", "chorale", "Des jeux", "Alice"):
            assert text not in log, text
        assert "Une fête des voisins" in log  # Bob's idea is still in the replay log
    # A page that catches up from before she wrote replays a log with no text of hers, and ends
    # where the others are.
    late = room.connect(room.facilitator_token, since=0)
    assert late.first["type"] == "catchup"
    replayed = json.dumps(late.first["events"], ensure_ascii=False)
    assert "pique-nique" not in replayed and "chorale" not in replayed and "Une fête des voisins" in replayed
    for socket in (facilitator, bob, witness, late):
        socket.close()


def test_in_private_writing_the_others_learn_only_the_new_counts(client: TestClient) -> None:
    room = Room(client)
    facilitator = room.connect(room.facilitator_token)
    answer(facilitator, "room.configure", private_writing=True)
    alice, bob = room.connect(room.join("Alice")), room.connect(room.join("Bob"))
    prompt = alice.first["prompts"][0]["id"]
    mine = answer(alice, "idea.add", prompt=prompt, text="secrète")["idea"]
    answer(bob, "idea.add", prompt=prompt, text="celle de Bob")
    answer(alice, "participant.leave")
    assert leave_event(facilitator)["ideas"] == [mine]
    seen = leave_event(bob)
    assert seen["ideas"] == [] and seen["clusters"] == [] and seen["tallies"] == {prompt: 1}
    assert mine not in json.dumps(seen)
    assert closed_code(alice) == 4003
    for socket in (facilitator, bob):
        socket.close()


def test_leaving_is_open_in_every_phase_but_not_to_the_creator_nor_twice(client: TestClient) -> None:
    room = Room(client)
    facilitator = room.connect(room.facilitator_token)
    co = room.connect(room.join("Co"))
    answer(facilitator, "participant.role", participant=co.first["me"]["id"], role="facilitator")
    answer(facilitator, "room.phase", phase="closed")
    assert answer(co, "participant.leave")["left"] is True  # a co-facilitator may leave, even when closed
    assert closed_code(co) == 4003
    assert refused(facilitator, "participant.leave") == "participant.creator_leaves"
    facilitator.close()


def test_nothing_of_the_person_who_left_stays_in_the_files_or_later_exports(client: TestClient) -> None:
    if POSTGRES:
        pytest.skip("looks into the SQLite files")
    marker = f"MARQUEUR{uuid.uuid4().hex}"
    room = Room(client, title="Atelier du quartier")
    facilitator = room.connect(room.facilitator_token)
    answer(facilitator, "room.configure", show_authors=True)  # her name rides on her ideas' events
    alice = room.connect(room.join(f"A{marker}"[:40]))
    bob = room.connect(room.join("Bob"))
    prompt = alice.first["prompts"][0]["id"]
    first = answer(alice, "idea.add", prompt=prompt, text=f"première {marker}")["idea"]
    answer(alice, "idea.edit", idea=first, text=f"corrigée {marker} encore", colour="blue")
    gone = answer(alice, "idea.add", prompt=prompt, text=f"retirée {marker}")["idea"]
    answer(alice, "idea.delete", idea=gone)  # deleted before she leaves: the log still had it
    moderated = answer(alice, "idea.add", prompt=prompt, text=f"masquée {marker}")["idea"]
    answer(facilitator, "idea.hide", idea=moderated, hidden=True)
    answer(facilitator, "idea.hide", idea=moderated, hidden=False)  # its shown form went through the log
    kept = answer(bob, "idea.add", prompt=prompt, text="Une idée de Bob qui reste")["idea"]
    answer(facilitator, "room.phase", phase="group")
    answer(bob, "cluster.create", ideas=[first, kept])  # a title suggested from her text
    answer(bob, "group.undo")  # the undo record quoted it too
    answer(bob, "cluster.create", ideas=[first, kept])
    answer(facilitator, "room.phase", phase="vote")
    answer(alice, "vote.add", item=moderated)
    answer(facilitator, "room.phase", phase="roadmap")
    owner = {"authorization": f"Bearer {room.facilitator_token}"}
    exports = [f"/rooms/{room.id}/report", *(f"/rooms/{room.id}/export.{f}" for f in FORMATS)]
    assert marker in client.get(f"/rooms/{room.id}/export.md", headers=owner).text  # so its absence means something

    answer(alice, "participant.leave")
    assert closed_code(alice) == 4003
    leave_event(bob)
    path = database(client)
    deadline = time.monotonic() + 10  # the WAL is truncated right after the commit
    while (path.parent / f"{path.name}-wal").stat().st_size and time.monotonic() < deadline:
        time.sleep(0.05)
    files = [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
    assert {p.name.removeprefix(path.name) for p in files} >= {"", "-wal"}
    for file in files:  # the database, its WAL and the shared-memory index
        assert marker.encode() not in file.read_bytes(), file.name
    replayed = room.connect(room.facilitator_token, since=0)  # the replay log, as a page catching up gets it
    assert replayed.first["type"] == "catchup" and marker not in json.dumps(replayed.first, ensure_ascii=False)
    for url in (f"/rooms/{room.id}", f"/rooms/{room.id}/similar.json"):  # pages and hints read the tables afresh
        assert marker not in client.get(url, headers=owner).text, url
    for url in exports:  # generated afterwards, in every format
        response = client.get(url, headers=owner)
        assert response.status_code == 200, url
        body = response.content
        if url.endswith(".odt"):
            with zipfile.ZipFile(io.BytesIO(body)) as odt:
                body = b"".join(odt.read(name) for name in odt.namelist())
        text = body.decode("utf-8", "replace")
        assert marker not in text, url
        if not url.endswith("roadmap.csv"):
            assert "Une idée de Bob qui reste" in text or grouping.suggestion("Une idée de Bob qui reste") in text, url
    for socket in (facilitator, bob, replayed):
        socket.close()
