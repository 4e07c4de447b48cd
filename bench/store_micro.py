"""Micro-benchmark of the writer's hot path, against raw `sqlite3` measured in the same run.

    .venv/bin/python -m bench.store_micro [--participants 1000] [--ideas 1000] [--loops 2000]

A room of `--participants` people and `--ideas` ideas in a temporary WAL database
(synchronous=FULL, as served). Prints, for each `app.store` function the command path
calls, its cost per call and its ratio to the same SQL through a plain `sqlite3` cursor;
then a whole `idea.add` job through `Writer._commit` (savepoint, rules, event row) in
batches of 100, against one raw single-row INSERT per op in one group-commit transaction.
Only ratios in one run mean something on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app import auth, commands, db, protocol, store
from app.room_settings import RoomSettings
from app.timer import Timer


def _per_call(fn: Callable[[], Any], loops: int) -> float:
    fn()
    best = float("inf")
    for _ in range(3):  # the best of three: the machine is shared
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        best = min(best, (time.perf_counter() - start) / loops)
    return best


def _setup(path: Path, people: int, ideas: int) -> tuple[db.Writer, str, list[str], str, str]:
    engine = db.make_engine(db.sqlite_url(path), immediate=True)
    writer = db.Writer(engine)
    writer.migrate()
    now, room_id = time.time(), auth.new_room_id()
    prompt_id = auth.new_id()
    room = {"id": room_id, "title": "Bench", "template": "remue-meninges", "lang": "fr", "phase": "write",
            "seq": 0, "facilitator_version": 1, "author_key": auth.new_secret(), "code": "BENCH1",
            "settings": RoomSettings.load("{}").json(), "timer": json.dumps(Timer().dump()),
            "created_at": now, "updated_at": now}
    person_ids = [auth.new_id() for _ in range(people)]
    with engine.begin() as conn:
        store.insert_room(conn, room, [{"id": prompt_id, "room_id": room_id, "position": 0, "title": "Q"}])
        for pid in person_ids:
            store.insert_participant(conn, {"id": pid, "room_id": room_id, "public_id": auth.new_id(),
                                            "name": "P", "role": "participant", "removed": False,
                                            "created_at": now, "creator": False})
    for i in range(ideas):  # through the real command path, so the event rows are there too
        command = protocol.parse(json.dumps({"type": "idea.add", "op_id": auth.new_id(), "prompt": prompt_id,
                                             "text": f"idée {i}"}))
        with engine.begin() as conn:
            outcome = commands.run(conn, room_id, person_ids[i % people], command, time.time(), auth.new_id())
            assert isinstance(outcome, commands.Committed), outcome
    with engine.connect() as conn:
        idea_id = str(conn.execute(store.select(store.idea_t.c.id).limit(1)).scalar_one())
    return writer, room_id, person_ids, prompt_id, idea_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--ideas", type=int, default=1000)
    parser.add_argument("--loops", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        writer, room_id, people, prompt_id, idea_id = _setup(Path(tmp), args.participants, args.ideas)
        raw = sqlite3.connect(Path(tmp) / "essaim.sqlite3", isolation_level=None)
        raw.execute("PRAGMA synchronous=FULL")
        pid = people[0]
        cases: list[tuple[str, Callable[[Any], Any], str, tuple[Any, ...]]] = [
            ("recorded_op", lambda c: store.recorded_op(c, room_id, pid, "nope"),
             "SELECT payload FROM event WHERE room_id=? AND participant_id=? AND op_id=?", (room_id, pid, "nope")),
            ("room", lambda c: store.room(c, room_id), "SELECT * FROM room WHERE id=?", (room_id,)),
            ("participant", lambda c: store.participant(c, room_id, pid),
             "SELECT * FROM participant WHERE id=? AND room_id=?", (pid, room_id)),
            ("count_ideas(room)", lambda c: store.count_ideas(c, room_id),
             "SELECT count(*) FROM idea WHERE room_id=?", (room_id,)),
            ("count_ideas(author)", lambda c: store.count_ideas(c, room_id, pid),
             "SELECT count(*) FROM idea WHERE room_id=? AND author_id=?", (room_id, pid)),
            ("count_participants", lambda c: store.count_participants(c, room_id),
             "SELECT count(*) FROM participant WHERE room_id=?", (room_id,)),
            ("prompt_exists", lambda c: store.prompt_exists(c, room_id, prompt_id),
             "SELECT id FROM prompt WHERE id=? AND room_id=?", (prompt_id, room_id)),
            ("idea", lambda c: store.idea(c, room_id, idea_id), "SELECT * FROM idea WHERE id=? AND room_id=?",
             (idea_id, room_id)),
            ("vote_counts", lambda c: store.vote_counts(c, room_id, pid, idea_id),
             "SELECT count(*) FROM vote WHERE room_id=?", (room_id,)),
        ]
        print(f"room: {args.participants} participants, {args.ideas} ideas; best of 3 × {args.loops} calls")
        print(f"{'statement':<22}{'app.store µs':>14}{'raw sqlite3 µs':>16}{'ratio':>8}")
        with writer.engine.connect() as conn:
            for name, fn, sql, params in cases:
                ours = _per_call(lambda: fn(conn), args.loops)
                theirs = _per_call(lambda: raw.execute(sql, params).fetchall(), args.loops)
                print(f"{name:<22}{ours * 1e6:>14.1f}{theirs * 1e6:>16.1f}{ours / theirs:>8.1f}")
            conn.rollback()
        _whole_job(writer, raw, room_id, people, prompt_id)


BATCH, BATCHES = 100, 5


def _job_cost(writer: db.Writer, room_id: str, people: list[str], frame: Callable[[int], dict[str, Any]]) -> float:
    """Median µs per command of `frame(i)` committed through Writer._commit in batches of BATCH."""
    def job(i: int) -> db._Job[Any]:
        command = protocol.parse(json.dumps({**frame(i), "op_id": auth.new_id()}))
        who = people[(i + 1) % len(people)]
        run = (lambda conn: commands.run(conn, room_id, who, command, time.time(), auth.new_id()))
        return db._Job(run, None, None)  # type: ignore[arg-type]
    ours = []
    for b in range(BATCHES):
        jobs = [job(b * BATCH + i) for i in range(BATCH)]
        start = time.perf_counter()
        writer._commit(jobs)
        ours.append((time.perf_counter() - start) / BATCH)
        assert all(j.failed is None and isinstance(j.result, commands.Committed) for j in jobs), \
            [j.result for j in jobs][:3]
    return sorted(ours)[BATCHES // 2]


def _whole_job(writer: db.Writer, raw: sqlite3.Connection, room_id: str, people: list[str], prompt_id: str) -> None:
    """idea.add and vote.add through Writer._commit (savepoints, rules, event row) vs raw single-row
    group commit."""
    batch_size, batches = BATCH, BATCHES
    mine = _job_cost(writer, room_id, people, lambda i: {"type": "idea.add", "prompt": prompt_id,
                                                         "text": "une idée de plus"})
    with writer.engine.begin() as conn:  # then a vote, on the ideas already there, four dots each
        conn.execute(store.update(store.room_t).where(store.room_t.c.id == room_id).values(phase="vote"))
        ideas = [str(i) for i in conn.execute(store.select(store.idea_t.c.id).limit(BATCH * BATCHES)).scalars()]
    vote = _job_cost(writer, room_id, people, lambda i: {"type": "vote.add", "item": ideas[(i * 7) % len(ideas)]})
    raw.execute("CREATE TABLE IF NOT EXISTS bench_raw (id INTEGER PRIMARY KEY, body TEXT)")
    theirs = []
    for _ in range(batches):
        start = time.perf_counter()
        raw.execute("BEGIN IMMEDIATE")
        for _ in range(batch_size):
            raw.execute("INSERT INTO bench_raw (body) VALUES (?)", ("une idée de plus",))
        raw.execute("COMMIT")
        theirs.append((time.perf_counter() - start) / batch_size)
    base = sorted(theirs)[batches // 2]
    print(f"\nwhole jobs, batches of {batch_size} (median of {batches}):")
    print(f"  idea.add through Writer._commit: {mine * 1e6:.0f} µs/op ({1 / mine:,.0f} ops/s)")
    print(f"  vote.add through Writer._commit: {vote * 1e6:.0f} µs/op ({1 / vote:,.0f} ops/s), "
          f"{BATCH * BATCHES} dots in the room after")
    print(f"  raw sqlite3 group commit: {base * 1e6:.0f} µs/op ({1 / base:,.0f} ops/s)")
    print(f"  ratio raw/ours: idea.add {base / mine:.3f}×, vote.add {base / vote:.3f}×")


if __name__ == "__main__":
    main()
