"""`chiendich import hamlets|organizations FILE`: the unit tree's own lists (hamlets and
organizations) as kinds of the import pipeline, from the command line and the web import
page.

Declarations, not copies of an importer: each declares its columns, its check of a chunk
of rows and its merge; the pipeline reads (CSV or XLSX), counts, writes the error file,
records the audit and gives the command (`chiendich import hamlets FILE [--tree DAY]`),
the web job (upload, check, confirm, progress) and the template.

Both are reference data, written whole or not at all (`whole_only`), as before: a file
with any rejected row writes nothing, and its error file lists every problem of every
row. Units are read as in force on the import's tree day (`--tree`; the web: today, for
an officer of today's tree), default today. An officer imports only for the units they
may change: a commune's hamlets, or an organization under a territorial unit of theirs.

Idempotent: a second import of the same file changes nothing and writes nothing (the
audit event too is recorded only when a unit was created or updated: it moves the
tree's data version, web/stored.py).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from chiendich.accounts.context import acting_as
from chiendich.accounts.models import AuditEvent
from chiendich.accounts.services import audit_event_record
from chiendich.core import clock, xlsx
from chiendich.core.frames import PROBLEM, ROW
from chiendich.core.numbers import vn_number
from chiendich.core.tabular import RowError
from chiendich.core.text import fold
from chiendich.imports import pipeline
from chiendich.imports.pipeline import PipelineReport, Run

from .dated import MapProblem
from .lineage import successor_paths_refresh
from .models import PATH_SEPARATOR, Kind, Level, Unit, UnitType
from .selectors import code_problem, example_commune, units_at
from .services import Outcomes, unit_upsert
from .splits import OUT_OF_SCOPE

CODE_MAX = 40  # a code as written (the identity adds the tree's suffix)

HAMLET_COLUMNS = {
    "commune_code": ["Mã xã", "Ma xa", "commune_code", "Mã đơn vị hành chính cấp xã"],
    "name": ["Tên ấp/khu phố", "Ấp/Khu phố", "hamlet_name", "Tên"],
    "code": ["Mã ấp/khu phố", "Mã ấp", "hamlet_code", "Mã"],
}
ORGANIZATION_COLUMNS = {
    "code": ["Mã đơn vị", "Mã tổ chức", "code"],
    "name": ["Tên đơn vị", "Tên tổ chức", "name"],
    "type": ["Loại", "type"],
    "level": ["Cấp", "level"],
    "parent_code": ["Mã đơn vị hành chính", "Trực thuộc địa bàn", "parent_code"],
}

_ORG_TYPES = (
    UnitType.DEPARTMENT,
    UnitType.MASS_ORGANIZATION,
    UnitType.PEOPLES_COMMITTEE,
    UnitType.POLICE,
    UnitType.SCHOOL,
    UnitType.INDUSTRIAL_ZONE,
    UnitType.ENTERPRISE,
    UnitType.OTHER_ORGANIZATION,
)
_LEVEL_WORDS = {
    "tinh": Level.PROVINCE,
    "province": Level.PROVINCE,
    "huyen": Level.DISTRICT,
    "district": Level.DISTRICT,
    "xa": Level.COMMUNE,
    "commune": Level.COMMUNE,
    "ap": Level.HAMLET,
    "hamlet": Level.HAMLET,
}


# --- the report -----------------------------------------------------------------------------


@dataclass
class UnitsImportReport(PipelineReport, Outcomes):
    """What a hamlet or organization import read, rejected and wrote (or, in a dry run,
    would write), by outcome and by unit type."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    read_on: dt.date | None = None  # the day the file's unit codes were read on
    what: str = "đơn vị"

    def summary_lines(self) -> list[str]:
        n = vn_number
        verb = "sẽ " if self.dry_run else ""
        lines = self.head_lines()
        if self.tree is None and self.read_on is not None:
            lines.append(f"Mã đơn vị đọc theo địa giới có hiệu lực ngày {self.read_on:%d/%m/%Y}")
        lines += self.mapping_lines()
        if self.refused_whole:
            lines.append(
                "Danh sách chỉ được nạp khi mọi dòng hợp lệ: sửa các dòng lỗi rồi nhập lại; "
                "chưa ghi gì vào cơ sở dữ liệu."
            )
        else:
            with translation.override("vi"):
                types = ", ".join(
                    f"{UnitType(t).label}: {n(c)}" for t, c in sorted(self.by_type.items())
                )
            lines.append(
                f"{self.what.capitalize()} {verb}thêm mới: {n(self.created)}; {verb}cập nhật: "
                f"{n(self.updated)}; không đổi: {n(self.unchanged)}"
                + (f" ({types})" if types else "")
            )
        return lines + self.error_line()


def _read_on(r: Run) -> dt.date:
    day: dt.date = r.report.tree or clock.today()
    r.report.read_on = day
    return day


def _land(r: Run, unit: Unit) -> Unit | str:
    """The unit of the import's tree that `unit` (read on the tree's day, or an earlier
    tree's by its code) is or became, or why it cannot be told (a split commune, a
    district after the reform)."""
    if r.tree is None:
        return unit
    try:
        return r.tree.unit(r.tree.land(unit.pk))
    except MapProblem as exc:
        return exc.problem


def _landed(r: Run, codes: list[str], found: dict[str, Unit]) -> list[tuple[Unit | None, Any]]:
    """For each code: (the unit it was read as, what `_land` made of it), (None, None)
    when it names none."""
    out: list[tuple[Unit | None, Any]] = []
    for code in codes:
        read = found.get(code)
        out.append((read, _land(r, read) if read is not None else None))
    return out


def _taken(codes: list[str], units: list[Any]) -> dict[str, Unit]:
    """The stored units holding the identities the rows' codes would take (the code plus
    its unit's tree suffix)."""
    identities = {
        code + (unit.tree_suffix if isinstance(unit, Unit) else "")
        for code, unit in zip(codes, units, strict=True)
        if code
    }
    return {u.code: u for u in Unit.objects.filter(code__in=identities)}


def _in_scope(r: Run, unit: Unit) -> bool:
    scope = r.scope
    return scope is None or unit.pk in scope


def _code_problem(code: str) -> str:
    if PATH_SEPARATOR in code or len(code) > CODE_MAX:
        return "mã không hợp lệ"
    return ""


def _whole_rows(r: Run, frame: pl.DataFrame) -> tuple[list[dict[str, Any]], list[RowError]]:
    """The frame's rows that were read whole, and an error for each that was not (cut
    short, badly quoted)."""
    rows, errors = [], []
    for row in frame.iter_rows(named=True):
        if row[PROBLEM]:
            errors.append(RowError(r.report.file, row[ROW], "", "", row[PROBLEM]))
        else:
            rows.append(row)
    return rows, errors


# --- hamlets --------------------------------------------------------------------------------


@dataclass
class _Hamlets:
    """What the hamlets' check remembers across chunks."""

    day: dt.date
    communes: dict[str, Unit] = field(default_factory=dict)  # code as written -> commune
    looked_up: set[str] = field(default_factory=set)
    names: dict[tuple[Any, str], int] = field(default_factory=dict)  # (commune, name) -> row
    codes: dict[str, int] = field(default_factory=dict)  # code -> first row


HAMLETS_SCHEMA = {ROW: pl.Int64, "commune_id": pl.Int64, "name": pl.String, "code": pl.String}


def _hamlets_start(r: Run) -> None:
    r.state = _Hamlets(day=_read_on(r))
    r.report.what = "ấp/khu phố"


def _hamlet_type(name: str, commune: Unit) -> str:
    folded = fold(name)
    if folded.startswith("khu pho"):
        return UnitType.QUARTER
    if folded.startswith("ap"):
        return UnitType.HAMLET
    return UnitType.QUARTER if commune.type == UnitType.WARD else UnitType.HAMLET


def _hamlets_check(r: Run, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[RowError]]:
    """Every problem of every row, in column order: the commune (missing, unknown on the
    day, outside the user's units), the name (missing, repeated in its commune, compared
    without case or diacritics), the code (invalid, repeated, taken by a unit elsewhere)."""
    s: _Hamlets = r.state
    file = r.report.file
    rows, errors = _whole_rows(r, frame)
    wanted = {row["commune_code"] for row in rows if row["commune_code"]} - s.looked_up
    s.communes.update(units_at(wanted, s.day, level=Level.COMMUNE, kind=Kind.TERRITORIAL))
    s.looked_up |= wanted
    landed = _landed(r, [row["commune_code"] for row in rows], s.communes)
    taken = _taken([row["code"] for row in rows], [unit for _, unit in landed])
    valid = []
    for row, (read, unit) in zip(rows, landed, strict=True):
        number, before = row[ROW], len(errors)
        commune_code, name, code = row["commune_code"], row["name"], row["code"]
        commune = unit if isinstance(unit, Unit) else None

        def error(column: str, value: str, problem: str, number: int = number) -> None:
            errors.append(RowError(file, number, column, value, problem))

        if not commune_code:
            error("Mã xã", "", "thiếu mã xã")
        elif read is None:
            what = "xã/phường/thị trấn"
            problem = code_problem(commune_code, s.day, what=what, level=Level.COMMUNE)
            error("Mã xã", commune_code, problem)
        elif commune is None:
            error("Mã xã", commune_code, str(unit))
        elif not _in_scope(r, commune):
            error("Mã xã", commune_code, f"xã này {OUT_OF_SCOPE}")
        if not name:
            error("Tên ấp/khu phố", "", "thiếu tên ấp/khu phố")
        else:
            # In the commune it lands in: two old communes merged into one may not
            # both bring an "Ấp 1".
            where = commune.pk if commune is not None else commune_code
            first = s.names.setdefault((where, fold(name)), number)
            if first != number:
                error("Tên ấp/khu phố", name, f"trùng với dòng {first}")
        if code:
            if problem := _code_problem(code):
                error("Mã ấp/khu phố", code, problem)
            first = s.codes.setdefault(code, number)
            if first != number:
                error("Mã ấp/khu phố", code, f"trùng mã với dòng {first}")
            clash = taken.get(code + (commune.tree_suffix if commune else ""))
            if clash is not None and clash.parent_id != (commune.pk if commune else None):
                error("Mã ấp/khu phố", code, f"mã đã dùng cho “{clash}”")
        if len(errors) == before and commune is not None and read is not None:
            if r.tree is not None and read.pk != commune.pk:
                r.tree.count(read.pk, commune.pk)
            valid.append((number, commune.pk, name, code))
    return pl.DataFrame(valid, schema=HAMLETS_SCHEMA, orient="row"), errors


def _next_hamlet_code(commune: Unit, known: dict[str, Unit]) -> str:
    """The next free "<commune code>-<nn>" (as written; its identity adds the tree suffix)."""
    taken = {h.gso_code for h in known.values()}
    n = len(known) + 1
    while (
        f"{commune.gso_code}-{n:02d}" in taken
        or Unit.objects.filter(code=f"{commune.gso_code}-{n:02d}{commune.tree_suffix}").exists()
    ):
        n += 1
    return f"{commune.gso_code}-{n:02d}"


def _hamlets_merge(r: Run, write: bool) -> None:
    """Create or update each hamlet (through the change log), matched by its code or, with
    none, by its commune and name; a new one without a code gets "<commune>-<nn>". A dry
    run works out the same outcomes, codes included, and writes nothing."""
    report: UnitsImportReport = r.report
    frame = r.all_valid(HAMLETS_SCHEMA).sort(ROW)
    communes = Unit.objects.in_bulk(frame["commune_id"].unique().to_list())
    existing: dict[int, dict[str, Unit]] = {}
    with acting_as(r.acting_user, origin="command" if r.acting_user is None else "web"):
        for _row, commune_id, name, code in frame.iter_rows():
            commune = communes[commune_id]
            known = existing.get(commune_id)
            if known is None:
                known = existing[commune_id] = {
                    fold(h.name): h for h in Unit.objects.filter(parent=commune, level=Level.HAMLET)
                }
            code = code or (known[fold(name)].gso_code if fold(name) in known else "")
            if not code:
                code = _next_hamlet_code(commune, known)
            unit, outcome = unit_upsert(
                code=code + commune.tree_suffix,
                gso_code=code,
                name=name,
                unit_type=_hamlet_type(name, commune),
                level=Level.HAMLET,
                parent=commune,
                source=report.file,
                write=write,
            )
            known[fold(unit.name)] = unit
            report.add(outcome, unit.type)
        if write and (report.created or report.updated):
            successor_paths_refresh()


def _hamlets_audit(r: Run) -> None:
    _audit(r, AuditEvent.Type.HAMLETS_IMPORTED)


def _audit(r: Run, kind: str) -> None:
    report: UnitsImportReport = r.report
    if report.created or report.updated:  # an import that changed nothing writes nothing
        audit_event_record(
            kind,
            user=r.acting_user,
            **r.audit_fields(),
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            read_on=report.read_on.isoformat() if report.read_on else None,
        )


HAMLETS_KIND = pipeline.Kind(
    name="hamlets",
    split_hint="ghi mã xã/phường mới mà ấp, khu phố này thuộc về",
    help="danh sách ấp, khu phố của xã, phường (mã xã, tên ấp/khu phố, mã ấp nếu có)",
    label=_("Hamlets and urban quarters"),
    columns=HAMLET_COLUMNS,
    required=["commune_code", "name"],
    report=UnitsImportReport,
    check=_hamlets_check,
    start=_hamlets_start,
    merge=_hamlets_merge,
    audit=_hamlets_audit,
    template="chiendich.units.importing.hamlets_template_xlsx",
    personal_data=False,
    whole_only=True,
    takes_tree=True,
)
hamlets_service = HAMLETS_KIND.service()


# --- organizations --------------------------------------------------------------------------


@dataclass
class _Organizations:
    day: dt.date
    parents: dict[str, Unit] = field(default_factory=dict)
    looked_up: set[str] = field(default_factory=set)
    codes: dict[str, int] = field(default_factory=dict)


ORGANIZATIONS_SCHEMA = {
    ROW: pl.Int64,
    "code": pl.String,
    "name": pl.String,
    "type": pl.String,
    "level": pl.String,
    "parent_id": pl.Int64,
}


def _organizations_start(r: Run) -> None:
    r.state = _Organizations(day=_read_on(r))
    r.report.what = "tổ chức"


def _org_type(text: str) -> str | None:
    """An organization type from its code or its name in Vietnamese or English."""
    folded = fold(text)
    for t in _ORG_TYPES:
        names = {t.value}
        for language in ("vi", "en"):
            with translation.override(language):
                names.add(fold(str(t.label)))
        if folded in names:
            return t.value
    return None


def _organizations_check(r: Run, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[RowError]]:
    """Every problem of every row, in column order: the code (missing, invalid, repeated,
    a territorial unit's), the name, the type, the level, and the territorial unit it
    belongs to (unknown on the day, or outside the user's units)."""
    s: _Organizations = r.state
    file = r.report.file
    rows, errors = _whole_rows(r, frame)
    wanted = {row["parent_code"] for row in rows if row["parent_code"]} - s.looked_up
    s.parents.update(units_at(wanted, s.day, kind=Kind.TERRITORIAL))
    s.looked_up |= wanted
    landed = _landed(r, [row["parent_code"] for row in rows], s.parents)
    taken = _taken([row["code"] for row in rows], [unit for _, unit in landed])
    types = {text: _org_type(text) for text in {row["type"] for row in rows}}
    valid = []
    for row, (read, unit) in zip(rows, landed, strict=True):
        number, before = row[ROW], len(errors)
        code, name, parent_code = row["code"], row["name"], row["parent_code"]
        unit_type = types[row["type"]]
        level = _LEVEL_WORDS.get(fold(row["level"]).replace("cap ", ""))
        parent = unit if isinstance(unit, Unit) else None

        def error(column: str, value: str, problem: str, number: int = number) -> None:
            errors.append(RowError(file, number, column, value, problem))

        if not code or _code_problem(code):
            error("Mã đơn vị", code, "mã trống hoặc không hợp lệ")
        else:
            first = s.codes.setdefault(code, number)
            if first != number:
                error("Mã đơn vị", code, f"trùng với dòng {first}")
        if not name:
            error("Tên đơn vị", "", "thiếu tên")
        if unit_type is None:
            error("Loại", row["type"], "loại tổ chức không hợp lệ")
        if level is None:
            error("Cấp", row["level"], "cấp phải là tỉnh, huyện hoặc xã")
        if read is None:
            what = "đơn vị hành chính"
            error("Mã đơn vị hành chính", parent_code, code_problem(parent_code, s.day, what=what))
        elif parent is None:
            error("Mã đơn vị hành chính", parent_code, str(unit))
        elif not _in_scope(r, parent):
            error("Mã đơn vị hành chính", parent_code, f"đơn vị này {OUT_OF_SCOPE}")
        existing = taken.get(code + (parent.tree_suffix if parent else "")) if code else None
        if existing is not None and existing.kind != Kind.ORGANIZATION:
            error("Mã đơn vị", code, f"mã đã dùng cho “{existing}”")
        if len(errors) == before and parent is not None and read is not None:
            if r.tree is not None and read.pk != parent.pk:
                r.tree.count(read.pk, parent.pk)
            valid.append((number, code, name, unit_type, level, parent.pk))
    return pl.DataFrame(valid, schema=ORGANIZATIONS_SCHEMA, orient="row"), errors


def _organizations_merge(r: Run, write: bool) -> None:
    """Create or update each organization by its code (through the change log), attached
    to its territorial unit and level. A dry run works out the same outcomes."""
    report: UnitsImportReport = r.report
    frame = r.all_valid(ORGANIZATIONS_SCHEMA).sort(ROW)
    parents = Unit.objects.in_bulk(frame["parent_id"].unique().to_list())
    with acting_as(r.acting_user, origin="command" if r.acting_user is None else "web"):
        for _row, code, name, unit_type, level, parent_id in frame.iter_rows():
            parent = parents[parent_id]
            _, outcome = unit_upsert(
                code=code + parent.tree_suffix,
                gso_code=code,
                name=name,
                unit_type=unit_type,
                level=level,
                parent=parent,
                kind=Kind.ORGANIZATION,
                source=report.file,
                write=write,
            )
            report.add(outcome, unit_type)
        if write and (report.created or report.updated):
            successor_paths_refresh()


def _organizations_audit(r: Run) -> None:
    _audit(r, AuditEvent.Type.ORGANIZATIONS_IMPORTED)


ORGANIZATIONS_KIND = pipeline.Kind(
    name="organizations",
    help="danh sách cơ quan, tổ chức (mã, tên, loại, cấp, mã đơn vị hành chính trực thuộc)",
    label=_("Agencies and organizations"),
    columns=ORGANIZATION_COLUMNS,
    required=["code", "name", "type", "level", "parent_code"],
    report=UnitsImportReport,
    check=_organizations_check,
    start=_organizations_start,
    merge=_organizations_merge,
    audit=_organizations_audit,
    template="chiendich.units.importing.organizations_template_xlsx",
    personal_data=False,
    whole_only=True,
    takes_tree=True,
)
organizations_service = ORGANIZATIONS_KIND.service()


# --- templates ------------------------------------------------------------------------------


def hamlets_template_xlsx(user: Any = None) -> bytes:
    """The hamlets' template: canonical headers, example rows in the downloading user's
    commune, and a guide sheet."""
    commune = example_commune(user)
    code = commune.gso_code if commune is not None else "28249"
    book, guide = xlsx.template_workbook(
        "Ấp, khu phố",
        [HAMLET_COLUMNS[k][0] for k in HAMLET_COLUMNS],
        [[code, "Ấp Tân Hòa", ""], [code, "Khu phố 2", f"{code}-02"]],
        ["Cột", "Bắt buộc", "Cách ghi", "Tên cột khác được chấp nhận"],
    )
    for key, (need, how) in {
        "commune_code": (
            "Bắt buộc",
            "Mã xã/phường (mã đơn vị hành chính 5 chữ số) đang có hiệu lực.",
        ),
        "name": (
            "Bắt buộc",
            "Tên ấp hoặc khu phố, có chữ “Ấp” hoặc “Khu phố”; mỗi tên một lần trong một xã "
            "(không phân biệt hoa thường, có dấu hay không dấu).",
        ),
        "code": (
            "Không bắt buộc",
            f"Mã ấp/khu phố, tối đa {CODE_MAX} ký tự, không có dấu “/”. Để trống: ấp đã có "
            "được nhận theo tên; ấp mới được cấp mã “<mã xã>-<số thứ tự>”.",
        ),
    }.items():
        xlsx.append(guide, [HAMLET_COLUMNS[key][0], need, how, "; ".join(HAMLET_COLUMNS[key][1:])])
    xlsx.append(
        guide,
        ["", "", "Danh sách chỉ được nạp khi mọi dòng hợp lệ. Ấp không có trong tệp được giữ lại."],
    )
    return xlsx.template_bytes(book, guide, (24, 16, 80, 40))


def organizations_template_xlsx(user: Any = None) -> bytes:
    """The organizations' template: canonical headers, example rows under the
    downloading user's commune, and a guide sheet naming every type."""
    commune = example_commune(user)
    code = commune.gso_code if commune is not None else "28249"
    book, guide = xlsx.template_workbook(
        "Cơ quan, tổ chức",
        [ORGANIZATION_COLUMNS[k][0] for k in ORGANIZATION_COLUMNS],
        [[f"{code}-CA", "Công an xã", "Công an", "xã", code]],
        ["Cột", "Bắt buộc", "Cách ghi", "Tên cột khác được chấp nhận"],
    )
    with translation.override("vi"):
        types = ", ".join(f"{t.label} ({t.value})" for t in _ORG_TYPES)
    for key, how in {
        "code": f"Mã cơ quan, tổ chức, tối đa {CODE_MAX} ký tự, không có dấu “/”; mỗi mã một dòng.",
        "name": "Tên cơ quan, tổ chức.",
        "type": f"Một trong: {types}.",
        "level": "Tỉnh, huyện hoặc xã: cấp cơ quan, tổ chức hoạt động.",
        "parent_code": "Mã đơn vị hành chính (tỉnh, huyện, xã) đang có hiệu lực mà tổ chức trực thuộc.",
    }.items():
        names = "; ".join(ORGANIZATION_COLUMNS[key][1:])
        xlsx.append(guide, [ORGANIZATION_COLUMNS[key][0], "Bắt buộc", how, names])
    xlsx.append(guide, ["", "", "Danh sách chỉ được nạp khi mọi dòng hợp lệ."])
    return xlsx.template_bytes(book, guide, (24, 16, 80, 40))
