"""The demo's users: one per role, bound to units of the plan's province.

The 2023 replay keeps its long-standing cast (README and the tests name them):
Chợ Gạo district, Xã Trung Hòa and its volunteer team; its province administrator
and chairman are bound to today's Tỉnh Đồng Tháp too, to compare 2023's figures
under today's units. Any other plan gets a cast read from its tree: the province,
its first ward (Phường Đạo Thạnh in today's Đồng Tháp), that ward's district if the
tree has districts (district roles are left out when it has none: since 1/7/2025
there is no district office to bind them to), two of the ward's hamlets for the
volunteer, and the department that leads digital transformation.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from chiendich.accounts.models import User
from chiendich.accounts.roles import Role
from chiendich.accounts.services import user_create
from chiendich.core.text import fold
from chiendich.units.models import Level, Unit, UnitType

from .tree import FOCAL_AGENCY, communes, short_name


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    unit_codes: tuple[str, ...]
    full_name: str


# Plan 383's replay. The commune, district and volunteer share Chợ Gạo so a drill-down
# shows the same place from each level.
DEMO_USERS_383 = [
    DemoUser("admin", Role.PROVINCE_ADMIN, ("82", "82.2025"), "Quản trị hệ thống tỉnh"),
    DemoUser("chutich", Role.PROVINCE_VIEWER, ("82", "82.2025"), "Chủ tịch UBND tỉnh"),
    DemoUser("huyen.chogao", Role.DISTRICT_OFFICER, ("822",), "Cán bộ UBND huyện Chợ Gạo"),
    DemoUser("xa.trunghoa", Role.COMMUNE_OFFICER, ("28597",), "Cán bộ UBND xã Trung Hòa"),
    DemoUser("congan.tinh", Role.POLICE_PROVINCE, ("82",), "Phòng PC06 Công an tỉnh"),
    DemoUser("congan.chogao", Role.POLICE_DISTRICT, ("822",), "Công an huyện Chợ Gạo"),
    DemoUser("congan.trunghoa", Role.POLICE_COMMUNE, ("28597",), "Công an xã Trung Hòa"),
    DemoUser(
        "so.tttt", Role.AGENCY_FOCAL_POINT, ("82-STTTT",), "Đầu mối Sở Thông tin và Truyền thông"
    ),
    DemoUser(
        "tinhnguyen.trunghoa",
        Role.VOLUNTEER,
        ("28597-01", "28597-02"),
        "Đội tình nguyện xã Trung Hòa",
    ),
]
HAND_PICKED = {"tien-giang-383-2023": DEMO_USERS_383}

_TYPE_WORD = {
    UnitType.COMMUNE: "xa",
    UnitType.WARD: "phuong",
    UnitType.TOWNSHIP: "thitran",
    UnitType.SPECIAL_ZONE: "dackhu",
}


def _slug(unit: Unit) -> str:
    return fold(short_name(unit)).replace(" ", "")


def _lower_first(name: str) -> str:
    return f"{name[0].lower()}{name[1:]}"


def demo_users_for(plan_code: str, province: Unit) -> list[DemoUser]:
    """The cast of a plan's demo: hand-picked for the 2023 replay, else read from the tree."""
    if plan_code in HAND_PICKED:
        return HAND_PICKED[plan_code]
    places = communes(province)
    if not places:
        raise ValueError(f"{province.name} has no communes loaded")
    commune = next((c for c in places if c.type == UnitType.WARD), places[0])
    hamlets = list(Unit.objects.filter(parent=commune, level=Level.HAMLET).order_by("code")[:2])
    district = commune.parent if commune.parent and commune.parent.level == Level.DISTRICT else None
    word, slug, name = _TYPE_WORD.get(commune.type, "xa"), _slug(commune), commune.name  # type: ignore[call-overload]
    agency = Unit.objects.filter(code=f"{province.gso_code}-{FOCAL_AGENCY}{province.tree_suffix}")
    users = [
        DemoUser("admin", Role.PROVINCE_ADMIN, (province.code,), "Quản trị hệ thống tỉnh"),
        DemoUser("chutich", Role.PROVINCE_VIEWER, (province.code,), "Chủ tịch UBND tỉnh"),
    ]
    if district is not None:
        users.append(
            DemoUser(
                f"huyen.{_slug(district)}",
                Role.DISTRICT_OFFICER,
                (district.code,),
                f"Cán bộ UBND {_lower_first(district.name)}",
            )
        )
    users += [
        DemoUser(
            f"{word}.{slug}",
            Role.COMMUNE_OFFICER,
            (commune.code,),
            f"Cán bộ UBND {_lower_first(name)}",
        ),
        DemoUser("congan.tinh", Role.POLICE_PROVINCE, (province.code,), "Phòng PC06 Công an tỉnh"),
    ]
    if district is not None:
        users.append(
            DemoUser(
                f"congan.{_slug(district)}",
                Role.POLICE_DISTRICT,
                (district.code,),
                f"Công an {_lower_first(district.name)}",
            )
        )
    users.append(
        DemoUser(
            f"congan.{slug}", Role.POLICE_COMMUNE, (commune.code,), f"Công an {_lower_first(name)}"
        )
    )
    focal = agency.first()
    if focal is not None:
        users.append(
            DemoUser(
                f"so.{fold(FOCAL_AGENCY[1:])}",
                Role.AGENCY_FOCAL_POINT,
                (focal.code,),
                f"Đầu mối {focal.name}",
            )
        )
    if hamlets:
        users.append(
            DemoUser(
                f"tinhnguyen.{slug}",
                Role.VOLUNTEER,
                tuple(h.code for h in hamlets),
                f"Đội tình nguyện {_lower_first(name)}",
            )
        )
    return users


def ensure_demo_users(specs: list[DemoUser], password: str) -> list[tuple[DemoUser, User]]:
    """Create the demo users, or put existing ones back to their demo role, units and
    password. A unit code the database lacks is skipped (a user keeps the others)."""
    out = []
    for spec in specs:
        units = list(Unit.objects.filter(code__in=spec.unit_codes))
        if not units:
            continue
        with transaction.atomic():
            user = User.objects.filter(username=spec.username).first()
            if user is None:
                user = user_create(
                    username=spec.username,
                    password=password,
                    role=spec.role,
                    units=units,
                    full_name=spec.full_name,
                )
            else:
                if not user.check_password(password):
                    user.set_password(password)
                user.role, user.full_name, user.is_active = spec.role, spec.full_name, True
                user.save()
                user.units.set(units)
        out.append((spec, user))
    return out
