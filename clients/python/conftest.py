"""pytest fixtures: the compiled stream-server, started on a free port and killed by its pid.

`bun test` (test/e2e/python-client.test.ts) passes the executable it built in STREAM_SERVER_BIN; run
alone, `/usr/bin/python3 -m pytest clients/python` builds one into test-output/ first (needs bun).
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from pathlib import Path
from typing import List, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def binary() -> str:
    """Path of the stream-server executable under test."""
    given = os.environ.get("STREAM_SERVER_BIN")
    if given:
        return given
    out = ROOT / "test-output" / "stream-server"
    out.parent.mkdir(exist_ok=True)
    # Always a fresh build: a stale ./stream-server in the checkout must never be what gets tested.
    subprocess.run(["bun", "build", "--compile", "--minify", "--sourcemap", "src/main.ts", "--outfile", str(out)],
                   cwd=ROOT, check=True, capture_output=True)
    return str(out)


class Server:
    """One running stream-server process; its output is drained so a chatty server never blocks on a full pipe."""

    def __init__(self, binary: str, args: List[str], port: int = 0):
        self.proc = subprocess.Popen([binary, "--port", str(port), "--host", "127.0.0.1", *args], cwd=ROOT,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: List[str] = []
        self._listening = threading.Event()
        self.url = ""
        threading.Thread(target=self._drain, daemon=True).start()
        if not self._listening.wait(60) or not self.url:
            self.kill()
            raise RuntimeError("stream-server did not print its URL:\n" + "".join(self.lines))
        self.port = int(self.url.rsplit(":", 1)[1])

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace")
            self.lines.append(line)
            found = re.search(r"listening on (http://[^\s\"]+)", line)
            if found and not self.url:
                self.url = found.group(1)
                self._listening.set()
        self._listening.set()  # exited: wake the constructor, which sees no URL

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would: no graceful close frames."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)


@pytest.fixture
def start_server(binary: str):
    """start_server(args, port=0) → a running Server; every one is killed after the test."""
    started: List[Server] = []

    def start(args: Optional[List[str]] = None, port: int = 0) -> Server:
        server = Server(binary, args or [], port)
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()


def run(coroutine, timeout: float = 90):
    """Runs one test's scenario; the timeout only turns a hang into a failure, nothing is timed."""
    import asyncio

    async def bounded():
        return await asyncio.wait_for(coroutine, timeout)

    return asyncio.run(bounded())
