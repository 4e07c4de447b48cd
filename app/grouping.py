"""Pure rules of grouping ideas into clusters: a layout and the changes to it.

A `Layout` says, for every idea, its prompt, its cluster (or none) and its position,
and for every cluster its prompt, title and position. Every grouping command becomes
one `Change`: the new state of each idea and cluster it touches (a cluster set to
None is gone). Because a change states where things end up, not how to get there,
every page that applies the server's changes in `seq` order ends with the same board,
and undo is just the change back to what those same entities were before
(`inverse`), refused when someone else has touched them since (`still_applies`).

Invariants (tests/test_grouping.py checks them after random command sequences):
an idea is in at most one cluster, of its own prompt; a cluster left without ideas
is dropped unless a person named it; positions order the siblings of a container.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from .errors import Rejection

SUGGESTION_MAX = 60  # characters of the first idea used as a cluster's suggested title


@dataclass(frozen=True)
class Placement:
    prompt: str
    cluster: str | None
    position: float


@dataclass(frozen=True)
class Cluster:
    prompt: str
    title: str
    named: bool  # a person gave it this title (else it is a suggestion)
    position: float


@dataclass(frozen=True)
class Layout:
    ideas: Mapping[str, Placement]
    clusters: Mapping[str, Cluster]
    texts: Mapping[str, str] = field(default_factory=dict)  # idea texts, for suggested titles
    hidden: frozenset[str] = frozenset()  # moderated ideas cannot be grouped
    prompts: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Change:
    ideas: Mapping[str, Placement] = field(default_factory=dict)
    clusters: Mapping[str, Cluster | None] = field(default_factory=dict)

    def empty(self) -> bool:
        return not self.ideas and not self.clusters


def apply(layout: Layout, change: Change) -> Layout:
    ideas = {**layout.ideas, **change.ideas}
    clusters = {k: v for k, v in {**layout.clusters, **change.clusters}.items() if v is not None}
    return replace(layout, ideas=ideas, clusters=clusters)


def inverse(before: Layout, change: Change) -> Change:
    """The change that puts every entity `change` touches back as it was in `before`."""
    return Change(ideas={i: before.ideas[i] for i in change.ideas if i in before.ideas},
                  clusters={c: before.clusters.get(c) for c in change.clusters})


def still_applies(now: Layout, change: Change) -> bool:
    """Is every entity `change` touched still exactly as `change` left it?"""
    return (all(now.ideas.get(i) == p for i, p in change.ideas.items())
            and all(now.clusters.get(c) == s for c, s in change.clusters.items()))


def fits(now: Layout, change: Change) -> bool:
    """Does every place `change` names exist once it is applied (clusters, prompts), and
    does it leave nobody's idea in a cluster it removes?

    An undo puts ideas back into the cluster they came from; if that cluster was
    merged away, dissolved or moved to another prompt since, by anyone, the undo
    has nowhere right to put them. And undoing a cluster's creation removes the
    cluster: if someone has put an idea in it since, that idea would be left in a
    cluster that no longer exists (the database would quietly set it loose, and no
    event would say so).
    """
    after = apply(now, change)
    return (all(p.prompt in now.prompts and (p.cluster is None or (
                    p.cluster in after.clusters and after.clusters[p.cluster].prompt == p.prompt))
                for p in change.ideas.values())
            and all(s is None or s.prompt in now.prompts for s in change.clusters.values())
            and all(p.cluster is None or p.cluster in after.clusters for p in after.ideas.values()))


def settle(now: Layout, change: Change) -> Change:
    """An undo's `change` made to keep the invariants: each idea or cluster it puts on a
    sibling's position goes just after that sibling, and the clusters it leaves empty and
    unnamed go.

    An undo puts things back where they were, and someone may have taken that place since
    (an idea or a cluster added at the end takes the position of the one that left):
    two siblings on one position would order their container by id alone, and make a drop
    "before" one of them land anywhere between them.
    """
    after = apply(now, change)
    ideas = dict(change.ideas)
    for idea in sorted(ideas, key=lambda i: (ideas[i].position, i)):
        place = ideas[idea]
        taken = [p.position for i, p in {**after.ideas, **ideas}.items()
                 if i != idea and (p.prompt, p.cluster) == (place.prompt, place.cluster)]
        ideas[idea] = replace(place, position=_free(place.position, taken))
    clusters = dict(change.clusters)
    for cid in sorted((c for c, s in change.clusters.items() if s is not None),
                      key=lambda c: (change.clusters[c].position, c)):  # type: ignore[union-attr]
        state = clusters[cid]
        assert state is not None
        here = {**after.clusters, **{c: s for c, s in clusters.items() if s is not None}}
        taken = [s.position for c, s in here.items() if c != cid and s.prompt == state.prompt]
        clusters[cid] = replace(state, position=_free(state.position, taken))
    settled = Change(ideas=ideas, clusters=clusters)
    # And, as after every change, no cluster it leaves empty survives unless named: undoing
    # a rename of a cluster emptied since, or taking back the idea someone else's cluster
    # kept while its own left.
    after = apply(now, settled)
    touched = {now.ideas[i].cluster for i in ideas if i in now.ideas} | {c for c, s in clusters.items() if s}
    gone = {c: None for c in touched
            if c is not None and c in after.clusters and not after.clusters[c].named and not members(after, c)}
    return _merge(settled, Change(clusters=gone))


def _free(position: float, taken: list[float]) -> float:
    """`position` if no sibling holds it, else a position between it and the next one up."""
    if position not in taken:
        return position
    above = min((t for t in taken if t > position), default=position + 2.0)
    middle = (position + above) / 2
    return middle if position < middle < above else _end(taken)


# -- reading a layout -----------------------------------------------------------------


def members(layout: Layout, cluster: str) -> list[str]:
    return _ordered(layout, (i for i, p in layout.ideas.items() if p.cluster == cluster))


def loose(layout: Layout, prompt: str) -> list[str]:
    return _ordered(layout, (i for i, p in layout.ideas.items() if p.prompt == prompt and p.cluster is None))


def clusters_of(layout: Layout, prompt: str) -> list[str]:
    ids = [c for c, s in layout.clusters.items() if s.prompt == prompt]
    return sorted(ids, key=lambda c: (layout.clusters[c].position, c))


def _ordered(layout: Layout, ids: Iterable[str]) -> list[str]:
    return sorted(ids, key=lambda i: (layout.ideas[i].position, i))


def suggestion(text: str) -> str:
    """A cluster's first title: the start of its first idea, on one line."""
    line = " ".join(text.split())
    return line if len(line) <= SUGGESTION_MAX else line[: SUGGESTION_MAX - 1].rstrip() + "…"


# -- the commands ---------------------------------------------------------------------


def create(layout: Layout, new_id: str, ideas: list[str], prompt: str | None,
           title: str | None) -> Change | Rejection:
    if refused := _groupable(layout, ideas):
        return refused
    if not ideas and title is None:
        return Rejection("text.empty", {"field": "title"})
    home = prompt or (layout.ideas[ideas[0]].prompt if ideas else None)
    if home not in layout.prompts:
        return Rejection("prompt.not_found")
    named = title is not None
    name = title if title is not None else suggestion(layout.texts.get(ideas[0], ""))
    cluster = Cluster(home, name, named, _end(layout.clusters[c].position for c in clusters_of(layout, home)))
    change = Change(clusters={new_id: cluster})
    return _finish(layout, _merge(change, _place(apply(layout, change), ideas, home, new_id, None)))


def move(layout: Layout, ideas: list[str], cluster: str | None, prompt: str | None,
         before: str | None) -> Change | Rejection:
    if refused := _groupable(layout, ideas):
        return refused
    if cluster is not None and cluster not in layout.clusters:
        return Rejection("cluster.not_found")
    if prompt is not None and prompt not in layout.prompts:
        return Rejection("prompt.not_found")
    if before is not None and (before in ideas or before not in layout.ideas):
        return Rejection("grouping.invalid")
    if cluster is not None:
        home = layout.clusters[cluster].prompt
        if prompt is not None and prompt != home:
            return Rejection("grouping.invalid")
        return _finish(layout, _place(layout, ideas, home, cluster, before))
    if prompt is None and before is not None:
        prompt = layout.ideas[before].prompt
    if prompt is not None:
        return _finish(layout, _place(layout, ideas, prompt, None, before))
    change = Change()
    for idea in ideas:  # each leaves its cluster and stays in its own prompt
        change = _merge(change, _place(apply(layout, change), [idea], layout.ideas[idea].prompt, None, None))
    return _finish(layout, change)


def rename(layout: Layout, cluster: str, title: str) -> Change | Rejection:
    current = layout.clusters.get(cluster)
    if current is None:
        return Rejection("cluster.not_found")
    return Change(clusters={cluster: replace(current, title=title, named=True)})


def merge(layout: Layout, cluster: str, into: str) -> Change | Rejection:
    if cluster not in layout.clusters or into not in layout.clusters:
        return Rejection("cluster.not_found")
    if cluster == into:
        return Rejection("grouping.invalid")
    moved = _place(layout, members(layout, cluster), layout.clusters[into].prompt, into, None)
    return _merge(moved, Change(clusters={cluster: None}))


def dissolve(layout: Layout, cluster: str) -> Change | Rejection:
    current = layout.clusters.get(cluster)
    if current is None:
        return Rejection("cluster.not_found")
    moved = _place(layout, members(layout, cluster), current.prompt, None, None)
    return _merge(moved, Change(clusters={cluster: None}))


def move_cluster(layout: Layout, cluster: str, before: str | None, prompt: str | None) -> Change | Rejection:
    current = layout.clusters.get(cluster)
    if current is None or (before is not None and before not in layout.clusters):
        return Rejection("cluster.not_found")
    if prompt is not None and prompt not in layout.prompts:
        return Rejection("prompt.not_found")
    if before == cluster:
        return Rejection("grouping.invalid")
    home = layout.clusters[before].prompt if before is not None else (prompt or current.prompt)
    if prompt is not None and prompt != home:
        return Rejection("grouping.invalid")
    siblings = [c for c in clusters_of(layout, home) if c != cluster]
    positions = {c: layout.clusters[c].position for c in siblings}
    slot = _slot(siblings, positions, before)
    if slot is None:  # no room left between two floats: renumber the siblings first
        renumbered = Change(clusters={c: replace(layout.clusters[c], position=float(n))
                                      for n, c in enumerate(siblings, 1)})
        rest = move_cluster(apply(layout, renumbered), cluster, before, prompt)
        return rest if isinstance(rest, Rejection) else _merge(renumbered, rest)
    change: Change = Change(clusters={cluster: replace(current, prompt=home, position=slot)})
    if home != current.prompt:  # its ideas follow it
        change = _merge(change, Change(ideas={i: replace(layout.ideas[i], prompt=home)
                                              for i in members(layout, cluster)}))
    return change


# -- helpers --------------------------------------------------------------------------


def _groupable(layout: Layout, ideas: list[str]) -> Rejection | None:
    if len(set(ideas)) != len(ideas):
        return Rejection("grouping.invalid")
    if any(i not in layout.ideas or i in layout.hidden for i in ideas):
        return Rejection("idea.not_found")
    return None


def _place(layout: Layout, ideas: list[str], prompt: str, cluster: str | None, before: str | None) -> Change:
    """Put `ideas`, in this order, into one container (a cluster, or a prompt's loose ideas)."""
    container = members(layout, cluster) if cluster is not None else loose(layout, prompt)
    if before is not None and before not in container:
        before = None  # not a sibling there: at the end, rather than refuse a drop
    siblings = [i for i in container if i not in ideas]
    positions = {i: layout.ideas[i].position for i in siblings}
    change: dict[str, Placement] = {}
    for idea in ideas:
        slot = _slot(siblings, positions, before)
        if slot is None:  # no room left between two floats: renumber the container
            for n, sibling in enumerate(siblings, 1):
                positions[sibling] = float(n)
                change[sibling] = Placement(prompt, cluster, float(n))
            slot = _slot(siblings, positions, before)
            assert slot is not None
        index = siblings.index(before) if before is not None else len(siblings)
        siblings.insert(index, idea)
        positions[idea] = slot
        change[idea] = Placement(prompt, cluster, slot)
    return Change(ideas=change)


def _slot(siblings: list[str], positions: Mapping[str, float], before: str | None) -> float | None:
    """A position between `before` and the sibling ahead of it (or after the last); None: no room."""
    if before is None:
        return _end(positions[s] for s in siblings)
    index = siblings.index(before)
    upper = positions[before]
    lower = positions[siblings[index - 1]] if index > 0 else upper - 2.0
    middle = (lower + upper) / 2
    return middle if lower < middle < upper and upper - lower > 1e-6 else None


def _end(positions: Iterable[float]) -> float:
    return max(positions, default=0.0) + 1.0


def _merge(first: Change, second: Change) -> Change:
    return Change(ideas={**first.ideas, **second.ideas}, clusters={**first.clusters, **second.clusters})


def _finish(layout: Layout, change: Change) -> Change:
    """Drop the clusters this change left empty, unless a person named them."""
    after = apply(layout, change)
    left = {p.cluster for i, p in layout.ideas.items() if i in change.ideas and p.cluster is not None}
    gone = {c: None for c in left if c in after.clusters and not after.clusters[c].named and not members(after, c)}
    return _merge(change, Change(clusters=gone))


# -- the log's copy of a change, for undo ---------------------------------------------


def dump(change: Change) -> dict[str, object]:
    return {"ideas": {i: [p.prompt, p.cluster, p.position] for i, p in change.ideas.items()},
            "clusters": {c: None if s is None else [s.prompt, s.title, s.named, s.position]
                         for c, s in change.clusters.items()}}


def load(data: dict[str, dict[str, list[object] | None]]) -> Change:
    ideas = {i: Placement(str(v[0]), None if v[1] is None else str(v[1]), float(v[2]))  # type: ignore[arg-type,index]
             for i, v in data["ideas"].items() if v is not None}
    clusters = {c: None if v is None else Cluster(str(v[0]), str(v[1]), bool(v[2]), float(v[3]))  # type: ignore[arg-type]
                for c, v in data["clusters"].items()}
    return Change(ideas=ideas, clusters=clusters)
