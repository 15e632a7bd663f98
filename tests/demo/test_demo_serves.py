"""`spdirectory demo` — the README's first command — really serves the site."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_command_serves_pages(tmp_path: Path) -> None:
    script = shutil.which("spdirectory", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the spdirectory console script is not installed in this environment")
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"}
    env.pop("ELASTICSEARCH_URL", None)
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [script, "demo", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/activities", timeout=5) as r:
                    status, body = r.status, r.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        if status is None:
            process.terminate()
            process.wait(timeout=10)
            output = log.read_text(errors="replace")
            pytest.fail(f"spdirectory demo did not serve /activities:\n{output[-2000:]}")
        assert status == 200
        assert "activities" in body.lower()
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)
