"""A real Essaim server in a subprocess (`python -m app`), for tests that need uvicorn itself."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """Start, stop, kill -9 and restart an Essaim process on one data folder and port."""

    command: tuple[str, ...] = ("-m", "app", "serve")  # after the interpreter; a subclass may run uvicorn itself

    def __init__(self, data_dir: Path, port: int | None = None, **env: str) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.origin = self.url
        self.env = {**os.environ, "ESSAIM_DATA_DIR": str(data_dir), "ESSAIM_PORT": str(self.port),
                    "ESSAIM_HOST": "127.0.0.1", "ESSAIM_LOG_LEVEL": "warning",
                    # These tests are scripted bursts; the rate limit has its own tests.
                    "ESSAIM_COMMAND_BURST": "1000000", **env}
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"server-{self.port}.log"

    def start(self, timeout: float = 20.0) -> Server:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([sys.executable, *self.command], cwd=ROOT, env=self.env,
                                        stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"server did not start: {self.log()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no goodbye."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(f"{self.url}{path}", data=json.dumps(body).encode(),
                                         headers={"content-type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]

    def create_room(self, template: str = "remue-meninges", title: str = "Atelier",
                    phase: str = "write") -> dict[str, Any]:
        """A new room, opened directly in `phase` (the API's `phase`; pages start in the lobby)."""
        return self.post("/api/rooms", {"title": title, "template": template, "phase": phase})

    def join(self, room_id: str, name: str) -> str:
        return str(self.post(f"/api/rooms/{room_id}/participants", {"name": name})["token"])
