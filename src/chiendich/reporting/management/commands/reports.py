"""`chiendich reports expect|completeness`: the expected reports of the loaded plans,
and DHIS2's completeness of reporting as of a day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chiendich.core import clock
from chiendich.core.cli import print_json, print_table
from chiendich.core.numbers import vn_number
from chiendich.plans.models import Plan
from chiendich.reporting.completeness import completeness
from chiendich.reporting.models import Report
from chiendich.reporting.schedule import reports_expect
from chiendich.units.selectors import in_territory, unit_at, unit_missing


def _date(text: str | None) -> dt.date:
    if not text:
        return clock.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Ngày “{text}” không đúng dạng YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Expected reports of the plans and the completeness of reporting."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("expect", help="create every report the loaded plans make due")
        comp = sub.add_parser("completeness", help="reporting and on-time rates as of a day")
        comp.add_argument(
            "--unit",
            help="only reports of units under this code (and of the old units it took over)",
        )
        comp.add_argument("--date", help="YYYY-MM-DD (default: today)")
        comp.add_argument(
            "--tree",
            help="YYYY-MM-DD: read --unit among the units in force that day (default: --date)",
        )
        comp.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "expect":
            for plan in Plan.objects.all():
                new = reports_expect(plan)
                total = Report.objects.filter(plan=plan).count()
                self.stdout.write(f"{plan.number}: {vn_number(new)} mới, {vn_number(total)} tất cả")
            return
        reports = Report.objects.all()
        day = _date(options["date"])
        if options["unit"]:
            tree = _date(options["tree"]) if options["tree"] else day
            unit = unit_at(options["unit"], tree)
            if unit is None:
                raise CommandError(unit_missing(options["unit"], tree))
            # A unit of today's tree asked about 2023 answers for the reports its
            # predecessors owed (each as they were submitted, under the old units).
            reports = in_territory(reports, unit)
        result = completeness(reports, day)
        if options["format"] == "json":
            print_json(result.as_dict(), self.stdout)
            self.stdout.write("")
            return
        rows = [{"type": "(tất cả)", **_fmt(result.overall)}]
        rows += [{"type": k, **_fmt(v)} for k, v in result.by_type.items()]
        print_table(
            f"Mức đầy đủ của báo cáo đến {result.as_of:%d/%m/%Y}",
            [
                ("type", "Báo cáo"),
                ("expected", "Phải nộp"),
                ("received", "Đã nhận"),
                ("on_time", "Đúng hạn"),
                ("reporting_rate", "Tỷ lệ báo cáo"),
                ("on_time_rate", "Tỷ lệ đúng hạn"),
            ],
            rows,
            self.stdout,
        )
        self.stdout.write(f"Thiếu: {len(result.missing)} · Trễ: {len(result.late)}")


def _rate(value: Any) -> str:
    """A rate as a percentage, "—" when nothing was expected (no denominator)."""
    return "—" if value is None else f"{vn_number(value)}%"


def _fmt(r: Any) -> dict[str, str]:
    return {
        "expected": vn_number(r.expected),
        "received": vn_number(r.received),
        "on_time": vn_number(r.on_time),
        "reporting_rate": _rate(r.reporting_rate),
        "on_time_rate": _rate(r.on_time_rate),
    }
