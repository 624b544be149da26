"""`chiendich serve`: gunicorn with workers sized to the cores, static files from WhiteNoise,
/healthz, a clean stop on SIGTERM."""

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

from chiendich.core.management.commands.serve import Command, cores, default_workers

KEY = "serve-test-key-8d1f0c2b9a7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 - our own server on loopback
        return r.status, dict(r.headers), r.read()


def test_workers_follow_the_cores(monkeypatch) -> None:
    monkeypatch.delenv("CHIENDICH_WEB_WORKERS", raising=False)
    assert default_workers() == 2 * cores() + 1
    monkeypatch.setenv("CHIENDICH_WEB_WORKERS", "3")
    assert default_workers() == 3
    config = Command().options(
        bind="127.0.0.1:9", workers=None, threads=4, timeout=120, certfile=None, keyfile=None,
        access_log=None,
    )  # fmt: skip
    assert config["workers"] == 3 and config["worker_class"] == "gthread"
    assert config["preload_app"] is True and config["control_socket_disable"] is True


def test_serve_runs_gunicorn(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHIENDICH_")}
    env.pop("DATABASE_URL", None)
    env.update(CHIENDICH_DATA_DIR=str(tmp_path), CHIENDICH_SECRET_KEY=KEY)
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and package
        [
            sys.executable,
            "-m",
            "chiendich",
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                status, headers, body = get(f"{base}/healthz")
                break
            except OSError:
                if server.poll() is not None:
                    raise AssertionError(server.stderr.read() if server.stderr else "") from None
                time.sleep(0.5)
        else:
            raise AssertionError("chiendich serve did not answer")
        assert status == 200
        health = json.loads(body)
        assert health["database"]["status"] == "ok"
        assert "no-store" in headers["Cache-Control"]
        assert "Content-Security-Policy" in headers

        status, headers, body = get(f"{base}/static/web/app.js")  # WhiteNoise
        assert status == 200 and b"data-autosubmit" in body
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=60)
    assert server.returncode == 0, err
    assert "gunicorn" in out and "2 tiến trình" in out
    assert "Booting worker" in err  # gunicorn's own log: it was gunicorn serving
    assert "Control socket" not in err
