"""Fixtures for the procedures tests: a small catalogue with clear flags, province
agencies and police, and a helper that imports dossiers from rows the way an
officer would (a CSV with the canonical headers through dossiers_import)."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from chiendich.plans.tests.conftest import write_variant  # noqa: F401 - a shared fixture
from chiendich.procedures.catalogue import catalogue_load
from chiendich.procedures.cells import DOSSIER_COLUMNS, dossier_header
from chiendich.procedures.importing import DossierImportReport, dossiers_import
from chiendich.units.models import Kind, Level, Unit, UnitType
from chiendich.units.services import unit_upsert

# Commune-level units of Tiền Giang, one of each type, and a district with several.
XA = "28597"  # Xã Trung Hòa, Huyện Chợ Gạo (822)
XA_2 = "28600"  # Xã Hòa Tịnh, Huyện Chợ Gạo
THI_TRAN = "28594"  # Thị trấn Chợ Gạo
PHUONG = "28249"  # Phường 5, Thành phố Mỹ Tho (815)
DISTRICT = "822"  # Huyện Chợ Gạo
AGENCY = "82-STP"  # Sở Tư pháp

CATALOGUE = """Mã TTHC,Tên thủ tục,Lĩnh vực,Cấp thực hiện,"Có phí, lệ phí",Có kết quả giấy,Mức độ DVC trực tuyến,DVC thiết yếu Đề án 06,Thuộc ngành Công an,Cần xác minh,Ghi chú
T.FEE,Thủ tục có phí và kết quả giấy,Thử,Tỉnh; Huyện; Xã,1,1,Toàn trình,0,0,0,
T.FREE,Thủ tục không phí không kết quả giấy,Thử,Tỉnh; Huyện; Xã,0,0,Toàn trình,1,0,0,
T.POLICE,Dịch vụ công thiết yếu ngành Công an,Thử,Tỉnh; Huyện; Xã,0,1,Toàn trình,1,1,0,
T.PROV,Thủ tục chỉ cấp tỉnh,Thử,Tỉnh,1,1,Một phần,0,0,1,
"""

HEADERS = [dossier_header(k) for k in DOSSIER_COLUMNS]


def dossier_row(
    code: str,
    unit: str,
    *,
    procedure: str = "T.FREE",
    channel: int | str = 1,
    received: str = "05/09/2023",
    due: str = "",
    finished: str = "",
    status: str = "Đang xử lý",
    digitized: int | str = 0,
    e_result: int | str = 0,
    fee: int | str = 0,
    payment: int | str = 0,
    reused: int | str = 0,
) -> list[Any]:
    """One row of an export, in the canonical column order."""
    return [
        code,
        procedure,
        unit,
        channel,
        received,
        due,
        finished,
        status,
        digitized,
        e_result,
        fee,
        payment,
        reused,
    ]


def write_csv(path: Path, rows: Sequence[Sequence[Any]], headers: Sequence[str] = HEADERS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


@pytest.fixture
def catalogue(tmp_path: Path, db: None) -> None:
    path = tmp_path / "danh-muc.csv"
    path.write_text(CATALOGUE, encoding="utf-8")
    catalogue_load(path)


@pytest.fixture
def agencies(tien_giang: Unit) -> dict[str, Unit]:
    """Sở Tư pháp and Công an tỉnh (province level), the police of Chợ Gạo and Trung Hòa."""
    out = {}
    for code, name, unit_type, level, parent in (
        (AGENCY, "Sở Tư pháp", UnitType.DEPARTMENT, Level.PROVINCE, "82"),
        ("82-CA", "Công an tỉnh", UnitType.POLICE, Level.PROVINCE, "82"),
        (f"{DISTRICT}-CA", "Công an huyện Chợ Gạo", UnitType.POLICE, Level.DISTRICT, DISTRICT),
        (f"{XA}-CA", "Công an xã Trung Hòa", UnitType.POLICE, Level.COMMUNE, XA),
    ):
        out[code], _ = unit_upsert(
            code=code,
            name=name,
            unit_type=unit_type,
            level=level,
            parent=Unit.objects.get(code=parent),
            kind=Kind.ORGANIZATION,
        )
    return out


@pytest.fixture
def import_rows(tmp_path: Path, catalogue: None) -> Callable[..., DossierImportReport]:
    """Write `rows` to a CSV and import it; returns the report."""
    counter = iter(range(1, 1000))

    def run(rows: Sequence[Sequence[Any]], **kwargs: Any) -> DossierImportReport:
        path = write_csv(tmp_path / f"ho-so-{next(counter)}.csv", rows)
        return dossiers_import(path, **kwargs)

    return run


PEAK = (dt.date(2023, 9, 1), dt.date(2023, 10, 30))


@pytest.fixture
def demo_province(plan_383: Any) -> Unit:
    """Tiền Giang with the demo's province agencies and Plan 383, as the demo builds it."""
    from chiendich.conftest import REPO_DIR, TREE_2023
    from chiendich.units.services import organizations_import

    organizations_import(
        REPO_DIR / "src" / "chiendich" / "demo" / "data" / "organizations-82.csv", on=TREE_2023
    )
    return Unit.objects.get(code="82")
