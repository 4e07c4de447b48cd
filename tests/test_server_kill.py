"""kill -9 at seeded random moments while several clients send every kind of command.

One room goes through writing, grouping, voting and the roadmap. Four participants and
the facilitator send a random mix of that phase's commands (ideas, clusters, undo, dots,
actions, prompts, timer, settings, moderation) without waiting for answers; the server
gets SIGKILL when the room's answer count reaches one of `KILLS` random points, and is
started again on the same data folder. After each restart, read from the file alone:

- `PRAGMA integrity_check` is "ok" and the log has no hole;
- every acknowledged op (its author heard its event, or an `ack`) is in the log once, at
  the seq it was told, byte for byte the frame it heard; no op is there twice; no refused
  op is there; nothing is there that nobody sent;
- the board tables (ideas, clusters, prompts, dots, actions, phase, settings, timer) are
  exactly what replaying the log from the empty room gives.

Then every client comes back (fresh snapshot) and sends again, same op_ids, what was never
answered, as a page does. The seed is printed in every assertion; ESSAIM_KILL_SEED=N runs
one again.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import signal
import sqlite3
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.server import Server
from tests.test_server import TIMEOUT, Frame, Peer, open_peer

pytestmark = pytest.mark.server

SEED = int(os.environ.get("ESSAIM_KILL_SEED") or random.SystemRandom().randrange(1_000_000))
KILLS = 3
PARTICIPANTS = 4
SHARE = {"write": 12, "group": 10, "vote": 8, "roadmap": 8}  # commands per participant and phase
FACILITATOR_SHARE = 6
PACE = 0.01  # mean pause between two sends of one client: the kill lands inside bursts
# What a random mix may be refused for (stale views, budgets): never storage.*, server.error.
RULE_REFUSALS = {"idea.not_found", "cluster.not_found", "undo.nothing", "undo.conflict", "grouping.invalid",
                 "vote.not_votable", "vote.budget_exceeded", "vote.cap_reached", "vote.none", "action.not_found",
                 "action.source_not_found", "timer.not_running", "idea.not_yours", "prompt.not_found"}


# -- a client: what it sent, what it was answered, what it sees --------------------------------


@dataclass
class View:
    """The ids a client knows of, from its last snapshot and the events since."""

    me: str = ""
    prompts: list[str] = field(default_factory=list)
    ideas: set[str] = field(default_factory=set)
    mine: set[str] = field(default_factory=set)
    clusters: set[str] = field(default_factory=set)
    actions: set[str] = field(default_factory=set)
    dotted: set[str] = field(default_factory=set)

    @staticmethod
    def of(snapshot: Frame) -> View:
        me = snapshot["me"]["author"]
        return View(me, [p["id"] for p in snapshot["prompts"]], {i["idea"] for i in snapshot["ideas"]},
                    {i["idea"] for i in snapshot["ideas"] if i["author"] == me},
                    {c["cluster"] for c in snapshot["clusters"]}, {a["action"] for a in snapshot["actions"]},
                    set(snapshot["votes"]["mine"]))

    def apply(self, f: Frame) -> None:
        kind = f["type"]
        if kind == "idea.added":
            self.ideas.add(f["idea"])
            if f["author"] == self.me:
                self.mine.add(f["idea"])
        elif kind == "idea.deleted":
            self.ideas.discard(f["idea"])
            self.mine.discard(f["idea"])
        elif kind == "group.changed":
            self.clusters |= {c["cluster"] for c in f["clusters"]}
        elif kind == "prompt.added":
            self.prompts.append(f["prompt"]["id"])
        elif kind == "action.changed":
            (self.actions.add if f["state"] else self.actions.discard)(f["action"])
        elif kind == "vote.changed" and "mine" in f:
            (self.dotted.add if f["mine"] else self.dotted.discard)(f["item"])
        self.clusters -= set(f.get("dropped", []))


class Client:
    def __init__(self, run: Run, name: str, token: str, share: dict[str, int]) -> None:
        self.run, self.name, self.token, self.share = run, name, token, share
        self.rng = random.Random(f"{SEED}-{name}")
        self.sent: dict[str, Frame] = {}  # op_id -> command, logged before it is sent
        self.replies: dict[str, Frame] = {}  # op_id -> its event, ack or error
        self.done: Counter[str] = Counter()
        self.view = View()
        self.peer: Peer | None = None
        self._ops = itertools.count()

    async def connect(self) -> None:
        self.peer = await open_peer(self.run.server, self.run.room_id, self.token, on_frame=self._heard)
        self.view = View.of(self.peer.first)  # before the reader runs: no await in between

    def _heard(self, frame: Frame) -> None:
        if frame.get("op_id") in self.sent and frame["type"] != "resync":
            self.replies[frame["op_id"]] = frame
            self.run.answered()
        self.view.apply(frame)

    @property
    def unanswered(self) -> list[str]:
        return [op for op in self.sent if op not in self.replies]

    def log(self, command: Frame) -> str:
        """An op_id for `command`, logged before it is sent: a send cut halfway is "maybe sent"."""
        op_id = f"{self.name}-{next(self._ops):05d}"
        self.sent[op_id] = {**command, "op_id": op_id}
        return op_id

    async def send(self, op_id: str) -> None:
        assert self.peer is not None
        await self.peer.send(self.sent[op_id])

    async def burst(self, phase: str) -> None:
        """This phase's share of random commands, not waiting for answers; stops if the server dies."""
        try:
            while self.done[phase] < self.share[phase]:
                self.done[phase] += 1
                await self.send(self.log(self.choose(phase)))
                await asyncio.sleep(self.rng.uniform(0, 2 * PACE))
            await self.settled()
        except ConnectionClosed:
            pass

    async def resend(self) -> None:
        """What a page does on reconnecting: its unanswered ops again, same op_ids."""
        assert self.peer is not None
        try:
            for op_id in self.unanswered:
                await self.send(op_id)
            await self.settled()
        except ConnectionClosed:
            pass

    async def settled(self) -> None:
        """Every op answered, or the connection gone (a kill)."""
        assert self.peer is not None
        async with asyncio.timeout(3 * TIMEOUT):
            while self.unanswered and not self.peer.reader.done():
                await asyncio.sleep(0.01)

    def _move(self, action: str) -> Frame:
        others = sorted(self.view.actions - {action})
        return {"type": "action.move", "action": action, "before": self.rng.choice(others) if others else None}

    def _turn(self, commands: list[Frame], phase: str) -> Frame:
        return commands[(self.done[phase] + (phase == "group") * 5) % len(commands)]

    def choose(self, phase: str) -> Frame:
        rng, v = self.rng, self.view
        pick = (lambda items: rng.choice(sorted(items)) if items else "absent")  # noqa: E731
        if self.name == "fac" and phase in ("write", "group"):  # each of these in turn
            return self._turn([
                {"type": "prompt.add", "title": f"Question {rng.randrange(1000)}"},
                {"type": "prompt.rename", "prompt": pick(v.prompts), "title": f"Titre {rng.randrange(1000)}"},
                {"type": "timer.start", "seconds": rng.randint(60, 600)}, {"type": "timer.add", "seconds": 30},
                {"type": "timer.pause"}, {"type": "timer.resume"}, {"type": "timer.stop"},
                {"type": "room.configure", "show_authors": rng.random() < 0.5},
                {"type": "idea.hide", "idea": pick(v.ideas), "hidden": rng.random() < 0.7}], phase)
        if phase == "write":
            kind = rng.choices(["add", "edit", "delete"], [5, 3, 1])[0]
            if kind == "add" or not v.mine:
                return {"type": "idea.add", "prompt": rng.choice(v.prompts), "text": f"{self.name} {rng.random()}",
                        "colour": rng.choice(["yellow", "pink", "blue"])}
            if kind == "edit":
                return {"type": "idea.edit", "idea": pick(v.mine), "text": f"revue {rng.random()}", "colour": "green"}
            return {"type": "idea.delete", "idea": pick(v.mine)}
        if phase == "group":
            ideas = sorted(v.ideas)
            return rng.choice([
                {"type": "cluster.create", "ideas": rng.sample(ideas, min(2, len(ideas)))},
                {"type": "ideas.move", "ideas": [pick(v.ideas)], "cluster": rng.choice([None, pick(v.clusters)])},
                {"type": "cluster.rename", "cluster": pick(v.clusters), "title": f"Thème {rng.randrange(100)}"},
                {"type": "cluster.merge", "cluster": pick(v.clusters), "into": pick(v.clusters)},
                {"type": "cluster.dissolve", "cluster": pick(v.clusters)},
                {"type": "cluster.move", "cluster": pick(v.clusters), "prompt": rng.choice(v.prompts)},
                {"type": "group.undo"}])
        if phase == "vote":
            if v.dotted and rng.random() < 0.3:
                return {"type": "vote.remove", "item": pick(v.dotted)}
            return {"type": "vote.add", "item": pick(v.ideas | v.clusters)}
        return rng.choice([  # roadmap
            {"type": "action.add", "title": f"Action {rng.randrange(1000)}"},
            {"type": "action.add", "title": f"Action {rng.randrange(1000)}",
             "source": {"kind": "cluster", "id": pick(v.clusters)} if v.clusters and rng.random() < 0.5 else None},
            {"type": "action.edit", "action": pick(v.actions), "status": rng.choice(["doing", "done"]),
             "owners": [self.name]},
            # `before` is another action: the action itself is a server.error today (roadmap._slot)
            self._move(pick(v.actions)),
            {"type": "action.delete", "action": pick(v.actions)},
            {"type": "action.undo"}])


# -- the run: kills, restarts, checks ----------------------------------------------------------


@dataclass
class Run:
    server: Server
    room_id: str = ""
    clients: list[Client] = field(default_factory=list)
    initial: Board | None = None
    kill_at: list[int] = field(default_factory=list)  # answer counts at which to kill
    answers: int = 0
    dead: bool = False
    kills: int = 0
    in_flight: list[int] = field(default_factory=list)  # unanswered ops at each kill

    def answered(self) -> None:
        self.answers += 1
        if self.kill_at and self.answers >= self.kill_at[0] and not self.dead:
            self.kill_at.pop(0)
            self.dead, self.kills = True, self.kills + 1
            assert self.server.process is not None
            os.kill(self.server.process.pid, signal.SIGKILL)  # right now, from inside the burst

    async def phase(self, phase: str) -> None:
        """Every client sends its share; after a kill they come back and carry on."""
        while True:
            await asyncio.gather(*(c.burst(phase) for c in self.clients))
            if not self.dead:
                return
            await self.recover()

    async def facilitate(self, command: Frame) -> None:
        """A facilitator's setting or phase change, which must go through (kills or not)."""
        fac = self.clients[0]
        op_id = fac.log(command)
        try:
            await fac.send(op_id)
            await fac.settled()
        except ConnectionClosed:
            pass
        await self.recover()
        assert fac.replies[op_id]["type"] != "error", (f"seed {SEED}", fac.replies[op_id])

    async def recover(self) -> None:
        while self.dead:
            assert self.server.process is not None
            await asyncio.to_thread(self.server.process.wait, 10)
            self.dead = False
            await asyncio.to_thread(self.server.start)  # same data folder, same port
            self.check(f"after kill {self.kills}")
            self.in_flight.append(sum(len(c.unanswered) for c in self.clients))
            for client in self.clients:
                await client.connect()
            await asyncio.gather(*(c.resend() for c in self.clients))

    def check(self, when: str) -> StoredRoom:
        why = f"seed {SEED} (ESSAIM_KILL_SEED={SEED} to run it again), {when}"
        stored = read_board(self.server.data_dir, self.room_id)
        assert stored.integrity == ["ok"], why
        events = stored.events
        assert [e.seq for e in events] == list(range(1, stored.seq + 1)), f"holes in the log; {why}"
        by_op = Counter(e.op_id for e in events)
        assert all(n == 1 for n in by_op.values()), f"an op took effect twice: {by_op.most_common(2)}; {why}"
        sent = {op for c in self.clients for op in c.sent}
        assert set(by_op) <= sent, f"ops nobody sent: {set(by_op) - sent}; {why}"
        log = {e.seq: e for e in events}
        seq_of = {e.op_id: e.seq for e in events}
        for client in self.clients:
            for op_id, reply in client.replies.items():
                if reply["type"] == "error":
                    assert reply["code"] in RULE_REFUSALS, f"{op_id}: {reply}; {why}"
                    assert op_id not in seq_of, f"refused {op_id} stored; {why}"
                elif reply["type"] == "ack":
                    assert seq_of.get(op_id) == reply["seq"], f"acknowledged {op_id} lost; {why}"
                else:
                    logged = log.get(reply["seq"])
                    assert logged is not None, f"confirmed {op_id} lost; {why}"
                    # As confirmed, or a bare skip: the idea was deleted since and its text erased.
                    assert logged.payload in (reply, {"type": "skip", "seq": reply["seq"]}), f"{op_id} altered; {why}"
        assert self.initial is not None
        replayed = replay(self.initial, events)
        assert replayed == stored.board, f"the tables and the log disagree: {difference(replayed, stored.board)}; {why}"
        return stored


async def test_kill_9_at_random_moments_loses_and_duplicates_no_acknowledged_op(tmp_path: Path) -> None:
    server = Server(tmp_path / "data").start()
    try:
        await _scenario(Run(server))
    finally:
        server.kill()
        print(server.log())  # shown by pytest only when the test failed


async def _scenario(run: Run) -> None:
    created = await asyncio.to_thread(run.server.create_room)
    run.room_id = created["id"]
    tokens = [await asyncio.to_thread(run.server.join, run.room_id, f"p{n}") for n in range(PARTICIPANTS)]
    run.initial = read_board(run.server.data_dir, run.room_id).board
    run.clients = [Client(run, "fac", created["facilitator_token"], dict.fromkeys(SHARE, FACILITATOR_SHARE)),
                   *(Client(run, f"p{n}", token, SHARE) for n, token in enumerate(tokens))]
    for client in run.clients:
        await client.connect()
    planned = sum(sum(c.share.values()) for c in run.clients)
    run.kill_at = sorted(random.Random(SEED).sample(range(20, planned - 20, 12), KILLS))
    for phase in ("write", "group", "vote"):
        if phase != "write":
            await run.facilitate({"type": "room.phase", "phase": phase})
        await run.phase(phase)
    await run.facilitate({"type": "room.configure", "roadmap": "everyone"})
    await run.facilitate({"type": "room.phase", "phase": "roadmap"})
    await run.phase("roadmap")
    final = run.check("at the end")
    assert run.kills == KILLS, f"seed {SEED}: only {run.kills} kills landed"
    assert not [c.unanswered for c in run.clients if c.unanswered], f"seed {SEED}"
    answers = Counter(r.get("code", r["type"]) for c in run.clients for r in c.replies.values())
    print(f"seed {SEED}: killed at {run.in_flight} unanswered ops; answers {dict(answers)}")
    assert sum(run.in_flight) > 0, f"seed {SEED}: no kill landed inside a burst"
    changed = {e.payload["type"] for e in final.events}  # from the log: an op acked after a kill counts too
    assert changed >= {"idea.added", "idea.edited", "group.changed", "vote.changed", "action.changed",
                       "prompt.added", "prompt.renamed", "timer.changed", "room.configured"}, f"seed {SEED}: {changed}"


# -- the file, read without the server's help, and the log replayed ----------------------------


@dataclass(frozen=True)
class Logged:
    seq: int
    participant: str | None
    op_id: str | None
    payload: Frame


@dataclass
class Board:
    room: tuple[str, Any, Any] = ("", None, None)  # phase, settings, timer
    prompts: dict[str, str] = field(default_factory=dict)
    ideas: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # prompt, text, colour, hidden, cluster, position
    clusters: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # prompt, title, named, position
    dots: dict[tuple[str, str], int] = field(default_factory=dict)  # (participant, item) -> dots
    actions: dict[str, Frame] = field(default_factory=dict)


@dataclass
class StoredRoom:
    integrity: list[str]
    seq: int
    events: list[Logged]
    board: Board


def read_board(data_dir: Path, room_id: str) -> StoredRoom:
    uri = f"file:{data_dir / 'essaim.sqlite3'}?mode=ro"  # read-only: the test must not repair anything
    with closing(sqlite3.connect(uri, uri=True, isolation_level=None)) as conn:
        conn.execute("BEGIN")  # one read transaction: every table as of one commit
        rows = lambda sql: conn.execute(sql, (room_id,)).fetchall()  # noqa: E731
        integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        ((seq, phase, settings, timer),) = rows("SELECT seq, phase, settings, timer FROM room WHERE id = ?")
        events = [Logged(s, p, o, json.loads(payload)) for s, p, o, payload in
                  rows("SELECT seq, participant_id, op_id, payload FROM event WHERE room_id = ? ORDER BY seq")]
        board = Board(
            (phase, json.loads(settings), json.loads(timer or "{}")),
            dict(rows("SELECT id, title FROM prompt WHERE room_id = ?")),
            {i: (p, t, c, bool(h), cl, pos) for i, p, t, c, h, cl, pos in rows(
                "SELECT id, prompt_id, text, colour, hidden, cluster_id, position FROM idea WHERE room_id = ?")},
            {c: (p, t, bool(n), pos) for c, p, t, n, pos in rows(
                "SELECT id, prompt_id, title, named, position FROM cluster WHERE room_id = ?")},
            {(p, i): n for p, i, n in rows("SELECT participant_id, coalesce(idea_id, cluster_id), count(*) "
                                            "FROM vote WHERE room_id = ? GROUP BY 1, 2")},
            {a: {"title": t, "description": d, "owners": json.loads(o), "partners": json.loads(pa), "horizon": h,
                 "due": due, "status": st, "source_kind": sk, "source_id": si, "position": pos}
             for a, t, d, o, pa, h, due, st, sk, si, pos in rows(
                 "SELECT id, title, description, owners, partners, horizon, due, status, source_kind, source_id, "
                 "position FROM action WHERE room_id = ?")})
    return StoredRoom(integrity, seq, events, board)


def difference(replayed: Board, stored: Board) -> dict[str, Any]:
    """What differs, part by part: (replayed, stored) for each key that is not the same."""
    out: dict[str, Any] = {}
    for part in ("room", "prompts", "ideas", "clusters", "dots", "actions"):
        one, other = getattr(replayed, part), getattr(stored, part)
        if part == "room" and one != other:
            out[part] = (one, other)
        elif one != other:
            out[part] = {k: (one.get(k), other.get(k)) for k in set(one) | set(other) if one.get(k) != other.get(k)}
    return out


def replay(initial: Board, events: list[Logged]) -> Board:
    """The board the log adds up to, from the room as it was before any command."""
    b = Board(initial.room, dict(initial.prompts))
    for event in events:
        f = event.payload
        kind = f["type"]
        # The mix never makes dots go back, so this replay has no rule for it; `votes_returned` may
        # still come while tallies are hidden (every such event says it then, commands._aftermath),
        # and a dot that did go would leave the replayed dots unlike the tables, checked below.
        if kind == "idea.added":
            b.ideas[f["idea"]] = (f["prompt"], f["text"], f["colour"], False, None, f["at"])
        elif kind in ("idea.edited", "idea.hidden") and f["idea"] not in b.ideas:
            pass  # deleted since: its addition is a bare skip in the log
        elif kind in ("idea.edited", "idea.hidden"):
            prompt, text, colour, hidden, cluster, position = b.ideas[f["idea"]]
            if kind == "idea.edited":
                text, colour = f["text"], f["colour"]
            b.ideas[f["idea"]] = (prompt, text, colour, f.get("hidden", hidden), cluster, position)
        elif kind == "idea.deleted":
            b.ideas.pop(f["idea"], None)  # its addition and edits are bare skips in the log now
        elif kind == "skip":
            pass
        elif kind == "group.changed":
            for i in f["ideas"]:
                b.ideas[i["idea"]] = (i["prompt"], *b.ideas[i["idea"]][1:4], i["cluster"], i["position"])
            b.clusters.update({c["cluster"]: (c["prompt"], c["title"], c["named"], c["position"])
                               for c in f["clusters"]})
        elif kind == "vote.changed":
            assert event.participant is not None
            b.dots[(event.participant, f["item"])] = f["mine"]
        elif kind == "action.changed":
            b.actions[f["action"]] = f["state"]
        elif kind in ("prompt.added", "prompt.renamed"):
            prompt = f["prompt"] if kind == "prompt.renamed" else f["prompt"]["id"]
            b.prompts[prompt] = f["title"] if kind == "prompt.renamed" else f["prompt"]["title"]
        elif kind in ("phase.changed", "room.configured", "timer.changed"):
            phase, settings, timer = b.room
            b.room = (f.get("phase", phase), f.get("settings", settings), f.get("timer", timer))
        else:
            raise AssertionError(f"an event the replay does not know: {kind}")
        for gone in f.get("dropped", []):
            b.clusters.pop(gone, None)
    b.dots = {k: n for k, n in b.dots.items() if n}
    b.actions = {a: s for a, s in b.actions.items() if s is not None}
    return b

