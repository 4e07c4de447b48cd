"""The disk, against a real server: full, locked, read-only, damaged.

A write the database refuses answers its sender `storage.full` (the disk is full) or
`storage.unavailable` (locked past the busy timeout, read-only), acknowledges nothing,
stores nothing (not half of it), keeps the socket and the process up, and the very same
command goes through once the disk is back, without a restart. A damaged file stops the
server at start-up with one line that names it and says what to do.

The full disk is a small tmpfs (we run as root here and in CI); without the right to mount,
those tests are skipped and say why.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import sqlite3
import subprocess
import sys
import urllib.error
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, closing
from pathlib import Path

import pytest

from tests.support.server import ROOT, Server
from tests.test_server import TIMEOUT, Frame, Peer, add, open_peer, read_stored

pytestmark = pytest.mark.server

BUSY_TIMEOUT = 10.0  # app/db.py: PRAGMA busy_timeout=10000


def _mount(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, timeout=20)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A data folder on its own 8 MiB tmpfs."""
    data = tmp_path / "data"
    data.mkdir()
    mounted = _mount(["-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", str(data)])
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield data
    finally:
        subprocess.run(["umount", "-l", str(data)], capture_output=True, timeout=20)


@asynccontextmanager
async def running(data: Path) -> AsyncIterator[tuple[Server, str, Peer, Peer]]:
    """A server on `data`, a room in writing, a participant's socket and a facilitator watching."""
    server = await asyncio.to_thread(Server(data).start)
    try:
        created = await asyncio.to_thread(server.create_room)
        bob = await open_peer(server, created["id"], await asyncio.to_thread(server.join, created["id"], "Bob"))
        watcher = await open_peer(server, created["id"], created["facilitator_token"])
        yield server, created["id"], bob, watcher
        assert server.process is not None and server.process.poll() is None, "the server died"
        assert bob.close_code is None and not bob.reader.done(), "the socket was closed"
        await bob.close()
        await watcher.close()
    finally:
        server.stop()
        log = server.log()
        print(log)  # shown by pytest only when the test failed
    assert "Traceback" not in log, log


def fill(disk: Path) -> Path:
    """A ballast file that takes every free byte of `disk`."""
    ballast = disk / "ballast"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT, 0o600)
    chunk = b"\0" * 65536
    try:
        while True:
            os.write(fd, chunk)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC, exc
    finally:
        os.close(fd)
    return ballast


async def answer(peer: Peer, frame: Frame, timeout: float = TIMEOUT) -> Frame:
    """The reply to this sending of `frame` (not one to an earlier sending of the same op_id)."""
    known = {id(f) for f in peer.frames}
    await peer.send(frame)
    return await peer.wait_for(lambda f: f.get("op_id") == frame["op_id"] and id(f) not in known, timeout)


def refused(reply: Frame, code: str) -> None:
    assert reply["type"] == "error" and reply["code"] == code, reply


async def heard_nothing_new(watcher: Peer, seq: int) -> None:
    """The facilitator's page got no event past `seq`: a snapshot asked now comes after any."""
    known = {id(f) for f in watcher.frames}
    await watcher.send({"type": "snapshot"})
    snapshot = await watcher.wait_for(lambda f: f["type"] == "snapshot" and id(f) not in known)
    assert snapshot["seq"] == seq and not [f for f in watcher.frames if f.get("seq", 0) > seq], watcher.frames[-3:]


def assert_stored(data: Path, room_id: str, seq: int, not_there: list[str]) -> None:
    stored = read_stored(data, room_id)
    assert stored.integrity == ["ok"]
    assert stored.room_seq == seq and [s for s, _, _ in stored.events] == list(range(1, seq + 1))
    assert not set(stored.by_op()) & set(not_there), "a refused command was stored"
    assert stored.replayed() == stored.ideas, "half of a command stored"


# -- a full disk --------------------------------------------------------------------------------


async def test_a_full_disk_says_storage_full_acknowledges_nothing_and_recovers(small_disk: Path) -> None:
    async with running(small_disk) as (server, room_id, bob, watcher):
        prompt = bob.first["prompts"][0]["id"]
        first = await answer(bob, add("full-0000", prompt, "avant"))
        assert first["type"] == "idea.added"
        ballast = fill(small_disk)

        # Every kind of write is refused while the disk is full, each with the same clear code.
        big = "x" * 400
        sent = [add(f"full-{k:04d}", prompt, f"{big} {k}") for k in range(1, 4)]
        sent += [{"type": "idea.edit", "op_id": "full-edit", "idea": first["idea"], "text": "changée"},
                 {"type": "idea.delete", "op_id": "full-delete", "idea": first["idea"]}]
        for frame in sent:
            refused(await answer(bob, frame), "storage.full")
        await heard_nothing_new(watcher, first["seq"])
        assert_stored(small_disk, room_id, first["seq"], [f["op_id"] for f in sent])
        with pytest.raises(urllib.error.HTTPError) as joining:  # HTTP too: a clear 503, no traceback
            await asyncio.to_thread(server.join, room_id, "Alice")
        assert joining.value.code == 503 and json.loads(joining.value.read())["error"] == "storage.full"
        assert not [f for f in bob.frames if f["type"] == "ack"]

        ballast.unlink()  # space comes back: the same commands now go through, no restart
        replies = [await answer(bob, frame) for frame in sent]
        assert [r["type"] for r in replies] == ["idea.added"] * 3 + ["idea.edited", "idea.deleted"], replies
        assert_stored(small_disk, room_id, first["seq"] + len(sent), [])


# -- a database locked by another process ----------------------------------------------------


async def test_a_database_locked_past_the_busy_timeout_is_storage_unavailable_then_recovers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with running(data) as (_, room_id, bob, watcher):
        prompt = bob.first["prompts"][0]["id"]
        with closing(sqlite3.connect(data / "essaim.sqlite3", isolation_level=None)) as other:
            other.execute("BEGIN EXCLUSIVE")  # another process (a script, a backup tool) holds the write lock
            waiting = asyncio.create_task(answer(bob, add("locked-01", prompt, "en attente"), BUSY_TIMEOUT + TIMEOUT))
            # Readers are not held up meanwhile: a page that asks gets its snapshot at once.
            await heard_nothing_new(watcher, 0)
            refused(await waiting, "storage.unavailable")
            other.execute("ROLLBACK")
        assert_stored(data, room_id, 0, ["locked-01"])
        replies = [await answer(bob, add("locked-01", prompt, "en attente")),
                   await answer(bob, add("locked-02", prompt, "ensuite"))]
        assert [(r["type"], r["seq"]) for r in replies] == [("idea.added", 1), ("idea.added", 2)]


# -- a read-only database ----------------------------------------------------------------------


def immutable(path: Path, on: bool) -> None:
    """chattr +i: even root's processes cannot open the file for writing (chmod would not stop root)."""
    subprocess.run(["chattr", "+i" if on else "-i", str(path)], check=True, capture_output=True, timeout=20)


async def test_a_read_only_database_serves_pages_refuses_writes_and_recovers(tmp_path: Path) -> None:
    """What a file owned by someone else, or a read-only mount, does to a server started on it."""
    data = tmp_path / "data"
    async with running(data) as (server, room_id, bob, _):
        prompt = bob.first["prompts"][0]["id"]
        written = await answer(bob, add("readonly-1", prompt, "écrite"))
        assert written["type"] == "idea.added", written
        token = await asyncio.to_thread(server.join, room_id, "Alice")
    database = data / "essaim.sqlite3"
    try:
        immutable(database, True)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"chattr +i is not available here: {exc}")
    try:
        await asyncio.to_thread(server.start)
        alice = await open_peer(server, room_id, token)
        assert [i["text"] for i in alice.first["ideas"]] == ["écrite"]  # pages still open and read
        frame = add("readonly-2", prompt, "refusée")
        refused(await answer(alice, frame), "storage.unavailable")
        immutable(database, False)  # the operator fixes the file: no restart needed
        assert_stored(data, room_id, 1, ["readonly-2"])
        assert (await answer(alice, frame))["type"] == "idea.added"
        assert alice.close_code is None and server.process is not None and server.process.poll() is None
        await alice.close()
    finally:
        immutable(database, False)
        server.stop()
    assert "Traceback" not in server.log() and "(read-only)" in server.log(), server.log()
    assert_stored(data, room_id, 2, [])


# -- a damaged file at start-up ----------------------------------------------------------------


def start(data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ESSAIM_DATA_DIR": str(data), "ESSAIM_PORT": "0", "ESSAIM_LOG_LEVEL": "warning"}
    return subprocess.run([sys.executable, "-m", "app", "serve"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=30)


def a_database_with_rows(data: Path) -> Path:
    """A real Essaim database of some hundred pages, written by the app's own migrations."""
    from app import db

    data.mkdir(parents=True)
    engine = db.make_engine(db.sqlite_url(data), immediate=True, pool_size=1)
    try:
        db.Writer(engine).migrate()
    finally:
        engine.dispose()
    path = data / "essaim.sqlite3"
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.executemany("INSERT INTO room (id, title, template, phase, author_key, created_at, updated_at) "
                         "VALUES (?, ?, 'remue-meninges', 'write', 'k', 0, 0)",
                         [(f"room{n:04d}", "atelier " * 200) for n in range(300)])
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_database_stops_the_start_with_one_line_that_says_what_to_do(tmp_path: Path, damage: str) -> None:
    data = tmp_path / "data"
    if damage == "garbage":
        data.mkdir()
        path = data / "essaim.sqlite3"
        path.write_bytes(os.urandom(64 * 1024))
    else:
        path = a_database_with_rows(data)
        with open(path, "r+b") as file:
            file.truncate(path.stat().st_size // 3)
    ran = start(data)
    assert ran.returncode == 1, (ran.returncode, ran.stdout, ran.stderr)
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in ran.stderr, ran.stderr
    assert str(path) in lines[0] and "essaim backup" in lines[0] and "inutilisable" in lines[0], lines[0]
    assert "Essaim : http" not in ran.stdout  # it never started listening


# -- the mapping, for the causes a real server here cannot produce -----------------------------


class _PostgresDiskFull(Exception):
    sqlstate = "53100"  # what psycopg's DiskFull carries


@pytest.mark.parametrize(("cause", "code", "reason"), [
    (OSError(errno.ENOSPC, "No space left on device"), "storage.full", "disk full"),
    (_PostgresDiskFull("could not extend file"), "storage.full", "disk full"),
    (OSError(errno.EIO, "Input/output error"), "storage.unavailable", "unavailable"),
])
def test_every_cause_has_its_code_and_a_fixed_reason(cause: Exception, code: str, reason: str) -> None:
    from app import db

    assert db.storage_error(cause).code == code
    assert db.storage_reason(cause) == reason
