"""Importing one-stop exports of dossiers (hồ sơ TTHC) (R3–R6).

`dossiers_import` follows the same design as the citizen import (vneid.importing.citizens): one
streaming pass; each row is checked against the rules of checks.py and against the
rows before it (a repeated Mã hồ sơ is an error on the later row); valid rows
gather in chunks of CHUNK_SIZE written with set-based SQL (one lookup of known
dossiers per chunk, `executemany` inserts and updates, no ORM objects, no
signals). The whole real run is one transaction, and so is the rebuild of the
daily counts it touched, so a crash leaves the database as it was; rejected
rows go to the error file (core.tabular.write_error_file) and are never
written. Importing the same file again writes nothing; a known Mã hồ sơ whose
status, end date or any other cell changed is updated.

A dry run does the same reads and lookups without a transaction or a write.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from chiendich.accounts.models import AuditEvent, User
from chiendich.accounts.services import audit_event_record
from chiendich.core.numbers import vn_number
from chiendich.core.tabular import (
    Row,
    RowError,
    RowErrorLog,
    default_errors_path,
    file_sha256,
    primed,
    read_table,
    write_error_file,
)
from chiendich.units.dated import MappedRows, TreeMap, mapping_lines
from chiendich.units.models import Unit

from ..cells import DOSSIER_COLUMNS, DOSSIER_REQUIRED, dossier_header
from ..counts import counts_rebuild
from ..models import Dossier, DossierImport
from .checks import DossierChecker, ValidRow

CHUNK_SIZE = 10_000  # valid rows per write; memory stays flat, statements stay few
LOOKUP_SIZE = 5_000  # values per IN (...) list, under SQLite's and PostgreSQL's limits
PROGRESS_EVERY = 5_000
AUDIT_DOSSIERS_IMPORTED = AuditEvent.Type.DOSSIERS_IMPORTED
DOSSIER = Dossier._meta.db_table
# The columns a row writes, in the order of ValidRow's fields after `row`.
WRITE_COLUMNS = (
    "code",
    "procedure_id",
    "unit_id",
    "channel",
    "received_on",
    "due_on",
    "finished_on",
    "status",
    "digitized",
    "e_result",
    "fee",
    "payment",
    "reused",
    "overdue_on",
)
_STORED = len(WRITE_COLUMNS) + 1  # ValidRow[1:_STORED] are the stored values


class IsoDates(dict[dt.date | None, str | None]):
    """Dates as the ISO text written to the database, each distinct day converted once:
    the driver's date adapter, called millions of times, costs more than the insert."""

    def __missing__(self, day: dt.date | None) -> str | None:
        text = self[day] = day.isoformat() if day is not None else None
        return text


@dataclass
class DossierImportReport:
    """What an import read, rejected and wrote (or, in a dry run, would write)."""

    file: str
    sha256: str
    dry_run: bool
    rows_read: int = 0
    rows_valid: int = 0
    rows_rejected: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    count_rows: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)  # the first ones; all are in error_file
    error_file: Path | None = None
    batch_id: int | None = None
    # The tree the rows were mapped to (None: each dossier stays on the unit of its
    # received day), the rows mapped per (old, new) unit, and known dossiers left on
    # their earlier unit.
    tree: dt.date | None = None
    mapped: list[MappedRows] = field(default_factory=list)
    kept_in_place: int = 0

    @property
    def all_rejected(self) -> bool:
        """Nothing could be imported: no data rows, or every row had an error."""
        return self.rows_valid == 0

    @property
    def mapped_rows(self) -> int:
        return sum(m.rows for m in self.mapped)

    def mapping_lines(self) -> list[str]:
        return mapping_lines(self.tree, self.mapped, self.kept_in_place)

    def summary_lines(self) -> list[str]:
        n = vn_number
        verb = "sẽ " if self.dry_run else ""
        lines = [
            f"Tệp {self.file}"
            + (" (chạy thử, không ghi gì vào cơ sở dữ liệu)" if self.dry_run else ""),
            f"Số dòng đã đọc: {n(self.rows_read)}; hợp lệ: {n(self.rows_valid)}; "
            f"bị từ chối: {n(self.rows_rejected)}",
            f"Hồ sơ {verb}thêm mới: {n(self.created)}; {verb}cập nhật: {n(self.updated)}; "
            f"không đổi: {n(self.unchanged)}",
            *self.mapping_lines(),
        ]
        if not self.dry_run:
            lines.append(f"Số dòng thống kê theo ngày được tính lại: {n(self.count_rows)}")
        if self.error_file is not None:
            lines.append(f"Tệp lỗi: {self.error_file} ({n(self.error_count)} lỗi)")
        return lines


def _day(value: Any) -> dt.date | None:
    """SQLite may hand dates back as text from raw SQL; PostgreSQL as dates."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _lookup(cursor: Any, sql: str, values: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Run `sql` (with "{marks}" where the IN list goes) over `values` in slices."""
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(values), LOOKUP_SIZE):
        part = list(values[start : start + LOOKUP_SIZE])
        cursor.execute(sql.format(marks=",".join(["%s"] * len(part))), part)
        found.extend(cursor.fetchall())
    return found


class _Writer:
    """Writes chunks of valid rows; in a dry run only reads, counting what it would write."""

    def __init__(
        self,
        report: DossierImportReport,
        errors: RowErrorLog,
        *,
        batch_id: int | None,
        scope_ids: set[int] | None,
        tree: TreeMap | None = None,
    ) -> None:
        self.report = report
        self.errors = errors
        self.batch_id = batch_id
        self.scope_ids = scope_ids
        self.tree = tree
        # unit id -> (path, successor_path), for units of earlier trees (see _same_place)
        self.paths: dict[int, tuple[str, str]] = (
            {
                pk: (path, successor)
                for pk, path, successor in Unit.objects.values_list("pk", "path", "successor_path")
            }
            if tree is not None and Unit.objects.exclude(successor_path="").exists()
            else {}
        )
        self.dry_run = batch_id is None
        self.empty = not Dossier.objects.exists()  # nothing to look up: codes are unique in a file
        self.units: set[int] = set()
        self.iso = IsoDates()
        self.first_day: dt.date | None = None
        self.last_day: dt.date | None = None

    def _touch(self, unit_ids: set[int], first: dt.date, last: dt.date) -> None:
        self.units |= unit_ids
        if self.first_day is None or first < self.first_day:
            self.first_day = first
        if self.last_day is None or last > self.last_day:
            self.last_day = last

    def _params(self, r: ValidRow) -> tuple[Any, ...]:
        iso = self.iso
        return (
            r.code,
            r.procedure_id,
            r.unit_id,
            r.channel,
            iso[r.received_on],
            iso[r.due_on],
            iso[r.finished_on],
            r.status,
            r.digitized,
            r.e_result,
            r.fee,
            r.payment,
            r.reused,
            iso[r.overdue_on],
            self.batch_id,
        )

    def _same_place(self, old_unit: int, unit_id: int) -> bool:
        """`old_unit`, of an earlier tree, lies in `unit_id` of the target tree: its records
        count there through lineage. A known dossier mapped onto it stays where it is, so
        the earlier tree's figures do not change (vneid's writer keeps citizens alike)."""
        old, new = self.paths.get(old_unit), self.paths.get(unit_id)
        return bool(old and new and old[1] and old[1].startswith(new[0]))

    def flush(self, chunk: list[ValidRow]) -> None:
        tree = self.tree
        with connection.cursor() as cursor:
            existing = self._existing(cursor, chunk)
            written: list[ValidRow] = []
            inserts: list[tuple[Any, ...]] = []
            updates: list[tuple[Any, ...]] = []
            for r in chunk:
                old = existing.get(r.code)
                if old is None:
                    inserts.append(self._params(r))
                    written.append(r)
                    if r.mapped_from and tree is not None:
                        tree.count(r.mapped_from, r.unit_id)
                    continue
                pk, old_values = old
                mapped = (r.mapped_from, r.unit_id) if r.mapped_from and tree else None
                if (
                    mapped
                    and old_values[2] != r.unit_id
                    and self._same_place(old_values[2], r.unit_id)
                ):
                    r = r._replace(unit_id=old_values[2])
                    self.report.kept_in_place += 1
                if old_values == r[1:_STORED]:
                    self.report.unchanged += 1
                    if mapped and tree is not None:
                        tree.count(*mapped)
                    continue
                if self.scope_ids is not None and old_values[2] not in self.scope_ids:
                    # The dossier belongs to a unit the user may not change: same answer as
                    # for a unit that does not exist.
                    self.errors.add(
                        RowError(
                            self.report.file,
                            r.row,
                            dossier_header("code"),
                            r.code,
                            "mã hồ sơ đã có ở đơn vị khác, ngoài phạm vi của bạn",
                        )
                    )
                    continue
                updates.append((*self._params(r)[1:], pk))
                written.append(r)
                if mapped and tree is not None:
                    tree.count(*mapped)
                # The counts of the old version's unit and days change too.
                old_days = [d for d in (old_values[4], old_values[6], old_values[13]) if d]
                self._touch({old_values[2]}, min(old_days), max(old_days))
            if written:
                # A dossier's days are its received day, end day and overdue day, none
                # before the received day.
                self._touch(
                    {r.unit_id for r in written},
                    min(r.received_on for r in written),
                    max(max(r.finished_on or r.received_on, r.overdue_on or r.received_on)
                        for r in written),
                )  # fmt: skip
            self.report.created += len(inserts)
            self.report.updated += len(updates)
            if self.dry_run:
                return
            if inserts:
                marks = ", ".join(["%s"] * (len(WRITE_COLUMNS) + 1))
                cursor.executemany(
                    f"INSERT INTO {DOSSIER} ({', '.join(WRITE_COLUMNS)}, batch_id)"  # noqa: S608
                    f" VALUES ({marks})",
                    inserts,
                )
            if updates:
                assignments = ", ".join(f"{c} = %s" for c in (*WRITE_COLUMNS[1:], "batch_id"))
                cursor.executemany(
                    f"UPDATE {DOSSIER} SET {assignments} WHERE id = %s",  # noqa: S608
                    updates,
                )

    def _existing(
        self, cursor: Any, chunk: list[ValidRow]
    ) -> dict[str, tuple[int, tuple[Any, ...]]]:
        if self.empty:
            return {}
        rows = _lookup(
            cursor,
            f"SELECT id, {', '.join(WRITE_COLUMNS)} FROM {DOSSIER} WHERE code IN ({{marks}})",  # noqa: S608
            [r.code for r in chunk],
        )
        out = {}
        for (
            pk,
            code,
            proc,
            unit,
            channel,
            rec,
            due,
            fin,
            status,
            dig,
            eres,
            fee,
            pay,
            reu,
            ovd,
        ) in rows:
            out[code] = (
                pk,
                (
                    code,
                    proc,
                    unit,
                    int(channel),
                    _day(rec),
                    _day(due),
                    _day(fin),
                    status,
                    bool(dig),
                    bool(eres),
                    int(fee),
                    int(pay),
                    bool(reu),
                    _day(ovd),
                ),
            )
        return out


def _scope(acting_user: User | None) -> set[int] | None:
    """Ids of the units `acting_user` may import for; None for the system or a superuser."""
    if acting_user is None or acting_user.is_superuser:
        return None
    return set(Unit.objects.restrict(acting_user, "change").values_list("pk", flat=True))


def dossiers_import(
    path: Path,
    *,
    dry_run: bool = False,
    acting_user: User | None = None,
    progress: Callable[[int], None] | None = None,
    errors_path: Path | None = None,
    tree: dt.date | None = None,
) -> DossierImportReport:
    """Import the one-stop export at `path` (CSV or XLSX) into dossiers, then rebuild the
    daily counts of the units and days it touched.

    Rows with any error are rejected and listed in an error file (xlsx: Dòng, Cột, Giá
    trị, Lỗi; `errors_path`, by default beside the file); the valid rows are written in
    one transaction with a DossierImport and an AuditEvent. A user bound to units may
    import only dossiers of units in their scope. `progress` is called with the number
    of rows read so far. Raises TabularError when the file cannot be read at all.

    A row's unit code is read as of its received day. `tree` is the day of the
    campaign's unit tree: a dossier read as a unit of an earlier tree is stored on the
    unit it became on that day (lineage), and the summary counts the rows mapped; a
    district after 1/7/2025 or a split commune is refused by row. None keeps every
    dossier on the unit of its received day.
    """
    path = Path(path)
    report = DossierImportReport(
        file=path.name, sha256=file_sha256(path), dry_run=dry_run, tree=tree
    )
    rows = primed(read_table(path, DOSSIER_COLUMNS, DOSSIER_REQUIRED))
    errors = RowErrorLog()
    errors_path = errors_path or default_errors_path(path)
    user = acting_user if acting_user is not None and acting_user.pk else None
    try:
        if dry_run:
            _run(rows, report, errors, batch_id=None, acting_user=acting_user, progress=progress)
            # A dry run (the web's check) writes nothing: no history row either.
            _finish_errors(report, errors, errors_path)
            return report
        with transaction.atomic():
            batch = DossierImport(user=user)
            _batch_fill(batch, report, DossierImport.Status.RUNNING)
            batch.save()
            report.batch_id = batch.pk
            writer = _run(
                rows, report, errors, batch_id=batch.pk, acting_user=acting_user, progress=progress
            )
            if writer.units and writer.first_day is not None:
                report.count_rows = counts_rebuild(
                    unit_ids=writer.units, start=writer.first_day, end=writer.last_day
                )
                from chiendich.web.warm import overview_refresh_after_commit

                overview_refresh_after_commit()  # the overview's figures, once committed
            _finish_errors(report, errors, errors_path)
            _batch_fill(
                batch,
                report,
                DossierImport.Status.FAILED if report.all_rejected else DossierImport.Status.DONE,
            )
            batch.save()
            audit_event_record(
                AUDIT_DOSSIERS_IMPORTED,
                user=acting_user,
                obj=batch,
                file=report.file,
                sha256=report.sha256,
                rows=report.rows_read,
                valid=report.rows_valid,
                rejected=report.rows_rejected,
                created=report.created,
                updated=report.updated,
                tree=report.tree.isoformat() if report.tree else None,
                mapped=[m.as_dict() for m in report.mapped],
                kept_in_place=report.kept_in_place,
            )
        return report
    finally:
        errors.close()


def _run(
    rows: Iterator[Row],
    report: DossierImportReport,
    errors: RowErrorLog,
    *,
    batch_id: int | None,
    acting_user: User | None,
    progress: Callable[[int], None] | None,
) -> _Writer:
    scope = _scope(acting_user)
    tree = (
        TreeMap(report.tree, split_hint="hãy ghi mã xã mới đã tiếp nhận hồ sơ")
        if report.tree is not None
        else None
    )
    checker = DossierChecker(report.file, errors, scope, tree)
    writer = _Writer(report, errors, batch_id=batch_id, scope_ids=scope, tree=tree)
    chunk: list[ValidRow] = []
    read = 0
    check, add = checker.check, chunk.append
    # The loop makes millions of short-lived, acyclic objects (rows, tuples): reference
    # counting frees them, and the cycle collector would only rescan them (~12% of the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        for row in rows:
            read += 1
            valid = check(row)
            if valid is not None:
                add(valid)
                if len(chunk) >= CHUNK_SIZE:
                    writer.flush(chunk)
                    chunk.clear()
            if progress is not None and read % PROGRESS_EVERY == 0:
                progress(read)
        if chunk:
            writer.flush(chunk)
    finally:
        if collecting:
            gc.enable()
    report.rows_read = read
    report.rows_valid = report.created + report.updated + report.unchanged
    report.rows_rejected = read - report.rows_valid
    report.error_count = len(errors)
    report.errors = errors.first[:]
    if tree is not None:
        report.mapped = tree.summary()
    if progress is not None:
        progress(read)
    return writer


def _finish_errors(report: DossierImportReport, errors: RowErrorLog, path: Path) -> None:
    if not len(errors):
        return
    write_error_file(errors, path)
    report.error_file = path


def _batch_fill(
    batch: DossierImport, report: DossierImportReport, status: DossierImport.Status
) -> None:
    batch.file_name = report.file[:255]
    batch.sha256 = report.sha256
    batch.status = status
    batch.finished_at = None if status == DossierImport.Status.RUNNING else timezone.now()
    batch.rows_total = report.rows_read
    batch.rows_valid = report.rows_valid
    batch.rows_rejected = report.rows_rejected
    batch.created = report.created
    batch.updated = report.updated
    batch.error_file = str(report.error_file or "")[:500]
    # The target tree and the codes mapped to it stay in the history with the counts.
    batch.message = "\n".join(
        (["mọi dòng đều bị từ chối"] if status == DossierImport.Status.FAILED else [])
        + report.mapping_lines()
    )
