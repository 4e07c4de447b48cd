from __future__ import annotations

from tests.conftest import Room


def test_two_clients_see_an_idea(room: Room) -> None:
    alice = room.connect(room.join("Alice"))
    bob = room.connect(room.join("Bob"))
    assert alice.first["type"] == "snapshot"
    prompt = alice.first["prompts"][0]["id"]
    sent = alice.command("idea.add", prompt=prompt, text="Un pique-nique géant")
    got = bob.receive_until("idea.added")
    assert got["text"] == "Un pique-nique géant" and got["op_id"] == sent["op_id"] and got["seq"] == 1
    mine = alice.receive_until("idea.added")
    assert mine["op_id"] == sent["op_id"]
    alice.close()
    bob.close()
