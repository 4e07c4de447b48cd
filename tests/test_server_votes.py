"""Grouping and dot voting against a real uvicorn in a subprocess, many clients at once.

Dots: budgets and caps hold under two tabs of one person, duplicates and removes sent all
at once; the database's vote rows are every client's final view. Grouping: clients moving
the same ideas at the same instant all end with the board the database holds. A kill -9
in a vote burst loses no acknowledged dot and gives none twice.

Every wait has a deadline; nothing sleeps to let something happen and then assumes it did.
Bursts stay within the per-person command bucket (`limits.COMMAND_BURST`), and the tests
assert that no command was rate limited, so a refused dot is the vote rules' doing.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import os
import random
import signal
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from app import limits
from tests.support.server import Server
from tests.test_server import TIMEOUT, Frame, Peer, Stored, add, assert_consistent, open_peer, read_stored

pytestmark = pytest.mark.server

_ops = itertools.count(1)


# -- talking to the server ---------------------------------------------------------------------


async def ok(peer: Peer, frame_type: str, **fields: Any) -> Frame:
    """Send a command and return its event; fail on an error."""
    op_id = f"setup-{next(_ops):05d}"
    await peer.send({"type": frame_type, "op_id": op_id, **fields})
    reply = await peer.reply(op_id)
    assert reply["type"] not in ("error", "ack"), reply
    return reply


async def fresh_snapshot(peer: Peer, timeout: float = TIMEOUT) -> Frame:
    """Ask for a snapshot and return it. It goes through the socket's outbox after every
    answer and event queued before it, so it also proves those have arrived."""
    asked_before = {id(f) for f in peer.frames if f["type"] == "snapshot"}
    await peer.send({"type": "snapshot"})
    return await peer.wait_for(lambda f: f["type"] == "snapshot" and id(f) not in asked_before, timeout)


async def join_all(server: Server, room_id: str, names: list[str]) -> list[str]:
    return list(await asyncio.gather(*(asyncio.to_thread(server.join, room_id, n) for n in names)))


async def open_room(server: Server, ideas: int) -> tuple[str, str, Peer, str, list[str]]:
    """A room with `ideas` ideas written by its facilitator: (room, facilitator token, socket, prompt, ideas)."""
    created = await asyncio.to_thread(server.create_room)
    room_id, token = created["id"], created["facilitator_token"]
    fac = await open_peer(server, room_id, token)
    prompt = fac.first["prompts"][0]["id"]
    ids = []
    for k in range(ideas):
        op_id = f"fac-idea-{k}"
        await fac.send(add(op_id, prompt, f"Idée numéro {k}"))
        ids.append((await fac.reply(op_id))["idea"])
    return room_id, token, fac, prompt, ids


# -- the database file, read without the server's help ----------------------------------------


def _read(data_dir: Path, query: str, *args: Any) -> list[tuple[Any, ...]]:
    uri = f"file:{data_dir / 'essaim.sqlite3'}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        return conn.execute(query, args).fetchall()


def vote_rows(data_dir: Path, room_id: str) -> list[tuple[int, str, str]]:
    """Every dot: (seq, voter's public id, item)."""
    rows = _read(data_dir, """SELECT v.seq, p.public_id, COALESCE(v.idea_id, v.cluster_id)
                              FROM vote v JOIN participant p ON p.id = v.participant_id
                              WHERE v.room_id = ? ORDER BY v.seq""", room_id)
    return [(int(s), str(p), str(i)) for s, p, i in rows]


def dots_by_voter(rows: list[tuple[int, str, str]]) -> dict[str, Counter[str]]:
    mine: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for _, voter, item in rows:
        mine[voter][item] += 1
    return dict(mine)


def logged_ops(data_dir: Path, room_id: str) -> dict[tuple[str, str], list[int]]:
    """(voter's public id, op_id) -> the seqs of the events it made (one, if exactly once)."""
    rows = _read(data_dir, """SELECT p.public_id, e.op_id, e.seq FROM event e
                              JOIN participant p ON p.id = e.participant_id
                              WHERE e.room_id = ? AND e.op_id IS NOT NULL ORDER BY e.seq""", room_id)
    seen: defaultdict[tuple[str, str], list[int]] = defaultdict(list)
    for public_id, op_id, seq in rows:
        seen[(str(public_id), str(op_id))].append(int(seq))
    return dict(seen)


def assert_within_rules(mine: dict[str, Counter[str]], budget: int, cap: int) -> None:
    for voter, items in mine.items():
        assert sum(items.values()) <= budget, f"{voter} has {dict(items)}: over the budget of {budget}"
        assert max(items.values()) <= cap, f"{voter} has {dict(items)}: over the cap of {cap}"


def as_counts(items: Counter[str]) -> dict[str, int]:
    return {item: n for item, n in items.items() if n}


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("votes") / "data", ESSAIM_SQLITE_SYNCHRONOUS="NORMAL").start()
    yield srv
    srv.kill()
    print(srv.log())  # shown by pytest only when a test failed


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A server of its own for the kill -9 test, with the default durability (synchronous=FULL)."""
    srv = Server(tmp_path / "data").start()
    yield srv
    srv.kill()
    print(srv.log())


# -- 1. many voters at once --------------------------------------------------------------------

VOTERS = 30
BUDGET = 4
CAP = 2


@dataclass
class Voter:
    name: str
    tabs: list[Peer]
    sends: list[tuple[int, Frame]] = field(default_factory=list)  # (tab, command), in sending order

    @property
    def public_id(self) -> str:
        return str(self.tabs[0].first["me"]["id"])


def vote_plan(n: int, items: list[str]) -> list[Frame]:
    """Adds on a few popular items, removes mixed in; every fifth voter asks for far too many."""
    rng = random.Random(f"voter-{n}")
    greedy = n % 5 == 0
    plan = []
    for k in range(9 if greedy else rng.randint(4, 7)):
        kind = "vote.remove" if not greedy and k > 0 and rng.random() < 0.3 else "vote.add"
        item = rng.choices(items, weights=[4, 3, 2, 1])[0]
        plan.append({"type": kind, "op_id": f"vote-{n:02d}-{k:02d}", "item": item})
    return plan


def with_duplicates(n: int, plan: list[Frame], tabs: int) -> list[tuple[int, Frame]]:
    """Each command on a tab in turn; some sent again at once on the other tab (or the same
    one), and two sent again after everything, as a reconnecting page does."""
    rng = random.Random(f"dup-{n}")
    sends = []
    for k, command in enumerate(plan):
        sends.append((k % tabs, command))
        if rng.random() < 0.35:
            sends.append(((k + 1) % tabs, command))
    sends += [(rng.randrange(tabs), command) for command in rng.sample(plan, 2)]
    return sends


async def send_all(voter: Voter) -> None:
    for tab, command in voter.sends:
        await voter.tabs[tab].send(command)
        await asyncio.sleep(0)  # lets the other voters' sends interleave with this one's


def replies_on(peer: Peer, op_ids: set[str]) -> list[Frame]:
    return [f for f in peer.frames if f.get("op_id") in op_ids and f["type"] in ("ack", "error")]


async def test_many_voters_at_once_never_beat_the_budget_and_the_rows_are_every_view(
        shared_server: Server) -> None:
    server = shared_server
    room_id, _, fac, _, ideas = await open_room(server, 5)
    await ok(fac, "room.phase", phase="group")
    cluster = (await ok(fac, "cluster.create", ideas=ideas[:2], title="Fêtes"))["clusters"][0]["cluster"]
    items = [ideas[2], cluster, ideas[3], ideas[4]]  # most popular first
    await ok(fac, "room.configure", vote_budget=BUDGET, vote_cap=CAP)
    await ok(fac, "room.phase", phase="vote")

    names = [f"Votant {n:02d}" for n in range(VOTERS)]
    tokens = await join_all(server, room_id, names)
    voters = []
    for n, (name, token) in enumerate(zip(names, tokens)):
        tabs = [await open_peer(server, room_id, token) for _ in range(2 if n % 3 == 0 else 1)]
        voter = Voter(name, tabs)
        voter.sends = with_duplicates(n, vote_plan(n, items), len(tabs))
        voters.append(voter)
    sockets = [fac, *(tab for v in voters for tab in v.tabs)]
    # The bucket is per person across tabs: the burst and three snapshots each must fit in it.
    assert max(len(v.sends) + 3 * len(v.tabs) for v in voters) < limits.COMMAND_BURST

    async with asyncio.timeout(20):
        await asyncio.gather(*(send_all(v) for v in voters))
        # A socket answers its frames in order: its snapshot comes after all its answers.
        await asyncio.gather(*(fresh_snapshot(s) for s in sockets))

    rows = vote_rows(server.data_dir, room_id)
    mine = dots_by_voter(rows)
    assert_within_rules(mine, BUDGET, CAP)
    log = logged_ops(server.data_dir, room_id)
    stored = read_stored(server.data_dir, room_id)
    vote_events = {seq: p for seq, _, p in stored.events if p["type"] == "vote.changed"}

    codes: Counter[str] = Counter()
    acks = 0
    for voter in voters:
        sent = {command["op_id"] for _, command in voter.sends}
        mine_logged = {op: seqs for (who, op), seqs in log.items() if who == voter.public_id}
        assert set(mine_logged) <= sent, "an op this voter never sent"
        assert all(len(seqs) == 1 for seqs in mine_logged.values()), f"an op of {voter.name} took effect twice"
        own_streams = []
        for tab in voter.tabs:
            for reply in replies_on(tab, sent):
                if reply["type"] == "ack":  # a duplicate: it names the original event, nothing more
                    acks += 1
                    assert mine_logged.get(reply["op_id"]) == [reply["seq"]], reply
                else:
                    codes[reply["code"]] += 1
            own = [f for f in tab.frames if f["type"] == "vote.changed" and "op_id" in f]
            assert all(f["op_id"] in sent for f in own), "another voter's dots reached this tab"
            own_streams.append(own)
        # Every tab of the voter saw its own dots, once each, as the log has them.
        assert all(stream == own_streams[0] for stream in own_streams)
        assert [(f["op_id"], f["seq"]) for f in own_streams[0]] == sorted(
            ((op, seqs[0]) for op, seqs in mine_logged.items()), key=lambda pair: pair[1])
        # Followed in seq order, the voter's own events never show more than the rules allow,
        # and they add up to the rows.
        shown: Counter[str] = Counter()
        for frame in own_streams[0]:
            assert "total" not in frame  # tallies are hidden while voting
            shown[frame["item"]] = frame["mine"]
            assert frame["mine"] <= CAP and sum(shown.values()) <= BUDGET, frame
        assert as_counts(shown) == as_counts(mine.get(voter.public_id, Counter()))
    assert codes.keys() <= {"vote.budget_exceeded", "vote.cap_reached", "vote.none"}, codes
    assert codes["vote.budget_exceeded"] + codes["vote.cap_reached"] > 0, "nobody was stopped: no test"
    assert acks > 0, "no duplicate reached the server after its original"

    # Everyone else hears that dots moved, never where: no item, no count. A socket's snapshot
    # may overtake an event another socket committed just before it (the event is still on its
    # way through the broadcast), so each socket is first given time to hear the last vote.
    last = max(vote_events)
    await asyncio.gather(*(s.wait_for(lambda f: f.get("seq", 0) >= last) for s in sockets))
    for socket in sockets:
        heard = {f["seq"]: f for f in socket.frames if f["type"] == "vote.changed"}
        assert sorted(heard) == sorted(vote_events), "a vote event missing or extra on a socket"
        for frame in heard.values():
            if "op_id" not in frame:
                assert set(frame) <= {"type", "seq", "voters"}, frame
        shown = socket.first["votes"]["voters"]  # a page keeps the last `voters` it was sent
        for seq in sorted(heard):
            shown = heard[seq].get("voters", shown)
        assert shown == len(mine), "a page's voter count drifted from the rows"

    voter_count = len(mine)
    for socket in sockets:
        votes = (await fresh_snapshot(socket))["votes"]
        public_id = socket.first["me"]["id"]
        assert votes == {"mine": as_counts(mine.get(public_id, Counter())), "voters": voter_count, "totals": None}

    await ok(fac, "room.phase", phase="results")
    totals = as_counts(Counter(item for _, _, item in rows))
    async with asyncio.timeout(15):
        for socket in sockets:
            await socket.wait_for(lambda f: f["type"] == "phase.changed" and f["phase"] == "results")
        revealed = await asyncio.gather(*(fresh_snapshot(s) for s in sockets))
    for socket, snapshot in zip(sockets, revealed):
        public_id = socket.first["me"]["id"]
        assert snapshot["votes"] == {"mine": as_counts(mine.get(public_id, Counter())), "voters": voter_count,
                                     "totals": totals}
    assert vote_rows(server.data_dir, room_id) == rows
    assert not any(f.get("code") == "command.rate_limited" for s in sockets for f in s.frames)
    for socket in sockets:
        await socket.close()


# -- 2. many hands on the same ideas -----------------------------------------------------------

GROUPERS = 10
GROUP_COMMANDS = 8
GROUPING_REFUSALS = {"cluster.not_found", "undo.conflict", "undo.nothing", "grouping.invalid"}


@dataclass
class Board:
    """A client's board, built from its first snapshot and the `group.changed` it hears."""

    ideas: dict[str, tuple[str, str | None, float]]  # idea -> prompt, cluster, position
    clusters: dict[str, tuple[str, str, bool, float]]  # cluster -> prompt, title, named, position

    @staticmethod
    def of(snapshot: Frame) -> Board:
        return Board({i["idea"]: (i["prompt"], i["cluster"], i["position"]) for i in snapshot["ideas"]},
                     {c["cluster"]: (c["prompt"], c["title"], c["named"], c["position"])
                      for c in snapshot["clusters"]})

    def apply(self, event: Frame) -> None:
        for i in event["ideas"]:
            self.ideas[i["idea"]] = (i["prompt"], i["cluster"], i["position"])
        for c in event["clusters"]:
            self.clusters[c["cluster"]] = (c["prompt"], c["title"], c["named"], c["position"])
        for gone in event["dropped"]:
            self.clusters.pop(gone, None)

    def replayed(self, frames: list[Frame]) -> Board:
        board = Board(dict(self.ideas), dict(self.clusters))
        for event in sorted((f for f in frames if f["type"] == "group.changed"), key=lambda f: f["seq"]):
            board.apply(event)
        return board


def stored_board(data_dir: Path, room_id: str) -> Board:
    ideas = _read(data_dir, "SELECT id, prompt_id, cluster_id, position FROM idea WHERE room_id = ?", room_id)
    clusters = _read(data_dir, "SELECT id, prompt_id, title, named, position FROM cluster WHERE room_id = ?",
                     room_id)
    return Board({i: (p, c, float(pos)) for i, p, c, pos in ideas},
                 {c: (p, t, bool(named), float(pos)) for c, p, t, named, pos in clusters})


def assert_invariants(board: Board) -> None:
    members: defaultdict[str, list[str]] = defaultdict(list)
    for idea, (prompt, cluster, _) in board.ideas.items():
        if cluster is not None:  # one cluster field per idea: at most one cluster by construction
            assert cluster in board.clusters, f"{idea} is in a cluster that is gone"
            assert board.clusters[cluster][0] == prompt, f"{idea} is in a cluster of another prompt"
            members[cluster].append(idea)
    for cluster, (_, title, named, _) in board.clusters.items():
        assert members[cluster] or named, f"empty unnamed cluster {cluster} ({title!r})"


def next_grouping(rng: random.Random, view: Board, hot: list[str], prompts: list[str], tag: str) -> Frame:
    """A grouping command chosen from what this client sees right now (which may be stale)."""
    clusters = sorted(view.clusters)
    kinds = ["ideas.move"] * 4 + ["cluster.create"] * 2 + ["group.undo"] * 2
    if clusters:
        kinds += ["cluster.rename", "cluster.dissolve", "cluster.move", "ideas.move.out"]
    if len(clusters) >= 2:
        kinds += ["cluster.merge"] * 2
    kind = rng.choice(kinds)
    picked = rng.sample(hot, rng.randint(1, 2))
    if kind == "ideas.move":
        return {"type": kind, "ideas": picked, "cluster": rng.choice([*clusters, None])}
    if kind == "ideas.move.out":  # to the loose ideas of another prompt
        return {"type": "ideas.move", "ideas": picked[:1], "cluster": None, "prompt": rng.choice(prompts)}
    if kind == "cluster.create":
        return {"type": kind, "ideas": picked}
    if kind == "cluster.merge":
        one, other = rng.sample(clusters, 2)
        return {"type": kind, "cluster": one, "into": other}
    if kind == "cluster.rename":
        return {"type": kind, "cluster": rng.choice(clusters), "title": f"Titre {tag}"}
    if kind == "cluster.dissolve":
        return {"type": kind, "cluster": rng.choice(clusters)}
    if kind == "cluster.move":
        moved = rng.choice(clusters)
        if rng.random() < 0.5:
            return {"type": kind, "cluster": moved, "prompt": rng.choice(prompts)}
        return {"type": kind, "cluster": moved, "before": rng.choice(clusters)}
    return {"type": "group.undo"}


async def group_at_once(n: int, peer: Peer, hot: list[str], prompts: list[str]) -> list[str]:
    rng = random.Random(f"grouper-{n}")
    ops = []
    for k in range(GROUP_COMMANDS):
        view = Board.of(peer.first).replayed(peer.frames)
        op_id = f"group-{n:02d}-{k:02d}"
        await peer.send({**next_grouping(rng, view, hot, prompts, op_id), "op_id": op_id})
        ops.append(op_id)
        # A jitter, so that some commands are chosen from a view others already changed.
        await asyncio.sleep(rng.uniform(0, 0.01))
    return ops


async def test_concurrent_grouping_ends_with_one_board_everywhere(shared_server: Server) -> None:
    server = shared_server
    room_id, fac_token, fac, prompt, ideas = await open_room(server, 8)
    other_prompt = (await ok(fac, "prompt.add", title="Et ensuite ?"))["prompt"]["id"]
    await ok(fac, "room.phase", phase="group")
    await ok(fac, "cluster.create", ideas=ideas[0:2])
    await ok(fac, "cluster.create", ideas=ideas[2:4], title="Lieux")
    await ok(fac, "cluster.create", ideas=[], prompt=prompt, title="Vide pour l'instant")
    hot = ideas[:5]  # everyone moves these few

    tokens = await join_all(server, room_id, [f"Groupe {n:02d}" for n in range(GROUPERS)])
    peers = [await open_peer(server, room_id, token) for token in tokens]
    await fac.close()
    watcher = await open_peer(server, room_id, fac_token)  # a facilitator's page that only watches
    observers = [watcher, *peers]
    start = watcher.first["seq"]
    assert all(p.first["seq"] == start for p in peers)
    async with asyncio.timeout(20):
        sent = await asyncio.gather(*(group_at_once(n, p, hot, [prompt, other_prompt]) for n, p in enumerate(peers)))
        replies = [await peer.reply(op) for peer, ops in zip(peers, sent) for op in ops]
    refusals = Counter(r["code"] for r in replies if r["type"] == "error")
    assert refusals.keys() <= GROUPING_REFUSALS, refusals
    changed = [r for r in replies if r["type"] == "group.changed"]
    # Views go stale fast, so many commands name a cluster gone since; enough must land.
    assert len(changed) >= len(replies) // 3, f"most commands refused: {refusals}"
    assert {r["action"] for r in changed} >= {"ideas.move", "cluster.create"}
    assert any(r.get("action") == "group.undo" or r.get("code", "").startswith("undo.") for r in replies)

    stored = read_stored(server.data_dir, room_id)
    log = [payload for seq, _, payload in stored.events if seq > start]
    assert all(p["type"] == "group.changed" for p in log)
    final = stored_board(server.data_dir, room_id)
    assert_invariants(final)
    async with asyncio.timeout(15):
        for peer in observers:
            await peer.wait_for(lambda f: f.get("seq") == stored.room_seq)
        fresh = await asyncio.gather(*(fresh_snapshot(p) for p in observers))
    for peer, snapshot in zip(observers, fresh):
        heard = [f for f in peer.frames if f["type"] == "group.changed"]
        assert [f["seq"] for f in heard] == list(range(peer.first["seq"] + 1, stored.room_seq + 1))
        assert heard == [p for p in log if p["seq"] > peer.first["seq"]]  # the log's own frames
        assert Board.of(peer.first).replayed(heard) == final
        assert Board.of(snapshot) == final
        assert len(snapshot["ideas"]) == len(final.ideas) and len(snapshot["clusters"]) == len(final.clusters)
    assert not any(f.get("code") == "command.rate_limited" for p in observers for f in p.frames)
    for peer in observers:
        await peer.close()


@pytest.mark.parametrize("meanwhile", ["dissolve", "merge", "move to another prompt"])
async def test_undo_into_a_cluster_changed_since_is_refused_and_the_socket_stays(
        shared_server: Server, meanwhile: str) -> None:
    """Alice takes an idea out of a cluster, Bob changes that cluster, Alice undoes."""
    server = shared_server
    room_id, _, fac, _, ideas = await open_room(server, 3)
    elsewhere = (await ok(fac, "prompt.add", title="Ailleurs"))["prompt"]["id"]
    await ok(fac, "room.phase", phase="group")
    cluster = (await ok(fac, "cluster.create", ideas=ideas[:2]))["clusters"][0]["cluster"]
    other = (await ok(fac, "cluster.create", ideas=ideas[2:], title="Autre"))["clusters"][0]["cluster"]
    alice_token, bob_token = await join_all(server, room_id, ["Alice", "Bob"])
    alice = await open_peer(server, room_id, alice_token)
    bob = await open_peer(server, room_id, bob_token)
    out = await ok(alice, "ideas.move", ideas=[ideas[0]], cluster=None)
    assert out["dropped"] == []  # the cluster keeps its other idea
    if meanwhile == "dissolve":
        assert (await ok(bob, "cluster.dissolve", cluster=cluster))["dropped"] == [cluster]
    elif meanwhile == "merge":
        assert (await ok(bob, "cluster.merge", cluster=cluster, into=other))["dropped"] == [cluster]
    else:
        moved = await ok(bob, "cluster.move", cluster=cluster, prompt=elsewhere)
        assert {i["idea"]: i["prompt"] for i in moved["ideas"]} == {ideas[1]: elsewhere}

    await alice.send({"type": "group.undo", "op_id": "alice-undo-01"})
    # Nowhere right to put the idea back: refused, the socket stays open. (It used to put it
    # into a deleted cluster, a foreign-key failure that closed the socket with 1011, or into
    # a cluster of another prompt, on every screen.)
    assert await alice.reply("alice-undo-01") == {"type": "error", "code": "undo.conflict", "params": {},
                                                  "op_id": "alice-undo-01"}
    board = stored_board(server.data_dir, room_id)
    assert_invariants(board)
    for peer in (alice, bob, fac):
        assert Board.of(await fresh_snapshot(peer)) == board
        await peer.close()


# -- 3. kill -9 in the middle of a vote burst ---------------------------------------------------

BURST_VOTERS = 10
BURST_COMMANDS = 16
KILL_AFTER_CONFIRMATIONS = 40
PACE = 0.01  # between two sends of one voter: spreads the burst so the kill lands inside it


@dataclass
class Ledger:
    """What one voter sent and what the server confirmed to it (its `vote.changed`)."""

    n: int
    sent: dict[str, Frame] = field(default_factory=dict)  # op_id -> command, in sending order
    confirmed: dict[str, Frame] = field(default_factory=dict)

    def on_frame(self, frame: Frame, confirmed: Callable[[], None]) -> None:
        if frame["type"] == "vote.changed" and frame.get("op_id") in self.sent:
            self.confirmed[frame["op_id"]] = frame
            confirmed()

    def plan(self, items: list[str]) -> list[Frame]:
        """Adds while the voter thinks it has dots left, else a remove: most commands land."""
        rng = random.Random(f"burst-{self.n}")
        held: list[str] = []
        plan = []
        for k in range(BURST_COMMANDS):
            if len(held) < 4 and (not held or rng.random() < 0.6):
                item = rng.choice(items)
                held.append(item)
                kind = "vote.add"
            else:
                item = held.pop(rng.randrange(len(held)))
                kind = "vote.remove"
            plan.append({"type": kind, "op_id": f"burst-{self.n:02d}-{k:02d}", "item": item})
        return plan

    @property
    def unconfirmed(self) -> list[Frame]:
        return [c for op_id, c in self.sent.items() if op_id not in self.confirmed]


def voters_ops(stored: Stored) -> dict[str, list[int]]:
    """The voters' op_ids in the log and their seqs (the facilitator's setup left out)."""
    return {op: seqs for op, seqs in stored.by_op().items() if op.startswith("burst-")}


async def burst(peer: Peer, ledger: Ledger, plan: list[Frame]) -> None:
    try:
        for command in plan:
            ledger.sent[command["op_id"]] = command  # logged first: a send cut halfway is "maybe sent"
            await peer.send(command)
            await asyncio.sleep(PACE)
    except ConnectionClosed:
        pass


async def test_kill_9_in_a_vote_burst_loses_no_acknowledged_dot(server: Server) -> None:
    room_id, _, fac, _, ideas = await open_room(server, 4)
    await ok(fac, "room.phase", phase="group")
    cluster = (await ok(fac, "cluster.create", ideas=ideas[:2], title="Ensemble"))["clusters"][0]["cluster"]
    await ok(fac, "room.phase", phase="vote")
    settings = (await fresh_snapshot(fac))["room"]["settings"]
    budget, cap = settings["vote_budget"], settings["vote_cap"]
    await fac.close()
    items = [cluster, ideas[2], ideas[3]]

    tokens = await join_all(server, room_id, [f"Rafale {n:02d}" for n in range(BURST_VOTERS)])
    count = 0

    def confirmed() -> None:
        nonlocal count
        count += 1
        if count == KILL_AFTER_CONFIRMATIONS:
            assert server.process is not None
            os.kill(server.process.pid, signal.SIGKILL)  # right now, from inside the burst

    ledgers = [Ledger(n) for n in range(BURST_VOTERS)]
    peers = [await open_peer(server, room_id, token, on_frame=functools.partial(led.on_frame, confirmed=confirmed))
             for token, led in zip(tokens, ledgers)]
    async with asyncio.timeout(15):
        await asyncio.gather(*(burst(p, led, led.plan(items)) for p, led in zip(peers, ledgers)))
        for peer in peers:
            await peer.closed()
    assert server.process is not None
    await asyncio.to_thread(server.process.wait, 10)
    assert server.process.returncode == -signal.SIGKILL
    confirmed_total = sum(len(led.confirmed) for led in ledgers)
    assert confirmed_total >= KILL_AFTER_CONFIRMATIONS and any(led.unconfirmed for led in ledgers), \
        "the kill missed the burst"

    await asyncio.to_thread(server.start)  # same data folder, same port
    stored = read_stored(server.data_dir, room_id)
    assert_consistent(stored)  # integrity_check ok, no hole in the log, no op twice
    log = {seq: payload for seq, _, payload in stored.events}
    by_op = voters_ops(stored)
    for ledger in ledgers:
        for op_id, event in ledger.confirmed.items():
            assert by_op.get(op_id) == [event["seq"]], f"acknowledged {op_id} lost or doubled"
            assert log[event["seq"]] == event, f"acknowledged {op_id} changed"
    assert set(by_op) <= {op for led in ledgers for op in led.sent}, "an op nobody sent"
    rows = vote_rows(server.data_dir, room_id)
    assert_within_rules(dots_by_voter(rows), budget, cap)
    assert_rows_follow_the_log(server.data_dir, room_id, rows)

    # Everyone comes back and sends what was not acknowledged again: one effect at most.
    landed_unseen = {op: seqs[0] for op, seqs in by_op.items()
                     if not any(op in led.confirmed for led in ledgers)}
    async with asyncio.timeout(20):
        back = [await open_peer(server, room_id, token, since=peer.seq) for token, peer in zip(tokens, peers)]
        for peer in back:
            assert peer.first["type"] == "catchup"
        for peer, ledger in zip(back, ledgers):
            for command in ledger.unconfirmed:
                await peer.send(command)
        answers = {c["op_id"]: await peer.reply(c["op_id"])
                   for peer, ledger in zip(back, ledgers) for c in ledger.unconfirmed}
    for op_id, answer in answers.items():
        if op_id in landed_unseen:  # it had landed before the kill: only an ack now
            assert answer == {"type": "ack", "op_id": op_id, "seq": landed_unseen[op_id]}
        else:
            assert answer["type"] == "vote.changed" or answer["code"] in (
                "vote.budget_exceeded", "vote.cap_reached", "vote.none"), answer
    after = read_stored(server.data_dir, room_id)
    assert_consistent(after)
    new_effects = {op for op in voters_ops(after) if op not in by_op}
    assert new_effects == {op for op, a in answers.items() if a["type"] == "vote.changed"}
    rows = vote_rows(server.data_dir, room_id)
    assert_within_rules(dots_by_voter(rows), budget, cap)
    assert_rows_follow_the_log(server.data_dir, room_id, rows)

    # Once more, everything that took effect: all known, nothing new.
    took_effect = voters_ops(after)
    async with asyncio.timeout(15):
        for peer, ledger in zip(back, ledgers):
            for op_id in ledger.sent:
                if op_id in took_effect:
                    await peer.send(ledger.sent[op_id])
        again = {op: await peer.wait_for(lambda f, op=op: f["type"] in ("ack", "error") and f.get("op_id") == op)
                 for peer, ledger in zip(back, ledgers) for op in ledger.sent if op in took_effect}
    assert again == {op: {"type": "ack", "op_id": op, "seq": seqs[0]} for op, seqs in took_effect.items()}
    assert read_stored(server.data_dir, room_id).room_seq == after.room_seq
    assert vote_rows(server.data_dir, room_id) == rows
    for peer in back:
        await peer.close()


def logged_counts(data_dir: Path, room_id: str) -> dict[str, dict[str, int]]:
    """Each voter's dots per item as the log's `vote.changed` say, the last one winning."""
    rows = _read(data_dir, """SELECT p.public_id, e.payload FROM event e
                              JOIN participant p ON p.id = e.participant_id
                              WHERE e.room_id = ? ORDER BY e.seq""", room_id)
    last: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for public_id, payload in rows:
        frame = json.loads(payload)
        if frame["type"] == "vote.changed":
            last[str(public_id)][frame["item"]] = frame["mine"]
    return {voter: as_counts(items) for voter, items in last.items() if as_counts(items)}


def assert_rows_follow_the_log(data_dir: Path, room_id: str, rows: list[tuple[int, str, str]]) -> None:
    assert logged_counts(data_dir, room_id) == {v: as_counts(c) for v, c in dots_by_voter(rows).items()}
