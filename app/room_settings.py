"""A workshop's settings, changed by its facilitators, applied at once."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

Grouping = Literal["everyone", "facilitators"]
VoteOn = Literal["all", "clusters", "ideas"]  # all: clusters and the ideas in no cluster
Tallies = Literal["hidden", "live"]  # hidden: nobody sees totals before the results phase


@dataclass(frozen=True)
class RoomSettings:
    private_writing: bool = False  # during "write", each participant sees only their own ideas
    show_authors: bool = False  # pseudonyms next to ideas
    grouping: Grouping = "everyone"  # who may group ideas
    add_after_write: bool = False  # participants may still add ideas after "write"
    locked: bool = False  # no new participants
    timer_closes_writing: bool = False  # when the timer runs out, writing stops
    vote_budget: int = 5  # dots per participant
    vote_cap: int = 3  # dots one participant may put on one item
    vote_on: VoteOn = "all"
    tallies: Tallies = "hidden"
    roadmap: Grouping = "facilitators"  # who may write the roadmap's actions
    exports_for_everyone: bool = False  # participants may download the exports too (facilitators always)

    @staticmethod
    def load(raw: str | dict[str, Any]) -> RoomSettings:
        data = json.loads(raw) if isinstance(raw, str) else raw
        known = {f.name for f in fields(RoomSettings)}
        return RoomSettings(**{k: v for k, v in data.items() if k in known})

    def dump(self) -> dict[str, Any]:
        return asdict(self)

    def json(self) -> str:
        return json.dumps(self.dump(), sort_keys=True)

    def merge(self, changes: dict[str, Any]) -> RoomSettings:
        return replace(self, **changes)
