"""Reading a workshop document (a JSON export, schema 1) back into a new workshop.

Pure: the file's bytes in, a `Plan` of fresh rows out, or every `Problem` found. A file is
input like any other: parsed strictly (pydantic, sizes from `limits`), every text cleaned by
the rule people's texts go through (`domain.checked_text`, `roadmap` for actions), every
reference checked, every id replaced by a fresh one so that nothing of the file's ids (or
anyone else's rooms) leaks in. Anything wrong: nothing is created and every fault is listed.

Dots cannot be stored without voters, so each counted dot becomes a dot of a stand-in voter
(participants marked removed, who never had a token), spread within the room's budget and cap:
the new room shows the counts it was exported with.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import limits, roadmap
from .domain import checked_text
from .errors import Rejection
from .export import FORMAT, SCHEMA
from .protocol import Colour, Day, Horizon, RoomConfigure, Status
from .room_settings import RoomSettings

FILE_MAX_BYTES = 8 * 1024 * 1024  # a full room of 5000 long ideas is about 4 MiB
CLUSTERS_MAX = limits.IDEAS_PER_ROOM
EARLIEST = 946684800.0  # 2000-01-01: an older `created_at` is no real workshop's (0 in hand-made files)
STAND_IN = {"fr": "Participant·e", "en": "Participant"}  # who wrote an idea the file names no author for
LABEL_MAX = 60  # a capitalisation group's label
PROBLEMS_SHOWN = 50  # a broken file may have thousands; the first ones say enough

Id = Annotated[str, Field(min_length=1, max_length=64)]
Text = Annotated[str, Field(max_length=limits.ACTION_TEXT_MAX * 8)]
Number = Annotated[float, Field(ge=-1e12, le=1e12)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class DocSource(_Strict):
    id: Id
    title: Annotated[str, Field(max_length=limits.ROOM_TITLE_MAX * 8)] = ""
    date: Annotated[str, Field(max_length=32)] = ""
    label: Annotated[str, Field(max_length=limits.ROOM_TITLE_MAX * 8)] = ""


class DocRoom(_Strict):
    title: Text
    template: Annotated[str, Field(max_length=64)] = "remue-meninges"
    lang: Literal["fr", "en"] = "fr"
    phase: Literal["lobby", "write", "group", "vote", "results", "roadmap", "closed"] = "results"
    created_at: Number = 0.0
    settings: dict[str, Any] = {}


class DocPrompt(_Strict):
    id: Id
    title: Text
    position: Number = 0


class DocCluster(_Strict):
    id: Id
    prompt: Id
    title: Text = ""
    named: bool = False
    position: Number = 0.0
    votes: Annotated[int, Field(ge=0, le=10**6)] | None = None
    source: Id | None = None
    source_votes: Annotated[int, Field(ge=0, le=10**6)] | None = None


class DocIdea(_Strict):
    id: Id
    prompt: Id
    cluster: Id | None = None
    text: Text
    colour: Colour = "yellow"
    position: Number = 0.0
    created_at: Number = 0.0
    votes: Annotated[int, Field(ge=0, le=10**6)] | None = None
    author: Annotated[str, Field(max_length=limits.PSEUDONYM_MAX * 8)] | None = None
    source: Id | None = None
    source_votes: Annotated[int, Field(ge=0, le=10**6)] | None = None


class DocActionSource(_Strict):
    kind: Literal["cluster", "idea"]
    id: Id


class DocAction(_Strict):
    id: Id
    title: Text
    description: Text = ""
    owners: Annotated[list[Text], Field(max_length=20)] = []
    partners: Annotated[list[Text], Field(max_length=20)] = []
    horizon: Horizon = ""
    due: Day | None = None
    status: Status = "todo"
    source: DocActionSource | None = None
    position: Number = 0.0


class Document(_Strict):
    format: Literal["essaim.workshop"]
    schema_: Literal[1] = Field(alias="schema")
    exported_at: Number = 0.0
    room: DocRoom
    prompts: Annotated[list[DocPrompt], Field(min_length=1, max_length=limits.PROMPTS_PER_ROOM)]
    clusters: Annotated[list[DocCluster], Field(max_length=CLUSTERS_MAX)] = []
    ideas: Annotated[list[DocIdea], Field(max_length=limits.IDEAS_PER_ROOM)] = []
    actions: Annotated[list[DocAction], Field(max_length=limits.ACTIONS_PER_ROOM)] = []
    voters: Annotated[int, Field(ge=0, le=limits.PARTICIPANTS_PER_ROOM)] = 0
    sources: Annotated[list[DocSource], Field(max_length=50)] = []


@dataclass(frozen=True)
class Problem:
    where: str  # "ideas[3].text"
    code: str  # an errors.CODES code
    params: dict[str, Any] = field(default_factory=dict)

    def dump(self) -> dict[str, Any]:
        return {"where": self.where, "code": self.code, "params": self.params}


@dataclass
class Plan:
    """The new room's rows, without room_id and author ids: the service adds them."""

    title: str
    template: str
    lang: str
    phase: str
    settings: RoomSettings
    prompts: list[dict[str, Any]] = field(default_factory=list)
    clusters: list[dict[str, Any]] = field(default_factory=list)
    ideas: list[dict[str, Any]] = field(default_factory=list)  # "author": a pseudonym or None
    actions: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, str]] = field(default_factory=list)  # capitalisation: the groups merged here
    dots: list[tuple[int, str, str]] = field(default_factory=list)  # (stand-in voter, kind, new item id)
    voters: int = 0  # stand-in voters, numbered from 0 in `dots`
    created_at: float = 0.0  # the workshop's own day, kept for its reports and as a source's date; 0: unknown


def parse(raw: bytes | str) -> Document | list[Problem]:
    if len(raw) > FILE_MAX_BYTES:
        return [Problem("file", "text.too_long", {"field": "file", "max": FILE_MAX_BYTES})]
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested deeper than Python goes
        return [Problem("file", "protocol.invalid_json")]
    if isinstance(data, dict) and data.get("format") == FORMAT and data.get("schema") != SCHEMA:
        return [Problem("schema", "import.schema", {"schema": str(data.get("schema"))[:20], "supported": SCHEMA})]
    if isinstance(data, dict) and (full := _over_limits(data)):
        return full
    try:
        return Document.model_validate(data, strict=True)
    except RecursionError:
        return [Problem("file", "protocol.invalid_json")]
    except ValidationError as exc:
        return [Problem(where(e["loc"]), "protocol.invalid", {"field": str(e["loc"][-1]) if e["loc"] else "file"})
                for e in exc.errors(include_url=False, include_input=False)[:PROBLEMS_SHOWN]]


_CAPS = (("ideas", limits.IDEAS_PER_ROOM, "room.full_of_ideas"), ("clusters", CLUSTERS_MAX, "room.full_of_ideas"),
         ("actions", limits.ACTIONS_PER_ROOM, "action.too_many"), ("prompts", limits.PROMPTS_PER_ROOM, "prompt.too_many"))


def _over_limits(data: dict[str, Any]) -> list[Problem]:
    """A workshop bigger than a room may be (a capitalisation of big groups, say) is told in words,
    with the limit, rather than as a list that failed validation."""
    return [Problem(key, code, {"max": cap}) for key, cap, code in _CAPS
            if isinstance(data.get(key), list) and len(data[key]) > cap]


def where(loc: tuple[int | str, ...], prefix: str = "") -> str:
    """("ideas", 3, "text") -> "ideas[3].text": what a person can find in the file."""
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "file"


def plan(raw: bytes | str, new_id: Callable[[], str], *, templates: frozenset[str]) -> Plan | list[Problem]:
    """The rows of a new workshop from an export, or every problem found (nothing is half-made)."""
    doc = parse(raw)
    if isinstance(doc, list):
        return doc
    problems: list[Problem] = []

    def text(value: str, where: str, name: str, maximum: int, *, multiline: bool = False,
             optional: bool = False) -> str:
        if optional and not value.strip():
            return ""
        cleaned = checked_text(value, name, maximum, multiline=multiline)
        if isinstance(cleaned, Rejection):
            problems.append(Problem(where, cleaned.code, dict(cleaned.params)))
            return ""
        return cleaned

    settings = _settings(doc.room.settings, problems)
    out = Plan(title=text(doc.room.title, "room.title", "title", limits.ROOM_TITLE_MAX),
               template=doc.room.template if doc.room.template in templates else "remue-meninges",
               lang=doc.room.lang, phase=doc.room.phase, settings=settings,
               created_at=doc.room.created_at if doc.room.created_at >= EARLIEST else 0.0)
    ids: dict[str, str] = {}  # the file's id -> a fresh one, for every kind (ids must not repeat)
    groups = {s.id: f"s{n + 1}" for n, s in enumerate(doc.sources)}  # provenance ids are renumbered too
    out.sources = [{"id": groups[s.id], "label": text(s.label, f"sources[{n}].label", "label", LABEL_MAX, optional=True),
                    "title": text(s.title, f"sources[{n}].title", "title", limits.ROOM_TITLE_MAX, optional=True),
                    "date": s.date if _is_day(s.date) else ""} for n, s in enumerate(doc.sources)]

    def provenance(item: DocCluster | DocIdea, where: str) -> dict[str, Any]:
        if item.source is None:
            return {"source": None, "source_votes": None}
        if item.source not in groups:
            problems.append(Problem(f"{where}.source", "import.source_not_found"))
        return {"source": groups.get(item.source), "source_votes": item.source_votes}

    def fresh(old: str, where: str) -> str:
        if old in ids:
            problems.append(Problem(where, "import.duplicate_id", {"id": old[:64]}))
        ids[old] = new_id()
        return ids[old]

    prompts = {p.id for p in doc.prompts}
    for n, p in enumerate(sorted(doc.prompts, key=lambda p: p.position)):
        title = text(p.title, f"prompts[{n}].title", "title", limits.PROMPT_TITLE_MAX)
        out.prompts.append({"id": fresh(p.id, f"prompts[{n}].id"), "title": title, "position": n})
    cluster_prompt: dict[str, str] = {}
    for n, c in enumerate(doc.clusters):
        where = f"clusters[{n}]"
        if c.prompt not in prompts:
            problems.append(Problem(f"{where}.prompt", "prompt.not_found"))
        cluster_prompt[c.id] = c.prompt
        title = text(c.title, f"{where}.title", "title", limits.CLUSTER_TITLE_MAX, optional=not c.named)
        out.clusters.append({"id": fresh(c.id, f"{where}.id"), "prompt_id": ids.get(c.prompt, ""), "title": title,
                             "named": c.named, "position": c.position, "votes": c.votes or 0,
                             **provenance(c, where)})
    for n, i in enumerate(doc.ideas):
        where = f"ideas[{n}]"
        if i.prompt not in prompts:
            problems.append(Problem(f"{where}.prompt", "prompt.not_found"))
        if i.cluster is not None and cluster_prompt.get(i.cluster) != i.prompt:
            problems.append(Problem(f"{where}.cluster", "cluster.not_found"))
        author = text(i.author, f"{where}.author", "name", limits.PSEUDONYM_MAX) if i.author else None
        out.ideas.append({"id": fresh(i.id, f"{where}.id"), "prompt_id": ids.get(i.prompt, ""),
                          "cluster_id": ids.get(i.cluster) if i.cluster else None,
                          "text": text(i.text, f"{where}.text", "text", limits.IDEA_TEXT_MAX, multiline=True),
                          "colour": i.colour, "position": i.position, "created_at": i.created_at,
                          "votes": i.votes or 0, "author": author, **provenance(i, where)})
    kinds = {c.id: "cluster" for c in doc.clusters} | {i.id: "idea" for i in doc.ideas}
    for n, a in enumerate(doc.actions):
        out.actions.append(_action(a, f"actions[{n}]", ids, kinds, problems, fresh))
    people = len({i["author"] for i in out.ideas if i["author"]}) + any(not i["author"] for i in out.ideas)
    if people + doc.voters > limits.PARTICIPANTS_PER_ROOM:
        problems.append(Problem("voters", "room.full", {"max": limits.PARTICIPANTS_PER_ROOM}))
    if not problems:
        out.dots, out.voters = spread([("cluster", c["id"], c["votes"]) for c in out.clusters]
                                      + [("idea", i["id"], i["votes"]) for i in out.ideas], doc.voters, settings)
    return problems[:PROBLEMS_SHOWN] if problems else out


def _is_day(value: str) -> bool:
    return len(value) == 10 and value[4] == value[7] == "-" and (value[:4] + value[5:7] + value[8:]).isdigit()


def _settings(raw: dict[str, Any], problems: list[Problem]) -> RoomSettings:
    """Every setting the file names, checked as a facilitator's `room.configure` would be."""
    known = {k: v for k, v in raw.items() if k in RoomSettings.__dataclass_fields__}
    try:
        changes = RoomConfigure.model_validate({"type": "room.configure", "op_id": "import-settings", **known}).changes()
    except ValidationError as exc:
        for e in exc.errors(include_url=False, include_input=False)[:10]:
            problems.append(Problem(where(e["loc"], "room.settings"), "protocol.invalid",
                                    {"field": str(e["loc"][0]) if e["loc"] else "settings"}))
        return RoomSettings()
    settings = RoomSettings().merge(changes)
    return settings.merge({"vote_cap": min(settings.vote_cap, settings.vote_budget)})


def _action(a: DocAction, where: str, ids: dict[str, str], kinds: dict[str, str], problems: list[Problem],
            fresh: Callable[[str, str], str]) -> dict[str, Any]:
    fields = roadmap._fields({"title": a.title, "description": a.description, "owners": a.owners,
                              "partners": a.partners})  # the roadmap's own cleaning rule
    if isinstance(fields, Rejection):
        problems.append(Problem(where, fields.code, dict(fields.params)))
        fields = {"title": "", "description": "", "owners": (), "partners": ()}
    source_kind = source_id = None
    if a.source is not None and kinds.get(a.source.id) == a.source.kind:  # a source gone: text kept, link lost
        source_kind, source_id = a.source.kind, ids.get(a.source.id)
    return {"id": fresh(a.id, f"{where}.id"), "title": fields["title"], "description": fields["description"],
            "owners": json.dumps(list(fields["owners"]), ensure_ascii=False),
            "partners": json.dumps(list(fields["partners"]), ensure_ascii=False), "horizon": a.horizon,
            "due": a.due, "status": a.status, "source_kind": source_kind, "source_id": source_id,
            "position": a.position}


def spread(items: list[tuple[str, str, int]], voters: int, settings: RoomSettings) -> tuple[list[tuple[int, str, str]], int]:
    """Dots for stand-in voters: each keeps within the budget and the per-item cap; more voters
    than the file said only if its counts cannot fit otherwise. Returns (dots, voters used)."""
    budget, cap = settings.vote_budget, min(settings.vote_cap, settings.vote_budget)
    spent: list[int] = [0] * voters
    dots: list[tuple[int, str, str]] = []
    turn = 0
    for kind, item, count in items:
        on_item: dict[int, int] = {}
        for _ in range(count):
            chosen = None
            for step in range(len(spent)):
                v = (turn + step) % len(spent)
                if spent[v] < budget and on_item.get(v, 0) < cap:
                    chosen = v
                    break
            if chosen is None:
                spent.append(0)
                chosen = len(spent) - 1
            spent[chosen] += 1
            on_item[chosen] = on_item.get(chosen, 0) + 1
            dots.append((chosen, kind, item))
            turn = chosen + 1
    used = {v: n for n, v in enumerate(sorted({v for v, _k, _i in dots}))}  # only voters who placed a dot
    return [(used[v], kind, item) for v, kind, item in dots], len(used)


@dataclass(frozen=True)
class Rows:
    """A plan as table rows (see `app/models.py`), for `store.insert_room` and `store.insert_imported`."""

    room: dict[str, Any]
    prompts: list[dict[str, Any]]
    creator: dict[str, Any]
    others: list[dict[str, Any]]  # stand-in authors and voters: removed, never given a token
    clusters: list[dict[str, Any]]
    ideas: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    votes: list[dict[str, Any]]


def rows(made: Plan, *, room: dict[str, Any], creator: dict[str, Any], new_id: Callable[[], str]) -> Rows:
    """`room` and `creator` are the rows a new workshop starts with (ids, secret, clock); the plan
    fills in the rest. Ideas with no author in the file get one stand-in author ("Participant·e"),
    never the creator: they are not "your ideas" on the creator's board and do not count against
    the creator's `IDEAS_PER_PARTICIPANT`. The workshop keeps
    the day it was held (never later than now), so its report and its date as a source stay true."""
    room_id, now = room["id"], room["created_at"]
    held = made.created_at if 0 < made.created_at <= now else now

    def person(pseudonym: str) -> dict[str, Any]:
        return {"id": new_id(), "room_id": room_id, "public_id": new_id(), "name": pseudonym, "role": "participant",
                "removed": True, "created_at": now, "creator": False}
    authors = {a: person(a) for a in dict.fromkeys(i["author"] for i in made.ideas if i["author"])}
    anonymous = [person(STAND_IN[made.lang])] if any(not i["author"] for i in made.ideas) else []

    def author_of(idea: dict[str, Any]) -> str:
        return str((authors[idea["author"]] if idea["author"] else anonymous[0])["id"])
    voters = [person(f"Votant {n + 1}") for n in range(made.voters)]
    return Rows(
        room={**room, "created_at": held, "title": made.title, "template": made.template, "lang": made.lang, "phase": made.phase,
              "settings": made.settings.json(), "seq": len(made.dots),  # each dot's seq is its own, 1..n
              "sources": json.dumps(made.sources, ensure_ascii=False)},
        prompts=[{**p, "room_id": room_id} for p in made.prompts], creator=creator,
        others=[*authors.values(), *anonymous, *voters],
        clusters=[{"id": c["id"], "room_id": room_id, "prompt_id": c["prompt_id"], "title": c["title"],
                   "named": c["named"], "position": c["position"], **_provenance(c)} for c in made.clusters],
        ideas=[{"id": i["id"], "room_id": room_id, "prompt_id": i["prompt_id"],
                "author_id": author_of(i), "text": i["text"],
                "colour": i["colour"], "hidden": False, "cluster_id": i["cluster_id"], "position": i["position"],
                "created_at": i["created_at"], "updated_at": now, **_provenance(i)} for i in made.ideas],
        actions=[{**a, "room_id": room_id} for a in made.actions],
        votes=[{"room_id": room_id, "seq": n + 1, "participant_id": voters[v]["id"],
                "idea_id": item if kind == "idea" else None, "cluster_id": item if kind == "cluster" else None}
               for n, (v, kind, item) in enumerate(made.dots)])


def _provenance(item: dict[str, Any]) -> dict[str, Any]:
    """The provenance columns (None for an item of a plain import)."""
    return {"source": item["source"], "source_votes": item["source_votes"]}
