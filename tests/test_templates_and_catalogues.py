"""Workshop templates and message catalogues: data files that code and pages rely on."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from app import i18n, limits, workshop_templates
from app.errors import CODES
from app.protocol import COLOURS
from app.text import clean
from tests.conftest import Room

if TYPE_CHECKING:
    from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = {lang: json.loads((i18n.FOLDER / f"{lang}.json").read_text(encoding="utf-8")) for lang in i18n.LANGS}

# --- workshop templates -------------------------------------------------------------------------

# DESIGN §1, "Templates": French prompt titles, in order.
DESIGN_TEMPLATES = {
    "journee-citoyenne": ["Quelles activités ?", "Pour qui, quels publics éloignés ?", "Avec quels partenaires ?",
                          "Où et quand ?", "Comment faire venir les habitants ?"],
    "feuille-de-route": ["Objectifs", "Premières actions", "Ressources"],
    "bilan": ["Ce qui a marché", "À améliorer", "Idées"],
    "clarifier-nos-notions": ["La citoyenneté, pour moi, c'est…", "Participer, c'est…", "Notre réseau pourrait…"],
}


@pytest.fixture(scope="module")
def templates() -> dict[str, workshop_templates.Template]:
    return workshop_templates.load_all()


def test_every_template_file_loads(templates: dict[str, workshop_templates.Template]) -> None:
    files = sorted(p.stem for p in workshop_templates.FOLDER.glob("*.json"))
    assert sorted(templates) == files
    assert len(files) >= 5
    orders = [t.order for t in templates.values()]
    assert orders == sorted(orders) and len(set(orders)) == len(orders)


def test_journee_citoyenne_has_the_five_prompts_of_the_design(templates: dict[str, workshop_templates.Template]) -> None:
    journee = templates["journee-citoyenne"]
    assert journee.prompt_titles("fr") == DESIGN_TEMPLATES["journee-citoyenne"]
    assert len(journee.prompt_titles("en")) == 5 and all(journee.prompt_titles("en"))
    assert journee.title["fr"] == "Journée citoyenne"


@pytest.mark.parametrize(("template_id", "prompts"), DESIGN_TEMPLATES.items())
def test_design_templates(templates: dict[str, workshop_templates.Template], template_id: str,
                          prompts: list[str]) -> None:
    assert templates[template_id].prompt_titles("fr") == prompts


def test_free_brainstorm_has_one_prompt(templates: dict[str, workshop_templates.Template]) -> None:
    assert len(templates["remue-meninges"].prompts) == 1


def test_template_texts_are_already_clean_and_within_limits(templates: dict[str, workshop_templates.Template]) -> None:
    for template in templates.values():
        for texts in (template.title, template.description, *template.prompts):
            assert set(texts) == set(i18n.LANGS)
            for value in texts.values():
                assert value and clean(value) == value and len(value) <= limits.PROMPT_TITLE_MAX, (template.id, value)
        for lang in i18n.LANGS:
            titles = template.prompt_titles(lang)
            assert len(set(titles)) == len(titles), (template.id, lang)
        assert all(isinstance(key, str) for key in template.settings)


GOOD = {"id": "x", "order": 1, "title": {"fr": "T", "en": "T"}, "description": {"fr": "D", "en": "D"},
        "prompts": [{"fr": "Q", "en": "Q"}]}


@pytest.mark.parametrize(("name", "data"), [
    ("x", {**GOOD, "id": "y"}),  # id does not match the file name
    ("x", {**GOOD, "prompts": []}),
    ("x", {**GOOD, "prompts": [{"fr": "Q"}]}),  # no English
    ("x", {**GOOD, "title": {"fr": "T", "en": "T", "de": "T"}}),
    ("x", {**GOOD, "prompts": [{"fr": "Q" * (limits.PROMPT_TITLE_MAX + 1), "en": "Q"}]}),
])
def test_bad_template_files_are_refused(tmp_path: Path, name: str, data: dict[str, object]) -> None:
    (tmp_path / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError):
        workshop_templates.load_all(tmp_path)


def test_a_good_template_file_loads(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text(json.dumps(GOOD), encoding="utf-8")
    assert workshop_templates.load_all(tmp_path)["x"].prompt_titles("en") == ["Q"]


# --- catalogues ---------------------------------------------------------------------------------

def _placeholders(message: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", message))


def test_catalogues_have_exactly_the_same_keys() -> None:
    fr, en = (set(CATALOGUES[lang]) for lang in ("fr", "en"))
    assert fr - en == set(), "missing in en.json"
    assert en - fr == set(), "missing in fr.json"


def test_messages_are_non_empty_and_share_placeholders() -> None:
    for key in CATALOGUES["fr"]:
        messages = {lang: CATALOGUES[lang].get(key, "") for lang in i18n.LANGS}
        assert all(isinstance(m, str) and m.strip() for m in messages.values()), (key, messages)
        assert _placeholders(messages["fr"]) == _placeholders(messages["en"]), (key, messages)


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_every_error_code_has_a_message(lang: str) -> None:
    missing = sorted(code for code in CODES if not CATALOGUES[lang].get(f"error.{code}"))
    assert missing == [], f"{lang}.json has no error.<code> for {missing}"


def test_every_error_message_is_for_a_known_code() -> None:
    for lang, catalogue in CATALOGUES.items():
        orphans = {k for k in catalogue if k.startswith("error.") and k[len("error."):] not in CODES}
        assert orphans == set(), lang


def _present(key: str, catalogue: dict[str, str]) -> bool:
    """A key is present as itself, or as a plural family `key.one` + `key.other`."""
    return key in catalogue or (f"{key}.one" in catalogue and f"{key}.other" in catalogue)


# Dynamic keys in the code, and the family each one stands for.
DYNAMIC_FAMILIES = {
    "colour.${": [f"colour.{c}" for c in COLOURS],
    "error.${": [f"error.{c}" for c in CODES],
    "js.connection.${": [f"js.connection.{s}" for s in ("connecting", "online", "offline")],
    "prefs.lang.${": [f"prefs.lang.{lang}" for lang in i18n.LANGS],
}  # Jinja2's _("error." ~ code) is scanned as "error.${"

_JS_CALL = re.compile(r"""(?<![\w.$])t\(\s*(?:"([^"]*)"|'([^']*)'|`([^`]*)`)""")
_JS_COUNT = re.compile(r"""(?<![\w.$])count\(\s*(?:"([^"]*)"|'([^']*)')""")
_JINJA_CALL = re.compile(r"""(?<![\w.])_\(\s*(?:"([^"]*)"|'([^']*)')\s*(~)?""")


def _js_keys() -> set[str]:
    keys: set[str] = set()
    for path in sorted((ROOT / "static" / "js").rglob("*.js")):
        source = path.read_text(encoding="utf-8")
        for match in [*_JS_CALL.finditer(source), *_JS_COUNT.finditer(source)]:
            keys.add(next(group for group in match.groups() if group is not None))
    return keys


def _template_keys() -> set[str]:
    keys: set[str] = set()
    for path in sorted((ROOT / "templates").glob("*.html")):
        for match in _JINJA_CALL.finditer(path.read_text(encoding="utf-8")):
            key = match.group(1) if match.group(1) is not None else match.group(2)
            keys.add(key + "${" if match.group(3) else key)  # a `~` makes it a prefix
    return keys


def _expand(keys: set[str]) -> set[str]:
    expanded: set[str] = set()
    for key in keys:
        if "${" in key:
            prefix = key.split("${")[0] + "${"
            family = DYNAMIC_FAMILIES.get(prefix)
            assert family, f"unknown dynamic key {key!r}: add its family to DYNAMIC_FAMILIES"
            expanded.update(family)
        else:
            expanded.add(key)
    return expanded


def test_the_scanners_find_the_keys() -> None:
    # Guard against a regex that silently finds nothing.
    js, html = _js_keys(), _template_keys()
    assert {"js.idea.edit", "js.pending", "js.announce.new_ideas", "colour.${colour}"} <= js
    assert {"app.name", "join.submit", "share.qr_alt", "error.${"} <= html


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_every_key_used_in_javascript_exists(lang: str) -> None:
    missing = sorted(k for k in _expand(_js_keys()) if not _present(k, CATALOGUES[lang]))
    assert missing == [], f"{lang}.json lacks {missing}"


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_every_key_used_in_the_javascript_reaches_the_browser(lang: str) -> None:
    sent = i18n.js_catalogue(lang)
    missing = sorted(k for k in _expand(_js_keys()) if not _present(k, dict(sent)))
    assert missing == [], f"js_catalogue({lang!r}) does not send {missing}"


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_every_key_used_in_the_templates_exists(lang: str) -> None:
    missing = sorted(k for k in _expand(_template_keys()) if not _present(k, CATALOGUES[lang]))
    assert missing == [], f"{lang}.json lacks {missing}"


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_plural_families_are_complete(lang: str) -> None:
    catalogue = CATALOGUES[lang]
    for key in catalogue:
        if key.endswith(".one"):
            assert f"{key[:-4]}.other" in catalogue, key


# --- i18n helpers -------------------------------------------------------------------------------

@pytest.mark.parametrize(("header", "chosen", "expected"), [
    (None, None, "fr"),
    ("", None, "fr"),
    ("en-GB,en;q=0.9", None, "en"),
    ("de-DE,de;q=0.9,en;q=0.5", None, "en"),
    ("en;q=0.4,fr;q=0.8", None, "fr"),
    ("de,it", None, "fr"),
    ("en;q=abc,fr", None, "fr"),
    ("en", "fr", "fr"),
    ("fr", "en", "en"),
    ("en", "xx", "en"),
])
def test_negotiate(header: str | None, chosen: str | None, expected: str) -> None:
    assert i18n.negotiate(header, chosen) == expected


def test_translator_falls_back_to_french_and_to_the_key() -> None:
    assert i18n.translator("xx")("home.title") == CATALOGUES["fr"]["home.title"]
    assert i18n.translator("en")("no.such.key") == "no.such.key"
    assert i18n.translator("en")("error.text.too_long", max=500).endswith("(500 characters at most).")


# --- the language switch ------------------------------------------------------------------------

def test_the_switch_remembers_the_language_and_comes_back(client: "TestClient") -> None:
    page = client.get("/")
    assert '<html lang="fr">' in page.text and 'value="en" lang="en">English</button>' in page.text
    moved = client.post("/lang", data={"lang": "en", "next": "/rooms/abc"}, follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == "/rooms/abc"
    assert "essaim_lang=en" in moved.headers["set-cookie"] and "httponly" in moved.headers["set-cookie"].lower()
    page = client.get("/", headers={"accept-language": "fr-FR"})  # the choice beats the browser's preference
    assert '<html lang="en">' in page.text and CATALOGUES["en"]["home.submit"] in page.text
    assert 'value="fr" lang="fr">Français</button>' in page.text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "", "rooms"])
def test_the_switch_only_goes_back_to_this_site(client: "TestClient", target: str) -> None:
    moved = client.post("/lang", data={"lang": "fr", "next": target}, follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == "/"


def test_the_switch_refuses_an_unknown_language(client: "TestClient") -> None:
    refused = client.post("/lang", data={"lang": "de", "next": "/"}, follow_redirects=False)
    assert refused.status_code == 400 and refused.json()["error"] == "protocol.invalid"
    assert "essaim_lang" not in refused.headers.get("set-cookie", "")


# --- the palette (static/css/app.css; the projector's in screen.css) ------------------------------

# app.css first (its :root), then the stylesheets some pages add to it (facilitator.css, screen.css, ...)
CSS = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "static" / "css").glob("*.css"),
                                                               key=lambda p: p.name != "app.css"))
NOTES = [f"--note-{c}" for c in COLOURS]


def _variables(selector: str) -> dict[str, str]:
    block = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", CSS)
    assert block, selector
    return dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{6})\b", block.group(1)))


def _luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio of two #rrggbb colours."""
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _text_pairs(p: dict[str, str]) -> list[tuple[str, str, str]]:
    """Every (what, text, background) the pages draw with the palette."""
    pairs = [(f"ink on {n}", p["--ink"], p[n]) for n in NOTES]
    pairs += [(f"projector ink on {n}", "#111111", p[n]) for n in NOTES]  # .screen-idea { color: #111 }
    pairs += [("ink-soft on paper", p["--ink-soft"], p["--paper"]), ("ink-soft on card", p["--ink-soft"], p["--card"]),
              ("link on paper", p["--accent"], p["--paper"]), ("primary button", p["--accent-ink"], p["--accent-bg"]),
              ("danger on card", p["--danger"], p["--card"]), ("ok on paper", p["--ok"], p["--paper"]),
              ("warn on paper", p["--warn"], p["--paper"]), ("ink on paper", p["--ink"], p["--paper"])]
    return pairs


def test_contrast_is_computed_right() -> None:
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#767676", "#ffffff"), 2) == 4.54  # the well-known AA grey
    assert contrast("#777777", "#ffffff") < 4.5


def test_every_text_of_the_default_palette_reaches_aa() -> None:
    palette = _variables(":root")
    assert set(NOTES) <= set(palette), "a sticky colour has no --note-* variable"
    low = [(what, round(contrast(a, b), 2)) for what, a, b in _text_pairs(palette) if contrast(a, b) < 4.5]
    assert low == []
    assert contrast(palette["--focus"], palette["--paper"]) >= 3  # the focus ring, a component (1.4.11)
    assert contrast(palette["--line"], palette["--paper"]) >= 3  # field borders


def test_the_high_contrast_theme_reaches_aaa() -> None:
    palette = {**_variables(":root"), **_variables(':root[data-theme="contrast"]')}
    low = [(what, round(contrast(a, b), 2)) for what, a, b in _text_pairs(palette) if contrast(a, b) < 7]
    assert low == []
    assert contrast(palette["--focus"], palette["--paper"]) >= 7


def test_the_projector_palette_reaches_aa() -> None:
    palette = {**_variables(":root"), **_variables(".screen-page")}
    for name in ("--ink", "--ink-soft", "--ok", "--danger", "--warn", "--focus"):
        assert contrast(palette[name], palette["--paper"]) >= 4.5, name


# --- no user-visible text outside the catalogues ------------------------------------------------
# Templates: what is left once the Jinja2 expressions, tags and comments are gone must hold no
# word, in text or in the attributes people see or hear. JavaScript: no string literal reads
# like prose (two words, an accented letter, a capitalised word); class lists and selectors
# (lowercase tokens that app.css knows, or with selector marks) are code.

_WORD = re.compile(r"[^\W\d_]{2,}")
_SEEN_ATTRIBUTES = re.compile(r"""\b(alt|title|placeholder|aria-label|aria-description|aria-valuetext)\s*=\s*("[^"]*"|'[^']*')""")


def template_leftovers(text: str) -> list[str]:
    text = re.sub(r"\{%\s*block body_class\s*%\}.*?\{%\s*endblock\s*%\}", "", text, flags=re.S)  # a class, not text
    for pattern in (r"\{#.*?#\}", r"\{\{.*?\}\}", r"\{%.*?%\}", r"<(script|style)\b.*?</\1>"):
        text = re.sub(pattern, "", text, flags=re.S)
    text = re.sub(r"<kbd>.</kbd>", "", text)  # a key's letter is the key, in every language
    found = [f"{m.group(1)}={m.group(2)}" for m in _SEEN_ATTRIBUTES.finditer(text) if _WORD.search(m.group(2))]
    for tag in re.finditer(r"<input\b[^>]*type=\"(?:submit|button|reset)\"[^>]*>", text):
        value = re.search(r'value="([^"]*)"', tag.group(0))
        if value and _WORD.search(value.group(1)):
            found.append(f"value={value.group(1)}")
    found += [piece.strip() for piece in re.sub(r"<[^>]*>", "\n", text).split("\n") if _WORD.search(piece)]
    return found


_JS_TOKEN = re.compile(r"""/\*.*?\*/|(?<![:\\])//[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`""", re.S)
_PROSE = re.compile(r"[^\W\d_]{2,}[ \u00a0]+[^\W\d_]{2,}|[À-ÿ]|^\s*[A-Z][a-z]{2,}")
_TAGS = {"input", "button", "select", "textarea", "li", "ul", "ol", "p", "a", "span", "div", "section", "h2", "h3",
         "label", "form", "dialog", "img", "option", "main", "kbd", "table", "tr", "td", "th"}
_KEY_NAMES = {"Enter", "Escape", "Tab", "Space", "Backspace", "Delete", "Home", "End", "ArrowUp", "ArrowDown",
              "ArrowLeft", "ArrowRight", "PageUp", "PageDown"}  # KeyboardEvent.key values, compared, never shown


def _looks_like_code(body: str) -> bool:
    if not re.fullmatch(r"[a-z0-9\-\s#.\[\]=,]*", body):
        return False
    return all(token in _TAGS or re.search(r"[-#.\[\],]", token) or re.search(r"\." + re.escape(token) + r"\b", CSS)
               for token in body.split())


def js_leftovers(source: str) -> list[str]:
    found = []
    for match in _JS_TOKEN.finditer(source):
        token = match.group(0)
        if token.startswith(("/*", "//")):
            continue
        body = token[1:-1]
        if token[0] == "`":
            body = re.sub(r"\$\{[^}]*\}", " ", body)
        if _PROSE.search(body) and not _looks_like_code(body) and body not in _KEY_NAMES:
            found.append(body)
    return found


def test_the_text_scanners_catch_text() -> None:
    assert template_leftovers('<p>Bonjour</p><img alt="Le logo"><p>{{ _("app.name") }}</p>') == ["alt=\"Le logo\"", "Bonjour"]
    assert template_leftovers('<input type="submit" value="Envoyer"><input type="radio" value="live">') == ["value=Envoyer"]
    assert js_leftovers('h("p", {}, ["not sent"]); a.textContent = "Envoyé"; b = `Bonjour ${name}`; c = "Idea";') == [
        "not sent", "Envoyé", "Bonjour  ", "Idea"]
    assert js_leftovers('h("button", { class: "button small danger" }); q("#board input[data-select]"); t("js.idea.edit");'
                        ' // Un commentaire\n /* Autre chose */ if (key === "Enter") go();') == []


@pytest.mark.parametrize("path", sorted((ROOT / "templates").glob("*.html")), ids=lambda p: p.name)
def test_templates_have_no_text_outside_the_catalogues(path: Path) -> None:
    assert template_leftovers(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", sorted((ROOT / "static" / "js").rglob("*.js")), ids=lambda p: p.name)
def test_javascript_has_no_text_outside_the_catalogues(path: Path) -> None:
    assert js_leftovers(path.read_text(encoding="utf-8")) == []


# --- the room page preloads its modules ---------------------------------------------------------

def _imports_of(entry: Path) -> set[str]:
    """Every module `entry` imports, directly or not, as paths under static/js without .js."""
    base = ROOT / "static" / "js"
    seen: set[Path] = set()  # relative imports resolve against the importing file
    todo = [entry]
    while todo:
        current = todo.pop()
        for match in re.finditer(r'^\s*import\s+(?:[^;]*?\s+from\s+)?"(\.[^"]+)"', current.read_text(encoding="utf-8"), re.M):
            module = (current.parent / match.group(1)).resolve()
            if module not in seen:
                seen.add(module)
                todo.append(module)
    return {str(p.relative_to(base))[:-3] for p in seen}


def test_the_room_preloads_exactly_what_room_js_imports() -> None:
    template = (ROOT / "templates" / "room.html").read_text(encoding="utf-8")
    listed = re.search(r"\{% for module in \[(.*?)\] %\}", template, re.S)
    assert listed
    preloaded = set(re.findall(r'"([\w/]+)"', listed.group(1)))
    imported = _imports_of(ROOT / "static" / "js" / "room.js")
    assert "views/board" in imported and len(imported) > 10
    assert preloaded == imported | {"room"}


# Modules a participant's first screen must not pay for: room.js fetches them when needed (static/js/lazy.js).
LATER = {"views/clusters", "views/drag", "views/exports", "views/facilitation", "views/grouping", "views/roadmap",
         "views/similar", "views/voting", "leave", "share-facilitator", "views/prompt-tools", "views/moderation"}


def test_phase_and_role_modules_come_later_and_exist() -> None:
    imported = _imports_of(ROOT / "static" / "js" / "room.js")
    assert imported & LATER == set()
    fetched = set()
    for path in sorted((ROOT / "static" / "js").rglob("*.js")):
        fetched |= set(re.findall(r'new Lazy\(\s*"([\w/-]+)\.js"', path.read_text(encoding="utf-8")))
    assert fetched == LATER  # each one fetched by a Lazy, whose path is from static/js
    assert all((ROOT / "static" / "js" / f"{module}.js").is_file() for module in fetched)


def _room_page(client: "TestClient", room_id: str, token: str) -> str:
    response = client.get(f"/rooms/{room_id}", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return response.text


def _page_catalogue(page: str) -> dict[str, str]:
    config = re.search(r'<script type="application/json" id="essaim-config">(.*?)</script>', page, re.S)
    assert config
    return dict(json.loads(config.group(1))["messages"])


def test_a_participant_page_carries_no_facilitator_part(client: "TestClient") -> None:
    room = Room(client)
    facilitator, participant = _room_page(client, room.id, room.facilitator_token), _room_page(client, room.id, room.join())
    for marker in ('id="facilitation"', 'id="facilitator-section"', "/css/facilitator.css", "/js/views/facilitation.js",
                   "/js/views/prompt-tools.js", "/js/views/moderation.js"):
        assert marker in facilitator and marker not in participant, marker
    mine, theirs = _page_catalogue(participant), _page_catalogue(facilitator)
    assert mine == i18n.js_catalogue("fr", "room", "participant") and theirs == i18n.js_catalogue("fr", "room", "facilitator")
    assert {"js.prompt.rename", "js.presence.promote", "error.prompt.last"} <= set(theirs) - set(mine)
    assert not any(k.startswith(("js.screen.", "error.import.", "error.code.")) for k in theirs)


FACILITATOR_MODULES = {"views/facilitation", "share-facilitator", "views/prompt-tools", "views/moderation"}


def _keys_of(modules: set[str]) -> set[str]:
    """The keys these modules (paths under static/js without .js) say."""
    keys: set[str] = set()
    for module in modules:
        source = (ROOT / "static" / "js" / f"{module}.js").read_text(encoding="utf-8")
        for match in [*_JS_CALL.finditer(source), *_JS_COUNT.finditer(source)]:
            keys.add(next(group for group in match.groups() if group is not None))
    return _expand(keys)


def _room_modules() -> tuple[set[str], set[str]]:
    """The room's first-screen modules (room.js and what it imports), and those it fetches later."""
    first = _imports_of(ROOT / "static" / "js" / "room.js") | {"room"}
    later = set()
    for module in LATER:
        later |= {module} | _imports_of(ROOT / "static" / "js" / f"{module}.js")
    return first, later - first


# Said only where a participant's page never goes: moderation, prompt tools, hidden ideas (board.js draws
# them for facilitators), and the projector's instructions (phases.js `screenInstruction`); error messages
# are checked below.
def _participant_never(key: str) -> bool:
    return _listed_for_facilitators(key) or key.startswith(("js.screen.", "error."))


@pytest.mark.parametrize("lang", i18n.LANGS)
@pytest.mark.parametrize("role", ["participant", "facilitator"])
def test_a_room_page_has_every_string_its_modules_say(lang: str, role: str) -> None:
    """The first screen's modules find their strings in the page; the views that come later, in the
    page and the later catalogue (fetched with them, static/js/lazy.js); nothing comes twice."""
    first, later = _room_modules()
    if role == "participant":
        later -= FACILITATOR_MODULES
    page, fetched = dict(i18n.js_catalogue(lang, "room", role)), dict(i18n.js_catalogue(lang, "later"))
    assert set(page) & set(fetched) == set()
    skip = _participant_never if role == "participant" else (lambda key: key.startswith(("js.screen.", "error.")))
    assert sorted(k for k in _keys_of(first) if not _present(k, page) and not skip(k)) == []
    assert sorted(k for k in _keys_of(later) if not _present(k, page | fetched) and not skip(k)) == []
    errors = {k for k in page if k.startswith("error.")}
    assert errors and {f"error.{code}" for code in ("idea.not_yours", "vote.budget_exceeded", "storage.full")} <= errors


def test_the_later_strings_leave_the_page() -> None:
    """The later catalogue is a real part of what the views say, in both languages alike."""
    fetched = {lang: set(i18n.js_catalogue(lang, "later")) for lang in i18n.LANGS}
    assert fetched["fr"] == fetched["en"] and {"js.roadmap.add", "js.similar.title"} <= fetched["fr"]
    _first, later = _room_modules()
    assert fetched["fr"] <= _keys_of(later) | {f"{k}.{form}" for k in _keys_of(later) for form in ("one", "other")}


def test_the_later_strings_are_served(client: "TestClient") -> None:
    room = Room(client)
    config = json.loads(re.search(r'id="essaim-config">(.*?)</script>', _room_page(client, room.id, room.join()),
                                  re.S).group(1))  # type: ignore[union-attr]
    response = client.get(config["laterMessages"])
    assert response.status_code == 200 and response.json() == i18n.js_catalogue(config["lang"], "later")
    assert client.get("/messages/later.json?lang=en").json() == i18n.js_catalogue("en", "later")
    assert client.get("/messages/later.json?lang=xx").status_code == 404


def _listed_for_facilitators(key: str) -> bool:
    return i18n._listed(key, i18n.FACILITATOR_ONLY)


# What a participant's phone downloads to join, as bench/phone.py measures it in Chromium (issue 6).
PHONE_BUDGET = 150_000
_ASSET = re.compile(r'<(?:link rel="(?:stylesheet|modulepreload)" href|script[^>]*? src)="(/static/[^"?]+)"')


def test_a_participant_joining_downloads_under_150_kb(client: "TestClient") -> None:
    """The join page, the room page, and every stylesheet and module they name (room.html preloads
    exactly the modules room.js imports, test above): the views that come later are not counted."""
    room = Room(client, template="journee-citoyenne")
    join_page = client.get(f"/rooms/{room.id}").text
    assert 'name="name"' in join_page
    pages = [join_page, _room_page(client, room.id, room.join("Mésange dorée"))]
    assets = {path for page in pages for path in _ASSET.findall(page)}
    assert {"/static/js/room.js", "/static/js/views/board.js", "/static/css/app.css"} <= assets
    total = sum(len(page.encode()) for page in pages) + sum((ROOT / path.lstrip("/")).stat().st_size for path in assets)
    assert total < PHONE_BUDGET, f"a participant joining downloads {total:,} B (budget {PHONE_BUDGET:,} B)"
