"""`chiendich kpi --unit CODE --from YYYY-MM-DD --to YYYY-MM-DD [--format json|table]`:
the TTHC indicators of a unit (Plan 383 II.1.b–đ) with numerator, denominator, rate,
target, met and national-index score. The JSON keys are documented in
procedures/KPI_JSON.md."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chiendich.core.cli import print_json, print_table
from chiendich.core.numbers import vn_number
from chiendich.procedures.counts import counts_rebuild
from chiendich.procedures.selectors import unit_kpi
from chiendich.units.models import Unit


def _vn(value: Any) -> str:
    """A number as Vietnamese write it (1.234,56); "N/A" for a rate without denominator."""
    return vn_number(value, none="N/A")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Ngày “{text}” không đúng dạng YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = (
        "TTHC indicators of a unit over a window: numerator, denominator, rate, target, met, score."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", required=True, help="unit code, e.g. 82, 822, 28249, 82-STP")
        parser.add_argument("--from", dest="date_from", required=True, help="YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", required=True, help="YYYY-MM-DD")
        parser.add_argument("--format", choices=["table", "json"], default="table")
        parser.add_argument(
            "--rebuild", action="store_true", help="recount every day from the dossiers first"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        unit = Unit.objects.filter(code=options["unit"]).first()
        if unit is None:
            raise CommandError(f"Không có đơn vị mã {options['unit']}.")
        date_from, date_to = _date(options["date_from"]), _date(options["date_to"])
        if date_to < date_from:
            raise CommandError("--to phải không trước --from.")
        if options["rebuild"]:
            counts_rebuild()
        kpi = unit_kpi(unit, date_from, date_to)
        if options["format"] == "json":
            print_json(kpi.as_dict(), self.stdout)
            self.stdout.write("")
            return
        rows = []
        for r in kpi.indicators:
            rows.append(
                {
                    "name": r.name,
                    "window": f"{r.date_from:%d/%m}–{r.date_to:%d/%m/%Y}",
                    "numerator": _vn(r.numerator),
                    "denominator": _vn(r.denominator),
                    "rate": _vn(r.rate),
                    "target": "" if r.target is None else _vn(r.target),
                    "met": {True: "đạt", False: "chưa đạt", None: ""}[r.met],
                    "score": "" if r.score is None else f"{_vn(r.score)}/{_vn(r.pmax)}",
                    "forms": r.forms or "",
                }
            )
        print_table(
            f"Chỉ số thủ tục hành chính: {unit.name} ({date_from:%d/%m/%Y}–{date_to:%d/%m/%Y})",
            [
                ("name", "Chỉ số"),
                ("window", "Kỳ"),
                ("numerator", "Tử số"),
                ("denominator", "Mẫu số"),
                ("rate", "Tỷ lệ %"),
                ("target", "Chỉ tiêu %"),
                ("met", "Đánh giá"),
                ("score", "Điểm"),
                ("forms", "Biểu mẫu"),
            ],
            rows,
            self.stdout,
        )
