"""Grouping and dot voting over the websocket, with several clients in one room."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from app import limits
from tests.conftest import Room, Socket
from tests.test_facilitation import expect_error, expect_ok

Frame = dict[str, Any]


def prompt_of(socket: Socket) -> str:
    return str(socket.first["prompts"][0]["id"])


def snapshot(socket: Socket) -> Frame:
    socket.send({"type": "snapshot"})
    while True:
        frame = socket.receive()
        if frame["type"] == "snapshot":
            return frame


def next_of(socket: Socket, frame_type: str) -> Frame:
    """The next frame of this type, passing over the events this test does not look at."""
    while True:
        frame = socket.receive()
        if frame["type"] == frame_type:
            return frame


def frames_until(socket: Socket, op_id: str) -> list[Frame]:
    """Every frame up to and including the one answering `op_id`."""
    seen = []
    while True:
        frame = socket.receive()
        seen.append(frame)
        if frame.get("op_id") == op_id:
            return seen


class Board:
    """A room in phase `group` with a facilitator, two participants and some ideas."""

    def __init__(self, client: TestClient, ideas: int = 4, **settings: Any) -> None:
        self.room = Room(client, phase="write")
        self.fac = self.room.connect(self.room.facilitator_token)
        self.alice_token = self.room.join("Alice")
        self.alice = self.room.connect(self.alice_token)
        self.bob = self.room.connect(self.room.join("Bob"))
        self.prompt = prompt_of(self.alice)
        self.ideas = [expect_ok(self.alice, "idea.add", prompt=self.prompt, text=f"Idée {n}")["idea"]
                      for n in range(ideas)]
        if settings:
            expect_ok(self.fac, "room.configure", **settings)
        expect_ok(self.fac, "room.phase", phase="group")

    def phase(self, phase: str) -> None:
        expect_ok(self.fac, "room.phase", phase=phase)

    def close(self) -> None:
        for socket in (self.fac, self.alice, self.bob):
            socket.close()


@pytest.fixture
def board(client: TestClient) -> Board:
    b = Board(client)
    yield b
    b.close()


def placements(snap: Frame) -> tuple[dict[str, Any], dict[str, Any]]:
    return ({i["idea"]: (i["cluster"], i["position"]) for i in snap["ideas"]},
            {c["cluster"]: (c["title"], c["named"], c["position"]) for c in snap["clusters"]})


def test_a_cluster_made_by_one_is_seen_by_all_and_kept_in_the_snapshot(board: Board) -> None:
    made = expect_ok(board.bob, "cluster.create", ideas=board.ideas[:2])
    cluster = made["clusters"][0]["cluster"]
    seen = next_of(board.alice, "group.changed")
    assert seen == made  # the same event, byte for byte, for everyone
    assert made["clusters"][0]["title"] == "Idée 0" and made["clusters"][0]["named"] is False
    ideas, clusters = placements(snapshot(board.fac))
    assert [i for i, (c, _) in ideas.items() if c == cluster] == board.ideas[:2]
    assert clusters[cluster][0] == "Idée 0"


def test_merge_split_rename_dissolve_and_reorder(board: Board) -> None:
    a = expect_ok(board.alice, "cluster.create", ideas=board.ideas[:2])["clusters"][0]["cluster"]
    b = expect_ok(board.bob, "cluster.create", ideas=board.ideas[2:3], title="Lieux")["clusters"][0]["cluster"]
    merged = expect_ok(board.alice, "cluster.merge", cluster=a, into=b)
    assert merged["dropped"] == [a] and {i["idea"] for i in merged["ideas"]} == set(board.ideas[:2])
    split = expect_ok(board.bob, "cluster.create", ideas=[board.ideas[0]])  # take one out into its own
    c = split["clusters"][0]["cluster"]
    expect_ok(board.alice, "cluster.move", cluster=c, before=b)
    renamed = expect_ok(board.alice, "cluster.rename", cluster=c, title="  Fêtes\u202e ")
    assert renamed["clusters"][0]["title"] == "Fêtes" and renamed["clusters"][0]["named"]
    expect_ok(board.alice, "cluster.dissolve", cluster=b)
    ideas, clusters = placements(snapshot(board.bob))
    assert set(clusters) == {c} and ideas[board.ideas[1]][0] is None and ideas[board.ideas[2]][0] is None


def test_deleting_the_last_idea_of_an_unnamed_cluster_drops_it(board: Board) -> None:
    made = expect_ok(board.alice, "cluster.create", ideas=[board.ideas[0]])["clusters"][0]["cluster"]
    deleted = expect_ok(board.fac, "idea.delete", idea=board.ideas[0])
    assert deleted["dropped"] == [made]
    assert snapshot(board.bob)["clusters"] == []


def test_concurrent_drops_of_one_idea_end_the_same_on_every_screen(board: Board) -> None:
    one = expect_ok(board.alice, "cluster.create", ideas=[board.ideas[0]], title="Un")["clusters"][0]["cluster"]
    two = expect_ok(board.bob, "cluster.create", ideas=[board.ideas[1]], title="Deux")["clusters"][0]["cluster"]
    # Both send before either reads: the server's order decides, every page applies the same events.
    a = board.alice.command("ideas.move", ideas=[board.ideas[2]], cluster=one)
    b = board.bob.command("ideas.move", ideas=[board.ideas[2]], cluster=two)
    frames_until(board.alice, a["op_id"]), frames_until(board.bob, b["op_id"])
    views = [placements(snapshot(s)) for s in (board.fac, board.alice, board.bob)]
    assert views[0] == views[1] == views[2]
    assert views[0][0][board.ideas[2]][0] == two  # Bob's came second: it wins


def test_undo_is_for_your_own_last_action_and_refuses_to_overwrite_others(board: Board) -> None:
    mine = expect_ok(board.alice, "cluster.create", ideas=board.ideas[:2])
    cluster = mine["clusters"][0]["cluster"]
    assert expect_error(board.bob, "group.undo") == "undo.nothing"  # Bob did nothing
    expect_ok(board.bob, "ideas.move", ideas=[board.ideas[1]], cluster=None)  # Bob changes Alice's cluster
    assert expect_error(board.alice, "group.undo") == "undo.conflict"
    undone = expect_ok(board.bob, "group.undo")  # Bob's own is fine
    assert undone["undo_of"] and undone["ideas"][0]["cluster"] == cluster
    back = expect_ok(board.alice, "group.undo")  # now Alice's applies again
    assert back["dropped"] == [cluster]
    assert expect_error(board.alice, "group.undo") == "undo.nothing"
    assert snapshot(board.fac)["clusters"] == []


def test_grouping_kept_to_facilitators_and_never_before_the_reveal(client: TestClient) -> None:
    b = Board(client, grouping="facilitators")
    assert expect_error(b.alice, "cluster.create", ideas=b.ideas[:1]) == "grouping.facilitators_only"
    expect_ok(b.fac, "cluster.create", ideas=b.ideas[:1])
    b.phase("write")
    assert expect_error(b.fac, "cluster.create", ideas=b.ideas[1:2]) == "phase.forbidden"
    b.close()


@pytest.mark.parametrize("fields, code", [
    ({"ideas": ["nope"]}, "idea.not_found"), ({"ideas": []}, "text.empty"),
    ({"ideas": [], "title": "x", "prompt": "nope"}, "prompt.not_found"),
])
def test_bad_grouping_is_refused_and_changes_nothing(board: Board, fields: dict, code: str) -> None:
    assert expect_error(board.alice, "cluster.create", **fields) == code
    assert snapshot(board.bob)["clusters"] == []


def test_hidden_ideas_cannot_be_grouped(board: Board) -> None:
    expect_ok(board.fac, "idea.hide", idea=board.ideas[0], hidden=True)
    assert expect_error(board.fac, "cluster.create", ideas=[board.ideas[0]]) == "idea.not_found"


# -- voting ------------------------------------------------------------------------------


@pytest.fixture
def vote_board(client: TestClient) -> Board:
    b = Board(client)
    b.cluster = expect_ok(b.alice, "cluster.create", ideas=b.ideas[:2], title="Fêtes")["clusters"][0]["cluster"]
    b.phase("vote")
    yield b
    b.close()


def test_hidden_tallies_never_leave_the_voter(client: TestClient, vote_board: Board) -> None:
    b = vote_board
    second_tab = b.room.connect(b.room.join("Chloé"))  # another person, to prove nothing leaks
    placed = expect_ok(b.alice, "vote.add", item=b.cluster)
    assert placed["mine"] == 1 and placed["voters"] == 1 and "total" not in placed
    for other in (b.bob, b.fac, second_tab):
        frame = next_of(other, "vote.changed")
        assert frame == {"type": "vote.changed", "voters": 1, "seq": placed["seq"]}  # no item, no count
    assert snapshot(b.fac)["votes"] == {"mine": {}, "voters": 1, "totals": None}
    assert snapshot(b.alice)["votes"]["mine"] == {b.cluster: 1}
    second_tab.close()


def test_budget_and_cap_hold_for_one_person_in_two_tabs(vote_board: Board) -> None:
    b = vote_board
    token = b.room.join("Dani")
    tabs = [b.room.connect(token), b.room.connect(token)]
    loose = b.ideas[2:]
    sent = []
    for n in range(4):  # 8 dots asked for, interleaved from both tabs: the budget is 5
        for k, tab in enumerate(tabs):
            sent.append((tab, tab.command("vote.add", item=loose[(n + k) % 2])))
    answers = []
    for tab, frame in sent:
        answers.append(next(f for f in frames_until(tab, frame["op_id"]) if f.get("op_id") == frame["op_id"]))
    placed = [a for a in answers if a["type"] == "vote.changed"]
    codes = sorted(a["code"] for a in answers if a["type"] == "error")
    assert len(placed) == 5 and set(codes) <= {"vote.budget_exceeded", "vote.cap_reached"}
    mine = snapshot(tabs[0])["votes"]["mine"]
    assert sum(mine.values()) == 5 and max(mine.values()) <= 3
    for tab in tabs:
        tab.close()


def test_grouped_ideas_take_no_dots_and_dots_follow_the_room_rules(vote_board: Board) -> None:
    b = vote_board
    assert expect_error(b.alice, "vote.add", item=b.ideas[0]) == "vote.not_votable"  # inside a cluster
    assert expect_error(b.alice, "vote.add", item="nothing") == "vote.not_votable"
    assert expect_error(b.alice, "vote.remove", item=b.ideas[2]) == "vote.none"
    b.phase("results")
    assert expect_error(b.alice, "vote.add", item=b.ideas[2]) == "phase.forbidden"


def test_dots_on_an_item_that_goes_are_returned(vote_board: Board) -> None:
    b = vote_board
    expect_ok(b.alice, "vote.add", item=b.ideas[2])
    expect_ok(b.alice, "vote.add", item=b.cluster)
    b.phase("group")
    joined = expect_ok(b.fac, "ideas.move", ideas=[b.ideas[2]], cluster=b.cluster)  # now grouped: its dot goes back
    assert joined["votes_returned"] is True
    assert snapshot(b.alice)["votes"]["mine"] == {b.cluster: 1}
    dissolved = expect_ok(b.bob, "cluster.dissolve", cluster=b.cluster)
    assert dissolved["votes_returned"] is True and snapshot(b.alice)["votes"] == {"mine": {}, "voters": 0,
                                                                                  "totals": None}


def test_a_lowered_budget_returns_the_newest_dots(vote_board: Board) -> None:
    b = vote_board
    for item in (b.cluster, b.cluster, b.ideas[2], b.ideas[3]):
        expect_ok(b.alice, "vote.add", item=item)
    lowered = expect_ok(b.fac, "room.configure", vote_budget=2)
    assert lowered["votes_returned"] is True
    assert snapshot(b.alice)["votes"]["mine"] == {b.cluster: 2}


def test_live_tallies_and_the_results_show_totals_to_everyone(client: TestClient) -> None:
    b = Board(client, tallies="live")
    b.phase("vote")
    placed = expect_ok(b.alice, "vote.add", item=b.ideas[0])
    assert placed["total"] == 1
    assert next_of(b.bob, "vote.changed") == {"type": "vote.changed", "item": b.ideas[0], "total": 1,
                                                   "voters": 1, "seq": placed["seq"]}
    expect_ok(b.fac, "room.configure", tallies="hidden")
    expect_ok(b.bob, "vote.add", item=b.ideas[0])
    assert snapshot(b.bob)["votes"]["totals"] is None
    changed = expect_ok(b.fac, "room.phase", phase="results")
    assert changed["reveal"] is True  # every page fetches the room: totals are now shown
    assert snapshot(b.bob)["votes"] == {"mine": {b.ideas[0]: 1}, "voters": 2, "totals": {b.ideas[0]: 2}}
    b.close()


def test_a_catch_up_gives_the_voter_their_dots_and_others_only_the_count(vote_board: Board) -> None:
    b = vote_board
    seq = snapshot(b.bob)["seq"]
    placed = expect_ok(b.alice, "vote.add", item=b.cluster)
    hidden = {"type": "vote.changed", "voters": 1, "seq": placed["seq"]}
    for token in (b.room.join("Eve"), b.room.facilitator_token):
        late = b.room.connect(token, since=seq)
        assert late.first["type"] == "catchup"
        assert [e for e in late.first["events"] if e["seq"] == placed["seq"]] == [hidden]
        late.close()
    alice_again = b.room.connect(b.alice_token, since=seq)
    mine = next(e for e in alice_again.first["events"] if e["seq"] == placed["seq"])
    assert mine["mine"] == 1 and mine["item"] == b.cluster
    alice_again.close()


def test_while_tallies_are_hidden_every_page_gets_the_same_frame_whether_the_item_held_dots(
        client: TestClient) -> None:
    """A merge, a dissolve or a deletion must not tell the room which items held dots (audit 4, V9)."""
    b = Board(client, ideas=6)
    voted, empty, into = (expect_ok(b.alice, "cluster.create", ideas=b.ideas[n:n + 2])["clusters"][0]["cluster"]
                          for n in (0, 2, 4))
    b.phase("vote")
    expect_ok(b.alice, "vote.add", item=voted)
    expect_ok(b.bob, "vote.add", item=into)  # the room still holds dots after the first merge
    projector = b.room.connect(b.room.facilitator_token)  # the projected page reads with the facilitator's rights
    heard: dict[str, list[Frame]] = {"bob": [], "projector": []}
    for cluster in (voted, empty):
        seq = expect_ok(b.fac, "cluster.merge", cluster=cluster, into=into)["seq"]
        for name, page in (("bob", b.bob), ("projector", projector)):
            heard[name].append(next(f for f in iter(page.receive, None) if f.get("seq") == seq))
    for with_dots, without in heard.values():
        assert with_dots.keys() == without.keys() and with_dots["votes_returned"] is without["votes_returned"] is True
    assert snapshot(b.alice)["votes"] == {"mine": {}, "voters": 1, "totals": None}  # back to Alice, not on `into`
    assert snapshot(b.bob)["votes"]["mine"] == {into: 1}
    projector.close()
    b.close()


def test_with_live_tallies_the_flag_says_only_that_dots_went_back(client: TestClient) -> None:
    b = Board(client, tallies="live")
    kept = expect_ok(b.alice, "cluster.create", ideas=b.ideas[:2])["clusters"][0]["cluster"]
    b.phase("vote")
    expect_ok(b.alice, "vote.add", item=kept)
    assert "votes_returned" not in expect_ok(b.fac, "cluster.create", ideas=b.ideas[2:3])  # an idea with no dot
    b.close()


def test_deleting_an_idea_with_dots_gives_them_back_and_recounts_the_voters(vote_board: Board) -> None:
    b = vote_board
    expect_ok(b.alice, "vote.add", item=b.ideas[2])
    expect_ok(b.alice, "vote.add", item=b.ideas[2])
    expect_ok(b.bob, "vote.add", item=b.ideas[3])
    deleted = expect_ok(b.fac, "idea.delete", idea=b.ideas[2])
    assert deleted["votes_returned"] is True
    assert snapshot(b.alice)["votes"] == {"mine": {}, "voters": 1, "totals": None}  # Bob's dot stays: 1 voter
    assert snapshot(b.bob)["votes"]["mine"] == {b.ideas[3]: 1}
    assert expect_ok(b.alice, "vote.add", item=b.ideas[3])["mine"] == 1  # her budget is whole again


def test_merging_a_voted_cluster_returns_its_dots_rather_than_carrying_them(client: TestClient) -> None:
    b = Board(client, tallies="live")
    one, two = (expect_ok(b.alice, "cluster.create", ideas=b.ideas[n:n + 2])["clusters"][0]["cluster"] for n in (0, 2))
    b.phase("vote")
    for voter, item in ((b.alice, one), (b.alice, one), (b.bob, two)):
        expect_ok(voter, "vote.add", item=item)
    merged = expect_ok(b.fac, "cluster.merge", cluster=one, into=two)
    assert merged["votes_returned"] is True and merged["dropped"] == [one]
    assert snapshot(b.bob)["votes"] == {"mine": {two: 1}, "voters": 1, "totals": {two: 1}}  # not 3 on `two`
    assert snapshot(b.alice)["votes"]["mine"] == {}
    b.close()


def test_hiding_an_idea_with_dots_tells_its_voter_to_look_again(vote_board: Board) -> None:
    b = vote_board
    expect_ok(b.alice, "vote.add", item=b.ideas[2])
    seq = expect_ok(b.fac, "idea.hide", idea=b.ideas[2], hidden=True)["seq"]
    heard = next(f for f in iter(b.alice.receive, None) if f.get("seq") == seq)
    assert heard == {"type": "idea.deleted", "idea": b.ideas[2], "votes_returned": True, "seq": seq}
    assert snapshot(b.alice)["votes"]["mine"] == {}


def test_a_lowered_cap_returns_the_newest_dots_beyond_it(vote_board: Board) -> None:
    b = vote_board
    for voter, item in ((b.alice, b.cluster), (b.alice, b.cluster), (b.alice, b.ideas[2]), (b.bob, b.cluster)):
        expect_ok(voter, "vote.add", item=item)
    lowered = expect_ok(b.fac, "room.configure", vote_cap=1)
    assert lowered["votes_returned"] is True and lowered["settings"]["vote_cap"] == 1
    assert snapshot(b.alice)["votes"]["mine"] == {b.cluster: 1, b.ideas[2]: 1}
    assert snapshot(b.bob)["votes"]["mine"] == {b.cluster: 1}


def test_more_ideas_than_one_grouping_may_move_are_refused_as_the_frame_is_read(board: Board) -> None:
    too_many = [f"x{n:07d}" for n in range(limits.IDEAS_PER_GROUPING + 1)]
    assert expect_error(board.alice, "ideas.move", ideas=too_many).startswith("protocol.")
    assert expect_error(board.alice, "ideas.move", ideas=too_many[1:]) == "idea.not_found"  # the limit itself passes
