"""`chiendich serve [--bind 127.0.0.1:8000] [--workers N]`: the production web server.

gunicorn, run in this process (it becomes gunicorn's master): a pre-fork WSGI
server that restarts a worker that dies or hangs past `--timeout`, replaces its
workers one by one on SIGHUP, and finishes requests in flight on SIGTERM. Django's
`runserver` does none of that and says it is not for production. Static files
are served by WhiteNoise inside the app (settings.MIDDLEWARE), so no separate
static server is needed. Background jobs are not served here: run `chiendich
db_worker` as its own service (deploy/chiendich-worker.service).

The application is loaded once in the master before the workers fork
(`preload_app`), so a missing secret key or a broken setting stops the start with
its message instead of a loop of dying workers.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from gunicorn.app.base import BaseApplication

from chiendich.core.security import secret_key_required


def cores() -> int:
    """The CPUs this process may run on (a container's or systemd's CPU set, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_workers() -> int:
    """gunicorn's advice, (2 x cores) + 1: while one worker waits on the database another
    computes. CHIENDICH_WEB_WORKERS overrides it."""
    return int(os.environ.get("CHIENDICH_WEB_WORKERS") or 2 * cores() + 1)


class Command(BaseCommand):
    help = "Serve the site with gunicorn (production WSGI server), workers sized to the cores."
    # The checks run in handle(), after the secret key's own clearer message.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind",
            default=os.environ.get("CHIENDICH_BIND", "127.0.0.1:8000"),
            help="address:port or unix:PATH (default 127.0.0.1:8000, or $CHIENDICH_BIND)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="worker processes (default (2 x cores) + 1, or $CHIENDICH_WEB_WORKERS)",
        )
        parser.add_argument("--threads", type=int, default=1, help="threads per worker (default 1)")
        parser.add_argument(
            "--timeout",
            type=int,
            default=120,
            help="seconds before a silent worker is killed and replaced (default 120: "
            "a province's xlsx export takes a few seconds, never minutes)",
        )
        parser.add_argument("--certfile", help="serve HTTPS directly with this certificate")
        parser.add_argument("--keyfile", help="the certificate's private key")
        parser.add_argument(
            "--access-log", default=None, help="write an access log here ('-' for stdout)"
        )

    def options(self, **options: Any) -> dict[str, Any]:
        """gunicorn's settings for these options."""
        workers = options["workers"] or default_workers()
        if workers < 1 or options["threads"] < 1:
            raise CommandError("--workers và --threads phải từ 1 trở lên.")
        if bool(options["certfile"]) != bool(options["keyfile"]):
            raise CommandError("--certfile và --keyfile phải đi cùng nhau.")
        config: dict[str, Any] = {
            "bind": [options["bind"]],
            "workers": workers,
            "threads": options["threads"],
            "worker_class": "gthread" if options["threads"] > 1 else "sync",
            "timeout": options["timeout"],
            "graceful_timeout": 30,
            "preload_app": True,
            # Recycle a worker now and then, so a slow leak never grows without end.
            "max_requests": 2000,
            "max_requests_jitter": 200,
            "proc_name": "chiendich",
            # gunicorn 24+ opens a control socket under $HOME by default: nothing of ours
            # uses it, and two servers on one machine would share its path.
            "control_socket_disable": True,
        }
        if options["certfile"]:
            config["certfile"] = options["certfile"]
            config["keyfile"] = options["keyfile"]
        if options["access_log"]:
            config["accesslog"] = options["access_log"]
        return config

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            secret_key_required()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        self.check(display_num_errors=False)
        config = self.options(**options)
        # Nothing opened here may be shared by the forked workers.
        connections.close_all()
        self.stdout.write(
            f"chiendich trên gunicorn: {', '.join(config['bind'])}, {config['workers']} tiến "
            f"trình × {config['threads']} luồng ({cores()} lõi CPU)."
        )
        self.stdout.flush()
        _Gunicorn(config).run()


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """gunicorn with its settings from `serve`'s options, not from sys.argv or a file."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.config.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from chiendich.wsgi import application

        return application
