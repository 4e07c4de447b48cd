"""The floor to measure Essaim against: a broadcast server made of `websockets` alone.

No persistence, no validation, no auth: each command is parsed, turned into an event
shaped and sized like the one Essaim would send (`idea.add` -> `idea.added`, `vote.add`
-> `vote.changed`, ...), numbered, and broadcast at once with `websockets.broadcast` to
every connection of the same room (the URL path), the sender's included. A `hello` gets
a minimal snapshot and the others hear `presence.joined`; a `ping` gets a `pong`.
So the same load-generator clients drive it and Essaim, and both move the same frames.

    python -m bench.baseline_server --port 8765
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import signal
import time
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, broadcast, serve

EVENT_TYPES = {"idea.add": "idea.added", "idea.edit": "idea.edited", "idea.delete": "idea.deleted",
               "vote.add": "vote.changed"}


def dumps(frame: dict[str, object]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


class Room:
    def __init__(self) -> None:
        self.connections: set[ServerConnection] = set()
        self.seq = 0

    def event(self, command: dict[str, object]) -> str:
        self.seq += 1
        kind = EVENT_TYPES.get(str(command.get("type")), "event")
        event: dict[str, object] = {"type": kind, "seq": self.seq, "op_id": command.get("op_id")}
        if kind == "vote.changed":
            event.update(item=command.get("item"), count=1, voter=secrets.token_urlsafe(9))
        else:
            event.update(idea=command.get("idea") or secrets.token_urlsafe(16), prompt=command.get("prompt"),
                         author=secrets.token_urlsafe(9), text=command.get("text"), colour=command.get("colour"),
                         at=time.time())
        return dumps(event)


class Baseline:
    def __init__(self) -> None:
        self.rooms: dict[str, Room] = {}

    async def handler(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        url = urlsplit(ws.request.path)
        room = self.rooms.setdefault(url.path, Room())
        name = parse_qs(url.query).get("name", ["?"])[0]
        me = secrets.token_urlsafe(16)
        await ws.recv()  # the hello; whatever it says
        await ws.send(dumps({"type": "snapshot", "v": 1, "seq": room.seq, "prompts": [{"id": "prompt", "title": "Idées"}],
                             "ideas": [], "me": {"id": me, "name": name, "role": "participant"}}))
        broadcast(room.connections, dumps({"type": "presence.joined", "id": me, "name": name}))
        room.connections.add(ws)
        try:
            async for message in ws:
                command = json.loads(message)
                if command.get("type") == "ping":
                    await ws.send('{"type":"pong"}')
                else:
                    broadcast(room.connections, room.event(command))
        finally:
            room.connections.discard(ws)


async def main(port: int) -> None:
    server = Baseline()
    stop = asyncio.get_running_loop().create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set_result, None)
    # Essaim's limits: 64 KiB messages, no per-message compression.
    async with serve(server.handler, "127.0.0.1", port, compression=None, max_size=64 * 1024):
        print(f"ready on {port}", flush=True)
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(main(parser.parse_args().port))
