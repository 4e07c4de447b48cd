"""Exports of a workshop document: Markdown, CSV, JSON, and the report behind the HTML and ODT.

Pure functions of the document dict that `Service.document` builds (the schema is in
docs/protocol.md, "Exports and import"). Nothing here reads the database or the clock,
so the golden files in tests/golden/ pin every byte.

`report()` turns the document into one `Report`: the sections, labels and ranking that
the Markdown, the printable HTML (templates/report.html) and the ODT (app/export_odt.py)
all lay out, so the three always say the same thing.

CSV files use `;` between cells: French spreadsheets (LibreOffice, Excel set to French)
split on `;`, since `,` is their decimal mark. UTF-8 with a byte-order mark, so accents
open correctly. A cell that a spreadsheet would read as a formula gets a leading `'`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import text, voting
from .i18n import Translate, translator
from .results import Item, rank
from .room_settings import RoomSettings

FORMAT = "essaim.workshop"
SCHEMA = 1
SEPARATOR = ";"
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HORIZONS = ("3m", "6m", "1y")
STATUSES = ("todo", "doing", "done", "dropped")


@dataclass(frozen=True)
class IdeaLine:
    text: str
    votes: int | None
    author: str | None
    origin: str = ""  # capitalisation: "Groupe A (3 gommettes)", the group it came from and its dots there


@dataclass(frozen=True)
class ClusterBlock:
    title: str
    votes: int | None
    ideas: list[IdeaLine]
    origin: str = ""


@dataclass(frozen=True)
class PromptBlock:
    title: str
    clusters: list[ClusterBlock]
    loose: list[IdeaLine]  # ideas in no cluster


@dataclass(frozen=True)
class RankLine:
    rank: int
    tied: bool
    kind: str  # "cluster" or "idea"
    title: str
    prompt: str
    votes: int


@dataclass(frozen=True)
class ActionLine:
    title: str
    description: str
    owners: str
    partners: str
    horizon: str  # the due date when there is one, else the horizon's words
    status: str
    source: str  # the cluster or idea it came from, with its votes when shown


@dataclass(frozen=True)
class Report:
    lang: str
    title: str
    date: str
    voters: int
    votes_shown: bool
    prompts: list[PromptBlock]
    ranking: list[RankLine]
    actions: list[ActionLine]
    sources: list[dict[str, Any]] = field(default_factory=list)


def day(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()


def local_day(iso: str, lang: str) -> str:
    """A day as its readers write it: 28/11/2026 in French; ISO otherwise (and anything not a day)."""
    plain = len(iso) == 10 and iso[4] == iso[7] == "-"
    return f"{iso[8:]}/{iso[5:7]}/{iso[:4]}" if lang == "fr" and plain else iso


# Characters `text.clean` leaves as they are (printable ASCII, Latin-1 and Latin Extended letters but
# the soft hyphen, typographic quotes and dashes, the ellipsis, the euro sign, newlines): a text made
# of them only, and already spaced as cleaning spaces it, is clean. Stored texts almost always are,
# and cleaning them again one character at a time is what would make a 5000-idea export slow.
_PLAIN = re.compile("[ -~\u00a0-\u00ac\u00ae-\u024f\u2013\u2014\u2018-\u201e\u2026\u20ac\n]*")


def _spaced(value: str) -> bool:
    return "\n\n\n" not in value and value == value.strip() and all(
        line == " ".join(line.split()) for line in value.split("\n"))


def shown(value: str) -> str:
    """What an export prints: the app's own cleaning (text.clean), so a hand-edited document cannot
    slip bidirectional overrides or invisible marks into a report."""
    if _PLAIN.fullmatch(value) and _spaced(value):
        return value
    return text.clean(value, multiline=True)


def _by_position(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda x: (x.get("position", 0), x["id"]))


def _item_title(item: dict[str, Any]) -> str:
    return item.get("title") or item.get("text") or ""


def report(doc: dict[str, Any]) -> Report:
    room = doc["room"]
    lang = room.get("lang", "fr")
    prompts = _by_position(doc["prompts"])
    clusters = _by_position(doc["clusters"])
    ideas = _by_position(doc["ideas"])
    votes_shown = any(x.get("votes") is not None for x in [*clusters, *ideas]) or not (clusters or ideas)
    settings = RoomSettings.load(room.get("settings", {}))

    groups = {s["id"]: shown(s.get("label") or s["id"]) for s in doc.get("sources", [])}

    def origin(item: dict[str, Any]) -> str:
        if item.get("source") not in groups:
            return ""
        there = item.get("source_votes")
        label = groups[item["source"]]
        return label if there is None else f"{label} ({votes_label(translator(lang), lang, there)})"

    def line(idea: dict[str, Any]) -> IdeaLine:
        grouped = voting.ItemFacts("idea", grouped=bool(idea.get("cluster")))
        votes = idea.get("votes") if voting.votable(grouped, settings) else None  # no dots to show there
        return IdeaLine(shown(idea["text"]), votes, shown(idea["author"]) if idea.get("author") else None,
                        origin(idea))

    blocks = [PromptBlock(shown(p["title"]),
                          [ClusterBlock(shown(c["title"]), c.get("votes") if voting.votable(
                              voting.ItemFacts("cluster"), settings) else None,
                                        [line(i) for i in ideas if i.get("cluster") == c["id"]], origin(c))
                           for c in clusters if c["prompt"] == p["id"]],
                          [line(i) for i in ideas if i["prompt"] == p["id"] and not i.get("cluster")])
              for p in prompts]
    return Report(lang=lang, title=shown(room["title"]), date=local_day(day(room["created_at"]), lang),
                  voters=doc.get("voters", 0),
                  votes_shown=votes_shown, prompts=blocks,
                  ranking=_ranking(doc, prompts, clusters, ideas) if votes_shown else [],
                  actions=[_action(a, doc, lang, votes_shown) for a in _by_position(doc["actions"])],
                  sources=[{**s, "date": local_day(str(s.get("date", "")), lang)} for s in doc.get("sources", [])])


def _ranking(doc: dict[str, Any], prompts: list[dict[str, Any]], clusters: list[dict[str, Any]],
             ideas: list[dict[str, Any]]) -> list[RankLine]:
    """The votable items that got dots, ranked with ties (`results.rank`)."""
    settings = RoomSettings.load(doc["room"].get("settings", {}))
    index = {p["id"]: n for n, p in enumerate(prompts)}
    titles = {p["id"]: p["title"] for p in prompts}
    by_id: dict[str, tuple[str, dict[str, Any]]] = {}
    items: list[Item] = []
    for kind, rows in (("cluster", clusters), ("idea", ideas)):
        for row in rows:
            facts = voting.ItemFacts(kind, grouped=bool(row.get("cluster")))  # type: ignore[arg-type]
            if row.get("votes") and voting.votable(facts, settings):
                items.append(Item(row["id"], kind, (index.get(row["prompt"], 0), row.get("position", 0), row["id"]),
                                  row["votes"]))
                by_id[row["id"]] = (kind, row)
    return [RankLine(r.rank, r.tied, r.item.kind, shown(_item_title(by_id[r.item.id][1])),
                     shown(titles.get(by_id[r.item.id][1]["prompt"], "")), r.item.votes) for r in rank(items)]


def _action(action: dict[str, Any], doc: dict[str, Any], lang: str, votes_shown: bool) -> ActionLine:
    _ = translator(lang)
    horizon = local_day(action["due"], lang) if action.get("due") else (
        _(f"export.horizon.{action['horizon']}") if action.get("horizon") else "")
    source = ""
    if action.get("source"):
        kind, ref = action["source"]["kind"], action["source"]["id"]
        rows = doc["clusters"] if kind == "cluster" else doc["ideas"]
        found = next((r for r in rows if r["id"] == ref), None)
        if found is not None:
            source = shown(_item_title(found))
            if votes_shown and found.get("votes") is not None:
                source = f"{source} ({votes_label(_, lang, found['votes'])})"
    return ActionLine(shown(action["title"]), shown(action.get("description", "")),
                      shown(", ".join(action.get("owners", []))), shown(", ".join(action.get("partners", []))), horizon, _(f"export.status.{action['status']}"), source)


# --- Markdown -------------------------------------------------------------------------------------

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|~"})


def md_text(value: str, *, table: bool = False) -> str:
    """Text stays text: the marks that Markdown or HTML would act on are escaped, and nothing
    more, so the file reads as is in a text editor. Line breaks stay inside their item."""
    escaped = value.translate(_MD_SPECIAL)
    if escaped[:1] in ("#", "-", "+", "="):
        escaped = "\\" + escaped
    return escaped.replace("\n", "<br>" if table else "  \n  ")


def votes_label(_: Translate, lang: str, count: int) -> str:
    """"1 gommette", "2 gommettes"; French counts 0 as singular, English does not."""
    one = count <= 1 if lang == "fr" else count == 1
    return _("export.votes.one" if one else "export.votes.other", count=count)


def _md_votes(_: Translate, lang: str, votes: int | None) -> str:
    return "" if votes is None else " — " + votes_label(_, lang, votes)


def _md_idea(_: Translate, lang: str, idea: IdeaLine) -> str:
    author = f" ({md_text(idea.author)})" if idea.author else ""
    origin = f" · {md_text(idea.origin)}" if idea.origin else ""
    return f"- {md_text(idea.text)}{author}{_md_votes(_, lang, idea.votes)}{origin}"


def markdown(doc: dict[str, Any]) -> str:
    r = report(doc)
    _ = translator(r.lang)
    out = [f"# {md_text(r.title)}", "", _("export.date", date=r.date) + "  ",
           _("export.voters", count=r.voters), ""]
    for s in r.sources:
        out.append(f"- {_('export.source', label=md_text(s.get('label', '')), title=md_text(s.get('title', '')), date=s.get('date', ''))}")
    for p in r.prompts:
        out += [f"## {md_text(p.title)}", ""]
        for c in p.clusters:
            origin = f" · {md_text(c.origin)}" if c.origin else ""
            out += [f"### {md_text(c.title)}{_md_votes(_, r.lang, c.votes)}{origin}", ""]
            out += [_md_idea(_, r.lang, i) for i in c.ideas] + ([""] if c.ideas else [])
        if p.loose:
            out += [f"### {_('export.loose')}", ""] + [_md_idea(_, r.lang, i) for i in p.loose] + [""]
    out += [f"## {_('export.ranking')}", ""]
    if not r.votes_shown:
        out += [_("export.votes_hidden"), ""]
    elif not r.ranking:
        out += [_("export.no_votes"), ""]
    for line in r.ranking:
        tie = " " + _("export.tied") if line.tied else ""
        out.append(f"{line.rank}. {md_text(line.title)} ({md_text(line.prompt)}) — "
                   f"{votes_label(_, r.lang, line.votes)}{tie}")
    out += ["", f"## {_('export.roadmap')}", ""]
    if not r.actions:
        out += [_("export.no_actions")]
    else:
        head = [_(f"export.col.{k}") for k in ("action", "owners", "partners", "horizon", "status", "source")]
        out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for a in r.actions:
            title = md_text(a.title, table=True) + (f"<br>{md_text(a.description, table=True)}"
                                                    if a.description else "")
            cells = [title, *(md_text(v, table=True) for v in (a.owners, a.partners, a.horizon, a.status, a.source))]
            out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out).rstrip("\n") + "\n"


# --- CSV ------------------------------------------------------------------------------------------

def cell(value: object) -> str:
    """A spreadsheet runs a cell starting with = + - @ (or a tab, CR) as a formula: it stays text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv(rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=SEPARATOR, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerows([[cell(v) for v in row] for row in rows])
    return (BOM + buffer.getvalue()).encode("utf-8")


def csv_ideas(doc: dict[str, Any]) -> bytes:
    """One row per idea: prompt, cluster, idea, votes (empty while hidden), and the author if shown."""
    _ = translator(doc["room"].get("lang", "fr"))
    with_authors = any("author" in i for i in doc["ideas"])
    with_origin = bool(doc.get("sources"))
    head = [_("export.col.prompt"), _("export.col.cluster"), _("export.col.idea"), _("export.col.votes")]
    rows: list[list[object]] = [head + ([_("export.col.author")] if with_authors else [])
                                + ([_("export.col.origin")] if with_origin else [])]
    r = report(doc)
    for p in r.prompts:
        for cluster_title, ideas in [*((c.title, c.ideas) for c in p.clusters), ("", p.loose)]:
            for i in ideas:
                rows.append([p.title, cluster_title, i.text, i.votes] + ([i.author or ""] if with_authors else [])
                            + ([i.origin] if with_origin else []))
    return _csv(rows)


def csv_roadmap(doc: dict[str, Any]) -> bytes:
    r = report(doc)
    _ = translator(r.lang)
    keys = ("action", "description", "owners", "partners", "horizon", "status", "source")
    rows: list[list[object]] = [[_(f"export.col.{k}") for k in keys]]
    rows += [[a.title, a.description, a.owners, a.partners, a.horizon, a.status, a.source] for a in r.actions]
    return _csv(rows)


# --- JSON -----------------------------------------------------------------------------------------

def json_document(doc: dict[str, Any]) -> str:
    """The document itself: what `app/importer.py` reads back."""
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


# --- file names -----------------------------------------------------------------------------------

def filename(title: str, suffix: str) -> str:
    """A safe ASCII file name from the title: accents folded, anything else a dash."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii").lower()
    slug = "".join(c if c.isalnum() else "-" for c in folded)
    slug = "-".join(part for part in slug.split("-") if part)[:60].strip("-")
    return f"{slug or 'atelier'}{suffix}"


def html_context(doc: dict[str, Any]) -> dict[str, Any]:
    """What templates/report.html needs: the report, and labels in the room's language."""
    r = report(doc)
    _ = translator(r.lang)
    return {"report": r, "_": _, "votes_label": lambda count: votes_label(_, r.lang, count)}


# --- the document, from the stored rows ----------------------------------------------------------

def build(*, room: Any, prompts: list[Any], clusters: list[Any], ideas: list[Any], actions: list[Any],
          totals: dict[str, int] | None, voters: int, names: dict[str, str], now: float) -> dict[str, Any]:
    """The workshop document (schema 1) from rows as `store` reads them.

    Hidden ideas are left out; `totals` is None while the room hides the tallies, and every
    "votes" is then null; `names` (author id -> pseudonym) is empty unless authors are shown.
    """
    def votes(item_id: str) -> int | None:
        return None if totals is None else totals.get(item_id, 0)

    def provenance(row: Any) -> dict[str, Any]:
        """Capitalisation: the group an item came from and its dots there, only when it has one."""
        source = getattr(row, "source", None)
        return {"source": source, "source_votes": getattr(row, "source_votes", None)} if source else {}

    def idea(row: Any) -> dict[str, Any]:
        out = {"id": row.id, "prompt": row.prompt_id, "cluster": row.cluster_id, "text": row.text,
               "colour": row.colour, "position": row.position, "created_at": row.created_at, "votes": votes(row.id),
               **provenance(row)}
        if row.author_id in names:
            out["author"] = names[row.author_id]
        return out

    kept = {("cluster", c.id) for c in clusters} | {("idea", i.id) for i in ideas if not i.hidden}

    def action(row: Any) -> dict[str, Any]:
        """An action whose source is gone (dissolved, merged, hidden, deleted) keeps its text, not its link."""
        source = {"kind": row.source_kind, "id": row.source_id} if (row.source_kind, row.source_id) in kept else None
        return {"id": row.id, "title": row.title, "description": row.description or "",
                "owners": json.loads(row.owners or "[]"), "partners": json.loads(row.partners or "[]"),
                "horizon": row.horizon or "", "due": row.due or None, "status": row.status, "source": source,
                "position": row.position}

    return {
        "format": FORMAT, "schema": SCHEMA, "exported_at": now,
        "room": {"title": room.title, "template": room.template, "lang": room.lang, "phase": room.phase,
                 "created_at": room.created_at, "settings": RoomSettings.load(room.settings or "{}").dump()},
        "prompts": [{"id": p.id, "title": p.title, "position": p.position} for p in prompts],
        "clusters": [{"id": c.id, "prompt": c.prompt_id, "title": c.title, "named": bool(c.named),
                      "position": c.position, "votes": votes(c.id), **provenance(c)} for c in clusters],
        "ideas": [idea(i) for i in ideas if not i.hidden],
        "actions": [action(a) for a in actions],
        "voters": voters, "sources": json.loads(getattr(room, "sources", None) or "[]"),
    }
