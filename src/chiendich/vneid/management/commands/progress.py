"""`chiendich progress --unit CODE --date YYYY-MM-DD`: a unit and its children on a day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chiendich.core.cli import print_json, print_table
from chiendich.core.numbers import vn_number
from chiendich.plans.selectors import plan_for_unit
from chiendich.units.models import Kind, Unit
from chiendich.vneid.counts import counts_rebuild
from chiendich.vneid.models import DailyCount
from chiendich.vneid.progress import FORECAST_WINDOW, progress_for

NOTES = {"reached": "đã đạt", "not_before_deadline": "không kịp hạn", "on_pace": "", "": ""}


class Command(BaseCommand):
    help = (
        "VNeID progress of a unit and its children on a day: activated, eligible, target, forecast."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", required=True, help="unit code, e.g. 82 or 822")
        parser.add_argument("--date", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--format", choices=["table", "json"], default="table")
        parser.add_argument(
            "--rebuild", action="store_true", help="recount the days from the records first"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        unit = Unit.objects.filter(code=options["unit"]).first()
        if unit is None:
            raise CommandError(f"Không có đơn vị mã {options['unit']}.")
        day: dt.date = options["date"]
        for d in (day, day - dt.timedelta(days=FORECAST_WINDOW)):
            if options["rebuild"] or not DailyCount.objects.filter(date=d).exists():
                counts_rebuild(d)
        units = [unit, *Unit.objects.filter(parent=unit, kind=Kind.TERRITORIAL).order_by("code")]
        rows = progress_for(units, day, plan_for_unit(unit))
        if options["format"] == "json":
            print_json([r.as_dict() for r in rows], self.stdout)
            return
        print_table(
            f"Tiến độ kích hoạt VNeID ngày {day:%d/%m/%Y}: {unit.name}",
            [
                ("name", "Đơn vị"),
                ("eligible", "Đủ điều kiện"),
                ("activated_l1", "Mức 1"),
                ("activated_l2", "Mức 2"),
                ("activated", "Đã kích hoạt"),
                ("rate", "% đủ ĐK"),
                ("target", "Chỉ tiêu"),
                ("pct", "% chỉ tiêu"),
                ("new", "Mới trong ngày"),
                ("needed", "Cần/ngày"),
                ("forecast", "Dự báo đạt"),
            ],
            [
                {
                    "name": r.name,
                    "eligible": vn_number(r.counts.eligible),
                    "activated_l1": vn_number(r.counts.activated_l1),
                    "activated_l2": vn_number(r.counts.activated_l2),
                    "activated": vn_number(r.activated),
                    "rate": vn_number(r.rate_of_eligible),
                    "target": vn_number(r.target),
                    "pct": vn_number(r.percent_of_target),
                    "new": vn_number(r.counts.new_activations),
                    "needed": vn_number(r.needed_daily_pace),
                    "forecast": r.forecast_date.strftime("%d/%m/%Y")
                    if r.forecast_date
                    else NOTES[r.forecast_note],
                }
                for r in rows
            ],
            self.stdout,
        )
