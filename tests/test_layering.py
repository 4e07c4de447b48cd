"""Architecture rules that a reviewer would otherwise have to remember."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app"
PURE = ("domain", "phases", "events", "errors", "text", "limits", "protocol", "facilitation", "timer",
        "room_settings", "visibility", "grouping", "group_commands", "voting", "export", "importer", "capitalise",
        "presence", "erasure")
STDLIB = set(sys.stdlib_module_names)
ALLOWED_THIRD_PARTY = {"protocol": {"pydantic"}, "importer": {"pydantic"}}


def imports_of(module: str) -> set[str]:
    tree = ast.parse((APP / f"{module}.py").read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names - {"__future__"}


@pytest.mark.parametrize("module", PURE)
def test_pure_modules_import_only_the_standard_library(module: str) -> None:
    foreign = imports_of(module) - STDLIB - ALLOWED_THIRD_PARTY.get(module, set())
    assert not foreign, f"app/{module}.py imports {foreign}"


def test_service_never_imports_starlette() -> None:
    assert "starlette" not in imports_of("service") | imports_of("commands")


def test_only_the_storage_modules_know_the_database() -> None:
    """SQL lives in store/migrations, engines and commits in db; service only passes connections along."""
    storage = {"store", "store_board", "db", "migrations", "models", "service", "commands"}
    for path in APP.glob("*.py"):
        if path.stem not in storage:
            assert not imports_of(path.stem) & {"sqlalchemy", "sqlmodel", "sqlite3"}, path.name
    for module in ("service", "commands"):
        source = (APP / f"{module}.py").read_text()
        assert "select(" not in source and "exec_driver_sql" not in source, module


def test_no_module_grows_into_a_monolith() -> None:
    for path in APP.glob("*.py"):
        assert len(path.read_text().splitlines()) < 400, path.name
