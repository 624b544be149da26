"""`chiendich units load|list|lineage|import-hamlets|import-organizations|assign-hamlets`."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chiendich.core import clock
from chiendich.core.cli import print_json, print_table, tabular_command_error
from chiendich.core.tabular import TabularError
from chiendich.units import gso
from chiendich.units.lineage import hamlet_assignments_import
from chiendich.units.loading import units_load
from chiendich.units.models import Level, Unit
from chiendich.units.selectors import lineage_of, province_units, unit_at, unit_tree_rows
from chiendich.units.services import LoadResult


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"ngày phải có dạng YYYY-MM-DD (đang là: {text})") from None


def _province(text: str) -> int | None:
    if text == "all":
        return None
    if not text.isdigit() or not 0 < int(text) < 100:
        raise CommandError(f"--province là mã tỉnh GSO (ví dụ 82) hoặc all (đang là: {text})")
    return int(text)


def _dates_vn(row: dict[str, Any]) -> dict[str, Any]:
    """ISO dates of a row as dd/mm/yyyy, for tables people read."""
    for key in ("valid_from", "valid_to"):
        if row.get(key):
            row[key] = dt.date.fromisoformat(row[key]).strftime("%d/%m/%Y")
    return row


class Command(BaseCommand):
    help = "Load and list the dated unit trees (provinces, districts, communes, hamlets, organizations)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser(
            "load", help="load a province's tree in force on a date, from the GSO list"
        )
        load.add_argument("--province", required=True, help="GSO province code, e.g. 82, or all")
        load.add_argument("--date", help="YYYY-MM-DD: the tree in force that day (default: today)")
        hamlets = sub.add_parser(
            "import-hamlets", help="import hamlets from a CSV or XLSX (= chiendich import hamlets)"
        )
        hamlets.add_argument("file", type=Path)
        hamlets.add_argument(
            "--date",
            help="commune codes as in force that day, an earlier tree's mapped to it"
            " (default: today)",
        )
        orgs = sub.add_parser(
            "import-organizations",
            help="import organizations from a CSV or XLSX (= chiendich import organizations)",
        )
        orgs.add_argument("file", type=Path)
        orgs.add_argument(
            "--date",
            help="unit codes as in force that day, an earlier tree's mapped to it (default: today)",
        )
        assign = sub.add_parser(
            "assign-hamlets",
            help="assign the hamlets of split communes to their new communes, from a CSV",
        )
        assign.add_argument("file", type=Path)
        listing = sub.add_parser("list", help="print the unit tree")
        listing.add_argument("--province", help="GSO province code; all provinces if omitted")
        listing.add_argument("--date", help="YYYY-MM-DD: the units in force that day")
        listing.add_argument("--format", choices=["table", "json"], default="table")
        listing.add_argument(
            "--level",
            choices=["province", "district", "commune", "hamlet"],
            help="only units of this level",
        )
        lineage = sub.add_parser("lineage", help="a unit's predecessors and successors")
        lineage.add_argument("code", help="the unit's code as written (the date picks the unit)")
        lineage.add_argument("--date", help="YYYY-MM-DD: the day the code is read for")
        lineage.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        day = _day(options["date"]) if options.get("date") else clock.today()
        if action == "load":
            province = _province(options["province"])
            try:
                result = units_load(province, day)
            except gso.UnknownDivision as exc:
                raise CommandError(str(exc)) from exc
            what = f"Tỉnh {province}" if province is not None else "Cả nước"
            self._report(f"{what} ({day:%d/%m/%Y})", result)
        elif action in ("import-hamlets", "import-organizations"):
            # The import pipeline's kinds (units/importing.py), as `chiendich import
            # hamlets|organizations FILE --tree DAY` runs them: the same checks, error
            # file, progress and summary.
            kind = "hamlets" if action == "import-hamlets" else "organizations"
            tree = ["--tree", day.isoformat()] if options.get("date") else []
            call_command(
                "import", kind, str(options["file"]), *tree, stdout=self.stdout, stderr=self.stderr
            )
        elif action == "assign-hamlets":
            try:
                assigned = hamlet_assignments_import(options["file"])
            except TabularError as exc:
                raise tabular_command_error(exc) from exc
            self.stdout.write(
                f"{options['file']}: gán {assigned.assigned} ấp/khu phố, "
                f"không đổi {assigned.unchanged}, để trống (bỏ qua) {assigned.skipped}."
            )
        elif action == "lineage":
            self._lineage(options["code"], day, options["format"])
        else:
            self._list(options, day if options.get("date") else None)

    def _report(self, what: str, result: LoadResult) -> None:
        by_type = ", ".join(f"{t}: {n}" for t, n in sorted(result.by_type.items()))
        lineage = f"; dòng kế thừa ghi mới {result.lineage}" if result.lineage else ""
        self.stdout.write(
            f"{what}: {result.total} đơn vị ({by_type}); thêm mới {result.created}, "
            f"cập nhật {result.updated}, không đổi {result.unchanged}{lineage}."
        )

    def _list(self, options: dict[str, Any], day: dt.date | None) -> None:
        if options["province"]:
            code = gso.gso_code(int(options["province"]), Level.PROVINCE)
            queryset = province_units(code, day or clock.today())
            if not queryset.exists():
                when = f"vào ngày {(day or clock.today()):%d/%m/%Y}"
                raise CommandError(
                    f"Chưa nạp tỉnh {code} {when}: chạy `chiendich units load --province "
                    f"{options['province']} --date {(day or clock.today()).isoformat()}`."
                )
        else:
            queryset = Unit.objects.all()
            if day is not None:
                queryset = queryset.valid_on(day)
        if options["level"]:
            queryset = queryset.filter(level=options["level"])
        rows = unit_tree_rows(queryset)
        if options["format"] == "json":
            print_json(rows, self.stdout)
            return
        counts = Counter((r["level"], r["type"]) for r in rows)
        for row in rows:
            row["name"] = "  " * row["depth"] + row["name"]
            _dates_vn(row)
        print_table(
            f"{len(rows)} đơn vị ("
            + ", ".join(f"{lv}/{t}: {n}" for (lv, t), n in sorted(counts.items()))
            + ")",
            [
                ("code", "Mã"),
                ("name", "Tên"),
                ("type", "Loại"),
                ("level", "Cấp"),
                ("parent_code", "Mã cấp trên"),
                ("valid_from", "Từ ngày"),
                ("valid_to", "Đến ngày"),
            ],
            rows,
            self.stdout,
        )

    def _lineage(self, code: str, day: dt.date, output: str) -> None:
        unit = unit_at(code, day)
        if unit is None:
            raise CommandError(f"không có đơn vị mã {code} vào ngày {day:%d/%m/%Y}")
        data = lineage_of(unit)
        if output == "json":
            print_json(data, self.stdout)
            return
        u = data["unit"]
        self.stdout.write(
            f"{u['code']} {u['name']} ({u['valid_from'] or '…'} – {u['valid_to'] or '…'})"
        )
        for title, rows in (
            ("Hình thành từ", data["predecessors"]),
            ("Trở thành", data["successors"]),
        ):
            if rows:
                print_table(
                    title,
                    [
                        ("code", "Mã"),
                        ("name", "Tên"),
                        ("type", "Loại"),
                        ("valid_from", "Từ ngày"),
                        ("valid_to", "Đến ngày"),
                        ("source", "Nguồn"),
                    ],
                    [_dates_vn(dict(r)) for r in rows],
                    self.stdout,
                )
        if data["split"]:
            self.stdout.write(
                "Xã bị chia cho nhiều xã mới: gán từng ấp/khu phố bằng "
                "`chiendich units assign-hamlets FILE.csv` hoặc trên trang đơn vị."
            )
