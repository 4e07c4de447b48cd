"""Exports of a workshop document: golden files for a realistic, hostile French workshop.

The expected outputs in tests/golden/ are checked in. To refresh them after an intended
change: `ESSAIM_GOLDEN=update .venv/bin/python -m pytest tests/test_export.py`, then read the diff.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import jinja2
import pytest
from hypothesis import given, strategies as st

from app import export
from app.text import clean

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"


def fixture() -> dict[str, Any]:
    return json.loads((GOLDEN / "atelier.json").read_text(encoding="utf-8"))


def render_html(doc: dict[str, Any]) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT / "templates"), autoescape=True)
    return env.get_template("report.html").render(**export.html_context(doc))


RENDERERS = {
    "atelier.md": lambda d: export.markdown(d).encode("utf-8"),
    "atelier-idees.csv": export.csv_ideas,
    "atelier-feuille-de-route.csv": export.csv_roadmap,
    "atelier.json": lambda d: export.json_document(d).encode("utf-8"),
    "atelier.html": lambda d: render_html(d).encode("utf-8"),
}


@pytest.mark.parametrize("name", RENDERERS)
def test_golden_file(name: str) -> None:
    produced = RENDERERS[name](fixture())
    path = GOLDEN / name
    if os.environ.get("ESSAIM_GOLDEN") == "update":
        path.write_bytes(produced)
    assert produced == path.read_bytes(), f"{name} differs from its golden file"


def test_csv_starts_with_a_bom_and_uses_semicolons() -> None:
    data = export.csv_ideas(fixture())
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Question", "Regroupement", "Idée", "Gommettes", "Auteur"]
    assert len(rows) == 1 + len(fixture()["ideas"])
    long = next(r for r in rows if r[2].startswith("Organiser"))
    assert len(long[2]) > 400 and long[1] == "Fêtes de quartier 🎉"


@pytest.mark.parametrize("hostile", ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_neutralised(hostile: str) -> None:
    assert export.cell(hostile) == "'" + hostile
    doc = fixture()
    doc["ideas"][0]["text"] = hostile
    rows = list(csv.reader(io.StringIO(export.csv_ideas(doc).decode("utf-8-sig")), delimiter=";"))
    assert all(not c.startswith(export.FORMULA_STARTS) for row in rows for c in row)


def test_no_cell_of_either_csv_can_start_a_formula() -> None:
    for data in (export.csv_ideas(fixture()), export.csv_roadmap(fixture())):
        for row in csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"):
            assert all(not c.startswith(export.FORMULA_STARTS) for c in row), row


def test_authors_are_left_out_when_the_document_has_none() -> None:
    doc = fixture()
    for idea in doc["ideas"]:
        del idea["author"]
    rows = list(csv.reader(io.StringIO(export.csv_ideas(doc).decode("utf-8-sig")), delimiter=";"))
    assert "Auteur" not in rows[0] and len(rows[1]) == 4
    assert "Abeille dorée" not in export.markdown(doc) and "Abeille dorée" not in render_html(doc)
    assert "Abeille dorée" in export.markdown(fixture())


def test_html_report_escapes_text_and_has_no_script() -> None:
    html = render_html(fixture())
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "<b>" not in html and "&lt;b&gt;gras&lt;/b&gt;" in html
    assert "\u200f" not in html and "مهرجان الحي" in html
    assert html.count('class="sheet"') == 2 + 2  # two prompts, the ranking, the roadmap


def test_markdown_keeps_marks_as_text() -> None:
    md = export.markdown(fixture())
    assert "\\<script\\>" in md and "\n# Pas" not in md and "\\# Pas un titre \\| pas une \\*colonne\\*" in md
    assert "\u200f" not in md


def test_ranking_shows_ties_in_board_order() -> None:
    r = export.report(fixture())
    assert [(x.rank, x.tied, x.title) for x in r.ranking[:4]] == [
        (1, False, "Fêtes de quartier 🎉"), (2, True, "<script>alert('titre')</script>"),
        (2, True, "مهرجان الحي — fête du quartier en arabe"), (2, True, "Jeunes & familles")]
    assert all(x.kind == "cluster" or x.title != "Un repas partagé sur la place du marché 🍲" for x in r.ranking)


def test_hidden_tallies_print_no_number() -> None:
    doc = fixture()
    for row in doc["clusters"] + doc["ideas"]:
        row["votes"] = None
    md = export.markdown(doc)
    assert "gommette" not in md.split("## Feuille de route")[0] and "ne sont pas encore affichés" in md
    assert "gommette" not in export.csv_roadmap(doc).decode("utf-8-sig")
    assert export.report(doc).ranking == []


def test_english_labels_come_from_the_english_catalogue() -> None:
    doc = fixture()
    doc["room"]["lang"] = "en"
    md = export.markdown(doc)
    assert "## Ranking" in md and "In progress" in md and "Within 3 months" in md and "(tied)" in md
    assert export.csv_roadmap(doc).decode("utf-8-sig").startswith("Action;Description;Led by")


def test_days_are_written_as_their_readers_write_them() -> None:
    doc = fixture()
    assert "Atelier du 28/11/2026" in export.markdown(doc) and "01/03/2027" in export.markdown(doc)
    doc["room"]["lang"] = "en"
    assert "2026-11-28" in export.markdown(doc) and "2027-03-01" in export.markdown(doc)
    assert export.local_day("pas une date", "fr") == "pas une date"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_roadmap_files_use_the_words_of_the_room_s_table(lang: str) -> None:
    """A file says what the screen showed: the same column names, statuses and horizons as the
    room's roadmap table (static/js/views/roadmap.js), in the room's language."""
    from app.i18n import catalogue
    words = catalogue(lang)
    for page_key, file_key in (("js.roadmap.col.owners", "export.col.owners"), ("js.roadmap.col.when", "export.col.horizon"),
                               ("js.roadmap.col.status", "export.col.status"), ("js.roadmap.col.source", "export.col.source"),
                               *((f"js.roadmap.status.{s}", f"export.status.{s}") for s in export.STATUSES),
                               *((f"js.roadmap.horizon.{h}", f"export.horizon.{h}") for h in export.HORIZONS)):
        assert words[page_key] == words[file_key], (page_key, file_key)


def test_json_is_the_document_with_sorted_keys() -> None:
    doc = fixture()
    text = export.json_document(doc)
    assert json.loads(text) == doc and text == export.json_document(copy.deepcopy(doc))
    assert list(json.loads(text)) == sorted(doc)


@pytest.mark.parametrize(("title", "name"), [
    ("Journée citoyenne à Saint-Étienne 🐝", "journee-citoyenne-a-saint-etienne.md"),
    ("../../etc/passwd", "etc-passwd.md"), ("🐝🐝", "atelier.md"), ('a"b\r\nc', "a-b-c.md")])
def test_file_names_are_safe_ascii(title: str, name: str) -> None:
    assert export.filename(title, ".md") == name


@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x2100), max_size=60))
def test_the_fast_path_of_shown_is_the_cleaning_rule(value: str) -> None:
    assert export.shown(value) == clean(value, multiline=True)


@given(st.text(alphabet=" \n\u00a0\u00adaé-—«»…€'\t", max_size=30))
def test_spacing_and_invisible_marks_still_go_through_cleaning(value: str) -> None:
    assert export.shown(value) == clean(value, multiline=True)
