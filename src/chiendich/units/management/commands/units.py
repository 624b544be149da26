"""`chiendich units load|import-hamlets|import-organizations|list`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chiendich.core.cli import print_json, print_table, tabular_command_error
from chiendich.core.tabular import TabularError
from chiendich.units import gso
from chiendich.units.models import Unit
from chiendich.units.selectors import province_units, unit_tree_rows
from chiendich.units.services import (
    LoadResult,
    hamlets_import,
    organizations_import,
    units_load_province,
)


class Command(BaseCommand):
    help = "Load and list the unit tree (provinces, districts, communes, hamlets, organizations)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="load a province and its units from the GSO list")
        load.add_argument("--province", type=int, required=True, help="GSO province code, e.g. 82")
        hamlets = sub.add_parser("import-hamlets", help="import hamlets from a CSV")
        hamlets.add_argument("file", type=Path)
        orgs = sub.add_parser("import-organizations", help="import organizations from a CSV")
        orgs.add_argument("file", type=Path)
        listing = sub.add_parser("list", help="print the unit tree")
        listing.add_argument("--province", help="GSO province code; all provinces if omitted")
        listing.add_argument("--format", choices=["table", "json"], default="table")
        listing.add_argument(
            "--level",
            choices=["province", "district", "commune", "hamlet"],
            help="only units of this level",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "load":
            try:
                result = units_load_province(options["province"])
            except gso.UnknownDivision as exc:
                raise CommandError(str(exc)) from exc
            self._report(f"Tỉnh {options['province']}", result)
        elif action in ("import-hamlets", "import-organizations"):
            importer = hamlets_import if action == "import-hamlets" else organizations_import
            try:
                result = importer(options["file"])
            except TabularError as exc:
                raise tabular_command_error(exc) from exc
            self._report(str(options["file"]), result)
        else:
            self._list(options)

    def _report(self, what: str, result: LoadResult) -> None:
        by_type = ", ".join(f"{t}: {n}" for t, n in sorted(result.by_type.items()))
        self.stdout.write(
            f"{what}: {result.total} đơn vị ({by_type}); thêm mới {result.created}, "
            f"cập nhật {result.updated}, không đổi {result.unchanged}."
        )

    def _list(self, options: dict[str, Any]) -> None:
        if options["province"]:
            code = gso.gso_code(int(options["province"]), gso.Level.PROVINCE)
            queryset = province_units(code)
            if not queryset.exists():
                raise CommandError(
                    f"Chưa nạp tỉnh {code}: chạy `chiendich units load --province {options['province']}`."
                )
        else:
            queryset = Unit.objects.all()
        if options["level"]:
            queryset = queryset.filter(level=options["level"])
        rows = unit_tree_rows(queryset)
        if options["format"] == "json":
            print_json(rows, self.stdout)
            return
        for row in rows:
            row["name"] = "  " * row["depth"] + row["name"]
        print_table(
            f"{len(rows)} đơn vị",
            [
                ("code", "Mã"),
                ("name", "Tên"),
                ("type", "Loại"),
                ("level", "Cấp"),
                ("parent_code", "Mã cấp trên"),
            ],
            rows,
            self.stdout,
        )
