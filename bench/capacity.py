"""How many participants one Essaim process holds, against baselines measured in the same run.

    python -m bench.capacity [--scenarios join,ideas,...] [--sizes 50,200,500,1000] [--repeat 3] [--quick]
                             [--layout sqlite|postgres|redis2 [--servers N]]

Starts a real Essaim server (uvicorn through `python -m app serve`, production settings,
SQLite in WAL mode with synchronous=FULL, in a temporary data folder; or, with --layout,
on a throwaway PostgreSQL, or N processes on it with Redis fan-out: bench/layouts.py) and a bare
`websockets.broadcast` server (bench/baseline_server.py); for every scenario and size
drives each of them from separate load-generator processes (bench/participants.py)
with the same simulated participants and the same traffic, repeat after repeat,
interleaved so that a noisy neighbour hits both alike; then prints the medians, each
Essaim figure with its ratio to the baseline's. Exits 1 on any error frame,
unexpected close, lost answer, timeout or unconverged client.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException
from websockets.typing import Origin

from app.db import MAX_BATCH
from tests.support.server import ROOT, Server, free_port

from .layouts import LAYOUTS, Layout, LayoutUnavailable, Side, endpoint_of, terminate
from .rawsqlite import Commits, commits

SCENARIOS = ("join", "ideas", "private", "vote", "steady", "rooms", "writes")
TITLES = {
    "join": "join storm: N participants join (HTTP + websocket + snapshot) within the window",
    "ideas": "ideation burst: each participant adds one idea within the window, visible to all",
    "private": "private-writing burst: the same with private writing on (others get counts)",
    "vote": "vote burst: each participant places its dots within the window",
    "steady": "steady workshop: a few mixed operations per second (add, edit, delete, ping)",
    "rooms": "many rooms: R rooms x P participants at once, an ideation burst in each",
    "writes": "durable writes: W concurrent writers, each K idea.add back to back (one in flight)",
}
VOTE_DOTS = 5  # the default budget
VOTE_IDEAS = 20  # ideas on the board to vote for
STEADY_RATE = 5.0  # operations per second, the whole room
STEADY_MIX = (("idea.add", 0.5), ("idea.edit", 0.25), ("idea.delete", 0.1), ("ping", 0.15))
SETUP_TIMEOUT = 180.0
QUICK = "join,ideas,private,vote"  # what the CI smoke run goes through
SIZES = "50,200,500,1000"


@dataclass(frozen=True)
class Params:
    scenarios: tuple[str, ...]
    sizes: tuple[int, ...]
    repeat: int
    window: float  # seconds over which a burst's operations are spread
    drain: float  # seconds after the window a run may take before it counts as timed out
    procs: int  # load-generator processes per run
    rooms: tuple[int, int]  # many rooms: rooms x participants
    writers: tuple[int, int]  # durable writes: writers x ideas each
    layout: str = "sqlite"  # where the Essaim side runs (bench/layouts.py)
    servers: int = 2  # Essaim processes in the redis2 layout


class SetupFailed(RuntimeError):
    """A configuration could not even start measuring (a server, a room, a facilitator step)."""


class NotAvailable(RuntimeError):
    """The server does not implement what the scenario needs (yet)."""


# -- servers -------------------------------------------------------------------------------


class Baseline:
    """bench/baseline_server.py in a subprocess."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.origin = self.url
        self.log_path = log_dir / f"baseline-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> Baseline:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "bench.baseline_server", "--port",
                                             str(self.port)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SetupFailed(f"baseline server exited: {self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise SetupFailed(f"baseline server did not start: {self.log()}")

    def stop(self) -> None:
        terminate(self.process)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""


# -- what a configuration is ------------------------------------------------------------------


@dataclass
class Room:
    id: str
    ws: str  # the websocket's path, on whichever server a participant is sent to
    people: list[dict[str, Any]] = field(default_factory=list)  # {"index", "server", "ops"}
    expect: int | None = None  # seq'd events each participant must hear
    observer_token: str | None = None
    observer: bool = False
    observer_expect: int | None = None


@dataclass
class Config:
    scenario: str
    size: int  # participants in all
    kind: str  # "essaim" or "baseline"
    rooms: list[Room]
    chained: bool = False
    quiet: bool = False  # the events to expect are not known in advance: stop when quiet


def schedule(scenario: str, size: int, p: Params, tag: str, items: list[str]) -> tuple[list[list[dict[str, Any]]],
                                                                                      int | None]:
    """Each participant's operations (op_id, kind, time after t0) in each room, and the
    seq'd events every participant must then hear (None: not known in advance)."""
    rooms, per_room = (p.rooms if scenario == "rooms" else (1, p.writers[0]) if scenario == "writes" else (1, size))
    plans: list[list[dict[str, Any]]] = []
    rng = random.Random(f"{scenario}-{size}-{tag}")

    def op(i: int, j: int, kind: str, at: float, **extra: Any) -> dict[str, Any]:
        return {"op_id": None if kind in ("join", "ping") else f"b{tag}{i:05d}k{j:03d}", "kind": kind,
                "at": at, **extra}

    for _ in range(rooms):
        people: list[list[dict[str, Any]]] = [[] for _ in range(per_room)]
        if scenario == "join":
            for i in range(per_room):
                people[i].append(op(i, 0, "join", i * p.window / per_room))
        elif scenario in ("ideas", "private", "rooms"):
            for i in range(per_room):
                people[i].append(op(i, 0, "idea.add", rng.uniform(0, p.window)))
        elif scenario == "vote":
            for i in range(per_room):
                for j in range(VOTE_DOTS):  # distinct ideas: one dot on each, within "at most 3 per item"
                    people[i].append(op(i, j, "vote.add", (i + j / VOTE_DOTS) * p.window / per_room,
                                        item=items[(i * VOTE_DOTS + j) % len(items)]))
        elif scenario == "steady":
            for k in range(int(STEADY_RATE * p.window)):
                i = rng.randrange(per_room)
                kind = rng.choices([m for m, _ in STEADY_MIX], [w for _, w in STEADY_MIX])[0]
                people[i].append(op(i, len(people[i]), kind, k / STEADY_RATE))
        elif scenario == "writes":
            for i in range(per_room):
                people[i] = [op(i, j, "idea.add", 0.0) for j in range(p.writers[1])]
        plans.append([{"index": i, "ops": ops} for i, ops in enumerate(people)])
    seq_ops = sum(1 for o in plans[0] for x in o["ops"] if x["kind"] not in ("join", "ping"))
    expect = None if scenario in ("join", "vote") else seq_ops
    return plans, expect


# -- the facilitator's part (Essaim only) --------------------------------------------------------


async def facilitate(server: Server, scenario: str, timeout: float) -> tuple[str, str, list[str]]:
    """A fresh room set for the scenario; returns its id, the facilitator token, and idea ids to vote for."""
    created = await asyncio.to_thread(server.create_room, "remue-meninges", "Banc d'essai", "write")
    room_id, token = str(created["id"]), str(created["facilitator_token"])
    items: list[str] = []
    async with connect(f"{server.ws_url}/rooms/{room_id}/ws", origin=Origin(server.origin), compression=None,
                       proxy=None, open_timeout=timeout, max_size=None,
                       additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        await ws.send('{"type":"hello","v":1}')
        snapshot = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        prompt = snapshot["prompts"][0]["id"]

        async def command(frame: dict[str, Any]) -> dict[str, Any]:
            op_id = f"fac{random.getrandbits(48):012x}"
            await ws.send(json.dumps({**frame, "op_id": op_id}))
            async with asyncio.timeout(timeout):
                while True:
                    data = json.loads(await ws.recv())
                    for answer in data if isinstance(data, list) else [data]:
                        if answer.get("op_id") == op_id:
                            return dict(answer)

        steps: list[dict[str, Any]] = []
        if scenario == "private":  # what a facilitator does: private writing on, then the writing phase
            steps = [{"type": "room.configure", "private_writing": True}, {"type": "room.phase", "phase": "write"}]
        if scenario == "vote":
            for k in range(VOTE_IDEAS):
                answer = await command({"type": "idea.add", "prompt": prompt, "text": f"idée à voter {k}"})
                if answer.get("type") == "error":
                    raise SetupFailed(f"could not seed an idea: {answer}")
                items.append(str(answer["idea"]))
            steps = [{"type": "room.phase", "phase": "vote"}]
        for step in steps:
            answer = await command(step)
            if answer.get("type") == "error" and answer.get("code") != "phase.same":
                if scenario == "vote":
                    raise NotAvailable(f"{step['type']} answered {answer.get('code')}")
                raise SetupFailed(f"{step} answered {answer}")
        if scenario == "vote":  # does the server know the command at all?
            answer = await command({"type": "vote.add", "item": items[-1]})
            if answer.get("type") == "error" and answer.get("code") == "protocol.unknown_type":
                raise NotAvailable("vote.add answered protocol.unknown_type")
    return room_id, token, items


async def make_config(scenario: str, size: int, kind: str, p: Params, side: Side, tag: str) -> Config:
    rooms_n = p.rooms[0] if scenario == "rooms" else 1
    rooms: list[Room] = []
    for r in range(rooms_n):
        if kind == "essaim":
            first = side.servers[0]  # the room is made on one process, its people spread over all
            assert isinstance(first, Server)
            room_id, token, items = await facilitate(first, scenario, 30.0)
            path = f"/rooms/{room_id}/ws"
        else:
            room_id, token = f"b{tag}r{r}{random.getrandbits(32):08x}", None
            items = [f"idea{k:02d}" for k in range(VOTE_IDEAS)]
            path = f"/rooms/{room_id}"
        plans, expect = schedule(scenario, size, p, f"{tag}{r}", items)
        for person in plans[0]:
            person["server"] = endpoint_of(person["index"], len(side.servers))
        room = Room(room_id, path, plans[0], expect)
        if scenario == "join":  # someone already there hears every arrival
            room.observer_token, room.observer, room.observer_expect = token, True, len(plans[0])
        rooms.append(room)
    return Config(scenario, size, kind, rooms, chained=scenario == "writes", quiet=scenario == "vote")


# -- one run -------------------------------------------------------------------------------------


@dataclass
class Run:
    scenario: str
    size: int
    kind: str
    ok: bool = False
    problems: list[str] = field(default_factory=list)
    ack: list[float] = field(default_factory=list)
    fanout: list[float] = field(default_factory=list)
    fanned_all: int = 0
    convergence: float | None = None  # last operation sent -> every participant has heard everything
    ops_per_s: float | None = None
    frames_per_s: float | None = None
    bytes_per_s: float | None = None
    cpu_per_event_us: float | None = None  # summed over the server processes
    cpu_busy: float | None = None
    helper_cpu_per_event_us: float | None = None  # PostgreSQL + Redis, when the layout has them
    rss_per_participant_kib: float | None = None
    errors: int = 0
    closes: int = 0
    lost: int = 0
    timed_out: bool = False
    load_cpu: float = 0.0


def split(config: Config, procs: int) -> list[list[dict[str, Any]]]:
    """Rooms (or, for one room, its participants) dealt to the load-generator processes."""
    out: list[list[dict[str, Any]]] = [[] for _ in range(procs)]
    if len(config.rooms) == 1:
        room = config.rooms[0]
        for w in range(procs):
            out[w].append({"id": room.id, "ws": room.ws, "participants": room.people[w::procs],
                           "expect": room.expect, "observer_token": room.observer_token if w == 0 else None,
                           "observer": room.observer and w == 0, "observer_expect": room.observer_expect})
    else:
        for r, room in enumerate(config.rooms):
            out[r % procs].append({"id": room.id, "ws": room.ws, "participants": room.people, "expect": room.expect,
                                   "observer_token": None, "observer": False, "observer_expect": None})
    return [rooms for rooms in out if rooms]


class Worker:
    def __init__(self, plan: dict[str, Any], log: Path) -> None:
        self.log = open(log, "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "bench.participants"], cwd=ROOT,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log)
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(plan) + "\n").encode())
        self.process.stdin.flush()

    def tell(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write((json.dumps(message) + "\n").encode())
            self.process.stdin.flush()
        except BrokenPipeError:
            pass

    async def hear(self, timeout: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(self.process.stdout.readline), timeout)
        if not line:
            raise SetupFailed(f"load generator exited with {self.process.poll()}")
        return dict(json.loads(line))

    def stop(self) -> None:
        terminate(self.process)
        self.log.close()


async def run_config(config: Config, side: Side, p: Params, tmp: Path) -> Run:
    deadline = p.window + p.drain
    common = {"scenario": config.scenario, "kind": config.kind, "servers": side.endpoints(),
              "connect_timeout": 30.0, "setup_timeout": SETUP_TIMEOUT, "deadline": deadline,
              "chained": config.chained, "quiet": config.quiet}
    await side.wait_idle()
    rss0 = side.rss_kib()
    workers = [Worker({**common, "rooms": rooms}, tmp / "participants.log") for rooms in split(config, p.procs)]
    run = Run(config.scenario, config.size, config.kind)
    try:
        for w in workers:
            answer = await w.hear(SETUP_TIMEOUT + 10)
            if "ready" not in answer:
                raise SetupFailed(str(answer.get("failed", answer)))
        await side.wait_idle()  # the arrivals' presence frames are setup, not the burst
        rss_ready = side.rss_kib()
        cpu0, helper0 = side.cpu(), side.helper_cpu()
        t0 = time.monotonic() + 0.3
        for w in workers:
            w.tell({"go": t0})
        results = []
        for w in workers:
            answer = await w.hear(deadline + 60)
            results.append(answer["result"])
        end = max([r["last_at"] or t0 for r in results] + [t0 + 0.001])
        cpu = side.cpu() - cpu0
        helper1 = side.helper_cpu()
        helper_cpu = helper1 - helper0 if helper0 is not None and helper1 is not None else None
        rss_end = side.rss_kib()
        for w in workers:
            w.tell({"bye": True})
    finally:
        for w in workers:
            try:
                await asyncio.to_thread(w.process.wait, 30)
            except subprocess.TimeoutExpired:
                pass
            w.stop()
    connected = config.size if config.scenario != "join" else sum(
        1 for r in results for c in r["clients"] if c["connected"] and not c["observer"])
    rss_grown = (rss_ready if config.scenario != "join" else rss_end) - rss0
    summarise(run, config, results, t0, end, cpu, rss_grown / max(connected, 1), helper_cpu)
    return run


def summarise(run: Run, config: Config, results: list[dict[str, Any]], t0: float, end: float, cpu: float,
              rss_per: float, helper_cpu: float | None = None) -> None:
    ops = [op for r in results for op in r["ops"]]
    keys: dict[str, list[float]] = {}
    for r in results:
        for key, (count, last) in r["keys"].items():
            entry = keys.setdefault(key, [0, 0.0])
            entry[0] += count
            entry[1] = max(entry[1], last)
    receivers: dict[str, int] = {}
    for r in results:
        for c in r["clients"]:
            if not c["observer"]:
                receivers[c["room"]] = receivers.get(c["room"], 0) + 1
    answered = [op for op in ops if op["answered"] is not None and op["error"] is None]
    run.ack = [op["answered"] - op["sent"] for op in answered]
    for op in answered:
        entry = keys.get(op["key"] or "")
        if entry is None:
            continue
        presence = ":p:" in op["key"]
        if presence or entry[0] >= receivers.get(op["room"], 0):  # every participant of the room heard it
            run.fanout.append(entry[1] - op["sent"])
            run.fanned_all += 1
    sent = [op["sent"] for op in ops if op["sent"] is not None]
    # Convergence counts from the last operation that makes an event (a later ping makes none).
    last_sent = max((op["sent"] for op in ops if op["sent"] is not None and op["kind"] != "ping"), default=t0)
    clients = [c for r in results for c in r["clients"] if c["expect"] is not None]
    if config.quiet:  # converged when every event anybody heard reached every participant of its room
        events = {key: entry for key, entry in keys.items() if ":p:" not in key}  # presence is not the burst's
        complete = all(count >= receivers.get(key.split(":", 1)[0], 0) for key, (count, _) in events.items())
        arrivals = [last for _, last in events.values()]
        run.convergence = (max(arrivals, default=last_sent) - last_sent) if complete else None
    elif clients and all(c["done_at"] is not None for c in clients):
        run.convergence = max(c["done_at"] for c in clients) - last_sent
    elif not clients:
        run.convergence = max((op["answered"] for op in answered), default=last_sent) - last_sent
    if answered:
        span = max(op["answered"] for op in answered) - min(sent)
        run.ops_per_s = len(answered) / span if span > 0 else None
    span = end - t0
    frames, size, events = (sum(r[k] for r in results) for k in ("frames", "bytes", "events"))
    run.frames_per_s, run.bytes_per_s = frames / span, size / span
    run.cpu_per_event_us = cpu / events * 1e6 if events else None
    run.helper_cpu_per_event_us = helper_cpu / events * 1e6 if events and helper_cpu is not None else None
    run.cpu_busy = 100 * cpu / span
    run.rss_per_participant_kib = rss_per
    run.errors = sum(r["error_count"] for r in results)
    run.closes = sum(r["closes"] for r in results)
    run.lost = sum(1 for op in ops if op["answered"] is None and op["error"] is None)
    run.timed_out = any(r["timed_out"] for r in results)
    run.load_cpu = sum(r["cpu"] for r in results)
    samples = [e for r in results for e in r["errors"]][:5]
    if run.errors:
        run.problems.append(f"{run.errors} error frame(s), e.g. {samples}")
    if run.closes:
        codes: dict[str, int] = {}
        for r in results:
            for code, count in r.get("close_codes", {}).items():
                codes[code] = codes.get(code, 0) + count
        run.problems.append(f"{run.closes} unexpected close(s), by close code {codes}")
    if run.lost:
        run.problems.append(f"{run.lost} operation(s) never answered")
    if run.timed_out:
        run.problems.append("timed out")
    if run.convergence is None:
        run.problems.append("some participant did not hear everything" + unheard(results, keys, receivers))
    run.ok = not run.problems


def unheard(results: list[dict[str, Any]], keys: dict[str, list[float]], receivers: dict[str, int]) -> str:
    """Which participants fell short, on which server, and which events did not reach everyone."""
    short: dict[int, list[int]] = {}
    for r in results:
        for c in r["clients"]:
            if c["expect"] is not None and not c["observer"] and c["heard"] < c["expect"]:
                short.setdefault(int(c.get("server", 0)), []).append(c["expect"] - c["heard"])
    partial = sorted((key for key, (count, _) in keys.items()
                      if ":p:" not in key and count < receivers.get(key.split(":", 1)[0], 0)),
                     key=lambda k: int(k.rsplit(":", 1)[1]))
    by_server = ", ".join(f"{len(m)} on server {s} (missing {min(m)}-{max(m)} events each)"
                          for s, m in sorted(short.items()))
    events = ", ".join(f"seq {k.rsplit(':', 1)[1]} heard by {keys[k][0]}" for k in partial[:8])
    return f" ({by_server}; events not heard by all: {events or 'none'}"\
           f"{f' and {len(partial) - 8} more' if len(partial) > 8 else ''})" if short or partial else ""


# -- the sweep ---------------------------------------------------------------------------------


@dataclass
class Results:
    runs: dict[tuple[str, int, str], list[Run]] = field(default_factory=dict)
    unavailable: dict[tuple[str, int], str] = field(default_factory=dict)
    commits: dict[str, list[Commits]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def size_of(scenario: str, size: int, p: Params) -> int:
    if scenario == "rooms":
        return p.rooms[0] * p.rooms[1]
    if scenario == "writes":
        return p.writers[0]
    return size


async def sweep(essaim: Side, baseline: Side, p: Params, tmp: Path) -> Results:
    results = Results()
    for scenario in p.scenarios:
        sizes = p.sizes if scenario not in ("rooms", "writes") else (size_of(scenario, 0, p),)
        for size in sizes:
            for rep in range(p.repeat):
                for kind, server in (("baseline", baseline), ("essaim", essaim)):
                    if (scenario, size) in results.unavailable:
                        continue
                    tag = f"{scenario[:2]}{rep}{kind[0]}"
                    started = time.monotonic()
                    try:
                        config = await make_config(scenario, size, kind, p, server, tag)
                        run = await run_config(config, server, p, tmp)
                    except NotAvailable as exc:
                        results.unavailable[(scenario, size)] = str(exc)
                        continue
                    except (SetupFailed, OSError, TimeoutError, WebSocketException, KeyError) as exc:
                        run = Run(scenario, size, kind, problems=[f"setup failed: {exc!r:.500}"])
                    results.runs.setdefault((scenario, size, kind), []).append(run)
                    status = "ok" if run.ok else "FAILED: " + "; ".join(run.problems)
                    print(f"  {scenario:8} N={size:<5} {kind:8} #{rep + 1}: {time.monotonic() - started:5.1f} s,"
                          f" ack p99 {fmt_ms(pct(run.ack, .99))} ms, conv {fmt_ms(run.convergence)} ms,"
                          f" {fmt(run.cpu_per_event_us, '{:.1f}')} µs/event, {status}", file=sys.stderr, flush=True)
                    if not run.ok:
                        log = server.log()
                        results.failures.append(f"{scenario} N={size} {kind} #{rep + 1}: {'; '.join(run.problems)}"
                                                + (f"\n  server log (tail):\n    {log.strip()[-1500:]}" if log.strip()
                                                   else ""))
        if scenario == "writes":
            for rep in range(p.repeat):
                for label, batch in (("1/txn", 1), ("group", MAX_BATCH)):
                    done = await commits(tmp / f"raw-{label.replace('/', '')}-{rep}.sqlite3", "FULL",
                                         p.writers[0], p.writers[1], 1, batch)
                    results.commits.setdefault(label, []).append(done)
    return results


# -- the table ---------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float | None:
    """Nearest rank: an observed value, no interpolation."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(q * len(ordered) + 0.999999) - 1))]


def ms(x: float | None) -> float | None:
    return None if x is None else x * 1000


def fmt(x: float | None, spec: str) -> str:
    return "-" if x is None else spec.format(x)


def fmt_ms(x: float | None) -> str:
    return fmt(ms(x), "{:.0f}")


@dataclass(frozen=True)
class Figure:
    label: str
    value: Callable[[Run], float | None]
    spec: str


FIGURES = (
    Figure("ack p50, ms", lambda r: ms(pct(r.ack, .5)), "{:.1f}"),
    Figure("ack p99, ms", lambda r: ms(pct(r.ack, .99)), "{:.1f}"),
    Figure("fan-out p50, ms", lambda r: ms(pct(r.fanout, .5)), "{:.1f}"),
    Figure("fan-out p99, ms", lambda r: ms(pct(r.fanout, .99)), "{:.1f}"),
    Figure("converged after last op, ms", lambda r: ms(r.convergence), "{:,.0f}"),
    Figure("ops answered/s", lambda r: r.ops_per_s, "{:,.0f}"),
    Figure("frames sent/s", lambda r: r.frames_per_s, "{:,.0f}"),
    Figure("KiB sent/s", lambda r: r.bytes_per_s / 1024 if r.bytes_per_s is not None else None, "{:,.0f}"),
    Figure("server CPU, µs/delivered event", lambda r: r.cpu_per_event_us, "{:.1f}"),
    Figure("server CPU busy, % of a core", lambda r: r.cpu_busy, "{:.0f}"),
    Figure("PostgreSQL + Redis CPU, µs/delivered event", lambda r: r.helper_cpu_per_event_us, "{:.1f}"),
    Figure("RSS per participant, KiB", lambda r: r.rss_per_participant_kib, "{:.1f}"),
    Figure("load generators' CPU, s", lambda r: r.load_cpu, "{:.1f}"),
)


def median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None and v == v]
    return statistics.median(present) if present else None


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "-"
    r = a / b
    return f"{r:.2f}×" if r >= 0.095 else f"{r:.2g}×"


def table(results: Results, p: Params) -> list[str]:
    lines: list[str] = []
    for scenario in p.scenarios:
        sizes = p.sizes if scenario not in ("rooms", "writes") else (size_of(scenario, 0, p),)
        lines.append(f"## {scenario} — {TITLES[scenario]}")
        label = (lambda s: f"{p.rooms[0]}x{p.rooms[1]}") if scenario == "rooms" else (lambda s: f"N={s}")
        rows = [["figure (median of repeats)", *(f"{label(s)}: essaim / ws = ratio" for s in sizes)]]
        for fig in FIGURES:
            if fig.label.startswith("PostgreSQL") and p.layout == "sqlite":
                continue
            row = [fig.label]
            for s in sizes:
                if (scenario, s) in results.unavailable:
                    row.append("not available")
                    continue
                e = median([fig.value(r) for r in results.runs.get((scenario, s, "essaim"), [])])
                b = median([fig.value(r) for r in results.runs.get((scenario, s, "baseline"), [])])
                row.append(f"{fmt(e, fig.spec)} / {fmt(b, fig.spec)} = {ratio(e, b)}")
            rows.append(row)
        row = ["errors / closes / lost (sum)"]
        for s in sizes:
            if (scenario, s) in results.unavailable:
                row.append(results.unavailable[(scenario, s)])
                continue
            cells = []
            for kind in ("essaim", "baseline"):
                rs = results.runs.get((scenario, s, kind), [])
                failed = sum(1 for r in rs if not r.ok)
                cells.append(f"{sum(r.errors for r in rs)}/{sum(r.closes for r in rs)}/{sum(r.lost for r in rs)}"
                             + (f" ({failed} failed)" if failed else ""))
            row.append(" | ".join(cells))
        rows.append(row)
        lines += render(rows) + [""]
    if results.commits:
        essaim = median([r.ops_per_s for r in results.runs.get(("writes", p.writers[0], "essaim"), [])])
        rows = [[f"durable writes, {p.writers[0]} concurrent writers, synchronous=FULL", "ops/s", "Essaim ÷ it"]]
        rows.append(["Essaim: idea.add answered (validated, committed, fanned out)", fmt(essaim, "{:,.0f}"), ""])
        for label, name in (("1/txn", "raw sqlite3, one transaction per INSERT"),
                            ("group", "raw sqlite3, group commit")):
            raw = median([c.per_s for c in results.commits.get(label, [])])
            rows.append([name, fmt(raw, "{:,.0f}"), ratio(essaim, raw)])
        lines += render(rows) + [""]
    return lines


def render(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
           for row in rows]
    out.insert(1, "-" * len(out[0]))
    return out


# -- command line ------------------------------------------------------------------------------


def pair(text: str) -> tuple[int, int]:
    a, _, b = text.partition("x")
    return int(a), int(b)


def parse_args(argv: list[str] | None) -> Params:
    parser = argparse.ArgumentParser(prog="python -m bench.capacity", description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help=f"comma separated, from {SCENARIOS}")
    parser.add_argument("--sizes", default=SIZES, help=f"participants per room, comma separated ({SIZES})")
    parser.add_argument("--repeat", type=int, default=3, help="repeats per configuration (default 3)")
    parser.add_argument("--window", type=float, default=10.0, help="seconds a burst is spread over (default 10)")
    parser.add_argument("--drain", type=float, default=30.0, help="seconds after the window before a timeout")
    parser.add_argument("--procs", type=int, default=2, help="load-generator processes per run (default 2)")
    parser.add_argument("--rooms", type=pair, default=(20, 30), help="many rooms: ROOMSxPARTICIPANTS (20x30)")
    parser.add_argument("--writers", type=pair, default=(100, 20), help="durable writes: WRITERSxIDEAS (100x20)")
    parser.add_argument("--layout", choices=LAYOUTS, default="sqlite",
                        help="sqlite: one process (default); postgres: one process on a throwaway PostgreSQL;"
                             " redis2: --servers processes on one PostgreSQL with Redis fan-out")
    parser.add_argument("--servers", type=int, default=2, help="Essaim processes in the redis2 layout (default 2)")
    parser.add_argument("--quick", action="store_true",
                        help="CI smoke run: N=50 (unless --sizes), one repeat, 1 s windows")
    a = parser.parse_args(argv)
    if a.quick:
        a.repeat, a.window, a.drain, a.procs, a.writers = 1, 1.0, 15.0, 1, (10, 5)
        if a.sizes == SIZES:
            a.sizes = "50"
        if a.scenarios == ",".join(SCENARIOS):
            a.scenarios = QUICK
    scenarios = tuple(s for s in a.scenarios.split(",") if s)
    sizes = tuple(int(s) for s in a.sizes.split(",") if s)
    if not set(scenarios) <= set(SCENARIOS) or not sizes or min(sizes) < 1 or a.repeat < 1 or a.procs < 1:
        parser.error(f"scenarios from {SCENARIOS}, sizes >= 1, repeat >= 1, procs >= 1")
    if a.servers < 2 and a.layout == "redis2":
        parser.error("--servers: at least 2 processes share the room in the redis2 layout")
    return Params(scenarios, sizes, a.repeat, a.window, a.drain, a.procs, a.rooms, a.writers, a.layout, a.servers)


def main(argv: list[str] | None = None) -> int:
    p = parse_args(argv)
    started, load_before = time.monotonic(), os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="essaim-capacity-") as tmp_name:
        tmp = Path(tmp_name)
        # Production settings, but every simulated participant comes from 127.0.0.1, where a real
        # room comes from many addresses: the per-address cap would refuse the 1,001st socket.
        layout = Layout(p.layout, p.servers, tmp, {"ESSAIM_SQLITE_SYNCHRONOUS": "FULL",
                                                   "ESSAIM_MAX_CONNECTIONS_PER_ADDRESS": "0"})
        baseline = Baseline(tmp)
        try:
            essaim = layout.start()
            baseline.start()
            results = asyncio.run(sweep(essaim, Side([baseline]), p, tmp))
        except LayoutUnavailable as exc:
            print(f"FAILED: layout {p.layout} cannot run here: {exc}", file=sys.stderr)
            return 1
        except (SetupFailed, OSError, RuntimeError, TimeoutError) as exc:
            print(f"FAILED before measuring: {exc}", file=sys.stderr)
            return 1
        finally:
            described = layout.describe() if layout.servers else p.layout
            layout.stop()
            baseline.stop()
    print(f"Essaim capacity bench, layout {p.layout}: {described}; sizes {','.join(map(str, p.sizes))},"
          f" {p.repeat} repeat(s), {p.window:g} s windows, {p.procs} load-generator process(es);"
          f" cells are essaim / ws baseline = ratio, same run")
    print(f"python {platform.python_version()}, websockets {version('websockets')}, uvicorn {version('uvicorn')},"
          f" {os.cpu_count()} CPUs, load average {load_before:.2f} -> {os.getloadavg()[0]:.2f}\n")
    print("\n".join(table(results, p)))
    print(f"run took {time.monotonic() - started:.1f} s")
    if results.failures:
        print("\nFAILED:\n" + "\n".join(results.failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
