"""Importing a police list of citizens and their VNeID account states (R2, R8).

Two steps. Check: one streaming pass over the file, outside any transaction, a
frame of FRAME_ROWS rows at a time (core.frames reads them as polars frames with
read_table's exact rows). FrameChecker checks each frame column by column: cells
with few distinct values (dates, sex, status, places, tree mapping) are resolved
once per distinct value and joined back, and the rare rows any column flags go
through RowChecker.cells, which gives their exact messages. A repeated ID (an
error on the later row, naming the first) and a household named in two communes
are decided set-wise with the same "first row" rule, so nothing after a row can
change the verdict on it. Valid rows are staged in chunks of CHUNK_SIZE: as polars
frames in a temporary file (`Staged`) and, for a real run without a scope, in
TEMP tables of the connection (writer.StagingTables; on SQLite they live in the
connection's temporary database and take no lock on the main file; PostgreSQL
gets them by COPY). Write: one transaction takes the chunks in order; per chunk,
new households, citizens and their events are merged from the TEMP tables with
INSERT ... SELECT, and citizens already known are compared and updated from the
frame (no ORM objects, no signals); then it recounts.

Why two steps: the database's write lock (SQLite's, and on PostgreSQL the counts
lock, vneid.counts.counts_lock) is held only while merging, not while the file
is read, checked and staged (most of the run), so door-to-door outcomes recorded
meanwhile wait for the merge only. The write is still one transaction, so a crash
or Ctrl-C leaves the database as it was; the TEMP tables and the staging file go
with the connection and the process. Rejected rows go to the error file and are
never written. Memory holds one frame, the first errors and what later rows are
compared with, the IDs and households seen, in columns (state.ColumnMap: about 12
bytes an ID and a few tens a household, not Python objects); never the file. The
households to create are staged in slices.

A dry run does the same reads and lookups without a transaction or a write to
citizens, households or events (and without TEMP tables), so its counts are what
a real run would do.

The import is a declaration run by the one import pipeline (imports.pipeline):
CITIZENS_KIND names the columns, the reader (FRAME_ROWS at a time), the check
(FrameChecker), `take` (the Staged spool and TEMP tables, CHUNK_SIZE rows a chunk),
`take_end` (the last chunk, the households), `around` (the large page cache of a
real run), `batch_start` (the counts lock, the ImportBatch), `merge` (the write,
relink, recount), `batch_finish`, `audit` and `close` (the spool and the TEMP
tables); the pipeline gives the error file, progress, scope and the transaction.
"""

from __future__ import annotations

import bisect
import datetime as dt
import io
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO, Any

import polars as pl
from django.utils.translation import gettext_lazy as _

from chiendich.accounts.models import AuditEvent, User
from chiendich.accounts.services import audit_event_record
from chiendich.core.frames import table_frames
from chiendich.core.tabular import RowError, RowErrorLog
from chiendich.imports import pipeline

from ..counts import counts_lock, counts_refresh
from ..models import ImportBatch
from .cells import CITIZEN_COLUMNS, REQUIRED
from .checker import FrameChecker, RowChecker
from .places import Places
from .report import CitizenImportReport
from .state import KEY
from .writer import ChunkWriter, StagingTables, keys_checked_by_statement, large_page_cache

CHUNK_SIZE = 50_000  # valid rows per write; memory stays flat, statements stay few
FRAME_ROWS = 50_000  # rows read and checked at a time
PROGRESS_EVERY = 5_000


def citizens_import(
    path: Path,
    *,
    dry_run: bool = False,
    acting_user: User | None = None,
    progress: Callable[[int], None] | None = None,
    errors_path: Path | None = None,
    tree: dt.date | None = None,
) -> CitizenImportReport:
    """Import the police list at `path` (CSV or XLSX) into citizens, households and events.

    Rows with any error are rejected and listed in an error file (xlsx: Dòng, Cột,
    Giá trị, Lỗi; `errors_path`, by default beside the file); the valid rows are
    written in one transaction with an ImportBatch and an AuditEvent. Importing
    the same file again writes nothing new. An `acting_user` bound to units may only
    add or change citizens of those units; other rows are rejected like any error.
    `progress` is called with the number of rows read so far. Raises TabularError when
    the file cannot be read at all (missing file, missing required column, not UTF-8).

    Each row's commune code is read as of its own date (the status date, else `tree`,
    else today). `tree` is the day of the campaign's unit tree: a row read as a unit
    of an earlier tree is mapped through lineage to the unit in force that day and
    the summary counts the rows mapped; None keeps every row on the unit of its date.

    Run by the import pipeline (imports.pipeline.run) as CITIZENS_KIND.
    """
    report: CitizenImportReport = pipeline.run(
        CITIZENS_KIND,
        Path(path),
        dry_run=dry_run,
        acting_user=acting_user,
        progress=progress,
        errors_path=errors_path,
        tree=tree,
    )
    return report


# --- the declaration's hooks (imports.pipeline.Kind) ----------------------------------------


@dataclass
class _State:
    """One police-list import's own state, on the pipeline's `run.state`."""

    staged: Staged
    checker: RowChecker
    frame_checker: FrameChecker
    # A real run for the whole system (no scope to enforce row by row in the write)
    # stages its valid rows in TEMP tables too, and merges them in SQL.
    staging: StagingTables | None
    pending: list[pl.DataFrame] = field(default_factory=list)  # valid rows not yet staged
    waiting: int = 0
    # The frame being taken: the errors logged before it and the rows of its errors.
    logged_before: int = 0
    error_rows: list[int] = field(default_factory=list)
    batch: ImportBatch | None = None


def _frames(path: Path, columns: Any, required: Any) -> Iterator[pl.DataFrame]:
    return table_frames(path, columns, required, rows=FRAME_ROWS)


def _start(r: pipeline.Run) -> None:
    staged = Staged()
    try:
        checker = RowChecker(r.report.file, Places(), r.errors, r.scope, r.tree)
        staging = StagingTables() if not r.dry_run and r.scope is None else None
    except BaseException:
        staged.close()
        raise
    r.state = _State(staged, checker, FrameChecker(checker), staging)


def _check_frame(r: pipeline.Run, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[RowError]]:
    """A frame's valid rows and its errors (row order): FrameChecker, as it is."""
    s: _State = r.state
    valid, found = s.frame_checker.check(frame)
    s.logged_before = len(r.errors)
    s.error_rows = [e.row for e in found]
    return valid, found


def _take(r: pipeline.Run, valid: pl.DataFrame) -> list[RowError]:
    """Stage the valid rows in chunks of CHUNK_SIZE, each with the number of errors of
    the rows before its last one, as a row-by-row check would have logged them when it
    staged that chunk."""
    s: _State = r.state
    s.pending.append(valid)
    s.waiting += len(valid)
    while s.waiting >= CHUNK_SIZE:
        whole = pl.concat(s.pending)
        chunk, rest = whole.head(CHUNK_SIZE), whole.slice(CHUNK_SIZE)
        last = chunk["row"][-1]
        s.staged.add(chunk, s.logged_before + bisect.bisect_left(s.error_rows, last))
        if s.staging is not None:
            s.staging.add(s.staged.chunks, chunk)
        s.pending, s.waiting = [rest], len(rest)
    return []


def _take_end(r: pipeline.Run) -> None:
    """Stage the last chunk and the households to create."""
    s: _State = r.state
    if s.waiting:
        chunk = pl.concat(s.pending)
        s.staged.add(chunk, len(r.errors))
        if s.staging is not None:
            s.staging.add(s.staged.chunks, chunk)
    if s.staging is not None:
        # In slices: the households of ten million rows are millions of rows too.
        for part in _households_to_create(s.checker, s.staged).iter_slices(CHUNK_SIZE):
            s.staging.add_households(part)
        s.staging.ready()
    r.report.ids_repaired = s.checker.repaired


def _around(r: pipeline.Run) -> AbstractContextManager[Any]:
    return nullcontext() if r.dry_run else large_page_cache()


def _batch_start(r: pipeline.Run) -> ImportBatch:
    # Before any row lock (PostgreSQL): outcomes recorded meanwhile wait for the
    # write instead of deadlocking with it, and the recount misses none of them.
    counts_lock(shared=False)
    keys_checked_by_statement()
    batch = ImportBatch(kind=ImportBatch.Kind.CITIZENS, user=r.user)
    _batch_fill(batch, r.report, ImportBatch.Status.RUNNING)
    batch.save()
    r.report.batch_id = batch.pk
    r.state.batch = batch
    return batch


def _merge(r: pipeline.Run, write: bool) -> None:
    """Write the staged chunks (a dry run only looks them up), relink and recount; the
    run's error log becomes the check's errors and the write's, interleaved."""
    s: _State = r.state
    report: CitizenImportReport = r.report
    if not write:
        _write(s.staged, s.checker, report, batch_id=None, acting_user=r.acting_user)
        r.errors = s.checker.errors
        return
    writer = _write(
        s.staged,
        s.checker,
        report,
        batch_id=report.batch_id,
        acting_user=r.acting_user,
        staging=s.staging,
    )
    r.errors = s.checker.errors
    writer.relink()
    # The numbers move with the import, in the same transaction.
    report.counts_refreshed = counts_refresh(
        writer.touched_units,
        since=None if writer.recount_all_days else writer.recount_from,
        until=writer.recount_to,
    )


def _batch_finish(r: pipeline.Run, batch: ImportBatch) -> None:
    _batch_fill(
        batch,
        r.report,
        ImportBatch.Status.FAILED if r.report.all_rejected else ImportBatch.Status.DONE,
    )
    batch.save()


def _audit(r: pipeline.Run) -> None:
    report: CitizenImportReport = r.report
    audit_event_record(
        AuditEvent.Type.CITIZENS_IMPORTED,
        user=r.acting_user,
        obj=r.state.batch,
        file=report.file,
        sha256=report.sha256,
        rows=report.rows_read,
        valid=report.rows_valid,
        rejected=report.rows_rejected,
        created=report.created,
        updated=report.updated,
        events=report.events_created,
        tree=report.tree.isoformat() if report.tree else None,
        mapped=[m.as_dict() for m in report.mapped],
        kept_in_place=report.kept_in_place,
    )


def _close(r: pipeline.Run) -> None:
    s: _State | None = r.state
    if s is None:
        return
    s.staged.close()
    if s.staging is not None:
        s.staging.drop()
    s.checker.errors.close()


class Staged:
    """The valid rows of a checked file, in chunks of polars frames (Arrow IPC) in a
    temporary file: the staging area between the check (no transaction) and the write
    (one transaction).

    A file rather than a table: staging rows in the database would take the write
    lock the check is meant to leave free, and the operating system removes the
    file when the import ends, however it ends (it is unlinked as it is made).
    """

    def __init__(self) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix="chiendich-staged-")  # noqa: SIM115
        self._sizes: list[int] = []
        self.chunks = 0
        self.last_rows: list[int] = []  # the last row of each chunk
        # The check's error count when each chunk was staged: the write's own errors
        # for a chunk go right after them, where writing as we read put them.
        self.errors_before: list[int] = []

    def add(self, chunk: pl.DataFrame, errors_before: int) -> None:
        start = self._file.tell()
        chunk.write_ipc(self._file)
        self._sizes.append(self._file.tell() - start)
        self.last_rows.append(chunk["row"][-1])
        self.chunks += 1
        self.errors_before.append(errors_before)

    def __iter__(self) -> Iterator[pl.DataFrame]:
        self._file.flush()
        self._file.seek(0)
        for size in self._sizes:
            yield pl.read_ipc(io.BytesIO(self._file.read(size)))
        self._file.seek(0, io.SEEK_END)

    def close(self) -> None:
        self._file.close()


def _households_to_create(checker: RowChecker, staged: Staged) -> pl.DataFrame:
    """Every household the valid rows name, as the write creates it when it is new: the
    place of its first valid row, the head's name and address first given, and the
    chunk of that first row; in the order of their first rows."""
    rows = (
        checker.households.frame()
        .join(checker.household_details.frame(), on=KEY, how="left")
        .sort("row")
    )
    last_rows = pl.Series(staged.last_rows, dtype=pl.Int64)
    chunk = last_rows.search_sorted(rows["row"].cast(pl.Int64), side="left").cast(pl.Int64) + 1
    return rows.select(
        pl.Series("chunk", chunk, dtype=pl.Int64),
        pl.col(KEY).alias("code"),
        "commune_id",
        "unit_id",
        pl.col("head_name").fill_null(""),
        pl.col("address").fill_null(""),
    )


def _write(
    staged: Staged,
    checker: RowChecker,
    report: CitizenImportReport,
    *,
    batch_id: int | None,
    acting_user: User | None,
    staging: StagingTables | None = None,
) -> ChunkWriter:
    """Write the staged chunks (in a dry run, only look them up); leaves on `checker`
    one error log holding the check's errors and the write's, in the order a single
    pass writing as it read would have logged them."""
    checked = checker.errors
    # Rows the write refuses (outside the user's units) are logged apart, then merged.
    late = checker.errors = RowErrorLog(checked.keep)
    late_after: list[int] = []
    writer = ChunkWriter(
        report,
        checker,
        batch_id=batch_id,
        user_id=acting_user.pk if acting_user is not None else None,
        dry_run=batch_id is None,
        scope=checker.scope,
        tree=checker.tree,
        staging=staging,
    )
    for chunk in staged:
        writer.flush(chunk)
        late_after.append(len(late))
    if len(late):
        checker.errors = _interleave(checked, late, staged.errors_before, late_after)
        checked.close()
    else:
        checker.errors = checked
    late.close()
    errors = checker.errors
    report.rows_valid = report.created + report.updated + report.unchanged
    report.rows_rejected = report.rows_read - report.rows_valid
    report.error_count = len(errors)
    report.errors = errors.first[:]
    if checker.tree is not None:
        report.mapped = checker.tree.summary()
    return writer


def _interleave(
    checked: RowErrorLog, late: RowErrorLog, checked_before: list[int], late_after: list[int]
) -> RowErrorLog:
    """One log: for each chunk, the check's errors logged before it was staged, then
    the write's errors for it; then the check's remaining errors."""
    merged = RowErrorLog(checked.keep)
    early, later = iter(checked), iter(late)
    taken = done = 0
    for before, after in zip(checked_before, late_after, strict=True):
        for error in islice(early, before - taken):
            merged.add(error)
        for error in islice(later, after - done):
            merged.add(error)
        taken, done = before, after
    for error in early:
        merged.add(error)
    return merged


def _batch_fill(
    batch: ImportBatch, report: CitizenImportReport, status: ImportBatch.Status
) -> None:
    pipeline.batch_fill(
        batch,
        report,
        status,
        citizens_created=report.created,
        citizens_updated=report.updated,
        events_created=report.events_created,
    )


CITIZENS_KIND = pipeline.Kind(
    name="citizens",
    help="danh sách công dân và trạng thái tài khoản định danh điện tử do công an cung cấp",
    label=_("Police list of citizens and their VNeID accounts"),
    columns=CITIZEN_COLUMNS,
    required=REQUIRED,
    report=CitizenImportReport,
    reader=_frames,
    start=_start,
    check=_check_frame,
    take=_take,
    take_end=_take_end,
    progress_step=lambda: PROGRESS_EVERY,
    around=_around,
    batch_start=_batch_start,
    merge=_merge,
    batch_finish=_batch_finish,
    audit=_audit,
    close=_close,
    template="chiendich.vneid.importing.citizen_template_xlsx",
    errors_what="citizen import errors",
    takes_tree=True,
    entry="chiendich.vneid.importing.citizens_import",
)
