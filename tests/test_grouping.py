"""app.grouping: every grouping operation, its inverse, and the invariants under random sequences."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import grouping
from app.errors import Rejection
from app.grouping import Change, Cluster, Layout, Placement

P1, P2 = "p1", "p2"


def board(loose: int = 4, prompt2: int = 2) -> Layout:
    ideas = {f"i{n}": Placement(P1, None, float(n)) for n in range(loose)}
    ideas.update({f"j{n}": Placement(P2, None, float(n)) for n in range(prompt2)})
    return Layout(ideas=ideas, clusters={}, texts={i: f"Texte de {i}" for i in ideas}, prompts=frozenset({P1, P2}))


def ok(result: Change | Rejection) -> Change:
    assert isinstance(result, Change), result
    return result


def check_invariants(layout: Layout) -> None:
    for idea, place in layout.ideas.items():
        assert place.prompt in layout.prompts, idea
        if place.cluster is not None:
            assert place.cluster in layout.clusters, idea  # never in a cluster that is gone
            assert layout.clusters[place.cluster].prompt == place.prompt, idea  # of its own prompt
    for cid, cluster in layout.clusters.items():
        assert cluster.named or grouping.members(layout, cid), f"empty unnamed cluster {cid} survived"
    for container in [grouping.members(layout, c) for c in layout.clusters] + [
            grouping.loose(layout, p) for p in layout.prompts]:
        positions = [layout.ideas[i].position for i in container]
        assert len(set(positions)) == len(positions), "two siblings share a position"


def test_create_takes_ideas_in_order_and_suggests_a_title_from_the_first() -> None:
    layout = board()
    change = ok(grouping.create(layout, "c1", ["i2", "i0"], None, None))
    after = grouping.apply(layout, change)
    assert after.clusters["c1"] == Cluster(P1, "Texte de i2", False, 1.0)
    assert grouping.members(after, "c1") == ["i2", "i0"]
    assert grouping.loose(after, P1) == ["i1", "i3"]
    check_invariants(after)


def test_a_long_first_idea_gives_a_short_one_line_suggestion() -> None:
    assert grouping.suggestion("un\ndeux   trois") == "un deux trois"
    long = grouping.suggestion("mot " * 40)
    assert len(long) == grouping.SUGGESTION_MAX and long.endswith("…")


def test_create_with_a_title_is_named_and_may_start_empty() -> None:
    layout = board()
    after = grouping.apply(layout, ok(grouping.create(layout, "c1", [], P2, "Lieux")))
    assert after.clusters["c1"] == Cluster(P2, "Lieux", True, 1.0)
    assert grouping.create(layout, "c2", [], P2, None) == Rejection("text.empty", {"field": "title"})
    assert grouping.create(layout, "c2", [], None, "x") == Rejection("prompt.not_found")


def test_ideas_from_another_prompt_follow_their_cluster() -> None:
    layout = board()
    after = grouping.apply(layout, ok(grouping.create(layout, "c1", ["i0", "j1"], None, None)))
    assert after.ideas["j1"] == Placement(P1, "c1", 2.0)
    check_invariants(after)


@pytest.mark.parametrize("ideas, code", [
    (["i0", "i0"], "grouping.invalid"), (["nope"], "idea.not_found"), (["hidden"], "idea.not_found"),
])
def test_create_refuses_duplicates_unknown_and_hidden_ideas(ideas: list[str], code: str) -> None:
    layout = board()
    layout = replace(layout, ideas={**layout.ideas, "hidden": Placement(P1, None, 9.0)}, hidden=frozenset({"hidden"}))
    result = grouping.create(layout, "c1", ideas, None, None)
    assert isinstance(result, Rejection) and result.code == code


def test_moving_the_last_idea_out_drops_an_unnamed_cluster_but_keeps_a_named_one() -> None:
    layout = board()
    layout = grouping.apply(layout, ok(grouping.create(layout, "c1", ["i0"], None, None)))
    layout = grouping.apply(layout, ok(grouping.create(layout, "c2", ["i1"], None, "Gardé")))
    change = ok(grouping.move(layout, ["i0", "i1"], None, None, None))
    assert change.clusters == {"c1": None}
    after = grouping.apply(layout, change)
    assert set(after.clusters) == {"c2"} and grouping.members(after, "c2") == []
    check_invariants(after)


def test_move_into_a_cluster_before_an_idea_and_reorder_within_it() -> None:
    layout = board()
    layout = grouping.apply(layout, ok(grouping.create(layout, "c1", ["i0", "i1"], None, None)))
    layout = grouping.apply(layout, ok(grouping.move(layout, ["i2"], "c1", None, "i1")))
    assert grouping.members(layout, "c1") == ["i0", "i2", "i1"]
    layout = grouping.apply(layout, ok(grouping.move(layout, ["i1"], "c1", None, "i0")))
    assert grouping.members(layout, "c1") == ["i1", "i0", "i2"]
    check_invariants(layout)


def test_reordering_loose_ideas_and_moving_one_to_another_prompt() -> None:
    layout = board()
    layout = grouping.apply(layout, ok(grouping.move(layout, ["i3"], None, None, "i0")))
    assert grouping.loose(layout, P1) == ["i3", "i0", "i1", "i2"]
    layout = grouping.apply(layout, ok(grouping.move(layout, ["i3"], None, P2, None)))
    assert grouping.loose(layout, P2) == ["j0", "j1", "i3"]
    assert grouping.move(layout, ["i0"], None, "nowhere", None) == Rejection("prompt.not_found")
    assert grouping.move(layout, ["i0"], None, None, "i0") == Rejection("grouping.invalid")


def test_repeated_insertions_at_one_place_renumber_instead_of_losing_order() -> None:
    layout = board(loose=3)
    for _ in range(80):  # far more halvings than a float can hold between 0 and 1
        layout = grouping.apply(layout, ok(grouping.move(layout, ["i2"], None, None, "i1")))
        layout = grouping.apply(layout, ok(grouping.move(layout, ["i1"], None, None, "i2")))
    assert grouping.loose(layout, P1) == ["i0", "i1", "i2"]
    check_invariants(layout)


def test_merge_appends_and_removes_the_merged_cluster() -> None:
    layout = board()
    layout = grouping.apply(layout, ok(grouping.create(layout, "a", ["i0", "i1"], None, None)))
    layout = grouping.apply(layout, ok(grouping.create(layout, "b", ["i2", "j0"], None, None)))
    after = grouping.apply(layout, ok(grouping.merge(layout, "b", "a")))
    assert set(after.clusters) == {"a"} and grouping.members(after, "a") == ["i0", "i1", "i2", "j0"]
    assert grouping.merge(layout, "a", "a") == Rejection("grouping.invalid")
    assert grouping.merge(layout, "a", "zzz") == Rejection("cluster.not_found")
    check_invariants(after)


def test_dissolve_and_split() -> None:
    layout = board()
    layout = grouping.apply(layout, ok(grouping.create(layout, "a", ["i0", "i1", "i2"], None, None)))
    split = grouping.apply(layout, ok(grouping.create(layout, "b", ["i2"], None, None)))  # take one out
    assert grouping.members(split, "a") == ["i0", "i1"] and grouping.members(split, "b") == ["i2"]
    gone = grouping.apply(split, ok(grouping.dissolve(split, "a")))
    assert set(gone.clusters) == {"b"} and grouping.loose(gone, P1) == ["i3", "i0", "i1"]
    check_invariants(gone)


def test_clusters_reorder_and_move_to_another_prompt_with_their_ideas() -> None:
    layout = board()
    for cid, idea in (("a", "i0"), ("b", "i1"), ("c", "i2")):
        layout = grouping.apply(layout, ok(grouping.create(layout, cid, [idea], None, None)))
    layout = grouping.apply(layout, ok(grouping.move_cluster(layout, "c", "a", None)))
    assert grouping.clusters_of(layout, P1) == ["c", "a", "b"]
    layout = grouping.apply(layout, ok(grouping.move_cluster(layout, "a", None, P2)))
    assert grouping.clusters_of(layout, P2) == ["a"] and layout.ideas["i0"].prompt == P2
    assert grouping.move_cluster(layout, "b", "b", None) == Rejection("grouping.invalid")
    check_invariants(layout)


def test_rename_names_the_cluster() -> None:
    layout = board()
    layout = grouping.apply(layout, ok(grouping.create(layout, "a", ["i0"], None, None)))
    assert grouping.apply(layout, ok(grouping.rename(layout, "a", "Fêtes"))).clusters["a"].named
    assert grouping.rename(layout, "zz", "x") == Rejection("cluster.not_found")


def test_undo_restores_exactly_and_is_refused_once_someone_else_changed_things() -> None:
    layout = board()
    first = grouping.apply(layout, ok(grouping.create(layout, "a", ["i0", "i1"], None, None)))
    change = ok(grouping.merge(grouping.apply(first, ok(grouping.create(first, "b", ["i2"], None, None))), "b", "a"))
    before = grouping.apply(first, ok(grouping.create(first, "b", ["i2"], None, None)))
    after = grouping.apply(before, change)
    assert grouping.still_applies(after, change)
    assert grouping.apply(after, grouping.inverse(before, change)) == before
    moved_since = grouping.apply(after, ok(grouping.move(after, ["i2"], None, None, None)))
    assert not grouping.still_applies(moved_since, change)


def test_undo_is_refused_when_the_cluster_it_would_restore_into_is_gone() -> None:
    layout = board()
    layout = grouping.apply(layout, ok(grouping.create(layout, "a", ["i0", "i1"], None, None)))
    before = layout
    change = ok(grouping.move(layout, ["i1"], None, None, None))  # mine: take i1 out of "a"
    layout = grouping.apply(layout, change)
    layout = grouping.apply(layout, ok(grouping.dissolve(layout, "a")))  # someone else dissolves "a"
    back = grouping.inverse(before, change)
    assert grouping.still_applies(layout, change)  # i1 itself did not move since
    assert not grouping.fits(layout, back)  # but "a", where it would go back, is gone


def test_undoing_a_cluster_someone_has_added_to_since_is_refused() -> None:
    layout = board()
    before = layout
    change = ok(grouping.create(layout, "a", ["i0"], None, None))  # mine: a cluster of i0
    layout = grouping.apply(layout, change)
    layout = grouping.apply(layout, ok(grouping.move(layout, ["i1"], "a", None, None)))  # someone adds i1
    back = grouping.inverse(before, change)
    assert grouping.still_applies(layout, change)  # i0 and "a" are as I left them
    assert not grouping.fits(layout, back)  # but removing "a" would strand i1 in nothing


def test_the_log_copy_of_a_change_round_trips() -> None:
    layout = board()
    change = ok(grouping.create(layout, "a", ["i0", "j0"], None, "Titre"))
    change = Change(ideas=change.ideas, clusters={**change.clusters, "gone": None})
    assert grouping.load(grouping.dump(change)) == change


# -- random sequences -------------------------------------------------------------------

IDEAS = [f"i{n}" for n in range(5)] + [f"j{n}" for n in range(3)]
CLUSTERS = ["c0", "c1", "c2", "c3"]
ideas_list = st.lists(st.sampled_from(IDEAS), min_size=1, max_size=4, unique=True)
maybe = st.none() | st.sampled_from(IDEAS)
operation = st.one_of(
    st.tuples(st.just("create"), st.sampled_from(CLUSTERS), ideas_list, st.none() | st.just("Nommé")),
    st.tuples(st.just("move"), ideas_list, st.none() | st.sampled_from(CLUSTERS), st.none() | st.sampled_from([P1, P2]), maybe),
    st.tuples(st.just("rename"), st.sampled_from(CLUSTERS)),
    st.tuples(st.just("merge"), st.sampled_from(CLUSTERS), st.sampled_from(CLUSTERS)),
    st.tuples(st.just("dissolve"), st.sampled_from(CLUSTERS)),
    st.tuples(st.just("move_cluster"), st.sampled_from(CLUSTERS), st.none() | st.sampled_from(CLUSTERS),
              st.none() | st.sampled_from([P1, P2])),
    st.tuples(st.just("undo")),
)


def run(layout: Layout, op: tuple, counter: list[int]) -> Change | Rejection:
    kind = op[0]
    if kind == "create":
        counter[0] += 1
        return grouping.create(layout, f"n{counter[0]}", op[2], None, op[3])
    if kind == "move":
        return grouping.move(layout, op[1], op[2], op[3], op[4])
    if kind == "rename":
        return grouping.rename(layout, op[1], "Nouveau titre")
    if kind == "merge":
        return grouping.merge(layout, op[1], op[2])
    if kind == "dissolve":
        return grouping.dissolve(layout, op[1])
    return grouping.move_cluster(layout, op[1], op[2], op[3])


@settings(max_examples=300, deadline=None)
@given(st.lists(operation, max_size=25), st.randoms(use_true_random=False))
def test_random_sequences_keep_the_invariants_undo_and_replay(ops: list[tuple], rnd) -> None:
    layout = board(loose=5, prompt2=3)
    start, history, log = layout, [], []  # history: (layout before, change) of each applied action
    counter = [0]
    for op in ops:
        if op[0] == "undo":
            if not history:
                continue
            before, change = history.pop()
            assert grouping.still_applies(layout, change)  # nobody else acts in this test
            back = grouping.inverse(before, change)
            layout = grouping.apply(layout, back)
            assert layout == before  # undo restores exactly
            log.append(back)
            continue
        # Real cluster ids come from the server; map the sampled names onto existing ones.
        existing = sorted(layout.clusters)
        op = tuple(existing[CLUSTERS.index(x) % len(existing)] if x in CLUSTERS and existing else x for x in op)
        result = run(layout, op, counter)
        if isinstance(result, Rejection):
            continue
        history.append((layout, result))
        layout = grouping.apply(layout, result)
        log.append(result)
        check_invariants(layout)
    replayed = start
    for change in log:  # what a page does with the events, in seq order
        replayed = grouping.apply(replayed, change)
    assert replayed == layout


def test_an_undo_onto_a_place_taken_since_lands_just_after_the_sibling_there() -> None:
    layout = board()  # loose i0..i3 at 0..3 in p1
    change = ok(grouping.create(layout, "a", ["i3"], None, None))  # mine: i3 into a cluster
    back = grouping.inverse(layout, change)
    layout = grouping.apply(layout, change)
    layout = grouping.apply(layout, ok(grouping.move(layout, ["j0"], None, P1, None)))  # j0 takes position 3
    assert layout.ideas["j0"].position == back.ideas["i3"].position == 3.0
    settled = grouping.settle(layout, back)
    layout = grouping.apply(layout, settled)
    assert grouping.loose(layout, P1) == ["i0", "i1", "i2", "j0", "i3"] and layout.ideas["i3"].position == 4.0
    check_invariants(layout)
    assert grouping.settle(board(), Change(ideas={"i0": Placement(P1, None, 9.0)})).ideas["i0"].position == 9.0


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["ana", "bob"]), operation), max_size=30))
def test_several_people_grouping_and_undoing_keep_the_invariants(steps: list[tuple[str, tuple]]) -> None:
    """As the server does it: each person undoes their own latest action, refused when someone
    changed what it touched (`still_applies`) or where it goes back to (`fits`)."""
    layout = board(loose=5, prompt2=3)
    start, log, counter = layout, [], [0]
    history: dict[str, list[tuple[Layout, Change]]] = {"ana": [], "bob": []}
    for who, op in steps:
        if op[0] == "undo":
            if not history[who]:
                continue
            before, change = history[who][-1]
            back = grouping.inverse(before, change)
            if not grouping.still_applies(layout, change) or not grouping.fits(layout, back):
                continue  # undo.conflict: the latest action stays, and blocks older ones
            history[who].pop()
            result = grouping.settle(layout, back)
        else:
            existing = sorted(layout.clusters)
            op = tuple(existing[CLUSTERS.index(x) % len(existing)] if x in CLUSTERS and existing else x for x in op)
            result = run(layout, op, counter)
            if isinstance(result, Rejection):
                continue
            history[who].append((layout, result))
        layout = grouping.apply(layout, result)
        log.append(result)
        check_invariants(layout)
    replayed = start
    for change in log:
        replayed = grouping.apply(replayed, change)
    assert replayed == layout


def test_undoing_the_name_of_a_cluster_emptied_since_drops_it() -> None:
    """Found by the property test above: the undo put back "unnamed" on a cluster with no idea left."""
    layout = grouping.apply(board(), ok(grouping.create(board(), "a", ["i2"], None, None)))
    rename = ok(grouping.rename(layout, "a", "Fêtes"))  # Bob names it
    before, layout = layout, grouping.apply(layout, rename)
    layout = grouping.apply(layout, ok(grouping.create(layout, "b", ["i2"], None, None)))  # Ana takes i2 out
    back = grouping.inverse(before, rename)
    assert grouping.still_applies(layout, rename) and grouping.fits(layout, back)
    settled = grouping.settle(layout, back)
    assert settled.clusters["a"] is None
    check_invariants(grouping.apply(layout, settled))
