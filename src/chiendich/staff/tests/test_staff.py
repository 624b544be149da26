"""Staff compliance: the staff-list import (bad rows by row and column, atomicity,
idempotence, replacement) and the level-2 rate per agency and category, with scope."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command

from chiendich.accounts.models import AuditEvent
from chiendich.accounts.roles import Role
from chiendich.staff import importing
from chiendich.staff.importing import STAFF_IMPORTED, staff_import, staff_template_xlsx
from chiendich.staff.models import StaffCategory, StaffMember
from chiendich.staff.selectors import (
    NOT_FOUND,
    agencies_under,
    staff_compliance,
    staff_visible,
)
from chiendich.units.models import Kind, Level, Unit, UnitType
from chiendich.units.services import unit_upsert
from chiendich.vneid.models import AccountState, Citizen, Source
from chiendich.vneid.services import citizen_state_record

pytestmark = pytest.mark.django_db

HEADER = "Số định danh cá nhân,Họ và tên,Chức vụ,Đối tượng,Mã cơ quan"
WriteFile = Callable[..., Path]


def cccd(serial: int, *, year: int = 1985) -> str:
    return f"0820{year % 100:02d}{serial:06d}"


@pytest.fixture
def agencies(tien_giang: Unit) -> dict[str, Unit]:
    """A provincial department, a district police and a school of Mỹ Tho (815)."""
    my_tho = Unit.objects.get(code="815")
    specs = [
        ("82-SGDDT", "Sở Giáo dục và Đào tạo", UnitType.DEPARTMENT, Level.PROVINCE, tien_giang),
        ("815-CA", "Công an thành phố Mỹ Tho", UnitType.POLICE, Level.DISTRICT, my_tho),
        ("815-THCS1", "Trường THCS Mỹ Tho 1", UnitType.SCHOOL, Level.DISTRICT, my_tho),
    ]
    made = {}
    for code, name, unit_type, level, parent in specs:
        made[code], _ = unit_upsert(
            code=code,
            name=name,
            unit_type=unit_type,
            level=level,
            parent=parent,
            kind=Kind.ORGANIZATION,
        )
    return made


def citizen(id_number: str, name: str, *states: tuple[AccountState, dt.date]) -> Citizen:
    commune = Unit.objects.get(code="28249")
    person = Citizen.objects.create(
        id_number=id_number,
        full_name=name,
        birth_date=dt.date(1985, 1, 1),
        sex="M",
        commune=commune,
        unit=commune,
    )
    for state, day in states:
        citizen_state_record(person, state=state, date=day, source=Source.POLICE_LIST)
    return person


def errors_of(report) -> list[tuple[int, str, str]]:  # type: ignore[no-untyped-def]
    return [(e.row, e.column, e.problem) for e in report.errors]


# --- import ------------------------------------------------------------------------------


def test_bad_rows_are_reported_by_row_and_column(
    agencies: dict[str, Unit], write_file: WriteFile, tmp_path: Path
) -> None:
    path = write_file(
        "ds.csv",
        f"{HEADER}\n"
        f"{cccd(1)},Nguyễn Văn An,Giám đốc,Công chức,82-SGDDT\n"  # 2: valid
        f"{cccd(2)},Trần Thị Bình,,Học sinh,82-SGDDT\n"  # 3: unknown category
        f"12345,Lê Văn Cường,,Viên chức,82-SGDDT\n"  # 4: bad ID
        f"{cccd(4)},Phạm Văn Dũng,,Cán bộ,82-SXYZ\n"  # 5: unknown agency
        f"{cccd(1)},Nguyễn Văn An,,Đảng viên,82-SGDDT\n"  # 6: duplicate of row 2
        f"{cccd(5)},Hồ Văn Em,,Cán bộ,815\n"  # 7: a territorial unit, not an agency
        f"{cccd(1)},Nguyễn Văn An,Phó trưởng phòng,Lực lượng vũ trang,815-CA\n",  # 8: valid
    )
    report = staff_import(path, errors_path=tmp_path / "loi.xlsx")

    assert report.rows_read == 7 and report.rows_valid == 2 and report.rows_rejected == 5
    errors = errors_of(report)
    assert [(row, column) for row, column, _ in errors] == [
        (3, "Đối tượng"),
        (4, "Số định danh cá nhân"),
        (5, "Mã cơ quan"),
        (6, "Số định danh cá nhân"),
        (7, "Mã cơ quan"),
    ]
    assert "đối tượng phải là" in errors[0][2]
    assert "12 chữ số" in errors[1][2]
    assert "82-SXYZ" in errors[2][2]
    assert "trùng số định danh với dòng 2" in errors[3][2]
    assert "không phải cơ quan" in errors[4][2]
    # The error file has the same rows, ID numbers as text.
    sheet = openpyxl.load_workbook(tmp_path / "loi.xlsx").worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Dòng", "Cột", "Giá trị", "Lỗi")
    assert [(r[0], r[1]) for r in rows[1:]] == [(row, column) for row, column, _ in errors]
    assert rows[4][2] == cccd(1)
    assert AuditEvent.objects.filter(type=AuditEvent.Type.PERSONAL_DATA_EXPORTED).exists()
    # Valid rows are written; the same person may be on two agencies' lists.
    assert StaffMember.objects.count() == 2
    assert set(StaffMember.objects.values_list("agency__code", "category")) == {
        ("82-SGDDT", StaffCategory.CONG_CHUC),
        ("815-CA", StaffCategory.ARMED_FORCES),
    }


def test_leading_zero_is_repaired_and_categories_fold(
    agencies: dict[str, Unit], write_file: WriteFile
) -> None:
    path = write_file(
        "ds.csv",
        f"{HEADER}\n"
        f"{cccd(1)[1:]},Nguyễn Văn An,,GIÁO VIÊN,815-thcs1\n"
        f"{cccd(2)},Trần Thị Bình,,giao vien,815-THCS1\n"
        f"{cccd(3)},Lê Văn Cường,,LLVT,815-CA\n",
    )
    report = staff_import(path)
    assert report.rows_rejected == 0 and report.ids_repaired == 1
    assert StaffMember.objects.get(full_name="Nguyễn Văn An").id_number == cccd(1)
    assert StaffMember.objects.filter(category=StaffCategory.TEACHER).count() == 2


def test_missing_column_writes_nothing(agencies: dict[str, Unit], write_file: WriteFile) -> None:
    from chiendich.core.tabular import TabularError

    path = write_file("ds.csv", "Số định danh cá nhân,Họ và tên,Đối tượng\n082085000001,A,Cán bộ\n")
    with pytest.raises(TabularError, match="Mã cơ quan"):
        staff_import(path)
    assert not StaffMember.objects.exists()


def test_a_crash_mid_write_leaves_nothing_half_written(
    agencies: dict[str, Unit], write_file: WriteFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_file(
        "ds.csv",
        f"{HEADER}\n{cccd(1)},A,,Cán bộ,82-SGDDT\n{cccd(2)},B,,Giáo viên,815-THCS1\n",
    )

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    # The second agency's write happens after the first one's; the audit row comes last.
    monkeypatch.setattr(importing, "audit_event_record", crash)
    with pytest.raises(RuntimeError):
        staff_import(path)
    assert not StaffMember.objects.exists()


def test_reimport_changes_nothing_and_a_new_list_replaces_the_old(
    agencies: dict[str, Unit], write_file: WriteFile
) -> None:
    text = (
        f"{HEADER}\n{cccd(1)},A,Giám đốc,Công chức,82-SGDDT\n"
        f"{cccd(2)},B,,Viên chức,82-SGDDT\n{cccd(3)},C,,Giáo viên,815-THCS1\n"
    )
    first = staff_import(write_file("ds.csv", text))
    assert (first.created, first.updated, first.removed) == (3, 0, 0)
    stamps = dict(StaffMember.objects.values_list("pk", "updated_at"))

    again = staff_import(write_file("ds.csv", text))
    assert (again.created, again.updated, again.unchanged, again.removed) == (0, 0, 3, 0)
    assert dict(StaffMember.objects.values_list("pk", "updated_at")) == stamps
    assert AuditEvent.objects.filter(type=STAFF_IMPORTED).count() == 2

    # The department's new list: B left, A changed position, D joined. The school's
    # list is not in the file and stays as it was.
    new = staff_import(
        write_file(
            "ds2.csv",
            f"{HEADER}\n{cccd(1)},A,Phó Giám đốc,Công chức,82-SGDDT\n{cccd(4)},D,,Cán bộ,82-SGDDT\n",
        )
    )
    assert (new.created, new.updated, new.unchanged, new.removed) == (1, 1, 0, 1)
    assert any("xoá khỏi danh sách 1" in line for line in new.summary_lines())
    assert set(StaffMember.objects.values_list("full_name", flat=True)) == {"A", "C", "D"}
    assert StaffMember.objects.get(full_name="A").position == "Phó Giám đốc"


def test_no_one_is_removed_while_the_file_has_rejected_rows(
    agencies: dict[str, Unit], write_file: WriteFile
) -> None:
    staff_import(
        write_file(
            "ds.csv", f"{HEADER}\n{cccd(1)},A,,Cán bộ,82-SGDDT\n{cccd(2)},B,,Cán bộ,82-SGDDT\n"
        )
    )
    # B's row has a typo: B may still be on staff, so B is kept.
    report = staff_import(
        write_file(
            "ds.csv", f"{HEADER}\n{cccd(1)},A,,Cán bộ,82-SGDDT\n{cccd(2)},B,,Cán bo x,82-SGDDT\n"
        )
    )
    assert (report.removed, report.kept, report.rows_rejected) == (0, 1, 1)
    assert StaffMember.objects.count() == 2
    assert any("giữ lại 1" in line for line in report.summary_lines())


def test_dry_run_writes_nothing(agencies: dict[str, Unit], write_file: WriteFile) -> None:
    report = staff_import(
        write_file("ds.csv", f"{HEADER}\n{cccd(1)},A,,Cán bộ,82-SGDDT\n"), dry_run=True
    )
    assert report.created == 1 and not StaffMember.objects.exists()
    assert not AuditEvent.objects.filter(type=STAFF_IMPORTED).exists()


def test_a_user_imports_only_for_agencies_in_their_units(
    agencies: dict[str, Unit], write_file: WriteFile, make_user
) -> None:  # type: ignore[no-untyped-def]
    police = make_user(Role.AGENCY_FOCAL_POINT, "815-CA")
    report = staff_import(
        write_file("ds.csv", f"{HEADER}\n{cccd(1)},A,,LLVT,815-CA\n{cccd(2)},B,,Cán bộ,82-SGDDT\n"),
        acting_user=police,
    )
    assert errors_of(report) == [(3, "Mã cơ quan", "không có cơ quan, đơn vị mã “82-SGDDT”")]
    assert list(StaffMember.objects.values_list("agency__code", flat=True)) == ["815-CA"]


def test_command_and_template(
    agencies: dict[str, Unit], write_file: WriteFile, tmp_path: Path
) -> None:
    out = io.StringIO()
    call_command(
        "import",
        "staff",
        str(write_file("ds.csv", f"{HEADER}\n{cccd(1)},A,,Cán bộ,82-SGDDT\n")),
        stdout=out,
    )
    assert "thêm mới 1" in out.getvalue()
    book = openpyxl.load_workbook(io.BytesIO(staff_template_xlsx()))
    headers = next(book.worksheets[0].iter_rows(values_only=True))
    assert headers == ("Số định danh cá nhân", "Họ và tên", "Chức vụ", "Đối tượng", "Mã cơ quan")
    # The template's example rows import cleanly into an agency that exists.
    example = tmp_path / "mau.xlsx"
    example.write_bytes(staff_template_xlsx())
    unit_upsert(
        code="82-STTTT",
        name="Sở Thông tin và Truyền thông",
        unit_type=UnitType.DEPARTMENT,
        level=Level.PROVINCE,
        parent=Unit.objects.get(code="82"),
        kind=Kind.ORGANIZATION,
    )
    assert staff_import(example).rows_rejected == 0


# --- compliance --------------------------------------------------------------------------

DAY = dt.date(2023, 10, 1)


@pytest.fixture
def hand_made(agencies: dict[str, Unit], plan_383, write_file: WriteFile) -> None:  # type: ignore[no-untyped-def]
    """The department: 4 civil servants (2 at level 2, 1 at level 1, 1 with no citizen
    record) and 2 teachers (1 at level 2); the school: 1 teacher at level 2."""
    citizen(cccd(1), "A", (AccountState.ACTIVATED_L2, dt.date(2023, 9, 1)))
    citizen(
        cccd(2),
        "B",
        (AccountState.ACTIVATED_L1, dt.date(2023, 8, 20)),
        (AccountState.ACTIVATED_L2, dt.date(2023, 9, 20)),
    )
    citizen(cccd(3), "C", (AccountState.ACTIVATED_L1, dt.date(2023, 9, 1)))
    # cccd(4): D is on the list but not in the citizen records.
    citizen(cccd(5), "E", (AccountState.ACTIVATED_L2, dt.date(2023, 9, 5)))
    citizen(cccd(6), "F", (AccountState.APPROVED, dt.date(2023, 9, 5)))
    citizen(cccd(7), "G", (AccountState.ACTIVATED_L2, dt.date(2023, 9, 5)))
    staff_import(
        write_file(
            "ds.csv",
            f"{HEADER}\n"
            f"{cccd(1)},A,Giám đốc,Công chức,82-SGDDT\n"
            f"{cccd(2)},B,,Công chức,82-SGDDT\n"
            f"{cccd(3)},C,,Công chức,82-SGDDT\n"
            f"{cccd(4)},D,,Công chức,82-SGDDT\n"
            f"{cccd(5)},E,,Giáo viên,82-SGDDT\n"
            f"{cccd(6)},F,,Giáo viên,82-SGDDT\n"
            f"{cccd(7)},G,,Giáo viên,815-THCS1\n",
        )
    )


def test_the_agencys_rate_at_level_2_on_a_hand_made_case(hand_made: None) -> None:
    department = Unit.objects.get(code="82-SGDDT")
    [result] = staff_compliance([department], DAY)
    servants, teachers = result.categories
    assert servants.category == StaffCategory.CONG_CHUC
    assert (servants.staff, servants.matched, servants.level2) == (4, 3, 2)
    assert servants.rate == Decimal("50.00")
    assert servants.target_key == "staff_vneid_level2" and servants.target == Decimal(100)
    assert servants.met is False
    assert [(m.full_name, m.state) for m in servants.missing] == [
        ("C", AccountState.ACTIVATED_L1),
        ("D", NOT_FOUND),
    ]
    # Teachers are measured against the teachers' target (V.5.b).
    assert (teachers.staff, teachers.level2, teachers.rate) == (2, 1, Decimal("50.00"))
    assert teachers.target_key == "teachers_vneid_level2"
    assert (result.total.staff, result.total.level2, result.total.rate) == (6, 3, Decimal("50.00"))
    # IDs of the missing are masked for an unnamed reader.
    assert servants.missing[0].id_number == "082******003"


def test_the_rate_follows_the_day(hand_made: None) -> None:
    department = Unit.objects.get(code="82-SGDDT")
    [early] = staff_compliance([department], dt.date(2023, 9, 10))
    # B reached level 2 only on 20/9.
    assert early.categories[0].level2 == 1
    [now] = staff_compliance([department], None)
    assert now.categories[0].level2 == 2


def test_scope_another_agency_sees_nothing_and_the_district_above_sees_its_agencies(
    hand_made: None, make_user
) -> None:  # type: ignore[no-untyped-def]
    school = Unit.objects.get(code="815-THCS1")
    police = make_user(Role.AGENCY_FOCAL_POINT, "815-CA")
    assert not staff_visible(police).exists()
    assert staff_compliance(Unit.objects.filter(code="815-THCS1"), DAY, user=police) == []

    district = make_user(Role.DISTRICT_OFFICER, "815")
    assert set(staff_visible(district).values_list("agency__code", flat=True)) == {"815-THCS1"}
    visible = list(agencies_under(Unit.objects.get(code="82"), district))
    assert visible == [school]
    [result] = staff_compliance(Unit.objects.organizations(), DAY, user=district)
    assert result.code == "815-THCS1" and result.total.rate == Decimal("100.00")
    assert result.ids_shown is False  # a district officer may not see personal data

    focal = make_user(Role.AGENCY_FOCAL_POINT, "82-SGDDT")
    [own] = staff_compliance(Unit.objects.organizations(), DAY, user=focal)
    assert own.code == "82-SGDDT" and own.ids_shown is True
    assert own.categories[0].missing[0].id_number == cccd(3)


def test_compliance_command(hand_made: None) -> None:
    out = io.StringIO()
    call_command(
        "staff",
        "compliance",
        "--unit",
        "82",
        "--date",
        "2023-10-01",
        "--format",
        "json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert [a["code"] for a in data["agencies"]] == ["815-THCS1", "82-SGDDT"]
    assert data["agencies"][1]["categories"][0]["rate"] == "50.00"
    assert (data["total"]["staff"], data["total"]["level2"]) == (7, 4)
    out = io.StringIO()
    call_command("staff", "compliance", "--unit", "815", "--date", "2023-10-01", stdout=out)
    assert "Trường THCS Mỹ Tho 1" in out.getvalue() and "Sở Giáo dục" not in out.getvalue()


def test_xlsx_numbers_keep_their_leading_zero(agencies: dict[str, Unit], tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.split(","))
    sheet.append([int(cccd(1)), "Nguyễn Văn An", "Giám đốc", "Công chức", "82-SGDDT"])
    sheet.append(["abc", "Trần Thị Bình", "", "Viên chức", "82-SGDDT"])
    path = tmp_path / "ds.xlsx"
    book.save(path)
    report = staff_import(path)
    assert report.ids_repaired == 1
    assert errors_of(report) == [(3, "Số định danh cá nhân", "số định danh chỉ gồm 12 chữ số")]
    assert StaffMember.objects.get().id_number == cccd(1)


def test_workers_have_no_target_and_a_mixed_total_has_none(
    agencies: dict[str, Unit], plan_383, write_file: WriteFile
) -> None:  # type: ignore[no-untyped-def]
    citizen(cccd(1), "A", (AccountState.ACTIVATED_L2, dt.date(2023, 9, 1)))
    staff_import(
        write_file(
            "ds.csv",
            f"{HEADER}\n{cccd(1)},A,,Công nhân,815-CA\n{cccd(2)},B,,Lực lượng vũ trang,815-CA\n",
        )
    )
    [result] = staff_compliance([Unit.objects.get(code="815-CA")], DAY)
    armed, workers = result.categories
    assert (armed.category, armed.target, armed.rate) == ("luc_luong_vu_trang", 100, 0)
    assert (workers.category, workers.target, workers.rate) == ("cong_nhan", None, 100)
    assert workers.met is None and result.total.target is None
    assert result.total.rate == Decimal("50.00")
