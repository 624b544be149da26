"""One import pipeline: a kind of file DECLARES what is its own, the runner does the rest.

A kind (`Kind`) declares:
- its columns: canonical key -> header texts (the first is the canonical header, the
  others aliases; headers are compared folded, see core.tabular.header_key), and the
  required ones;
- how a chunk of rows is checked: either its own frame check (`check`: the set-based
  rules of the staff and dossier imports), or declared cells (`cells`: a parser, a
  "missing" message and a maximum length per column), a row check and cross-row
  checks (`unique`), which `declared_check` runs;
- what it does with the valid rows (`take`, per chunk: stage them; `merge`, once:
  compare with the store and, in a real run, write);
- its report class (a `PipelineReport`), its audit, its optional batch record (an
  ImportHistory row), and whether its error file holds personal data;
- where the table is, when the path imported is not the table itself (`open_source`:
  a zip or folder holding the table and the files its rows name, as the digitized
  results' bundle), and how the path is hashed (`digest`).

The runner (`run`) gives every kind the same read (core.frames.table_frames: one
reader for CSV and XLSX), progress (the callback told the rows read after each chunk
and at the end), error sink (core.tabular.RowErrorLog, errors in row order), error
file (xlsx; written audited as a personal-data export unless the kind holds none),
scope (the unit ids the acting user may change), target tree (units.dated.TreeMap),
transaction (the merge, the batch record, the audit and the error file together:
a crash leaves the database as it was), the report's common part and its counts.
`Kind.service()` is the `service(path, *, dry_run, acting_user, progress,
errors_path[, tree])` function the CLI (`chiendich import KIND`) and the web job
(imports.services) call; a kind is registered by naming its declaration in its
app's `import_kinds` (see core/management/commands/import.py).

`Stage` (a temporary table the valid rows are staged in before one set-based
merge: COPY on PostgreSQL, packed rows on SQLite) is here for every kind.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from django.db import connection, transaction
from django.utils import timezone

from chiendich.accounts.models import User
from chiendich.accounts.services import error_file_write_audited
from chiendich.core.cells import CellError
from chiendich.core.frames import PROBLEM, ROW, table_frames
from chiendich.core.numbers import vn_number
from chiendich.core.tabular import (
    Required,
    RowError,
    RowErrorLog,
    TabularError,
    default_errors_path,
    file_sha256,
    unread_headers,
    write_error_file,
)
from chiendich.units.dated import MappedRows, TreeMap, mapping_lines
from chiendich.units.models import Unit

PACK_ROWS = 100_000  # rows staged per statement on SQLite


# --- the report's common part ----------------------------------------------------------------


@dataclass
class PipelineReport:
    """What an import read, rejected and wrote (or, in a dry run, would write): the part
    every kind shares. A kind's report adds its own counts and `summary_lines`."""

    file: str
    sha256: str
    dry_run: bool
    rows_read: int = 0
    rows_valid: int = 0
    rows_rejected: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)  # the first ones; all in error_file
    error_file: Path | None = None
    # The tree the rows' units were mapped to (None: each row stays on the unit of its own
    # date) and the rows mapped, per (old, new) unit.
    tree: dt.date | None = None
    mapped: list[MappedRows] = field(default_factory=list)
    # A kind that writes a file only whole (reference data) refused it for its errors.
    refused_whole: bool = False
    # Headers of the file no column took that come close to a column it lacks (a
    # misspelled optional column: its cells were not read): (header, nearest known one).
    unread_headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def all_rejected(self) -> bool:
        """Nothing could be imported: no data rows, every row had an error, or (a kind
        written only whole) any row had one."""
        return self.rows_valid == 0 or self.refused_whole

    @property
    def mapped_rows(self) -> int:
        return sum(m.rows for m in self.mapped)

    def mapping_lines(self) -> list[str]:
        return mapping_lines(self.tree, self.mapped)

    def head_lines(self) -> list[str]:
        """The file, and the rows read, valid and rejected."""
        n = vn_number
        return [
            f"Tệp {self.file}"
            + (" (chạy thử, không ghi gì vào cơ sở dữ liệu)" if self.dry_run else ""),
            f"Số dòng đã đọc: {n(self.rows_read)}; hợp lệ: {n(self.rows_valid)}; "
            f"bị từ chối: {n(self.rows_rejected)}",
            *self.unread_lines(),
        ]

    def error_line(self) -> list[str]:
        if self.error_file is None:
            return []
        return [f"Tệp lỗi: {self.error_file} ({vn_number(self.error_count)} lỗi)"]

    def unread_lines(self) -> list[str]:
        return [
            f"Cảnh báo: cột “{written}” không được đọc; gần nhất: “{known}”"
            for written, known in self.unread_headers
        ]

    def summary_lines(self) -> list[str]:
        return [*self.head_lines(), *self.mapping_lines(), *self.error_line()]


# --- declared cells ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """How one column's cell is read: `parse` (text -> value, raising CellError with the
    officer's message; None keeps the text), `missing` (the message for an empty cell;
    "" when the cell may be empty: then it is parsed too, so a parser may give a default)
    and `max_length` (of the text). `dtype` is the parsed value's polars type."""

    key: str
    parse: Callable[[str], Any] | None = None
    missing: str = ""
    max_length: int | None = None
    too_long: str = "dài quá {max} ký tự"
    dtype: Any = pl.String


@dataclass(frozen=True)
class Unique:
    """Cross-row check: no two rows with the same `key` (the later row is refused);
    `problem` may name the first row as {first}."""

    key: str
    problem: str = "trùng với dòng {first}"


# --- the declaration ---------------------------------------------------------------------------


Check = Callable[["Run", pl.DataFrame], tuple[pl.DataFrame, list[RowError]]]


@dataclass(frozen=True)
class Kind:
    """A kind of file the pipeline imports (see the module docstring)."""

    name: str
    help: str  # one line for `chiendich import --help` (Vietnamese)
    columns: Mapping[str, Sequence[str]]
    required: Required
    report: type[PipelineReport]
    merge: Callable[[Run, bool], None]  # (run, write): compare, count, write if write
    audit: Callable[[Run], None]  # records the import's AuditEvent (in the transaction)
    label: Any = ""  # the web page's label (translated)
    check: Check | None = None  # None: declared_check over `cells`, `row_check`, `unique`
    cells: Sequence[Cell] = ()
    row_check: Callable[[dict[str, Any]], list[tuple[str, str, str]]] | None = None
    unique: Sequence[Unique] = ()
    start: Callable[[Run], None] | None = None  # per-run state (a checker) on run.state
    take: Callable[[Run, pl.DataFrame], list[RowError]] | None = None  # None: keep
    around: Callable[[Run], AbstractContextManager[Any]] | None = None  # read to merge
    batch_start: Callable[[Run], Any] | None = None  # the history row, saved RUNNING
    batch_finish: Callable[[Run, Any], None] | None = None  # its counts and status
    template: str = ""  # dotted path of the function returning the template's xlsx bytes
    personal_data: bool = True  # its error file holds ID numbers: written audited
    errors_what: str = ""  # how the error file's export audit names it
    takes_tree: bool = False  # reads codes by date and maps them to a target tree
    split_hint: str | None = None  # the TreeMap's hint for a split commune
    whole_only: bool = False  # reference data: any rejected row refuses the whole file
    # Who may import it (the web page and the API offer it only to them; the kind's
    # `start` still refuses anyone else). None: whoever may import.
    allowed: Callable[[Any], bool] | None = None
    suffixes: tuple[str, ...] = (".csv", ".xlsx", ".xlsm")
    reader: Callable[..., Iterator[pl.DataFrame]] = table_frames
    # A source that is not the table itself (a zip or folder holding the table and the
    # files its rows name): `open_source(run)` is entered before the table is read and left
    # after the transaction (or the error): it gives the path of the table to read and
    # may keep the opened source on run.state. None: the path is the table.
    open_source: Callable[[Run], AbstractContextManager[Path]] | None = None
    # The hash of the path imported (a folder has none: a kind that reads folders says so).
    digest: Callable[[Path], str] = file_sha256
    # After the last chunk is read, checked and taken, before the merge and outside any
    # transaction: stage what `take` still holds (a last partial chunk).
    take_end: Callable[[Run], None] | None = None
    # Report progress every this many rows read (called when the run starts, so a module
    # constant may be read late); None: after every chunk. Either way once more at the end.
    progress_step: Callable[[], int] | None = None
    # Free the run's own resources (temporary files and tables on `run.state`), however
    # the run ends; called even when `start` or the reader failed.
    close: Callable[[Run], None] | None = None
    # Dotted path of a module-level function running this kind that other code calls by
    # name (the police list's `citizens_import`); the registry shows it as the service.
    entry: str = ""

    def header(self, key: str) -> str:
        return self.columns[key][0]

    def service(self) -> Callable[..., Any]:
        """The import function of this kind, as the CLI and the web job call it."""
        kind = self
        if self.takes_tree:

            def service_tree(
                path: Path,
                *,
                dry_run: bool = False,
                acting_user: User | None = None,
                progress: Callable[[int], None] | None = None,
                errors_path: Path | None = None,
                tree: dt.date | None = None,
            ) -> Any:
                return run(
                    kind,
                    path,
                    dry_run=dry_run,
                    acting_user=acting_user,
                    progress=progress,
                    errors_path=errors_path,
                    tree=tree,
                )

            return service_tree

        def service(
            path: Path,
            *,
            dry_run: bool = False,
            acting_user: User | None = None,
            progress: Callable[[int], None] | None = None,
            errors_path: Path | None = None,
        ) -> Any:
            return run(
                kind,
                path,
                dry_run=dry_run,
                acting_user=acting_user,
                progress=progress,
                errors_path=errors_path,
            )

        return service


# --- the run -----------------------------------------------------------------------------------


def scope_ids(acting_user: User | None) -> set[int] | None:
    """Ids of the units `acting_user` may import for; None for the system or a superuser."""
    if acting_user is None or acting_user.is_superuser:
        return None
    return set(Unit.objects.restrict(acting_user, "change").values_list("pk", flat=True))


@dataclass
class Run:
    """One import of one file: what the kind's hooks share."""

    kind: Kind
    path: Path
    report: Any  # the kind's PipelineReport
    errors: RowErrorLog
    errors_path: Path
    acting_user: User | None
    dry_run: bool
    tree: TreeMap | None
    state: Any = None  # the kind's own (its checker, its writer)
    progress: Callable[[int], None] | None = None  # a merge may report rows written too
    valid: list[pl.DataFrame] = field(default_factory=list)  # chunks kept (no `take`)
    _scope: set[int] | None | bool = False

    @property
    def scope(self) -> set[int] | None:
        """The unit ids the acting user may import for (None: any), read once."""
        if self._scope is False:
            self._scope = scope_ids(self.acting_user)
        return self._scope  # type: ignore[return-value]

    @property
    def user(self) -> User | None:
        """The acting user as a history row records them (None for the system)."""
        user = self.acting_user
        return user if user is not None and user.pk else None

    def all_valid(self, schema: Mapping[str, Any] | None = None) -> pl.DataFrame:
        """Every chunk kept, as one frame."""
        if self.valid:
            return pl.concat(self.valid)
        return pl.DataFrame(schema=schema or {ROW: pl.Int64})

    def audit_fields(self) -> dict[str, Any]:
        """The fields every import's AuditEvent holds."""
        r = self.report
        return {
            "file": r.file,
            "sha256": r.sha256,
            "rows": r.rows_read,
            "valid": r.rows_valid,
            "rejected": r.rows_rejected,
        }

    def tree_fields(self) -> dict[str, Any]:
        r = self.report
        return {
            "tree": r.tree.isoformat() if r.tree else None,
            "mapped": [m.as_dict() for m in r.mapped],
        }


def run(
    kind: Kind,
    path: Path,
    *,
    dry_run: bool = False,
    acting_user: User | None = None,
    progress: Callable[[int], None] | None = None,
    errors_path: Path | None = None,
    tree: dt.date | None = None,
) -> Any:
    """Import `path` as `kind`: read and check it chunk by chunk (outside any transaction,
    no write lock held), then merge the valid rows, record the batch and the audit and
    write the error file in one transaction. A dry run reads, checks and counts alike and
    writes nothing but the error file. Raises TabularError when the file cannot be read
    at all (a missing column, not UTF-8, not an xlsx)."""
    path = Path(path)
    report = kind.report(file=path.name, sha256=kind.digest(path), dry_run=dry_run, tree=tree)
    if tree is not None:
        mapping = (
            TreeMap(tree, split_hint=kind.split_hint)
            if kind.split_hint is not None
            else TreeMap(tree)
        )
    errors = RowErrorLog()
    r = Run(
        kind=kind,
        path=path,
        report=report,
        errors=errors,
        errors_path=errors_path or default_errors_path(path),
        acting_user=acting_user,
        dry_run=dry_run,
        tree=mapping if tree is not None else None,
        progress=progress,
    )
    try:
        if kind.start is not None:
            kind.start(r)
        opened = kind.open_source(r) if kind.open_source is not None else nullcontext(path)
        with opened as table, unread_headers() as unread:
            try:
                _run_table(r, table, progress)
            finally:
                report.unread_headers = list(unread)
        return report
    finally:
        if kind.close is not None:
            kind.close(r)
        errors.close()


def _run_table(r: Run, table: Path, progress: Callable[[int], None] | None) -> None:
    """Read, check and merge the table (see run)."""
    kind, report, dry_run = r.kind, r.report, r.dry_run
    chunks = kind.reader(table, kind.columns, kind.required)  # a missing column fails here
    with kind.around(r) if kind.around is not None else nullcontext():
        _read(r, chunks, progress)
        if kind.whole_only and report.rows_rejected:
            report.refused_whole = True
        if dry_run or report.refused_whole:
            kind.merge(r, False)
            finish_errors(r)
            return
        with transaction.atomic():
            batch = kind.batch_start(r) if kind.batch_start is not None else None
            kind.merge(r, True)
            finish_errors(r)
            if batch is not None and kind.batch_finish is not None:
                kind.batch_finish(r, batch)
            kind.audit(r)


def _read(r: Run, chunks: Iterator[pl.DataFrame], progress: Callable[[int], None] | None) -> None:
    kind, report = r.kind, r.report
    check = kind.check or declared_check
    read = kept = reported = 0
    step = kind.progress_step() if kind.progress_step is not None else None
    for chunk in chunks:
        read += chunk.height
        valid, refused = check(r, chunk)
        if kind.take is not None:
            taken = kind.take(r, valid)
            kept += valid.height - len({e.row for e in taken})
            refused = refused + taken
        else:
            r.valid.append(valid)
            kept += valid.height
        refused.sort(key=lambda e: e.row)  # stable: a row's errors keep their order
        for error in refused:
            r.errors.add(error)
        if progress is not None:
            if step:
                while reported + step <= read:
                    reported += step
                    progress(reported)
            else:
                progress(read)
    if kind.take_end is not None:
        kind.take_end(r)
    if progress is not None:
        progress(read)
    report.rows_read = read
    report.rows_valid = kept
    report.rows_rejected = read - kept
    report.error_count = len(r.errors)
    report.errors = r.errors.first[:]
    if r.tree is not None:
        report.mapped = r.tree.summary()


def finish_errors(r: Run) -> None:
    """The run's error file (see errors_write)."""
    errors_write(
        r.report,
        r.errors,
        r.errors_path,
        personal_data=r.kind.personal_data,
        what=r.kind.errors_what or f"{r.kind.name} import errors",
        acting_user=r.acting_user,
    )


def errors_write(
    report: PipelineReport,
    errors: RowErrorLog,
    path: Path,
    *,
    personal_data: bool,
    what: str,
    acting_user: User | None,
) -> None:
    """Write the error file (xlsx: Dòng, Cột, Giá trị, Lỗi) when there were errors and
    name it on the report; one holding ID numbers is written as an audited export of
    personal data (Decree 13/2023)."""
    if not len(errors):
        return
    if personal_data:
        error_file_write_audited(
            errors, path, what=what, source=report.file, acting_user=acting_user
        )
    else:
        write_error_file(errors, path)
    report.error_file = path


def batch_fill(batch: Any, report: PipelineReport, status: str, **counts: int) -> None:
    """Fill an import's history row (a core.models.ImportHistory) from its report: the
    file, its hash, the status, the rows, the error file, the kind's own `counts`, and a
    message naming the target tree and the codes mapped to it."""
    batch.file_name = report.file[:255]
    batch.sha256 = report.sha256
    batch.status = status
    batch.finished_at = None if status == "running" else timezone.now()
    batch.rows_total = report.rows_read
    batch.rows_valid = report.rows_valid
    batch.rows_rejected = report.rows_rejected
    for name, value in counts.items():
        setattr(batch, name, value)
    batch.error_file = str(report.error_file or "")[:500]
    batch.message = "\n".join(
        (["mọi dòng đều bị từ chối"] if status == "failed" else []) + report.mapping_lines()
    )


def refuse_file(r: Run, problem: str) -> None:
    """Refuse the whole file before reading it (the user may not import this kind)."""
    raise TabularError([RowError(r.report.file, 0, "", "", problem)])


# --- the declared check ------------------------------------------------------------------------


@dataclass
class DeclaredState:
    """What the declared check remembers across chunks: the first row of each unique value."""

    seen: dict[str, dict[Any, int]] = field(default_factory=dict)


def declared_check(r: Run, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[RowError]]:
    """Check a chunk by the kind's declared cells, row check and unique keys: each distinct
    text of a column is parsed once; the valid rows come back with each declared cell
    parsed (its `dtype`) and the row number `_row`; errors are by row, in column order
    of the declaration, the cross-row check with its column."""
    kind = r.kind
    if not isinstance(r.state, DeclaredState):
        r.state = DeclaredState()
    state: DeclaredState = r.state
    name = r.report.file
    # column -> {text: (value, problem)}
    parsed: dict[str, dict[str, tuple[Any, str]]] = {}
    for cell in kind.cells:
        found: dict[str, tuple[Any, str]] = {}
        for text in frame[cell.key].unique().to_list():
            found[text] = _parse_cell(cell, text)
        parsed[cell.key] = found
    # A row passes the cells when none of its texts has a problem: decided on columns.
    bad = pl.col(PROBLEM) != ""
    for cell in kind.cells:
        problems = [t for t, (_, p) in parsed[cell.key].items() if p]
        if problems:
            bad = bad | pl.col(cell.key).is_in(problems)
    errors: list[RowError] = []
    values: list[dict[str, Any]] = []
    unique = {u.key: u for u in kind.unique}
    for u in kind.unique:
        state.seen.setdefault(u.key, {})
    keys = [c.key for c in kind.cells]
    flagged = frame.with_columns(_bad=bad)
    for row in flagged.iter_rows(named=True):
        number = row[ROW]
        if row[PROBLEM]:
            errors.append(RowError(name, number, "", "", row[PROBLEM]))
            continue
        before = len(errors)
        out: dict[str, Any] = {ROW: number}
        for key in keys:
            text = row[key]
            value, problem = parsed[key][text]
            if problem:
                errors.append(RowError(name, number, kind.header(key), text, problem))
                continue
            out[key] = value
            check = unique.get(key)
            if check is not None and text:
                first = state.seen[key].setdefault(value, number)
                if first != number:
                    errors.append(
                        RowError(
                            name, number, kind.header(key), text, check.problem.format(first=first)
                        )
                    )
        if len(errors) == before and kind.row_check is not None:
            for key, value, problem in kind.row_check(out):
                errors.append(
                    RowError(name, number, kind.header(key) if key else "", value, problem)
                )
        if len(errors) == before:
            values.append(out)
    schema = {ROW: pl.Int64, **{c.key: c.dtype for c in kind.cells}}
    return pl.DataFrame(values, schema=schema, orient="row"), errors


def _parse_cell(cell: Cell, text: str) -> tuple[Any, str]:
    if not text and cell.missing:
        return None, cell.missing
    if cell.max_length is not None and len(text) > cell.max_length:
        return None, cell.too_long.format(max=cell.max_length)
    if cell.parse is None:
        return text, ""
    try:
        return cell.parse(text), ""
    except CellError as exc:
        return None, str(exc)


# --- staging rows in a temporary table -------------------------------------------------------


class Stage:
    """A temporary table that checked rows are staged in before one set-based merge.
    `columns` are (name, PostgreSQL type: an integer type, date, boolean or varchar);
    `put` a frame holding those columns (polars integers, dates, booleans, text). Use it
    as a context manager: `name` is a temporary table of those columns for the block,
    plus `seq`, the order the rows were put in (ORDER BY seq: free on SQLite).

    PostgreSQL takes the rows by COPY. SQLite has no COPY and its driver binds each value
    of each row from Python: there each row is packed (vectorized) into one text
    (integers, dates and flags at fixed places, then the texts with their byte lengths),
    and a chunk of them goes in with one statement, json_each over a JSON array of the
    texts, unpacked with substr() on bytes. Staging writes only SQLite's temporary
    database: no write lock on the main one; the merge then reads a plain table.
    """

    def __init__(self, name: str, columns: Sequence[tuple[str, str]]) -> None:
        self.name = name
        self.columns = list(columns)
        self.names = [c for c, _ in columns]
        self.rows = 0
        self.postgres = connection.vendor == "postgresql"

    def __enter__(self) -> Stage:
        with connection.cursor() as cursor:
            self._drop(cursor)
            if self.postgres:
                columns = ", ".join(["seq bigserial"] + [f"{c} {kind}" for c, kind in self.columns])
                cursor.execute(f"CREATE TEMPORARY TABLE {self.name} ({columns})")
            else:
                columns = ", ".join(["seq INTEGER PRIMARY KEY"] + self.names)
                cursor.execute(f"CREATE TEMPORARY TABLE {self.name} ({columns})")
        return self

    def __exit__(self, *_: object) -> None:
        with connection.cursor() as cursor:
            self._drop(cursor)

    def _drop(self, cursor: Any) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {'' if self.postgres else 'temp.'}{self.name}")

    @staticmethod
    def _kind(kind: str) -> str:
        if kind in ("integer", "bigint", "smallint"):
            return "int"
        if kind in ("date", "boolean"):
            return kind
        if kind.startswith("varchar"):
            return "text"
        raise ValueError(f"Stage: unsupported column type {kind}")

    def _unpack(self) -> str:
        """The SELECT list turning a packed row `p` (a BLOB: substr counts bytes, so each
        cell is found without scanning the ones before) back into the columns."""
        out: list[str] = []
        texts: list[tuple[str, str]] = []  # (name, its length's expression)
        at = 1
        blank = {n: "x'" + "20" * n + "'" for n in (1, 6, 10, 20)}
        for name, kind in self.columns:
            match self._kind(kind):
                case "int":  # right-aligned; CAST skips the spaces before
                    out.append(f"CAST(NULLIF(substr(p, {at}, 20), {blank[20]}) AS INTEGER)")
                    at += 20
                case "date":
                    out.append(f"CAST(NULLIF(substr(p, {at}, 10), {blank[10]}) AS TEXT)")
                    at += 10
                case "boolean":
                    out.append(f"CAST(NULLIF(substr(p, {at}, 1), {blank[1]}) AS INTEGER)")
                    at += 1
                case _:
                    texts.append((name, f"CAST(NULLIF(substr(p, {at}, 6), {blank[6]}) AS INTEGER)"))
                    at += 6
        offset = str(at)
        for _, length in texts:
            # substr(p, x, NULL) is NULL: a NULL text has no length.
            out.append(f"CAST(substr(p, {offset}, {length}) AS TEXT)")
            offset += f" + coalesce({length}, 0)"
        # In the columns' order: the fixed ones, then the texts.
        by_name = dict(
            zip(
                [n for n, k in self.columns if self._kind(k) != "text"] + [n for n, _ in texts],
                out,
                strict=True,
            )
        )
        return ", ".join(by_name[n] for n in self.names)

    def _pack(self, frame: pl.DataFrame) -> list[str]:
        fixed: list[pl.Expr] = []
        texts: list[pl.Expr] = []
        for name, kind in self.columns:
            column = pl.col(name)
            match self._kind(kind):
                case "int":
                    fixed.append(column.cast(pl.String).fill_null("").str.pad_start(20))
                case "date":
                    fixed.append(column.dt.to_string("%Y-%m-%d").fill_null("").str.pad_end(10))
                case "boolean":
                    fixed.append(column.cast(pl.Int8).cast(pl.String).fill_null(" "))
                case _:
                    fixed.append(
                        column.str.len_bytes().cast(pl.String).fill_null("").str.pad_start(6)
                    )
                    texts.append(column.fill_null(""))
        return frame.select(pl.concat_str([*fixed, *texts]).alias("p"))["p"].to_list()

    def put(self, frame: pl.DataFrame) -> None:
        if not frame.height:
            return
        self.rows += frame.height
        frame = frame.select(self.names)
        if self.postgres:
            data = frame.write_csv(include_header=False)
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(
                    f"COPY {self.name} ({', '.join(self.names)}) FROM STDIN (FORMAT csv)"
                ) as copy,
            ):
                copy.write(data)
            return
        with connection.cursor() as cursor:
            for start in range(0, frame.height, PACK_ROWS):
                packed = self._pack(frame.slice(start, PACK_ROWS))
                cursor.execute(
                    f"INSERT INTO {self.name} ({', '.join(self.names)})"  # noqa: S608
                    f" SELECT {self._unpack()} FROM"
                    " (SELECT CAST(value AS BLOB) AS p FROM json_each(%s))",
                    [json.dumps(packed, ensure_ascii=False)],
                )
