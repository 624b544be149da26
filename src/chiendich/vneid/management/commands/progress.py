"""`chiendich progress --unit CODE --date YYYY-MM-DD [--tree YYYY-MM-DD]`: a unit and its
children on a day. `--tree` picks the units in force on that day (default: `--date`):
`--unit 28249 --date 2023-09-15 --tree 2026-01-01` is Phường Đạo Thạnh, whose 2023
figures are the sums of the communes it was formed from (listed below it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chiendich.core.cli import print_json, print_table
from chiendich.core.numbers import vn_number
from chiendich.plans.selectors import plan_for_unit
from chiendich.units.models import Kind, Unit
from chiendich.units.selectors import unit_at, unit_missing
from chiendich.vneid.counts import counts_rebuild
from chiendich.vneid.models import DailyCount
from chiendich.vneid.progress import FORECAST_WINDOW, progress_for, progress_of_predecessors


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Ngày “{text}” không đúng dạng YYYY-MM-DD.") from None


NOTES = {"reached": "đã đạt", "not_before_deadline": "không kịp hạn", "on_pace": "", "": ""}


class Command(BaseCommand):
    help = (
        "VNeID progress of a unit and its children on a day: activated, eligible, target, forecast."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", required=True, help="unit code, e.g. 82 or 822")
        parser.add_argument("--date", required=True, type=_date, help="YYYY-MM-DD")
        parser.add_argument(
            "--tree",
            type=_date,
            help="YYYY-MM-DD: the units in force that day (default: --date)",
        )
        parser.add_argument("--format", choices=["table", "json"], default="table")
        parser.add_argument(
            "--rebuild", action="store_true", help="recount the days from the records first"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        day: dt.date = options["date"]
        tree: dt.date = options["tree"] or day
        unit = unit_at(options["unit"], tree)
        if unit is None:
            raise CommandError(unit_missing(options["unit"], tree))
        for d in (day, day - dt.timedelta(days=FORECAST_WINDOW)):
            if options["rebuild"] or not DailyCount.objects.filter(date=d).exists():
                counts_rebuild(d)
        units = [
            unit,
            *Unit.objects.filter(parent=unit, kind=Kind.TERRITORIAL)
            .valid_on(tree)
            .order_by("code"),
        ]
        rows = progress_for(units, day, plan_for_unit(unit, on=day))
        # Before the unit existed its figures are its predecessors' records: list them too.
        parts = progress_of_predecessors(unit, day)
        if options["format"] == "json":
            print_json(
                [r.as_dict() for r in rows]
                + [{**r.as_dict(), "predecessor_of": unit.code} for r in parts],
                self.stdout,
            )
            return
        for row in parts:
            row.name = f"↳ {row.name} (trước {unit.valid_from:%d/%m/%Y})"
        rows += parts
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
