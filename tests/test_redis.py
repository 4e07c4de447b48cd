"""Fan-out through a real Redis: two Essaim processes on one database serve one room, a lost
Redis sends every socket back to resync, and several workers on memory:// are refused.

Needs `redis-server` (Debian's package, installed by .ci/test); skipped without it.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import settings as settings_module
from app.pubsub import Broadcast, Subscriber
from tests.support.server import Server, free_port
from tests.test_server import open_peer

pytestmark = [pytest.mark.server,
              pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")]


class Redis:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> Redis:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).stdout.strip() == b"PONG":
                return self
            time.sleep(0.05)
        raise TimeoutError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[Redis]:
    server = Redis(tmp_path).start()
    yield server
    server.stop()


async def first_messages(subscriber: Subscriber, count: int, timeout: float) -> list[str]:
    heard: list[str] = []
    async with asyncio.timeout(timeout):
        async for message in subscriber:
            heard.append(message)
            if len(heard) == count:
                break
    return heard


async def test_two_broadcasts_on_one_redis_hear_each_other_in_order(redis_server: Redis) -> None:
    a, b = Broadcast(redis_server.url), Broadcast(redis_server.url)
    await a.connect()
    await b.connect()
    try:
        async with b.subscribe("room:x") as subscriber:
            for n in range(50):
                await a.publish("room:x", f"m{n}")
            heard = await first_messages(subscriber, 50, timeout=5)
        assert heard == [f"m{n}" for n in range(50)]
    finally:
        await a.disconnect()
        await b.disconnect()


async def test_a_burst_of_concurrent_publishes_all_arrive_in_order_and_checks_wait_their_turn(
        redis_server: Redis, caplog: pytest.LogCaptureFixture) -> None:
    """redis-py's asyncio pool refuses the 101st concurrent command (MaxConnectionsError):
    events published by a burst of commands were lost, and rate checks fell back on memory."""
    from app.ratelimit_redis import RedisBuckets, client_for

    a, b = Broadcast(redis_server.url), Broadcast(redis_server.url)
    await a.connect()
    await b.connect()
    try:
        async with b.subscribe("room:x") as subscriber:
            await asyncio.gather(*(a.publish("room:x", f"m{n}") for n in range(3000)))
            heard = await first_messages(subscriber, 3000, timeout=15)
        assert heard == [f"m{n}" for n in range(3000)]  # one process's messages keep their order
        bucket = RedisBuckets(client_for(redis_server.url), "commands", 1000, 1.0)
        waits = await asyncio.gather(*(bucket.wait(("room", f"p{n % 50}")) for n in range(500)))
        assert waits == [0.0] * 500 and "counted in this process only" not in caplog.text
    finally:
        await a.disconnect()
        await b.disconnect()


async def test_a_redis_that_is_down_stops_the_start_with_its_reason() -> None:
    broadcast = Broadcast(f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(Exception) as raised:
        await broadcast.connect()
    assert "connect" in str(raised.value).lower() or "refused" in str(raised.value).lower()


def test_several_workers_on_memory_are_refused_with_what_to_configure(tmp_path: Path) -> None:
    environ = {"ESSAIM_DATA_DIR": str(tmp_path), "ESSAIM_WORKERS": "2"}
    with pytest.raises(ValueError, match="BROADCAST_URL=redis://"):
        settings_module.load(environ=environ, env_file=None)
    settings = settings_module.load(environ={**environ, "BROADCAST_URL": "redis://127.0.0.1:6379/0"}, env_file=None)
    assert settings.workers == 2
    started = subprocess.run([sys.executable, "-m", "app", "serve"], env={**environ, "PATH": "/usr/bin:/bin"},
                             capture_output=True, text=True, timeout=30, cwd=Path(__file__).parents[1])
    assert started.returncode == 2 and "BROADCAST_URL=redis://" in started.stderr


async def test_two_processes_serve_one_room_and_a_lost_redis_sends_everyone_to_resync(
        tmp_path: Path, redis_server: Redis) -> None:
    data = tmp_path / "data"
    env = {"BROADCAST_URL": redis_server.url, "ESSAIM_COMMAND_BURST": "1000"}
    first = Server(data, **env).start()
    second = Server(data, **env).start()  # same database, same key: any process serves any room
    try:
        created = await asyncio.to_thread(first.create_room)
        room_id, token = created["id"], created["facilitator_token"]
        alice_token = await asyncio.to_thread(first.join, room_id, "Alice")
        alice = await open_peer(first, room_id, alice_token)
        bob = await open_peer(second, room_id, await asyncio.to_thread(second.join, room_id, "Bob"))
        prompt = alice.first["prompts"][0]["id"]
        ops = []
        for n in range(20):  # both processes write at once: one seq order, seen by both
            for peer, who in ((alice, "a"), (bob, "b")):
                op = f"{who}-op-{n:04d}"
                ops.append(op)
                await peer.send({"type": "idea.add", "op_id": op, "prompt": prompt, "text": f"{who} {n}"})
        for peer in (alice, bob):
            await peer.wait_for(lambda f: sum(1 for x in peer.frames if x.get("type") == "idea.added") == 40
                                and True, timeout=15)
        for peer in (alice, bob):
            seqs = [f["seq"] for f in peer.frames if f.get("type") == "idea.added"]
            assert seqs == sorted(seqs) and len(set(seqs)) == 40, seqs  # every event once, in order
        assert [f["op_id"] for f in alice.frames if f.get("type") == "idea.added"] == \
            [f["op_id"] for f in bob.frames if f.get("type") == "idea.added"]

        redis_server.stop()  # the broker goes: both processes close their sockets so pages resync
        await alice.closed(timeout=15)
        await bob.closed(timeout=15)
        assert alice.close_code == 1012 and bob.close_code == 1012
        last = alice.seq
        redis_server.start()
        deadline = time.monotonic() + 20
        while True:  # the processes reconnect to Redis with backoff; a page retries meanwhile
            try:
                again = await open_peer(second, room_id, alice_token, since=last)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
        await again.send({"type": "idea.add", "op_id": "a-after-redis", "prompt": prompt, "text": "encore"})
        assert (await again.reply("a-after-redis"))["type"] == "idea.added"
        await again.close()
    finally:
        first.stop()
        second.stop()
