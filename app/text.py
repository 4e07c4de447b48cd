"""Cleaning of every text a person types: one place, pure, tested.

Invisible characters that can disguise a text (bidirectional overrides,
zero-width spaces, Unicode's other default-ignorable code points) are removed,
except where writing needs them: the joiner inside an emoji sequence, emoji
variation selectors, the non-joiner in scripts such as Persian, the tags of a
subdivision flag. Control characters go too; tabs and other spaces become
plain spaces; newlines stay where a field allows them. The result is NFC, and
runs of combining marks beyond what any real script needs are cut short.
Cleaning is idempotent.
"""

from __future__ import annotations

import re
import unicodedata

ZWNJ, ZWJ = "\u200c", "\u200d"
BLACK_FLAG, CANCEL_TAG = "\U0001f3f4", "\U000e007f"
_MAX_COMBINING_RUN = 3
# Unicode's Default_Ignorable_Code_Point set (DerivedCoreProperties), plus U+FFF9-FFFB.
_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
_NONCHARACTER = re.compile("[\ufdd0-\ufdef\ufffe\uffff]")


def _is_pictographic(ch: str) -> bool:
    return unicodedata.category(ch) == "So" or 0x1F000 <= ord(ch) <= 0x1FAFF or ch in "\u20e3"


def _keeps_ignorable(text: str, i: int, before: str) -> bool:
    """Whether the default-ignorable character at `i` is part of real writing.

    `before` is the last character kept so far, not the raw one: judging by what
    stays is what makes cleaning idempotent.
    """
    ch, after = text[i], text[i + 1] if i + 1 < len(text) else ""
    if ch == ZWJ:  # 👩‍💻: joins two pictographs (the first may carry a variation selector)
        return bool(before and after) and _is_pictographic(after) and (_is_pictographic(before) or before == "\ufe0f")
    if ch in "\ufe0e\ufe0f":
        return bool(before) and not before.isspace() and not _IGNORABLE.match(before)
    if ch == ZWNJ:
        return bool(before and after) and before.isalpha() and after.isalpha() and ord(before) > 0x58F
    if "\U000e0020" <= ch <= CANCEL_TAG:
        return before == BLACK_FLAG or "\U000e0020" <= before <= "\U000e007e"
    return False


def _strip_invisible(text: str) -> str:
    out: list[str] = []
    for i, ch in enumerate(text):
        if _IGNORABLE.match(ch) and not _keeps_ignorable(text, i, out[-1] if out else ""):
            continue
        if _NONCHARACTER.match(ch) or unicodedata.category(ch) in ("Cs", "Co"):
            continue
        if unicodedata.category(ch) == "Cc":
            ch = "\n" if ch == "\n" else " " if ch.isspace() or ch == "\x85" else ""
        out.append(ch)
    return "".join(out)


def _cap_combining(text: str) -> str:
    out: list[str] = []
    run = 0
    for ch in text:
        run = run + 1 if unicodedata.combining(ch) else 0
        if run <= _MAX_COMBINING_RUN:
            out.append(ch)
    return "".join(out)


def clean(text: str, *, multiline: bool = False) -> str:
    """Return `text` as Essaim stores it; may be empty."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    text = _cap_combining(unicodedata.normalize("NFC", _strip_invisible(text)))
    if multiline:
        lines = [" ".join(line.split()) for line in text.split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return " ".join(text.split())
