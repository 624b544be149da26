"""Importing one-stop exports of dossiers (hồ sơ TTHC) (R3–R6), set-based.

`dossiers_import` runs the import pipeline (imports.pipeline) over DOSSIERS_KIND,
the declaration of this kind: it reads the file in chunks of rows as polars frames
(core.frames.table_frames, through bulk.frames),
checks each chunk on whole columns (checks.frame_check: each distinct cell text
parsed once, the rules joining cells evaluated column-wise; a row any rule may
refuse goes through the per-row DossierChecker, which words its errors), and
stages the valid rows (bulk.Stage): COPY into a temporary table on PostgreSQL, ADBC's
bulk ingest into an attached scratch file on SQLite (staging takes no write lock on
the main database). Then one short transaction merges the staged rows into the
dossiers (INSERT ... SELECT, UPDATE ... FROM), adds the import's own difference to
the daily counts (the counts of the rows written minus those of the versions they
replace; a rebuild of the units and days touched where no count is kept for them yet:
counts.counts_rebuild) (on PostgreSQL each foreign key checked once per distinct id,
not once per row: bulk.keys_checked_once),
and records the DossierImport and the AuditEvent: a crash leaves the database as
it was. Rejected rows go to the error file (core.tabular.write_error_file), in
row order, and are never written. A repeated Mã hồ sơ is an error on the later
row. Importing the same file again writes nothing; a known Mã hồ sơ whose status,
end date or any other cell changed is updated.

A dry run does the same reads, checks and lookups, and stages and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from chiendich.accounts.models import AuditEvent, User
from chiendich.accounts.services import audit_event_record
from chiendich.core.numbers import vn_number
from chiendich.core.tabular import RowError, default_errors_path  # noqa: F401 - re-exported
from chiendich.imports import pipeline
from chiendich.imports.pipeline import PipelineReport, Run
from chiendich.units.dated import TreeMap, mapping_lines
from chiendich.units.models import Unit
from chiendich.web.warm import overview_refresh_after_commit

from ..cells import DOSSIER_COLUMNS, DOSSIER_REQUIRED, dossier_header
from ..counts import CountsOff, counts_kept, counts_lock, counts_rebuild
from ..models import Dossier, DossierCount, DossierImport, Procedure
from .bulk import SQLITE_CACHE_KIB, Key, Stage, frames, keys_checked_once, page_cache
from .checks import VALID_SCHEMA, DossierChecker, ValidRow, frame_check

STAGE = "chiendich_dossier_stage"  # the temporary table the valid rows are staged in
OLD = "chiendich_dossier_replaced"  # the versions the staged rows replace, while merging
LOOKUP_SIZE = 5_000  # values per IN (...) list, under SQLite's and PostgreSQL's limits
AUDIT_DOSSIERS_IMPORTED = AuditEvent.Type.DOSSIERS_IMPORTED
DOSSIER = Dossier._meta.db_table
COUNT = DossierCount._meta.db_table
PROCEDURE = Procedure._meta.db_table
BATCH = DossierImport._meta.db_table
UNIT = Unit._meta.db_table
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
class DossierImportReport(PipelineReport):
    """What an import read, rejected and wrote (or, in a dry run, would write)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    count_rows: int = 0
    batch_id: int | None = None
    # Known dossiers left on their earlier unit (mapped to the target tree, same place).
    kept_in_place: int = 0

    def mapping_lines(self) -> list[str]:
        return mapping_lines(self.tree, self.mapped, self.kept_in_place)

    def summary_lines(self) -> list[str]:
        n = vn_number
        verb = "sẽ " if self.dry_run else ""
        lines = [
            *self.head_lines(),
            f"Hồ sơ {verb}thêm mới: {n(self.created)}; {verb}cập nhật: {n(self.updated)}; "
            f"không đổi: {n(self.unchanged)}",
            *self.mapping_lines(),
        ]
        if not self.dry_run:
            lines.append(f"Số dòng thống kê theo ngày được tính lại: {n(self.count_rows)}")
        return lines + self.error_line()


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


# The staged columns: the row number, the id of the known dossier it updates (NULL: a new
# one), then WRITE_COLUMNS; with their PostgreSQL types.
_STAGE_COLUMNS = (
    ("row_number", "integer"),
    ("pk", "bigint"),
    ("code", "varchar(60)"),
    ("procedure_id", "bigint"),
    ("unit_id", "bigint"),
    ("channel", "smallint"),
    ("received_on", "date"),
    ("due_on", "date"),
    ("finished_on", "date"),
    ("status", "varchar(12)"),
    ("digitized", "boolean"),
    ("e_result", "boolean"),
    ("fee", "bigint"),
    ("payment", "smallint"),
    ("reused", "boolean"),
    ("overdue_on", "date"),
)


class _Writer:
    """Compares checked rows with the dossiers already stored and stages what to write;
    `merge` writes it. In a dry run only reads, counting what it would write."""

    def __init__(
        self,
        report: DossierImportReport,
        *,
        dry_run: bool,
        scope_ids: set[int] | None,
        tree: TreeMap | None = None,
    ) -> None:
        self.report = report
        self.dry_run = dry_run
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
        self.empty = not Dossier.objects.exists()  # nothing to look up: codes are unique in a file
        self.units: set[int] = set()
        self.first_day: dt.date | None = None
        self.last_day: dt.date | None = None
        self.stage: Stage | None = None

    def _touch(self, unit_ids: set[int], first: dt.date, last: dt.date) -> None:
        self.units |= unit_ids
        if self.first_day is None or first < self.first_day:
            self.first_day = first
        if self.last_day is None or last > self.last_day:
            self.last_day = last

    def _same_place(self, old_unit: int, unit_id: int) -> bool:
        """`old_unit`, of an earlier tree, lies in `unit_id` of the target tree: its records
        count there through lineage. A known dossier mapped onto it stays where it is, so
        the earlier tree's figures do not change (vneid's writer keeps citizens alike)."""
        old, new = self.paths.get(old_unit), self.paths.get(unit_id)
        return bool(old and new and old[1] and old[1].startswith(new[0]))

    def add(self, valid: pl.DataFrame) -> list[RowError]:
        """Take a chunk of checked rows (checks.VALID_SCHEMA, in row order); return the
        errors of rows it refuses (a known dossier outside the user's scope)."""
        if not valid.height:
            return []
        existing = self._existing(valid["code"].to_list()) if not self.empty else {}
        errors: list[RowError] = []
        if existing:
            known = valid.filter(pl.col("code").is_in(list(existing)))
            valid = valid.filter(~pl.col("code").is_in(list(existing)))
            updates = self._known(known, existing, errors)
        else:
            updates = None
        # New dossiers, set-wise.
        if valid.height:
            self.report.created += valid.height
            tree = self.tree
            if tree is not None:
                mapped = valid.filter(pl.col("mapped_from") != 0)
                for read, landed, n in mapped.group_by("mapped_from", "unit_id").len().iter_rows():
                    tree.count(read, landed, n)
            self._touch_frame(valid)
            self._stage(valid.with_columns(pk=pl.lit(None, dtype=pl.Int64)))
        if updates is not None and updates.height:
            self._touch_frame(updates)
            self._stage(updates)
        return errors

    def _touch_frame(self, rows: pl.DataFrame) -> None:
        # A dossier's days are its received day, end day and overdue day, none before the
        # received day.
        received = pl.col("received_on")
        first, last, units = rows.select(
            received.min(),
            pl.max_horizontal(
                pl.col("finished_on").fill_null(received), pl.col("overdue_on").fill_null(received)
            ).max(),
            pl.col("unit_id").unique().implode(),
        ).row(0)
        self._touch(set(units), first, last)

    def _known(
        self,
        known: pl.DataFrame,
        existing: dict[str, tuple[int, tuple[Any, ...]]],
        errors: list[RowError],
    ) -> pl.DataFrame:
        """Known dossiers, one by one: unchanged, updated (returned with their id as `pk`),
        kept on their earlier unit, or refused outside the user's scope."""
        tree = self.tree
        updates: list[tuple[Any, ...]] = []
        for values in known.iter_rows():
            r = ValidRow(*values)
            pk, old_values = existing[r.code]
            mapped = (r.mapped_from, r.unit_id) if r.mapped_from and tree else None
            if mapped and old_values[2] != r.unit_id and self._same_place(old_values[2], r.unit_id):
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
                errors.append(
                    RowError(
                        self.report.file,
                        r.row,
                        dossier_header("code"),
                        r.code,
                        "mã hồ sơ đã có ở đơn vị khác, ngoài phạm vi của bạn",
                    )
                )
                continue
            updates.append((*r, pk))
            self.report.updated += 1
            if mapped and tree is not None:
                tree.count(*mapped)
            # The counts of the old version's unit and days change too.
            old_days = [d for d in (old_values[4], old_values[6], old_values[13]) if d]
            self._touch({old_values[2]}, min(old_days), max(old_days))
        schema = {**VALID_SCHEMA, "pk": pl.Int64}
        return pl.DataFrame(updates, schema=schema, orient="row")

    # --- staging and merging ---------------------------------------------------------------

    @contextmanager
    def staging(self) -> Iterator[None]:
        """The temporary table, for the import's length (a dry run has none)."""
        if self.dry_run:
            yield
            return
        with Stage(STAGE, _STAGE_COLUMNS) as stage:
            self.stage = stage
            yield

    def _stage(self, rows: pl.DataFrame) -> None:
        if self.stage is not None:
            self.stage.put(rows.rename({"_row": "row_number"}))

    def merge(self, batch_id: int) -> None:
        """Write the staged rows: new dossiers in row order, then the updates."""
        if self.stage is None or not self.stage.rows:
            return
        columns = ", ".join(WRITE_COLUMNS)
        assignments = ", ".join(f"{c} = s.{c}" for c in WRITE_COLUMNS[1:])
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {DOSSIER} ({columns}, batch_id)"  # noqa: S608
                f" SELECT {columns}, %s FROM {STAGE} WHERE pk IS NULL ORDER BY seq",
                [batch_id],
            )
            if self.report.updated:
                cursor.execute(
                    f"UPDATE {DOSSIER} SET {assignments}, batch_id = %s"  # noqa: S608
                    f" FROM {STAGE} AS s WHERE s.pk IS NOT NULL AND {DOSSIER}.id = s.pk",
                    [batch_id],
                )

    def _existing(self, codes: list[str]) -> dict[str, tuple[int, tuple[Any, ...]]]:
        with connection.cursor() as cursor:
            rows = _lookup(
                cursor,
                f"SELECT id, {', '.join(WRITE_COLUMNS)} FROM {DOSSIER} WHERE code IN ({{marks}})",  # noqa: S608
                codes,
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


def dossiers_import(
    path: Path,
    *,
    dry_run: bool = False,
    acting_user: User | None = None,
    progress: Callable[[int], None] | None = None,
    errors_path: Path | None = None,
    tree: dt.date | None = None,
) -> DossierImportReport:
    """Import the one-stop export at `path` (CSV or XLSX) into dossiers, then bring the
    daily counts of the units and days it touched up to date.

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
    report: DossierImportReport = pipeline.run(
        DOSSIERS_KIND,
        path,
        dry_run=dry_run,
        acting_user=acting_user,
        progress=progress,
        errors_path=errors_path,
        tree=tree,
    )
    return report


# --- the kind's hooks ----------------------------------------------------------------------


@dataclass
class _State:
    checker: DossierChecker
    writer: _Writer
    batch: DossierImport | None = None


def _start(r: Run) -> None:
    r.state = _State(
        DossierChecker(r.report.file, r.errors, r.scope, r.tree),
        _Writer(r.report, dry_run=r.dry_run, scope_ids=r.scope, tree=r.tree),
    )


def _check(r: Run, chunk: pl.DataFrame) -> tuple[pl.DataFrame, list[RowError]]:
    return frame_check(r.state.checker, chunk)


def _take(r: Run, valid: pl.DataFrame) -> list[RowError]:
    return r.state.writer.add(valid)


@contextmanager
def _around(r: Run) -> Iterator[None]:
    """The staging table and SQLite's larger page cache, from the read to the merge."""
    with ExitStack() as stack:
        stack.enter_context(r.state.writer.staging())
        stack.enter_context(_page_cache(r.dry_run))
        yield


def _merge(r: Run, write: bool) -> None:
    if not write:  # the writer counted what it would write as the rows were read
        return
    writer = r.state.writer
    touched = bool(writer.units and writer.first_day is not None)
    # Where counts are kept for the units, the import adds its own difference (the rows
    # it writes minus the versions they replace) instead of a recount of the units and
    # days it touched; a first import, or counts never built, rebuilds (counts_rebuild).
    difference = touched and writer.stage is not None and counts_kept(writer.units)
    if difference:
        try:
            # A savepoint: counts found already off roll back to it, which releases the
            # shared counts lock and every row lock taken since, and the import writes
            # again under the exclusive lock (counts.CountsOff says why not upgrade).
            with transaction.atomic():
                _write(r, touched, difference=True)
        except CountsOff:
            _write(r, touched, difference=False)
    else:
        _write(r, touched, difference=False)
    if touched:
        overview_refresh_after_commit()  # the overview's figures, once committed


def _write(r: Run, touched: bool, *, difference: bool) -> None:
    """The merge, and the counts brought up to date: by the import's own difference, or
    by a rebuild of the units and days it touched."""
    writer, report = r.state.writer, r.report
    assert report.batch_id is not None  # noqa: S101
    if touched:
        counts_lock(shared=difference)  # before the merge takes any row lock
    keys = _keys(report.batch_id, difference=difference) if writer.stage is not None else []
    with keys_checked_once(keys):
        if difference:
            _old_versions_keep()
        writer.merge(report.batch_id)
        if touched:
            report.count_rows = counts_rebuild(
                unit_ids=writer.units,
                start=writer.first_day,
                end=writer.last_day,
                written=STAGE if difference else None,
                replaced=f"{OLD} AS old" if difference else None,
            )
        if difference:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE {OLD}")


def _old_versions_keep() -> None:
    """Copy the dossiers the staged rows replace (OLD) before the merge writes over them:
    their counts are subtracted. On PostgreSQL they are locked first: the staged ids
    were looked up before the transaction and another import may have changed those
    dossiers since; locked, they are copied as they are and no one changes them before
    the commit. (SQLite: the import's transaction holds the write lock from its start.)"""
    replaced = f"SELECT pk FROM {STAGE} WHERE pk IS NOT NULL"  # noqa: S608
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT id FROM {DOSSIER} WHERE id IN ({replaced}) ORDER BY id FOR UPDATE"  # noqa: S608
            )
        cursor.execute(f"DROP TABLE IF EXISTS {OLD}")
        cursor.execute(
            f"CREATE TEMP TABLE {OLD} AS SELECT {', '.join(WRITE_COLUMNS)}"  # noqa: S608
            f" FROM {DOSSIER} WHERE id IN ({replaced})"
        )


def _keys(batch_id: int, *, difference: bool = False) -> list[Key]:
    """The foreign keys the merge and the counts write (bulk.keys_checked_once): the
    staged rows' units and procedures, the batch. A rebuild's count rows take their keys
    from the dossiers; a difference inserts only cells of staged rows (an old version
    only subtracts, and a cell it would take below zero is refused), so their keys are
    the staged rows' too, checked and locked alike."""
    units = f"SELECT DISTINCT unit_id FROM {STAGE}"  # noqa: S608
    procedures = f"SELECT DISTINCT procedure_id FROM {STAGE}"  # noqa: S608
    return [
        Key(DOSSIER, "unit_id", UNIT, units),
        Key(DOSSIER, "procedure_id", PROCEDURE, procedures),
        Key(DOSSIER, "batch_id", BATCH, f"SELECT {int(batch_id):d}"),
        Key(COUNT, "unit_id", UNIT, units if difference else ""),
        Key(COUNT, "procedure_id", PROCEDURE, procedures if difference else ""),
    ]


def _batch_start(r: Run) -> DossierImport:
    batch = DossierImport(user=r.user)
    _batch_fill(batch, r.report, DossierImport.Status.RUNNING)
    batch.save()
    r.report.batch_id = batch.pk
    r.state.batch = batch
    return batch


def _batch_finish(r: Run, batch: DossierImport) -> None:
    _batch_fill(
        batch,
        r.report,
        DossierImport.Status.FAILED if r.report.all_rejected else DossierImport.Status.DONE,
    )
    batch.save()


def _audit(r: Run) -> None:
    report: DossierImportReport = r.report
    audit_event_record(
        AUDIT_DOSSIERS_IMPORTED,
        user=r.acting_user,
        obj=r.state.batch,
        **r.audit_fields(),
        created=report.created,
        updated=report.updated,
        **r.tree_fields(),
        kept_in_place=report.kept_in_place,
    )


@contextmanager
def _page_cache(dry_run: bool) -> Iterator[None]:
    """bulk.page_cache (SQLITE_CACHE_KIB) for a real run's merge and recount."""
    if dry_run:
        yield
        return
    with page_cache(SQLITE_CACHE_KIB):
        yield


def _batch_fill(
    batch: DossierImport, report: DossierImportReport, status: DossierImport.Status
) -> None:
    pipeline.batch_fill(batch, report, status, created=report.created, updated=report.updated)


DOSSIERS_KIND = pipeline.Kind(
    name="dossiers",
    help="hồ sơ thủ tục hành chính xuất từ hệ thống một cửa",
    label=_("One-stop system export of dossiers"),
    columns=DOSSIER_COLUMNS,
    required=DOSSIER_REQUIRED,
    report=DossierImportReport,
    start=_start,
    check=_check,
    take=_take,
    around=_around,
    merge=_merge,
    batch_start=_batch_start,
    batch_finish=_batch_finish,
    audit=_audit,
    template="chiendich.procedures.importing.dossier_template_xlsx",
    personal_data=False,  # dossier codes and procedure names only
    takes_tree=True,
    split_hint="hãy ghi mã xã mới đã tiếp nhận hồ sơ",
    reader=frames,  # table_frames, a plain CSV read bulk.BLOCK_BYTES at a time
)
