"""Two Essaim processes on one PostgreSQL database with Redis fan-out: correctness lives in the
database transaction (the room's row lock), not in a process.

Runs when ESSAIM_TEST_POSTGRES names a server (.ci/test starts one) and redis-server exists.
"""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import POSTGRES, fresh_postgres_database
from tests.support.server import Server
from tests.test_redis import Redis
from tests.test_server import open_peer

pytestmark = [pytest.mark.server, pytest.mark.postgres,
              pytest.mark.skipif(not POSTGRES, reason="ESSAIM_TEST_POSTGRES is not set"),
              pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")]


async def test_two_processes_race_on_one_room_and_no_budget_is_beaten(tmp_path: Path) -> None:
    import psycopg

    redis_server = Redis(tmp_path).start()
    url = fresh_postgres_database()
    env = {"DATABASE_URL": url, "BROADCAST_URL": redis_server.url, "ESSAIM_COMMAND_BURST": "1000",
           "ESSAIM_SECRET_KEY": "k" * 40}  # one key: a token from one process works on the other
    servers = [Server(tmp_path / f"data{n}", **env).start() for n in range(2)]
    try:
        created = await asyncio.to_thread(servers[0].create_room)
        room_id = created["id"]
        fac = await open_peer(servers[0], room_id, created["facilitator_token"])
        prompt = fac.first["prompts"][0]["id"]
        for n in range(4):
            await fac.send({"type": "idea.add", "op_id": f"seed-{n:04d}", "prompt": prompt, "text": f"Idée {n}"})
        ideas = [(await fac.reply(f"seed-{n:04d}"))["idea"] for n in range(4)]
        await fac.send({"type": "room.phase", "op_id": "phase-vote-1", "phase": "vote"})
        await fac.reply("phase-vote-1")
        voters = []
        for n in range(12):  # each voter has a tab on each process, both sending at once
            token = await asyncio.to_thread(servers[0].join, room_id, f"V{n}")
            voters.append([await open_peer(s, room_id, token) for s in servers])
        sends = []
        for v, tabs in enumerate(voters):
            for k, tab in enumerate(tabs):
                for d in range(5):  # 10 dots asked per voter, budget 5, cap 3
                    op = f"v{v:02d}-t{k}-d{d}"
                    sends.append((tab, op))
                    await tab.send({"type": "vote.add", "op_id": op, "item": ideas[(d + k) % 4]})
        replies = [await tab.reply(op) for tab, op in sends]
        placed = [r for r in replies if r["type"] == "vote.changed"]
        refused = Counter(r["code"] for r in replies if r["type"] == "error")
        assert len(placed) == 12 * 5 and set(refused) <= {"vote.budget_exceeded", "vote.cap_reached"}, refused
        with psycopg.connect(url) as conn:
            per_voter = conn.execute("SELECT participant_id, count(*) FROM vote GROUP BY participant_id").fetchall()
            per_item = conn.execute("SELECT participant_id, idea_id, count(*) FROM vote GROUP BY 1, 2").fetchall()
            seqs = [row[0] for row in conn.execute("SELECT seq FROM event ORDER BY seq")]
        assert sorted(n for _, n in per_voter) == [5] * 12
        assert max(n for *_, n in per_item) <= 3
        assert seqs == list(range(1, len(seqs) + 1))  # one room, one gapless sequence across both processes
        # every socket, on either process, heard the same events in the same order
        orders = [[f["seq"] for f in tab.frames if f.get("type") == "vote.changed"] for tabs in voters for tab in tabs]
        assert all(order == sorted(order) for order in orders)
        await fac.wait_for(lambda f: f.get("type") == "vote.changed" and f.get("seq") == seqs[-1], timeout=10)
    finally:
        for server in servers:
            server.stop()
        redis_server.stop()


def test_the_backup_command_points_to_pg_dump_and_the_purge_command_works(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from sqlalchemy import text
    from starlette.testclient import TestClient

    from app import cli, purge
    from app.main import create_app
    from tests.conftest import ORIGIN, Room, make_settings

    url = fresh_postgres_database()
    data = tmp_path / "data"
    with TestClient(create_app(make_settings(data, DATABASE_URL=url)), base_url=ORIGIN) as client:
        old, kept = Room(client), Room(client)
        with client.app.state.essaim.service.writer.engine.begin() as db:  # type: ignore[attr-defined]
            db.execute(text("UPDATE room SET updated_at = :at WHERE id = :id"),
                       {"at": time.time() - 91 * purge.DAY, "id": old.id})
    monkeypatch.setenv("DATABASE_URL", url)
    assert cli.main(["backup", str(tmp_path / "copy.sqlite3"), "--data-dir", str(data)]) != 0
    assert "pg_dump" in capsys.readouterr().err
    assert not (tmp_path / "copy.sqlite3").exists()
    assert cli.main(["purge", "--data-dir", str(data)]) == 0
    with TestClient(create_app(make_settings(data, DATABASE_URL=url)), base_url=ORIGIN) as client:
        with client.app.state.essaim.service.reader.engine.connect() as db:  # type: ignore[attr-defined]
            assert [r[0] for r in db.execute(text("SELECT id FROM room"))] == [kept.id]
