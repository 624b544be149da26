"""`chiendich check`: Django's system check, plus `chiendich check status [--date D]
[--unit CODE]`, which checks the status model over a whole campaign on any database
(web.status_check.check_statuses: every unit and indicator, status, forecast and
target agree, and the reports' lagging list says what the dashboard says).
It only reads; it fails (exit status 1) when something disagrees."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.core.management.commands.check import Command as SystemCheck
from django.db.models import Max

from chiendich.core import clock
from chiendich.core.inputs import parse_day
from chiendich.core.numbers import vn_number
from chiendich.plans.models import Plan
from chiendich.units.selectors import unit_at, unit_missing
from chiendich.vneid.models import DailyCount
from chiendich.web.status_check import check_statuses


def _day(text: str) -> dt.date:
    try:
        return parse_day(text)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


class Command(SystemCheck):
    help = (
        SystemCheck.help
        + " `check status [--date D] [--unit CODE]`: check that every unit's status, forecast "
        "and target agree, and that the reports' lagging list matches the dashboard."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--date",
            type=_day,
            action="append",
            help="check status: the day (dd/mm/yyyy or yyyy-mm-dd; default: the campaign's "
            "last day with counts); repeat it for several days",
        )
        parser.add_argument(
            "--unit", help="check status: a province's code (default: every plan's province)"
        )
        parser.add_argument(
            "--show", type=int, default=20, help="check status: how many problems to print"
        )

    def handle(self, *app_labels: Any, **options: Any) -> None:
        if list(app_labels) != ["status"]:
            return super().handle(*app_labels, **options)
        days = options["date"] or [
            DailyCount.objects.filter(date__lte=clock.today()).aggregate(last=Max("date"))["last"]
        ]
        if None in days:
            raise CommandError("Chưa có số liệu theo ngày: không có gì để kiểm tra.")
        plans = list(Plan.objects.select_related("province").order_by("pk"))
        if options["unit"]:
            unit = unit_at(options["unit"], days[0])
            if unit is None:
                raise CommandError(unit_missing(options["unit"], days[0]))
            plans = [p for p in plans if p.province_id == unit.pk]
            if not plans:
                raise CommandError(f"Không có kế hoạch nào cho đơn vị {options['unit']}.")
        problems = 0
        for day, plan in ((d, p) for d in days for p in plans):
            if not plan.province.is_valid_on(day):
                continue
            result = check_statuses(day, plan.province, plan)
            self.stdout.write(
                f"{plan.province.name}, ngày {day:%d/%m/%Y}: {vn_number(result.units)} đơn vị, "
                f"{vn_number(result.checked)} chỉ tiêu kiểm tra, {vn_number(result.compared)} "
                f"trạng thái so với báo cáo ({vn_number(result.behind)} chậm tiến độ), "
                f"{vn_number(len(result.problems))} sai lệch, "
                f"{vn_number(round(result.seconds, 1))} giây."
            )
            for line in result.problems[: options["show"]]:
                self.stdout.write(f"  {line}")
            problems += len(result.problems)
        if problems:
            raise CommandError(f"{vn_number(problems)} sai lệch.")
        return None
