"""Ranking the items of a vote: most dots first, equal counts share a rank and show as ties.

Standard competition ranking ("1, 2, 2, 4"): an item's rank is one more than the number
of items with strictly more dots, so a tie is never broken by an arbitrary order that a
room might read as a decision. Within a tie, items keep the board's order (prompt, then
position), which only decides what is printed first. `ranking` in `static/js/state-later.js`
is the twin used by pages; exports use this one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    id: str
    kind: str  # "cluster" or "idea"
    order: tuple[int, float, str]  # prompt index, position, id: the board's order
    votes: int


@dataclass(frozen=True)
class Ranked:
    item: Item
    rank: int
    tied: bool


def rank(items: list[Item]) -> list[Ranked]:
    ordered = sorted(items, key=lambda i: (-i.votes, i.order))
    counts = Counter(i.votes for i in ordered)
    ranked: list[Ranked] = []
    for index, item in enumerate(ordered):
        first = ranked[-1].rank if ranked and ranked[-1].item.votes == item.votes else index + 1
        ranked.append(Ranked(item, first, counts[item.votes] > 1))
    return ranked
