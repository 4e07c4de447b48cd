"""A workshop's board as its tables hold it, and as its log (table `event`) replays it.

`replay` reads nothing but the logged frames (and the actor of each row, for dots): what a
reader of the log can rebuild. The few effects no frame spells out follow the rules stated
where they are made: a deleted idea or cluster takes its dots (ON DELETE CASCADE), a deleted
prompt its ideas and clusters, and `votes_returned` means `voting.returned` ran.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from app import voting
from app.room_settings import RoomSettings

Frame = dict[str, Any]
Rows = Callable[..., list[tuple[Any, ...]]]  # (query, *args) -> rows


def board(rows: Rows, room_id: str) -> Frame:
    """What the tables say: phase, settings, prompts, ideas, clusters, actions and every dot."""
    phase, raw = rows("SELECT phase, settings FROM room WHERE id = ?", room_id)[0]
    return {
        "phase": phase, "settings": json.loads(raw),
        "prompts": dict(rows("SELECT id, title FROM prompt WHERE room_id = ?", room_id)),
        "ideas": {i: (p, c, float(pos), t, col, bool(h)) for i, p, c, pos, t, col, h in rows(
            "SELECT id, prompt_id, cluster_id, position, text, colour, hidden FROM idea WHERE room_id = ?", room_id)},
        "clusters": {c: (p, t, bool(n), float(pos)) for c, p, t, n, pos in rows(
            "SELECT id, prompt_id, title, named, position FROM cluster WHERE room_id = ?", room_id)},
        "actions": {a[0]: _action(a[1:]) for a in rows(
            "SELECT id, title, description, owners, partners, horizon, due, status, source_kind, source_id,"
            " position FROM action WHERE room_id = ?", room_id)},
        "dots": sorted(rows("SELECT seq, participant_id, coalesce(idea_id, cluster_id) FROM vote"
                            " WHERE room_id = ?", room_id)),
    }


def check_grouping(board: Frame) -> None:
    """The grouping invariants (`app.grouping`'s docstring) on a `board`: every idea's cluster
    exists and is of the idea's prompt, no unnamed cluster is left empty, and no two siblings
    (the ideas of one cluster, a prompt's loose ideas, a prompt's clusters) share a position."""
    ideas, clusters = board["ideas"], board["clusters"]
    containers: dict[tuple[str, str | None], list[float]] = {}
    for idea, (prompt, cluster, position, *_rest) in ideas.items():
        assert prompt in board["prompts"], f"{idea} is in a prompt that is gone"
        if cluster is not None:
            assert cluster in clusters, f"{idea} is in a cluster that is gone"
            assert clusters[cluster][0] == prompt, f"{idea} is in a cluster of another prompt"
        containers.setdefault(("idea", cluster) if cluster is not None else ("loose", prompt), []).append(position)
    members = {c for _p, c, *_rest in ideas.values() if c is not None}
    for cluster, (prompt, title, named, position) in clusters.items():
        assert prompt in board["prompts"], f"cluster {cluster} is in a prompt that is gone"
        assert named or cluster in members, f"empty unnamed cluster {cluster} ({title!r})"
        containers.setdefault(("clusters", prompt), []).append(position)
    for where, positions in containers.items():
        assert len(set(positions)) == len(positions), f"two siblings share a position in {where}: {positions}"


def replayed(rows: Rows, room_id: str, initial: Frame) -> Frame:
    """The board `initial` (the room as created, before any event) with the whole log replayed onto it."""
    board = json.loads(json.dumps(initial))
    board["ideas"], board["clusters"] = dict(initial["ideas"]), dict(initial["clusters"])
    for seq, voter, payload in rows("SELECT seq, participant_id, payload FROM event WHERE room_id = ?"
                                    " ORDER BY seq", room_id):
        replay(board, seq, voter, json.loads(payload))
    board["dots"] = sorted(board["dots"])
    return board


def _action(row: tuple[Any, ...]) -> Frame:
    keys = ("title", "description", "owners", "partners", "horizon", "due", "status", "source_kind", "source_id",
            "position")
    action = dict(zip(keys, row))
    action["owners"], action["partners"] = json.loads(action["owners"]), json.loads(action["partners"])
    action["position"] = float(action["position"])
    return action


def replay(board: Frame, seq: int, voter: str, event: Frame) -> None:
    """One logged event onto a board, from what the event row alone says."""
    kind, ideas, clusters = event["type"], board["ideas"], board["clusters"]
    if kind == "idea.added":
        ideas[event["idea"]] = (event["prompt"], None, float(event["at"]), event["text"], event["colour"], False)
    elif kind == "idea.edited":
        p, c, pos, _t, _col, h = ideas[event["idea"]]
        ideas[event["idea"]] = (p, c, pos, event["text"], event["colour"], h)
    elif kind == "idea.deleted":  # its addition, edits and unhidden form are bare skips in the log
        ideas.pop(event["idea"], None)
    elif kind == "idea.hidden" and event["idea"] in ideas:  # (not there: deleted since, text erased)
        ideas[event["idea"]] = (*ideas[event["idea"]][:5], event["hidden"])
    elif kind == "phase.changed":
        board["phase"] = event["phase"]
    elif kind == "room.configured":
        board["settings"] = event["settings"]
    elif kind == "prompt.added":
        board["prompts"][event["prompt"]["id"]] = event["prompt"]["title"]
    elif kind == "prompt.renamed":
        board["prompts"][event["prompt"]] = event["title"]
    elif kind == "prompt.deleted":  # its ideas and clusters go with it
        board["prompts"].pop(event["prompt"])
        for table in (ideas, clusters):
            for key in [k for k, v in table.items() if v[0] == event["prompt"]]:
                table.pop(key)
    elif kind == "group.changed":  # an idea erased since (its author left) is no longer on the board
        ideas.update({i["idea"]: (i["prompt"], i["cluster"], float(i["position"]), *ideas[i["idea"]][3:])
                      for i in event["ideas"] if i["idea"] in ideas})
    elif kind == "participant.removed" and event.get("left"):  # erased with their ideas and dots
        for idea in event["ideas"]:
            ideas.pop(idea, None)
        board["dots"] = [d for d in board["dots"] if d[1] != voter]
    elif kind == "vote.changed":
        mine = [d for d in board["dots"] if d[1] == voter and d[2] == event["item"]]
        if event["mine"] > len(mine):
            board["dots"].append((seq, voter, event["item"]))
        elif event["mine"] < len(mine):
            board["dots"].remove(max(mine))
    elif kind == "action.changed":
        if event["state"] is None:
            board["actions"].pop(event["action"])
        else:
            board["actions"][event["action"]] = {**event["state"], "position": float(event["state"]["position"])}
    clusters.update({c["cluster"]: (c["prompt"], c["title"], c["named"], float(c["position"]))
                     for c in event.get("clusters", []) })
    for gone in event.get("dropped", []):
        clusters.pop(gone, None)
    board["dots"] = [d for d in board["dots"] if d[2] in ideas or d[2] in clusters]  # the cascade
    if event.get("votes_returned"):  # the one rule of returned dots, on the replayed board
        items = {i: voting.ItemFacts("idea", v[1] is not None, v[5]) for i, v in ideas.items()}
        items.update({c: voting.ItemFacts("cluster") for c in clusters})
        back = voting.returned((voting.Dot(*d) for d in board["dots"]), items, RoomSettings.load(board["settings"]))
        board["dots"] = [d for d in board["dots"] if voting.Dot(*d) not in back]

