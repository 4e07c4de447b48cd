"""A TCP proxy in front of the server for one browser, able to cut its websockets.

Playwright's offline mode does not close open websockets, so the browser tests
put this proxy between a browser and the server and cut there. Each accepted
connection is sniffed once: a request carrying `Upgrade: websocket` is a socket
to the room; anything else is plain HTTP.

- `cut()` closes every websocket now and refuses new ones (accepted, then closed
  at once, as a dead network would look to the page) while plain HTTP still
  passes, so a page can be reloaded "offline" and keep running its own code.
- `cut(everything=True)` refuses plain HTTP too.
- `restore()` lets everything through again.
- `set_mode(mode)` makes the websockets misbehave as `proxy.Proxy`'s modes say (`latency`,
  `blackhole`, `close_mid_frame`, `reset`…), the open ones and the new ones; plain HTTP
  is not affected. `set_mode("pass")` lets new websockets through unharmed (a damaged
  one never heals).

The proxy runs its own event loop in a daemon thread; the tests stay synchronous.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .proxy import Link, Mode
from .server import free_port

_CHUNK = 64 * 1024
T = TypeVar("T")


@dataclass(eq=False)  # kept in a set by identity
class _Plain:
    """A plain HTTP connection: bytes pass both ways, untouched."""

    writers: list[asyncio.StreamWriter] = field(default_factory=list)


class BrowserProxy:
    def __init__(self, target_port: int, port: int | None = None, latency: float = 0.3) -> None:
        self.target_port = target_port
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.websockets_cut = False
        self.everything_cut = False
        self.websockets_opened = 0
        self.mode: Mode = "pass"
        self.latency = latency  # seconds each way in `latency` mode
        self._links: set[_Plain] = set()
        self._websockets: set[Link] = set()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="browser-proxy", daemon=True)

    # -- the test's side (any thread) ----------------------------------------------------

    def start(self) -> BrowserProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self._loop.close()

    def cut(self, everything: bool = False) -> None:
        """Close the open websockets (all connections with `everything`) and refuse new ones."""
        self._call(self._cut(everything))

    def restore(self) -> None:
        self._call(self._restore())

    def set_mode(self, mode: Mode) -> None:
        self._call(self._set_mode(mode))

    @property
    def open_websockets(self) -> int:
        return self._call(self._count_websockets())

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    # -- the loop's side ----------------------------------------------------------------

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def _shutdown(self) -> None:
        if self._server:
            self._server.close()
        for link in list(self._links):
            self._close(link)
        for websocket in list(self._websockets):
            websocket.close()

    async def _cut(self, everything: bool) -> None:
        self.websockets_cut = True
        self.everything_cut = everything
        for websocket in list(self._websockets):
            websocket.close()
        for link in list(self._links) if everything else []:
            self._close(link)

    async def _set_mode(self, mode: Mode) -> None:
        self.mode = mode
        for websocket in list(self._websockets):
            websocket.apply(mode)

    async def _restore(self) -> None:
        self.websockets_cut = False
        self.everything_cut = False

    async def _count_websockets(self) -> int:
        return len(self._websockets)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            first = await reader.read(_CHUNK)
        except ConnectionError:
            first = b""
        head = first.split(b"\r\n\r\n", 1)[0].lower()
        is_websocket = b"upgrade: websocket" in head
        if not first or self.everything_cut or (is_websocket and self.websockets_cut):
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        if is_websocket:
            await self._serve_websocket((reader, writer), (up_reader, up_writer), first)
            return
        link = _Plain([writer, up_writer])
        self._links.add(link)
        up_writer.write(first)
        await asyncio.gather(self._pipe(reader, up_writer, link), self._pipe(up_reader, writer, link))
        self._links.discard(link)

    async def _serve_websocket(self, client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
                               upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter], first: bytes) -> None:
        self.websockets_opened += 1
        websocket = Link(client, upstream, self.latency, first=first)
        # As `Proxy` does: a cut mid-frame is for the sockets open when it was asked for.
        websocket.apply("pass" if self.mode == "close_mid_frame" else self.mode)
        self._websockets.add(websocket)
        await asyncio.gather(*websocket.tasks, return_exceptions=True)
        self._websockets.discard(websocket)
        for side in (client[1], upstream[1]):
            side.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, link: _Plain) -> None:
        try:
            while data := await reader.read(_CHUNK):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._close(link)

    @staticmethod
    def _close(link: _Plain) -> None:
        for writer in link.writers:
            if not writer.is_closing():
                writer.close()

