"""Grouping commands: authority (phase, role, room setting), then the layout rules of `grouping`.

Undo is not here: it needs the room's log (see `commands.undo`), then comes back
through `grouping.inverse`, `grouping.still_applies` and `grouping.fits`; `grouping.settle`
keeps it off a place someone else took since.
"""

from __future__ import annotations

from . import grouping, limits
from .domain import Actor, RoomFacts, checked_text, phase_check
from .errors import Rejection
from .events import Regrouped
from .protocol import ClusterCreate, ClusterDissolve, ClusterMerge, ClusterMove, ClusterRename, IdeasMove

GroupCommand = ClusterCreate | IdeasMove | ClusterRename | ClusterMerge | ClusterDissolve | ClusterMove


def cluster_title(raw: str) -> str | Rejection:
    return checked_text(raw, "title", limits.CLUSTER_TITLE_MAX)


def decide(cmd: GroupCommand, actor: Actor, room: RoomFacts, layout: grouping.Layout,
           new_id: str) -> Regrouped | Rejection:
    if refused := phase_check(room, cmd.type, actor):
        return refused
    change = _change(cmd, layout, new_id)
    if isinstance(change, Rejection):
        return change
    return Regrouped(cmd.type, change, grouping.inverse(layout, change))


def _change(cmd: GroupCommand, layout: grouping.Layout, new_id: str) -> grouping.Change | Rejection:
    if isinstance(cmd, ClusterCreate):
        title = None if cmd.title is None else cluster_title(cmd.title)
        if isinstance(title, Rejection):
            return title
        return grouping.create(layout, new_id, list(cmd.ideas), cmd.prompt, title)
    if isinstance(cmd, IdeasMove):
        return grouping.move(layout, list(cmd.ideas), cmd.cluster, cmd.prompt, cmd.before)
    if isinstance(cmd, ClusterRename):
        title = cluster_title(cmd.title)
        return title if isinstance(title, Rejection) else grouping.rename(layout, cmd.cluster, title)
    if isinstance(cmd, ClusterMerge):
        return grouping.merge(layout, cmd.cluster, cmd.into)
    if isinstance(cmd, ClusterDissolve):
        return grouping.dissolve(layout, cmd.cluster)
    return grouping.move_cluster(layout, cmd.cluster, cmd.before, cmd.prompt)


def undo(actor: Actor, room: RoomFacts, now: grouping.Layout, last: tuple[int, grouping.Change,
         grouping.Change] | None, command: str = "group.undo") -> Regrouped | Rejection:
    """`last`: (seq, change, inverse) of the actor's latest grouping action not undone yet."""
    if refused := phase_check(room, command, actor):
        return refused
    if last is None:
        return Rejection("undo.nothing")
    seq, change, back = last
    if not grouping.still_applies(now, change) or not grouping.fits(now, back):
        return Rejection("undo.conflict")
    return Regrouped(command, grouping.settle(now, back), undo_of=seq)
