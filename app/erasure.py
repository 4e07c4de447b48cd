"""What a participant who leaves takes with them: pure rules over the board and the log.

Leaving (`participant.leave`) erases the person's ideas, dots and pseudonym in one
transaction (see `commands`). Their texts also live in two other places, handled here:

- the room's log (table `event`, the replay log and the op record): every event about one
  of their ideas becomes a bare `skip` (its `seq` stays, so pages catching up see no gap),
  and a cluster title that was suggested from one of their ideas is blanked in the
  grouping events and their undo records;
- the board: a cluster still titled with such a suggestion gets the suggestion of the
  idea that now comes first in it, and a cluster they leave empty goes unless a person
  named it (the rule of `grouping` and `store.drop_if_empty`).

Clusters and roadmap actions are the group's shared work: they stay, titles typed by the
person included (a facilitator can rename or delete them).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from . import grouping

TEXT_FRAMES = ("idea.added", "idea.edited")  # the logged frames that state an idea's text


def skipped(seq: int) -> str:
    """What the log keeps of an erased idea's event: its place in the room's order, nothing else."""
    return json.dumps({"type": "skip", "seq": seq}, separators=(",", ":"))


def carries_text(frame: str | None) -> bool:
    """Whether a logged frame states an idea's text (an addition, an edit, an unhidden idea shown)."""
    return bool(frame) and json.loads(frame).get("type") in TEXT_FRAMES  # type: ignore[arg-type]


def forgotten(rows: Iterable[Any]) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """How the log keeps the rows (seq, payload, redacted) about erased ideas: those that carry
    the text become bare skips (the first list); a moderation row keeps its facilitators' form,
    which has no text but may say that a cluster went or dots came back, and the form it gave
    the others when the idea came back becomes a skip (the second list: its redacted form)."""
    whole, redacted = [], []
    for row in rows:
        if carries_text(row.payload):
            whole.append((row.seq, skipped(row.seq)))
        elif carries_text(row.redacted):
            redacted.append((row.seq, skipped(row.seq)))
    return whole, redacted


def texts(frames: Iterable[str | None]) -> set[str]:
    """Every idea text these logged frames carry: additions, edits, and an unhidden idea's shown form."""
    found: set[str] = set()
    for raw in frames:
        frame = json.loads(raw) if raw else None
        if isinstance(frame, dict) and frame.get("type") in TEXT_FRAMES and isinstance(frame.get("text"), str):
            found.add(frame["text"])
    return found


def suggested_titles(idea_texts: Iterable[str]) -> set[str]:
    """The titles a cluster would have been given from these ideas (`grouping.suggestion`)."""
    return {grouping.suggestion(text) for text in idea_texts}


def cluster_fixes(layout: grouping.Layout, titles: set[str], left: Iterable[str]) -> grouping.Change:
    """Once the ideas are gone: drop the unnamed clusters left empty (`left`: those that held
    them), and give every unnamed cluster still titled from them the suggestion of its first idea."""
    clusters: dict[str, grouping.Cluster | None] = {}
    for cluster_id, cluster in layout.clusters.items():
        if cluster.named or (cluster_id not in left and cluster.title not in titles):
            continue
        members = grouping.members(layout, cluster_id)
        if not members:
            clusters[cluster_id] = None
        elif cluster.title in titles:
            clusters[cluster_id] = replace(cluster, title=grouping.suggestion(layout.texts.get(members[0], "")))
    return grouping.Change(clusters=clusters)


def scrub_frame(payload: str, titles: set[str]) -> str | None:
    """A logged `group.changed` frame with the unnamed titles in `titles` blanked; None if untouched."""
    frame = json.loads(payload)
    if not isinstance(frame, dict) or frame.get("type") != "group.changed":
        return None
    changed = False
    for cluster in frame.get("clusters", []):
        if not cluster.get("named") and cluster.get("title") in titles:
            cluster["title"], changed = "", True
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":")) if changed else None


def scrub_undo(undo: str, titles: set[str]) -> str | None:
    """A grouping undo record (`grouping.dump` of the change and its inverse) with those titles blanked."""
    record: dict[str, Any] = json.loads(undo)
    changed = False
    for side in ("change", "inverse"):
        for state in (record.get(side) or {}).get("clusters", {}).values():
            if isinstance(state, list) and len(state) == 4 and not state[2] and state[1] in titles:
                state[1], changed = "", True
    return json.dumps(record, ensure_ascii=False) if changed else None
