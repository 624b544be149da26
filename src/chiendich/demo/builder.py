"""Builds the simulated Tiền Giang campaign: units, hamlets, organizations, plan,
citizens with their VNeID account histories, daily counts, targets, the year's
TTHC dossiers, users.

Everything is deterministic (seeded by unit codes), so two builds give the
same data and a rebuild over an existing database changes nothing. Hamlets
and organizations go through the same CSV importers an officer would use.
"""

from __future__ import annotations

import csv
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from chiendich.accounts.models import User
from chiendich.accounts.roles import Role
from chiendich.accounts.services import user_create
from chiendich.core.numbers import vn_number
from chiendich.field.simulate import field_simulate
from chiendich.plans.allocation import targets_allocate
from chiendich.plans.models import Plan
from chiendich.plans.services import plan_load
from chiendich.procedures.simulate import dossiers_simulate
from chiendich.reporting.schedule import reports_expect
from chiendich.reporting.simulate import activities_simulate, reporting_simulate
from chiendich.results.simulate import results_demo_simulate
from chiendich.units.loading import units_load
from chiendich.units.models import Level, Unit, UnitType
from chiendich.units.services import hamlets_import, organizations_import
from chiendich.vneid.counts import counts_rebuild
from chiendich.vneid.models import DailyCount
from chiendich.vneid.progress import eligible_basis, vneid_target

from .population import END, START
from .simulate import population_simulate

PROVINCE = 82
PLAN_FILE = Path(settings.BASE_DIR).parents[1] / "plans" / "tien-giang-383-2023.yaml"
ORGANIZATIONS_FILE = Path(__file__).parent / "data" / "organizations-82.csv"
DEMO_PASSWORD = "tiengiang-383"  # noqa: S105 - printed for the demo users on purpose

# Words that Mekong Delta hamlet names are made of ("Ấp Mỹ Lợi", "Ấp Tân Thạnh").
_FIRST = [
    "Bình",
    "Tân",
    "Mỹ",
    "Hòa",
    "Long",
    "Phú",
    "Thạnh",
    "An",
    "Hậu",
    "Phước",
    "Vĩnh",
    "Thới",
    "Hưng",
    "Lợi",
    "Quý",
    "Đông",
    "Tây",
    "Trung",
    "Hiệp",
    "Nhơn",
]
_SECOND = [
    "Hòa",
    "Thạnh",
    "Lợi",
    "Phú",
    "Long",
    "An",
    "Thuận",
    "Hưng",
    "Quới",
    "Lộc",
    "Trinh",
    "Hiệp",
    "Phong",
    "Nhơn",
    "Điền",
    "Khương",
    "Đức",
    "Mỹ",
    "Hội",
    "Tân",
]


def hamlet_names(commune: Unit) -> list[str]:
    """5–12 hamlet names for `commune`, the same every time for the same code."""
    rng = random.Random(int(commune.code))  # noqa: S311 - demo data, not security
    count = rng.randint(5, 12)
    if commune.type in (UnitType.WARD, UnitType.TOWNSHIP):
        return [f"Khu phố {n}" for n in range(1, count + 1)]
    names: list[str] = []
    while len(names) < count:
        if rng.random() < 0.15:
            name = f"Ấp {len(names) + 1}"
        else:
            first, second = rng.choice(_FIRST), rng.choice(_SECOND)
            name = f"Ấp {first} {second}" if first != second else f"Ấp {first}"
        if name not in names:
            names.append(name)
    return names


def write_hamlets_csv(province: Unit, path: Path) -> int:
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Mã xã", "Tên ấp/khu phố"])
        for commune in (
            Unit.objects.subtree(province)
            .territorial()
            .filter(level=Level.COMMUNE)
            .order_by("code")
        ):
            for name in hamlet_names(commune):
                writer.writerow([commune.code, name])
                rows += 1
    return rows


def write_local_organizations_csv(province: Unit, path: Path) -> int:
    """Police and People's Committee of every district- and commune-level unit."""
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Mã đơn vị", "Tên đơn vị", "Loại", "Cấp", "Mã đơn vị hành chính"])
        for unit in (
            Unit.objects.subtree(province)
            .territorial()
            .filter(level__in=[Level.DISTRICT, Level.COMMUNE])
            .order_by("path")
        ):
            level_word = "huyện" if unit.level == Level.DISTRICT else "xã"
            writer.writerow(
                [
                    f"{unit.code}-CA",
                    f"Công an {unit.name[0].lower()}{unit.name[1:]}",
                    "cong_an",
                    level_word,
                    unit.code,
                ]
            )
            writer.writerow(
                [
                    f"{unit.code}-UBND",
                    f"Ủy ban nhân dân {unit.name[0].lower()}{unit.name[1:]}",
                    "ubnd",
                    level_word,
                    unit.code,
                ]
            )
            rows += 2
    return rows


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    unit_codes: tuple[str, ...]
    full_name: str


# One user per role; the commune, district and volunteer share Chợ Gạo so a
# drill-down shows the same place from each level.
DEMO_USERS = [
    DemoUser("admin", Role.PROVINCE_ADMIN, ("82",), "Quản trị hệ thống tỉnh"),
    DemoUser("chutich", Role.PROVINCE_VIEWER, ("82",), "Chủ tịch UBND tỉnh"),
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


def ensure_demo_users() -> list[tuple[DemoUser, User]]:
    """Create the demo users, or put existing ones back to their demo role, units and password."""
    out = []
    for spec in DEMO_USERS:
        units = list(Unit.objects.filter(code__in=spec.unit_codes))
        with transaction.atomic():
            user = User.objects.filter(username=spec.username).first()
            if user is None:
                user = user_create(
                    username=spec.username,
                    password=DEMO_PASSWORD,
                    role=spec.role,
                    units=units,
                    full_name=spec.full_name,
                )
            else:
                if not user.check_password(DEMO_PASSWORD):
                    user.set_password(DEMO_PASSWORD)
                user.role, user.full_name, user.is_active = spec.role, spec.full_name, True
                user.save()
                user.units.set(units)
        out.append((spec, user))
    return out


def simulate_campaign(scale: float, say: Callable[[str], None]) -> None:
    """Citizens and their account histories (demo.population), the daily counts of
    the VNeID peak, and the activated-accounts target split down the tree.

    A rebuild at the same scale keeps the citizens (and their counts) as they
    are; another scale replaces them.
    """
    started = time.monotonic()
    sim = population_simulate(scale=scale)
    if sim.skipped:
        say(
            f"Dân cư mô phỏng (tỷ lệ {scale:g}): {vn_number(sim.citizens)} công dân (đã có, giữ nguyên)"
        )
    else:
        say(
            f"Dân cư mô phỏng (tỷ lệ {scale:g}): {vn_number(sim.citizens)} công dân, "
            f"{vn_number(sim.households)} hộ, {vn_number(sim.events)} sự kiện tài khoản, "
            f"{vn_number(sim.flags)} đánh dấu; {vn_number(sim.activated)} tài khoản kích hoạt đến "
            f"{END:%d/%m/%Y} ({time.monotonic() - started:.0f} giây)"
        )
    started = time.monotonic()
    days = (END - START).days + 1
    built = DailyCount.objects.filter(date__gte=START, date__lte=END).dates("date", "day").count()
    if sim.skipped and built == days:
        say(f"Số liệu từng ngày {START:%d/%m}–{END:%d/%m/%Y}: đã có")
    else:
        rows = counts_rebuild(START, END)
        say(
            f"Số liệu từng ngày {START:%d/%m}–{END:%d/%m/%Y}: {vn_number(rows)} dòng "
            f"({time.monotonic() - started:.0f} giây)"
        )
    plan = Plan.objects.filter(province__code=str(PROVINCE)).order_by("-issued_on").first()
    target = vneid_target(plan) if plan else None
    if target is not None:
        day = target.period.start if target.period else START
        if target.period and (target.period.start, target.period.end) != (START, END):
            say(
                f"Lưu ý: đợt cao điểm trong kế hoạch ({target.period.start:%d/%m}–"
                f"{target.period.end:%d/%m/%Y}) khác đợt đã mô phỏng ({START:%d/%m}–{END:%d/%m/%Y})"
            )
        basis = eligible_basis(day)
        result = targets_allocate(target, lambda u: basis.get(u.code, 0))
        say(
            f"Chỉ tiêu {vn_number(int(target.value))} tài khoản chia cho huyện, xã: "
            f"thêm mới {result.created}, cập nhật {result.updated}, không đổi {result.unchanged}"
        )


def build(
    work_dir: Path, say: Callable[[str], None], *, scale: float = 1.0
) -> list[tuple[DemoUser, User]]:
    """Build (or bring up to date) the whole demo campaign, reporting each step through `say`.

    `scale` is the share of the province's 1.4 million citizens aged 14+ to
    simulate (1.0 = all of them; 0 = none, no simulation at all).
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    result = units_load(PROVINCE, START)
    say(f"Đơn vị hành chính tỉnh {PROVINCE}: {result.total} (thêm mới {result.created})")
    province = Unit.objects.get(code=str(PROVINCE))

    hamlets_csv = work_dir / "ap-khu-pho-82.csv"
    write_hamlets_csv(province, hamlets_csv)
    result = hamlets_import(hamlets_csv, on=START)
    say(f"Ấp, khu phố: {result.total} (thêm mới {result.created})")

    result = organizations_import(ORGANIZATIONS_FILE, on=START)
    say(
        f"Sở, ban, ngành, đoàn thể, khu công nghiệp, trường học: {result.total} (thêm mới {result.created})"
    )
    local_csv = work_dir / "cong-an-ubnd-82.csv"
    write_local_organizations_csv(province, local_csv)
    result = organizations_import(local_csv, on=START)
    say(f"Công an và UBND cấp huyện, xã: {result.total} (thêm mới {result.created})")

    loaded = plan_load(PLAN_FILE)
    say(f"Kế hoạch: {loaded.plan.number} ({'đã nạp' if loaded.changed else 'không đổi'})")

    # Users before the simulation: the demo volunteer joins a team of their hamlets.
    users = ensure_demo_users()
    say(f"Người dùng mẫu: {len(users)}")

    if scale > 0:
        simulate_campaign(scale, say)
        started = time.monotonic()
        visits = field_simulate()
        if not visits.get("skipped"):
            say(
                f"Tổ, đội: {vn_number(visits['teams'])}; lượt đến nhà ghi nhận: "
                f"{vn_number(visits['visits'])} ({time.monotonic() - started:.0f} giây)"
            )
        started = time.monotonic()
        dossiers = dossiers_simulate(scale=scale)
        say(
            f"Hồ sơ TTHC mô phỏng năm 2023: {vn_number(dossiers)} ({time.monotonic() - started:.0f} giây)"
        )
        started = time.monotonic()
        results = results_demo_simulate(work_dir, plan=loaded.plan, scale=scale, until=END)
        if not results["skipped"]:
            say(
                f"Kết quả TTHC số hóa (tệp PDF và danh sách, nhập qua kho): "
                f"{vn_number(results['stored'])} ({time.monotonic() - started:.0f} giây)"
            )
        started = time.monotonic()
        reports = reporting_simulate(loaded.plan, END)
        activities = activities_simulate(loaded.plan, END)
        say(
            f"Báo cáo phải nộp: {vn_number(reports['reports'])}, đã nộp đến "
            f"{END:%d/%m/%Y}: {vn_number(reports['sent'])}; hoạt động truyền thông: "
            f"{vn_number(activities)} ({time.monotonic() - started:.0f} giây)"
        )
    else:
        reports_expect(loaded.plan)

    return users
