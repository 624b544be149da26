"""Staff lists with both unit trees loaded (issue 12, item 4): a list has no date, so
its agency codes are read as of the target tree's day, or the day of the import; an
agency of an earlier tree with no successor is refused onto today's tree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chiendich.staff.importing import staff_import
from chiendich.staff.models import StaffMember
from chiendich.units.loading import units_load
from chiendich.units.models import Kind, Level, Unit, UnitType
from chiendich.units.services import unit_upsert

pytestmark = pytest.mark.django_db

HEADER = "Số định danh cá nhân,Họ và tên,Chức vụ,Đối tượng,Mã cơ quan\n"
TODAY = dt.date(2026, 6, 1)


@pytest.fixture
def two_trees(db: None, settings: Any) -> None:
    """Both trees of province 82; the Department of Justice in each (one written code,
    82-STP), the Department of Education in the 2023 tree only. Today is 1/6/2026."""
    settings.CAMPAIGN_TODAY = TODAY.isoformat()
    units_load(82, dt.date(2026, 1, 1))
    for code, gso_code, name, parent in (
        ("82-STP", "82-STP", "Sở Tư pháp Tiền Giang", "82"),
        ("82-STP.2025", "82-STP", "Sở Tư pháp Đồng Tháp", "82.2025"),
        ("82-SGDDT", "82-SGDDT", "Sở Giáo dục và Đào tạo Tiền Giang", "82"),
    ):
        unit_upsert(
            code=code,
            gso_code=gso_code,
            name=name,
            unit_type=UnitType.DEPARTMENT,
            level=Level.PROVINCE,
            parent=Unit.objects.get(code=parent),
            kind=Kind.ORGANIZATION,
        )


def staff_list(write_file: Callable[..., Path], *rows: str, name: str = "cb.csv") -> Path:
    return write_file(name, HEADER + "\n".join(rows) + "\n")


def agencies() -> set[str]:
    return set(StaffMember.objects.values_list("agency__code", flat=True))


def test_a_code_is_read_as_of_the_lists_day(two_trees: None, write_file: Any) -> None:
    path = staff_list(write_file, "082085000123,Nguyễn Văn An,Chuyên viên,Công chức,82-STP")

    report = staff_import(path)  # the day of the import: today's department
    assert report.errors == [] and agencies() == {"82-STP.2025"}

    StaffMember.objects.all().delete()
    report = staff_import(path, tree=dt.date(2023, 9, 1))  # a campaign on the 2023 tree
    assert report.errors == [] and agencies() == {"82-STP"}
    assert report.mapped == []


def test_an_agency_without_a_successor_is_refused_onto_todays_tree(
    two_trees: None, write_file: Any
) -> None:
    path = staff_list(write_file, "082190000456,Trần Thị Bình,Giáo viên,Giáo viên,82-SGDDT")

    report = staff_import(path, tree=TODAY)
    [error] = report.errors
    assert (error.row, error.column, error.value) == (2, "Mã cơ quan", "82-SGDDT")
    assert error.problem == (
        "Sở Giáo dục và Đào tạo Tiền Giang (mã 82-SGDDT) không còn hiệu lực vào ngày "
        "01/06/2026 và không có đơn vị kế thừa trong địa giới ngày đó"
    )
    assert not StaffMember.objects.exists()
    assert any("Địa giới đích" in line for line in report.summary_lines())

    # Without a target tree the list stays with the agency of the earlier tree.
    report = staff_import(path)
    assert report.errors == [] and agencies() == {"82-SGDDT"}
