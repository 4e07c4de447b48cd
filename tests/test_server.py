"""Against a real uvicorn in a subprocess: kill -9 and SIGTERM mid-burst, reconnect and
catch up, the handshake and size rules as uvicorn enforces them, and cut connections.

Every wait has a deadline; nothing sleeps to let something happen and then assumes it did.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import signal
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin

from app import limits
from tests.support.proxy import Proxy
from tests.support.server import Server

pytestmark = pytest.mark.server

Frame = dict[str, Any]
TIMEOUT = 5.0  # seconds any single expected frame may take
CLOSE_SERVICE_RESTART = 1012  # what uvicorn sends to open websockets on SIGTERM


# -- a websocket client that records everything it hears ------------------------------------


class Peer:
    """One websocket client. A reader task files every frame, batched arrays flattened,
    so that tests wait for what they expect (with a deadline) instead of sleeping."""

    def __init__(self, ws: ClientConnection, first: Frame, on_frame: Callable[[Frame], None] | None) -> None:
        self.ws = ws
        self.first = first
        self.frames: list[Frame] = []
        self._on_frame = on_frame
        self._changed = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                data = json.loads(message)
                for frame in data if isinstance(data, list) else [data]:
                    self.frames.append(frame)
                    if self._on_frame:
                        self._on_frame(frame)
                self._changed.set()
        except ConnectionClosed:
            pass  # an abrupt end is what several tests provoke; close_code tells which
        finally:
            self._changed.set()

    @property
    def close_code(self) -> int | None:
        rcvd = self.ws.protocol.close_rcvd
        return rcvd.code if rcvd else None

    @property
    def seq(self) -> int:
        """The last room seq this client knows: from its first frame and the events since."""
        seqs = [f["seq"] for f in self.frames if "seq" in f and f["type"] not in ("ack", "resync")]
        return int(max([self.first["seq"], *seqs]))

    async def send(self, frame: Frame) -> None:
        await self.ws.send(json.dumps(frame, ensure_ascii=False))  # as JSON.stringify does

    async def wait_for(self, predicate: Callable[[Frame], bool], timeout: float = TIMEOUT) -> Frame:
        """The first frame heard so far or within `timeout` that matches."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    self._changed.clear()
                    for frame in self.frames:
                        if predicate(frame):
                            return frame
                    if self.reader.done():
                        raise AssertionError(f"closed ({self.close_code}) before the expected frame")
                    await self._changed.wait()
        except TimeoutError:
            raise AssertionError(f"no expected frame within {timeout} s; last: {self.frames[-3:]}") from None

    async def reply(self, op_id: str) -> Frame:
        """The server's answer to a command: its event, an `ack` or an `error`."""
        return await self.wait_for(lambda f: f.get("op_id") == op_id)

    async def closed(self, timeout: float = TIMEOUT) -> None:
        try:
            await asyncio.wait_for(asyncio.shield(self.reader), timeout)
        except TimeoutError:
            raise AssertionError(f"still open after {timeout} s; last: {self.frames[-3:]}") from None

    async def close(self) -> None:
        await self.ws.close()
        await self.closed()


async def open_peer(server: Server, room_id: str, token: str, since: int | None = None, *,
                    base_url: str | None = None, on_frame: Callable[[Frame], None] | None = None,
                    **options: Any) -> Peer:
    ws = await connect(f"{base_url or server.ws_url}/rooms/{room_id}/ws", origin=Origin(server.origin),
                       additional_headers={"Authorization": f"Bearer {token}"}, compression=None,
                       proxy=None, open_timeout=TIMEOUT, **options)
    await ws.send(json.dumps({"type": "hello", "v": 1, "since": since}))
    first = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
    assert isinstance(first, dict) and first["type"] in ("snapshot", "catchup"), first
    return Peer(ws, first, on_frame)


def add(op_id: str, prompt: str, text: str) -> Frame:
    return {"type": "idea.add", "op_id": op_id, "prompt": prompt, "text": text, "colour": "yellow"}


async def add_ideas(peer: Peer, prompt: str, prefix: str, count: int, pace: float = 0.0) -> list[Frame]:
    """Send `count` adds without waiting for replies; return their events once all are in."""
    ops = [f"{prefix}-{k:04d}" for k in range(count)]
    for k, op in enumerate(ops):
        await peer.send(add(op, prompt, f"{prefix} idée {k}"))
        if pace:
            await asyncio.sleep(pace)  # stretches the burst; no assertion hangs on it
    replies = [await peer.reply(op) for op in ops]
    assert all(r["type"] == "idea.added" for r in replies), replies
    return replies


# -- rooms and the database file --------------------------------------------------------------


@dataclass
class Board:
    server: Server
    room_id: str
    facilitator: str
    prompt: str = ""

    def join(self, name: str) -> str:
        """Blocking HTTP, straight to the server (never through a proxy on this loop)."""
        return self.server.join(self.room_id, name)


async def new_board(server: Server) -> Board:
    created = await asyncio.to_thread(server.create_room)
    board = Board(server, created["id"], created["facilitator_token"])
    peer = await open_peer(server, board.room_id, board.facilitator)
    board.prompt = peer.first["prompts"][0]["id"]
    await peer.close()
    return board


@dataclass
class Stored:
    """The room as the database file says, read without the server's help."""

    integrity: list[str]
    room_seq: int
    events: list[tuple[int, str | None, Frame]]  # seq, op_id, payload
    ideas: dict[str, str]  # idea id -> text

    def by_op(self) -> dict[str, list[int]]:
        seen: dict[str, list[int]] = {}
        for seq, op_id, _ in self.events:
            if op_id:
                seen.setdefault(op_id, []).append(seq)
        return seen

    def replayed(self) -> dict[str, str]:
        """The ideas the event log adds up to, which must be the idea table."""
        ideas: dict[str, str] = {}
        for _, _, payload in self.events:
            if payload["type"] in ("idea.added", "idea.edited"):
                ideas[payload["idea"]] = payload["text"]
            elif payload["type"] == "idea.deleted":
                ideas.pop(payload["idea"], None)
        return ideas


def read_stored(data_dir: Path, room_id: str) -> Stored:
    uri = f"file:{data_dir / 'essaim.sqlite3'}?mode=ro"  # read-only: the test must not repair anything
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        (room_seq,) = conn.execute("SELECT seq FROM room WHERE id = ?", (room_id,)).fetchone()
        rows = conn.execute("SELECT seq, op_id, payload FROM event WHERE room_id = ? ORDER BY seq", (room_id,))
        events = [(seq, op_id, json.loads(payload)) for seq, op_id, payload in rows]
        ideas = dict(conn.execute("SELECT id, text FROM idea WHERE room_id = ?", (room_id,)).fetchall())
    return Stored(integrity, room_seq, events, ideas)


def assert_consistent(stored: Stored) -> None:
    assert stored.integrity == ["ok"]
    assert [seq for seq, _, _ in stored.events] == list(range(1, stored.room_seq + 1)), "holes in the log"
    assert all(len(seqs) == 1 for seqs in stored.by_op().values()), "an op_id took effect twice"
    assert stored.replayed() == stored.ideas, "the idea table and the event log disagree"
    assert len(set(stored.ideas.values())) == len(stored.ideas), "the same idea text stored twice"


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A server of its own, for tests that kill or stop it. Default durability (synchronous=FULL)."""
    srv = Server(tmp_path / "data").start()
    yield srv
    srv.kill()
    print(srv.log())  # shown by pytest only when the test failed


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the tests that leave it running; each of them makes its own room."""
    srv = Server(tmp_path_factory.mktemp("shared") / "data", ESSAIM_SQLITE_SYNCHRONOUS="NORMAL").start()
    yield srv
    srv.kill()
    print(srv.log())


# -- 1. durability: a burst, a signal in the middle of it, a restart ---------------------------

CLIENTS = 5
ADDS_PER_CLIENT = 30
SIGNAL_AFTER_CONFIRMATIONS = 40
PACE = 0.01  # between two sends: spreads the burst so the signal lands inside it


@dataclass
class Ledger:
    """What one client sent and what the server confirmed to it (by echoing its op_id)."""

    name: str
    sent: dict[str, Frame] = field(default_factory=dict)  # op_id -> command, in sending order
    confirmed: dict[str, Frame] = field(default_factory=dict)  # op_id -> its event
    errors: list[Frame] = field(default_factory=list)
    followups: list[Frame] = field(default_factory=list)

    def on_frame(self, frame: Frame, confirmed: Callable[[], None]) -> None:
        op_id = frame.get("op_id")
        if op_id not in self.sent:
            return
        if frame["type"] == "error":
            self.errors.append(frame)
            return
        self.confirmed[op_id] = frame
        confirmed()
        if frame["type"] == "idea.added":
            self._follow_up(op_id, frame["idea"])

    def _follow_up(self, op_id: str, idea: str) -> None:
        """Some confirmed ideas are then edited or deleted; never both, so each outcome is plain."""
        k = int(op_id.rsplit("-", 1)[1])
        if k % 4 == 1:
            self.followups.append({"type": "idea.edit", "op_id": f"{self.name}-edit-{k:03d}", "idea": idea,
                                   "text": f"{self.sent[op_id]['text']} (modifiée)"})
        elif k % 4 == 2:
            self.followups.append({"type": "idea.delete", "op_id": f"{self.name}-del-{k:03d}", "idea": idea})

    @property
    def unconfirmed(self) -> list[Frame]:
        return [cmd for op_id, cmd in self.sent.items() if op_id not in self.confirmed]


async def run_burst(peer: Peer, ledger: Ledger, prompt: str) -> None:
    """Send adds (and follow-ups) until done or until the connection dies under us."""
    try:
        for k in range(ADDS_PER_CLIENT):
            while ledger.followups:
                await _send_logged(peer, ledger, ledger.followups.pop(0))
            await _send_logged(peer, ledger, add(f"{ledger.name}-add-{k:03d}", prompt, f"{ledger.name} idée {k}"))
            await asyncio.sleep(PACE)
    except ConnectionClosed:
        pass


async def _send_logged(peer: Peer, ledger: Ledger, command: Frame) -> None:
    ledger.sent[command["op_id"]] = command  # logged first: a send cut halfway is "maybe sent"
    await peer.send(command)


async def burst_then_signal(server: Server, board: Board, clients: dict[str, str], signum: int) -> list[Ledger]:
    """Several clients write at once; the server gets `signum` after enough confirmations."""
    count = 0

    def confirmed() -> None:
        nonlocal count
        count += 1
        if count == SIGNAL_AFTER_CONFIRMATIONS:
            assert server.process is not None
            os.kill(server.process.pid, signum)  # right now, from inside the burst

    ledgers = [Ledger(name) for name in clients]
    peers = [await open_peer(server, board.room_id, clients[ledger.name],
                             on_frame=functools.partial(ledger.on_frame, confirmed=confirmed))
             for ledger in ledgers]
    async with asyncio.timeout(15):
        await asyncio.gather(*(run_burst(p, led, board.prompt) for p, led in zip(peers, ledgers)))
        for peer in peers:
            await peer.closed()
    assert server.process is not None
    await asyncio.to_thread(server.process.wait, 10)
    if signum == signal.SIGTERM:  # a graceful stop tells every client why it goes
        # Most sockets see uvicorn's 1012; under load a socket may be dropped without a close
        # frame before it is told. Either way nothing may be lost, which is checked below.
        codes = [p.close_code for p in peers]
        assert CLOSE_SERVICE_RESTART in codes and set(codes) <= {CLOSE_SERVICE_RESTART, None}, codes
    return ledgers


def check_confirmed_survived(ledgers: list[Ledger], stored: Stored) -> None:
    """Each event a client saw is in the log at the same seq, the same frame; or a bare skip
    when its idea was deleted since (a deleted idea's text leaves the log)."""
    log = {seq: payload for seq, _, payload in stored.events}
    deleted = {p["idea"] for p in log.values() if p["type"] == "idea.deleted"}
    for ledger in ledgers:
        assert not ledger.errors, ledger.errors
        for op_id, event in ledger.confirmed.items():
            erased = event.get("idea") in deleted and event["type"] in ("idea.added", "idea.edited")
            expected = {"type": "skip", "seq": event["seq"]} if erased else event
            assert log.get(event["seq"]) == expected, f"confirmed {op_id} lost or changed"


async def resend_unconfirmed(server: Server, board: Board, ledger: Ledger, token: str,
                             stored: Stored) -> dict[str, Frame]:
    """What a reconnecting page does: catch up (from 0 here), then send its pending ops again."""
    peer = await open_peer(server, board.room_id, token, since=0)
    assert peer.first["type"] == "catchup"
    assert peer.first["events"] == [payload for _, _, payload in stored.events]
    replies = {}
    for command in ledger.unconfirmed:
        await peer.send(command)
    for command in ledger.unconfirmed:
        replies[command["op_id"]] = await peer.reply(command["op_id"])
    await peer.close()
    return replies


async def resend_all(server: Server, board: Board, ledger: Ledger, token: str) -> list[Frame]:
    peer = await open_peer(server, board.room_id, token)
    for command in ledger.sent.values():
        await peer.send(command)
    replies = [await peer.reply(op_id) for op_id in ledger.sent]
    await peer.close()
    return replies


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
async def test_no_confirmed_op_is_lost_when_the_server_dies_mid_burst(server: Server, signum: int) -> None:
    board = await new_board(server)
    clients = {f"c{i}": await asyncio.to_thread(board.join, f"c{i}") for i in range(CLIENTS)}
    ledgers = await burst_then_signal(server, board, clients, signum)
    confirmed = sum(len(led.confirmed) for led in ledgers)
    unconfirmed = sum(len(led.unconfirmed) for led in ledgers)
    assert confirmed >= SIGNAL_AFTER_CONFIRMATIONS and unconfirmed > 0, "the signal missed the burst"

    await asyncio.to_thread(server.start)  # same data folder, same port
    stored = read_stored(server.data_dir, board.room_id)
    assert_consistent(stored)
    check_confirmed_survived(ledgers, stored)
    assert set(stored.by_op()) <= {op for led in ledgers for op in led.sent}, "an op nobody sent"

    # Everyone comes back at once and sends their pending ops again, same op_ids:
    # one effect each, whether or not they had landed before the signal.
    pending = await asyncio.gather(*(resend_unconfirmed(server, board, led, clients[led.name], stored)
                                     for led in ledgers))
    assert all(r["type"] != "error" for replies in pending for r in replies.values()), pending
    stored = read_stored(server.data_dir, board.room_id)
    assert_consistent(stored)
    assert set(stored.by_op()) == {op for led in ledgers for op in led.sent}

    # And once more, everything: all known, nothing new.
    everything = await asyncio.gather(*(resend_all(server, board, led, clients[led.name]) for led in ledgers))
    by_op = stored.by_op()
    for ledger, replies in zip(ledgers, everything):
        assert [(r["type"], r["seq"]) for r in replies] == [("ack", by_op[op][0]) for op in ledger.sent]
    assert read_stored(server.data_dir, board.room_id).room_seq == stored.room_seq


# -- 2. reconnect and catch up ---------------------------------------------------------------


async def edit_repeatedly(peer: Peer, idea: str, prefix: str, count: int) -> list[Frame]:
    ops = [f"{prefix}-edit-{k:04d}" for k in range(count)]
    for k, op_id in enumerate(ops):
        await peer.send({"type": "idea.edit", "op_id": op_id, "idea": idea, "text": f"{prefix} version {k}"})
    return [await peer.reply(op_id) for op_id in ops]


def seqs(events: list[Frame]) -> list[int]:
    return [e["seq"] for e in events]


def seq_at_least(seq: int) -> Callable[[Frame], bool]:
    return lambda frame: frame.get("seq", 0) >= seq


async def test_a_returning_client_gets_exactly_the_events_it_missed(shared_server: Server) -> None:
    board = await new_board(shared_server)
    alice_token, bob_token = board.join("Alice"), board.join("Bob")
    alice = await open_peer(shared_server, board.room_id, alice_token)
    bob = await open_peer(shared_server, board.room_id, bob_token)
    await add_ideas(bob, board.prompt, "before", 2)
    await alice.wait_for(lambda f: f.get("seq") == 2)
    left_at = alice.seq
    await alice.close()

    missed = await add_ideas(bob, board.prompt, "missed", 3)
    await bob.send({"type": "idea.edit", "op_id": "missed-edit", "idea": missed[0]["idea"], "text": "changée"})
    await bob.send({"type": "idea.delete", "op_id": "missed-delete", "idea": missed[1]["idea"]})
    missed += [await bob.reply("missed-edit"), await bob.reply("missed-delete")]

    # The deleted idea's own event is a bare skip in the log now: its text is gone.
    deleted_at = missed[1]["seq"]
    missed[1] = {"type": "skip", "seq": deleted_at}
    alice = await open_peer(shared_server, board.room_id, alice_token, since=left_at)
    assert alice.first["type"] == "catchup"
    assert alice.first["events"] == missed  # the frames Bob saw, in order, nothing more
    assert alice.first["seq"] == left_at + len(missed)
    assert {p["name"] for p in alice.first["present"]} == {"Alice", "Bob"}

    # What was already in the catch-up is not sent a second time: the next event follows it.
    await add_ideas(bob, board.prompt, "after", 1)
    after = await alice.wait_for(lambda f: f["type"] == "idea.added")
    assert after["seq"] == alice.first["seq"] + 1
    assert [f for f in alice.frames if "seq" in f] == [after]

    # A gap noticed mid-session is filled by `sync`.
    await alice.send({"type": "sync", "since": left_at + 2})
    resync = await alice.wait_for(lambda f: f["type"] == "resync")
    assert resync["complete"] is True and resync["events"] == missed[2:] + [after]
    await alice.close()
    await bob.close()


async def test_a_client_too_far_behind_gets_a_snapshot(shared_server: Server) -> None:
    board = await new_board(shared_server)
    token = board.join("Bob")
    bob = await open_peer(shared_server, board.room_id, token)
    (idea,) = await add_ideas(bob, board.prompt, "far", 1)
    # Edits are the only unbounded command. Four sockets of one person edit at once, so the
    # writer commits them in groups: 500 single-edit transactions in a row would be slow.
    devices = [bob, *[await open_peer(shared_server, board.room_id, token) for _ in range(3)]]
    per_device = limits.CATCH_UP_MAX_EVENTS // len(devices)
    edits = await asyncio.gather(*(edit_repeatedly(d, idea["idea"], f"far{n}", per_device)
                                   for n, d in enumerate(devices)))
    head = max(e["seq"] for e in sum(edits, []))
    last_text = next(e["text"] for e in sum(edits, []) if e["seq"] == head)
    for device in devices:
        await device.close()
    assert head == limits.CATCH_UP_MAX_EVENTS + 1

    at_limit = await open_peer(shared_server, board.room_id, token, since=head - limits.CATCH_UP_MAX_EVENTS)
    assert at_limit.first["type"] == "catchup"
    assert seqs(at_limit.first["events"]) == list(range(2, head + 1))
    beyond = await open_peer(shared_server, board.room_id, token, since=head - limits.CATCH_UP_MAX_EVENTS - 1)
    assert beyond.first["type"] == "snapshot" and beyond.first["seq"] == head
    assert [i["text"] for i in beyond.first["ideas"]] == [last_text]
    # A client from the future (a restored backup) cannot catch up either.
    ahead = await open_peer(shared_server, board.room_id, token, since=head + 5)
    assert ahead.first["type"] == "snapshot" and ahead.first["seq"] == head

    await beyond.send({"type": "sync", "since": 0})
    resync = await beyond.wait_for(lambda f: f["type"] == "resync")
    assert resync["complete"] is False and resync["events"] == []
    for peer in (at_limit, beyond, ahead):
        await peer.close()


async def test_joining_mid_burst_sees_every_event_exactly_once(shared_server: Server) -> None:
    """Subscribe, then read the state at seq N, then drop what is <= N: nothing missed, nothing twice."""
    board = await new_board(shared_server)
    bob = await open_peer(shared_server, board.room_id, board.join("Bob"))
    alice_token = board.join("Alice")
    total = 60
    burst = asyncio.create_task(add_ideas(bob, board.prompt, "burst", total, pace=0.005))
    joiners: list[Peer] = []
    for n in range(1, 7):  # join at spread points of the burst, alternately fresh and resuming
        await bob.wait_for(seq_at_least(n * 8))
        joiners.append(await open_peer(shared_server, board.room_id, alice_token, since=0 if n % 2 else None))
    await burst
    for peer in joiners:
        await peer.wait_for(lambda f: f.get("seq") == total)
        if peer.first["type"] == "snapshot":  # one idea per add: the snapshot holds seqs 1..N
            assert len(peer.first["ideas"]) == peer.first["seq"]
        else:
            assert seqs(peer.first["events"]) == list(range(1, peer.first["seq"] + 1))
        streamed = [f["seq"] for f in peer.frames if "seq" in f]
        assert streamed == list(range(peer.first["seq"] + 1, total + 1)), peer.first["type"]
        await peer.close()
    assert any(0 < p.first["seq"] < total for p in joiners), "no join landed inside the burst"
    await bob.close()


# -- 3. graceful restart ---------------------------------------------------------------------


async def test_sigterm_closes_sockets_politely_and_loses_nothing(server: Server) -> None:
    board = await new_board(server)
    alice_token, bob_token = board.join("Alice"), board.join("Bob")
    alice = await open_peer(server, board.room_id, alice_token)
    bob = await open_peer(server, board.room_id, bob_token)
    before = await add_ideas(bob, board.prompt, "avant", 3)
    await alice.wait_for(lambda f: f.get("seq") == 3)
    alice_seq = alice.seq
    await alice.close()
    during = await add_ideas(bob, board.prompt, "pendant", 2)

    await asyncio.to_thread(server.stop)
    # uvicorn re-raises the signal once it has shut down; -9 would mean stop() had to kill it.
    assert server.process is not None and server.process.returncode in (0, -signal.SIGTERM)
    await bob.closed()
    assert bob.close_code == CLOSE_SERVICE_RESTART

    await asyncio.to_thread(server.start)
    alice = await open_peer(server, board.room_id, alice_token, since=alice_seq)
    assert alice.first["type"] == "catchup" and alice.first["events"] == during
    bob = await open_peer(server, board.room_id, bob_token, since=bob.seq)
    assert (bob.first["type"], bob.first["seq"], bob.first["events"]) == ("catchup", 5, [])
    (after,) = await add_ideas(bob, board.prompt, "apres", 1)
    assert after["seq"] == 6  # numbering goes on where it stopped: no seq is given twice
    fresh = await open_peer(server, board.room_id, board.facilitator)
    assert [i["idea"] for i in fresh.first["ideas"]] == [e["idea"] for e in before + during + [after]]
    for peer in (alice, bob, fresh):
        await peer.close()
    assert_consistent(read_stored(server.data_dir, board.room_id))


# -- 4. the handshake and frame rules, as uvicorn applies them -------------------------------


async def handshake_status(url: str, origin: str | None, token: str | None) -> int:
    """The HTTP status of a refused handshake; fails the test if it was accepted."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, origin=Origin(origin) if origin is not None else None,
                           additional_headers=headers, compression=None, proxy=None, open_timeout=TIMEOUT):
            pass
    return refused.value.response.status_code


def tampered(token: str) -> str:
    """Same payload, signature changed in its last characters: a forgery."""
    return token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")


async def test_handshakes_without_the_right_origin_and_token_are_refused(shared_server: Server) -> None:
    board, other = await new_board(shared_server), await new_board(shared_server)
    token, stranger = board.join("Alice"), other.join("Zoé")
    url = f"{shared_server.ws_url}/rooms/{board.room_id}/ws"
    port = shared_server.port
    refused = {
        "foreign origin": (f"http://evil.example:{port}", token),
        "same host, other port": (f"http://127.0.0.1:{port + 1}", token),
        "https twin": (f"https://127.0.0.1:{port}", token),
        "no origin": (None, token),
        "no token": (shared_server.origin, None),
        "empty token": (shared_server.origin, ""),
        "forged token": (shared_server.origin, tampered(token)),
        "another room's token": (shared_server.origin, stranger),
        "another room's facilitator": (shared_server.origin, other.facilitator),
    }
    statuses = {case: await handshake_status(url, origin, tok) for case, (origin, tok) in refused.items()}
    assert statuses == {case: 403 for case in refused}
    # A token is only good for its own room, even when the room asked for does not exist.
    assert await handshake_status(f"{shared_server.ws_url}/rooms/nowhere/ws", shared_server.origin, token) == 403

    # The same handshakes with the right pair go through, from either local name.
    for origin in (shared_server.origin, f"http://localhost:{port}"):
        async with connect(url, origin=Origin(origin), additional_headers={"Authorization": f"Bearer {token}"},
                           compression=None, proxy=None, open_timeout=TIMEOUT) as ws:
            await ws.send(json.dumps({"type": "hello", "v": 1}))
            assert json.loads(await ws.recv())["type"] == "snapshot"


async def test_a_frame_over_64_kib_closes_the_socket_with_1009(shared_server: Server) -> None:
    board = await new_board(shared_server)
    peer = await open_peer(shared_server, board.room_id, board.join("Alice"))
    # Just under the limit: uvicorn lets it through and the app refuses it in words.
    padding = "x" * (limits.WS_MESSAGE_MAX_BYTES - 1024)
    await peer.send(add("op-big-but-fine", board.prompt, padding))
    refused = await peer.reply("op-big-but-fine")
    assert refused["type"] == "error" and refused["params"] == {"field": "text"}
    await peer.send({"type": "ping"})
    await peer.wait_for(lambda f: f["type"] == "pong")

    await peer.send(add("op-too-big-0", board.prompt, "x" * (70 * 1024)))
    await peer.closed()
    assert peer.close_code == 1009
    assert not any(f.get("op_id") == "op-too-big-0" for f in peer.frames)


async def test_the_64_kib_limit_counts_bytes_not_characters(shared_server: Server) -> None:
    """35 Ki characters of 'é' are 70 KiB on the wire: only a byte limit (uvicorn's) sees it."""
    board = await new_board(shared_server)
    peer = await open_peer(shared_server, board.room_id, board.join("Alice"))
    await peer.send(add("op-too-big-1", board.prompt, "é" * (35 * 1024)))
    await peer.closed()
    assert peer.close_code == 1009


async def test_the_server_declines_permessage_deflate(shared_server: Server) -> None:
    board = await new_board(shared_server)
    url = f"{shared_server.ws_url}/rooms/{board.room_id}/ws"
    headers = {"Authorization": f"Bearer {board.facilitator}"}
    # compression="deflate" (the default) offers permessage-deflate, as browsers do.
    async with connect(url, origin=Origin(shared_server.origin), additional_headers=headers,
                       compression="deflate", proxy=None, open_timeout=TIMEOUT) as ws:
        assert ws.request is not None and "permessage-deflate" in ws.request.headers["Sec-WebSocket-Extensions"]
        assert ws.response is not None and "Sec-WebSocket-Extensions" not in ws.response.headers
        assert ws.protocol.extensions == []
        await ws.send(json.dumps({"type": "hello", "v": 1}))
        assert json.loads(await ws.recv())["type"] == "snapshot"


# -- 5. connections cut on the way: a proxy that drops or resets -----------------------------

KEEPALIVE: dict[str, Any] = {"ping_interval": 0.3, "ping_timeout": 0.6, "close_timeout": 1}  # a page's, sped up


@pytest.fixture
async def proxy(shared_server: Server) -> AsyncIterator[Proxy]:
    proxy = await Proxy(shared_server.port).start()
    yield proxy
    await proxy.close()


async def test_a_lost_reply_is_recovered_by_catch_up_and_the_resend_is_a_no_op(
        shared_server: Server, proxy: Proxy) -> None:
    board = await new_board(shared_server)
    alice_token = board.join("Alice")
    alice = await open_peer(shared_server, board.room_id, alice_token, base_url=proxy.ws_url, **KEEPALIVE)
    bob = await open_peer(shared_server, board.room_id, board.join("Bob"))
    await add_ideas(alice, board.prompt, "alice-first", 1)

    proxy.set_mode("blackhole_down")  # what Alice sends arrives; nothing comes back
    pending = add("alice-pending", board.prompt, "arrivée sans réponse")
    await alice.send(pending)
    landed = await bob.wait_for(lambda f: f.get("op_id") == "alice-pending")
    await add_ideas(bob, board.prompt, "bob-meanwhile", 1)
    await alice.closed()  # her heartbeat finds the line dead
    assert not any(f.get("op_id") == "alice-pending" for f in alice.frames)

    proxy.set_mode("pass")
    back = await open_peer(shared_server, board.room_id, alice_token, since=alice.seq,
                           base_url=proxy.ws_url, **KEEPALIVE)
    assert back.first["type"] == "catchup"
    assert [e.get("op_id") for e in back.first["events"]] == ["alice-pending", "bob-meanwhile-0000"]
    await back.send(pending)  # a page that resends before reading its catch-up
    assert await back.reply("alice-pending") == {"type": "ack", "op_id": "alice-pending", "seq": landed["seq"]}
    await assert_single_effect(bob, board, "arrivée sans réponse")
    await back.close()
    await bob.close()


async def test_a_reset_connection_resends_its_pending_op_once(shared_server: Server, proxy: Proxy) -> None:
    board = await new_board(shared_server)
    alice_token = board.join("Alice")
    alice = await open_peer(shared_server, board.room_id, alice_token, base_url=proxy.ws_url, **KEEPALIVE)
    bob = await open_peer(shared_server, board.room_id, board.join("Bob"))
    await add_ideas(alice, board.prompt, "alice-first", 1)
    me = alice.first["me"]["id"]

    proxy.set_mode("blackhole")  # the op vanishes on the way...
    pending = add("alice-lost", board.prompt, "partie dans le vide")
    await alice.send(pending)
    proxy.set_mode("reset")  # ...then the line breaks
    await alice.closed()
    assert alice.close_code is None  # no close frame: an abrupt end
    await bob.wait_for(lambda f: f["type"] == "presence.left" and f["id"] == me)  # the server noticed
    assert not any(f.get("op_id") == "alice-lost" for f in bob.frames)

    proxy.set_mode("pass")
    back = await open_peer(shared_server, board.room_id, alice_token, since=alice.seq,
                           base_url=proxy.ws_url, **KEEPALIVE)
    assert back.first == {"type": "catchup", "seq": alice.seq, "now": back.first["now"], "present": back.first["present"],
                          "events": []}
    await back.send(pending)
    added = await back.reply("alice-lost")
    assert added["type"] == "idea.added" and added["seq"] == alice.seq + 1
    await back.send(pending)  # and if the page sends it once more, nothing new happens
    assert (await back.wait_for(lambda f: f["type"] == "ack"))["seq"] == added["seq"]
    await assert_single_effect(bob, board, "partie dans le vide")
    await back.close()
    await bob.close()


async def assert_single_effect(bob: Peer, board: Board, text: str) -> None:
    """Exactly one idea with this text, as a fresh snapshot and Bob's stream both say."""
    # A marker event after everything else: once Bob has it, he has all before it.
    (marker,) = await add_ideas(bob, board.prompt, f"marker-{len(bob.frames)}", 1)
    assert [f["type"] for f in bob.frames if f.get("text") == text] == ["idea.added"]
    fresh = await open_peer(board.server, board.room_id, board.facilitator)
    assert [i["text"] for i in fresh.first["ideas"]].count(text) == 1
    assert fresh.first["seq"] == marker["seq"]
    await fresh.close()
