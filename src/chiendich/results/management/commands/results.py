"""`chiendich results ...`: the digitized results store from a terminal.

    chiendich results load-types [FILE]      result types and the procedures accepting them
    chiendich results import ZIP_OR_FOLDER [--dry-run] [--errors E.xlsx]
    chiendich results verify                 recompute every hash; list missing or altered files
    chiendich results search "quyet dinh dat dai duc hoa" [--format table|json]
    chiendich results reindex                rebuild the full-text index

Commands run as the operator (no user scope); ID numbers are masked in output.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from chiendich.core.cli import print_json, print_table, tabular_command_error
from chiendich.core.numbers import vn_number
from chiendich.core.tabular import TabularError


class Command(BaseCommand):
    help = "The digitized results store: load types, import, verify, search, reindex."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        types = sub.add_parser("load-types", help="result types and accepted evidence (CSV)")
        types.add_argument("file", nargs="?", type=Path)
        imp = sub.add_parser("import", help="a zip or folder of files with a metadata table")
        imp.add_argument("source", type=Path)
        imp.add_argument("--dry-run", action="store_true")
        imp.add_argument("--errors", type=Path, metavar="FILE.xlsx")
        sub.add_parser("verify", help="recompute every file's SHA-256")
        search = sub.add_parser("search", help="full-text search (case and diacritics ignored)")
        search.add_argument("query")
        search.add_argument("--limit", type=int, default=20)
        search.add_argument("--format", choices=["table", "json"], default="table")
        sub.add_parser("reindex", help="rebuild the full-text index from the table")

    def _bar(self) -> Progress:
        console = Console(file=cast(IO[str], self.stderr._out))
        return Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=not console.is_terminal,
            transient=True,
        )

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "_" + options["action"].replace("-", "_"))(options)

    def _load_types(self, options: dict[str, Any]) -> None:
        from chiendich.results.catalogue import DEMO_RESULT_TYPES, result_types_load

        try:
            loaded = result_types_load(options["file"] or DEMO_RESULT_TYPES)
        except TabularError as exc:
            raise tabular_command_error(exc) from exc
        for line in loaded.summary_lines():
            self.stdout.write(line)

    def _import(self, options: dict[str, Any]) -> None:
        from chiendich.results.importing import results_import

        source: Path = options["source"]
        if not source.exists():
            raise CommandError(f"Không có tệp hay thư mục {source}.")
        with self._bar() as bar:
            task = bar.add_task(f"Đang kiểm tra và lưu {source.name}", total=None)
            try:
                report = results_import(
                    source,
                    dry_run=options["dry_run"],
                    errors_path=options["errors"],
                    progress=lambda done: bar.update(task, completed=done),
                )
            except TabularError as exc:
                raise tabular_command_error(exc) from exc
        for line in report.summary_lines():
            self.stdout.write(line)
        for error in report.errors[:20]:
            self.stdout.write(f"  {error}")
        if report.all_rejected:
            raise CommandError("Lô bị từ chối; không lưu kết quả nào.")

    def _verify(self, options: dict[str, Any]) -> None:
        from chiendich.results.verify import results_verify

        with self._bar() as bar:
            task = bar.add_task("Đang kiểm tra mã băm các tệp", total=None)
            report = results_verify(
                progress=lambda done, total: bar.update(task, completed=done, total=total)
            )
        self.stdout.write(f"Đã kiểm tra {vn_number(report.checked)} tệp kết quả.")
        for title, problems in (
            ("Tệp bị mất", report.missing),
            ("Tệp bị thay đổi (mã băm khác)", report.altered),
        ):
            if problems:
                print_table(
                    f"{title}: {vn_number(len(problems))}",
                    [("id", "Kết quả số"), ("number", "Số, ký hiệu"), ("file", "Tệp")],
                    [
                        {"id": p.result_id, "number": p.number_symbol, "file": p.file_name}
                        for p in problems
                    ],
                    self.stdout,
                )
        if not report.ok:
            raise CommandError(
                f"{len(report.missing)} tệp bị mất, {len(report.altered)} tệp bị thay đổi."
            )
        self.stdout.write("Mọi tệp đều khớp mã băm SHA-256.")

    def _search(self, options: dict[str, Any]) -> None:
        from chiendich.accounts.models import User
        from chiendich.results.selectors import SearchFilters, mask_id, result_search

        operator = User(is_superuser=True, is_active=True)  # the command runs unscoped
        found = result_search(
            operator, SearchFilters(query=options["query"]), limit=options["limit"]
        )
        rows = [
            {
                "id": r.pk,
                "number": r.number_symbol,
                "issued_on": f"{r.issued_on:%d/%m/%Y}",
                "title": r.title,
                "unit": r.unit.name,
                "subject": f"{r.subject_name} ({mask_id(r.subject_id)})",
            }
            for r in [*found.exact, *found.rows]
        ]
        if options["format"] == "json":
            print_json(rows, self.stdout)
            self.stdout.write("")
            return
        print_table(
            f"Kết quả tìm “{options['query']}”" + (" (còn nữa)" if found.more else ""),
            [
                ("id", "Số"),
                ("number", "Số, ký hiệu"),
                ("issued_on", "Ngày ban hành"),
                ("title", "Trích yếu"),
                ("unit", "Cơ quan ban hành"),
                ("subject", "Chủ thể"),
            ],
            rows,
            self.stdout,
        )

    def _reindex(self, options: dict[str, Any]) -> None:
        from chiendich.results.search import search_index_rebuild

        search_index_rebuild()
        self.stdout.write("Đã dựng lại chỉ mục tìm kiếm toàn văn.")
