"""`essaim backup DEST` while rooms are live: the copy, restored, holds every acknowledged op up to it."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from app import cli, limits
from app.main import create_app
from tests.conftest import OPEN_SOCKETS, ORIGIN, Room, make_settings

WRITERS, IDEAS_EACH = 3, 40


def test_a_backup_taken_while_people_write_restores_every_acknowledged_op_before_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(limits, "COMMAND_BURST", 10**6)  # a scripted burst (rate limits are tested elsewhere)
    data, copy = tmp_path / "data", tmp_path / "sauvegardes" / "essaim-copie.sqlite3"
    acked: list[tuple[float, str]] = []  # (when the ack came back, the idea's text)
    lock = threading.Lock()
    with TestClient(create_app(make_settings(data)), base_url=ORIGIN) as client:
        room = Room(client)
        sockets = [room.connect(room.join(f"Personne {n}")) for n in range(WRITERS)]
        prompt = sockets[0].first["prompts"][0]["id"]

        def write(n: int) -> None:
            socket = sockets[n]
            for i in range(IDEAS_EACH):
                sent = socket.command("idea.add", prompt=prompt, text=f"idée {n}-{i}")
                while (reply := socket.receive()).get("op_id") != sent["op_id"]:
                    pass
                assert reply["type"] == "idea.added", reply
                with lock:
                    acked.append((time.monotonic(), reply["text"]))

        threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
        for thread in threads:
            thread.start()
        while len(acked) < WRITERS * IDEAS_EACH // 3:
            time.sleep(0.005)
        started = time.monotonic()
        assert cli.main(["backup", str(copy), "--data-dir", str(data)]) == 0
        for thread in threads:
            thread.join(60)
        while OPEN_SOCKETS:
            OPEN_SOCKETS.pop().close()
    assert "essaim backup" in capsys.readouterr().out
    before = {text for at, text in acked if at < started}
    after = {text for at, text in acked if at > started}
    assert len(acked) == WRITERS * IDEAS_EACH and before and after  # it really ran while rooms were live

    # Restore: the copy in place of the database (the secret key kept), and the server started on it.
    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copy(copy, restored / "essaim.sqlite3")
    shutil.copy(data / "secret_key", restored / "secret_key")
    with sqlite3.connect(restored / "essaim.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with TestClient(create_app(make_settings(restored)), base_url=ORIGIN) as client:
        snapshot = _Reopened(client, room).connect(room.facilitator_token).first
        texts = {idea["text"] for idea in snapshot["ideas"]}
        assert before <= texts, sorted(before - texts)[:5]
        assert snapshot["seq"] == len(texts)  # no event without its idea, nor the reverse: one instant
        while OPEN_SOCKETS:
            OPEN_SOCKETS.pop().close()
    assert oct(copy.stat().st_mode & 0o777) == "0o600"


class _Reopened(Room):
    """The same room, read through another app (the restored one)."""

    def __init__(self, client: TestClient, room: Room) -> None:  # noqa: D107 - no creation
        self.client, self.id, self.facilitator_token = client, room.id, room.facilitator_token


def test_a_backup_refuses_to_overwrite_the_database_and_needs_one(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert cli.main(["backup", str(tmp_path / "x.sqlite3"), "--data-dir", str(data)]) == 1  # nothing to copy yet
    with TestClient(create_app(make_settings(data)), base_url=ORIGIN):
        pass
    assert cli.main(["backup", str(data / "essaim.sqlite3"), "--data-dir", str(data)]) == 1
    with sqlite3.connect(data / "essaim.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
