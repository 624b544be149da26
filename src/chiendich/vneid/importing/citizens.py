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
never written. Memory holds the IDs seen (as ints), the households seen, one frame
and the first errors; never the file.

A dry run does the same reads and lookups without a transaction or a write to
citizens, households or events (and without TEMP tables), so its counts are what
a real run would do.
"""

from __future__ import annotations

import bisect
import datetime as dt
import io
import tempfile
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import IO

import polars as pl
from django.db import transaction

from chiendich.accounts.models import AuditEvent, User
from chiendich.accounts.services import audit_event_record
from chiendich.core.frames import table_frames
from chiendich.core.tabular import RowErrorLog, default_errors_path, file_sha256
from chiendich.imports import pipeline
from chiendich.units.dated import TreeMap

from ..counts import counts_lock, counts_refresh
from ..models import ImportBatch
from .cells import CITIZEN_COLUMNS, REQUIRED
from .checker import FrameChecker, RowChecker
from .places import Places
from .report import CitizenImportReport
from .writer import ChunkWriter, StagingTables, large_page_cache

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
    """
    path = Path(path)
    report = CitizenImportReport(
        file=path.name, sha256=file_sha256(path), dry_run=dry_run, tree=tree
    )
    frames = table_frames(path, CITIZEN_COLUMNS, REQUIRED, rows=FRAME_ROWS)
    errors = RowErrorLog()
    errors_path = errors_path or default_errors_path(path)
    staged = Staged()
    checker: RowChecker | None = None
    scope = _scope(acting_user)
    # A real run for the whole system (no scope to enforce row by row in the write)
    # stages its valid rows in TEMP tables too, and merges them in SQL.
    staging = StagingTables() if not dry_run and scope is None else None
    try:
        checker = _check(
            frames,
            report,
            errors,
            staged,
            scope=scope,
            staging=staging,
            progress=progress,
        )
        if dry_run:
            _write(staged, checker, report, batch_id=None, acting_user=acting_user)
            errors = checker.errors
            # A dry run (the web's check) writes nothing: no history row either.
            _finish_errors(report, errors, errors_path, acting_user)
            return report
        with large_page_cache(), transaction.atomic():
            # Before any row lock (PostgreSQL): outcomes recorded meanwhile wait for the
            # write instead of deadlocking with it, and the recount misses none of them.
            counts_lock(shared=False)
            batch = ImportBatch(kind=ImportBatch.Kind.CITIZENS, user=_saved(acting_user))
            _batch_fill(batch, report, ImportBatch.Status.RUNNING)
            batch.save()
            report.batch_id = batch.pk
            writer = _write(
                staged,
                checker,
                report,
                batch_id=batch.pk,
                acting_user=acting_user,
                staging=staging,
            )
            errors = checker.errors
            writer.relink()
            # The numbers move with the import, in the same transaction.
            report.counts_refreshed = counts_refresh(
                writer.touched_units,
                since=None if writer.recount_all_days else writer.recount_from,
                until=writer.recount_to,
            )
            _finish_errors(report, errors, errors_path, acting_user)
            _batch_fill(
                batch,
                report,
                ImportBatch.Status.FAILED if report.all_rejected else ImportBatch.Status.DONE,
            )
            batch.save()
            audit_event_record(
                AuditEvent.Type.CITIZENS_IMPORTED,
                user=acting_user,
                obj=batch,
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
        return report
    finally:
        staged.close()
        if staging is not None:
            staging.drop()
        errors.close()
        if checker is not None:
            checker.errors.close()


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


def _check(
    frames: Iterator[pl.DataFrame],
    report: CitizenImportReport,
    errors: RowErrorLog,
    staged: Staged,
    *,
    scope: set[int] | None,
    staging: StagingTables | None,
    progress: Callable[[int], None] | None,
) -> RowChecker:
    """Read and check every row, staging the valid ones; writes nothing to the database.

    A frame of rows at a time (FrameChecker); the valid rows are staged in chunks of
    CHUNK_SIZE, each with the number of errors of the rows before its last one, as a
    row-by-row check would have logged them when it staged that chunk."""
    tree = TreeMap(report.tree) if report.tree is not None else None
    checker = RowChecker(report.file, Places(), errors, scope, tree)
    frame_checker = FrameChecker(checker)
    pending: list[pl.DataFrame] = []  # valid rows not yet staged
    waiting = 0
    read = 0
    reported = 0
    for frame in frames:
        read += len(frame)
        valid, found = frame_checker.check(frame)
        logged_before = len(errors)
        error_rows = [e.row for e in found]
        for error in found:
            errors.add(error)
        pending.append(valid)
        waiting += len(valid)
        while waiting >= CHUNK_SIZE:
            whole = pl.concat(pending)
            chunk, rest = whole.head(CHUNK_SIZE), whole.slice(CHUNK_SIZE)
            last = chunk["row"][-1]
            staged.add(chunk, logged_before + bisect.bisect_left(error_rows, last))
            if staging is not None:
                staging.add(staged.chunks, chunk)
            pending, waiting = [rest], len(rest)
        if progress is not None:
            while reported + PROGRESS_EVERY <= read:
                reported += PROGRESS_EVERY
                progress(reported)
    if waiting:
        chunk = pl.concat(pending)
        staged.add(chunk, len(errors))
        if staging is not None:
            staging.add(staged.chunks, chunk)
    if staging is not None:
        staging.add_households(_households_to_create(checker, staged))
        staging.ready()
    report.rows_read = read
    report.ids_repaired = checker.repaired
    if progress is not None:
        progress(read)
    return checker


def _households_to_create(checker: RowChecker, staged: Staged) -> pl.DataFrame:
    """Every household the valid rows name, as the write creates it when it is new: the
    place of its first valid row, the head's name and address first given, and the
    chunk of that first row."""
    places = checker.households
    codes = list(places)
    communes, units, rows = zip(*places.values(), strict=True) if places else ((), (), ())
    details = checker.household_details
    heads = [details.get(code, ("", ""))[0] for code in codes] if details else [""] * len(codes)
    addresses = [details.get(code, ("", ""))[1] for code in codes] if details else [""] * len(codes)
    chunk = [bisect.bisect_left(staged.last_rows, row) + 1 for row in rows]
    return pl.DataFrame(
        {
            "chunk": chunk,
            "code": codes,
            "commune_id": communes,
            "unit_id": units,
            "head_name": heads,
            "address": addresses,
        },
        schema={
            "chunk": pl.Int64,
            "code": pl.String,
            "commune_id": pl.Int64,
            "unit_id": pl.Int64,
            "head_name": pl.String,
            "address": pl.String,
        },
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


def _finish_errors(
    report: CitizenImportReport, errors: RowErrorLog, path: Path, acting_user: User | None
) -> None:
    """Write the error file; it holds ID numbers, so writing it is audited as an export."""
    pipeline.errors_write(
        report,
        errors,
        path,
        personal_data=True,
        what="citizen import errors",
        acting_user=acting_user,
    )


def _scope(acting_user: User | None) -> set[int] | None:
    """Ids of the units `acting_user` may import citizens for; None for the system
    (the command line) or a superuser. An officer's list may only add or change
    citizens of their own units."""
    return pipeline.scope_ids(acting_user)


def _saved(user: User | None) -> User | None:
    return user if user is not None and user.pk else None


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
