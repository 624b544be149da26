"""The procedure catalogue: the demo file's Project 06 flags, idempotent loads, and a
bad file refused whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from chiendich.accounts.models import ObjectChange
from chiendich.core.tabular import TabularError
from chiendich.procedures.catalogue import DEMO_CATALOGUE, catalogue_load
from chiendich.procedures.models import OnlineLevel, Procedure

pytestmark = pytest.mark.django_db


def test_the_demo_catalogue_flags_25_essential_and_11_police_services() -> None:
    result = catalogue_load(DEMO_CATALOGUE)
    assert result.created == Procedure.objects.count() > 25
    essential = Procedure.objects.filter(essential_06=True)
    assert essential.count() == 25
    police = [p for p in essential if p.police_essential]
    assert len(police) == 11
    assert all(p.code.startswith("MP.CA.") for p in police)
    # What is not verified against Decision 06/QĐ-TTg's appendix says so.
    assert essential.filter(uncertain=True).exists()
    cccd = Procedure.objects.get(code="MP.CA.01")
    assert (cccd.levels, cccd.fee_bearing, cccd.paper_result) == (
        ["province", "district"],
        True,
        True,
    )
    assert cccd.online_level == OnlineLevel.PARTIAL
    assert Procedure.objects.get(code="MP.CA.05").paper_result is False  # thông báo lưu trú


def test_a_second_load_changes_nothing_and_a_change_is_logged(tmp_path: Path) -> None:
    catalogue_load(DEMO_CATALOGUE)
    logged = ObjectChange.objects.count()
    again = catalogue_load(DEMO_CATALOGUE)
    assert (again.created, again.updated, again.unchanged) == (0, 0, Procedure.objects.count())
    assert ObjectChange.objects.count() == logged
    edited = tmp_path / "danh-muc.csv"
    edited.write_text(
        DEMO_CATALOGUE.read_text(encoding="utf-8").replace(
            "MP.TP.04,Cấp Phiếu lý lịch tư pháp,Lý lịch tư pháp,Tỉnh,1,1,Toàn trình",
            "MP.TP.04,Cấp Phiếu lý lịch tư pháp,Lý lịch tư pháp,Tỉnh,1,1,Một phần",
        ),
        encoding="utf-8",
    )
    result = catalogue_load(edited)
    assert result.updated == 1
    change = ObjectChange.objects.order_by("-id").first()
    assert change is not None and change.changed_fields() == ["online_level"]


def test_a_bad_row_refuses_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "sai.csv"
    path.write_text(
        'Mã TTHC,Tên thủ tục,Cấp thực hiện,"Có phí, lệ phí",Có kết quả giấy,'
        "Mức độ DVC trực tuyến,DVC thiết yếu Đề án 06,Thuộc ngành Công an\n"
        "A.1,Thủ tục tốt,Xã,1,1,Toàn trình,0,0\n"
        "A.2,Thủ tục sai,Tỉnh; Ấp,có lẽ,1,Mức 9,0,0\n"
        "A.1,Trùng mã,Xã,0,0,Không,0,0\n",
        encoding="utf-8",
    )
    with pytest.raises(TabularError) as exc:
        catalogue_load(path)
    problems = {(e.row, e.column) for e in exc.value.errors}
    assert problems == {
        (3, "Cấp thực hiện"),
        (3, "Có phí, lệ phí"),
        (3, "Mức độ DVC trực tuyến"),
        (4, "Mã TTHC"),
    }
    assert not Procedure.objects.exists()


def test_command(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("procedures", "load-catalogue", str(DEMO_CATALOGUE))
    out = capsys.readouterr().out
    assert "Dịch vụ công thiết yếu Đề án 06: 25, trong đó ngành Công an: 11" in out
