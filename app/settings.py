"""Every setting, declared once as data and read once (Starlette `Config`).

Values come from, in order: command-line flags, environment variables, a
`.env` file in the working directory, the defaults below. `docs/configuration.md`
documents each one; a test keeps the two lists equal.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from starlette.config import Config, Environ


@dataclass(frozen=True)
class Spec:
    env: str
    default: str
    help: str


SPECS: tuple[Spec, ...] = (
    Spec("ESSAIM_HOST", "127.0.0.1", "address to listen on"),
    Spec("ESSAIM_PORT", "8000", "port to listen on"),
    Spec("ESSAIM_DATA_DIR", "./data", "folder for the SQLite database and the secret key (created if missing)"),
    Spec("ESSAIM_PUBLIC_URL", "", "address people type, e.g. https://essaim.example.fr (default http://HOST:PORT)"),
    Spec("ESSAIM_ALLOWED_ORIGINS", "", "extra origins allowed to open websockets, comma separated"),
    Spec("ESSAIM_ALLOWED_HOSTS", "", "extra names the server answers to in the `Host` header, comma separated "
         "(`*.example.fr` for its subdomains); the public address's host, localhost, 127.0.0.1 and ::1 always are"),
    Spec("ESSAIM_SECRET_KEY", "", "key that signs tokens and cookies (default: generated once in the data folder)"),
    Spec("DATABASE_URL", "", "database address (default: sqlite in the data folder)"),
    Spec("BROADCAST_URL", "memory://", "fan-out backend between processes: memory:// (one process) or redis://HOST:PORT/0"),
    Spec("ESSAIM_WORKERS", "1", "server processes; more than one needs BROADCAST_URL=redis://…"),
    Spec("ESSAIM_PRESENCE_SECONDS", "10", "with several processes, how often each restates who is connected to it; "
         "one silent three times as long (killed, cut off) is taken as gone"),
    Spec("ESSAIM_SQLITE_SYNCHRONOUS", "FULL", "SQLite `synchronous` pragma: FULL survives power loss, NORMAL only crashes"),
    Spec("ESSAIM_CONTACT", "le service organisateur (à compléter)", "who participants contact about their data"),
    Spec("ESSAIM_RETENTION_DAYS", "90", "days a workshop is kept after its last activity, then erased by the purge "
         "(shown on the join page); 0 keeps workshops forever"),
    Spec("ESSAIM_LOG_LEVEL", "info", "log level: debug, info, warning, error"),
    Spec("ESSAIM_MAX_CONNECTIONS", "4000", "ceiling of simultaneous websockets for the whole server (keep below `ulimit -n`)"),
    Spec("ESSAIM_MAX_CONNECTIONS_PER_ADDRESS", "1000",
         "simultaneous websockets from one client address; 0 for none (a town hall shares one address)"),
    Spec("ESSAIM_ORGANISER_PASSPHRASE", "", "when set (12 characters or more), only those who give it may open "
         "workshops, from the home page or the API; empty: anyone may"),
    Spec("ESSAIM_FORWARDED_ALLOW_IPS", "", "addresses of the reverse proxies whose X-Forwarded-For and "
         "X-Forwarded-Proto are believed, comma separated (e.g. 127.0.0.1 behind a local nginx); empty: none, "
         "every client is the address that connects"),
    Spec("ESSAIM_COMMAND_BURST", "", "commands a person may send at once before the steady rate applies "
         "(default: COMMAND_BURST, 40); raise it for load tests and scripts"),
)
PASSPHRASE_MIN = 12
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})  # always allowed in `Host`, as the Host header writes them
_DEFAULTS = {spec.env: spec.default for spec in SPECS}


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    data_dir: Path
    public_url: str
    allowed_origins: frozenset[str]
    secret_key: str
    database_url: str
    broadcast_url: str
    sqlite_synchronous: str
    contact: str
    retention_days: int
    log_level: str
    max_connections: int = 4000
    max_connections_per_address: int = 1000
    command_burst: int | None = None  # None: limits.COMMAND_BURST
    organiser_passphrase: str = ""  # empty: anyone may open a workshop (see `organisers`)
    workers: int = 1
    presence_seconds: int = 10
    allowed_hosts: frozenset[str] = LOCAL_HOSTS  # see `_hosts`
    forwarded_allow_ips: str = ""  # uvicorn's forwarded_allow_ips; empty: proxy headers are not read

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")


def load(overrides: Mapping[str, str] | None = None, environ: Mapping[str, str] | None = None,
         env_file: str | None = ".env") -> Settings:
    """Read every setting once; `overrides` (command-line flags) win over the environment."""
    merged = dict(os.environ if environ is None else environ)
    merged.update({k: v for k, v in (overrides or {}).items() if v is not None})
    env_path = env_file if env_file and Path(env_file).is_file() else None
    config = Config(env_path, environ=Environ(merged))

    def get(name: str) -> str:
        return str(config(name, default=_DEFAULTS[name]))

    host, port = get("ESSAIM_HOST"), int(get("ESSAIM_PORT"))
    data_dir = Path(get("ESSAIM_DATA_DIR")).expanduser().resolve()
    public_url = (get("ESSAIM_PUBLIC_URL") or f"http://{host}:{port}").rstrip("/")
    synchronous = get("ESSAIM_SQLITE_SYNCHRONOUS").upper()
    if synchronous not in ("FULL", "NORMAL", "EXTRA"):
        raise ValueError("ESSAIM_SQLITE_SYNCHRONOUS must be FULL, NORMAL or EXTRA")
    return Settings(
        host=host, port=port, data_dir=data_dir, public_url=public_url,
        allowed_origins=_origins(public_url, port, get("ESSAIM_ALLOWED_ORIGINS")),
        allowed_hosts=_hosts(public_url, get("ESSAIM_ALLOWED_HOSTS")),
        secret_key=get("ESSAIM_SECRET_KEY") or _stored_secret(data_dir),
        database_url=get("DATABASE_URL") or f"sqlite:///{data_dir / 'essaim.sqlite3'}",
        broadcast_url=get("BROADCAST_URL"), sqlite_synchronous=synchronous,
        contact=get("ESSAIM_CONTACT"),
        retention_days=_count(get("ESSAIM_RETENTION_DAYS"), "ESSAIM_RETENTION_DAYS", minimum=0),
        log_level=get("ESSAIM_LOG_LEVEL").lower(),
        max_connections=_count(get("ESSAIM_MAX_CONNECTIONS"), "ESSAIM_MAX_CONNECTIONS", minimum=1),
        max_connections_per_address=_count(get("ESSAIM_MAX_CONNECTIONS_PER_ADDRESS"),
                                           "ESSAIM_MAX_CONNECTIONS_PER_ADDRESS", minimum=0),
        organiser_passphrase=_passphrase(get("ESSAIM_ORGANISER_PASSPHRASE")),
        command_burst=_count(burst, "ESSAIM_COMMAND_BURST", minimum=1) if (burst := get("ESSAIM_COMMAND_BURST")) else None,
        workers=_workers(get("ESSAIM_WORKERS"), get("BROADCAST_URL")),
        presence_seconds=_count(get("ESSAIM_PRESENCE_SECONDS"), "ESSAIM_PRESENCE_SECONDS", minimum=1),
        forwarded_allow_ips=_proxies(get("ESSAIM_FORWARDED_ALLOW_IPS")),
    )


def _workers(raw: str, broadcast_url: str) -> int:
    workers = _count(raw, "ESSAIM_WORKERS", minimum=1)
    if workers > 1 and broadcast_url.startswith("memory:"):
        # Each process would hear only its own events: pages would silently miss the others'.
        raise ValueError(f"ESSAIM_WORKERS={workers} needs BROADCAST_URL=redis://HOST:PORT/0: with memory:// "
                         "the processes would not hear each other's events")
    return workers


def _proxies(raw: str) -> str:
    """The trusted proxies, as uvicorn reads them. `*` would believe any client's X-Forwarded-For,
    so anyone could pose as a fresh address to every per-address limit: refused."""
    listed = [p.strip() for p in raw.split(",") if p.strip()]
    if "*" in listed:
        raise ValueError("ESSAIM_FORWARDED_ALLOW_IPS: list the proxies' addresses, not '*' "
                         "(every client could then choose its own address)")
    return ",".join(listed)


def _passphrase(raw: str) -> str:
    value = raw.strip()
    if value and len(value) < PASSPHRASE_MIN:  # a short one is guessed, whatever the rate limit
        raise ValueError(f"ESSAIM_ORGANISER_PASSPHRASE must be at least {PASSPHRASE_MIN} characters")
    return value


def _count(raw: str, name: str, *, minimum: int) -> int:
    if not raw.strip().isdigit() or int(raw) < minimum:
        raise ValueError(f"{name} must be a whole number, at least {minimum}")
    return int(raw)


def _origins(public_url: str, port: int, extra: str) -> frozenset[str]:
    local = {f"http://127.0.0.1:{port}", f"http://localhost:{port}", f"http://[::1]:{port}"}
    listed = {o.strip().rstrip("/") for o in extra.split(",") if o.strip()}
    return frozenset({public_url} | local | listed)


def _hosts(public_url: str, extra: str) -> frozenset[str]:
    """Names a request's `Host` may carry (Starlette's TrustedHostMiddleware patterns): a request
    for another name is refused, so a rebinding DNS name or a forged Host never reaches the pages."""
    host = urlsplit(public_url).hostname or ""
    host = f"[{host}]" if ":" in host else host  # an IPv6 address, as the Host header writes it
    listed = {h.strip().lower() for h in extra.split(",") if h.strip()}
    for pattern in listed:
        if "*" in pattern[1:] or (pattern.startswith("*") and pattern != "*" and not pattern.startswith("*.")):
            raise ValueError(f"ESSAIM_ALLOWED_HOSTS: {pattern!r} is not a host name or '*.domain'")
    return frozenset({host.lower()} | LOCAL_HOSTS | listed) - {""}


def _stored_secret(data_dir: Path) -> str:
    """A key made once per installation, kept beside the database, readable by its owner only."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
