"""Builds the simulated campaign of a plan file: units, hamlets, organizations, the
plan, users, then citizens with their VNeID account histories, daily counts, the
count target split down the tree, teams and visits, a year of TTHC dossiers,
digitized results, the reports owed so far and communication activities.

Everything comes from the plan file and the unit tree in force on its dates
(demo.campaign): the default plan replays Tiền Giang's Plan 383 of 2023 on the
2023 tree; plans/dong-thap-2026.yaml runs today's Đồng Tháp on the 2025 tree,
up to today. Today's tree is loaded as well in both (with its lineage to the
2023 units), so 2023's figures can be read under today's units.

Everything is deterministic (seeded by unit codes), so two builds on the same day
give the same data and a rebuild over an existing database changes nothing.
Hamlets and organizations go through the same CSV importers an officer would use.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from chiendich.accounts.models import User
from chiendich.core.numbers import vn_number
from chiendich.field.simulate import field_simulate
from chiendich.plans.allocation import targets_allocate
from chiendich.plans.schema import load_plan_file
from chiendich.plans.services import plan_load
from chiendich.procedures.simulate import dossiers_simulate
from chiendich.reporting.schedule import reports_expect
from chiendich.reporting.simulate import activities_simulate, reporting_simulate
from chiendich.results.simulate import results_demo_simulate
from chiendich.units.loading import units_load
from chiendich.units.models import Level, Unit
from chiendich.units.selectors import province_at
from chiendich.units.services import hamlets_import, organizations_import
from chiendich.vneid.counts import counts_rebuild
from chiendich.vneid.models import DailyCount
from chiendich.vneid.progress import eligible_basis, vneid_target

from .campaign import Campaign, campaign_of, demo_password
from .simulate import population_simulate
from .tree import (
    organizations_file,
    write_hamlets_csv,
    write_local_organizations_csv,
    write_province_organizations_csv,
)
from .users import DemoUser, demo_users_for, ensure_demo_users

# The plan `chiendich demo` builds when given none: the 2023 replay of Plan 383.
PLAN_FILE = Path(settings.BASE_DIR).parents[1] / "plans" / "tien-giang-383-2023.yaml"

Say = Callable[[str], None]


def password_of(plan_file: Path) -> str:
    """The demo users' shared password for `plan_file` (demo.campaign.demo_password)."""
    spec = load_plan_file(plan_file)
    return demo_password(spec.place, spec.number)


def simulate_campaign(campaign: Campaign, scale: float, say: Say) -> None:
    """Citizens and their account histories (demo.population), the door-to-door
    teams and visits, the daily counts of the VNeID peak up to the campaign's today
    (rebuilt while a child process draws the year's TTHC dossiers), the dossiers,
    and the activated-accounts target split down the tree.

    A rebuild at the same scale on the same day keeps the citizens, visits, counts
    and dossiers as they are; another scale or day replaces them.
    """
    peak = campaign.peak
    started = time.monotonic()
    sim = population_simulate(campaign.province, peak, scale=scale)
    if sim.skipped:
        say(
            f"Dân cư mô phỏng (tỷ lệ {scale:g}): {vn_number(sim.citizens)} công dân (đã có, giữ nguyên)"
        )
    else:
        say(
            f"Dân cư mô phỏng (tỷ lệ {scale:g} của {vn_number(campaign.population)} người từ "
            f"14 tuổi): {vn_number(sim.citizens)} công dân, {vn_number(sim.households)} hộ, "
            f"{vn_number(sim.events)} sự kiện tài khoản, {vn_number(sim.flags)} đánh dấu; "
            f"{vn_number(sim.activated)} tài khoản kích hoạt đến {peak.today:%d/%m/%Y} "
            f"({time.monotonic() - started:.0f} giây)"
        )
    # Visits before the counts: counted once, with the outcomes the teams recorded
    # (field_simulate refreshes counts only where some exist already).
    started = time.monotonic()
    visits = field_simulate(province=campaign.province, period=(peak.start, peak.today))
    if not visits.get("skipped"):
        say(
            f"Tổ, đội: {vn_number(visits['teams'])}; lượt đến nhà ghi nhận: "
            f"{vn_number(visits['visits'])} ({time.monotonic() - started:.0f} giây)"
        )
    fresh = not (sim.skipped and visits.get("skipped"))
    counted = [time.monotonic()]

    def counts() -> None:
        started = time.monotonic()
        span = f"{peak.start:%d/%m}–{peak.today:%d/%m/%Y}"
        days = DailyCount.objects.filter(date__gte=peak.start, date__lte=peak.today)
        if not fresh and days.dates("date", "day").count() == peak.last + 1:
            say(f"Số liệu từng ngày {span}: đã có")
        else:
            rows = counts_rebuild(peak.start, peak.today)
            say(
                f"Số liệu từng ngày {span}: {vn_number(rows)} dòng "
                f"({time.monotonic() - started:.0f} giây)"
            )
        counted[0] = time.monotonic()

    year_start, year_end = campaign.dossier_year
    dossiers = dossiers_simulate(plan=campaign.plan, scale=scale, until=year_end, meanwhile=counts)
    say(
        f"Hồ sơ TTHC mô phỏng {year_start:%d/%m}–{year_end:%d/%m/%Y}: {vn_number(dossiers)} "
        f"({time.monotonic() - counted[0]:.0f} giây sau số liệu từng ngày)"
    )
    target = vneid_target(campaign.plan)
    if target is not None:
        basis = eligible_basis(target.period.start if target.period else peak.start)
        result = targets_allocate(target, lambda u: basis.get(u.code, 0))
        below = "cho huyện, xã" if _has_districts(campaign.province) else "thẳng cho các xã, phường"
        say(
            f"Chỉ tiêu {vn_number(int(target.value))} tài khoản chia {below}: "
            f"thêm mới {result.created}, cập nhật {result.updated}, không đổi {result.unchanged}"
        )


def build(
    work_dir: Path, say: Say, *, plan_file: Path = PLAN_FILE, scale: float = 1.0
) -> list[tuple[DemoUser, User]]:
    """Build (or bring up to date) the demo campaign of `plan_file`, reporting each step
    through `say`.

    `scale` is the share of the plan's population basis (citizens aged 14+) to
    simulate (1.0 = all of them; 0 = none, no simulation at all).
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    spec = load_plan_file(plan_file)
    number, first = int(spec.province), spec.first_day
    result = units_load(number, first)
    say(
        f"Đơn vị hành chính tỉnh {spec.province} ngày {first:%d/%m/%Y}: {result.total} (thêm mới {result.created})"
    )
    today = timezone.localdate()  # the tree in force now, whatever day the demo replays
    result = units_load(number, today)
    say(
        f"Địa giới hiện nay ({today:%d/%m/%Y}) và liên kết với đơn vị cũ: {result.total} đơn vị, "
        f"{result.lineage} liên kết mới"
    )
    province = province_at(spec.province, first)
    assert province is not None  # noqa: S101 - units_load just loaded it

    hamlets_csv = work_dir / f"ap-khu-pho-{province.code}.csv"
    write_hamlets_csv(province, hamlets_csv)
    result = hamlets_import(hamlets_csv, on=first)
    say(f"Ấp, khu phố: {result.total} (thêm mới {result.created})")

    own = organizations_file(province)
    if own is None:
        own = work_dir / f"co-quan-tinh-{province.code}.csv"
        write_province_organizations_csv(province, own)
    result = organizations_import(own, on=first)
    say(
        f"Sở, ban, ngành, đoàn thể, khu công nghiệp, trường học: {result.total} (thêm mới {result.created})"
    )
    local_csv = work_dir / f"cong-an-ubnd-{province.code}.csv"
    write_local_organizations_csv(province, local_csv)
    result = organizations_import(local_csv, on=first)
    levels = "huyện, xã" if _has_districts(province) else "xã"
    say(f"Công an và UBND cấp {levels}: {result.total} (thêm mới {result.created})")

    loaded = plan_load(plan_file)
    plan = loaded.plan
    say(f"Kế hoạch: {plan.number} ({'đã nạp' if loaded.changed else 'không đổi'})")

    # Users before the simulation: the demo volunteer joins a team of their hamlets.
    users = ensure_demo_users(
        demo_users_for(plan.code, province), demo_password(spec.place, spec.number)
    )
    say(f"Người dùng mẫu: {len(users)}")

    if scale <= 0:
        reports_expect(plan)
        return users
    campaign = campaign_of(plan)
    say(
        f"Ngày của bản demo: {campaign.today:%d/%m/%Y} (đợt VNeID "
        f"{campaign.vneid.start:%d/%m/%Y}–{campaign.vneid.end:%d/%m/%Y})"
    )
    simulate_campaign(campaign, scale, say)
    started = time.monotonic()
    results = results_demo_simulate(work_dir, plan=plan, scale=scale, until=campaign.today)
    if not results["skipped"]:
        say(
            f"Kết quả TTHC số hóa (tệp PDF và danh sách, nhập qua kho): "
            f"{vn_number(results['stored'])} ({time.monotonic() - started:.0f} giây)"
        )
    started = time.monotonic()
    reports = reporting_simulate(plan, campaign.today)
    activities = activities_simulate(plan, campaign.today)
    say(
        f"Báo cáo phải nộp: {vn_number(reports['reports'])}, đã nộp đến "
        f"{campaign.today:%d/%m/%Y}: {vn_number(reports['sent'])}; hoạt động truyền thông: "
        f"{vn_number(activities)} ({time.monotonic() - started:.0f} giây)"
    )
    return users


def _has_districts(province: Unit) -> bool:
    return Unit.objects.subtree(province).filter(level=Level.DISTRICT).exists()
