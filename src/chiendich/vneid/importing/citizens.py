"""Importing a police list of citizens and their VNeID account states (R2, R8).

One streaming pass over the file: each row is checked against the rules
below and against the rows before it (a repeated ID is an error on the later
row, so nothing after it can change the verdict on an earlier row); valid rows
gather in chunks of CHUNK_SIZE that are written with set-based SQL (one
lookup of existing citizens per chunk, `executemany` inserts and updates, no
ORM objects, no signals). The whole real run is one transaction, so a crash or
Ctrl-C leaves the database as it was; rejected rows go to the error file and
are never written. Memory holds the IDs seen (for duplicates), the households
seen, one chunk and the first errors; never the file.

A dry run does the same reads and lookups without a transaction or a write to
citizens, households or events, so its counts are what a real run would do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from chiendich.accounts.models import AuditEvent, User
from chiendich.accounts.services import audit_event_record, error_file_write_audited
from chiendich.core.tabular import (
    Row,
    RowErrorLog,
    default_errors_path,
    file_sha256,
    primed,
    read_table,
)
from chiendich.units.dated import TreeMap
from chiendich.units.models import Unit

from ..counts import counts_refresh
from ..models import ImportBatch
from .cells import CITIZEN_COLUMNS, REQUIRED
from .checker import RowChecker, ValidRow
from .places import Places
from .report import CitizenImportReport
from .writer import ChunkWriter, large_page_cache

CHUNK_SIZE = 10_000  # valid rows per write; memory stays flat, statements stay few
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
    rows = primed(read_table(path, CITIZEN_COLUMNS, REQUIRED))
    errors = RowErrorLog()
    errors_path = errors_path or default_errors_path(path)
    try:
        if dry_run:
            _run(rows, report, errors, batch_id=None, acting_user=acting_user, progress=progress)
            # A dry run (the web's check) writes nothing: no history row either.
            _finish_errors(report, errors, errors_path, acting_user)
            return report
        with large_page_cache(), transaction.atomic():
            batch = ImportBatch(kind=ImportBatch.Kind.CITIZENS, user=_saved(acting_user))
            _batch_fill(batch, report, ImportBatch.Status.RUNNING)
            batch.save()
            report.batch_id = batch.pk
            writer = _run(
                rows, report, errors, batch_id=batch.pk, acting_user=acting_user, progress=progress
            )
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
        errors.close()


def _run(
    rows: Iterator[Row],
    report: CitizenImportReport,
    errors: RowErrorLog,
    *,
    batch_id: int | None,
    acting_user: User | None,
    progress: Callable[[int], None] | None,
) -> ChunkWriter:
    scope = _scope(acting_user)
    tree = TreeMap(report.tree) if report.tree is not None else None
    checker = RowChecker(report.file, Places(), errors, scope, tree)
    writer = ChunkWriter(
        report,
        checker,
        batch_id=batch_id,
        user_id=acting_user.pk if acting_user is not None else None,
        dry_run=batch_id is None,
        scope=scope,
        tree=tree,
    )
    chunk: list[ValidRow] = []
    read = 0
    for row in rows:
        read += 1
        valid = checker.check(row)
        if valid is not None:
            chunk.append(valid)
            if len(chunk) >= CHUNK_SIZE:
                writer.flush(chunk)
                chunk = []
        if progress is not None and read % PROGRESS_EVERY == 0:
            progress(read)
    if chunk:
        writer.flush(chunk)
    report.rows_read = read
    report.rows_valid = report.created + report.updated + report.unchanged
    report.rows_rejected = read - report.rows_valid
    report.ids_repaired = checker.repaired
    report.error_count = len(errors)
    report.errors = errors.first[:]
    if tree is not None:
        report.mapped = tree.summary()
    if progress is not None:
        progress(read)
    return writer


def _finish_errors(
    report: CitizenImportReport, errors: RowErrorLog, path: Path, acting_user: User | None
) -> None:
    """Write the error file; it holds ID numbers, so writing it is audited as an export."""
    if not len(errors):
        return
    error_file_write_audited(
        errors, path, what="citizen import errors", source=report.file, acting_user=acting_user
    )
    report.error_file = path


def _scope(acting_user: User | None) -> set[int] | None:
    """Ids of the units `acting_user` may import citizens for; None for the system
    (the command line) or a superuser. An officer's list may only add or change
    citizens of their own units."""
    if acting_user is None or acting_user.is_superuser:
        return None
    return set(Unit.objects.restrict(acting_user, "change").values_list("pk", flat=True))


def _saved(user: User | None) -> User | None:
    return user if user is not None and user.pk else None


def _batch_fill(
    batch: ImportBatch, report: CitizenImportReport, status: ImportBatch.Status
) -> None:
    batch.file_name = report.file[:255]
    batch.sha256 = report.sha256
    batch.status = status
    batch.finished_at = None if status == ImportBatch.Status.RUNNING else timezone.now()
    batch.rows_total = report.rows_read
    batch.rows_valid = report.rows_valid
    batch.rows_rejected = report.rows_rejected
    batch.citizens_created = report.created
    batch.citizens_updated = report.updated
    batch.events_created = report.events_created
    batch.error_file = str(report.error_file or "")[:500]
    # The target tree and the codes mapped to it stay in the history with the counts.
    batch.message = "\n".join(
        (["mọi dòng đều bị từ chối"] if status == ImportBatch.Status.FAILED else [])
        + report.mapping_lines()
    )
