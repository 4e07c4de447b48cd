"""A bug inside a command answers `server.error` to its sender; it never closes the socket 1011.

The failing rule is monkeypatched in: a real bug would behave the same way.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from app import commands
from app.service import Service
from tests.conftest import Room, op_id

SECRET = "texte-secret-7f3a"  # what the exception carries; no log line may repeat it


def failing_rule(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(f"rule broke on {SECRET}")


async def failing_execute(self: Service, *args: Any, **kwargs: Any) -> Any:
    raise KeyError(SECRET)


@pytest.mark.parametrize("where", ["a rule inside the write transaction", "the service itself"])
def test_a_failing_command_answers_server_error_and_the_socket_and_the_room_go_on(
        room: Room, where: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    alice, witness = room.connect(room.join("Alice")), room.connect(room.join("Témoin"))
    prompt = alice.first["prompts"][0]["id"]
    with monkeypatch.context() as patch:
        if where == "the service itself":
            patch.setattr(Service, "execute", failing_execute)
        else:
            patch.setattr(commands, "decide", failing_rule)
        sent = alice.command("idea.add", prompt=prompt, text=SECRET)
        reply = alice.receive()
        while reply.get("op_id") != sent["op_id"]:
            reply = alice.receive()
        assert (reply["type"], reply["code"], reply["op_id"]) == ("error", "server.error", sent["op_id"])
    # The socket is open, the same person goes on, nothing of the failed command was stored.
    alice.send({"type": "ping"})
    assert alice.receive_until("pong")["type"] == "pong"
    later = alice.command("idea.add", prompt=prompt, text="après la panne")
    added = alice.receive_until("idea.added")
    assert added["op_id"] == later["op_id"]
    assert witness.receive_until("idea.added")["text"] == "après la panne"
    fresh = room.connect(room.facilitator_token)
    assert [i["text"] for i in fresh.first["ideas"]] == ["après la panne"]
    # Logged, by type and place, never by content.
    logged = [r for r in caplog.records if r.name == "essaim.ws" and r.levelno >= logging.ERROR]
    assert logged and "idea.add" in logged[0].getMessage()
    assert all(SECRET not in r.getMessage() and not r.exc_info for r in logged)
    for socket in (alice, witness, fresh):
        socket.close()
