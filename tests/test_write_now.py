"""`ws._write_now` against uvicorn's own websockets-sansio protocol, in this process.

It rests on one fact about uvicorn: its send waits only for a paused transport, and waits
before it writes anything. If that changed, a frame `_write_now` reports as not sent could
still reach the page, and the sender would send it a second time. Here a client stops
reading until the server's buffers fill and the transport pauses; then it reads everything:
it must get exactly the frames reported as written, in order, and none of the others.
"""

from __future__ import annotations

import asyncio
import socket

import uvicorn
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket
from websockets.asyncio.client import connect

from app.ws import _write_now

FRAME = "x" * 4000


async def test_a_frame_the_paused_socket_cannot_take_is_reported_unwritten_and_never_arrives() -> None:
    written: asyncio.Future[list[tuple[int, bool]]] = asyncio.get_running_loop().create_future()

    async def flood(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.receive_text()  # the client is there and has stopped reading
        results: list[tuple[int, bool]] = []
        for i in range(50_000):  # no await in between: the tick's situation, outside the task
            results.append((i, _write_now(websocket, f"{i:06d}{FRAME}")))
            if sum(1 for _, ok in results if not ok) >= 3:
                break
        written.set_result(results)
        await websocket.send_text("end")  # waits for the transport to drain, as the sender does
        await websocket.receive_text()

    config = uvicorn.Config(Starlette(routes=[WebSocketRoute("/ws", flood)]), host="127.0.0.1", port=0,
                            ws="websockets-sansio", ws_per_message_deflate=False, log_level="warning",
                            lifespan="off")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", port))
    raw.setblocking(False)
    try:
        async with connect(f"ws://127.0.0.1:{port}/ws", sock=raw, compression=None, max_size=None,
                           max_queue=1, ping_interval=None) as client:
            await client.send("ready")
            results = await asyncio.wait_for(written, 30)
            received = []
            while (message := await asyncio.wait_for(client.recv(), 30)) != "end":
                received.append(int(message[:6]))
            await client.send("bye")
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)
    sent = [i for i, ok in results if ok]
    assert [ok for _, ok in results][-3:] == [False] * 3, "the transport never paused: nothing was tested"
    assert received == sent  # every frame reported written arrived once; no unwritten one did
