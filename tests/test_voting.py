"""app.voting and app.results: budget, cap, votable items, returned dots, ranking with ties."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import results, voting
from app.domain import Actor, RoomFacts
from app.errors import Rejection
from app.events import VoteChanged
from app.protocol import VoteAdd, VoteRemove
from app.room_settings import RoomSettings

ALICE = Actor("alice", "tag-a", "participant")
IDEA, CLUSTER = voting.ItemFacts("idea"), voting.ItemFacts("cluster")


def room(phase: str = "vote", **settings: object) -> RoomFacts:
    return RoomFacts(phase, 0, RoomSettings(**settings))  # type: ignore[arg-type]


def add(facts: RoomFacts, item: voting.ItemFacts | None, mine_total: int = 0, mine_here: int = 0,
        total: int = 0, voters: int = 0) -> VoteChanged | Rejection:
    return voting.add(VoteAdd(type="vote.add", op_id="op-000001", item="x"), ALICE, facts, item,
                      voting.Tally(mine_total, mine_here, total, voters))


def test_a_dot_counts_for_the_voter_the_item_and_the_number_of_voters() -> None:
    event = add(room(), IDEA, total=4, voters=3)
    assert isinstance(event, VoteChanged)
    assert (event.mine, event.total, event.voters, event.live) == (1, 5, 4, False)
    again = add(room(), IDEA, mine_total=1, mine_here=1, total=5, voters=None)
    assert isinstance(again, VoteChanged) and again.voters is None  # already counted: "unchanged"
    assert "voters" not in again.wire() and again.redacted() == {"type": "vote.changed"}


@pytest.mark.parametrize("command, mine_total, counts", [
    ("vote.add", 0, True), ("vote.add", 1, False), ("vote.add", 4, False),
    ("vote.remove", 1, True), ("vote.remove", 2, False), ("vote.remove", 0, False),
])
def test_voters_are_counted_only_when_a_first_or_last_dot_can_change_them(command: str, mine_total: int,
                                                                          counts: bool) -> None:
    assert voting.counts_voters(command, mine_total) is counts


def test_budget_and_cap_are_enforced_and_the_cap_never_exceeds_the_budget() -> None:
    assert add(room(), IDEA, mine_total=5) == Rejection("vote.budget_exceeded", {"max": 5})
    assert add(room(), IDEA, mine_total=3, mine_here=3) == Rejection("vote.cap_reached", {"max": 3})
    assert add(room(vote_cap=1), IDEA, mine_total=1, mine_here=1) == Rejection("vote.cap_reached", {"max": 1})
    assert voting.cap(RoomSettings(vote_budget=2, vote_cap=3)) == 2


@pytest.mark.parametrize("phase", ["lobby", "write", "group", "results", "roadmap", "closed"])
def test_dots_only_during_the_vote(phase: str) -> None:
    result = add(room(phase), IDEA)
    assert isinstance(result, Rejection) and result.code == "phase.forbidden"


@pytest.mark.parametrize("vote_on, item, expected", [
    ("all", IDEA, True), ("all", voting.ItemFacts("idea", grouped=True), False), ("all", CLUSTER, True),
    ("clusters", IDEA, False), ("clusters", CLUSTER, True),
    ("ideas", voting.ItemFacts("idea", grouped=True), True), ("ideas", CLUSTER, False),
    ("all", voting.ItemFacts("idea", hidden=True), False), ("all", None, False),
])
def test_what_can_take_dots(vote_on: str, item: voting.ItemFacts | None, expected: bool) -> None:
    assert voting.votable(item, RoomSettings(vote_on=vote_on)) is expected  # type: ignore[arg-type]


def test_taking_a_dot_back() -> None:
    take = VoteRemove(type="vote.remove", op_id="op-000002", item="x")
    event = voting.remove(take, ALICE, room(), IDEA, voting.Tally(1, 1, 4, 3))
    assert isinstance(event, VoteChanged) and (event.mine, event.total, event.voters) == (0, 3, 2)
    assert voting.remove(take, ALICE, room(), IDEA, voting.Tally(2, 0, 4, 3)) == Rejection("vote.none")
    still = voting.remove(take, ALICE, room(), IDEA, voting.Tally(2, 1, 4))  # still a voter: not counted
    assert isinstance(still, VoteChanged) and (still.mine, still.total, still.voters) == (0, 3, None)


def test_totals_travel_only_when_the_room_shows_them() -> None:
    hidden = add(room(), IDEA, total=2, voters=1)
    live = add(room(tallies="live"), IDEA, total=2, voters=1)
    assert isinstance(hidden, VoteChanged) and isinstance(live, VoteChanged)
    assert "total" not in hidden.wire() and hidden.redacted() == {"type": "vote.changed", "voters": 2}
    assert live.redacted() == {"type": "vote.changed", "item": "x", "total": 3, "voters": 2}
    assert voting.live("results", RoomSettings()) and not voting.live("vote", RoomSettings())


def test_dots_on_items_that_stop_being_votable_and_beyond_a_lowered_budget_go_back_newest_first() -> None:
    dots = [voting.Dot(1, "a", "i1"), voting.Dot(2, "a", "i1"), voting.Dot(3, "a", "i2"), voting.Dot(4, "a", "gone"),
            voting.Dot(5, "b", "i1"), voting.Dot(6, "a", "i3")]
    items = {"i1": IDEA, "i2": IDEA, "i3": IDEA}
    back = voting.returned(dots, items, RoomSettings(vote_budget=2))
    assert sorted(d.seq for d in back) == [3, 4, 6]  # "gone" vanished; a keeps its two oldest


def test_a_lowered_cap_gives_back_the_newest_dots_on_each_item_and_keeps_the_rest() -> None:
    dots = [voting.Dot(1, "a", "i1"), voting.Dot(2, "a", "i1"), voting.Dot(3, "a", "i1"), voting.Dot(4, "a", "i2"),
            voting.Dot(5, "b", "i1"), voting.Dot(6, "b", "i1")]
    items = {"i1": IDEA, "i2": IDEA}
    back = voting.returned(dots, items, RoomSettings(vote_budget=5, vote_cap=1))  # the cap alone goes down
    assert sorted(d.seq for d in back) == [2, 3, 6]  # one dot per person per item: the oldest stays
    assert voting.returned(dots, items, RoomSettings(vote_budget=5, vote_cap=3)) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from(["i1", "i2", "c1"]), st.booleans()), max_size=60),
       st.integers(1, 6), st.integers(1, 4))
def test_no_sequence_of_votes_exceeds_the_budget_or_the_cap(ops: list, budget: int, cap: int) -> None:
    facts = room(vote_budget=budget, vote_cap=cap)
    dots: Counter[tuple[str, str]] = Counter()
    shown = 0  # the voters a page shows: the last `voters` it was sent
    for voter, item, adding in ops:
        mine_total = sum(n for (v, _), n in dots.items() if v == voter)
        counted = voting.counts_voters("vote.add" if adding else "vote.remove", mine_total)
        tally = voting.Tally(mine_total, dots[(voter, item)], sum(n for (_, i), n in dots.items() if i == item),
                             len({v for (v, _), n in dots.items() if n}) if counted else None)
        actor = Actor(voter, voter, "participant")
        command = VoteAdd(type="vote.add", op_id="op-000003", item=item) if adding else \
            VoteRemove(type="vote.remove", op_id="op-000003", item=item)
        rule = voting.add if adding else voting.remove
        event = rule(command, actor, facts, CLUSTER if item == "c1" else IDEA, tally)  # type: ignore[arg-type]
        if isinstance(event, VoteChanged):
            dots[(voter, item)] = event.mine
            assert event.total == sum(n for (_, i), n in dots.items() if i == item)
            shown = shown if event.voters is None else event.voters
            assert shown == len({v for (v, _), n in dots.items() if n})  # "unchanged" was true
    for voter in "abc":
        assert sum(n for (v, _), n in dots.items() if v == voter) <= budget
    assert all(n <= min(cap, budget) for n in dots.values())


def item(id_: str, votes: int, position: float) -> results.Item:
    return results.Item(id_, "cluster", (0, position, id_), votes)


def test_ranking_shares_ranks_between_ties_and_keeps_the_board_order_inside_a_tie() -> None:
    ranked = results.rank([item("a", 3, 1), item("b", 5, 2), item("c", 3, 3), item("d", 0, 4), item("e", 1, 5)])
    assert [(r.item.id, r.rank, r.tied) for r in ranked] == [
        ("b", 1, False), ("a", 2, True), ("c", 2, True), ("e", 4, False), ("d", 5, False)]
    assert results.rank([]) == []
