"""One-stop exports with both unit trees loaded (issue 12, item 4): a dossier's unit code
is read as of its received day, and mapped through lineage to a target tree; districts
and split communes are refused by row; a known dossier stays on its 2023 unit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from chiendich.procedures.models import Dossier, DossierCount, DossierImport
from chiendich.units.dated import MappedRows
from chiendich.units.loading import units_load
from chiendich.units.models import Kind, Level, Unit, UnitType
from chiendich.units.services import unit_upsert

from .conftest import dossier_row

pytestmark = pytest.mark.django_db

TREE = dt.date(2026, 6, 1)
DAO_THANH = "28249.2025"


@pytest.fixture
def two_trees(db: None, settings: Any, catalogue: None) -> None:
    """Both trees of province 82 with lineage, the district police of old Huyện Chợ Gạo,
    and today 1/6/2026."""
    settings.CAMPAIGN_TODAY = TREE.isoformat()
    units_load(82, dt.date(2026, 1, 1))
    unit_upsert(
        code="822-CA",
        name="Công an huyện Chợ Gạo",
        unit_type=UnitType.POLICE,
        level=Level.DISTRICT,
        parent=Unit.objects.get(code="822"),
        kind=Kind.ORGANIZATION,
    )


def stored_unit(code: str) -> str:
    return Dossier.objects.select_related("unit").get(code=code).unit.code


def test_a_code_is_read_as_of_the_received_day(
    two_trees: None, import_rows: Callable[..., Any]
) -> None:
    report = import_rows(
        [
            dossier_row("HS-2023", "28249", received="05/09/2023"),
            dossier_row("HS-2026", "28249", received="05/03/2026"),
            # An old code on a dossier of 2026, with no target tree: no unit received it.
            dossier_row("HS-OLD", "28282", received="05/03/2026"),
        ]
    )
    assert stored_unit("HS-2023") == "28249"  # Phường 5
    assert stored_unit("HS-2026") == DAO_THANH  # Phường Đạo Thạnh
    [error] = report.errors
    assert (error.row, error.column, error.value) == (4, "Mã đơn vị", "28282")
    assert error.problem == (
        "đơn vị không còn (hoặc chưa) hoạt động vào ngày tiếp nhận (Xã Đạo Thạnh, đến 30/06/2025)"
    )
    assert (report.tree, report.mapped) == (None, [])


def test_old_codes_are_mapped_to_the_target_tree_or_refused_by_row(
    two_trees: None, import_rows: Callable[..., Any]
) -> None:
    report = import_rows(
        [
            dossier_row("HS-1", "28252", received="05/09/2023"),  # row 2: Phường 4
            dossier_row("HS-2", "28252", received="06/09/2023"),
            dossier_row("HS-3", "28282", received="05/03/2026"),  # old code in 2026
            dossier_row("HS-4", "28249", received="05/03/2026"),  # today's code
            dossier_row("HS-5", "822", received="05/09/2023"),  # row 6: a district
            dossier_row("HS-6", "822-CA", received="05/09/2023"),  # its police
            dossier_row("HS-7", "30157", received="05/09/2023"),  # row 8: split commune
            dossier_row("HS-8", DAO_THANH, received="05/09/2023"),  # not in force yet
        ],
        tree=TREE,
    )

    assert {d.code: d.unit.code for d in Dossier.objects.select_related("unit")} == {
        "HS-1": DAO_THANH,
        "HS-2": DAO_THANH,
        "HS-3": DAO_THANH,
        "HS-4": DAO_THANH,
    }
    errors = {e.row: (e.column, e.problem) for e in report.errors}
    assert set(errors) == {6, 7, 8, 9}
    assert all(column == "Mã đơn vị" for column, _ in errors.values())
    assert errors[6][1].startswith("Huyện Chợ Gạo (mã 822) là đơn vị cấp huyện; từ 01/07/2025")
    assert "cấp huyện" in errors[7][1] and "Công an huyện Chợ Gạo" in errors[7][1]
    assert "đã được chia cho nhiều xã mới" in errors[8][1]
    assert errors[8][1].endswith("hãy ghi mã xã mới đã tiếp nhận hồ sơ")
    assert "Xã Thanh Bình (mã 30130)" in errors[8][1]
    assert "Xã Tân Thạnh (mã 30157)" in errors[8][1]
    assert "hoạt động vào ngày tiếp nhận (Phường Đạo Thạnh, từ 01/07/2025)" in errors[9][1]
    assert report.mapped == [
        MappedRows("28252 Phường 4", "28249 Phường Đạo Thạnh", 2),
        MappedRows("28282 Xã Đạo Thạnh", "28249 Phường Đạo Thạnh", 1),
    ]
    assert "  28252 Phường 4 → 28249 Phường Đạo Thạnh: 2 dòng" in report.summary_lines()
    batch = DossierImport.objects.get()
    assert "28282 Xã Đạo Thạnh → 28249 Phường Đạo Thạnh: 1 dòng" in batch.message
    # The counts went to the unit the dossiers are stored on.
    assert DossierCount.objects.filter(unit__code=DAO_THANH, day=dt.date(2023, 9, 5)).exists()
    assert not DossierCount.objects.filter(unit__code="28252").exists()


def test_a_known_dossier_exported_again_stays_on_its_2023_unit(
    two_trees: None, import_rows: Callable[..., Any]
) -> None:
    rows = [dossier_row("HS-1", "28249", received="05/09/2023", channel=2)]
    import_rows(rows)
    before = list(DossierCount.objects.values_list("unit__code", "day", "received"))

    report = import_rows(rows, tree=TREE)

    assert (report.unchanged, report.kept_in_place) == (1, 1)
    assert report.mapped == [MappedRows("28249 Phường 5", "28249 Phường Đạo Thạnh", 1)]
    assert stored_unit("HS-1") == "28249"
    assert list(DossierCount.objects.values_list("unit__code", "day", "received")) == before


def test_since_the_reform_communes_receive_the_districts_procedures(
    two_trees: None, import_rows: Callable[..., Any], tmp_path: Any
) -> None:
    """There is no district since 1/7/2025: a commune receives a district-level
    procedure from that day on (refused before it), and a province-only one stays
    refused. The row check and the set-based check agree (the import runs both)."""
    from chiendich.procedures.catalogue import catalogue_load

    from .conftest import CATALOGUE

    path = tmp_path / "danh-muc-huyen.csv"
    path.write_text(
        CATALOGUE + "T.DIST,Thủ tục cấp huyện,Thử,Huyện,0,1,Toàn trình,0,0,0,\n",
        encoding="utf-8",
    )
    catalogue_load(path)
    report = import_rows(
        [
            dossier_row("HS-D26", "28249", procedure="T.DIST", received="05/03/2026"),
            dossier_row("HS-D25", "28249", procedure="T.DIST", received="01/07/2025"),
            dossier_row("HS-D23", "28249", procedure="T.DIST", received="05/09/2023"),  # row 4
            dossier_row("HS-P26", "28249", procedure="T.PROV", received="05/03/2026"),  # row 5
        ]
    )
    assert sorted(Dossier.objects.values_list("code", flat=True)) == ["HS-D25", "HS-D26"]
    errors = {e.row: (e.column, e.value, e.problem) for e in report.errors}
    assert errors == {
        4: ("Mã TTHC", "T.DIST", "thủ tục không thực hiện ở cấp của đơn vị tiếp nhận"),
        5: ("Mã TTHC", "T.PROV", "thủ tục không thực hiện ở cấp của đơn vị tiếp nhận"),
    }
