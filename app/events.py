"""Domain events: what a committed command changed, in the room's order.

Each event knows its wire form. `author_id` (a participant's private id) never
leaves the server; pages see an opaque per-room `author` tag instead, so that
nobody can link an idea to a name unless the room shows authors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Union


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

    def wire(self) -> dict[str, Any]:
        return {"type": self.type, "idea": self.idea, "prompt": self.prompt, "author": self.author,
                "text": self.text, "colour": self.colour, "at": self.at}


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
