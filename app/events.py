"""Domain events: what a committed command changed, in the room's order.

Each event knows its wire form. `author_id` (a participant's private id) never
leaves the server; pages see an opaque per-room `author` tag instead, so that
nobody can link an idea to a name unless the room shows authors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Union

from .grouping import Change


@dataclass(frozen=True)
class IdeaAdded:
    type: ClassVar[str] = "idea.added"
    idea: str
    prompt: str
    author_id: str
    author: str
    text: str
    colour: str
    at: float
    name: str | None = None  # the author's pseudonym, only when the room shows authors

    def wire(self) -> dict[str, Any]:
        frame = {"type": self.type, "idea": self.idea, "prompt": self.prompt, "author": self.author,
                 "text": self.text, "colour": self.colour, "at": self.at}
        if self.name is not None:
            frame["name"] = self.name
        return frame


@dataclass(frozen=True)
class IdeaEdited:
    type: ClassVar[str] = "idea.edited"
    idea: str
    text: str
    colour: str
    at: float

    def wire(self) -> dict[str, Any]:
        return {"type": self.type, "idea": self.idea, "text": self.text, "colour": self.colour, "at": self.at}


@dataclass(frozen=True)
class IdeaDeleted:
    type: ClassVar[str] = "idea.deleted"
    idea: str

    def wire(self) -> dict[str, Any]:
        return {"type": self.type, "idea": self.idea}


Event = Union[IdeaAdded, IdeaEdited, IdeaDeleted]


@dataclass(frozen=True)
class IdeaHidden:
    """Moderation. Facilitators see this; others see the idea leave (or come back)."""

    type: ClassVar[str] = "idea.hidden"
    idea: str
    hidden: bool
    shown: IdeaAdded  # the idea as it is, for the pages that get it back when unhidden

    def wire(self) -> dict[str, Any]:
        return {"type": self.type, "idea": self.idea, "hidden": self.hidden}


@dataclass(frozen=True)
class PhaseChanged:
    type: ClassVar[str] = "phase.changed"
    phase: str
    reveal: bool  # what pages may see changes (ideas revealed, totals shown): they fetch a snapshot
    timer: dict[str, Any] | None = None  # the stopped timer, when the change stopped a running or paused one

    def wire(self) -> dict[str, Any]:
        wire = {"type": self.type, "phase": self.phase, "reveal": self.reveal}
        return wire if self.timer is None else {**wire, "timer": self.timer}


@dataclass(frozen=True)
class RoomConfigured:
    type: ClassVar[str] = "room.configured"
    settings: dict[str, Any]

    def wire(self) -> dict[str, Any]:
        return {"type": self.type, "settings": self.settings}


@dataclass(frozen=True)
class TimerChanged:
    type: ClassVar[str] = "timer.changed"
    timer: dict[str, Any]
    now: float

    def wire(self) -> dict[str, Any]:
        return {"type": self.type, "timer": self.timer, "now": self.now}


@dataclass(frozen=True)
class PromptAdded:
    type: ClassVar[str] = "prompt.added"
    prompt: str
    title: str
    position: int

    def wire(self) -> dict[str, Any]:
        return {"type": self.type, "prompt": {"id": self.prompt, "title": self.title}}


@dataclass(frozen=True)
class PromptRenamed:
    type: ClassVar[str] = "prompt.renamed"
    prompt: str
    title: str

    def wire(self) -> dict[str, Any]:
        return {"type": self.type, "prompt": self.prompt, "title": self.title}


@dataclass(frozen=True)
class PromptDeleted:
    type: ClassVar[str] = "prompt.deleted"
    prompt: str

    def wire(self) -> dict[str, Any]:
        return {"type": self.type, "prompt": self.prompt}


@dataclass(frozen=True)
class ParticipantRemoved:
    """Removed by a facilitator (their ideas stay), or gone by their own choice (`left`): then
    their ideas, dots and pseudonym are erased with them, and `ideas` names the ideas that went."""

    type: ClassVar[str] = "participant.removed"
    participant_id: str
    public_id: str
    left: bool = False
    ideas: tuple[str, ...] = ()

    def wire(self) -> dict[str, Any]:
        frame: dict[str, Any] = {"type": self.type, "participant": self.public_id}
        if self.left:
            frame.update(left=True, ideas=list(self.ideas))
        return frame


@dataclass(frozen=True)
class ParticipantRoleChanged:
    type: ClassVar[str] = "participant.role"
    participant_id: str
    public_id: str
    role: str

    def wire(self) -> dict[str, Any]:
        return {"type": self.type, "participant": self.public_id, "role": self.role}


@dataclass(frozen=True)
class Regrouped:
    """A grouping command's effect: where each touched idea and cluster ends up."""

    type: ClassVar[str] = "group.changed"
    action: str  # the command, so pages can word what happened
    change: Change
    inverse: Change = Change()  # what undoing it would do; kept in the log, never sent
    undo_of: int | None = None  # the seq of the action this one undoes

    def wire(self) -> dict[str, Any]:
        ideas = [{"idea": i, "prompt": p.prompt, "cluster": p.cluster, "position": p.position}
                 for i, p in self.change.ideas.items()]
        clusters = [{"cluster": c, "prompt": s.prompt, "title": s.title, "named": s.named, "position": s.position}
                    for c, s in self.change.clusters.items() if s is not None]
        dropped = [c for c, s in self.change.clusters.items() if s is None]
        frame: dict[str, Any] = {"type": self.type, "action": self.action, "ideas": ideas, "clusters": clusters,
                                 "dropped": dropped}
        if self.undo_of is not None:
            frame["undo_of"] = self.undo_of
        return frame


@dataclass(frozen=True)
class VoteChanged:
    """A dot placed or taken back. The voter learns their own count; the room, what the settings let it."""

    type: ClassVar[str] = "vote.changed"
    item: str
    kind: str  # "idea" or "cluster"
    voter_id: str
    mine: int  # the voter's dots on this item now
    total: int  # everyone's dots on this item now
    voters: int | None  # participants with at least one dot; None: unchanged (`voting.counts_voters`)
    live: bool  # totals are shown while voting

    def wire(self) -> dict[str, Any]:
        frame: dict[str, Any] = {"type": self.type, "item": self.item, "mine": self.mine, **self._voters()}
        if self.live:
            frame["total"] = self.total
        return frame

    def redacted(self) -> dict[str, Any]:
        if self.live:
            return {"type": self.type, "item": self.item, "total": self.total, **self._voters()}
        return {"type": self.type, **self._voters()}

    def _voters(self) -> dict[str, int]:
        return {} if self.voters is None else {"voters": self.voters}


@dataclass(frozen=True)
class ActionChanged:
    """A roadmap action as it is now (`state` a `roadmap.Action`; None: deleted)."""

    type: ClassVar[str] = "action.changed"
    action: str
    state: Any
    before: Any = None  # as it was, kept in the log for undo, never sent
    undo_of: int | None = None

    def wire(self) -> dict[str, Any]:
        frame: dict[str, Any] = {"type": self.type, "action": self.action,
                                 "state": None if self.state is None else self.state.dump()}
        if self.undo_of is not None:
            frame["undo_of"] = self.undo_of
        return frame


RoomEvent = Union[Event, IdeaHidden, PhaseChanged, RoomConfigured, TimerChanged, PromptAdded, PromptRenamed,
                  PromptDeleted, ParticipantRemoved, ParticipantRoleChanged, Regrouped, VoteChanged, ActionChanged]
