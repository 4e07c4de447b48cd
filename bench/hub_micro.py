"""Micro-benchmark of one tick of the hub (`RoomHub._flush`), against its floor in the same run.

    .venv/bin/python -m bench.hub_micro [--members 1000] [--frames 25]

A room of `--members` sockets (a few facilitators) and a tick of `--frames` events of
three kinds: everyone's (`idea.added`), private dots (`vote.changed`, full form for the
voter alone), private ideas (full form for the author and the facilitators). Prints the
cost of a tick per socket and its ratio to the floor: one batch built once and put into
every outbox, which is what a room where everyone sees the same thing costs.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from app.hub import FACILITATORS, ONLY, Batch, Frame, Member, RoomHub, _Room


def _room(members: int) -> _Room:
    room = _Room()
    for i in range(members):
        room.members.add(Member(f"p{i}", f"P{i}", author_tag=f"tag{i}", facilitator=i < 3))
    return room


def _frames(count: int, kind: str) -> list[Frame]:
    frames = []
    for seq in range(count):
        body = f'{{"type":"idea.added","seq":{seq},"text":"une idée assez courte"}}'
        if kind == "everyone":
            frames.append(Frame(seq, body))
        elif kind == "dots":  # the voter's own count, the others the totals
            frames.append(Frame(seq, body, f'{{"type":"vote.changed","seq":{seq}}}', f"{ONLY}tag{seq * 7 + 5}"))
        else:  # private writing: the author and the facilitators see it
            frames.append(Frame(seq, body, f'{{"type":"tally","seq":{seq}}}',
                                FACILITATORS if seq % 5 == 0 else f"tag{seq * 7 + 5}"))
    return frames


def _best(fn: object, loops: int) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(loops):
            fn()  # type: ignore[operator]
        best = min(best, (time.perf_counter() - start) / loops)
    return best


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--frames", type=int, default=25)
    parser.add_argument("--loops", type=int, default=50)
    args = parser.parse_args()
    room = _room(args.members)
    print(f"one tick: {args.members} sockets, {args.frames} events; best of 3 x {args.loops}")
    print(f"{'events':<12}{'_flush µs/socket':>18}{'floor µs/socket':>17}{'ratio':>8}")
    for kind in ("everyone", "dots", "private"):
        frames = _frames(args.frames, kind)

        def tick() -> None:
            room.pending = list(frames)
            RoomHub._flush(room)
            for member in room.members:
                member.outbox._batches.clear()
                member.outbox._frames = 0

        def floor() -> None:
            batch = Batch.of(tuple((frame.seq, frame.text) for frame in frames))
            for member in room.members:
                member.outbox.put(batch)
            for member in room.members:
                member.outbox._batches.clear()
                member.outbox._frames = 0
        ours, base = _best(tick, args.loops), _best(floor, args.loops)
        print(f"{kind:<12}{ours / args.members * 1e6:>18.2f}{base / args.members * 1e6:>17.2f}{ours / base:>8.1f}")


if __name__ == "__main__":
    asyncio.run(main())
