"""Network faults between clients and a real server (uvicorn in a subprocess), made by
the proxy of tests/support/proxy.py: latency, a blackhole (no FIN), a reset, a close in
the middle of a frame.

The clients here behave as static/js/connection.js does: they ping and give a socket
up when no answer comes in time, reconnect with backoff and jitter, catch up from their
last seq, send each pending operation once per connection, and drop an operation from
their queue only when the server answers for its op_id. Each test ends on the same
check: every client holds the same ideas and applied the same seqs, in order, as a
client that was never disturbed, and the event table holds each operation once.

Every wait has a deadline; nothing sleeps to let something happen and then assumes it did.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.typing import Origin

from tests.support.proxy import Proxy
from tests.support.server import Server
from tests.test_server import Board, Frame, Peer, Stored, add, assert_consistent, new_board, read_stored

pytestmark = pytest.mark.server

# connection.js pings every 20 s and gives up after 10 s of silence; the same rule, sped up.
# PONG_WITHIN stays well above the latency mode's round trip (2 x 0.3 s), as 10 s is above a phone's.
PING_EVERY = 0.3
PONG_WITHIN = 1.5
BACKOFF_BASE = 0.2  # connection.js: 500 ms, doubling up to 15 s; jitter: between half and all of it
BACKOFF_MAX = 1.0
CONNECT_WITHIN = 2.0  # a handshake into a blackhole fails after this and is tried again (latency: 4 x 0.3 s)
LATENCY = 0.3
DEADLINE = 15.0  # for a whole convergence
StartProxy = Callable[[], Awaitable[Proxy]]


# -- a client that survives networks ----------------------------------------------------------


@dataclass
class Replica:
    """The room as one client sees it: its ideas, and the seq of every event it applied, in order."""

    seq: int = 0
    base: int | None = None  # the seq of the snapshot it started from
    ideas: dict[str, str] = field(default_factory=dict)
    applied: list[int] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)  # a gap or an event twice: never expected

    def start(self, first: Frame) -> None:
        if first["type"] == "snapshot":
            if self.base is not None:
                self.anomalies.append(f"a second snapshot at {first['seq']}")
            self.base, self.seq = first["seq"], first["seq"]
            self.ideas = {i["idea"]: i["text"] for i in first["ideas"]}
            return
        for event in first["events"]:
            self.apply(event)
        if first["seq"] != self.seq:
            self.anomalies.append(f"catch-up to {first['seq']} left us at {self.seq}")

    def apply(self, event: Frame) -> None:
        if event["seq"] != self.seq + 1:
            self.anomalies.append(f"event {event['seq']} after {self.seq}")
            if event["seq"] <= self.seq:
                return
        self.seq = event["seq"]
        self.applied.append(event["seq"])
        if event["type"] in ("idea.added", "idea.edited"):
            self.ideas[event["idea"]] = event["text"]
        elif event["type"] == "idea.deleted":
            self.ideas.pop(event["idea"], None)


class Client:
    """One person's page: a socket that comes back by itself, and a queue of pending operations."""

    def __init__(self, board: Board, name: str, base_url: str | None = None) -> None:
        self.board, self.name = board, name
        self.token = board.join(name)
        self.base_url = base_url or board.server.ws_url
        self.replica = Replica()
        self.pending: dict[str, Frame] = {}  # op_id -> command, until the server answers for it
        self.sends: Counter[str] = Counter()  # how many times each op_id went out
        self.answers: dict[str, list[Frame]] = {}  # op_id -> the server's answers, in order
        self.attempts = 0  # handshakes tried
        self.failures = 0  # handshakes that failed (refused, reset, timed out)
        self.connections = 0  # handshakes that gave a first frame
        self.gave_up = 0  # sockets abandoned because no pong came
        self.close_codes: list[int | None] = []
        self.backoffs: list[float] = []
        self.peer: Peer | None = None
        self._heard = 0
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> Client:
        self._task = asyncio.create_task(self._run(), name=f"client:{self.name}")
        await self.until(lambda: self.peer is not None, "online")
        return self

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self.peer:
            await self.peer.ws.close()

    async def send(self, command: Frame) -> None:
        self.pending[command["op_id"]] = command  # queued first, as connection.js does
        if self.peer is not None:
            await self._transmit(self.peer, command)

    async def until(self, condition: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
        try:
            async with asyncio.timeout(timeout):
                while not condition():
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise AssertionError(f"{self.name}: not {what} within {timeout} s "
                                 f"(seq {self.replica.seq}, pending {list(self.pending)})") from None

    # -- the socket's life ------------------------------------------------------------------

    async def _run(self) -> None:
        attempt = 0
        while True:
            peer = await self._connect()
            if peer is not None:
                attempt = 0
                self.peer = peer
                for command in list(self.pending.values()):  # once per connection, after the catch-up
                    await self._transmit(peer, command)
                self._touch()
                await self._keepalive(peer)
                self.peer = None
                self.close_codes.append(peer.close_code)
                self._touch()
            ceiling = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** attempt)
            delay = ceiling / 2 + random.random() * ceiling / 2  # jitter: no thundering herd
            self.backoffs.append(delay)
            attempt += 1
            await asyncio.sleep(delay)

    async def _connect(self) -> Peer | None:
        self.attempts += 1
        self._touch()
        ws = None
        try:
            async with asyncio.timeout(CONNECT_WITHIN):
                ws = await connect(f"{self.base_url}/rooms/{self.board.room_id}/ws",
                                   origin=Origin(self.board.server.origin), compression=None, proxy=None,
                                   additional_headers={"Authorization": f"Bearer {self.token}"},
                                   ping_interval=None, close_timeout=0.5)  # pings are ours, as a page's
                since = self.replica.seq if self.replica.base is not None else None
                await ws.send(json.dumps({"type": "hello", "v": 1, "since": since}))
                first = json.loads(await ws.recv())
        except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed):
            if ws is not None:
                ws.transport.abort()
            self.failures += 1
            self._touch()
            return None
        self.connections += 1
        self.replica.start(first)
        return Peer(ws, first, self._on_frame)

    async def _keepalive(self, peer: Peer) -> None:
        """Ping; when nothing at all comes back in time, give the socket up (not a close: it may never end)."""
        while not peer.reader.done():
            await asyncio.wait([peer.reader], timeout=PING_EVERY)
            if peer.reader.done():
                return
            heard = self._heard
            try:
                await peer.send({"type": "ping"})
                async with asyncio.timeout(PONG_WITHIN):
                    while self._heard == heard and not peer.reader.done():
                        self._changed.clear()
                        await self._changed.wait()
            except ConnectionClosed:
                pass
            except TimeoutError:
                self.gave_up += 1
                peer.ws.transport.abort()
                await peer.closed()
                return

    async def _transmit(self, peer: Peer, command: Frame) -> None:
        self.sends[command["op_id"]] += 1
        try:
            await peer.send(command)
        except ConnectionClosed:
            pass  # still pending: the next connection sends it

    def _on_frame(self, frame: Frame) -> None:
        self._heard += 1
        op_id = frame.get("op_id")
        if "seq" in frame and frame["type"] not in ("ack", "resync"):
            self.replica.apply(frame)
        if op_id in self.pending and (frame["type"] in ("ack", "error") or "seq" in frame):
            self.answers.setdefault(op_id, []).append(frame)
            del self.pending[op_id]
        self._touch()

    def _touch(self) -> None:
        self._changed.set()


# -- what every test ends with ----------------------------------------------------------------


async def converged(clients: list[Client], data_dir: Path, room_id: str) -> Stored:
    """Wait until nothing is pending and every client is at the log's last seq; check they agree."""
    for client in clients:
        await client.until(lambda c=client: not c.pending, "settled")
    stored = read_stored(data_dir, room_id)
    for client in clients:
        await client.until(lambda c=client: c.replica.seq == stored.room_seq, f"at seq {stored.room_seq}")
    stored = read_stored(data_dir, room_id)  # nothing new came meanwhile: nobody sends any more
    assert_consistent(stored)
    errors = {c.name: f for c in clients for answers in c.answers.values() for f in answers if f["type"] == "error"}
    assert errors == {}
    sent = {op for client in clients for op in client.sends}
    assert set(stored.by_op()) == sent, "an op lost, or one nobody sent"
    for client in clients:
        replica = client.replica
        assert replica.anomalies == [], (client.name, replica.anomalies)
        assert replica.base == 0 and replica.applied == list(range(1, stored.room_seq + 1)), client.name
        assert replica.ideas == stored.ideas, client.name
    return stored


def ideas_op(client: Client, k: int, prompt: str, length: int = 0) -> Frame:
    text = f"{client.name} idée {k}"
    return add(f"{client.name}-add-{k:02d}", prompt, text + " ·" * length)  # op ids: 8 to 64 of [A-Za-z0-9_-]


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("faults") / "data", ESSAIM_SQLITE_SYNCHRONOUS="NORMAL").start()
    yield srv
    srv.kill()
    print(srv.log())


@pytest.fixture
async def board(server: Server) -> Board:
    return await new_board(server)


@pytest.fixture
async def proxies(server: Server) -> AsyncIterator[StartProxy]:
    started: list[Proxy] = []

    async def start() -> Proxy:
        started.append(await Proxy(server.port, latency=LATENCY).start())
        return started[-1]
    yield start
    for proxy in started:
        await proxy.close()


@pytest.fixture
async def clients() -> AsyncIterator[list[Client]]:
    made: list[Client] = []
    yield made
    for client in made:
        await client.stop()


def server_log_since(server: Server, offset: int) -> str:
    return server.log_path.read_bytes()[offset:].decode(errors="replace")


def log_size(server: Server) -> int:
    return server.log_path.stat().st_size if server.log_path.exists() else 0


# -- latency ----------------------------------------------------------------------------------


async def test_ops_from_several_clients_under_latency_converge(
        board: Board, proxies: StartProxy, clients: list[Client]) -> None:
    proxy = await proxies()
    proxy.set_mode("latency")
    reference = await Client(board, "Direct").start()
    slow = [await Client(board, name, proxy.ws_url).start() for name in ("Aline", "Bruno", "Chloe")]
    clients += [reference, *slow]

    started = time.monotonic()
    await slow[0].send(ideas_op(slow[0], 0, board.prompt))
    await slow[0].until(lambda: not slow[0].pending, "confirmed")
    round_trip = time.monotonic() - started
    assert round_trip >= 2 * LATENCY, round_trip  # the proxy did hold the bytes

    # Every slow client sends a burst without waiting, interleaved with the direct one.
    await asyncio.gather(*(c.send(ideas_op(c, k, board.prompt)) for k in range(1, 7) for c in clients))
    for client in clients:
        await client.until(lambda c=client: not c.pending, "confirmed")
    # Then each edits its second idea and deletes its third, which it knows only from the server.
    for client in clients:
        mine = [i for i, text in client.replica.ideas.items() if text.startswith(f"{client.name} idée ")]
        by_text = {client.replica.ideas[i]: i for i in mine}
        await client.send({"type": "idea.edit", "op_id": f"{client.name}-edit", "text": f"{client.name} changée",
                           "idea": by_text[f"{client.name} idée 2"]})
        await client.send({"type": "idea.delete", "op_id": f"{client.name}-delete",
                           "idea": by_text[f"{client.name} idée 3"]})

    stored = await converged(clients, board.server.data_dir, board.room_id)
    assert len(stored.ideas) == 1 + 4 * 6 - 4 and stored.room_seq == 1 + 4 * 6 + 4 * 2
    for client in clients:  # latency is not death: nobody gave up a socket or sent anything twice
        assert (client.connections, client.gave_up) == (1, 0), client.name
        assert set(client.sends.values()) == {1}, client.name


# -- blackhole --------------------------------------------------------------------------------


async def test_a_blackholed_client_gives_up_by_ping_reconnects_and_resends_once(
        board: Board, proxies: StartProxy, clients: list[Client]) -> None:
    proxy = await proxies()
    alice = await Client(board, "Alice", proxy.ws_url).start()
    bob = await Client(board, "Bob").start()
    clients += [alice, bob]
    await alice.send(ideas_op(alice, 0, board.prompt))
    await alice.until(lambda: not alice.pending, "confirmed")

    proxy.set_mode("blackhole")  # no FIN, no RST: silence, and new handshakes hang too
    lost = ideas_op(alice, 1, board.prompt)
    await alice.send(lost)
    await bob.send(ideas_op(bob, 0, board.prompt))
    await bob.send(ideas_op(bob, 1, board.prompt))
    await alice.until(lambda: alice.gave_up == 1, "giving up the dead socket", timeout=PING_EVERY + PONG_WITHIN + 2)
    assert lost["op_id"] not in read_stored(board.server.data_dir, board.room_id).by_op()
    await alice.until(lambda: alice.failures >= 1, "trying again")  # into the blackhole: it times out
    proxy.set_mode("pass")  # the network comes back (for new flows only)

    stored = await converged(clients, board.server.data_dir, board.room_id)
    assert alice.sends[lost["op_id"]] == 2  # sent, then once more on the connection that worked
    assert [f["type"] for f in alice.answers[lost["op_id"]]] == ["idea.added"]
    assert alice.connections == 2 and alice.attempts == alice.connections + alice.failures
    assert alice.backoffs[1] > BACKOFF_BASE / 2 and max(alice.backoffs) <= BACKOFF_MAX  # it backed off
    assert stored.room_seq == 4


class ServerWithShortKeepalive(Server):
    """The same app, served by uvicorn's own command line with its websocket pings every
    0.5 s: `python -m app serve` keeps uvicorn's defaults (a ping every 20 s, cut after
    20 s more without a pong), too slow to wait for in a test."""

    command = ("-m", "uvicorn", "app.main:create_app", "--factory", "--ws", "websockets-sansio",
               "--ws-ping-interval", "0.5", "--ws-ping-timeout", "0.5", "--no-access-log")

    def start(self, timeout: float = 20.0) -> Server:
        self.command = (*type(self).command, "--host", "127.0.0.1", "--port", str(self.port))
        return super().start(timeout)


async def test_the_server_cuts_a_blackholed_socket_and_its_presence_ends(
        tmp_path: Path, clients: list[Client]) -> None:
    """Nothing comes from a phone whose network died, not even a FIN or a RST: only the
    server's own websocket pings find it gone. Then its handler ends as for any close."""
    server = await asyncio.to_thread(ServerWithShortKeepalive(tmp_path / "data").start)
    proxy = await Proxy(server.port).start()
    try:
        board = await new_board(server)
        alice = await Client(board, "Alice", proxy.ws_url).start()
        bob = await Client(board, "Bob").start()
        clients += [alice, bob]
        assert alice.peer is not None and bob.peer is not None
        me = alice.peer.first["me"]["id"]
        proxy.set_mode("blackhole")
        died = time.monotonic()
        await alice.stop()  # the page is gone too: its close frame, then its RST, fall into the hole
        await bob.peer.wait_for(lambda f: f["type"] == "presence.left" and f["id"] == me)
        assert time.monotonic() - died >= 0.5  # not before a ping went unanswered
        zoe = await Client(board, "Zoe").start()
        clients.append(zoe)
        assert zoe.peer is not None and sorted(p["name"] for p in zoe.peer.first["present"]) == ["Bob", "Zoe"]
        assert "Traceback" not in server.log()
    finally:
        await proxy.close()
        server.kill()


# -- reset ------------------------------------------------------------------------------------


async def test_a_reset_after_a_lost_reply_resends_once_and_gets_an_ack(
        board: Board, proxies: StartProxy, clients: list[Client]) -> None:
    proxy = await proxies()
    alice = await Client(board, "Alice", proxy.ws_url).start()
    bob = await Client(board, "Bob").start()
    clients += [alice, bob]
    me = alice.peer.first["me"]["id"] if alice.peer else ""
    await alice.send(ideas_op(alice, 0, board.prompt))
    await alice.until(lambda: not alice.pending, "confirmed")

    proxy.set_mode("blackhole_down")  # it arrives and is stored; the answer is lost...
    landed = ideas_op(alice, 1, board.prompt)
    await alice.send(landed)
    assert bob.peer is not None
    added = await bob.peer.wait_for(lambda f: f.get("op_id") == landed["op_id"])
    proxy.set_mode("reset")  # ...then the line breaks, both ways at once
    await alice.until(lambda: alice.close_codes == [None], "cut")  # no close frame: an abrupt end
    await bob.peer.wait_for(lambda f: f["type"] == "presence.left" and f["id"] == me)  # the server saw the RST
    await alice.until(lambda: alice.failures >= 1, "trying again")  # refused with a RST too
    proxy.set_mode("pass")

    await converged(clients, board.server.data_dir, board.room_id)
    assert alice.sends[landed["op_id"]] == 2 and alice.gave_up == 0
    assert alice.answers[landed["op_id"]] == [{"type": "ack", "op_id": landed["op_id"], "seq": added["seq"]}]


# -- close mid-frame --------------------------------------------------------------------------


@pytest.mark.parametrize("length", [0, 200], ids=["short-frame", "16-bit-length"])
async def test_a_frame_cut_in_the_middle_is_not_stored_and_is_resent_once(
        board: Board, proxies: StartProxy, clients: list[Client], length: int) -> None:
    cutting, other = await proxies(), await proxies()
    offset = log_size(board.server)
    alice = await Client(board, "Alice", cutting.ws_url).start()
    bob = await Client(board, "Bob", other.ws_url).start()  # through a proxy too, which does nothing
    carla = await Client(board, "Carla").start()
    clients += [alice, bob, carla]
    await alice.send(ideas_op(alice, 0, board.prompt))
    await alice.until(lambda: not alice.pending, "confirmed")

    cutting.set_mode("close_mid_frame")
    half = ideas_op(alice, 1, board.prompt, length)
    await alice.send(half)
    await alice.until(lambda: alice.close_codes == [None], "cut")  # a FIN with no close frame
    cutting.set_mode("pass")
    # What the server got of it is not a frame: nothing stored, nobody told, nobody else cut.
    assert half["op_id"] not in read_stored(board.server.data_dir, board.room_id).by_op()
    await bob.send(ideas_op(bob, 0, board.prompt))
    await carla.send(ideas_op(carla, 0, board.prompt))

    await converged(clients, board.server.data_dir, board.room_id)
    assert alice.sends[half["op_id"]] == 2 and alice.connections == 2
    assert [f["type"] for f in alice.answers[half["op_id"]]] == ["idea.added"]
    for client in (bob, carla):
        assert client.connections == 1 and client.close_codes == [], client.name
    log = server_log_since(board.server, offset)
    assert "Traceback" not in log and "ERROR" not in log, log
