"""Pure rules of dot voting: what can take dots, the budget, the per-item cap.

The facts come from inside the write transaction, so a budget checked here is the
budget committed: two tabs of one participant voting at the same instant are two
commands in the writer's order, and the second sees the first's dot.

One rule for dots whose item stops being votable (the idea is deleted, hidden or
joins a cluster, a cluster is merged away or dissolved, the room changes what it
votes on) and for a budget or cap lowered after dots were placed: those dots are
**returned** to their voters, the most recent first (`returned`). Nothing carries
dots from one item to another, so no one ends up voting for what they did not pick.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from .domain import Actor, RoomFacts, phase_check
from .errors import Rejection
from .events import VoteChanged
from .protocol import VoteAdd, VoteRemove
from .room_settings import RoomSettings
from .visibility import tallies_shown

Kind = Literal["idea", "cluster"]


@dataclass(frozen=True)
class ItemFacts:
    kind: Kind
    grouped: bool = False  # an idea inside a cluster
    hidden: bool = False


@dataclass(frozen=True)
class Tally:
    mine_total: int  # the voter's dots on every item
    mine_here: int  # the voter's dots on this item
    total_here: int  # everyone's dots on this item
    voters: int | None = None  # participants with at least one dot; counted only if `counts_voters`


@dataclass(frozen=True)
class Dot:
    seq: int  # when it was placed: the most recent go back first
    voter: str
    item: str


def votable(item: ItemFacts | None, settings: RoomSettings) -> bool:
    if item is None or item.hidden:
        return False
    if item.kind == "cluster":
        return settings.vote_on in ("all", "clusters")
    return settings.vote_on == "ideas" or (settings.vote_on == "all" and not item.grouped)


def cap(settings: RoomSettings) -> int:
    return min(settings.vote_cap, settings.vote_budget)


def live(phase: str, settings: RoomSettings) -> bool:
    """Are totals shown to everyone now? While voting only if the room says so; always after."""
    return tallies_shown(phase, settings)


def counts_voters(command_type: str, mine_total: int) -> bool:
    """Can this dot change how many people voted? Only someone's first dot, or their last taken
    back. Otherwise the event leaves `voters` out (unchanged) and nobody counts them: that count
    reads every dot of the room, and a vote burst would read the room once per dot."""
    return mine_total == 0 if command_type == "vote.add" else mine_total == 1


def _voters_after(cmd: VoteAdd | VoteRemove, tally: Tally) -> int | None:
    if not counts_voters(cmd.type, tally.mine_total):
        return None
    assert tally.voters is not None, "counts_voters said the voters must be counted"
    return tally.voters + (1 if cmd.type == "vote.add" else -1)


def add(cmd: VoteAdd, actor: Actor, room: RoomFacts, item: ItemFacts | None, tally: Tally) -> VoteChanged | Rejection:
    if refused := phase_check(room, cmd.type, actor):
        return refused
    if not votable(item, room.settings):
        return Rejection("vote.not_votable")
    assert item is not None
    if tally.mine_total >= room.settings.vote_budget:
        return Rejection("vote.budget_exceeded", {"max": room.settings.vote_budget})
    if tally.mine_here >= cap(room.settings):
        return Rejection("vote.cap_reached", {"max": cap(room.settings)})
    return VoteChanged(cmd.item, item.kind, actor.id, tally.mine_here + 1, tally.total_here + 1, _voters_after(cmd, tally),
                       live(room.phase, room.settings))


def remove(cmd: VoteRemove, actor: Actor, room: RoomFacts, item: ItemFacts | None,
           tally: Tally) -> VoteChanged | Rejection:
    if refused := phase_check(room, cmd.type, actor):
        return refused
    if item is None:
        return Rejection("vote.not_votable")
    if tally.mine_here <= 0:
        return Rejection("vote.none")
    return VoteChanged(cmd.item, item.kind, actor.id, tally.mine_here - 1, tally.total_here - 1, _voters_after(cmd, tally),
                       live(room.phase, room.settings))


def returned(dots: Iterable[Dot], items: dict[str, ItemFacts], settings: RoomSettings) -> list[Dot]:
    """The dots to give back: on items no longer votable, then beyond the cap, then beyond the budget."""
    ordered = sorted(dots, key=lambda d: d.seq)
    back = [d for d in ordered if not votable(items.get(d.item), settings)]
    kept = [d for d in ordered if votable(items.get(d.item), settings)]
    per_item: Counter[tuple[str, str]] = Counter()
    per_voter: defaultdict[str, int] = defaultdict(int)
    for dot in kept:  # oldest first keep their place; the newest beyond a limit go back
        key = (dot.voter, dot.item)
        if per_item[key] >= cap(settings) or per_voter[dot.voter] >= settings.vote_budget:
            back.append(dot)
            continue
        per_item[key] += 1
        per_voter[dot.voter] += 1
    return back
