"""Web imports under test: a temporary data directory, the immediate task backend
(tests that prove the database backend and its worker switch back), officers of
two communes and police lists with good and bad rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chiendich.accounts.roles import Role
from chiendich.conftest import COMMUNE_A, COMMUNE_B
from chiendich.imports.models import ImportJob
from chiendich.imports.services import job_upload
from chiendich.units.models import Unit
from chiendich.vneid.counts import counts_rebuild
from chiendich.vneid.models import AccountState, Citizen, Source
from chiendich.vneid.services import citizen_state_record

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
PASSWORD = "nhap-du-lieu-383"
HEADER = (
    "Số định danh cá nhân,Họ và tên,Ngày sinh,Giới tính,Mã xã,Ấp/Khu phố,Mã hộ,"
    "Số điện thoại,Trạng thái,Ngày cập nhật"
)
DAY = dt.date(2023, 9, 1)


def cccd(year: int, serial: int, *, female: bool = False) -> str:
    g = (year // 100 - 19) * 2 + female
    return f"082{g}{year % 100:02d}{serial:06d}"


def police_csv(*rows: str) -> bytes:
    return ("\ufeff" + "\n".join([HEADER, *rows]) + "\n").encode()


# Three people of commune A; the second one's birth date is in the future (row 3).
GOOD_1 = f"{cccd(1990, 101)},Nguyễn Văn Một,01/02/1990,Nam,{COMMUNE_A},,H1,0912345678,Đã kích hoạt mức 2,01/09/2023"
BAD_FUTURE = f"{cccd(1991, 102, female=True)},Trần Thị Hai,01/02/2991,Nữ,{COMMUNE_A},,H1,,,"
GOOD_3 = f"{cccd(1985, 103, female=True)},Lê Thị Ba,03/03/1985,Nữ,{COMMUNE_A},,H2,,Đã kích hoạt mức 1,02/09/2023"


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path / "data"
    settings.TASKS = IMMEDIATE
    settings.CAMPAIGN_TODAY = "2023-10-18"
    return settings.DATA_DIR


@pytest.fixture
def officer(tien_giang: Unit, make_user: Callable[..., Any]) -> Any:
    return make_user(Role.COMMUNE_OFFICER, COMMUNE_A, password=PASSWORD)


@pytest.fixture
def other_officer(tien_giang: Unit, make_user: Callable[..., Any]) -> Any:
    return make_user(Role.COMMUNE_OFFICER, COMMUNE_B, password=PASSWORD)


@pytest.fixture
def counted(tien_giang: Unit) -> Citizen:
    """One citizen of commune A, approved but not activated, counted from 20/08 to
    18/10/2023: the unit page has numbers (0 of 1 activated) before the import."""
    commune = Unit.objects.get(code=COMMUNE_A)
    person = Citizen.objects.create(
        id_number=cccd(1980, 1),
        full_name="Phạm Văn Có",
        birth_date=dt.date(1980, 5, 5),
        sex="M",
        commune=commune,
        unit=commune,
    )
    citizen_state_record(
        person, state=AccountState.APPROVED, date=dt.date(2023, 8, 25), source=Source.MANUAL
    )
    counts_rebuild(dt.date(2023, 8, 20), dt.date(2023, 10, 18))
    return person


def upload(
    user: Any, content: bytes, *, name: str = "ds-cong-an.csv", kind: str = "citizens"
) -> ImportJob:
    return job_upload(
        acting_user=user,
        kind=kind,
        file_name=name,
        chunks=[content],
    )


def uploaded_file(content: bytes, name: str = "ds-cong-an.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")
