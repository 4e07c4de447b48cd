"""Cleaning of every text a person types: one place, pure, tested.

Text is normalised to NFC, stripped of control characters (newlines kept
where a field allows them), of bidirectional overrides and invisible
characters that can disguise a name, and of runs of combining marks beyond
what any real script needs.
"""

from __future__ import annotations

import re
import unicodedata

# Bidi embeddings/overrides/isolates and marks, zero-width characters, BOM,
# soft hyphen, word joiner, invisible operators, Mongolian vowel separator,
# Hangul fillers: all can make a text look like another one.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb]"
)
_MAX_COMBINING_RUN = 3


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in "\n"


def _cap_combining(text: str) -> str:
    out: list[str] = []
    run = 0
    for ch in text:
        if unicodedata.combining(ch):
            run += 1
            if run > _MAX_COMBINING_RUN:
                continue
        else:
            run = 0
        out.append(ch)
    return "".join(out)


def clean(text: str, *, multiline: bool = False) -> str:
    """Return `text` as Essaim stores it; may be empty."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _INVISIBLE.sub("", text)
    text = "".join(ch for ch in text if not _is_control(ch))
    text = _cap_combining(text)
    if multiline:
        lines = [" ".join(line.split()) for line in text.split("\n")]
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
        return text.strip()
    return " ".join(text.split())
