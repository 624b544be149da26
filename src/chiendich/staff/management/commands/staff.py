"""`chiendich staff compliance --unit CODE [--date YYYY-MM-DD] [--format table|json]`:
per agency under a unit and per category, staff on the list, matched to citizen
records, at VNeID level 2, the rate against the plan's target, and who is missing
(Plan 383 II.1.a note, V.5.b, V.6). ID numbers are masked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chiendich.core import clock
from chiendich.core.cli import print_json, print_table
from chiendich.staff.selectors import (
    agencies_under,
    compliance_total,
    staff_compliance,
)
from chiendich.units.models import Unit


def _vn(value: Any) -> str:
    """A number as Vietnamese write it (1.234,56); "—" for a rate without denominator."""
    if value is None:
        return "—"
    text = f"{value:,.2f}" if isinstance(value, Decimal) else f"{value:,}"
    return text.replace(",", "#").replace(".", ",").replace("#", ".")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Ngày “{text}” không đúng dạng YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Staff compliance: VNeID level 2 of agencies' staff, per agency and category."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        compliance = sub.add_parser(
            "compliance", help="per agency and category: staff, matched, level 2, rate, missing"
        )
        compliance.add_argument(
            "--unit", required=True, help="a unit or agency code, e.g. 82, 815, 82-SGDDT"
        )
        compliance.add_argument("--date", help="YYYY-MM-DD (default: today)")
        compliance.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        unit = Unit.objects.filter(code=options["unit"]).first()
        if unit is None:
            raise CommandError(f"Không có đơn vị mã {options['unit']}.")
        day = _date(options["date"]) if options["date"] else clock.today()
        results = staff_compliance(agencies_under(unit), day)
        total = compliance_total(r.total for r in results)
        if options["format"] == "json":
            data = total.as_dict()
            data.pop("missing")
            print_json(
                {
                    "unit": unit.code,
                    "date": day,
                    "agencies": [r.as_dict() for r in results],
                    "total": data,
                },
                self.stdout,
            )
            self.stdout.write("")
            return
        rows = []
        for r in results:
            for index, line in enumerate([*r.categories, r.total]):
                rows.append(
                    {
                        "agency": f"{r.name} ({r.code})" if index == 0 else "",
                        "category": line.category_name,
                        "staff": _vn(line.staff),
                        "matched": _vn(line.matched),
                        "level2": _vn(line.level2),
                        "rate": _vn(line.rate),
                        "target": "" if line.target is None else _vn(line.target),
                        "missing": _vn(line.missing_count),
                    }
                )
        rows.append(
            {
                "agency": "Tổng cộng",
                "category": "",
                "staff": _vn(total.staff),
                "matched": _vn(total.matched),
                "level2": _vn(total.level2),
                "rate": _vn(total.rate),
                "target": "" if total.target is None else _vn(total.target),
                "missing": _vn(total.missing_count),
            }
        )
        print_table(
            f"Cán bộ có tài khoản VNeID mức 2: {unit.name}, ngày {day:%d/%m/%Y}",
            [
                ("agency", "Cơ quan"),
                ("category", "Đối tượng"),
                ("staff", "Số người"),
                ("matched", "Khớp dữ liệu dân cư"),
                ("level2", "Mức 2"),
                ("rate", "Tỷ lệ %"),
                ("target", "Chỉ tiêu %"),
                ("missing", "Còn thiếu"),
            ],
            rows,
            self.stdout,
        )
        missing = [
            {
                "agency": r.code,
                "category": m.category,
                "name": m.full_name,
                "id": m.id_number,
                "position": m.position,
                "state": m.state_label,
            }
            for r in results
            for line in r.categories
            for m in line.missing
        ]
        if missing:
            print_table(
                "Người chưa có tài khoản mức 2",
                [
                    ("agency", "Cơ quan"),
                    ("name", "Họ và tên"),
                    ("id", "Số định danh"),
                    ("position", "Chức vụ"),
                    ("state", "Tình trạng"),
                ],
                missing,
                self.stdout,
            )
