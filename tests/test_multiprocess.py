"""Two Essaim processes on one database and one Redis serve one room: presence and "done"
counts are the room's, not a process's; so are the rate limits of a person or an address;
a process killed with -9 is forgotten by the other, and its clients, sent there, catch up
with nothing lost and nothing twice.

Needs `redis-server` (installed by .ci/test); skipped without it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from app import limits
from app.ratelimit_redis import RedisBuckets, RedisLimiter, client_for
from tests.support.server import Server, free_port
from tests.test_redis import Redis, redis_server  # noqa: F401  (a fixture)
from tests.test_redis import pytestmark as redis_marks
from tests.test_server import Frame, Peer, add, open_peer, read_stored

pytestmark = redis_marks
BEAT = "1"  # ESSAIM_PRESENCE_SECONDS: a killed process is forgotten after three silent seconds


def counts(peer: Peer) -> Frame:
    """The latest "done" count this page has: its first frame's, or a later done.changed."""
    frames = [f for f in peer.frames if f["type"] == "done.changed"]
    return frames[-1] if frames else {"type": "done.changed", **peer.first["done"]}


async def until(peer: Peer, what: str, check) -> Frame:  # type: ignore[no-untyped-def]
    """The first "done" count frame after those heard so far that passes `check`."""
    old = {id(f) for f in peer.frames if f["type"] == "done.changed"}
    old.discard(id(counts(peer)) if old else None)  # the latest may already be the answer
    try:
        return await peer.wait_for(lambda f: f["type"] == "done.changed" and id(f) not in old and check(f),
                                   timeout=20)
    except AssertionError as error:
        raise AssertionError(f"{what}: {[f for f in peer.frames if f['type'].startswith(('done', 'presence'))]}") \
            from error


def present_names(peer: Peer) -> set[str]:
    """Who the page shows as present: its first frame, then joined/left in order."""
    names = {p["id"]: p["name"] for p in peer.first["present"]}
    for frame in peer.frames:
        if frame["type"] == "presence.joined":
            names[frame["id"]] = frame["name"]
        elif frame["type"] == "presence.left":
            names.pop(frame["id"], None)
    return set(names.values())


def start_pair(data: Path, redis: Redis, burst: int = 1000) -> tuple[Server, Server]:
    env = {"BROADCAST_URL": redis.url, "ESSAIM_COMMAND_BURST": str(burst), "ESSAIM_PRESENCE_SECONDS": BEAT}
    return Server(data, **env).start(), Server(data, **env).start()


async def open_room(server: Server) -> tuple[str, Frame, Peer]:
    """A new workshop: its id, what creating it answered, and its facilitator's socket."""
    created = await asyncio.to_thread(server.create_room)
    return created["id"], created, await open_peer(server, created["id"], created["facilitator_token"])


async def test_presence_and_done_counts_are_the_rooms_across_processes(
        tmp_path: Path, redis_server: Redis) -> None:  # noqa: F811
    first, second = start_pair(tmp_path / "data", redis_server)
    try:
        room_id, created, fac = await open_room(first)
        tokens = {name: await asyncio.to_thread(first.join, room_id, name) for name in ("Alice", "Bob", "Cy")}
        alice = await open_peer(first, room_id, tokens["Alice"])
        bob = await open_peer(second, room_id, tokens["Bob"])
        cy_here = await open_peer(first, room_id, tokens["Cy"])
        cy_there = await open_peer(second, room_id, tokens["Cy"])
        await until(fac, "three people, wherever they are", lambda f: f["present"] == 3)
        late = await open_peer(second, room_id, created["facilitator_token"])  # a page opened on the other process
        assert late.first["done"] == {"done": 0, "present": 3}
        assert present_names(late) >= {"Alice", "Bob", "Cy"}

        await bob.send({"type": "done", "done": True})
        await alice.send({"type": "done", "done": True})
        for peer in (fac, late, cy_there):
            await until(peer, "two done of three", lambda f: f == {"type": "done.changed", "done": 2, "present": 3})

        await cy_here.close()  # Cy still has a tab on the other process: not gone
        await asyncio.sleep(1.0)
        assert present_names(fac) >= {"Alice", "Bob", "Cy"} and counts(fac)["present"] == 3

        await bob.send({"type": "done", "done": False})
        await until(fac, "one done", lambda f: f["done"] == 1 and f["present"] == 3)

        assert second.process is not None
        os.kill(second.process.pid, signal.SIGKILL)  # Bob's and Cy's only sockets die with it, unannounced
        await bob.closed(timeout=15)
        left = await until(fac, "the killed process forgotten", lambda f: f["present"] == 1)
        assert left == {"type": "done.changed", "done": 1, "present": 1}  # Alice, done
        assert not present_names(fac) & {"Bob", "Cy"}

        back = await open_peer(first, room_id, tokens["Bob"], since=bob.seq)  # Bob's page goes to the survivor
        await until(fac, "Bob back", lambda f: f["present"] == 2 and f["done"] == 1)
        assert "Bob" in present_names(fac)
        await back.close()
    finally:
        first.stop()
        second.kill()


async def test_killing_one_process_sends_its_clients_to_the_other_and_nothing_is_lost(
        tmp_path: Path, redis_server: Redis) -> None:  # noqa: F811
    first, second = start_pair(tmp_path / "data", redis_server)
    try:
        room_id, _, watcher = await open_room(first)
        prompt = watcher.first["prompts"][0]["id"]
        names = [f"Plume {n}" for n in range(6)]
        tokens = [await asyncio.to_thread(first.join, room_id, name) for name in names]
        peers = [await open_peer(first if n % 2 == 0 else second, room_id, token) for n, token in enumerate(tokens)]
        sent: dict[int, list[Frame]] = {n: [] for n in range(len(peers))}

        async def write(n: int, peer: Peer) -> None:
            try:
                for k in range(25):
                    command = add(f"plume{n}-{k:04d}", prompt, f"Plume {n} idée {k}")
                    sent[n].append(command)  # logged first: a send cut halfway is "maybe sent"
                    await peer.send(command)
                    await asyncio.sleep(0.02)
            except Exception:
                pass  # its process died under it

        writers = [asyncio.create_task(write(n, peer)) for n, peer in enumerate(peers)]
        await asyncio.sleep(0.25)
        assert second.process is not None
        os.kill(second.process.pid, signal.SIGKILL)  # in the middle of everyone's burst
        await asyncio.gather(*writers)

        finals: list[Peer] = []
        for n, peer in enumerate(peers):
            if n % 2 == 0:
                finals.append(peer)
                continue
            await peer.closed(timeout=15)
            confirmed = {f["op_id"] for f in peer.frames if f.get("type") == "idea.added" and "op_id" in f}
            again = await open_peer(first, room_id, tokens[n], since=peer.seq)  # sent to the survivor
            pending = [command for command in sent[n] if command["op_id"] not in confirmed]
            for command in pending:
                await again.send(command)  # resent once, as the page's queue does
            for command in pending:  # a new event, or an ack naming the one stored before the kill
                reply = await again.reply(command["op_id"])
                assert reply["type"] in ("idea.added", "ack"), reply
            finals.append(again)

        stored = read_stored(tmp_path / "data", room_id)
        assert stored.integrity == ["ok"]
        ops = [op for _, op, p in stored.events if p["type"] == "idea.added"]
        every = [c["op_id"] for commands in sent.values() for c in commands]
        assert sorted(op for op in ops if op) == sorted(every), "an op lost or stored twice"
        for peer in (watcher, *finals):
            await peer.wait_for(lambda f: f.get("seq") == stored.room_seq, timeout=20)
        # Every page, whichever process it was on, knows the same ideas in the same order.
        for peer in finals:
            seen = [f["seq"] for f in peer.frames if f.get("type") == "idea.added"]
            assert seen == sorted(seen)
        # The survivor's pages heard everything live, except what the killed process committed
        # and had no time to publish: a page sees the hole in the seqs and asks for it (as
        # client.js does), and gets exactly that.
        live = {f["seq"] for f in watcher.frames if "seq" in f and f["type"] != "resync"}
        holes = [seq for seq in range(watcher.first["seq"] + 1, stored.room_seq + 1) if seq not in live]
        authors = {seq: op for seq, op, _ in stored.events}
        assert all(authors[seq] and authors[seq].startswith(tuple(f"plume{n}-" for n in range(1, 6, 2)))
                   for seq in holes), f"the survivor's own events missed live: {holes}"
        assert len(holes) <= 3, holes  # at most what was in flight on the killed process
        if holes:
            await watcher.send({"type": "sync", "since": holes[0] - 1})
            resync = await watcher.wait_for(lambda f: f["type"] == "resync")
            assert set(holes) <= {e["seq"] for e in resync["events"]} and resync["complete"]
    finally:
        first.stop()
        second.kill()


# -- rate limits that hold across processes ----------------------------------------------------

async def test_a_persons_bucket_and_an_addresss_window_are_shared_by_every_process(
        redis_server: Redis) -> None:  # noqa: F811
    here, there = client_for(redis_server.url), client_for(redis_server.url)  # two processes' clients
    buckets = [RedisBuckets(client, "commands", 10, 2.0) for client in (here, there)]
    waits = [await buckets[k % 2].wait(("room", "ana")) for k in range(20)]
    assert waits[:10] == [0.0] * 10 and all(w > 0 for w in waits[10:])  # one burst of 10, not two
    assert 0 < waits[-1] <= 0.5
    assert await buckets[1].wait(("room", "bob")) == 0.0  # Ana's flood is hers alone
    windows = [RedisLimiter(client, "lookups", 4) for client in (here, there)]
    allowed = [await windows[k % 2].admit("192.0.2.7") for k in range(8)]
    assert allowed == [True] * 4 + [False] * 4
    await here.aclose()
    await there.aclose()


async def test_without_redis_the_limits_fall_back_on_the_process(caplog: pytest.LogCaptureFixture) -> None:
    nobody = client_for(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    bucket, window = RedisBuckets(nobody, "commands", 3, 1.0), RedisLimiter(nobody, "lookups", 2)
    assert [await bucket.wait("ana") == 0.0 for _ in range(4)] == [True, True, True, False]
    assert [await window.admit("192.0.2.7") for _ in range(3)] == [True, True, False]
    assert "counted in this process only" in caplog.text


async def test_one_person_flooding_from_tabs_on_two_processes_gets_one_burst(
        tmp_path: Path, redis_server: Redis) -> None:  # noqa: F811
    first, second = start_pair(tmp_path / "data", redis_server, burst=limits.COMMAND_BURST)
    try:
        created = await asyncio.to_thread(first.create_room)
        room_id = created["id"]
        token = await asyncio.to_thread(first.join, room_id, "Script")
        tabs = [await open_peer(first, room_id, token), await open_peer(second, room_id, token)]
        prompt = tabs[0].first["prompts"][0]["id"]
        started = time.monotonic()
        for k in range(limits.COMMAND_BURST):  # each tab alone sends a whole burst
            for n, tab in enumerate(tabs):
                await tab.send(add(f"tab{n}-flood-{k:04d}", prompt, f"flot {n} {k}"))
        replies = [await tab.reply(f"tab{n}-flood-{k:04d}") for k in range(limits.COMMAND_BURST)
                   for n, tab in enumerate(tabs)]
        elapsed = time.monotonic() - started
        passed = sum(r["type"] == "idea.added" for r in replies)
        refused = {r["code"] for r in replies if r["type"] == "error"}
        assert refused == {"command.rate_limited"}
        assert limits.COMMAND_BURST <= passed <= limits.COMMAND_BURST + elapsed * limits.COMMANDS_PER_SECOND + 1
    finally:
        first.stop()
        second.stop()
