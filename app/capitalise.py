"""Capitalisation: one new workshop document from the documents of several earlier workshops.

Pure. Each source document is checked as an import is (`importer.parse`), then merged: prompts
whose titles say the same once normalised (case, accents, spaces, final punctuation) become one,
the others are kept side by side; every idea and cluster keeps its provenance (`source`: the
group it came from, listed in `sources` with its label, title and date) and the dots it had
there (`source_votes`, information only: the new room starts with no dots, since its vote is
a new one). The result is an ordinary schema-1 document, imported like any other.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from . import export, importer

SOURCES_MAX = 10
LABEL_MAX = importer.LABEL_MAX


def normalised(title: str) -> str:
    """What two prompt titles must share to be merged: "Quelles activités ?" = "quelles activites"."""
    folded = unicodedata.normalize("NFKD", title.casefold())
    letters = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(letters.split()).rstrip(" ?!.:…").strip()


def _short(value: str, room: int) -> str:
    return value if len(value) <= room else value[:room - 1].rstrip() + "…"


def local_day(epoch: float, lang: str) -> str:
    """A workshop's day as its people write it: 28/11/2026 in French, 2026-11-28 otherwise."""
    return export.local_day(export.day(epoch), lang)


def legend(sources: str | None, lang: str) -> list[dict[str, Any]]:
    """A capitalisation room's groups as its pages list them (templates/_sources.html): each
    label with the colour of its place (`index`, as `provenance.js` picks it), its workshop's
    title and its day, localised. A plain room's `sources` is "[]": no legend."""
    try:
        listed = json.loads(sources or "[]")
    except ValueError:
        return []
    out = []
    for n, s in enumerate(listed if isinstance(listed, list) else []):
        out.append({"index": n, "label": s.get("label") or s.get("id", ""), "title": s.get("title", ""),
                    "date": export.local_day(str(s.get("date") or ""), lang)})
    return out


def labels(given: list[str], docs: list[importer.Document]) -> list[str]:
    """Each group's label: the one given, else its workshop's title; two that read the same get
    the workshop's date, then a number, so no two groups share a label (at most `LABEL_MAX`)."""
    def date(doc: importer.Document) -> str:
        return local_day(doc.room.created_at, doc.room.lang)
    base = [_short(" ".join(g.split()) or " ".join(d.room.title.split()) or f"Groupe {n + 1}", LABEL_MAX)
            for n, (g, d) in enumerate(zip(given, docs, strict=True))]
    keys = [normalised(b) for b in base]
    days = [date(d) for d in docs]
    out = []
    for n, b in enumerate(base):
        twins = [m for m in range(len(base)) if keys[m] == keys[n]]
        same_day = [m for m in twins if days[m] == days[n]]
        if len(twins) == 1:
            out.append(b)
        elif len(same_day) == 1:  # the date tells them apart
            out.append(f"{_short(b, LABEL_MAX - len(days[n]) - 3)} ({days[n]})")
        else:  # the same title on the same day: numbered
            out.append(f"{_short(b, LABEL_MAX - 5)} ({same_day.index(n) + 1})")
    return out


def merge(sources: list[tuple[str, bytes | str]], *, title: str, now: float) -> dict[str, Any] | list[importer.Problem]:
    """`sources`: (label, the JSON of an export) for each group, at least two."""
    if not 2 <= len(sources) <= SOURCES_MAX:
        return [importer.Problem("sources", "capitalise.sources", {"min": 2, "max": SOURCES_MAX})]
    parsed, problems = [], []
    for n, (_label, raw) in enumerate(sources):
        doc = importer.parse(raw)
        if isinstance(doc, list):
            problems += [importer.Problem(f"sources[{n}].{p.where}", p.code, p.params) for p in doc]
        else:
            parsed.append(doc)
    if problems:
        return problems[:importer.PROBLEMS_SHOWN]
    first = parsed[0].room
    out: dict[str, Any] = {
        "format": export.FORMAT, "schema": export.SCHEMA, "exported_at": now,
        "room": {"title": title, "template": first.template, "lang": first.lang, "phase": "group",
                 "created_at": now, "settings": {}},
        "prompts": [], "clusters": [], "ideas": [], "actions": [], "voters": 0, "sources": []}
    prompts: dict[str, str] = {}  # normalised title -> merged prompt id
    for n, (label, doc) in enumerate(zip(labels([g for g, _raw in sources], parsed), parsed, strict=True)):
        sid = f"s{n + 1}"
        out["sources"].append({"id": sid, "label": label, "title": doc.room.title,
                               "date": export.day(doc.room.created_at)})
        here: dict[str, str] = {}  # this document's prompt id -> merged prompt id
        for p in sorted(doc.prompts, key=lambda p: p.position):
            key = normalised(p.title) or p.id
            if key not in prompts:
                prompts[key] = f"p{len(prompts) + 1}"
                out["prompts"].append({"id": prompts[key], "title": p.title, "position": len(prompts) - 1})
            here[p.id] = prompts[key]
        offset = n * 1_000_000.0  # each group's ideas and clusters after the previous group's

        def mine(old: str) -> str:
            return f"{sid}-{old}"
        for c in doc.clusters:
            out["clusters"].append({"id": mine(c.id), "prompt": here.get(c.prompt, c.prompt), "title": c.title,
                                    "named": c.named, "position": offset + c.position, "votes": 0, "source": sid,
                                    "source_votes": c.votes})
        for i in doc.ideas:
            idea = {"id": mine(i.id), "prompt": here.get(i.prompt, i.prompt),
                    "cluster": mine(i.cluster) if i.cluster else None, "text": i.text, "colour": i.colour,
                    "position": offset + i.position, "created_at": i.created_at, "votes": 0, "source": sid,
                    "source_votes": i.votes}
            out["ideas"].append(idea | ({"author": i.author} if i.author else {}))
        for a in doc.actions:
            source = {"kind": a.source.kind, "id": mine(a.source.id)} if a.source else None
            out["actions"].append({**a.model_dump(), "id": mine(a.id), "source": source,
                                   "position": offset + a.position})
    return out
