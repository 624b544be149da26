"""The set-based staff import against the reference it replaced: the errors and rows of
StaffRowChecker.check, one row at a time over read_table."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from chiendich.core.tabular import RowError, read_table
from chiendich.staff import importing
from chiendich.staff.cells import REQUIRED, STAFF_COLUMNS
from chiendich.staff.importing import StaffRow, StaffRowChecker, staff_import
from chiendich.staff.models import StaffMember
from chiendich.units.models import Unit

from .test_staff import HEADER, agencies, cccd  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


class _Errors:
    def __init__(self) -> None:
        self.found: list[RowError] = []

    def add(self, error: RowError) -> None:
        self.found.append(error)


def _one_by_one(path: Path) -> tuple[list[RowError], list[StaffRow], int]:
    sink = _Errors()
    checker = StaffRowChecker(path.name, sink, None)  # type: ignore[arg-type]
    valid = [
        checked
        for row in read_table(path, STAFF_COLUMNS, REQUIRED)
        if (checked := checker.check(row)) is not None
    ]
    return sink.found, valid, checker.repaired


def _mixed(rnd: random.Random, n: int) -> str:
    ids: list[str] = []
    lines = [HEADER]
    for i in range(n):
        roll = rnd.random()
        if roll < 0.05 and ids:
            id_number = rnd.choice(ids)  # the same person twice (maybe in another agency)
        elif roll < 0.08:
            id_number = cccd(i)[1:]  # Excel dropped the zero: put back
        elif roll < 0.11:
            id_number = rnd.choice(["", "12345", "abc", "999085000123", f"{cccd(i)}9"])
        else:
            id_number = cccd(i)
            ids.append(id_number)
        name = rnd.choice(["Nguyễn Văn An", "Trần  Thị Bình", "Lê Văn " + "A" * 130, ""])
        if rnd.random() < 0.85:
            name = f"Người {i}"
        position = rnd.choice(["", "Giáo viên Toán", "Chức vụ " * 30])
        category = rnd.choice(["Cán bộ", "GV", "giáo viên.", "Công chức", "", "Bảo vệ"])
        agency = rnd.choice(
            ["82-SGDDT", "815-ca", "815-THCS1", "815-THCS1", "", "82-KHONG", "815", "28249"]
        )
        lines.append(",".join((id_number, name, position, category, agency)))
    lines.append("0820850,ngắn")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("seed", "preload"), [(3, 8), (4, 0)])
def test_a_mixed_staff_list_gives_exactly_the_errors_and_rows_of_the_row_checker(
    agencies: dict[str, Unit],  # noqa: F811 - the fixture
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    seed: int,
    preload: int,
) -> None:
    path = tmp_path / "ds.csv"
    path.write_text(_mixed(random.Random(seed), 400), "utf-8")
    monkeypatch.setattr(importing, "PRELOAD_AFTER", 100)  # the reference: one query a code
    want_errors, want_valid, want_repaired = _one_by_one(path)
    # preload 0: agency codes are looked up in the unit table read once, not one by one.
    monkeypatch.setattr(importing, "PRELOAD_AFTER", preload)
    assert 50 < len(want_valid) < 380 and want_repaired > 0
    assert len({(e.column, e.problem[:12]) for e in want_errors}) >= 8

    report = staff_import(path, dry_run=True, errors_path=tmp_path / "loi.xlsx")
    assert report.errors == want_errors
    assert report.ids_repaired == want_repaired
    assert report.created == len(want_valid)
    assert not StaffMember.objects.exists()

    report = staff_import(path, errors_path=tmp_path / "loi.xlsx")
    assert report.errors == want_errors
    assert (report.rows_valid, report.created) == (len(want_valid), len(want_valid))
    stored = sorted(
        StaffMember.objects.values_list(
            "agency_id", "id_number", "full_name", "position", "category"
        )
    )
    assert stored == sorted(
        (r.agency_id, r.id_number, r.full_name, r.position, r.category) for r in want_valid
    )
    by_agency = {a.code: (a.created, a.kept) for a in report.agencies.values()}
    assert sum(c for c, _ in by_agency.values()) == len(want_valid)

    # A second list: some names changed, some people gone, and no rejected row.
    keep = [r for i, r in enumerate(want_valid) if i % 5]
    changed = {r.id_number for i, r in enumerate(keep) if i % 7 == 0}
    lines = [HEADER] + [
        ",".join(
            (
                r.id_number,
                r.full_name + (" Mới" if r.id_number in changed else ""),
                r.position,
                r.category,
                Unit.objects.get(pk=r.agency_id).code,
            )
        )
        for r in keep
    ]
    path = tmp_path / "ds-2.csv"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    report = staff_import(path)
    assert report.rows_rejected == 0
    assert (report.created, report.updated, report.unchanged, report.removed) == (
        0,
        len(changed),
        len(keep) - len(changed),
        len(want_valid) - len(keep),
    )
    assert StaffMember.objects.count() == len(keep)
    assert StaffMember.objects.filter(full_name__endswith=" Mới").count() == len(changed)
