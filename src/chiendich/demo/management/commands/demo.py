"""`chiendich demo [--no-serve] [--scale 0.02]`: build the simulated Tiền Giang campaign
and serve it."""

from __future__ import annotations

import os
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chiendich.core.cli import print_table
from chiendich.demo.builder import DEMO_PASSWORD, build
from chiendich.demo.population import END as SIMULATION_END


class Command(BaseCommand):
    help = "Create the database, build the demo campaign for Tiền Giang, and serve it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="build only, do not serve")
        parser.add_argument("--addr", default="127.0.0.1:8000", help="address to serve on")
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="serve without starting `chiendich db_worker` (imports from the web wait "
            "for a worker started elsewhere)",
        )
        parser.add_argument(
            "--scale",
            type=float,
            # The environment variable lets the test suite build a small demo.
            default=float(os.environ.get("CHIENDICH_DEMO_SCALE", "1.0")),
            help=(
                "share of the province's 1.4 million citizens aged 14+ to simulate "
                "(default 1.0, or $CHIENDICH_DEMO_SCALE; e.g. 0.02 for a quick build, 0 for none)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        self.stdout.write("Tạo/cập nhật cơ sở dữ liệu…")
        call_command("migrate", verbosity=0, interactive=False)
        if not 0 <= options["scale"] <= 2:
            raise CommandError("--scale phải từ 0 đến 2.")
        users = build(
            settings.DATA_DIR / "demo",
            lambda msg: self.stdout.write(f"  ✓ {msg}"),
            scale=options["scale"],
        )
        print_table(
            f"Tài khoản mẫu (mật khẩu chung: {DEMO_PASSWORD})",
            [
                ("username", "Tên đăng nhập"),
                ("password", "Mật khẩu"),
                ("role", "Vai trò"),
                ("units", "Đơn vị"),
            ],
            [
                {
                    "username": spec.username,
                    "password": DEMO_PASSWORD,
                    "role": user.get_role_display(),
                    "units": ", ".join(u.name for u in user.units.order_by("path")),
                }
                for spec, user in users
            ],
            self.stdout,
        )
        self.stdout.write(f"Xong sau {time.monotonic() - started:.1f} giây.")
        if options["no_serve"]:
            return
        if options["scale"] > 0 and not settings.CAMPAIGN_TODAY:
            # The demo replays 2023: "today" is the simulation's last day, so an
            # outcome recorded from a phone lands on a counted day.
            settings.CAMPAIGN_TODAY = SIMULATION_END.isoformat()
            self.stdout.write(
                f"Ngày hiện tại của bản demo: {SIMULATION_END:%d/%m/%Y} (CHIENDICH_TODAY)."
            )
        self.stdout.write(f"Mở http://{options['addr']}/ và đăng nhập bằng một tài khoản ở trên.")
        if options["no_worker"]:
            call_command("runserver", options["addr"], use_reloader=False, use_threading=True)
            return
        # Imports from the web run as background tasks: the worker runs beside the server
        # and stops with it.
        from chiendich.imports.services import jobs_recover
        from chiendich.imports.worker import worker_start, worker_stop

        jobs_recover()
        worker = worker_start(quiet=False)
        self.stdout.write(f"Tiến trình xử lý nhập dữ liệu (db_worker) đang chạy, pid {worker.pid}.")
        try:
            call_command("runserver", options["addr"], use_reloader=False, use_threading=True)
        finally:
            worker_stop(worker)
