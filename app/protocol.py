"""The wire format between a room page and the server (see `docs/protocol.md`).

Client frames are JSON objects with a `type`; commands also carry a random
`op_id`. They are parsed with pydantic's JSON parser, which rejects unknown
fields, wrong types, NaN and lone surrogates. Server frames are JSON objects,
or a JSON array of them when several events leave in one tick.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from .errors import Rejection
from .limits import IDEAS_PER_GROUPING

VERSION = 1

# Sticky-note colours: a fixed palette, so no colour string ever reaches CSS.
COLOURS = ("yellow", "pink", "blue", "green", "orange", "purple")
Colour = Literal["yellow", "pink", "blue", "green", "orange", "purple"]

OpId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
EntityId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
Seq = Annotated[int, Field(ge=0, le=2**53)]
# Raw texts may be a little longer than their limit: cleaning can shorten them,
# and the domain says "too long" in words rather than the parser in jargon.
RawText = Annotated[str, Field(max_length=4000)]


class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class Hello(_Frame):
    type: Literal["hello"]
    v: Annotated[int, Field(ge=0, le=1000)]
    since: Seq | None = None


class Sync(_Frame):
    """Ask again for the events after `since` (a gap was seen)."""

    type: Literal["sync"]
    since: Seq


class Ping(_Frame):
    type: Literal["ping"]


class _Command(_Frame):
    op_id: OpId


class IdeaAdd(_Command):
    type: Literal["idea.add"]
    prompt: EntityId
    text: RawText
    colour: Colour = "yellow"


class IdeaEdit(_Command):
    type: Literal["idea.edit"]
    idea: EntityId
    text: RawText | None = None
    colour: Colour | None = None


class IdeaDelete(_Command):
    type: Literal["idea.delete"]
    idea: EntityId


class IdeaHide(_Command):
    type: Literal["idea.hide"]
    idea: EntityId
    hidden: bool


class RoomPhase(_Command):
    type: Literal["room.phase"]
    phase: Literal["lobby", "write", "group", "vote", "results", "roadmap", "closed"]


class RoomConfigure(_Command):
    type: Literal["room.configure"]
    private_writing: bool | None = None
    show_authors: bool | None = None
    grouping: Literal["everyone", "facilitators"] | None = None
    add_after_write: bool | None = None
    locked: bool | None = None
    timer_closes_writing: bool | None = None
    vote_budget: Annotated[int, Field(ge=1, le=50)] | None = None
    vote_cap: Annotated[int, Field(ge=1, le=50)] | None = None
    vote_on: Literal["all", "clusters", "ideas"] | None = None
    tallies: Literal["hidden", "live"] | None = None
    roadmap: Literal["facilitators", "everyone"] | None = None
    exports_for_everyone: bool | None = None

    def changes(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump(exclude={"type", "op_id"}).items() if v is not None}


class TimerStart(_Command):
    type: Literal["timer.start"]
    seconds: Annotated[int, Field(ge=10, le=7200)]


class TimerAdd(_Command):
    type: Literal["timer.add"]
    seconds: Annotated[int, Field(ge=-3600, le=3600)]


class TimerPause(_Command):
    type: Literal["timer.pause"]


class TimerResume(_Command):
    type: Literal["timer.resume"]


class TimerStop(_Command):
    type: Literal["timer.stop"]


class PromptAdd(_Command):
    type: Literal["prompt.add"]
    title: RawText


class PromptRename(_Command):
    type: Literal["prompt.rename"]
    prompt: EntityId
    title: RawText


class PromptDelete(_Command):
    type: Literal["prompt.delete"]
    prompt: EntityId


class ParticipantRemove(_Command):
    type: Literal["participant.remove"]
    participant: EntityId


class ParticipantLeave(_Command):
    """"Quitter l'atelier et effacer mes idées": the sender leaves, and what they wrote goes."""

    type: Literal["participant.leave"]


class ParticipantRole(_Command):
    type: Literal["participant.role"]
    participant: EntityId
    role: Literal["facilitator", "participant"]


# -- grouping (see `grouping`) -------------------------------------------------------

IdeaIds = Annotated[list[EntityId], Field(max_length=IDEAS_PER_GROUPING)]  # the one check of this limit


class ClusterCreate(_Command):
    """A new cluster holding `ideas` (taken out of any other cluster); with no idea, a title is needed."""

    type: Literal["cluster.create"]
    ideas: IdeaIds
    prompt: EntityId | None = None  # default: the first idea's prompt
    title: RawText | None = None  # default: a suggestion from the first idea


class IdeasMove(_Command):
    """Put ideas into a cluster, or out of any (`cluster` null), optionally before another idea."""

    type: Literal["ideas.move"]
    ideas: Annotated[list[EntityId], Field(min_length=1, max_length=IDEAS_PER_GROUPING)]
    cluster: EntityId | None = None
    prompt: EntityId | None = None  # with no cluster: the prompt to go to (default: where each idea is)
    before: EntityId | None = None  # an idea of the destination; default: at the end


class ClusterRename(_Command):
    type: Literal["cluster.rename"]
    cluster: EntityId
    title: RawText


class ClusterMerge(_Command):
    """`cluster`'s ideas join `into`; `cluster` is gone."""

    type: Literal["cluster.merge"]
    cluster: EntityId
    into: EntityId


class ClusterDissolve(_Command):
    type: Literal["cluster.dissolve"]
    cluster: EntityId


class ClusterMove(_Command):
    """Reorder a cluster among its prompt's clusters, or move it (with its ideas) to another prompt."""

    type: Literal["cluster.move"]
    cluster: EntityId
    before: EntityId | None = None  # another cluster; default: at the end
    prompt: EntityId | None = None


class GroupUndo(_Command):
    """Undo this participant's last grouping action that is not undone yet."""

    type: Literal["group.undo"]


# -- roadmap (see `roadmap`) ------------------------------------------------------------

PersonText = Annotated[str, Field(max_length=1000)]
People = Annotated[list[PersonText], Field(max_length=20)]
Horizon = Literal["", "3m", "6m", "1y"]
Status = Literal["todo", "doing", "done", "dropped"]
Day = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]


class Source(_Frame):
    kind: Literal["cluster", "idea"]
    id: EntityId


class ActionAdd(_Command):
    """A roadmap action, often from a cluster (or an idea) and its votes."""

    type: Literal["action.add"]
    title: RawText
    description: RawText = ""
    owners: People = []
    partners: People = []
    horizon: Horizon = ""
    due: Day | None = None
    status: Status = "todo"
    source: Source | None = None


class ActionEdit(_Command):
    """Change some fields of an action; fields left out stay as they are."""

    type: Literal["action.edit"]
    action: EntityId
    title: RawText | None = None
    description: RawText | None = None
    owners: People | None = None
    partners: People | None = None
    horizon: Horizon | None = None
    due: Day | None = None
    clear_due: bool = False
    status: Status | None = None

    def changes(self) -> dict[str, Any]:
        fields = self.model_dump(exclude={"type", "op_id", "action", "clear_due"}, exclude_none=True)
        return {**fields, "due": None} if self.clear_due else fields


class ActionDelete(_Command):
    type: Literal["action.delete"]
    action: EntityId


class ActionMove(_Command):
    type: Literal["action.move"]
    action: EntityId
    before: EntityId | None = None  # another action; default: at the end


class ActionUndo(_Command):
    """Undo this participant's last roadmap change that is not undone yet."""

    type: Literal["action.undo"]


# -- voting (see `voting`) --------------------------------------------------------------


class VoteAdd(_Command):
    type: Literal["vote.add"]
    item: EntityId  # an idea or a cluster


class VoteRemove(_Command):
    type: Literal["vote.remove"]
    item: EntityId


class Done(_Frame):
    """"J'ai fini": ephemeral, never stored."""

    type: Literal["done"]
    done: bool


class SnapshotRequest(_Frame):
    type: Literal["snapshot"]


Command = Union[IdeaAdd, IdeaEdit, IdeaDelete, IdeaHide, RoomPhase, RoomConfigure, TimerStart, TimerAdd,
                TimerPause, TimerResume, TimerStop, PromptAdd, PromptRename, PromptDelete,
                ParticipantRemove, ParticipantLeave, ParticipantRole, ClusterCreate, IdeasMove, ClusterRename, ClusterMerge,
                ClusterDissolve, ClusterMove, GroupUndo, VoteAdd, VoteRemove, ActionAdd, ActionEdit, ActionDelete,
                ActionMove, ActionUndo]
ClientFrame = Annotated[Union[Hello, Sync, Ping, Done, SnapshotRequest, Command], Field(discriminator="type")]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(ClientFrame)
COMMAND_TYPES = frozenset(
    model.model_fields["type"].annotation.__args__[0]  # type: ignore[union-attr]
    for model in Command.__args__  # type: ignore[attr-defined]
)
FRAME_TYPES = COMMAND_TYPES | {"hello", "sync", "ping", "done", "snapshot"}


def parse(raw: str | bytes) -> Hello | Sync | Ping | Done | SnapshotRequest | Command | Rejection:
    """Parse one client frame, or say precisely why it is refused."""
    try:
        return _ADAPTER.validate_json(raw)
    except ValidationError as exc:
        return _explain(exc, raw)


def _explain(exc: ValidationError, raw: str | bytes) -> Rejection:
    first = exc.errors(include_url=False, include_input=False)[0]
    kind = first["type"]
    if kind in ("dict_type", "model_type") or kind.startswith("json"):
        return Rejection("protocol.invalid_json")
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return Rejection("protocol.unknown_type")
    field = ".".join(str(p) for p in first["loc"][1:]) or "?"
    return Rejection("protocol.invalid", {"field": field, "op_id": _op_id_of(raw)})


def _op_id_of(raw: str | bytes) -> str | None:
    """Best effort: echo the op_id of a refused command so the client can drop it."""
    try:
        value = json.loads(raw).get("op_id")
    except (ValueError, AttributeError, RecursionError):
        return None
    return value if isinstance(value, str) and len(value) <= 64 else None


def encode(frame: dict[str, Any]) -> str:
    """One compact encoding for every server frame."""
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def error_frame(rejection: Rejection, op_id: str | None = None) -> dict[str, Any]:
    params = {k: v for k, v in rejection.params.items() if k != "op_id"}
    frame: dict[str, Any] = {"type": "error", "code": rejection.code, "params": params}
    op_id = op_id or rejection.params.get("op_id")
    if op_id:
        frame["op_id"] = op_id
    return frame
