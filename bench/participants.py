"""One load-generator process: simulated participants over real websockets.

    python -m bench.participants   (started by bench/capacity.py; a plan on stdin)

Protocol with the parent, one JSON line each way at every step:
  stdin  <- the plan (the servers, rooms, this process's participants and their operations;
            each participant names the server it joins and connects to)
  stdout -> {"ready": ...} once every participant has joined and holds its snapshot
            (for the join storm: once the observers are connected)
  stdin  <- {"go": t0}   a `time.monotonic()` instant (CLOCK_MONOTONIC: the same clock in
                         every process of the machine), a little in the future
  stdout -> {"result": ...} when every operation is answered and every participant has
            heard what it must, or the deadline passed.

Every participant reads and parses every frame (a JSON object, or an array of them),
as a browser tab does: a reader that falls behind slows its server down, and a benchmark
that skipped reading would measure a server nobody runs. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.typing import Origin

Frame = dict[str, Any]
SETUP_CONCURRENCY = 16  # joins and connections in flight per process during setup
QUIET_SECONDS = 1.5  # when the events to expect are not known: all answered, then this long with nothing new
ERROR_SAMPLES = 5
SEQLESS = ("snapshot", "catchup", "resync")


@dataclass
class Op:
    op_id: str | None  # None: a join (answered by the snapshot) or a ping (answered by the pong)
    kind: str  # join, idea.add, idea.edit, idea.delete, vote.add, ping
    at: float  # seconds after t0 at which to send it
    item: str | None = None  # vote.add: the idea voted for
    sent: float | None = None
    answered: float | None = None
    key: str | None = None  # the event whose fan-out this op is measured by
    error: str | None = None


@dataclass
class Tally:
    """What this process saw, shared by its participants."""

    keys: dict[str, list[float]] = field(default_factory=dict)  # event key -> [receivers, last arrival]
    events: int = 0  # event objects received, arrays unpacked
    frames: int = 0  # websocket messages received
    bytes: int = 0
    first_at: float | None = None
    last_at: float | None = None
    errors: list[Frame] = field(default_factory=list)
    error_count: int = 0
    closes: int = 0
    close_codes: dict[str, int] = field(default_factory=dict)  # why the unexpected closes happened
    last_news: float = 0.0  # when a new event key was last heard

    def heard(self, key: str, now: float) -> None:
        entry = self.keys.get(key)
        if entry is None:
            self.keys[key] = [1, now]
            self.last_news = now
        else:
            entry[0] += 1
            entry[1] = now

    def error(self, frame: Frame) -> None:
        self.error_count += 1
        if len(self.errors) < ERROR_SAMPLES:
            self.errors.append(frame)


class Participant:
    def __init__(self, plan: dict[str, Any], room: dict[str, Any], index: int, tally: Tally,
                 ops: list[Op], expect: int | None, observer: bool = False, token: str | None = None,
                 server: int = 0) -> None:
        self.plan, self.room, self.index, self.tally = plan, room, index, tally
        self.server: dict[str, str] = plan["servers"][server]  # http, ws, origin
        self.ops, self.expect, self.observer, self.token = ops, expect, observer, token
        self.name = "observer" if observer else f"Bench {index}"
        self.ws: ClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None
        self.snapshot: Frame = {}
        self.public_id = ""
        self.heard = 0  # seq'd events (or, for an observer of a join storm, arrivals) heard
        self.done_at: float | None = None
        self.pending: dict[str, Op] = {}
        self.ping: Op | None = None
        self.own_ideas: list[str] = []
        self.answered = asyncio.Event()
        self.closing = False

    # -- joining ---------------------------------------------------------------------------

    async def join(self) -> None:
        """Become a participant (Essaim: through the JSON API), connect, say hello, read the state."""
        if self.plan["kind"] == "essaim" and self.token is None:
            answer = await post_json(self.server["http"], f"/api/rooms/{self.room['id']}/participants",
                                     {"name": self.name})
            self.token = str(answer["token"])
        url = self.server["ws"] + self.room["ws"] + (f"?name={quote(self.name)}" if self.plan["kind"] == "baseline"
                                                     else "")
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else None
        self.ws = await connect(url, origin=Origin(self.server["origin"]), compression=None, proxy=None,
                                open_timeout=self.plan["connect_timeout"], additional_headers=headers,
                                max_size=None, ping_interval=None)
        await self.ws.send('{"type":"hello","v":1}')
        first = json.loads(await asyncio.wait_for(self.ws.recv(), self.plan["connect_timeout"]))
        if first.get("type") != "snapshot":
            raise RuntimeError(f"expected a snapshot, got {first!r:.300}")
        self.snapshot = first
        self.public_id = str(first.get("me", {}).get("id", ""))
        self.reader = asyncio.create_task(self._read())

    # -- reading ----------------------------------------------------------------------------

    async def _read(self) -> None:
        assert self.ws is not None
        tally = self.tally
        try:
            while True:
                message = await self.ws.recv(decode=False)
                now = time.monotonic()
                tally.frames += 1
                tally.bytes += len(message)
                if tally.first_at is None:
                    tally.first_at = now
                tally.last_at = now
                data = json.loads(message)
                for frame in data if isinstance(data, list) else (data,):
                    self._file(frame, now)
        except ConnectionClosed as exc:
            if not self.closing:
                code = str(exc.rcvd.code) if exc.rcvd is not None else "no close frame"
                tally.close_codes[code] = tally.close_codes.get(code, 0) + 1
        if not self.closing:
            tally.closes += 1
            self.answered.set()

    def _file(self, frame: Frame, now: float) -> None:
        tally = self.tally
        tally.events += 1
        kind = frame.get("type")
        seq = frame.get("seq")
        if isinstance(seq, int) and kind not in SEQLESS and seq > int(self.snapshot.get("seq", 0)):
            tally.heard(f"{self.room['id']}:{seq}", now)
            self._count(now)
        elif kind == "presence.joined":
            tally.heard(f"{self.room['id']}:p:{frame.get('id')}", now)
            if self.observer:
                self._count(now)
        op_id = frame.get("op_id")
        op = self.pending.pop(op_id, None) if isinstance(op_id, str) else None
        if op is None and kind == "pong" and self.ping is not None:
            op, self.ping = self.ping, None
        if op is not None:
            op.answered = now
            if isinstance(seq, int):
                op.key = f"{self.room['id']}:{seq}"
            if kind == "idea.added" and isinstance(frame.get("idea"), str):
                self.own_ideas.append(frame["idea"])
            self.answered.set()
        if kind == "error":
            if op is not None:
                op.error = str(frame.get("code"))
            tally.error(frame)

    def _count(self, now: float) -> None:
        self.heard += 1
        if self.expect is not None and self.heard >= self.expect and self.done_at is None:
            self.done_at = now

    # -- writing ----------------------------------------------------------------------------

    async def run(self, t0: float, chained: bool) -> None:
        """Send each op at its time; `chained`: each op waits for the answer to the previous one."""
        for op in self.ops:
            delay = t0 + op.at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if op.kind == "join":
                op.sent = time.monotonic()
                try:
                    await self.join()
                except (OSError, WebSocketException, RuntimeError, TimeoutError, KeyError, ValueError) as exc:
                    op.error = f"join failed: {exc!r:.200}"
                    self.tally.error({"type": "error", "code": "bench.join_failed", "detail": op.error})
                    return
                op.answered = time.monotonic()
                op.key = f"{self.room['id']}:p:{self.public_id}"
                continue
            frame = self._frame(op)
            if self.ws is None or (self.reader is not None and self.reader.done()):
                return
            op.sent = time.monotonic()
            if op.op_id is None:
                self.ping = op
            else:
                self.pending[op.op_id] = op
            try:
                await self.ws.send(json.dumps(frame, ensure_ascii=False))
            except ConnectionClosed:
                return
            if chained:
                while op.answered is None and not (self.reader is not None and self.reader.done()):
                    self.answered.clear()
                    await self.answered.wait()

    def _frame(self, op: Op) -> Frame:
        prompt = str(self.snapshot.get("prompts", [{}])[0].get("id", ""))
        if op.kind == "idea.edit" and self.own_ideas:
            return {"type": "idea.edit", "op_id": op.op_id, "idea": self.own_ideas[-1],
                    "text": f"idée revue par {self.name}"}
        if op.kind == "idea.delete" and self.own_ideas:
            return {"type": "idea.delete", "op_id": op.op_id, "idea": self.own_ideas.pop()}
        if op.kind == "vote.add":
            return {"type": "vote.add", "op_id": op.op_id, "item": op.item}
        if op.kind == "ping":
            return {"type": "ping"}
        op.kind = "idea.add"  # an edit or a delete with no idea of one's own yet becomes an add
        return {"type": "idea.add", "op_id": op.op_id, "prompt": prompt,
                "text": f"idée {op.op_id[-6:]} de {self.name}", "colour": "yellow"}

    def settled(self) -> bool:
        ops_done = all(op.answered is not None or op.error is not None for op in self.ops)
        return ops_done and (self.expect is None or self.done_at is not None)

    async def close(self) -> None:
        self.closing = True
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)


async def post_json(base: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """A bare HTTP/1.1 POST on asyncio streams: no thread per request, no client library."""
    url = urlsplit(base)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    try:
        data = json.dumps(body).encode()
        writer.write(f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data)
        await writer.drain()
        raw = await reader.read()
    finally:
        writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if status >= 300:
        raise RuntimeError(f"POST {path}: HTTP {status} {payload[:200]!r}")
    return dict(json.loads(payload))


# -- one process's run ---------------------------------------------------------------------


def build(plan: dict[str, Any], tally: Tally) -> list[Participant]:
    people: list[Participant] = []
    for room in plan["rooms"]:
        for spec in room["participants"]:
            ops = [Op(o.get("op_id"), o["kind"], float(o["at"]), o.get("item")) for o in spec["ops"]]
            people.append(Participant(plan, room, int(spec["index"]), tally, ops, room.get("expect"),
                                      server=int(spec.get("server", 0))))
        if room.get("observer_token") is not None or (room.get("observer") and plan["kind"] == "baseline"):
            people.append(Participant(plan, room, -1, tally, [], room.get("observer_expect"), observer=True,
                                      token=room.get("observer_token")))
    return people


async def setup(plan: dict[str, Any], people: list[Participant]) -> None:
    limit = asyncio.Semaphore(SETUP_CONCURRENCY)
    storm = plan["scenario"] == "join"

    async def one(p: Participant) -> None:
        async with limit:
            await p.join()

    # In a join storm only the observers are there beforehand; the rest is what is measured.
    await asyncio.wait_for(asyncio.gather(*(one(p) for p in people if p.observer or not storm)),
                           plan["setup_timeout"])


async def measure(plan: dict[str, Any], people: list[Participant], tally: Tally, t0: float) -> bool:
    runs = [asyncio.create_task(p.run(t0, plan.get("chained", False))) for p in people]
    deadline = t0 + plan["deadline"]
    timed_out = True
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        # Quiet mode: the events to expect are unknown, so "settled" says nothing until all is quiet.
        if not plan.get("quiet") and all(r.done() for r in runs) and all(p.settled() for p in people):
            timed_out = False
            break
        if plan.get("quiet") and all(r.done() for r in runs) and all(
                op.answered is not None or op.error is not None for p in people for op in p.ops) \
                and time.monotonic() - max(tally.last_news, t0) > QUIET_SECONDS:
            timed_out = False
            break
    for r in runs:
        r.cancel()
    await asyncio.gather(*runs, return_exceptions=True)
    return timed_out


def report(people: list[Participant], tally: Tally, timed_out: bool, cpu: float) -> dict[str, Any]:
    ops = [{"room": p.room["id"], "kind": op.kind, "sent": op.sent, "answered": op.answered, "key": op.key,
            "error": op.error} for p in people for op in p.ops]
    clients = [{"room": p.room["id"], "server": p.plan["servers"].index(p.server), "observer": p.observer,
                "expect": p.expect, "heard": p.heard,
                "done_at": p.done_at, "connected": p.ws is not None} for p in people]
    return {"ops": ops, "clients": clients, "keys": tally.keys, "events": tally.events, "frames": tally.frames,
            "bytes": tally.bytes, "first_at": tally.first_at, "last_at": tally.last_at, "errors": tally.errors,
            "error_count": tally.error_count, "closes": tally.closes,
            "close_codes": tally.close_codes, "timed_out": timed_out, "cpu": cpu}


def say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def main() -> None:
    loop = asyncio.get_running_loop()
    plan = json.loads(await loop.run_in_executor(None, sys.stdin.readline))
    tally = Tally()
    people = build(plan, tally)
    try:
        await setup(plan, people)
    except (OSError, WebSocketException, RuntimeError, TimeoutError, KeyError, ValueError) as exc:
        say({"failed": f"setup: {exc!r:.500}"})
        await asyncio.gather(*(p.close() for p in people), return_exceptions=True)
        return
    say({"ready": len(people)})
    line = await asyncio.wait_for(loop.run_in_executor(None, sys.stdin.readline), plan["setup_timeout"] * 4)
    t0 = float(json.loads(line)["go"])
    # What setup brought (the arrivals of the other processes' participants too) is not measured.
    tally.events = tally.frames = tally.bytes = 0
    tally.keys.clear()
    tally.first_at = tally.last_at = None
    for p in people:
        p.heard, p.done_at = 0, None
    cpu0 = cpu_seconds()
    timed_out = await measure(plan, people, tally, t0)
    cpu = cpu_seconds() - cpu0
    say({"result": report(people, tally, timed_out, cpu)})
    # Stay connected until the parent has read the server's memory, then leave.
    await asyncio.wait_for(loop.run_in_executor(None, sys.stdin.readline), 60)
    await asyncio.gather(*(p.close() for p in people), return_exceptions=True)


if __name__ == "__main__":
    asyncio.run(main())
