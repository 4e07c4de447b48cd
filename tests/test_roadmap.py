"""The roadmap: actions from clusters, ordered by their votes, edited live, undone, kept to facilitators by default."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from app import roadmap
from app.domain import Actor, RoomFacts
from app.errors import Rejection
from app.protocol import ActionAdd
from app.room_settings import RoomSettings
from tests.conftest import Room
from tests.test_facilitation import expect_error, expect_ok
from tests.test_ws_grouping_voting import next_of, snapshot

FAC = Actor("f", "tag-f", "facilitator")


def action(title: str, position: float, source: str | None = None) -> roadmap.Action:
    return roadmap.Action(title, "", (), (), "", None, "todo", "cluster" if source else None, source, position)


def add(board: roadmap.Board, **fields: Any) -> roadmap.Action | Rejection:
    cmd = ActionAdd(type="action.add", op_id="op-000001", **{"title": "Nouvelle", **fields})
    event = roadmap.add(cmd, FAC, RoomFacts("roadmap", 0, RoomSettings()), board, "new")
    return event if isinstance(event, Rejection) else event.state


def test_a_new_action_goes_before_the_first_with_fewer_votes() -> None:
    board = roadmap.Board({"a": action("A", 1.0, "c7"), "b": action("B", 2.0, "c2"), "z": action("Z", 3.0)},
                          {"c7": 7, "c2": 2, "c5": 5}, frozenset({"c7", "c2", "c5"}))
    placed = add(board, source={"kind": "cluster", "id": "c5"})
    assert isinstance(placed, roadmap.Action) and 1.0 < placed.position < 2.0
    last = add(board)
    assert isinstance(last, roadmap.Action) and last.position > 3.0
    assert add(board, source={"kind": "cluster", "id": "gone"}) == Rejection("action.source_not_found")


def test_texts_are_cleaned_and_blank_people_dropped() -> None:
    board = roadmap.Board({}, {}, frozenset())
    placed = add(board, title="  Fête\u202e ", owners=["Mairie", "  ", "Asso\u200b"], description="  ")
    assert isinstance(placed, roadmap.Action)
    assert (placed.title, placed.owners, placed.description) == ("Fête", ("Mairie", "Asso"), "")
    assert add(board, title="x" * 300) == Rejection("text.too_long", {"field": "title", "max": 200})


@pytest.fixture
def planned(client: TestClient) -> Any:
    room = Room(client, phase="write")
    fac = room.connect(room.facilitator_token)
    alice = room.connect(room.join("Alice"))
    prompt = alice.first["prompts"][0]["id"]
    ideas = [expect_ok(alice, "idea.add", prompt=prompt, text=f"Idée {n}")["idea"] for n in range(3)]
    expect_ok(fac, "room.phase", phase="group")
    cluster = expect_ok(fac, "cluster.create", ideas=ideas[:2], title="Fêtes")["clusters"][0]["cluster"]
    expect_ok(fac, "room.phase", phase="vote")
    for _ in range(2):
        expect_ok(alice, "vote.add", item=cluster)
    expect_ok(fac, "room.phase", phase="roadmap")
    yield room, fac, alice, cluster, ideas
    fac.close()
    alice.close()


def test_actions_are_written_live_and_kept_in_the_snapshot(planned: Any) -> None:
    room, fac, alice, cluster, ideas = planned
    lone = expect_ok(fac, "action.add", title="Sans origine")
    made = expect_ok(fac, "action.add", title="Une fête de quartier", source={"kind": "cluster", "id": cluster},
                     owners=["Mairie"], partners=["Centre social"], horizon="6m", due="2027-06-21")
    assert next_of(alice, "action.changed")["action"] == lone["action"]
    assert next_of(alice, "action.changed") == made
    assert made["state"]["position"] < lone["state"]["position"]  # 2 dots before none
    edited = expect_ok(fac, "action.edit", action=made["action"], status="doing", clear_due=True)
    assert (edited["state"]["status"], edited["state"]["due"], edited["state"]["owners"]) == ("doing", None, ["Mairie"])
    expect_ok(fac, "action.move", action=made["action"])
    bob = room.connect(room.join("Bob"))
    assert [a["title"] for a in bob.first["actions"]] == ["Sans origine", "Une fête de quartier"]
    expect_ok(fac, "action.delete", action=lone["action"])
    assert [a["title"] for a in snapshot(bob)["actions"]] == ["Une fête de quartier"]
    bob.close()


def test_the_roadmap_is_for_facilitators_unless_the_room_opens_it(planned: Any) -> None:
    room, fac, alice, cluster, ideas = planned
    assert expect_error(alice, "action.add", title="Moi aussi") == "roadmap.facilitators_only"
    expect_ok(fac, "room.configure", roadmap="everyone")
    expect_ok(alice, "action.add", title="Moi aussi")
    expect_ok(fac, "room.phase", phase="closed")
    assert expect_error(fac, "action.add", title="Trop tard") == "phase.forbidden"


def test_undo_goes_back_one_change_at_a_time_and_never_over_someone_else(planned: Any) -> None:
    room, fac, alice, cluster, ideas = planned
    expect_ok(fac, "room.configure", roadmap="everyone")
    made = expect_ok(alice, "action.add", title="Brouillon")
    expect_ok(alice, "action.edit", action=made["action"], title="Version 2")
    assert expect_ok(alice, "action.undo")["state"]["title"] == "Brouillon"
    expect_ok(fac, "action.edit", action=made["action"], status="done")  # someone else changes it
    assert expect_error(alice, "action.undo") == "undo.conflict"
    deleted = expect_ok(fac, "action.delete", action=made["action"])
    assert expect_ok(fac, "action.undo")["state"]["status"] == "done"  # the delete undone: it is back
    assert deleted["state"] is None
    before = snapshot(fac)["actions"]
    assert expect_ok(fac, "group.undo")["type"] == "group.changed"  # grouping's undo is another stack
    assert snapshot(fac)["actions"] == before


@pytest.mark.parametrize("fields, code", [
    ({"title": ""}, "text.empty"), ({"title": "x", "owners": ["y" * 200]}, "text.too_long"),
    ({"title": "x", "source": {"kind": "idea", "id": "nope"}}, "action.source_not_found"),
])
def test_bad_actions_are_refused(planned: Any, fields: dict, code: str) -> None:
    room, fac, alice, cluster, ideas = planned
    assert expect_error(fac, "action.add", **fields) == code
    assert snapshot(fac)["actions"] == []


def test_an_action_dropped_onto_itself_is_refused_and_the_order_stays(planned: Any) -> None:
    room, fac, alice, cluster, ideas = planned
    first = expect_ok(fac, "action.add", title="Premier")["action"]
    second = expect_ok(fac, "action.add", title="Second")["action"]
    before = snapshot(fac)["actions"]
    assert expect_error(fac, "action.move", action=second, before=second) == "action.invalid_move"
    assert snapshot(fac)["actions"] == before
    assert expect_ok(fac, "action.move", action=second, before=first)["state"]["title"] == "Second"
