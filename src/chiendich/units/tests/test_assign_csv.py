"""`chiendich units assign-hamlets FILE.csv`: rows checked first, blank rows left for later."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from chiendich.units.models import Lineage

from .conftest import GAO_GIONG, Split

pytestmark = pytest.mark.django_db


def test_assign_hamlets_command_skips_rows_left_blank(split: Split, write_file) -> None:
    path = write_file(
        "gan.csv",
        "Mã xã cũ,Ấp/Khu phố,Mã xã mới\n"
        f"{GAO_GIONG},Ấp 1,{split.phu_cuong.gso_code}\n"
        f"{GAO_GIONG},ấp 2,{split.phong_my.gso_code}\n"
        f"{GAO_GIONG},Ấp 3,\n",
    )
    out = StringIO()
    call_command("units", "assign-hamlets", str(path), stdout=out)

    assert "gán 2 ấp/khu phố, không đổi 0, để trống (bỏ qua) 1" in out.getvalue()
    assigned = dict(
        Lineage.objects.filter(source=Lineage.Source.ASSIGNED).values_list(
            "predecessor__name", "successor__name"
        )
    )
    assert assigned == {"Ấp 1": "Xã Phú Cường", "Ấp 2": "Xã Phong Mỹ"}
    assert split.hamlet("Ấp 1").successor_path == split.phu_cuong.path
    assert split.hamlet("Ấp 3").successor_path == "82.2025/"  # not assigned: the province


def test_a_bad_row_refuses_the_whole_file(split: Split, write_file) -> None:
    path = write_file(
        "gan.csv",
        "Mã xã cũ,Ấp/Khu phố,Mã xã mới\n"
        f"{GAO_GIONG},Ấp 1,{split.phu_cuong.gso_code}\n"
        f"{GAO_GIONG},Ấp 2,28249\n",
    )
    with pytest.raises(CommandError, match=r"gan.csv, dòng 3, cột “Mã xã mới”.*Xã Phú Cường"):
        call_command("units", "assign-hamlets", str(path), stdout=StringIO())
    assert not Lineage.objects.filter(source=Lineage.Source.ASSIGNED).exists()
