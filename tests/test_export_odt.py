"""The ODT report: its structure read back with odfdo, and a PDF where LibreOffice is installed."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from odfdo import Document

from app import export_odt
from tests.test_export import fixture


def read(data: bytes) -> Document:
    return Document(io.BytesIO(data))


def test_the_odt_is_an_opendocument_text() -> None:
    data = export_odt.odt(fixture())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist()[0] == "mimetype"
        assert archive.read("mimetype") == b"application/vnd.oasis.opendocument.text"
        assert archive.testzip() is None
    assert read(data).mimetype == "application/vnd.oasis.opendocument.text"


def test_the_odt_holds_the_report() -> None:
    document = read(export_odt.odt(fixture()))
    headers = [(int(h.level), h.text) for h in document.body.headers]
    assert headers[0] == (1, "Journée citoyenne à Saint-Étienne 🐝")
    assert (2, "Quelles activités ?") in headers and (2, "Classement") in headers and (2, "Feuille de route") in headers
    assert (3, "<script>alert('titre')</script> — 4 gommettes") in headers  # text, escaped by the library
    sections = [h for h in document.body.headers if h.style == export_odt.SECTION]
    assert [h.text for h in sections] == ["Quelles activités ?", "Pour qui, quels publics éloignés ?",
                                          "Classement", "Feuille de route"]
    style = document.get_style("paragraph", export_odt.SECTION)
    assert style is not None and style.get_properties()["fo:break-before"] == "page"
    ranking, roadmap = document.body.tables
    assert ranking.height == 1 + 6 and roadmap.height == 1 + 3
    assert roadmap.get_cell((0, 2)).text_content.startswith('=HYPERLINK("http://example.invalid")')
    assert roadmap.get_cell((0, 2)).get_attribute("table:formula") is None  # text, not a formula
    text = document.get_formatted_text()
    assert "Abeille dorée" in text and "مهرجان الحي" in text and "\u200f" not in text
    assert "Les ados du foyer" in text and "D’ici 3 mois" in text and document.meta.title.startswith("Journée")


def test_the_odt_leaves_authors_out_when_the_document_has_none() -> None:
    doc = fixture()
    for idea in doc["ideas"]:
        del idea["author"]
    assert "Abeille dorée" not in read(export_odt.odt(doc)).get_formatted_text()


@pytest.mark.skipif(not (shutil.which("libreoffice") or shutil.which("soffice")),
                    reason="LibreOffice is not installed (it is not installed in CI on purpose: it is huge)")
def test_libreoffice_converts_the_odt_to_pdf(tmp_path: Path) -> None:
    source = tmp_path / "atelier.odt"
    source.write_bytes(export_odt.odt(fixture()))
    office = shutil.which("libreoffice") or shutil.which("soffice")
    subprocess.run([office, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(source)], check=True, capture_output=True, timeout=180)
    pdf = (tmp_path / "atelier.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") >= 4
