"""Who may see what: the one place that decides which ideas reach which page.

Hidden ideas (moderated) reach facilitators only. During private writing an idea
reaches its author and the facilitators; everyone else learns only how many
ideas each prompt holds. Nothing that must not be seen is ever sent.
"""

from __future__ import annotations

from .room_settings import RoomSettings


def private_now(phase: str, settings: RoomSettings) -> bool:
    return phase == "write" and settings.private_writing


def sees_idea(*, viewer_id: str, facilitator: bool, author_id: str, hidden: bool, private: bool) -> bool:
    if facilitator:
        return True
    if hidden:
        return False
    return not private or viewer_id == author_id
