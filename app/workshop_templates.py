"""Workshop templates: data files in `workshop_templates/`, validated when loaded."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from . import limits

FOLDER = Path(__file__).parent / "workshop_templates"
LANGS = ("fr", "en")


@dataclass(frozen=True)
class Template:
    id: str
    order: int
    title: dict[str, str]
    description: dict[str, str]
    prompts: tuple[dict[str, str], ...]
    settings: dict[str, object]

    def prompt_titles(self, lang: str) -> list[str]:
        return [p.get(lang) or p["fr"] for p in self.prompts]


def _load(path: Path) -> Template:
    data = json.loads(path.read_text(encoding="utf-8"))
    template = Template(id=data["id"], order=int(data["order"]), title=data["title"],
                        description=data["description"], prompts=tuple(data["prompts"]),
                        settings=dict(data.get("settings", {})))
    if template.id != path.stem or not template.prompts:
        raise ValueError(f"{path.name}: id must match the file name and prompts must not be empty")
    for text in (template.title, template.description, *template.prompts):
        if set(text) != set(LANGS) or any(len(v) > limits.PROMPT_TITLE_MAX for v in text.values()):
            raise ValueError(f"{path.name}: every text needs {LANGS} within the length limits")
    return template


def load_all(folder: Path = FOLDER) -> dict[str, Template]:
    templates = sorted((_load(p) for p in folder.glob("*.json")), key=lambda t: t.order)
    return {t.id: t for t in templates}
