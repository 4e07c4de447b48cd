"""A TCP proxy that misbehaves on demand, to cut websockets the way networks do.

Browsers' offline modes do not close open websockets, and a server-side close is
too polite: a phone that loses its signal sends nothing at all. Modes:

- `pass`: forward bytes both ways, at once;
- `latency`: forward bytes both ways, each chunk `latency` seconds (0.3 by default) after
  it was read, still in order (a satellite link, a crowded mobile cell);
- `blackhole`: read and drop bytes both ways, never send a FIN (a dead Wi-Fi);
- `blackhole_down`: forward client -> server, drop server -> client (the reply is lost);
- `reset`: abort both sides with a TCP RST;
- `close_mid_frame`: let the next client -> server websocket data frame (text or binary;
  pings and pongs still pass) through only as far as its header and a few payload bytes,
  then end both sides with a FIN and forward nothing more (a phone that hangs up mid-send).
  It is for the links open when it is set: the ones opened afterwards pass, so the
  client's reconnection gets through.

`set_mode` applies to the links already open and to the ones opened afterwards.
A damaged link never heals: `set_mode("pass")` only lets new connections through,
as a flow a NAT has forgotten does not come back. `pass` and `latency` are not damage:
switching between them changes the delay of the open links too (bytes never overtake).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from typing import Literal

Mode = Literal["pass", "latency", "blackhole", "blackhole_down", "reset", "close_mid_frame"]
CHUNK = 64 * 1024
PARTIAL_PAYLOAD = 3  # payload bytes of the cut frame that still get through
# What a reading task queues for its writing twin after the bytes: its last word.
_EOF = "eof"  # the peer closed in order: pass the FIN on
_CUT = "cut"  # after the cut frame's first bytes: a FIN to both sides
_STOP = "stop"  # the reading ended on a dropping link: say nothing
Item = tuple[float, bytes | str]


class _ClientFrames:
    """Follows the client's bytes (the HTTP upgrade request, then masked websocket frames)
    to tell where each frame starts, so that a frame can be cut after its header."""

    def __init__(self) -> None:
        self.in_request = True
        self.head = b""  # the start of a frame header (or the request's end) not complete yet
        self.left = 0  # payload bytes of the current frame still to come

    def cut_point(self, data: bytes, cut: bool) -> int | None:
        """Follow `data`; with `cut`, the offset in `data` where a data frame must be cut, if one starts in it."""
        pos = 0
        while pos < len(data):
            if self.in_request:
                buf = self.head + data[pos:]
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    self.head, pos = buf[-3:], len(data)
                    continue
                pos += end + 4 - len(self.head)
                self.head, self.in_request = b"", False
            elif self.left:
                step = min(self.left, len(data) - pos)
                pos, self.left = pos + step, self.left - step
            else:
                buf = self.head + data[pos:]
                parsed = _frame_header(buf)
                if parsed is None:
                    self.head, pos = buf, len(data)
                    continue
                header_length, opcode, payload_length = parsed
                pos += header_length - len(self.head)
                self.head = b""
                if cut and opcode in (1, 2) and payload_length > 0:
                    # Never the whole payload: the frame must stay unfinished.
                    return min(len(data), pos + min(PARTIAL_PAYLOAD, payload_length - 1))
                self.left = payload_length
        return None


def _frame_header(buf: bytes) -> tuple[int, int, int] | None:
    """(header length with the mask, opcode, payload length) of the frame `buf` starts with, once complete."""
    if len(buf) < 2:
        return None
    opcode, masked, length = buf[0] & 0x0F, buf[1] & 0x80, buf[1] & 0x7F
    extra = {126: 2, 127: 8}.get(length, 0)
    header_length = 2 + extra + (4 if masked else 0)
    if len(buf) < header_length:
        return None
    if extra:
        length = int.from_bytes(buf[2:2 + extra], "big")
    return header_length, opcode, length


class Link:
    """One client connection and its upstream twin: a reading and a writing task each way,
    with a queue between them so that a delay holds bytes without holding the reading.
    `first`: what was already read from the client (by a proxy that sniffed it)."""

    def __init__(self, client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
                 upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter], latency: float,
                 first: bytes = b"") -> None:
        self.client_reader, self.client_writer = client
        self.upstream_reader, self.upstream_writer = upstream
        self.drop_up = False  # client -> server
        self.drop_down = False  # server -> client
        self.delay = 0.0
        self.latency = latency
        self.cut_next_frame = False
        self.cut = False  # close_mid_frame done: both sides got their FIN, nothing more passes
        self.frames = _ClientFrames()
        up: asyncio.Queue[Item] = asyncio.Queue()
        down: asyncio.Queue[Item] = asyncio.Queue()
        self.tasks = [asyncio.create_task(self._read(self.client_reader, up, up=True, first=first)),
                      asyncio.create_task(self._write(up, self.upstream_writer)),
                      asyncio.create_task(self._read(self.upstream_reader, down, up=False)),
                      asyncio.create_task(self._write(down, self.client_writer))]

    def apply(self, mode: Mode) -> None:
        if mode == "reset":
            self.reset()
            return
        if mode in ("pass", "latency"):
            self.delay = self.latency if mode == "latency" else 0.0
        self.cut_next_frame = self.cut_next_frame or mode == "close_mid_frame"
        # Once dropping, always dropping: the bytes already swallowed broke the stream.
        self.drop_up = self.drop_up or mode == "blackhole"
        self.drop_down = self.drop_down or mode in ("blackhole", "blackhole_down")

    def reset(self) -> None:
        for writer in (self.client_writer, self.upstream_writer):
            _abort_with_rst(writer)
        for task in self.tasks:
            task.cancel()

    def close(self) -> None:
        """End both sides now with a FIN (an orderly close of the TCP connections)."""
        for writer in (self.client_writer, self.upstream_writer):
            writer.close()
        for task in self.tasks:
            task.cancel()

    def _dropping(self, up: bool) -> bool:
        return self.cut or (self.drop_up if up else self.drop_down)

    async def _read(self, reader: asyncio.StreamReader, queue: asyncio.Queue[Item],
                    *, up: bool, first: bytes = b"") -> None:
        loop = asyncio.get_running_loop()
        try:
            if first:
                self._forward(first, queue, up)
            while data := await reader.read(CHUNK):
                self._forward(data, queue, up)
            # An orderly close is passed on as one, unless the link drops (a blackhole sends no FIN).
            queue.put_nowait((loop.time() + self.delay, _STOP if self._dropping(up) else _EOF))
        except (ConnectionError, OSError, RuntimeError):
            if self._dropping(up):  # a reset into a blackhole reaches nobody either
                queue.put_nowait((loop.time(), _STOP))
                return
            self.reset()

    def _forward(self, data: bytes, queue: asyncio.Queue[Item], up: bool) -> None:
        if self._dropping(up):
            return  # swallowed: no error, no FIN, nothing
        due = asyncio.get_running_loop().time() + self.delay
        cut_at = self.frames.cut_point(data, self.cut_next_frame) if up else None
        if cut_at is None:
            queue.put_nowait((due, data))
            return
        self.cut = True  # from now on both ways drop what they read
        queue.put_nowait((due, data[:cut_at]))
        queue.put_nowait((due, _CUT))

    async def _write(self, queue: asyncio.Queue[Item], writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                due, data = await queue.get()
                if (wait := due - loop.time()) > 0:
                    await asyncio.sleep(wait)
                if data == _CUT:
                    for side in (self.upstream_writer, self.client_writer):
                        if not side.is_closing():
                            side.write_eof()  # a FIN each way; the reading goes on, to let the peers close
                    continue  # until this way's reading ends
                if data == _STOP:
                    return
                if data == _EOF:
                    if not self.cut:  # after a cut, both FINs are already out
                        writer.write_eof()
                    return
                assert isinstance(data, bytes)
                if self.cut and writer is self.client_writer:
                    continue  # the cut came first: the client hears nothing after its FIN
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError, RuntimeError):
            self.reset()


def _abort_with_rst(writer: asyncio.StreamWriter) -> None:
    """Close with SO_LINGER 0, which makes the kernel send RST instead of FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class Proxy:
    def __init__(self, upstream_port: int, host: str = "127.0.0.1", latency: float = 0.3) -> None:
        self.host = host
        self.upstream_port = upstream_port
        self.latency = latency  # seconds each way in `latency` mode
        self.mode: Mode = "pass"
        self.port = 0
        self._links: set[Link] = set()
        self._handlers: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    @property
    def open_links(self) -> int:
        return len(self._links)

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
        # Each connection's handler ends before the loop may: a handler still running when
        # the test's loop closes is cancelled there, and asyncio logs that as an error.
        await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        assert handler is not None
        self._handlers.add(handler)
        try:
            await self._serve(reader, writer)
        finally:
            self._handlers.discard(handler)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode == "reset":
            _abort_with_rst(writer)
            return
        try:
            upstream = await asyncio.open_connection(self.host, self.upstream_port)
        except OSError:
            _abort_with_rst(writer)
            return
        link = Link((reader, writer), upstream, self.latency)
        link.apply("pass" if self.mode == "close_mid_frame" else self.mode)
        self._links.add(link)
        await asyncio.gather(*link.tasks, return_exceptions=True)
        self._links.discard(link)
        for side in (writer, upstream[1]):
            side.close()
