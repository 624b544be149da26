"""`chiendich procedures load-catalogue FILE` and `chiendich procedures recount`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from chiendich.core.cli import tabular_command_error
from chiendich.core.tabular import TabularError
from chiendich.procedures.catalogue import DEMO_CATALOGUE, catalogue_load
from chiendich.procedures.counts import counts_rebuild


class Command(BaseCommand):
    help = "Administrative procedures: load the catalogue (CSV or XLSX), recount daily counts."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser(
            "load-catalogue",
            help="load the procedure catalogue; idempotent; a bad row refuses the whole file",
        )
        load.add_argument(
            "file",
            type=Path,
            nargs="?",
            default=DEMO_CATALOGUE,
            help=f"the catalogue (default: the demo catalogue {DEMO_CATALOGUE.name})",
        )
        recount = sub.add_parser("recount", help="rebuild the daily dossier counts")
        recount.add_argument("--from", dest="date_from", type=dt.date.fromisoformat)
        recount.add_argument("--to", dest="date_to", type=dt.date.fromisoformat)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "load-catalogue":
            try:
                result = catalogue_load(options["file"])
            except TabularError as exc:
                raise tabular_command_error(exc) from exc
            for line in result.summary_lines():
                self.stdout.write(line)
            return
        rows = counts_rebuild(start=options["date_from"], end=options["date_to"])
        self.stdout.write(f"Đã tính lại {rows} dòng thống kê theo ngày.")
