"""Where the Essaim side of a capacity run lives: one process on SQLite, one on PostgreSQL, or
several on one PostgreSQL with Redis fan-out.

    sqlite    one `python -m app serve` on SQLite (WAL, synchronous=FULL): the default
    postgres  the same process on a throwaway PostgreSQL (fsync on, as SQLite's FULL)
    redis2    `--servers N` processes (2 by default) on one PostgreSQL, BROADCAST_URL=redis://

A `Side` is what a run talks to and measures: the servers' addresses (participant i of a room
goes to server i mod N, so every room has people on every process), and the processes whose
CPU and memory are summed. PostgreSQL and Redis run on the same cores, so their CPU is
counted too, apart from the servers'.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from tests.support.server import ROOT, Server, free_port

LAYOUTS = ("sqlite", "postgres", "redis2")
QUIET_CPU = 0.05  # a process is idle below this share of a core
SECRET = "bench-capacity-" + "k" * 32  # one key for every process: a token made by one works on the others


class LayoutUnavailable(RuntimeError):
    """PostgreSQL or Redis could not be started: the layout cannot be measured here."""


class Process(Protocol):
    url: str
    ws_url: str
    origin: str
    process: subprocess.Popen[bytes] | None

    def log(self) -> str: ...


# -- /proc ---------------------------------------------------------------------------------------


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()  # the command name may hold spaces


def proc_cpu(pid: int, children: bool = False) -> float:
    """User + system seconds of a process, all its threads (fields 14 and 15 of /proc/PID/stat);
    `children`: also those of its children it has already waited for (16 and 17)."""
    fields = _stat(pid)
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def proc_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def tree_cpu(root: int) -> float:
    """A process and its living children (PostgreSQL: the postmaster and one backend per connection)."""
    total = proc_cpu(root, children=True)
    for path in glob.glob("/proc/[0-9]*/stat"):
        pid = int(path.split("/")[2])
        try:
            if int(_stat(pid)[1]) == root:
                total += proc_cpu(pid)
        except (OSError, ValueError, IndexError):
            pass  # gone meanwhile
    return total


# -- what a run talks to -------------------------------------------------------------------------


@dataclass
class Side:
    """The servers one kind of run connects to, and the helper processes they lean on."""

    servers: list[Process]
    helpers: list[Helper] = field(default_factory=list)

    def endpoints(self) -> list[dict[str, str]]:
        return [{"http": s.url, "ws": s.ws_url, "origin": s.origin} for s in self.servers]

    def pids(self) -> list[int]:
        return [s.process.pid for s in self.servers if s.process is not None]

    def cpu(self) -> float:
        """Sum over the server processes."""
        return sum(proc_cpu(pid) for pid in self.pids())

    def rss_kib(self) -> int:
        return sum(proc_rss_kib(pid) for pid in self.pids())

    def helper_cpu(self) -> float | None:
        return sum(h.cpu() for h in self.helpers) if self.helpers else None

    def log(self) -> str:
        return "\n".join(f"[{s.url}] {s.log().strip()[-1500:]}" for s in self.servers if s.log().strip())

    async def wait_idle(self, limit: float = 60.0) -> None:
        """Until the servers have finished what the previous step started (presence storms, closes)."""
        deadline, calm = time.monotonic() + limit, 0
        quiet = QUIET_CPU * 0.1 * len(self.servers)
        while time.monotonic() < deadline and calm < 3:
            before = self.cpu()
            await asyncio.sleep(0.1)
            calm = calm + 1 if self.cpu() - before <= quiet else 0


# -- helpers: PostgreSQL and Redis ---------------------------------------------------------------


class Helper(Protocol):
    def cpu(self) -> float: ...

    def stop(self) -> None: ...


def _as_postgres(command: str) -> list[str]:
    """initdb and pg_ctl refuse to run as root: the cluster belongs to the postgres user."""
    return ["su", "postgres", "-c", command] if os.getuid() == 0 else ["bash", "-c", command]


class PostgreSQL:
    """A throwaway cluster started by .ci/postgres (which installs Debian's postgresql if missing),
    restarted with fsync on: .ci/postgres turns it off for the tests, but a durability
    comparison with SQLite's synchronous=FULL needs every commit on disk."""

    def __init__(self) -> None:
        self.port = free_port()
        # Not under the bench's own temporary folder: the postgres user must be able to enter it.
        self.dir = Path(tempfile.mkdtemp(prefix="essaim-bench-pg-"))
        self.dir.chmod(0o755)
        self.url = ""
        self.bin = ""
        self.version = ""

    def start(self) -> PostgreSQL:
        try:
            done = subprocess.run(["bash", str(ROOT / ".ci" / "postgres"), str(self.dir), str(self.port)],
                                  capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise LayoutUnavailable(f"PostgreSQL could not be started by .ci/postgres: {exc}") from exc
        if done.returncode != 0 or not done.stdout.strip().startswith("postgresql://"):
            raise LayoutUnavailable(f"PostgreSQL could not be started by .ci/postgres (exit {done.returncode}): "
                                    f"{(done.stderr + self._log())[-1500:]}")
        self.url = done.stdout.strip().splitlines()[-1]
        self.bin = os.path.dirname(sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                                          key=lambda p: int(p.split("/")[4]))[-1])
        restart = (f"{self.bin}/pg_ctl -D {self.dir}/data -o '-p {self.port} -k /tmp "
                   f"-c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on' -l {self.dir}/log "
                   f"-w -m fast restart > /dev/null")
        done = subprocess.run(_as_postgres(restart), capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise LayoutUnavailable(f"PostgreSQL could not be restarted with fsync on: {done.stderr}{self._log()}")
        self.version = self._query("SHOW server_version") + ", fsync " + self._query("SHOW fsync")
        return self

    def _query(self, sql: str) -> str:
        import psycopg  # the scale extra: only this layout needs it

        with psycopg.connect(self.url, connect_timeout=10) as conn:
            row = conn.execute(sql).fetchone()  # type: ignore[arg-type]
        return str(row[0]) if row else ""

    def fresh_database(self, name: str) -> str:
        """An empty database per sweep: the migrations run on it as on a new installation."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True, connect_timeout=10) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')  # type: ignore[arg-type]
            admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def postmaster(self) -> int:
        return int((self.dir / "data" / "postmaster.pid").read_text().split()[0])

    def cpu(self) -> float:
        return tree_cpu(self.postmaster())

    def stop(self) -> None:
        if self.bin and (self.dir / "data" / "postmaster.pid").exists():
            subprocess.run(_as_postgres(f"{self.bin}/pg_ctl -D {self.dir}/data -m immediate stop > /dev/null"),
                           capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)

    def _log(self) -> str:
        for name in ("log", "initdb.log"):
            path = self.dir / name
            if path.exists():
                return "\n" + path.read_text(errors="replace")[-1000:]
        return ""


class Redis:
    """`redis-server` on a free loopback port, nothing saved to disk."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.version = ""

    def start(self, timeout: float = 10.0) -> Redis:
        binary = shutil.which("redis-server")
        if binary is None:
            raise LayoutUnavailable("redis-server is not installed (Debian: apt-get install redis-server)")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.split(" v=")[-1] \
            .split()[0]
        self.process = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no", "--dir", str(self.folder)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LayoutUnavailable(f"redis-server exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise LayoutUnavailable("redis-server did not answer PING")

    def cpu(self) -> float:
        return proc_cpu(self.process.pid) if self.process else 0.0

    def stop(self) -> None:
        terminate(self.process)


def terminate(process: subprocess.Popen[bytes] | None) -> None:
    """Stop a child politely, then for good if it has not gone within 10 s."""
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


# -- the layout ----------------------------------------------------------------------------------


class Layout:
    """Starts and stops everything the Essaim side of a sweep runs on."""

    def __init__(self, name: str, servers: int, tmp: Path, env: dict[str, str]) -> None:
        if name not in LAYOUTS:
            raise ValueError(f"layout {name!r}, not one of {LAYOUTS}")
        self.name, self.tmp, self.env = name, tmp, env
        self.count = servers if name == "redis2" else 1
        self.postgres: PostgreSQL | None = None
        self.redis: Redis | None = None
        self.servers: list[Server] = []

    def start(self) -> Side:
        env = dict(self.env)
        helpers: list[Helper] = []
        if self.name == "redis2" and shutil.which("redis-server") is None:  # said before PostgreSQL is started
            raise LayoutUnavailable("redis-server is not installed (Debian: apt-get install redis-server)")
        if self.name in ("postgres", "redis2"):
            try:
                import psycopg  # noqa: F401
            except ImportError as exc:
                raise LayoutUnavailable("psycopg is not installed: pip install -e '.[scale]'") from exc
            self.postgres = PostgreSQL()
            helpers.append(self.postgres)
            self.postgres.start()
            env["DATABASE_URL"] = self.postgres.fresh_database("essaim_bench")
        if self.name == "redis2":
            self.redis = Redis(self.tmp / "redis")
            helpers.append(self.redis)
            self.redis.start()
            env["BROADCAST_URL"] = self.redis.url
        env.setdefault("ESSAIM_SECRET_KEY", SECRET)
        for n in range(self.count):  # one after the other: the first runs the migrations
            server = Server(self.tmp / f"essaim{n}" / "data", **env)
            self.servers.append(server)
            server.start()
        return Side(list(self.servers), helpers)

    def describe(self) -> str:
        if self.name == "sqlite":
            return "1 Essaim process on SQLite (WAL, synchronous=FULL)"
        assert self.postgres is not None
        what = f"PostgreSQL {self.postgres.version}"
        if self.name == "postgres":
            return f"1 Essaim process on {what}"
        assert self.redis is not None
        return f"{self.count} Essaim processes on one {what}, Redis {self.redis.version} fan-out"

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
        for helper in (self.redis, self.postgres):
            if helper is not None:
                helper.stop()


def available(name: str) -> str | None:
    """Why the layout cannot run on this machine without installing anything, or None."""
    if name in ("postgres", "redis2") and not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        return "PostgreSQL's binaries are not installed (/usr/lib/postgresql/*/bin/initdb)"
    if name == "redis2" and shutil.which("redis-server") is None:
        return "redis-server is not installed"
    return None


def endpoint_of(index: int, count: int) -> int:
    """Round robin: participant `index` of a room goes to server index mod count."""
    return index % count

