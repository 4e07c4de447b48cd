"""Pseudonyms that would pass for the facilitators: refused to participants.

The pages mark facilitators by their role ("animation" / "facilitator"), never by
their name, so a participant called "Animatrice" could give instructions that look
official. The rule: a participant's pseudonym may not contain, as a word, a label
of the facilitation (`RESERVED`), once cleaned and folded: case, accents, look-alike
letters from other scripts and separators such as "·" or "-" are ignored, so
"ANIMATEUR·RICE", "Аnimatrice" (Cyrillic А) and "l'animation" are all refused.
"Camille Animalière" is not: only whole words count. Facilitators name themselves
as they like (the default is "Animation").
"""

from __future__ import annotations

import re
import unicodedata

from . import text

RESERVED = frozenset({
    "animateur", "animatrice", "animateurice", "animateurrice", "animation", "anim", "animatrices",
    "animateurs", "facilitateur", "facilitatrice", "facilitation", "facilitator", "facilitators",
    "moderateur", "moderatrice", "moderation", "moderator", "organisateur", "organisatrice",
    "organiser", "organizer", "admin", "administrateur", "administratrice", "administrator",
    "essaim", "staff",
})
# Letters of other scripts that look Latin, enough for the labels above.
_LOOKALIKES = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "т": "t", "і": "i", "ı": "i", "м": "m",
    "н": "h", "к": "k", "х": "x", "у": "y", "ѕ": "s", "ԁ": "d", "ո": "n", "α": "a", "ε": "e",
    "ο": "o", "ρ": "p", "τ": "t", "ι": "i", "ν": "v", "κ": "k", "χ": "x", "0": "o", "1": "i",
    "3": "e", "4": "a", "@": "a", "$": "s",
})
_WORD_JOINERS = re.compile(r"[·•‧∙⋅.\-‐‑‒–—_/'’ʼ]")


def words(name: str) -> list[str]:
    """The name as folded words: cleaned, NFKD without marks, look-alikes mapped, lower case."""
    folded = unicodedata.normalize("NFKD", text.clean(name)).casefold().translate(_LOOKALIKES)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    joined = _WORD_JOINERS.sub("", folded)  # "animateur·rice" -> "animateurrice"
    return re.findall(r"[^\W\d_]+", joined) + re.findall(r"[^\W\d_]+", _WORD_JOINERS.sub(" ", folded))


def reserved(name: str) -> bool:
    """Whether a participant may not take `name`."""
    return any(word in RESERVED for word in words(name))
