"""`chiendich kpi --unit CODE --from YYYY-MM-DD --to YYYY-MM-DD [--format json|table]`:
the TTHC indicators of a unit (Plan 383 II.1.b–đ) with numerator, denominator, rate,
target, met and national-index score. The JSON keys are documented in
procedures/KPI_JSON.md.

`--tree YYYY-MM-DD` picks the units in force that day (default: `--to`): `--unit 28249
--from 2023-09-01 --to 2023-09-15 --tree 2026-01-01` is Phường Đạo Thạnh, whose 2023
figures are the sums of the communes it was formed from (each also listed)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chiendich.core.cli import print_json, print_table
from chiendich.core.numbers import vn_number
from chiendich.procedures.counts import counts_rebuild
from chiendich.procedures.selectors import UnitKpi, units_kpi
from chiendich.units.lineage import split_successors
from chiendich.units.models import Unit
from chiendich.units.selectors import predecessors_on, unit_at, unit_missing


def _vn(value: Any) -> str:
    """A number as Vietnamese write it (1.234,56); "—" for a rate without denominator."""
    return vn_number(value)


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
        parser.add_argument(
            "--tree", help="YYYY-MM-DD: the units in force that day (default: --to)"
        )
        parser.add_argument("--format", choices=["table", "json"], default="table")
        parser.add_argument(
            "--rebuild", action="store_true", help="recount every day from the dossiers first"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        date_from, date_to = _date(options["date_from"]), _date(options["date_to"])
        if date_to < date_from:
            raise CommandError("--to phải không trước --from.")
        tree = _date(options["tree"]) if options["tree"] else date_to
        unit = unit_at(options["unit"], tree)
        if unit is None:
            raise CommandError(unit_missing(options["unit"], tree))
        if options["rebuild"]:
            counts_rebuild()
        # Before the unit existed its figures are its predecessors' records: those not
        # split are listed with their own figures (they sum to the unit's); a split
        # commune's desk has no hamlet, so its dossiers count for the province only.
        predecessors = [p for p in predecessors_on(unit, date_from) if not split_successors(p)]
        kpi, *parts = units_kpi([unit, *predecessors], date_from, date_to)
        if options["format"] == "json":
            data = kpi.as_dict()
            if parts:
                data["predecessors"] = [p.as_dict() for p in parts]
            print_json(data, self.stdout)
            self.stdout.write("")
            return
        self._table(kpi, date_from, date_to)
        for part in parts:
            self._table(part, date_from, date_to, of=unit)

    def _table(
        self, kpi: UnitKpi, date_from: dt.date, date_to: dt.date, of: Unit | None = None
    ) -> None:
        unit = kpi.unit
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
        part = f" — phần hợp thành {of.name}" if of is not None else ""
        print_table(
            f"Chỉ số thủ tục hành chính: {unit.name}{part} "
            f"({date_from:%d/%m/%Y}–{date_to:%d/%m/%Y})",
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
