"""A TCP proxy that misbehaves on demand, to cut websockets the way networks do.

Browsers' offline modes do not close open websockets, and a server-side close is
too polite: a phone that loses its signal sends nothing at all. Modes:

- `pass`: forward bytes both ways;
- `blackhole`: read and drop bytes both ways, never send a FIN (a dead Wi-Fi);
- `blackhole_down`: forward client -> server, drop server -> client (the reply is lost);
- `reset`: abort both sides with a TCP RST.

`set_mode` applies to the links already open and to the ones opened afterwards.
A damaged link never heals: `set_mode("pass")` only lets new connections through,
as a flow a NAT has forgotten does not come back.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from typing import Literal

Mode = Literal["pass", "blackhole", "blackhole_down", "reset"]
CHUNK = 64 * 1024


class _Link:
    """One client connection and its upstream twin, pumped by two tasks."""

    def __init__(self, client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
                 upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter]) -> None:
        self.client_reader, self.client_writer = client
        self.upstream_reader, self.upstream_writer = upstream
        self.drop_up = False  # client -> server
        self.drop_down = False  # server -> client
        self.tasks = [asyncio.create_task(self._pump(self.client_reader, self.upstream_writer, up=True)),
                      asyncio.create_task(self._pump(self.upstream_reader, self.client_writer, up=False))]

    def apply(self, mode: Mode) -> None:
        if mode == "reset":
            self.reset()
            return
        # Once dropping, always dropping: the bytes already swallowed broke the stream.
        self.drop_up = self.drop_up or mode == "blackhole"
        self.drop_down = self.drop_down or mode in ("blackhole", "blackhole_down")

    def reset(self) -> None:
        for writer in (self.client_writer, self.upstream_writer):
            _abort_with_rst(writer)
        for task in self.tasks:
            task.cancel()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, up: bool) -> None:
        try:
            while data := await reader.read(CHUNK):
                if self.drop_up if up else self.drop_down:
                    continue  # swallowed: no error, no FIN, nothing
                writer.write(data)
                await writer.drain()
            if not (self.drop_up if up else self.drop_down):
                writer.write_eof()  # an orderly close is passed on as one
        except (ConnectionError, OSError, RuntimeError):
            _abort_with_rst(writer)


def _abort_with_rst(writer: asyncio.StreamWriter) -> None:
    """Close with SO_LINGER 0, which makes the kernel send RST instead of FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class Proxy:
    def __init__(self, upstream_port: int, host: str = "127.0.0.1") -> None:
        self.host = host
        self.upstream_port = upstream_port
        self.mode: Mode = "pass"
        self.port = 0
        self._links: set[_Link] = set()
        self._server: asyncio.Server | None = None

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    async def start(self) -> Proxy:
        self._server = await asyncio.start_server(self._accept, self.host, 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def set_mode(self, mode: Mode) -> None:
        self.mode = mode
        for link in list(self._links):
            link.apply(mode)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for link in list(self._links):
            link.reset()
        self._links.clear()
        if self._server is not None:
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode == "reset":
            _abort_with_rst(writer)
            return
        try:
            upstream = await asyncio.open_connection(self.host, self.upstream_port)
        except OSError:
            _abort_with_rst(writer)
            return
        link = _Link((reader, writer), upstream)
        link.apply(self.mode)
        self._links.add(link)
        await asyncio.gather(*link.tasks, return_exceptions=True)
        self._links.discard(link)
        for side in (writer, upstream[1]):
            side.close()
