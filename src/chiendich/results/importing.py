"""Bulk ingest: a zip file or a folder holding result files and one metadata table.

The table (CSV or XLSX, at the top of the zip or folder) has one row per file
(columns in INPUT_COLUMNS, headers matched ignoring case and diacritics). Like
every import here it is checked whole first: each row's cells, its file (present,
a PDF or an image), duplicates inside the batch and against the store. Any
error refuses the whole batch, with every problem named by file, row and column
in an error file (which holds ID numbers, so writing it is audited). Then one
transaction writes every row; files go to storage first and the ones this
import wrote are removed again if the transaction fails.

Idempotent: a row whose file is already stored with the same unit, number and
issue date counts as "already stored" and is skipped, so running the same batch
twice stores it once. The same file with other metadata, or the same number
with another file, is an error naming the stored result.

It is a kind of the one import pipeline (imports.pipeline): `RESULTS_KIND` declares
its columns, its bundle (`open_source`: the zip or folder, its history row and the
table inside it), its row check and its merge; `results_import` is the pipeline's
service of it, which `chiendich import results`, `chiendich results import` and the
web job call.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import polars as pl
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chiendich.accounts.models import AuditEvent, User
from chiendich.accounts.services import audit_event_record
from chiendich.core import clock
from chiendich.core.cells import CellError, parse_date
from chiendich.core.frames import PROBLEM, ROW
from chiendich.core.numbers import vn_number
from chiendich.core.tabular import RowError, file_sha256, primed, read_table
from chiendich.core.text import fold
from chiendich.imports.pipeline import Kind, PipelineReport, Run
from chiendich.procedures.models import Procedure
from chiendich.units.models import Unit

from .bundle import Bundle, EntryError
from .documents import number_key
from .models import Result, ResultImport, ResultType, SubjectKind
from .services import (
    EARLIEST_ISSUE,
    ResultError,
    ResultInput,
    citizen_communes,
    latest_valid_until,
    may_change,
    result_fields,
    subject_id_clean,
)
from .storage import file_delete, file_put, sha256_of

INPUT_COLUMNS: dict[str, tuple[str, ...]] = {
    "file": ("Tệp", "Tên tệp", "File"),
    "unit": ("Mã cơ quan ban hành", "Mã đơn vị ban hành", "Mã đơn vị"),
    "number": ("Số ký hiệu", "Số, ký hiệu", "Số hiệu văn bản"),
    "issued_on": ("Ngày ban hành", "Ngày cấp", "Ngày ký"),
    "title": ("Trích yếu", "Tên kết quả", "Tiêu đề"),
    "result_type": ("Mã loại kết quả", "Loại kết quả"),
    "procedure": ("Mã TTHC", "Mã thủ tục"),
    "subject_kind": ("Loại chủ thể",),
    "subject_id": ("Số định danh/Mã doanh nghiệp", "Số định danh", "Số CCCD", "Mã số doanh nghiệp"),
    "subject_name": ("Họ tên/Tên tổ chức", "Họ và tên", "Tên tổ chức", "Chủ thể"),
    "valid_until": ("Hiệu lực đến", "Có hiệu lực đến"),
    "dossier": ("Mã hồ sơ",),
}
REQUIRED = (
    "file",
    "unit",
    "number",
    "issued_on",
    "title",
    "result_type",
    "subject_id",
    "subject_name",
)
CHUNK = 500  # rows written per bulk_create
CHECK_ROWS = 50  # rows checked per chunk (progress is told after each)
_ENTERPRISE_WORDS = {"to chuc", "doanh nghiep", "enterprise", "organization"}


@dataclass
class ResultImportReport(PipelineReport):
    """What a bulk import read, refused and wrote (in a dry run: would write). `file` is
    the zip's or folder's name (`source`); `sha256` the zip's hash ("" for a folder)."""

    created: int = 0
    already_stored: int = 0
    scans: int = 0  # stored without a text layer: an officer checks their metadata
    batch_id: int | None = None

    @property
    def source(self) -> str:
        return self.file

    @property
    def all_rejected(self) -> bool:
        """The batch was refused (any error refuses it whole) or held no row."""
        return self.error_count > 0 or self.rows_read == 0

    @property  # type: ignore[misc]
    def rows_valid(self) -> int:
        """Rows that can be stored: none when any row is bad (the batch goes whole)."""
        return 0 if self.all_rejected else self.rows_read

    @rows_valid.setter
    def rows_valid(self, _: int) -> None:
        """Computed from the errors (the pipeline's count of rows kept is ignored)."""

    def summary_lines(self) -> list[str]:
        n = vn_number
        verb = "sẽ " if self.dry_run else ""
        lines = [
            f"Nguồn {self.source}" + (" (chạy thử, không ghi gì)" if self.dry_run else ""),
            f"Số dòng đã đọc: {n(self.rows_read)}; lỗi: {n(self.error_count)}",
            f"Kết quả {verb}lưu mới: {n(self.created)}; đã có trong kho (bỏ qua): "
            f"{n(self.already_stored)}; bản quét không có lớp văn bản, chờ cán bộ kiểm tra "
            f"thông tin: {n(self.scans)}",
            *self.unread_lines(),
        ]
        if self.error_count:
            lines.append("Có lỗi nên không lưu kết quả nào của lô này.")
        if self.error_file is not None:
            lines.append(f"Tệp lỗi: {self.error_file}")
        return lines


@dataclass
class _Row:
    number: int
    data: ResultInput
    file: str
    sha256: str
    key: str


def _subject_kind(text: str, subject_id: str) -> str:
    if text:
        return SubjectKind.ENTERPRISE if fold(text) in _ENTERPRISE_WORDS else SubjectKind.CITIZEN
    # A 12-digit number is a personal ID; enterprise codes have 10, 13 or 14 characters.
    digits = subject_id.replace(" ", "")
    return (
        SubjectKind.CITIZEN
        if len(digits) in (11, 12) and digits.isdigit()
        else (SubjectKind.ENTERPRISE)
    )


class _Checker:
    """Checks rows one by one against reference data loaded once; the errors found go
    to `found` (the pipeline takes them chunk by chunk)."""

    def __init__(self, table: str, user: User | None) -> None:
        self.table, self.user = table, user
        self.found: list[RowError] = []
        self.units = {u.code: u for u in Unit.objects.all()}
        self.types = {t.code: t for t in ResultType.objects.select_related("procedure")}
        self.procedures = {p.code: p for p in Procedure.objects.all()}
        self.allowed: dict[int, bool] = {}
        self.shas: dict[str, int] = {}
        self.numbers: dict[tuple[int, str, dt.date], int] = {}
        self.today = clock.today()

    def error(self, row: int, column: str, value: str, problem: str) -> None:
        header = INPUT_COLUMNS[column][0] if column else ""
        self.found.append(RowError(self.table, row, header, value, problem))

    def _check_dates(
        self, number: int, get: Callable[[str], str], dates: dict[str, dt.date | None]
    ) -> None:
        """Issued between EARLIEST_ISSUE and today; valid until a day after the issue, at
        most VALID_YEARS_AHEAD years from today (services.result_fields' bounds, checked
        here to name row and column). A date out of bounds is an error and unset."""
        latest_valid = latest_valid_until(self.today)
        issued_on, valid_until = dates["issued_on"], dates["valid_until"]
        if issued_on is not None and issued_on > self.today:
            self.error(number, "issued_on", get("issued_on"), "ngày ban hành ở tương lai")
            dates["issued_on"] = None
        elif issued_on is not None and issued_on < EARLIEST_ISSUE:
            self.error(
                number,
                "issued_on",
                get("issued_on"),
                f"ngày ban hành trước {EARLIEST_ISSUE:%d/%m/%Y}: kiểm tra lại năm",
            )
            dates["issued_on"] = None
        if valid_until is not None and valid_until > latest_valid:
            self.error(
                number,
                "valid_until",
                get("valid_until"),
                f"ngày hết hiệu lực sau {latest_valid:%d/%m/%Y}: kiểm tra lại năm "
                "(để trống nếu kết quả không có thời hạn)",
            )
        elif valid_until is not None and issued_on is not None and valid_until < issued_on:
            self.error(
                number, "valid_until", get("valid_until"), "ngày hết hiệu lực trước ngày ban hành"
            )

    def row(self, number: int, values: Mapping[str, str], source: Bundle) -> _Row | None:
        before = len(self.found)

        def get(key: str) -> str:
            return values.get(key) or ""  # "" for a column the table does not have

        unit = self.units.get(get("unit"))
        if unit is None:
            self.error(number, "unit", get("unit"), "không có đơn vị mã này")
        else:
            if unit.pk not in self.allowed:
                self.allowed[unit.pk] = may_change(self.user, unit)
            if not self.allowed[unit.pk]:
                self.error(
                    number, "unit", get("unit"), "bạn không được nhập kết quả của đơn vị này"
                )
        result_type = self.types.get(get("result_type"))
        if result_type is None:
            self.error(number, "result_type", get("result_type"), "không có loại kết quả mã này")
        procedure = None
        if get("procedure"):
            procedure = self.procedures.get(get("procedure"))
            if procedure is None:
                self.error(number, "procedure", get("procedure"), "không có thủ tục mã này")
        dates: dict[str, dt.date | None] = {}
        for column in ("issued_on", "valid_until"):
            dates[column] = None
            if get(column):
                try:
                    dates[column] = parse_date(get(column))
                except CellError as exc:
                    self.error(number, column, get(column), str(exc))
        self._check_dates(number, get, dates)
        issued_on = dates["issued_on"]
        kind = _subject_kind(get("subject_kind"), get("subject_id"))
        subject_id = ""
        try:
            subject_id = subject_id_clean(kind, get("subject_id"))
        except ResultError as exc:
            self.error(number, "subject_id", get("subject_id"), str(exc))
        for column in ("number", "title", "subject_name"):
            if not get(column):
                self.error(number, column, "", "thiếu giá trị")
        name = source.resolve(get("file")) if get("file") else None
        if get("file") and name is None:
            self.error(number, "file", get("file"), "không có tệp này trong lô")
        if len(self.found) > before or unit is None or result_type is None or issued_on is None:
            return None
        assert name is not None  # noqa: S101 - checked above
        try:
            content = source.read(name)
        except EntryError as exc:
            self.error(number, "file", get("file"), str(exc))
            return None

        data = ResultInput(
            unit=unit,
            number_symbol=get("number"),
            issued_on=issued_on,
            title=get("title"),
            result_type=result_type,
            subject_id=subject_id,
            subject_name=get("subject_name"),
            subject_kind=kind,
            procedure=procedure,
            valid_until=dates["valid_until"],
            source_dossier_code=get("dossier"),
        )
        try:
            _check_file(content)
        except ResultError as exc:
            self.error(number, "file", get("file"), str(exc))
            return None
        sha = sha256_of(io.BytesIO(content))
        key = number_key(get("number"))
        if sha in self.shas:
            self.error(number, "file", get("file"), f"trùng tệp với dòng {self.shas[sha]}")
            return None
        if (unit.pk, key, issued_on) in self.numbers:
            other = self.numbers[unit.pk, key, issued_on]
            self.error(
                number, "number", get("number"), f"trùng số, ký hiệu và ngày với dòng {other}"
            )
            return None
        self.shas[sha] = number
        self.numbers[unit.pk, key, issued_on] = number
        return _Row(number, data, name, sha, key)


def _check_file(content: bytes) -> None:
    from .services import MAX_FILE_BYTES
    from .storage import sniff_content_type

    if not content:
        raise ResultError("tệp rỗng")
    if len(content) > MAX_FILE_BYTES:
        raise ResultError("tệp lớn hơn 50 MB")
    if sniff_content_type(content[:16]) is None:
        raise ResultError("chỉ nhận tệp PDF hoặc ảnh (JPEG, PNG, TIFF)")


def _against_store(rows: list[_Row], checker: _Checker, report: ResultImportReport) -> list[_Row]:
    """Rows not yet stored; already-stored ones are counted, conflicting ones are errors."""
    by_sha = {
        r.sha256: r
        for r in Result.objects.filter(sha256__in=[r.sha256 for r in rows]).only(
            "pk", "sha256", "unit_id", "number_key", "issued_on", "number_symbol", "title"
        )
    }
    keys = {r.key for r in rows}
    by_number = {}
    for start in range(0, len(keys), 5_000):
        part = list(keys)[start : start + 5_000]
        for r in Result.objects.filter(number_key__in=part).only(
            "pk", "sha256", "unit_id", "number_key", "issued_on", "number_symbol", "title"
        ):
            by_number[r.unit_id, r.number_key, r.issued_on] = r
    fresh = []
    for row in rows:
        same_file = by_sha.get(row.sha256)
        same_number = by_number.get((row.data.unit.pk, row.key, row.data.issued_on))
        if same_file is not None and same_number is not None and same_file.pk == same_number.pk:
            report.already_stored += 1
        elif same_file is not None:
            checker.error(
                row.number,
                "file",
                row.file,
                f"tệp này đã có trong kho là kết quả số {same_file.pk} "
                f"({same_file.number_symbol} ngày {same_file.issued_on:%d/%m/%Y})",
            )
        elif same_number is not None:
            checker.error(
                row.number,
                "number",
                row.data.number_symbol,
                f"đơn vị đã có kết quả số {same_number.pk} cùng số, ký hiệu và ngày ban hành "
                f"(“{same_number.title}”)",
            )
        else:
            fresh.append(row)
    return fresh


def _communes(rows: list[_Row]) -> dict[str, int]:
    return citizen_communes(
        [r.data.subject_id for r in rows if r.data.subject_kind == SubjectKind.CITIZEN]
    )


@dataclass
class _State:
    """One results import's own: the bundle, its history row, the checker, the rows."""

    source: Bundle
    batch: ResultImport | None = None
    checker: _Checker | None = None
    rows: list[_Row] = field(default_factory=list)


def _digest(path: Path) -> str:
    """Not hashed before it is opened: the batch's history row takes the zip's hash (a
    folder has none); a dry run (the web's check) does not hash it."""
    return ""


@contextmanager
def _open_bundle(r: Run) -> Iterator[Path]:
    """Open the zip or folder, record the batch's history row (not in a dry run: the web's
    check writes nothing), give the table inside it to read; on the way out (after the
    transaction, or an error) close the bundle and finish the history row: failed with
    the error's text, failed with the error file, or done."""
    report: ResultImportReport = r.report
    source = Bundle(r.path)
    state = _State(source)
    r.state = state
    if not r.dry_run:
        report.sha256 = file_sha256(r.path) if r.path.is_file() else ""
        state.batch = ResultImport.objects.create(
            source=str(r.path),
            sha256=report.sha256,
            user=r.user,
            status=ResultImport.Status.RUNNING,
        )
        report.batch_id = state.batch.pk
    batch = state.batch
    try:
        table = source.table_name()
        state.checker = _Checker(table, r.acting_user)
        with source.table_file(table) as table_path:
            yield table_path
        if batch is not None:
            batch.status = (
                ResultImport.Status.FAILED if report.error_count else ResultImport.Status.DONE
            )
    except Exception as exc:
        if batch is not None:
            batch.status, batch.message = ResultImport.Status.FAILED, str(exc)[:2000]
        raise
    finally:
        source.close()
        if batch is not None:
            _batch_finish(batch, report)


def _frames(
    path: Path, columns: Mapping[str, tuple[str, ...]], required: tuple[str, ...]
) -> Iterator[pl.DataFrame]:
    """The table's rows (read_table: CSV or XLSX, a missing column fails now), in frames of
    CHECK_ROWS rows: the row number, the problem of a row not read whole, every column
    ("" when the table has not got it)."""
    rows = primed(read_table(path, columns, required))
    keys = list(columns)

    def frames() -> Iterator[pl.DataFrame]:
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append((row.number, row.problem, *(row.get(k) for k in keys)))
            if len(batch) == CHECK_ROWS:
                yield _frame(batch, keys)
                batch = []
        if batch:
            yield _frame(batch, keys)

    return frames()


def _frame(rows: list[tuple[Any, ...]], keys: list[str]) -> pl.DataFrame:
    schema = {ROW: pl.Int64, PROBLEM: pl.String, **dict.fromkeys(keys, pl.String)}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _check(r: Run, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[RowError]]:
    """Check a chunk row by row (_Checker: the messages in the order the officer reads
    them, files read from the bundle); the rows to store are kept on the run's state."""
    state: _State = r.state
    checker = state.checker
    assert checker is not None  # noqa: S101 - set when the bundle was opened
    checker.found = []
    kept: list[int] = []
    for row in frame.iter_rows(named=True):
        number = row[ROW]
        if row[PROBLEM]:
            checker.found.append(RowError(checker.table, number, "", "", row[PROBLEM]))
            continue
        checked = checker.row(number, row, state.source)
        if checked is not None:
            state.rows.append(checked)
            kept.append(number)
    return pl.DataFrame({ROW: kept}, schema={ROW: pl.Int64}), checker.found


def _merge(r: Run, write: bool) -> None:
    """Compare the rows with the store (already stored: counted; conflicting: errors), then
    count and, when the batch has no error and this is no dry run, store them."""
    state: _State = r.state
    report: ResultImportReport = r.report
    checker = state.checker
    assert checker is not None  # noqa: S101 - set when the bundle was opened
    checker.found = []
    fresh = _against_store(state.rows, checker, report)
    for error in checker.found:
        r.errors.add(error)
    report.error_count = len(r.errors)
    report.errors = r.errors.first[:50]
    report.rows_rejected = report.error_count
    if report.error_count:
        report.refused_whole = True  # any error refuses the batch whole
        return
    if r.dry_run:
        report.created = len(fresh)
    elif write:
        assert state.batch is not None  # noqa: S101 - recorded when not a dry run
        _write(fresh, state.source, state.batch, r.acting_user, report, r.progress)


def _audit(r: Run) -> None:
    """The RESULTS_IMPORTED event is recorded by _write, inside the cleanup of the files it
    stored (a failure after it must remove them)."""


RESULTS_KIND = Kind(
    name="results",
    help="kết quả giải quyết TTHC số hóa: tệp zip hoặc thư mục kèm danh sách CSV",
    label=_("Digitized results: a zip of the files with their list (danh-sach.csv)"),
    columns=INPUT_COLUMNS,
    required=REQUIRED,
    report=ResultImportReport,
    check=_check,
    merge=_merge,
    audit=_audit,
    whole_only=True,
    personal_data=True,
    errors_what="results import errors",
    suffixes=(".zip",),
    reader=_frames,
    open_source=_open_bundle,
    digest=_digest,
)
# results_import(path, *, dry_run, acting_user, progress, errors_path) -> ResultImportReport
results_import = RESULTS_KIND.service()


def _batch_finish(batch: ResultImport, report: ResultImportReport) -> None:
    batch.rows_total = report.rows_read
    batch.created = report.created
    batch.already_stored = report.already_stored
    batch.rows_rejected = report.rows_rejected
    batch.error_file = str(report.error_file or "")
    batch.finished_at = timezone.now()
    batch.save()


def _write(
    rows: list[_Row],
    source: Bundle,
    batch: ResultImport,
    user: User | None,
    report: ResultImportReport,
    progress: Callable[[int], None] | None,
) -> None:
    """One transaction for the whole batch; files written first, removed on failure."""
    communes = _communes(rows)
    units = Unit.objects.in_bulk(set(communes.values()))
    written: list[str] = []
    now = timezone.now()
    try:
        with transaction.atomic():
            for start in range(0, len(rows), CHUNK):
                objects = []
                for row in rows[start : start + CHUNK]:
                    content = source.read(row.file)
                    commune = communes.get(row.data.subject_id)
                    row.data.subject_unit = units.get(commune) if commune else None
                    fields = result_fields(
                        row.data, content, PurePosixPath(row.file).name, find_commune=False
                    )
                    name, new = file_put(content, row.sha256, fields["content_type"])
                    if new:
                        written.append(name)
                    report.scans += fields["needs_review"]
                    objects.append(
                        Result(
                            **fields,
                            sha256=row.sha256,
                            file_name=name,
                            digitized_by=user if user is not None and user.pk else None,
                            digitized_at=now,
                            batch=batch,
                        )
                    )
                Result.objects.bulk_create(objects)
                report.created += len(objects)
                if progress is not None:
                    progress(report.rows_read + report.created)
            audit_event_record(
                AuditEvent.Type.RESULTS_IMPORTED,
                user=user,
                obj=batch,
                source=str(source.path),
                created=report.created,
                already_stored=report.already_stored,
                scans=report.scans,
            )
    except BaseException:
        for name in written:
            file_delete(name)
        report.created = report.scans = 0
        raise
