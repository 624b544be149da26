"""Importing an agency's staff list (Plan 383 II.1.a note, V.5.b, V.6).

`chiendich import staff FILE [--dry-run]`. The file names each row's agency in
the column "Mã cơ quan", so one file may carry one agency or several (a
department sending its own list and its schools' lists together).

Same shape as the police-list import: every row is checked (ID number with
leading zeros put back, a known category, an agency that exists, is an
organization and is within the acting user's units, no ID twice for one
agency), each problem is reported by row and column in an xlsx error file,
and the valid rows are written in one transaction.

A staff list has no date of its own: its agency codes are read as of the day of
the campaign's unit tree when one is given (`tree`), else the day of the import
(imports.dated), and with a tree an agency of an earlier tree is mapped through
lineage to the one in force that day (or refused by row when it has none).

A list is the agency's whole staff: importing it again replaces the agency's
list, and people no longer on it are removed. Removal happens only when the
file has no rejected row at all: a row with an error (or a mistyped agency
code) may be a person who is still on staff, and removing them would make the
agency's rate look better than it is. The summary says how many were removed,
or how many were kept for that reason. Importing the same file twice changes
nothing.

Set-based, like the dossier import (procedures.importing.bulk): the file is read as
polars frames, each distinct agency code and category resolved once, the ID numbers,
lengths and repeated IDs checked on whole columns (a row any rule may refuse goes
through StaffRowChecker.check, which words its errors). Every valid row is staged
while the file is read, before the transaction (procedures.importing.bulk.Stage: ADBC
into an attached scratch file on SQLite, COPY on PostgreSQL); the lists are compared
with the stored ones by joins, and the transaction inserts the staged rows no stored
row has with one INSERT ... SELECT, updates the changed ones with one UPDATE ... FROM
and removes with one DELETE, each agency key checked once on PostgreSQL
(bulk.keys_checked_once).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import polars as pl
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chiendich.accounts.models import AuditEvent, User
from chiendich.accounts.services import audit_event_record
from chiendich.core import clock, locks, xlsx
from chiendich.core.cells import CellError
from chiendich.core.tabular import (
    Row,
    RowError,
    RowErrorList,
    RowErrorLog,
)
from chiendich.imports import pipeline
from chiendich.imports.pipeline import PipelineReport, Run, run
from chiendich.procedures.importing.bulk import Key, Stage, keys_checked_once, page_cache
from chiendich.units.dated import MapProblem, TreeMap, pick
from chiendich.units.models import Kind, Unit
from chiendich.units.selectors import code_problem
from chiendich.vneid.importing.cells import parse_id_number, province_prefixes

from .cells import CATEGORY_TEXTS, REQUIRED, STAFF_COLUMNS, header, parse_category
from .models import StaffMember

# Not (yet) a choice of AuditEvent.Type; the accounts app owns that list.
STAFF_IMPORTED = AuditEvent.Type.STAFF_IMPORTED
PRELOAD_AFTER = 8  # distinct agency codes looked up one by one before reading all units
NAME_MAX = StaffMember._meta.get_field("full_name").max_length or 120
POSITION_MAX = StaffMember._meta.get_field("position").max_length or 200


class StaffRow(NamedTuple):
    """A row that passed every check."""

    row: int
    agency_id: int
    id_number: str
    full_name: str
    position: str
    category: str
    mapped_from: int  # the agency read, when mapped to the target tree's; 0 otherwise


@dataclass
class AgencyCounts:
    """What an import did (or would do) to one agency's list."""

    code: str
    name: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    kept: int = 0  # no longer listed, but kept because the file has rejected rows


@dataclass
class StaffImportReport(PipelineReport):
    """What a staff-list import read, rejected and wrote (or, in a dry run, would write)."""

    ids_repaired: int = 0
    agencies: dict[int, AgencyCounts] = field(default_factory=dict)

    def _total(self, name: str) -> int:
        return sum(getattr(a, name) for a in self.agencies.values())

    @property
    def created(self) -> int:
        return self._total("created")

    @property
    def updated(self) -> int:
        return self._total("updated")

    @property
    def unchanged(self) -> int:
        return self._total("unchanged")

    @property
    def removed(self) -> int:
        return self._total("removed")

    @property
    def kept(self) -> int:
        return self._total("kept")

    def summary_lines(self) -> list[str]:
        verb = "sẽ " if self.dry_run else ""
        lines = [
            *self.head_lines(),
            f"Số định danh được thêm lại số 0 ở đầu: {self.ids_repaired}",
            *self.mapping_lines(),
        ]
        for a in sorted(self.agencies.values(), key=lambda a: a.code):
            line = (
                f"{a.name} ({a.code}): {verb}thêm mới {a.created}; {verb}cập nhật {a.updated}; "
                f"không đổi {a.unchanged}; {verb}xoá khỏi danh sách {a.removed}"
            )
            if a.kept:
                line += f"; giữ lại {a.kept} người không còn trong tệp vì tệp còn dòng lỗi"
            lines.append(line)
        if self.kept:
            lines.append(
                "Danh sách chưa được thay thế hoàn toàn: sửa các dòng lỗi rồi nhập lại "
                "để xoá những người không còn trong danh sách."
            )
        return lines + self.error_line()


class StaffRowChecker:
    """Checks rows one by one, remembering the (agency, ID) pairs seen for duplicates.

    Agency codes are read as of `day` (the list's day: the target tree's, or the
    import's) and, with a target tree, mapped through lineage to it.
    """

    def __init__(
        self,
        file_name: str,
        errors: RowErrorLog,
        acting_user: User | None,
        *,
        day: dt.date | None = None,
        tree: TreeMap | None = None,
    ) -> None:
        self.file_name = file_name
        self.errors = errors
        self.repaired = 0
        self.seen: dict[tuple[int, str], int] = {}  # (agency, ID) -> first row
        # code text -> (unit, the agency read when mapped), or the problem
        self._agencies: dict[str, tuple[Unit, int] | str] = {}
        self._by_code: dict[str, list[Unit]] | None = None  # lower-cased code -> units
        self.tree = tree
        self.day = day or (tree.tree if tree is not None else clock.today())
        units = Unit.objects.all()
        self._allowed = units.restrict(acting_user, "change") if acting_user is not None else None
        self._allowed_ids: set[int] | None = None
        self.stage: Stage | None = None  # every valid row, staged for the merge (a real run)

    def agency(self, text: str) -> tuple[Unit, int] | str:
        """The organization unit coded `text` on the list's day (and the agency read, when
        it was mapped to the target tree), or the problem; once per distinct text."""
        found = self._agencies.get(text)
        if found is None:
            found = self._agencies[text] = self._agency(text)
        return found

    def _agency(self, text: str) -> tuple[Unit, int] | str:
        named = self._named(text)
        written = [u for u in named if u.gso_code.lower() == text.lower()]
        identity = next((u for u in named if u.code.lower() == text.lower()), None)
        unit = pick(written, identity, self.day)
        missing = f"không có cơ quan, đơn vị mã “{text}”"
        if unit is None and named:
            return f"{missing} vào ngày {self.day:%d/%m/%Y}: " + code_problem(
                written[0].gso_code, self.day, what="cơ quan, đơn vị"
            )
        mapped_from = 0
        if unit is not None and self.tree is not None and self._allows(unit):
            try:
                landed = self.tree.land(unit.pk)
            except MapProblem as exc:
                return exc.problem
            if landed != unit.pk:
                mapped_from, unit = unit.pk, self.tree.unit(landed)
        # Outside the user's units answers like a missing code: no existence leak.
        if unit is None or not self._allows(unit):
            return missing
        if unit.kind != Kind.ORGANIZATION:
            return (
                f"“{unit.name}” là đơn vị hành chính, không phải cơ quan, tổ chức; "
                "hãy ghi mã cơ quan (ví dụ 82-SGDDT)"
            )
        return unit, mapped_from

    def _named(self, text: str) -> list[Unit]:
        """The units whose code or GSO code is `text`, ignoring case, in tree order. A file
        of many agencies reads the unit table once, then looks codes up in memory."""
        if self._by_code is None and len(self._agencies) > PRELOAD_AFTER:
            self._by_code = defaultdict(list)
            for unit in Unit.objects.all():  # tree order, as the query below
                keys = {unit.code.lower(), unit.gso_code.lower()} - {""}
                for key in keys:
                    self._by_code[key].append(unit)
        if self._by_code is not None and text.isascii():
            return list(self._by_code.get(text.lower(), ()))
        return list(Unit.objects.filter(Q(code__iexact=text) | Q(gso_code__iexact=text)))

    def _allows(self, unit: Unit) -> bool:
        if self._allowed is None:
            return True
        if self._allowed_ids is None:  # the user's units, read once
            self._allowed_ids = set(self._allowed.values_list("pk", flat=True))
        return unit.pk in self._allowed_ids

    def check(self, row: Row) -> StaffRow | None:
        """The row as a StaffRow, or None after recording each of its errors."""
        if row.problem:
            self.errors.add(RowError(self.file_name, row.number, "", "", row.problem))
            return None
        problems: list[tuple[str, str, str]] = []
        get = row.get

        id_number = get("id_number")
        if not id_number:
            problems.append(("id_number", "", "thiếu số định danh cá nhân"))
        else:
            try:
                id_number, repaired = parse_id_number(id_number)
                self.repaired += repaired
            except CellError as exc:
                problems.append(("id_number", id_number, str(exc)))
                id_number = ""

        full_name = get("full_name")
        if not full_name:
            problems.append(("full_name", "", "thiếu họ và tên"))
        elif len(full_name) > NAME_MAX:
            problems.append(("full_name", full_name, f"họ và tên dài quá {NAME_MAX} ký tự"))

        position = get("position")
        if len(position) > POSITION_MAX:
            problems.append(("position", position, f"chức vụ dài quá {POSITION_MAX} ký tự"))

        category = ""
        text = get("category")
        if not text:
            problems.append(("category", "", "thiếu đối tượng"))
        else:
            try:
                category = parse_category(text).value
            except CellError as exc:
                problems.append(("category", text, str(exc)))

        agency: Unit | None = None
        mapped_from = 0
        text = get("agency_code")
        if not text:
            problems.append(("agency_code", "", "thiếu mã cơ quan"))
        else:
            found = self.agency(text)
            if isinstance(found, str):
                problems.append(("agency_code", text, found))
            else:
                agency, mapped_from = found

        if id_number and agency is not None:
            first = self.seen.setdefault((agency.pk, id_number), row.number)
            if first != row.number:
                problems.append(
                    (
                        "id_number",
                        get("id_number"),
                        f"trùng số định danh với dòng {first} (cùng cơ quan {agency.code})",
                    )
                )

        if problems:
            for key, value, problem in problems:
                self.errors.add(RowError(self.file_name, row.number, header(key), value, problem))
            return None
        assert agency is not None  # noqa: S101
        return StaffRow(
            row.number, agency.pk, id_number, full_name, position, category, mapped_from
        )


def staff_import(
    path: Path,
    *,
    dry_run: bool = False,
    acting_user: User | None = None,
    progress: Callable[[int], None] | None = None,
    errors_path: Path | None = None,
    tree: dt.date | None = None,
) -> StaffImportReport:
    """Import the staff list at `path` (CSV or XLSX), replacing each listed agency's staff.

    Rows with any error are rejected and listed in an error file (xlsx: Dòng, Cột,
    Giá trị, Lỗi; `errors_path`, by default beside the file). The valid rows are
    written in one transaction with one audit event; people no longer listed are
    removed only when no row was rejected (see the module docstring). Raises
    TabularError when the file cannot be read at all. `tree`: the day of the
    campaign's unit tree, to read the agency codes on and map them to (see above).
    The run is the import pipeline's (imports.pipeline.run over STAFF_KIND).
    """
    report: StaffImportReport = run(
        STAFF_KIND,
        path,
        dry_run=dry_run,
        acting_user=acting_user,
        progress=progress,
        errors_path=errors_path,
        tree=tree,
    )
    return report


# --- the kind's hooks ----------------------------------------------------------------------


def _start(r: Run) -> None:
    r.state = StaffRowChecker(r.report.file, r.errors, r.acting_user, tree=r.tree)


def _check(r: Run, chunk: pl.DataFrame) -> tuple[pl.DataFrame, list[RowError]]:
    valid, refused = _frame_check(r.state, chunk)
    if r.tree is not None:
        mapped = valid.filter(pl.col("mapped_from") != 0)
        for read_id, landed, n in mapped.group_by("mapped_from", "agency_id").len().iter_rows():
            r.tree.count(read_id, landed, n)
    return valid, refused


def _take(r: Run, valid: pl.DataFrame) -> list[RowError]:
    """Keep the chunk for the comparison and, in a real run, stage it (outside the
    transaction: on SQLite by ADBC into an attached scratch file, on PostgreSQL by COPY)."""
    r.valid.append(valid)
    stage = r.state.stage
    if stage is not None:
        stage.put(valid.select(_STAGE_NAMES))
    return []


@contextmanager
def _around(r: Run) -> Iterator[None]:
    """The staging table and SQLite's larger page cache, from the read to the merge."""
    if r.dry_run:
        yield
        return
    with Stage(STAGE, _STAGE_COLUMNS) as stage, page_cache():
        r.state.stage = stage
        try:
            yield
        finally:
            r.state.stage = None


def _merge(r: Run, write: bool) -> None:
    r.report.ids_repaired = r.state.repaired
    _apply(r.all_valid(_VALID_SCHEMA), r.report, write=write)


def _audit(r: Run) -> None:
    report: StaffImportReport = r.report
    audit_event_record(
        STAFF_IMPORTED,
        user=r.acting_user,
        unit=Unit.objects.get(pk=next(iter(report.agencies)))
        if len(report.agencies) == 1
        else None,
        agencies=sorted(a.code for a in report.agencies.values()),
        **r.audit_fields(),
        created=report.created,
        updated=report.updated,
        removed=report.removed,
        kept=report.kept,
        **r.tree_fields(),
    )


_VALID_SCHEMA = {
    "_row": pl.Int64,
    "agency_id": pl.Int64,
    "id_number": pl.String,
    "full_name": pl.String,
    "position": pl.String,
    "category": pl.String,
    "mapped_from": pl.Int64,
}


def _valid_frame(rows: list[StaffRow]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=_VALID_SCHEMA, orient="row")


def _frame_check(
    checker: StaffRowChecker, frame: pl.DataFrame
) -> tuple[pl.DataFrame, list[RowError]]:
    """The rows of `frame` that pass every check (_VALID_SCHEMA) and the errors of the
    others, in row order: checker.check's rules on whole columns, each distinct agency
    code and category once; a row any rule may refuse goes through check itself."""

    def once(column: str, resolve: Callable[[str], object]) -> tuple[list[str], list[object]]:
        texts = frame[column].unique().to_list()
        return texts, [resolve(t) for t in texts]

    def category(text: str) -> str | None:
        try:
            return parse_category(text).value
        except CellError:
            return None

    texts, found = once("agency_code", lambda t: checker.agency(t) if t else "")
    agency_id = [f[0].pk if isinstance(f, tuple) else None for f in found]
    mapped_from = [f[1] if isinstance(f, tuple) else None for f in found]
    categories = once("category", lambda t: category(t) if t else None)

    # The ID as stored: 12 digits of a known province as written; any other text through
    # parse_id_number (zeros put back), row by row: they are few.
    written = pl.col("id_number")
    exact = written.str.contains(r"^[0-9]{12}$") & written.str.slice(0, 3).is_in(
        sorted(province_prefixes())
    )
    out = frame.with_columns(
        agency_id=frame["agency_code"].replace_strict(texts, agency_id, return_dtype=pl.Int64),
        mapped_from=frame["agency_code"].replace_strict(texts, mapped_from, return_dtype=pl.Int64),
        category_v=frame["category"].replace_strict(*categories, return_dtype=pl.String),
        exact=exact,
    )
    others = out.filter(~pl.col("exact") & (written != ""))
    if others.height:
        repaired: list[str | None] = []
        for text in others["id_number"].to_list():
            try:
                repaired.append(parse_id_number(text)[0])
            except CellError:
                repaired.append(None)
        fixes = others.select("_row").with_columns(id_key=pl.Series(repaired, dtype=pl.String))
        out = out.join(fixes, on="_row", how="left", maintain_order="left").with_columns(
            id_key=pl.when(pl.col("exact")).then(written).otherwise(pl.col("id_key"))
        )
    else:
        out = out.with_columns(id_key=pl.when(pl.col("exact")).then(written))

    # Repeated (agency, ID): every row read whole with a valid ID and a found agency takes
    # its place in `seen`, in row order; the first row of each pair stays.
    eligible = out.filter(
        (pl.col("_problem") == "")
        & pl.col("id_key").is_not_null()
        & pl.col("agency_id").is_not_null()
    )
    seen = checker.seen.setdefault
    repeated = [
        row
        for row, agency, id_key in eligible.select("_row", "agency_id", "id_key").iter_rows()
        if seen((agency, id_key), row) != row
    ]

    name, position = pl.col("full_name"), pl.col("position")
    passes = pl.all_horizontal(
        pl.col("_problem") == "",
        pl.col("exact"),
        ~pl.col("_row").is_in(repeated),
        (name != "") & (name.str.len_chars() <= NAME_MAX),
        position.str.len_chars() <= POSITION_MAX,
        pl.col("category_v").is_not_null(),
        pl.col("agency_id").is_not_null(),
    ).fill_null(value=False)
    out = out.with_columns(_passes=passes)
    valid = out.filter(pl.col("_passes")).select(
        "_row",
        "agency_id",
        "id_number",
        "full_name",
        "position",
        pl.col("category_v").alias("category"),
        "mapped_from",
    )
    rest = out.filter(~pl.col("_passes")).select(frame.columns)
    collect = RowErrorList()
    if rest.height:
        sink, checker.errors = checker.errors, collect  # type: ignore[assignment]
        keys = [c for c in frame.columns if c not in ("_row", "_problem")]
        passed = []
        try:
            for values in rest.iter_rows():
                cells = dict(zip(keys, values[2:], strict=True))
                checked = checker.check(Row(values[0], cells if not values[1] else {}, values[1]))
                if checked is not None:
                    passed.append(checked)
        finally:
            checker.errors = sink
        if passed:
            valid = pl.concat([valid, _valid_frame(passed)]).sort("_row")
    return valid, collect.found


STAGE = "chiendich_staff_stage"
STAFF = StaffMember._meta.db_table
# Every valid row is staged before the transaction (see _take).
_STAGE_COLUMNS = [
    ("agency_id", "bigint"),
    ("id_number", "varchar(12)"),
    ("full_name", "varchar(120)"),
    ("position", "varchar(200)"),
    ("category", "varchar(20)"),
]
_STAGE_NAMES = [name for name, _ in _STAGE_COLUMNS]


def _agencies_lock(agency_ids: list[int]) -> None:
    """On PostgreSQL, one staff-list import per agency at a time, until the transaction
    ends: taken before the stored lists are read, so an import of the same agency
    committing meanwhile is waited for and then read, instead of its new people being
    counted as created here (or refused by the unique constraint). In id order, so two
    imports of several agencies cannot deadlock."""
    for agency_id in sorted(agency_ids):
        locks.xact_lock(locks.STAFF_AGENCY, agency_id)


def _apply(valid: pl.DataFrame, report: StaffImportReport, *, write: bool) -> None:
    """Compare each agency's rows with its stored list; write the difference if `write`."""
    remove_missing = report.rows_rejected == 0
    order = valid.group_by("agency_id").agg(pl.col("_row").min()).sort("_row")["agency_id"]
    agency_ids = order.to_list()
    if write:
        _agencies_lock(agency_ids)
    units = Unit.objects.in_bulk(agency_ids)
    stored = pl.DataFrame(
        list(
            StaffMember.objects.filter(agency_id__in=agency_ids).values_list(
                "pk", "agency_id", "id_number", "full_name", "position", "category"
            )
        ),
        schema={
            "pk": pl.Int64,
            "agency_id": pl.Int64,
            "id_number": pl.String,
            "old_name": pl.String,
            "old_position": pl.String,
            "old_category": pl.String,
        },
        orient="row",
    )
    joined = valid.join(stored, on=["agency_id", "id_number"], how="left", maintain_order="left")
    new = joined.filter(pl.col("pk").is_null())
    same = (
        (pl.col("full_name") == pl.col("old_name"))
        & (pl.col("position") == pl.col("old_position"))
        & (pl.col("category") == pl.col("old_category"))
    )
    known = joined.filter(pl.col("pk").is_not_null())
    changed = known.filter(~same)
    gone = stored.join(valid, on=["agency_id", "id_number"], how="anti")

    def per_agency(rows: pl.DataFrame) -> dict[int, int]:
        return dict(rows.group_by("agency_id").len().iter_rows()) if rows.height else {}

    created, updated = per_agency(new), per_agency(changed)
    unchanged, leftover = per_agency(known.filter(same)), per_agency(gone)
    for agency_id in agency_ids:
        unit = units[agency_id]
        counts = report.agencies[agency_id] = AgencyCounts(unit.code, unit.name)
        counts.created = created.get(agency_id, 0)
        counts.updated = updated.get(agency_id, 0)
        counts.unchanged = unchanged.get(agency_id, 0)
        # What is stored and not in the file is no longer on the list.
        if remove_missing:
            counts.removed = leftover.get(agency_id, 0)
        else:
            counts.kept = leftover.get(agency_id, 0)
    if not write or not (new.height or changed.height or (remove_missing and gone.height)):
        return
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    # The staged rows are every valid row (their (agency, ID) once each): the new ones are
    # those with no stored row of the same agency and ID, the changed ones those whose
    # name, position or category differs; the same rows the frames above counted.
    keys = [Key(STAFF, "agency_id", Unit._meta.db_table, f"SELECT DISTINCT agency_id FROM {STAGE}")]  # noqa: S608
    with keys_checked_once(keys), connection.cursor() as cursor:
        if new.height:
            cursor.execute(
                f"INSERT INTO {STAFF} (agency_id, id_number, full_name, position, category,"  # noqa: S608
                " created_at, updated_at)"
                f" SELECT agency_id, id_number, full_name, position, category, %s, %s"
                f" FROM {STAGE} AS s WHERE NOT EXISTS (SELECT 1 FROM {STAFF} AS m"
                " WHERE m.agency_id = s.agency_id AND m.id_number = s.id_number)"
                " ORDER BY s.seq",
                [now, now],
            )
        if changed.height:
            cursor.execute(
                f"UPDATE {STAFF} SET full_name = s.full_name, position = s.position,"  # noqa: S608
                f" category = s.category, updated_at = %s FROM {STAGE} AS s"
                f" WHERE {STAFF}.agency_id = s.agency_id AND {STAFF}.id_number = s.id_number"
                f" AND ({STAFF}.full_name <> s.full_name OR {STAFF}.position <> s.position"
                f" OR {STAFF}.category <> s.category)",
                [now],
            )
        if remove_missing and gone.height:
            ids = gone["pk"].to_list()
            for start in range(0, len(ids), 5_000):
                part = ids[start : start + 5_000]
                cursor.execute(
                    f"DELETE FROM {STAFF} WHERE id IN ({', '.join(['%s'] * len(part))})",  # noqa: S608
                    part,
                )


# --- template ----------------------------------------------------------------------------

TEMPLATE_KEYS = ["id_number", "full_name", "position", "category", "agency_code"]
EXAMPLE_ROWS = [
    ["082085000123", "Nguyễn Văn An", "Phó Giám đốc", "Công chức", "82-STTTT"],
    ["082190000456", "Trần Thị Bình", "Giáo viên Toán", "Giáo viên", "82-SGDDT"],
]
_GUIDE: dict[str, tuple[str, str]] = {
    "id_number": (
        "Bắt buộc",
        "12 chữ số. Nếu Excel làm mất số 0 ở đầu (82… thay vì 082…), hệ thống tự thêm lại. "
        "Mỗi người chỉ một dòng trong danh sách của một cơ quan.",
    ),
    "full_name": ("Bắt buộc", "Họ và tên đầy đủ, có dấu."),
    "position": ("Không bắt buộc", "Chức vụ, chức danh."),
    "category": (
        "Bắt buộc",
        "Một trong: " + ", ".join(texts[0] for texts in CATEGORY_TEXTS.values()) + ".",
    ),
    "agency_code": (
        "Bắt buộc",
        "Mã cơ quan, đơn vị trong danh mục (ví dụ 82-SGDDT, 815-CA). Một tệp có thể gồm "
        "nhiều cơ quan. Nhập lại danh sách của một cơ quan sẽ thay thế danh sách cũ: người "
        "không còn trong tệp bị xoá (chỉ khi tệp không còn dòng lỗi).",
    ),
}


def staff_template_xlsx() -> bytes:
    """The staff-list template: canonical headers, example rows, and a guide sheet."""
    book, guide = xlsx.template_workbook(
        "Danh sách cán bộ",
        [header(k) for k in TEMPLATE_KEYS],
        EXAMPLE_ROWS,
        ["Cột", "Bắt buộc", "Cách ghi"],
    )
    for key in TEMPLATE_KEYS:
        need, how = _GUIDE[key]
        xlsx.append(guide, [header(key), need, how])
    return xlsx.template_bytes(book, guide, (24, 16, 90))


STAFF_KIND = pipeline.Kind(
    name="staff",
    help="danh sách cán bộ, công chức, viên chức, giáo viên, công nhân của cơ quan",
    label=_("Agency staff list"),
    columns=STAFF_COLUMNS,
    required=REQUIRED,
    report=StaffImportReport,
    start=_start,
    check=_check,
    take=_take,
    around=_around,
    merge=_merge,
    audit=_audit,
    template="chiendich.staff.importing.staff_template_xlsx",
    errors_what="staff import errors",
    takes_tree=True,
)
