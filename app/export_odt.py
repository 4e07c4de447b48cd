"""The report as OpenDocument text (.odt), the format French public bodies work with.

Lays out the same `export.Report` as the printable HTML page, through `odfdo` (a maintained
library made for ODF), never hand-written XML: text stays text, as the library escapes it.
One section per page, as in print. Pure apart from building bytes in memory.
"""

from __future__ import annotations

import io
from typing import Any

from odfdo import Cell, Document, Header, List, ListItem, Paragraph, Row, Style, Table

from . import export
from .i18n import translator

SECTION = "Essaim_Section"  # a level-2 heading that starts a new page
EMPHASIS = "Essaim_Note"


def _styles(document: Document) -> None:
    document.insert_style(Style("paragraph", name=SECTION, display_name="Essaim section",
                                parent_style="Heading_20_2", break_before="page"), automatic=False)
    document.insert_style(Style("paragraph", name=EMPHASIS, display_name="Essaim note", area="text",
                                italic=True), automatic=False)


def _section(title: str) -> Header:
    header = Header(2, title)
    header.style = SECTION  # odfdo's Header(style=...) is ignored (3.27), so it is set here
    return header


def _items(lines: list[export.IdeaLine], _: Any, lang: str) -> List:
    items = List()
    for idea in lines:
        words = idea.text + (f" ({idea.author})" if idea.author else "")
        if idea.votes is not None:
            words += " — " + export.votes_label(_, lang, idea.votes)
        if idea.origin:
            words += f" · {idea.origin}"
        items.append(ListItem(Paragraph(words, formatted=True)))
    return items


def _table(name: str, head: list[str], rows: list[list[str]]) -> Table:
    table = Table(name)
    for values in [head, *rows]:
        row = Row()
        for value in values:
            cell = Cell()
            cell.append(Paragraph(value, formatted=True))  # a paragraph: text, never a formula
            row.append(cell)
        table.append(row)
    return table


def odt(doc: dict[str, Any]) -> bytes:
    r = export.report(doc)
    _ = translator(r.lang)
    document = Document("text")
    _styles(document)
    body = document.body
    body.clear()
    document.meta.title = r.title
    document.meta.language = r.lang
    body.append(Header(1, r.title))
    body.append(Paragraph(f"{_('export.date', date=r.date)} · {_('export.voters', count=r.voters)}"))
    for s in r.sources:
        body.append(Paragraph(_("export.source", label=s.get("label", ""), title=s.get("title", ""),
                                date=s.get("date", ""))))
    for prompt in r.prompts:
        body.append(_section(prompt.title))
        for cluster in prompt.clusters:
            votes = "" if cluster.votes is None else " — " + export.votes_label(_, r.lang, cluster.votes)
            body.append(Header(3, cluster.title + votes + (f" · {cluster.origin}" if cluster.origin else "")))
            body.append(_items(cluster.ideas, _, r.lang))
        if prompt.loose:
            body.append(Header(3, _("export.loose")))
            body.append(_items(prompt.loose, _, r.lang))
    body.append(_section(_("export.ranking")))
    if not r.ranking:
        body.append(Paragraph(_("export.votes_hidden") if not r.votes_shown else _("export.no_votes")))
    else:
        body.append(_table(_("export.ranking"), [_("export.rank"), _("export.col.idea"), _("export.col.prompt"),
                                                 _("export.col.votes")],
                           [[f"{x.rank}" + (f" {_('export.tied')}" if x.tied else ""), x.title, x.prompt,
                             str(x.votes)] for x in r.ranking]))
    body.append(_section(_("export.roadmap")))
    if not r.actions:
        body.append(Paragraph(_("export.no_actions")))
    else:
        keys = ("action", "description", "owners", "partners", "horizon", "status", "source")
        body.append(_table(_("export.roadmap"), [_(f"export.col.{k}") for k in keys],
                           [[a.title, a.description, a.owners, a.partners, a.horizon, a.status, a.source]
                            for a in r.actions]))
    body.append(Paragraph(_("export.generated"), style=EMPHASIS))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
