"""Message catalogues: one JSON file per language in `locales/`, French first.

Templates call `_("key", name=...)`; the room page hands the same catalogue to
the JavaScript, so every user-facing string lives in exactly one place.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

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


def js_catalogue(lang: str) -> Mapping[str, str]:
    """What the browser needs: the strings its modules use, and every error message."""
    return {k: v for k, v in catalogue(lang).items() if k.startswith(("js.", "error.", "colour.", "role."))}
