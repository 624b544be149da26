"""`chiendich import KIND FILE [--dry-run] [--errors FILE.xlsx]` and
`chiendich import KIND --template OUT.xlsx`.

`--tree YYYY-MM-DD` imports into a campaign on the unit tree in force that day:
each row's code is read as of the row's own date, then mapped through lineage to
the unit in force on that day (a police list of 2026 naming the old Phường 4
lands on Phường Đạo Thạnh), and the summary counts the rows mapped, from which
code to which. Without it every row stays on the unit of its own date. Kinds
whose service takes a `tree` argument accept it (citizens, dossiers, staff).

Each kind of file names its import service and its template by dotted path
(so this module imports no app until it runs). An app adds kinds without
touching this file (whose name is a Python keyword, so it cannot be imported
the usual way) by giving its AppConfig an `import_kinds` mapping. A kind declared for the import pipeline
(imports.pipeline.Kind) is named by the dotted path of its declaration, which
gives its service, template, help, label and file endings:

    import_kinds = {"staff": "chiendich.staff.importing.STAFF_KIND"}

Any other kind names its service and template:

    import_kinds = {"results": {"service": "chiendich.results.importing.results_import",
                                "template": "...", "help": "..."}}

An import service is called as `service(path, *, dry_run, acting_user,
progress, errors_path[, tree])` and returns a report with `summary_lines()`,
`error_file` and `all_rejected`.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol, cast

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.module_loading import import_string
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from chiendich.core.cli import tabular_command_error
from chiendich.core.tabular import TabularError, table_row_estimate


class ImportReport(Protocol):
    error_file: Path | None

    @property
    def all_rejected(self) -> bool: ...

    def summary_lines(self) -> list[str]: ...


@dataclass(frozen=True)
class ImportKind:
    """A kind of file `chiendich import` knows: its service and (optional) template."""

    service: str = ""  # dotted path of the import function
    template: str = ""  # dotted path of a function returning the template as xlsx bytes
    help: str = ""
    # The files it reads (the web upload checks the name); a zip for results with files.
    suffixes: tuple[str, ...] = (".csv", ".xlsx", ".xlsm")
    declared: Any = None  # the imports.pipeline.Kind it was made from, if any

    @classmethod
    def of(cls, declared: Any) -> ImportKind:
        """The registry's entry for a kind declared for the import pipeline."""
        return cls(
            service=declared.entry,
            template=declared.template,
            help=declared.help,
            suffixes=tuple(declared.suffixes),
            declared=declared,
        )

    def load_service(self) -> Callable[..., Any]:
        """The import function: the declaration's, or the one named by `service`."""
        if self.declared is not None:
            made: Callable[..., Any] = self.declared.service()
            return made
        found: Callable[..., Any] = import_string(self.service)
        return found


# Kinds registered here rather than by an app (the police list is declared for the
# import pipeline and named in vneid's AppConfig.import_kinds).
IMPORT_KINDS: dict[str, ImportKind] = {}


def takes_tree(service: Callable[..., Any]) -> bool:
    """Whether an import service reads codes by date and maps them to a target tree."""
    return "tree" in inspect.signature(service).parameters


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Ngày “{text}” không đúng dạng YYYY-MM-DD.") from None


def import_kinds() -> dict[str, ImportKind]:
    """The kinds registered here and in every installed app's `import_kinds`."""
    kinds = dict(IMPORT_KINDS)
    for config in apps.get_app_configs():
        for name, spec in getattr(config, "import_kinds", {}).items():
            if isinstance(spec, str):  # the dotted path of a pipeline declaration
                kinds[name] = ImportKind.of(import_string(spec))
            else:
                kinds[name] = spec if isinstance(spec, ImportKind) else ImportKind(**spec)
    return kinds


class _IntermixedParser(CommandParser):
    """Accepts options before or after the file (`import dossiers --dry-run FILE`);
    plain argparse stops at the optional positional and refuses what follows."""

    def parse_args(self, args: Any = None, namespace: Any = None) -> Any:  # type: ignore[override]
        return self.parse_intermixed_args(args, namespace)


class Command(BaseCommand):
    help = "Import a CSV or XLSX file of a registered kind (citizens, ...)."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.__class__ = _IntermixedParser
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        kinds = import_kinds()
        parser.add_argument(
            "kind",
            choices=sorted(kinds),
            help="; ".join(f"{k}: {v.help}" for k, v in sorted(kinds.items())),
        )
        parser.add_argument("file", nargs="?", type=Path, help="the CSV or XLSX file to import")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and count only, write nothing"
        )
        parser.add_argument(
            "--errors",
            type=Path,
            metavar="FILE.xlsx",
            help="where to write the error file (default: beside the file, NAME-loi.xlsx)",
        )
        parser.add_argument(
            "--tree",
            type=_day,
            metavar="YYYY-MM-DD",
            help="map each row's unit to the unit tree in force that day (through lineage); "
            "default: each row stays on the unit of its own date",
        )
        parser.add_argument(
            "--template",
            type=Path,
            metavar="OUT.xlsx",
            help="write the template of this kind of file instead of importing",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind = import_kinds()[options["kind"]]
        if options["template"]:
            self._template(options["kind"], kind, options["template"])
            return
        path: Path | None = options["file"]
        if path is None:
            raise CommandError("Cần tên tệp cần nhập (hoặc --template OUT.xlsx).")
        service: Callable[..., ImportReport] = kind.load_service()
        extra: dict[str, Any] = {}
        if options["tree"] is not None:
            if not takes_tree(service):
                raise CommandError(f"Loại “{options['kind']}” không nhận --tree.")
            extra["tree"] = options["tree"]
        # The wrapped stream itself: rich needs its isatty(), and writes its own newlines.
        console = Console(file=cast(IO[str], self.stderr._out))
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=not console.is_terminal,
            transient=True,
        ) as bar:
            task = bar.add_task(f"Đang đọc {path.name}", total=table_row_estimate(path))

            def progress(rows: int) -> None:
                total = bar.tasks[0].total
                if total is not None and rows > total:
                    bar.update(task, total=rows)
                bar.update(task, completed=rows)

            try:
                report = service(
                    path,
                    dry_run=options["dry_run"],
                    acting_user=None,
                    progress=progress,
                    errors_path=options["errors"],
                    **extra,
                )
            except TabularError as exc:
                raise tabular_command_error(exc) from exc
        for line in report.summary_lines():
            self.stdout.write(line)
        if report.all_rejected:
            raise CommandError(
                (
                    "Tệp còn dòng lỗi; không ghi gì vào cơ sở dữ liệu."
                    if getattr(report, "refused_whole", False)
                    else "Không có dòng hợp lệ nào; không ghi gì vào cơ sở dữ liệu."
                )
                + (f" Xem tệp lỗi {report.error_file}." if report.error_file else "")
            )

    def _template(self, name: str, kind: ImportKind, out: Path) -> None:
        if not kind.template:
            raise CommandError(f"Loại “{name}” chưa có tệp mẫu.")
        make: Callable[[], bytes] = import_string(kind.template)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(make())
        self.stdout.write(f"Đã ghi tệp mẫu {out}")
