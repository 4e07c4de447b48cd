"""Pure rules of the roadmap (feuille de route): actions, their fields and their order.

Like grouping, every command becomes one event that states what the action is now
(`ActionChanged`, None when deleted), so pages apply it as is and undo is the state
it had before, refused when someone changed the action since.

A new action is placed by the votes of what it comes from: before the first action
whose source has fewer dots, so the table reads as the ranking until someone reorders it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from . import limits
from .domain import Actor, RoomFacts, checked_text, phase_check
from .errors import Rejection
from .events import ActionChanged
from .protocol import ActionAdd, ActionDelete, ActionEdit, ActionMove


@dataclass(frozen=True)
class Action:
    title: str
    description: str
    owners: tuple[str, ...]
    partners: tuple[str, ...]
    horizon: str
    due: str | None
    status: str
    source_kind: str | None
    source_id: str | None
    position: float

    def dump(self) -> dict[str, Any]:
        data = asdict(self)
        data["owners"], data["partners"] = list(self.owners), list(self.partners)
        return data

    @staticmethod
    def load(data: Mapping[str, Any]) -> Action:
        return Action(**{**data, "owners": tuple(data["owners"]), "partners": tuple(data["partners"])})


@dataclass(frozen=True)
class Board:
    actions: Mapping[str, Action]
    source_votes: Mapping[str, int]  # dots of each cluster or idea (0 when unknown)
    sources: frozenset[str]  # the clusters and ideas an action may come from


def _people(raw: list[str], field: str) -> tuple[str, ...] | Rejection:
    cleaned = []
    for entry in raw:
        if not entry.strip():
            continue
        person = checked_text(entry, field, limits.ACTION_PERSON_MAX)
        if isinstance(person, Rejection):
            return person
        cleaned.append(person)
    return tuple(cleaned)


def _fields(changes: Mapping[str, Any]) -> dict[str, Any] | Rejection:
    """Clean every text a person typed; the rest (enums, dates) the parser checked."""
    out = dict(changes)
    if "title" in out:
        title = checked_text(out["title"], "title", limits.ACTION_TITLE_MAX)
        if isinstance(title, Rejection):
            return title
        out["title"] = title
    if "description" in out:
        text = out["description"]
        if text.strip():
            cleaned = checked_text(text, "description", limits.ACTION_TEXT_MAX, multiline=True)
            if isinstance(cleaned, Rejection):
                return cleaned
            text = cleaned
        out["description"] = text.strip()
    for field in ("owners", "partners"):
        if field in out:
            people = _people(out[field], field)
            if isinstance(people, Rejection):
                return people
            out[field] = people
    return out


def order(board: Board) -> list[str]:
    return sorted(board.actions, key=lambda a: (board.actions[a].position, a))


def _votes(board: Board, action: Action) -> int:
    return board.source_votes.get(action.source_id or "", 0)


def add(cmd: ActionAdd, actor: Actor, room: RoomFacts, board: Board, new_id: str) -> ActionChanged | Rejection:
    if refused := phase_check(room, cmd.type, actor):
        return refused
    if len(board.actions) >= limits.ACTIONS_PER_ROOM:
        return Rejection("action.too_many", {"max": limits.ACTIONS_PER_ROOM})
    if cmd.source is not None and cmd.source.id not in board.sources:
        return Rejection("action.source_not_found")
    fields = _fields(cmd.model_dump(include={"title", "description", "owners", "partners"}))
    if isinstance(fields, Rejection):
        return fields
    votes = board.source_votes.get(cmd.source.id, 0) if cmd.source else 0
    ids = order(board)
    later = next((a for a in ids if _votes(board, board.actions[a]) < votes), None)
    action = Action(fields["title"], fields["description"], fields["owners"], fields["partners"], cmd.horizon,
                    cmd.due, cmd.status, cmd.source.kind if cmd.source else None,
                    cmd.source.id if cmd.source else None, _slot(board, ids, later))
    return ActionChanged(new_id, action)


def edit(cmd: ActionEdit, actor: Actor, room: RoomFacts, board: Board) -> ActionChanged | Rejection:
    if refused := phase_check(room, cmd.type, actor):
        return refused
    current = board.actions.get(cmd.action)
    if current is None:
        return Rejection("action.not_found")
    fields = _fields(cmd.changes())
    if isinstance(fields, Rejection):
        return fields
    return ActionChanged(cmd.action, replace(current, **fields))


def delete(cmd: ActionDelete, actor: Actor, room: RoomFacts, board: Board) -> ActionChanged | Rejection:
    if refused := phase_check(room, cmd.type, actor):
        return refused
    if cmd.action not in board.actions:
        return Rejection("action.not_found")
    return ActionChanged(cmd.action, None)


def move(cmd: ActionMove, actor: Actor, room: RoomFacts, board: Board) -> ActionChanged | Rejection:
    if refused := phase_check(room, cmd.type, actor):
        return refused
    current = board.actions.get(cmd.action)
    if current is None or (cmd.before is not None and cmd.before not in board.actions):
        return Rejection("action.not_found")
    if cmd.before == cmd.action:  # a page that drops an action onto itself
        return Rejection("action.invalid_move")
    ids = [a for a in order(board) if a != cmd.action]
    return ActionChanged(cmd.action, replace(current, position=_slot(board, ids, cmd.before)))


def _slot(board: Board, ids: list[str], before: str | None) -> float:
    """A position before `before` (or after the last). Halving room runs out only after
    ~50 insertions at one spot; then it lands just past its neighbour, still ordered by id."""
    if before is None:
        return max((board.actions[a].position for a in ids), default=0.0) + 1.0
    index = ids.index(before)
    upper = board.actions[before].position
    lower = board.actions[ids[index - 1]].position if index > 0 else upper - 2.0
    return (lower + upper) / 2
