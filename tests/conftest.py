"""Shared fixtures: an app on a fresh data folder, and clients that speak the protocol.

Every websocket of a test (`Socket.receive`, and a bare `TestClient.websocket_connect` too)
waits at most `RECEIVE_TIMEOUT_SECONDS` for a frame, then fails the test with `FrameTimeout`:
Starlette's test session would otherwise wait forever for a frame that never comes, and the
suite would hang instead of naming the test. That deadline is longer than any of the
server's own (hello 10 s, send 20 s), so a test that waits for one still sees it.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from starlette.testclient import TestClient, WebSocketTestSession
from starlette.types import Message
from starlette.websockets import WebSocketDisconnect

from app import settings as settings_module
from app.main import create_app

ORIGIN = "http://testserver"
_ops = itertools.count(1)
RECEIVE_TIMEOUT_SECONDS = float(os.environ.get("ESSAIM_TEST_RECEIVE_TIMEOUT", "30"))


class FrameTimeout(AssertionError):
    """No frame came on a test's websocket within RECEIVE_TIMEOUT_SECONDS."""


def _receive_within_deadline(self: WebSocketTestSession) -> Message:
    """`WebSocketTestSession.receive`, bounded: the same stream (a private attribute of Starlette's
    test session, hence tests/test_conftest.py), read under anyio's deadline."""
    async def within() -> Message:
        with anyio.fail_after(RECEIVE_TIMEOUT_SECONDS):
            return await self._send_rx.receive()
    try:
        return self.portal.call(within)
    except TimeoutError:
        raise FrameTimeout(f"no websocket frame within {RECEIVE_TIMEOUT_SECONDS:g} s") from None


WebSocketTestSession.receive = _receive_within_deadline  # type: ignore[method-assign]


def make_settings(data_dir: Path, **extra: str) -> settings_module.Settings:
    environ = {"ESSAIM_DATA_DIR": str(data_dir), "ESSAIM_PUBLIC_URL": ORIGIN, "ESSAIM_SQLITE_SYNCHRONOUS": "NORMAL", **extra}
    return settings_module.load(environ=environ, env_file=None)


# ESSAIM_TEST_POSTGRES=postgresql://…/postgres (set by .ci/test for a second run of the storage and
# websocket tests): each test then gets a database of its own on that server instead of SQLite.
POSTGRES = os.environ.get("ESSAIM_TEST_POSTGRES", "")
_databases = itertools.count(1)


def fresh_postgres_database() -> str:
    import psycopg

    name = f"essaim_test_{os.getpid()}_{next(_databases)}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    return POSTGRES.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def settings(tmp_path: Path) -> settings_module.Settings:
    if POSTGRES:
        return make_settings(tmp_path / "data", DATABASE_URL=fresh_postgres_database())
    return make_settings(tmp_path / "data")


def table_counts(app: Any, *tables: str) -> tuple[int, ...]:
    """Rows in these tables, read through the app's own engine: SQLite or PostgreSQL alike."""
    from sqlalchemy import text

    with app.state.essaim.service.reader.engine.connect() as db:
        return tuple(int(db.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()) for table in tables)


OPEN_SOCKETS: list[Socket] = []


@pytest.fixture
def client(settings: settings_module.Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url=ORIGIN) as test_client:
        yield test_client
        # A failed test may leave sockets open; the app would wait for them forever.
        while OPEN_SOCKETS:
            OPEN_SOCKETS.pop().close()


def op_id() -> str:
    return f"op-{next(_ops):08d}"


class Room:
    """A workshop created through the API, with helpers to join and connect."""

    def __init__(self, client: TestClient, template: str = "remue-meninges", title: str = "Atelier test",
                 phase: str = "write") -> None:
        self.client = client
        response = client.post("/api/rooms", json={"title": title, "template": template, "phase": phase})
        assert response.status_code == 201, response.text
        body = response.json()
        self.id: str = body["id"]
        self.facilitator_token: str = body["facilitator_token"]

    def set_phase(self, phase: str) -> None:
        facilitator = self.connect(self.facilitator_token)
        sent = facilitator.command("room.phase", phase=phase)
        while facilitator.receive().get("op_id") != sent["op_id"]:
            pass
        facilitator.close()

    def join(self, name: str = "Camille") -> str:
        response = self.client.post(f"/api/rooms/{self.id}/participants", json={"name": name})
        assert response.status_code == 201, response.text
        return str(response.json()["token"])

    def connect(self, token: str, since: int | None = None) -> Socket:
        ws = self.client.websocket_connect(
            f"/rooms/{self.id}/ws", headers={"origin": ORIGIN, "authorization": f"Bearer {token}"})
        socket = Socket(ws.__enter__(), ws)
        OPEN_SOCKETS.append(socket)
        socket.send({"type": "hello", "v": 1, "since": since})
        socket.first = socket.receive()
        return socket


class Socket:
    def __init__(self, session: WebSocketTestSession, context: Any) -> None:
        self.session = session
        self._context = context
        self.first: dict[str, Any] = {}
        self.pending: list[dict[str, Any]] = []
        self.closed = False

    def send(self, frame: dict[str, Any]) -> None:
        self.session.send_text(json.dumps(frame))

    def receive(self) -> dict[str, Any]:
        if self.pending:
            return self.pending.pop(0)
        data = json.loads(self.session.receive_text())
        if isinstance(data, list):
            self.pending.extend(data[1:])
            return data[0]
        return data

    def receive_until(self, frame_type: str, skip: tuple[str, ...] = ("presence.joined", "presence.left", "done.changed")) -> dict[str, Any]:
        """The next frame of `frame_type`, passing over ephemeral noise only."""
        while True:
            frame = self.receive()
            if frame["type"] == frame_type:
                return frame
            assert frame["type"] in skip, f"expected {frame_type}, got {frame}"

    def command(self, frame_type: str, **fields: Any) -> dict[str, Any]:
        frame = {"type": frame_type, "op_id": op_id(), **fields}
        self.send(frame)
        return frame

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self._context.__exit__(None, None, None)
        except (concurrent.futures.CancelledError, WebSocketDisconnect):
            # TestClient cancels the app task right after sending the close; if the
            # handler is still cleaning up (presence), the harness reports that as a
            # cancellation. A real server lets the handler finish (see test_server.py).
            pass


@pytest.fixture
def room(client: TestClient) -> Room:
    return Room(client)
