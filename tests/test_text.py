"""app.text.clean: the one place where typed text becomes stored text."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.text import clean

# Characters that must never survive cleaning, whatever the field.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
ZERO_WIDTH = "\u200b\u2060\ufeff"  # zero-width space, word joiner, BOM / zero-width no-break space


def _forbidden(ch: str, multiline: bool) -> bool:
    if ch == "\n":
        return not multiline
    return unicodedata.category(ch) in ("Cc", "Cs") or ch in BIDI_CONTROLS or ch in ZERO_WIDTH


def _combining_runs(text: str) -> list[int]:
    runs, run = [], 0
    for ch in text:
        run = run + 1 if unicodedata.combining(ch) else 0
        runs.append(run)
    return runs


# (raw, single-line result, multiline result)
CASES = [
    # NFC: a decomposed "é" is stored composed, in both modes.
    ("Cafe\u0301", "Caf\u00e9", "Caf\u00e9"),
    ("\u212b", "\u00c5", "\u00c5"),  # ANGSTROM SIGN -> LATIN CAPITAL A WITH RING
    # accents and other scripts are kept as they are
    ("Journée citoyenne à Saint-Étienne, ça marche !", "Journée citoyenne à Saint-Étienne, ça marche !",
     "Journée citoyenne à Saint-Étienne, ça marche !"),
    ("Ελληνικά, русский, 日本語, العربية", "Ελληνικά, русский, 日本語, العربية", "Ελληνικά, русский, 日本語, العربية"),
    # emoji, including skin tones and flags, are kept
    ("Pique-nique 🎉🥗", "Pique-nique 🎉🥗", "Pique-nique 🎉🥗"),
    ("👍🏽 🇫🇷", "👍🏽 🇫🇷", "👍🏽 🇫🇷"),
    # control characters disappear
    ("a\x00b\x07c\x1bd\x7fe", "abcde", "abcde"),
    ("\x9bnot a CSI\x9c", "not a CSI", "not a CSI"),
    # newlines: kept only when multiline, CR and CRLF count as newlines, 3+ become one blank line
    ("one\ntwo", "one two", "one\ntwo"),
    ("one\r\ntwo\rthree", "one two three", "one\ntwo\nthree"),
    ("one\n\n\n\n\ntwo", "one two", "one\n\ntwo"),
    ("\n\n  one  \n\n", "one", "one"),
    # whitespace runs collapse to one space, ends are trimmed, exotic spaces count as spaces
    ("  a   b  ", "a b", "a b"),
    ("a\u00a0\u00a0b\u3000c\u2003d", "a b c d", "a b c d"),
    ("   ", "", ""),
    ("", "", ""),
    # bidi embeddings, overrides and isolates are removed (the "evil filename" trick)
    ("invoice\u202egpj.exe", "invoicegpj.exe", "invoicegpj.exe"),
    ("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069x\u200e\u200f\u061c", "x", "x"),
    # zero-width and invisible characters that could disguise a name are removed
    ("Ca\u200bmi\u2060lle\ufeff", "Camille", "Camille"),
    ("\u00adsoft\u00adhyphen", "softhyphen", "softhyphen"),
    ("\u3164", "", ""),  # Hangul filler: looks like nothing
    # HTML is text: no escaping here, the renderer does that
    ("<b>gras</b> & <script>x</script>", "<b>gras</b> & <script>x</script>", "<b>gras</b> & <script>x</script>"),
]


@pytest.mark.parametrize(("raw", "single", "multi"), CASES)
def test_clean_table(raw: str, single: str, multi: str) -> None:
    assert clean(raw) == single
    assert clean(raw, multiline=True) == multi


def test_ten_thousand_combining_marks_are_capped() -> None:
    zalgo = "a" + "\u0301" * 10_000 + "b" + "\u0300\u0316" * 5_000
    cleaned = clean(zalgo)
    assert len(cleaned) <= 2 + 2 * 3
    assert cleaned.startswith("\u00e1")  # NFC composed the first mark into the letter
    assert "b" in cleaned
    assert max(_combining_runs(cleaned)) <= 3


def test_ordinary_stacked_accents_are_kept() -> None:
    # Vietnamese: a letter with two marks, written decomposed, survives whole.
    assert clean("Vie\u0323\u0302t") == unicodedata.normalize("NFC", "Vie\u0323\u0302t") == "Vi\u1ec7t"


@pytest.mark.parametrize("raw", ["mot\tmot", "mot\x0bmot", "mot\x0cmot", "mot\x85mot", "mot\x1fmot"])
def test_whitespace_control_characters_separate_words(raw: str) -> None:
    # A tab (e.g. pasted from a spreadsheet) is whitespace: it must become a space, not glue words.
    assert clean(raw) == "mot mot"
    assert clean(raw, multiline=True) in ("mot mot", "mot\nmot")


@pytest.mark.parametrize("raw", [
    "e\u200b\u0301",  # an invisible character between a letter and its accent
    "e\x07\u0301",  # a control character between a letter and its accent
    "\u1100\u1160\u1161",  # a Hangul filler between two jamo that compose
])
def test_result_is_nfc_even_when_something_was_removed_in_between(raw: str) -> None:
    cleaned = clean(raw)
    assert unicodedata.is_normalized("NFC", cleaned), ascii(cleaned)
    assert clean(cleaned) == cleaned


@pytest.mark.parametrize("emoji", [
    "👩\u200d💻",  # woman technologist (ZWJ sequence)
    "👨\u200d👩\u200d👧",  # family (ZWJ sequence)
    "🏳\ufe0f\u200d🌈",  # rainbow flag
    "❤\ufe0f",  # red heart, emoji presentation
    "1\ufe0f\u20e3",  # keycap 1
])
def test_emoji_sequences_are_preserved(emoji: str) -> None:
    assert clean(f"Bravo {emoji} !") == f"Bravo {emoji} !"


@pytest.mark.parametrize("emoji", ["\U0001fa77", "\U0001fae8", "\U0001fabf"])  # pink heart, shaking face, goose
def test_recent_emoji_are_preserved(emoji: str) -> None:
    # Emoji newer than Python's Unicode database are "unassigned" (Cn) to it, but phones type them.
    assert clean(f"Super {emoji}") == f"Super {emoji}"


@pytest.mark.parametrize("invisible", [
    "\U000e0041\U000e0042",  # tag characters outside a flag sequence ("ASCII smuggling")
    "\U000e0001",  # LANGUAGE TAG
    "\U0001d173",  # MUSICAL SYMBOL BEGIN BEAM (format control)
    "\U0001bca0",  # SHORTHAND FORMAT LETTER OVERLAP
    "\u180b",  # MONGOLIAN FREE VARIATION SELECTOR ONE
])
def test_other_default_ignorable_characters_are_removed(invisible: str) -> None:
    assert clean(f"Ali{invisible}ce") == "Alice"


# --- properties -----------------------------------------------------------------------------

_TRICKY = list(
    "\n\r\t\x00\x1b\x7f\x85\u00a0\u00ad\u034f\u0301\u0300\u0316\u0323\u0302\u061c\u1100\u1160\u1161"
    "\u180e\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u202a\u202e\u2060\u2066\u2069\u3000\u3164"
    "\ufe0f\ufeff\uffa0 e"
) + ["\U0001f44d", "\U0001f3fd", "\U000e0041", "\ud800"]
TEXTS = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(_TRICKY)), max_size=60)
MODES = st.booleans()


@settings(max_examples=200, deadline=None)
@given(TEXTS, MODES)
def test_clean_never_returns_control_bidi_or_zero_width(raw: str, multiline: bool) -> None:
    cleaned = clean(raw, multiline=multiline)
    assert not [ch for ch in cleaned if _forbidden(ch, multiline)], ascii(cleaned)
    assert cleaned == cleaned.strip()
    assert max(_combining_runs(cleaned), default=0) <= 3
    if multiline:
        assert "\n\n\n" not in cleaned
    else:
        assert "  " not in cleaned


@settings(max_examples=200, deadline=None)
@given(TEXTS, MODES)
@example("e\u200b\u0301", False)
def test_clean_is_idempotent(raw: str, multiline: bool) -> None:
    once = clean(raw, multiline=multiline)
    assert clean(once, multiline=multiline) == once


@settings(max_examples=200, deadline=None)
@given(TEXTS, MODES)
@example("\u1100\u1160\u1161", True)
def test_clean_returns_nfc(raw: str, multiline: bool) -> None:
    assert unicodedata.is_normalized("NFC", clean(raw, multiline=multiline))
