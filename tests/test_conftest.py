"""The test harness itself: a missing frame fails the test instead of hanging the suite."""

from __future__ import annotations

import time

import pytest

from tests import conftest
from tests.conftest import FrameTimeout, Room


def test_a_frame_that_never_comes_fails_the_test(room: Room, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "RECEIVE_TIMEOUT_SECONDS", 0.5)
    socket = room.connect(room.join("Alice"))  # the snapshot comes at once: the deadline lets it through
    assert socket.first["type"] == "snapshot"
    started = time.monotonic()
    with pytest.raises(FrameTimeout, match="no websocket frame within 0.5 s"):
        while True:  # her own arrival, then nothing more is coming
            socket.receive()
    assert time.monotonic() - started < 5
    socket.send({"type": "ping"})  # the socket still works after a timeout
    assert socket.receive() == {"type": "pong"}
    socket.close()
