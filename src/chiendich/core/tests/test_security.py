"""Secure by default: no server without a secret key, HTTPS settings that pass Django's
deployment checks, a Content-Security-Policy on every page, and the health probe."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from chiendich.core.security import (
    PUBLIC_DEMO_KEY,
    data_dir_secret_key,
    secret_key_required,
    use_data_dir_secret_key,
)

STRONG_KEY = "k7Qv2pX9rT4mW8nZ1bC6dF3gH5jL0sA9eR2tY7uI4oP8aS1dF6gH3jK5lZ0xC9vB"


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m chiendich ARGS` (or `python -c` with args[0] == "-c") in a clean
    environment: no key, debug off, unless `env` says otherwise."""
    base = {
        k: v
        for k, v in os.environ.items()
        # The browser tests' fixture sets DJANGO_ALLOW_ASYNC_UNSAFE in this process.
        if not k.startswith("CHIENDICH_")
        and k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    base.update(CHIENDICH_DATA_DIR=str(tmp_path), **env)
    command = (
        [sys.executable, *args] if args[0] == "-c" else [sys.executable, "-m", "chiendich", *args]
    )
    return subprocess.run(  # noqa: S603 - our own interpreter and package
        command, env=base, capture_output=True, text=True, timeout=120, check=False
    )


# --- the secret key ------------------------------------------------------------------------


def test_no_server_starts_without_a_secret_key(tmp_path: Path) -> None:
    # Every server loads chiendich.wsgi: gunicorn, `chiendich serve`, `runserver`.
    done = run(["-c", "import chiendich.wsgi"], tmp_path)
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and "CHIENDICH_SECRET_KEY" in done.stderr
    assert "secrets.token_urlsafe" in done.stderr  # says how to make one

    served = run(["serve", "--bind", "127.0.0.1:0"], tmp_path)
    assert served.returncode == 1
    assert "CHIENDICH_SECRET_KEY" in served.stderr and "Traceback" not in served.stderr

    # The old public demo key is refused like no key.
    public = run(["-c", "import chiendich.wsgi"], tmp_path, CHIENDICH_SECRET_KEY=PUBLIC_DEMO_KEY)
    assert public.returncode != 0 and "CHIENDICH_SECRET_KEY" in public.stderr


def test_a_set_key_or_debug_mode_starts(tmp_path: Path) -> None:
    script = "import chiendich.wsgi; from django.conf import settings; print(settings.SECRET_KEY)"
    keyed = run(["-c", script], tmp_path, CHIENDICH_SECRET_KEY=STRONG_KEY)
    assert keyed.returncode == 0, keyed.stderr
    assert keyed.stdout.strip() == STRONG_KEY
    debug = run(["-c", script], tmp_path, CHIENDICH_DEBUG="1")
    assert debug.returncode == 0, debug.stderr


def test_commands_that_sign_nothing_run_without_a_key(tmp_path: Path) -> None:
    done = run(["units", "list", "--help"], tmp_path)
    assert done.returncode == 0, done.stderr


def test_the_demo_key_is_made_once_per_data_folder(tmp_path: Path) -> None:
    first = data_dir_secret_key(tmp_path / "a")
    assert len(first) >= 50
    assert data_dir_secret_key(tmp_path / "a") == first  # sessions survive a restart
    assert data_dir_secret_key(tmp_path / "b") != first
    mode = stat.S_IMODE((tmp_path / "a" / "secret-key").stat().st_mode)
    assert mode == 0o600


def test_the_demo_signs_with_its_folder_key(tmp_path: Path, settings, monkeypatch) -> None:
    monkeypatch.delenv("CHIENDICH_SECRET_KEY")
    use_data_dir_secret_key(tmp_path)
    key = (tmp_path / "secret-key").read_text().strip()
    assert settings.SECRET_KEY == key == os.environ["CHIENDICH_SECRET_KEY"]  # the worker's too
    assert secret_key_required() == key


def test_a_set_key_wins_over_the_demo_folder(tmp_path: Path, settings, monkeypatch) -> None:
    monkeypatch.setenv("CHIENDICH_SECRET_KEY", STRONG_KEY)
    settings.SECRET_KEY = STRONG_KEY
    use_data_dir_secret_key(tmp_path)
    assert settings.SECRET_KEY == STRONG_KEY
    assert not (tmp_path / "secret-key").exists()


# --- HTTPS and Django's deployment checks ----------------------------------------------------


def test_check_deploy_is_clean_with_https(tmp_path: Path) -> None:
    done = run(
        ["check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        CHIENDICH_SECRET_KEY=STRONG_KEY,
        CHIENDICH_HTTPS="1",
        CHIENDICH_PROXY_SSL_HEADER="1",
        CHIENDICH_ALLOWED_HOSTS="chiendich.example.gov.vn",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout
    assert "WARNINGS" not in done.stdout + done.stderr


def test_check_deploy_names_what_plain_http_lacks(tmp_path: Path) -> None:
    done = run(["check", "--deploy"], tmp_path, CHIENDICH_SECRET_KEY=STRONG_KEY)
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in done.stderr
    without_key = run(["check", "--deploy"], tmp_path, CHIENDICH_HTTPS="1")
    assert "security.W009" in without_key.stderr  # Django names the missing key too


def test_https_settings(tmp_path: Path) -> None:
    script = (
        "import json; from django.conf import settings as s; print(json.dumps(["
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER]))"
    )
    env = {"DJANGO_SETTINGS_MODULE": "chiendich.settings", "CHIENDICH_HTTPS": "1"}
    on = run(["-c", script], tmp_path, **env, CHIENDICH_PROXY_SSL_HEADER="1")
    assert json.loads(on.stdout) == [
        True,
        31536000,
        True,
        True,
        True,
        ["HTTP_X_FORWARDED_PROTO", "https"],
    ]
    off = run(["-c", script], tmp_path, DJANGO_SETTINGS_MODULE="chiendich.settings")
    assert json.loads(off.stdout) == [False, 0, False, False, False, None]


# --- Content-Security-Policy -------------------------------------------------------------------


@pytest.mark.django_db
def test_every_page_carries_the_policy(settings) -> None:
    client = Client()
    policy = client.get("/dang-nhap/").headers["Content-Security-Policy"]
    assert policy == settings.CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    # The admin's and DRF's own templates set inline styles: allowed there, scripts are not.
    admin = client.get("/admin/login/").headers["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in admin and "script-src 'self';" in admin


TEMPLATES = Path(__file__).resolve().parents[2]


def test_no_template_of_ours_has_inline_script_or_style() -> None:
    offending = []
    for path in TEMPLATES.glob("*/templates/**/*.html"):
        text = path.read_text(encoding="utf-8")
        for bad in (" style=", "<style", " onchange=", " onclick=", " onsubmit=", "javascript:"):
            if bad in text:
                offending.append(f"{path.relative_to(TEMPLATES)}: {bad.strip()}")
        for tag in text.split("<script")[1:]:
            head = tag.split(">", 1)[0]
            if "src=" not in head and "application/json" not in head:
                offending.append(f"{path.relative_to(TEMPLATES)}: inline <script>")
    assert not offending


# --- /healthz ------------------------------------------------------------------------------------


def queued_task(waited: dt.timedelta) -> DBTaskResult:
    task = DBTaskResult.objects.create(
        status=TaskResultStatus.READY,
        args_kwargs={"args": [], "kwargs": {}},
        task_path="chiendich.imports.tasks.job_check",
        backend_name="default",
        queue_name="default",
        run_after=get_date_max(),
    )
    DBTaskResult.objects.filter(pk=task.pk).update(enqueued_at=timezone.now() - waited)
    return task


@pytest.mark.django_db
def test_healthz_reports_database_and_worker() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok" and body["database"]["ms"] >= 0
    assert body["worker"] == {
        "status": "ok",
        "last_activity": None,
        "last_activity_age_seconds": None,
        "queued": 0,
        "oldest_queued_age_seconds": None,
        "running": 0,
        "workers": [],
    }

    # A task taken a minute ago by a worker, and one queued just now: alive.
    done = queued_task(dt.timedelta(minutes=2))
    DBTaskResult.objects.filter(pk=done.pk).update(
        status=TaskResultStatus.SUCCESSFUL,
        started_at=timezone.now() - dt.timedelta(seconds=70),
        finished_at=timezone.now() - dt.timedelta(seconds=65),
    )
    queued_task(dt.timedelta(seconds=1))
    body = Client().get("/healthz").json()
    assert body["status"] == "ok" and body["worker"]["queued"] == 1
    assert 64 <= body["worker"]["last_activity_age_seconds"] <= 70

    # A task nobody took for five minutes: the worker is gone; pages still serve (200).
    queued_task(dt.timedelta(minutes=5))
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded" and body["worker"]["status"] == "stalled"
    assert body["worker"]["oldest_queued_age_seconds"] >= 300


@pytest.mark.django_db
def test_healthz_lists_the_workers_alive_by_their_heartbeat() -> None:
    import os

    from chiendich.imports.models import Worker
    from chiendich.imports.recovery import this_host

    now = timezone.now()
    # Another machine's worker stamped 3 s ago: alive. One silent for 5 minutes: gone.
    Worker.objects.create(
        worker_id="w-far", host="web-2", pid=4242, heartbeat_at=now - dt.timedelta(seconds=3)
    )
    Worker.objects.create(
        worker_id="w-dead", host="web-3", pid=4243, heartbeat_at=now - dt.timedelta(minutes=5)
    )
    # On this machine the process is looked up: a pid that is no worker is gone.
    Worker.objects.create(worker_id="w-here", host=this_host(), pid=os.getpid(), heartbeat_at=now)
    workers = Client().get("/healthz").json()["worker"]["workers"]
    assert [(w["host"], w["pid"]) for w in workers] == [("web-2", 4242)]
    assert 2 <= workers[0]["heartbeat_age_seconds"] <= 10


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_is_down(monkeypatch) -> None:
    from django.db import OperationalError

    from chiendich.web import health

    class Down:
        def __enter__(self) -> Down:
            raise OperationalError("connection refused")

        def __exit__(self, *exc: object) -> None:
            return None

    monkeypatch.setattr(health.connection, "cursor", lambda: Down())
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"]["status"] == "error"
