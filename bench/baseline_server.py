"""The floor to measure Essaim against: a broadcast server made of `websockets` alone.

No persistence, no validation, no rooms, no auth: each message is parsed, turned
into an event shaped and sized like Essaim's `idea.added` (so both sides move the
same bytes), and broadcast at once to every connection, the sender's included.
It answers `hello` with a minimal snapshot so that the same clients can drive it.

    python -m bench.baseline_server --port 8765
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import signal
import time

from websockets.asyncio.server import ServerConnection, broadcast, serve

SNAPSHOT = '{"type":"snapshot","v":1,"seq":0,"prompts":[{"id":"prompt","title":"Idées"}],"ideas":[]}'


class Room:
    def __init__(self) -> None:
        self.connections: set[ServerConnection] = set()
        self.seq = 0

    async def handler(self, ws: ServerConnection) -> None:
        await ws.recv()  # the hello; whatever it says
        await ws.send(SNAPSHOT)
        self.connections.add(ws)
        try:
            async for message in ws:
                self.relay(message)
        finally:
            self.connections.discard(ws)

    def relay(self, message: str | bytes) -> None:
        frame = json.loads(message)
        self.seq += 1
        event = {"type": "idea.added", "idea": secrets.token_urlsafe(16), "prompt": frame.get("prompt"),
                 "author": secrets.token_urlsafe(9), "text": frame.get("text"), "colour": frame.get("colour"),
                 "at": time.time(), "seq": self.seq, "op_id": frame.get("op_id")}
        broadcast(self.connections, json.dumps(event, ensure_ascii=False, separators=(",", ":")))


async def main(port: int) -> None:
    room = Room()
    stop = asyncio.get_running_loop().create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set_result, None)
    # Essaim's limits: 64 KiB messages, no per-message compression.
    async with serve(room.handler, "127.0.0.1", port, compression=None, max_size=64 * 1024):
        print(f"ready on {port}", flush=True)
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(main(parser.parse_args().port))
