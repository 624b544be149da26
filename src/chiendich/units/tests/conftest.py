"""Both trees of the new Đồng Tháp (82) with hamlets for its three split communes, and
the users the split-communes page is read and written by."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from chiendich.accounts.roles import Role
from chiendich.conftest import TREE_2023
from chiendich.units.loading import units_load
from chiendich.units.models import Level, Unit
from chiendich.units.services import hamlets_import

TODAY_TREE = dt.date(2026, 1, 1)
GAO_GIONG, PHU_THUAN_B, TAN_THANH = "30079", "29995", "30157"  # old Đồng Tháp (87)
HAMLETS = {GAO_GIONG: ["Ấp 1", "Ấp 2", "Ấp 3", "Ấp 4"], PHU_THUAN_B: ["Ấp Một", "Ấp Hai"]}


@dataclass
class Split:
    gao_giong: Unit
    phu_cuong: Unit  # new communes that received part of Gáo Giồng
    phong_my: Unit

    def hamlet(self, name: str, commune: Unit | None = None) -> Unit:
        return Unit.objects.get(parent=commune or self.gao_giong, name=name)


@pytest.fixture
def split(write_file: Callable[..., Any]) -> Split:
    cache.clear()  # unit pages cache by data version; ids restart in every test database
    units_load(82, TODAY_TREE)
    lines = ["Mã xã,Tên ấp/khu phố"] + [
        f"{code},{name}" for code, names in HAMLETS.items() for name in names
    ]
    hamlets_import(write_file("ap.csv", "\n".join(lines) + "\n"), on=TREE_2023)
    new = Unit.objects.filter(level=Level.COMMUNE, valid_from=dt.date(2025, 7, 1))
    return Split(
        gao_giong=Unit.objects.get(code=GAO_GIONG),
        phu_cuong=new.get(name="Xã Phú Cường"),
        phong_my=new.get(name="Xã Phong Mỹ"),
    )


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def users(split: Split, make_user: Callable[..., Any]) -> dict[str, Any]:
    units_load(12, TODAY_TREE)  # Tỉnh Lai Châu: another province
    return {
        "admin": make_user(Role.PROVINCE_ADMIN, "82.2025"),
        "viewer": make_user(Role.PROVINCE_VIEWER, "82.2025"),
        "phu_cuong": make_user(Role.COMMUNE_OFFICER, split.phu_cuong.code),
        "volunteer": make_user(Role.VOLUNTEER, split.phu_cuong.code),
        "lai_chau": make_user(Role.PROVINCE_ADMIN, "12.2025"),
        "old_tien_giang": make_user(Role.PROVINCE_ADMIN, "82"),
    }
