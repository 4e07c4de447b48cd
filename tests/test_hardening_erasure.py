"""Retention and erasure: a workshop past its retention period, or deleted by its creator,
is gone for good: not in the tables, the database file, the WAL, exports made afterwards,
nor in the sockets that were open on it. The purge runs inside the server and as a command.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app import cli, limits, models, purge  # noqa: F401  (models: every table known to SQLModel)
from app.export_routes import FORMATS
from app.main import create_app
from tests.conftest import OPEN_SOCKETS, ORIGIN, POSTGRES, Room, Socket, make_settings

DAY = purge.DAY


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def service_of(client: TestClient) -> Any:
    return client.app.state.essaim.service  # type: ignore[attr-defined]


def database(client: TestClient) -> Path:
    return Path(str(client.app.state.essaim.settings.database_url).removeprefix("sqlite:///"))  # type: ignore[attr-defined]


TABLES = ("room", "prompt", "participant", "idea", "cluster", "vote", "event", "action")


def rows(client: TestClient, room_id: str) -> dict[str, int]:
    """The room's rows per table, read through the app's own engine (SQLite or PostgreSQL)."""
    with service_of(client).reader.engine.connect() as db:
        return {t: db.execute(text(f"SELECT count(*) FROM {t} WHERE {'id' if t == 'room' else 'room_id'} = :room"),
                              {"room": room_id}).scalar_one() for t in TABLES}


def tables_holding(client: TestClient, marker: str) -> list[str]:
    """The tables (every one the models define) where some row, of any room, holds `marker`."""
    found = []
    with service_of(client).reader.engine.connect() as db:
        for table in SQLModel.metadata.sorted_tables:
            if any(marker in repr(tuple(row)) for row in db.execute(table.select())):
                found.append(table.name)
    return found


def answer(socket: Socket, frame_type: str, **fields: Any) -> dict[str, Any]:
    sent = socket.command(frame_type, **fields)
    while (reply := socket.receive()).get("op_id") != sent["op_id"]:
        pass
    assert reply["type"] != "error", reply
    return reply


def test_the_purge_erases_workshops_past_retention_after_their_last_activity(
        client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="essaim.purge")
    clock = service_of(client).clock = Clock(1_800_000_000.0)
    idle = Room(client, title="Atelier oublié")  # created at day 0, nothing since
    busy = Room(client, title="Atelier actif")  # created at day 0, active at day 20
    clock.now += 20 * DAY
    late = Room(client, title="Atelier récent")  # created at day 20
    writer = busy.connect(busy.join("Camille"))
    answer(writer, "idea.add", prompt=writer.first["prompts"][0]["id"], text="une idée au jour 20")
    writer.close()
    clock.now = 1_800_000_000.0 + 90 * DAY + 60  # idle is 90 days and a minute old; busy only 70
    assert (erased := client.portal.call(purge.purge, service_of(client), 90)).rooms == 1  # type: ignore[union-attr]
    assert rows(client, idle.id) == dict.fromkeys(rows(client, idle.id), 0)
    assert rows(client, busy.id)["idea"] == 1 and rows(client, late.id)["room"] == 1
    assert erased.participants == 1 and erased.events == 0
    clock.now += 20 * DAY + 60  # now busy's last activity is 90 days old too
    assert client.portal.call(purge.purge, service_of(client), 90).rooms == 2  # type: ignore[union-attr]
    assert rows(client, busy.id)["event"] == 0 and rows(client, busy.id)["participant"] == 0
    assert client.portal.call(purge.purge, service_of(client), 0).rooms == 0  # type: ignore[union-attr]
    # The log says how many, never what.
    lines = [r.getMessage() for r in caplog.records if r.name == "essaim.purge"]
    assert any("1 workshop(s), 1 participant(s), 0 idea(s)" in line for line in lines), lines
    assert not any(word in line for line in lines for word in ("Atelier", "Camille", idle.id, busy.id))


@pytest.fixture
def quick_purge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setattr(limits, "PURGE_INTERVAL_SECONDS", 0.05)
    with TestClient(create_app(make_settings(tmp_path / "data", ESSAIM_RETENTION_DAYS="30")),
                    base_url=ORIGIN) as test_client:
        yield test_client
        while OPEN_SOCKETS:  # as conftest's client: an open socket would keep the app waiting
            OPEN_SOCKETS.pop().close()


def test_the_server_purges_on_a_schedule_and_closes_the_sockets_of_what_it_erased(quick_purge: TestClient) -> None:
    service = service_of(quick_purge)
    clock = service.clock = Clock(time.time())
    room = Room(quick_purge)
    alice = room.connect(room.join("Alice"))
    time.sleep(0.3)  # a few rounds of the schedule: nothing is old enough yet
    assert rows(quick_purge, room.id)["room"] == 1
    clock.now += 31 * DAY
    deadline = time.monotonic() + 10
    while rows(quick_purge, room.id)["room"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert rows(quick_purge, room.id) == dict.fromkeys(rows(quick_purge, room.id), 0)
    with pytest.raises(WebSocketDisconnect) as closed:
        while True:
            alice.receive()
    assert closed.value.code == 4003


def test_essaim_purge_is_a_command_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    with TestClient(create_app(make_settings(data)), base_url=ORIGIN) as client:
        old, kept = Room(client), Room(client)
    with sqlite3.connect(data / "essaim.sqlite3") as db:
        db.execute("UPDATE room SET updated_at = ? WHERE id = ?", (time.time() - 91 * DAY, old.id))
    assert cli.main(["purge", "--data-dir", str(data)]) == 0
    assert "1" in capsys.readouterr().out
    with sqlite3.connect(data / "essaim.sqlite3") as db:
        assert [r[0] for r in db.execute("SELECT id FROM room")] == [kept.id]


def test_deleting_a_workshop_erases_every_trace_of_it(client: TestClient) -> None:
    marker = f"MARQUEUR{uuid.uuid4().hex}"
    kept = Room(client, title="Un autre atelier")  # the file is not simply emptied
    answer(kept.connect(kept.facilitator_token), "prompt.add", title="Autre question")
    room = Room(client, title=f"Atelier {marker}")
    facilitator = room.connect(room.facilitator_token)
    alice = room.connect(room.join(f"Alice {marker}"[:40]))
    prompt = alice.first["prompts"][0]["id"]
    idea = answer(alice, "idea.add", prompt=prompt, text=f"première {marker}")["idea"]
    answer(alice, "idea.edit", idea=idea, text=f"corrigée {marker} encore", colour="blue")
    answer(alice, "idea.add", prompt=prompt, text=f"seconde {marker}")
    gone = answer(alice, "idea.add", prompt=prompt, text=f"retirée {marker}")["idea"]
    answer(alice, "idea.delete", idea=gone)  # deleted before: its bytes must not linger either
    answer(facilitator, "prompt.add", title=f"Question {marker}")
    answer(facilitator, "room.phase", phase="group")
    answer(facilitator, "cluster.create", ideas=[idea], title=f"Groupe {marker}")
    before = client.get(f"/rooms/{room.id}/export.md", headers={"authorization": f"Bearer {room.facilitator_token}"})
    assert marker in before.text  # so that its absence afterwards means something
    assert "idea" in tables_holding(client, marker)

    owner = {"origin": ORIGIN, "authorization": f"Bearer {room.facilitator_token}"}
    assert client.post(f"/rooms/{room.id}/delete", data={}, headers=owner).status_code == 400  # not confirmed
    alice_token = room.join("Bob")
    as_participant = {"origin": ORIGIN, "authorization": f"Bearer {alice_token}"}
    assert client.post(f"/rooms/{room.id}/delete", data={"confirm": "yes"}, headers=as_participant).status_code == 403
    assert rows(client, room.id)["idea"] == 2
    deleted = client.post(f"/rooms/{room.id}/delete", data={"confirm": "yes"}, headers=owner, follow_redirects=False)
    assert deleted.status_code == 303 and deleted.headers["location"] == "/"

    for socket in (facilitator, alice):  # its sockets are closed, for good
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                socket.receive()
        assert closed.value.code == 4003
    assert rows(client, room.id) == dict.fromkeys(rows(client, room.id), 0)
    assert tables_holding(client, marker) == []
    if not POSTGRES:  # SQLite's own files; PostgreSQL's pages are the server's (VACUUM reclaims them)
        files = [p for p in database(client).parent.iterdir() if p.name.startswith(database(client).name)]
        assert {p.name.removeprefix(database(client).name) for p in files} >= {"", "-wal"}
        for path in files:  # the database file, its WAL (truncated) and the shared memory index
            assert marker.encode() not in path.read_bytes(), path.name
        assert (database(client).parent / (database(client).name + "-wal")).stat().st_size == 0
    for path in (f"/rooms/{room.id}", f"/rooms/{room.id}/report", *(f"/rooms/{room.id}/export.{f}" for f in FORMATS)):
        after = client.get(path, headers=owner)
        assert after.status_code == 404 and marker not in after.text, path
    assert client.get(f"/rooms/{kept.id}/export.json",
                      headers={"authorization": f"Bearer {kept.facilitator_token}"}).status_code == 200


def test_a_deleted_idea_leaves_the_log_too(client: TestClient) -> None:
    marker = f"MARQUEUR{uuid.uuid4().hex}"
    room = Room(client)
    alice = room.connect(room.join("Alice"))
    prompt = alice.first["prompts"][0]["id"]
    kept = answer(alice, "idea.add", prompt=prompt, text="une idée qui reste")["idea"]
    idea = answer(alice, "idea.add", prompt=prompt, text=f"à retirer {marker}")["idea"]
    answer(alice, "idea.edit", idea=idea, text=f"corrigée {marker}", colour="blue")
    assert tables_holding(client, marker) == ["event", "idea"]  # so that its absence means something
    deleted = answer(alice, "idea.delete", idea=idea)
    assert tables_holding(client, marker) == []
    late = room.connect(room.join("Bob"), since=0)  # catching up from the start: the log as it is now
    assert late.first["type"] == "catchup" and marker not in json.dumps(late.first)
    kinds = [e["type"] for e in late.first["events"]]
    assert kinds.count("skip") == 2 and kinds[-1] == "idea.deleted" and deleted["seq"] == late.first["seq"]
    assert [e["idea"] for e in late.first["events"] if e["type"] == "idea.added"] == [kept]
