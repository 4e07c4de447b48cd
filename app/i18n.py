"""Message catalogues: one JSON file per language in `locales/`, French first.

Templates call `_("key", name=...)`; the room page hands the same catalogue to
the JavaScript, so every user-facing string lives in exactly one place.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Literal

FOLDER = Path(__file__).parent / "locales"
LANGS = ("fr", "en")
DEFAULT = "fr"
Translate = Callable[..., str]


@cache
def catalogue(lang: str) -> dict[str, str]:
    return json.loads((FOLDER / f"{lang}.json").read_text(encoding="utf-8"))


def translator(lang: str) -> Translate:
    messages = catalogue(lang if lang in LANGS else DEFAULT)

    def _(key: str, **params: object) -> str:
        message = messages.get(key, key)
        return message.format(**params) if params else message
    return _


def negotiate(accept_language: str | None, chosen: str | None = None) -> str:
    """The user's explicit choice, else the browser's first supported preference, else French."""
    if chosen in LANGS:
        return chosen
    ranked: list[tuple[float, str]] = []
    for part in (accept_language or "").split(",")[:20]:
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            continue
        ranked.append((weight, tag.split("-")[0].lower()))
    for _weight, lang in sorted(ranked, key=lambda item: -item[0]):
        if lang in LANGS:
            return lang
    return DEFAULT


# What the browser's modules say: their strings, and the error messages of their answers.
BROWSER = ("js.", "error.", "colour.", "role.")
# The lists below name keys, or families of keys by a prefix that ends with ".".
# Errors only pages and the API answer, each rendered on the server, never a socket's frame.
NOT_ON_A_SOCKET = ("error.code.", "error.room.create_forbidden", "error.room.create_rate_limited", "error.import.",
                   "error.capitalise.", "error.name.reserved")
# The projector's own strings (static/js/screen.js).
SCREEN_ONLY = ("js.screen.",)
# What only a facilitator's room page says (prompt tools, moderation, hiding, the "done" count,
# a regenerated link) or is answered (facilitator commands). A participant made facilitator
# gets a new page, with these (static/js/room.js `drawMe`).
FACILITATOR_ONLY = ("js.prompt.rename", "js.prompt.rename_label", "js.prompt.delete", "js.prompt.delete_question",
                    "js.prompt.delete_question_empty", "js.prompt.delete_confirm", "js.prompt.add",
                    "js.prompt.add_label", "js.prompt.the_prompt", "js.presence.promote", "js.presence.demote",
                    "js.presence.remove", "js.presence.remove_question", "js.presence.remove_confirm",
                    "js.idea.hide", "js.idea.show", "js.done.count", "js.share.regenerated", "js.people.",
                    "error.timer.not_running", "error.prompt.too_many", "error.prompt.last", "error.participant.")
# The strings of the views a room fetches when it gets there (static/js/lazy.js): they come once,
# with the first of those views, from `later_messages` (the same for everyone), not in every room
# page. The keys after them are said on the first screen too (board.js, room.js): they stay in the page.
LATER_VIEWS = ("js.roadmap.", "js.vote.", "js.results.", "js.group.", "js.similar.", "js.cluster.", "js.leave.")
FIRST_SCREEN_TOO = ("js.cluster.count", "js.group.drag", "js.group.select", "js.roadmap.saved", "js.vote.left")


def _listed(key: str, keys: tuple[str, ...]) -> bool:
    """`key` is one of `keys`, a plural form of one (`.one`, `.other`), or in a family ("error.import.")."""
    return any(key == k or key.startswith(k if k.endswith(".") else k + ".") for k in keys)


def _later(key: str) -> bool:
    """Said only by the views a room fetches later; a facilitator's own strings stay in their page."""
    return _listed(key, LATER_VIEWS) and not _listed(key, FIRST_SCREEN_TOO + FACILITATOR_ONLY)


@cache  # the catalogues do not change while the server runs; every room page would filter them again
def js_catalogue(lang: str, page: Literal["room", "later", "screen"] | None = None,
                 role: str = "facilitator") -> Mapping[str, str]:
    """What a page's scripts can use, and nothing more: a phone pays for every byte of it.

    `page` None: everything the scripts of any page may use; "room": what a room page carries
    for `role`; "later": what the room's later views add to it (fetched with them).
    """
    left_out = NOT_ON_A_SOCKET if page else ()
    if page == "room":
        left_out += SCREEN_ONLY + (FACILITATOR_ONLY if role != "facilitator" else ())
    sent = {k: v for k, v in catalogue(lang).items() if k.startswith(BROWSER) and not _listed(k, left_out)}
    if page in ("room", "later"):
        sent = {k: v for k, v in sent.items() if _later(k) == (page == "later")}
    return sent  # shared by every page (cached): never changed by its callers
