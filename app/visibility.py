"""Who may see what: the one place that decides which ideas reach which page.

Hidden ideas (moderated) reach facilitators only. During private writing an idea
reaches its author and the facilitators; everyone else learns only how many
ideas each prompt holds. Dots: each voter sees their own; totals reach everyone
only once the room shows them (live tallies, or from the results on), facilitators
and the projector included. Nothing that must not be seen is ever sent.
"""

from __future__ import annotations

from .phases import RESULTS
from .room_settings import RoomSettings


def private_now(phase: str, settings: RoomSettings) -> bool:
    return phase == "write" and settings.private_writing


def sees_idea(*, viewer_id: str, facilitator: bool, author_id: str, hidden: bool, private: bool) -> bool:
    if facilitator:
        return True
    if hidden:
        return False
    return not private or viewer_id == author_id


def tallies_shown(phase: str, settings: RoomSettings) -> bool:
    return settings.tallies == "live" or phase in RESULTS


def view_changes(phase: str, settings: RoomSettings, new_phase: str, new_settings: RoomSettings) -> bool:
    """Does a page see other things after this change (ideas revealed, totals shown or hidden)?"""
    return (private_now(phase, settings) != private_now(new_phase, new_settings)
            or tallies_shown(phase, settings) != tallies_shown(new_phase, new_settings))
