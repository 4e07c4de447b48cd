"""Near-duplicate hints: ideas and clusters that say nearly the same thing.

Only hints: a person confirms each merge, which then goes through the ordinary
grouping commands. Texts are compared once normalised for French (case, accents,
apostrophes, the small words that carry no meaning), word order ignored.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz, process

THRESHOLD = 82  # token_sort_ratio, 0-100: tuned on "fête de quartier" / "une fête du quartier"
MAX_ITEMS = 1500  # beyond, a hint is not worth the quadratic work
MAX_PAIRS = 30
_SMALL = frozenset("le la les l un une des de du d et a au aux en pour avec sur dans par ou the a an of and".split())


@dataclass(frozen=True)
class Item:
    id: str
    kind: str  # "idea" or "cluster"
    text: str
    group: str | None = None  # the cluster an idea is in: ideas of one cluster are no hint
    source: str | None = None  # the group it came from, in a capitalisation room


@dataclass(frozen=True)
class Pair:
    a: Item
    b: Item
    score: int


def normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = re.findall(r"[a-z0-9]+", plain.replace("œ", "oe").replace("æ", "ae"))
    return " ".join(w for w in words if w not in _SMALL)


def pairs(items: list[Item], threshold: int = THRESHOLD) -> list[Pair]:
    """The closest pairs first, at most `MAX_PAIRS`, each item in at most one pair.

    In a capitalisation room, pairs across two groups come before pairs within one: they are
    what that session is for, and same-group pairs must not take their places in the list."""
    items = [i for i in items if normalise(i.text)][:MAX_ITEMS]
    texts = [normalise(i.text) for i in items]
    if len(items) < 2:
        return []
    found: list[tuple[int, int, int]] = []
    for x in range(len(items) - 1):  # each text against those after it, in C (no numpy needed)
        for _text, score, offset in process.extract(texts[x], texts[x + 1:], scorer=fuzz.token_sort_ratio,
                                                     score_cutoff=threshold, limit=None):
            y = x + 1 + offset
            if not _together(items[x], items[y]):
                found.append((int(score), x, y))
    found.sort(key=lambda f: (_same_source(items[f[1]], items[f[2]]), -f[0], f[1], f[2]))
    used: set[int] = set()
    result: list[Pair] = []
    for score, x, y in found:
        if x in used or y in used:
            continue
        used.update((x, y))
        result.append(Pair(items[x], items[y], score))
        if len(result) >= MAX_PAIRS:
            break
    return result


def _same_source(a: Item, b: Item) -> bool:
    return a.source is not None and a.source == b.source


def _together(a: Item, b: Item) -> bool:
    """Already grouped: two ideas of one cluster, or a cluster and one of its ideas."""
    if a.group is not None and a.group == b.group:
        return True
    return (a.kind == "cluster" and b.group == a.id) or (b.kind == "cluster" and a.group == b.id)
