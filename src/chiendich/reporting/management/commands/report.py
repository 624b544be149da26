"""`chiendich report TYPE --unit CODE --date YYYY-MM-DD -o FILE.xlsx|FILE.pdf`: one report
of the plan's schedule (TYPE is its key, e.g. vneid_weekly, vneid_daily, tthc_batch_1),
as the stored instance shows it (the snapshot once submitted) or computed for that day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chiendich.accounts.context import acting_as
from chiendich.plans.models import ReportSchedule
from chiendich.reporting.models import Report
from chiendich.reporting.selectors import report_for
from chiendich.reporting.services import report_export
from chiendich.units.models import Unit


class Command(BaseCommand):
    help = "Write one report of the plan's schedule as XLSX or PDF."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("type", help="the report's key in the plan, e.g. vneid_weekly")
        parser.add_argument("--unit", required=True, help="the responsible unit's code, e.g. 82")
        parser.add_argument("--date", required=True, help="YYYY-MM-DD: the data's last day")
        parser.add_argument("-o", "--output", required=True, help="FILE.xlsx or FILE.pdf")

    def handle(self, *args: Any, **options: Any) -> None:
        output = Path(options["output"])
        fmt = output.suffix.lower().lstrip(".")
        if fmt not in ("xlsx", "pdf"):
            raise CommandError(f"{output}: tên tệp phải kết thúc bằng .xlsx hoặc .pdf.")
        try:
            day = dt.date.fromisoformat(options["date"])
        except ValueError:
            raise CommandError(f"Ngày “{options['date']}” không đúng dạng YYYY-MM-DD.") from None
        keys = sorted(set(ReportSchedule.objects.values_list("key", flat=True)))
        if options["type"] not in keys:
            raise CommandError(
                f"Không có báo cáo “{options['type']}”. Các loại: {', '.join(keys) or '(chưa nạp kế hoạch)'}."
            )
        try:
            report = report_for(Report.objects.all(), options["type"], options["unit"], day)
        except Unit.DoesNotExist:
            raise CommandError(f"Không có đơn vị mã {options['unit']}.") from None
        except (Report.DoesNotExist, ReportSchedule.DoesNotExist):
            raise CommandError(
                f"Đơn vị {options['unit']} không thuộc kế hoạch nào có báo cáo “{options['type']}”."
            ) from None
        with acting_as(None, origin="cli"):
            data, _name, _type = report_export(report=report, fmt=fmt, acting_user=None)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(data)
        self.stdout.write(f"{output} ({len(data):,} bytes)".replace(",", "."))
