"""`chiendich demo [--plan FILE] [--no-serve] [--scale 0.02]`: build the simulated campaign
of a plan file (default: Plan 383, Tiền Giang 2023) and serve it.

Each plan's demo has its own database: `./var` for the default plan, `./var/<plan code>/`
for another, unless CHIENDICH_DATA_DIR says otherwise (chiendich.__main__ sets it before
the settings are read; demo.datadir).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chiendich.core import clock
from chiendich.core.cli import print_table
from chiendich.core.security import use_data_dir_secret_key
from chiendich.demo.builder import PLAN_FILE, build, password_of
from chiendich.demo.campaign import CampaignError, campaign_of
from chiendich.plans.models import Plan
from chiendich.plans.schema import PlanFileError, load_plan_file
from chiendich.plans.services import PlanLoadError


class Command(BaseCommand):
    help = "Create the database, build the demo campaign of a plan file, and serve it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--plan",
            type=Path,
            default=PLAN_FILE,
            help="plan file to simulate (default: plans/tien-giang-383-2023.yaml, the 2023 "
            "replay; e.g. plans/dong-thap-2026.yaml for today's Đồng Tháp)",
        )
        parser.add_argument("--no-serve", action="store_true", help="build only, do not serve")
        parser.add_argument(
            "--addr",
            default="127.0.0.1:8000",
            help="address to serve on (with `chiendich serve`: gunicorn, as in production)",
        )
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
                "share of the plan's population basis (citizens aged 14+) to simulate "
                "(default 1.0, or $CHIENDICH_DEMO_SCALE; e.g. 0.02 for a quick build, 0 for none)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        plan_file: Path = options["plan"]
        if not 0 <= options["scale"] <= 2:
            raise CommandError("--scale phải từ 0 đến 2.")
        try:
            spec = load_plan_file(plan_file)
        except PlanFileError as exc:
            raise CommandError(
                f"Tệp kế hoạch không hợp lệ; {len(exc.problems)} lỗi:\n{exc}"
            ) from exc
        if options["scale"] > 0 and spec.population is None:
            raise CommandError(
                f"{plan_file}: kế hoạch không có mục population.aged_14_plus (số người từ 14 "
                "tuổi trở lên) để mô phỏng; thêm mục này hoặc chạy với --scale 0."
            )
        password = password_of(plan_file)
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        # A fresh machine has no CHIENDICH_SECRET_KEY: the demo signs with its folder's own.
        use_data_dir_secret_key(settings.DATA_DIR)
        self.stdout.write(f"Cơ sở dữ liệu trong {settings.DATA_DIR}: tạo/cập nhật…")
        call_command("migrate", verbosity=0, interactive=False)
        try:
            users = build(
                settings.DATA_DIR / "demo",
                lambda msg: self.stdout.write(f"  ✓ {msg}"),
                plan_file=plan_file,
                scale=options["scale"],
            )
        except (PlanFileError, PlanLoadError, CampaignError) as exc:
            raise CommandError(str(exc)) from exc
        cache.clear()  # figures cached from an earlier database in this folder (web/stored.py)
        print_table(
            f"Tài khoản mẫu (mật khẩu chung: {password})",
            [
                ("username", "Tên đăng nhập"),
                ("password", "Mật khẩu"),
                ("role", "Vai trò"),
                ("units", "Đơn vị"),
            ],
            [
                {
                    "username": demo_user.username,
                    "password": password,
                    "role": user.get_role_display(),
                    "units": ", ".join(u.name for u in user.units.order_by("path")),
                }
                for demo_user, user in users
            ],
            self.stdout,
        )
        self.stdout.write(f"Xong sau {time.monotonic() - started:.1f} giây.")
        if options["no_serve"]:
            return
        plan = Plan.objects.filter(code=spec.code).first()
        if options["scale"] > 0 and plan is not None and not settings.CAMPAIGN_TODAY:
            # Inside the plan's periods the demo runs on the real clock. A plan that is
            # over (the 2023 replay) or not started is served as of its simulated day,
            # so an outcome recorded from a phone lands on a counted day.
            real = clock.today()
            if not spec.first_day <= real <= spec.last_day:
                day = campaign_of(plan).today
                settings.CAMPAIGN_TODAY = day.isoformat()
                self.stdout.write(f"Ngày hiện tại của bản demo: {day:%d/%m/%Y} (CHIENDICH_TODAY).")
        self.stdout.write(f"Mở http://{options['addr']}/ và đăng nhập bằng một tài khoản ở trên.")
        if options["no_worker"]:
            call_command("serve", bind=options["addr"])
            return
        # Imports from the web run as background tasks: the worker runs beside the server
        # and stops with it.
        from chiendich.imports.worker import worker_start, worker_stop

        worker = worker_start(quiet=False)
        self.stdout.write(f"Tiến trình xử lý nhập dữ liệu (db_worker) đang chạy, pid {worker.pid}.")
        try:
            call_command("serve", bind=options["addr"])
        finally:
            worker_stop(worker)
