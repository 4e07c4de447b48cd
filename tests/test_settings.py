"""Settings are declared once, read once, and documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import settings as settings_module
from app.cli import parser

DOCS = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def test_every_setting_is_documented() -> None:
    """The table of docs/configuration.md lists exactly the settings of app/settings.py, with their defaults."""
    rows = [line.split("|")[1:3] for line in DOCS.read_text().splitlines() if line.startswith("| `")]
    documented = {name.strip().strip("`"): default.strip().strip("`") for name, default in rows}
    assert documented == {spec.env: spec.default or "(empty)" for spec in settings_module.SPECS}


def test_defaults_are_safe(tmp_path: Path) -> None:
    s = settings_module.load(environ={"ESSAIM_DATA_DIR": str(tmp_path)}, env_file=None)
    assert s.host == "127.0.0.1" and s.port == 8000 and s.public_url == "http://127.0.0.1:8000"
    assert s.database_url == f"sqlite:///{tmp_path}/essaim.sqlite3" and s.broadcast_url == "memory://"
    assert not s.secure_cookies and s.sqlite_synchronous == "FULL"
    assert "http://localhost:8000" in s.allowed_origins and len(s.secret_key) >= 40
    again = settings_module.load(environ={"ESSAIM_DATA_DIR": str(tmp_path)}, env_file=None)
    assert again.secret_key == s.secret_key  # generated once, then kept


def test_flags_win_over_environment(tmp_path: Path) -> None:
    env = {"ESSAIM_DATA_DIR": str(tmp_path), "ESSAIM_PORT": "9000", "ESSAIM_PUBLIC_URL": "https://essaim.example.fr/"}
    s = settings_module.load({"ESSAIM_PORT": "9100"}, environ=env, env_file=None)
    assert s.port == 9100 and s.public_url == "https://essaim.example.fr" and s.secure_cookies
    assert "https://essaim.example.fr" in s.allowed_origins


def test_env_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"ESSAIM_PORT=8123\nESSAIM_DATA_DIR={tmp_path}\n")
    assert settings_module.load(environ={}, env_file=str(env_file)).port == 8123


def test_bad_values_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        settings_module.load(environ={"ESSAIM_DATA_DIR": str(tmp_path), "ESSAIM_SQLITE_SYNCHRONOUS": "OFF"}, env_file=None)


def test_command_line_has_serve_host_port_and_data_dir() -> None:
    args = parser().parse_args(["serve", "--host", "0.0.0.0", "--port", "8080", "--data-dir", "/tmp/x"])
    assert (args.command, args.host, args.port, args.data_dir) == ("serve", "0.0.0.0", 8080, "/tmp/x")
    assert parser().parse_args([]).command is None  # serve is the default


def test_protocol_doc_lists_every_limit_and_error_code() -> None:
    from app import limits
    from app.errors import CODES

    text = (DOCS.parent / "protocol.md").read_text()
    for name in (n for n in dir(limits) if n.isupper()):
        assert f"| `{name}` | {getattr(limits, name)} |" in text, name
    for code in CODES:
        assert f"`{code}`" in text, code


def test_proxy_headers_are_read_only_from_the_proxies_named(tmp_path: Path) -> None:
    from app.cli import proxy_options

    def load(value: str | None) -> settings_module.Settings:
        extra = {} if value is None else {"ESSAIM_FORWARDED_ALLOW_IPS": value}
        return settings_module.load(environ={"ESSAIM_DATA_DIR": str(tmp_path), **extra}, env_file=None)
    assert proxy_options(load(None)) == {"proxy_headers": False}  # by default a client cannot choose its address
    assert proxy_options(load(" 127.0.0.1 , ::1 ")) == {"proxy_headers": True, "forwarded_allow_ips": "127.0.0.1,::1"}
    with pytest.raises(ValueError, match="ESSAIM_FORWARDED_ALLOW_IPS"):
        load("127.0.0.1,*")
