"""The dependency audit step (.ci/audit) fails on a known vulnerability and never takes
"nothing could be looked up" for a pass."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SPEC = importlib.util.spec_from_file_location("audit_report", Path(__file__).parents[1] / ".ci" / "audit_report.py")
assert SPEC and SPEC.loader
audit_report = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(audit_report)


def run(tmp_path: Path, dependencies: list[dict[str, object]] | None, stderr: str = "") -> int:
    report, errors = tmp_path / "report.json", tmp_path / "report.err"
    report.write_text("" if dependencies is None else json.dumps({"dependencies": dependencies}))
    errors.write_text(stderr)
    return int(audit_report.main(str(report), str(errors)))


def test_a_known_vulnerability_fails_and_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deps = [{"name": "jinja2", "version": "2.10", "vulns": [{"id": "PYSEC-2019-217"}]},
            {"name": "starlette", "version": "1.0", "vulns": []}]
    assert run(tmp_path, deps) == 1
    assert "jinja2 2.10: PYSEC-2019-217" in capsys.readouterr().err


def test_clean_packages_pass_and_unreachable_data_is_said_not_passed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(tmp_path, [{"name": "starlette", "version": "1.0", "vulns": []}]) == 0
    assert "1 of 1 packages checked" in capsys.readouterr().out
    assert run(tmp_path, [{"name": "starlette", "skip_reason": "Dependency not found on PyPI"}]) == 0
    assert "NOT CHECKED" in capsys.readouterr().out


def test_no_report_at_all_fails(tmp_path: Path) -> None:
    assert run(tmp_path, None, "ConnectionError") == 1
