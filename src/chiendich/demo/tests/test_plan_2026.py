"""`chiendich demo --plan plans/dong-thap-2026.yaml`: today's Đồng Tháp, simulated from the
plan file and the 2025 tree (no district level), up to the campaign's today.

The campaign's today is fixed to 05/12/2026 here (inside both of the plan's periods),
so the build is the same whatever day the tests run.
"""

from __future__ import annotations

import copy
import datetime as dt
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.db.models import Max, Min, Sum
from django.test import Client
from django.urls import reverse

from chiendich.accounts.models import ObjectChange, User
from chiendich.accounts.roles import Role
from chiendich.conftest import REPO_DIR
from chiendich.demo.campaign import campaign_of
from chiendich.demo.population import ACTIVATED, Commune, Hamlet, population
from chiendich.demo.simulate import communes_load
from chiendich.demo.tree import write_hamlets_csv
from chiendich.field.models import Visit
from chiendich.plans.models import Plan, TargetAllocation
from chiendich.plans.services import plan_load
from chiendich.procedures.models import Dossier
from chiendich.procedures.simulate import dossiers_simulate
from chiendich.reporting.content import report_content
from chiendich.reporting.models import Report
from chiendich.units.loading import units_load
from chiendich.units.models import Kind, Level, Unit, UnitType
from chiendich.units.services import hamlets_import
from chiendich.vneid.models import AccountEvent, Citizen

pytestmark = pytest.mark.django_db(transaction=False)
PLAN_2026 = REPO_DIR / "plans" / "dong-thap-2026.yaml"
TODAY = dt.date(2026, 12, 5)
PASSWORD = "dongthap-412"


@pytest.fixture
def demo_2026(settings: Any, tmp_path: Path) -> str:
    settings.DATA_DIR = tmp_path
    settings.CAMPAIGN_TODAY = TODAY.isoformat()
    out = StringIO()
    call_command("demo", "--no-serve", "--plan", str(PLAN_2026), "--scale", "0.01", stdout=out)
    return out.getvalue()


def test_the_2026_demo_builds_todays_dong_thap_from_the_plan(demo_2026: str) -> None:
    """One build (a minute at this scale), every property checked on it."""
    plan = Plan.objects.get(code="dong-thap-2026")
    _tree_and_records(plan)
    _targets_go_straight_to_the_102_communes(plan)
    _reports_are_owed_by_communes_to_the_province(plan)
    _emulation_ranks_the_communes(plan)
    _every_user_signs_in_and_a_rebuild_changes_nothing(demo_2026)


def _tree_and_records(plan: Plan) -> None:
    province = plan.province
    assert (province.code, province.name) == ("82.2025", "Tỉnh Đồng Tháp")
    communes = list(Unit.objects.subtree(province).territorial().filter(level=Level.COMMUNE))
    assert len(communes) == 102
    assert not Unit.objects.subtree(province).filter(level=Level.DISTRICT).exists()
    # Hamlets for the new communes, police and People's Committee for each, the
    # provincial bodies generated for a province without a file of its own.
    hamlets = Unit.objects.subtree(province).filter(level=Level.HAMLET)
    assert set(hamlets.values_list("parent_id", flat=True)) == {c.pk for c in communes}
    police = Unit.objects.subtree(province).filter(
        kind=Kind.ORGANIZATION, type=UnitType.POLICE, level=Level.COMMUNE
    )
    assert police.count() == 102 and police.filter(code="28249-CA.2025").exists()
    assert Unit.objects.filter(code="82-SKHCN.2025", parent=province).exists()
    assert Unit.objects.subtree(province).filter(type=UnitType.SCHOOL).exists()

    # The people, their accounts and visits live in the plan's VNeID peak, up to today.
    assert Citizen.objects.count() == 27_000
    span = AccountEvent.objects.aggregate(first=Min("date"), last=Max("date"))
    assert (span["first"], span["last"]) == (dt.date(2026, 10, 20), TODAY)
    visits = Visit.objects.aggregate(first=Min("day"), last=Max("day"))
    assert dt.date(2026, 10, 20) <= visits["first"] and visits["last"] <= TODAY
    assert not Citizen.objects.exclude(commune__path__startswith=province.path).exists()
    local = Citizen.objects.filter(commune__code="28249.2025")  # formed from old Tiền Giang
    assert local.filter(id_number__startswith="082").count() > local.count() * 0.85
    # Dossiers of 2026 up to today, received by the new units.
    received = Dossier.objects.aggregate(first=Min("received_on"), last=Max("received_on"))
    assert received["first"] >= dt.date(2026, 1, 1) and received["last"] <= TODAY
    assert not Dossier.objects.filter(finished_on__gt=TODAY).exists()
    assert not Dossier.objects.exclude(unit__path__startswith=province.path).exists()


def _targets_go_straight_to_the_102_communes(plan: Plan) -> None:
    target = plan.targets.get(key="vneid_activated_accounts")
    rows = list(TargetAllocation.objects.filter(target=target).select_related("unit"))
    by_level = {
        level: [r for r in rows if r.unit.level == level]
        for level in (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE)
    }
    assert [r.value for r in by_level[Level.PROVINCE]] == [2_050_000]
    assert not by_level[Level.DISTRICT]
    assert len(by_level[Level.COMMUNE]) == 102
    assert sum(r.value for r in by_level[Level.COMMUNE]) == 2_050_000
    assert all(r.unit.parent_id == plan.province_id for r in by_level[Level.COMMUNE])


def _reports_are_owed_by_communes_to_the_province(plan: Plan) -> None:
    province = plan.province
    reports = Report.objects.filter(plan=plan).select_related("unit", "schedule")
    before = reports.count()
    call_command("reports", "expect", stdout=StringIO())
    assert reports.count() == before  # the demo created every one already
    daily = [r for r in reports if r.schedule.key == "vneid_daily"]
    assert len(daily) == 102 * 60
    assert {r.unit.level for r in daily} == {Level.COMMUNE}
    assert set(reports.values_list("recipient_unit_id", flat=True)) == {province.pk}
    batch = [r for r in reports if r.schedule.key == "tthc_batch_1"]
    assert sum(r.unit.level == Level.COMMUNE for r in batch) == 102
    # Sent so far: nothing after today, and nothing for a deadline still ahead.
    sent = reports.exclude(submitted_on=None)
    assert sent.exists() and not sent.filter(submitted_on__gt=TODAY).exists()
    assert not sent.filter(deadline__gt=TODAY).exists()


def _emulation_ranks_the_communes(plan: Plan) -> None:
    weekly = (
        Report.objects.filter(plan=plan, schedule__key="vneid_weekly", deadline__lte=TODAY)
        .order_by("-deadline")
        .first()
    )
    assert weekly is not None and weekly.unit_id == plan.province_id
    rankings = [t for t in report_content(weekly).tables if t.kind == "ranking"]
    assert [t.level for t in rankings] == [Level.COMMUNE]
    rows = rankings[0].rows
    communes = Unit.objects.subtree(plan.province).territorial().filter(level=Level.COMMUNE)
    assert {r["code"] for r in rows} == set(communes.values_list("code", flat=True))
    ranks = [r["rank"] for r in rows]
    assert ranks[0] == 1 and ranks == sorted(ranks) and len(set(ranks)) > 50
    assert all(r["vneid_activated_accounts"] for r in rows)


def _every_user_signs_in_and_a_rebuild_changes_nothing(output: str) -> None:
    assert PASSWORD in output and "phuong.daothanh" in output
    roles = set(User.objects.values_list("role", flat=True))
    # No district level since 1/7/2025: no district office to bind those roles to.
    assert roles == set(Role.values) - {Role.DISTRICT_OFFICER, Role.POLICE_DISTRICT}
    volunteer = User.objects.get(username="tinhnguyen.daothanh")
    assert set(volunteer.units.values_list("code", flat=True)) == {
        "28249-01.2025",
        "28249-02.2025",
    }
    for user in User.objects.all():
        client = Client()
        response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, user.username
        text = client.get(reverse("web:plan")).content.decode()
        assert "Đồng Tháp" in text and "412/KH-UBND" in text, user.username
    changes, units = ObjectChange.objects.count(), Unit.objects.count()
    call_command("demo", "--no-serve", "--plan", str(PLAN_2026), "--scale", "0", stdout=StringIO())
    assert (ObjectChange.objects.count(), Unit.objects.count()) == (changes, units)


def _shifted(days: int, tmp_path: Path) -> Path:
    """The 2026 plan with every date moved by `days`, under another code."""
    data = yaml.safe_load(PLAN_2026.read_text("utf-8"))

    def move(node: Any) -> Any:
        if isinstance(node, dt.date):
            return node + dt.timedelta(days=days)
        if isinstance(node, dict):
            return {k: move(v) for k, v in node.items()}
        if isinstance(node, list):
            return [move(v) for v in node]
        return node

    data = move(copy.deepcopy(data))
    data["code"] = f"dong-thap-2026-dich-{-days}-ngay"
    path = tmp_path / "shifted.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def test_the_simulated_dates_come_from_the_plan(tmp_path: Path) -> None:
    """Move the plan's periods 35 days earlier: the simulated people and dossiers move too."""
    units_load(82, TODAY)
    original = plan_load(PLAN_2026).plan
    shifted = plan_load(_shifted(-35, tmp_path)).plan
    hamlet = Hamlet(1, "28249-01.2025", "Khu phố 1")
    commune = Commune(1, "28249.2025", UnitType.WARD, "", (hamlet,), id_province="082")
    spans = {}
    for plan in (original, shifted):
        campaign = campaign_of(plan, today=TODAY)
        peak = campaign.peak
        days = {
            day
            for _, _, people in population([commune], peak, scale=0.001)
            for person in people
            for _, day, _ in person.events
        }
        spans[plan.code] = (peak.date(min(days)), peak.date(max(days)), campaign.tthc.start)
    assert spans[original.code] == (dt.date(2026, 10, 20), TODAY, dt.date(2026, 11, 1))
    # 20/10 - 35 days = 15/9; its peak ended on 13/11, before today: the whole peak.
    assert spans[shifted.code] == (
        dt.date(2026, 9, 15),
        dt.date(2026, 11, 13),
        dt.date(2026, 9, 27),
    )

    # Dossiers: shares rise in the plan's TTHC peak, wherever the plan puts it.
    written = dossiers_simulate(plan=shifted, scale=0.01, until=TODAY)
    assert written == Dossier.objects.count() > 1_000

    def online(first: dt.date, last: dt.date) -> float:
        rows = Dossier.objects.filter(received_on__gte=first, received_on__lte=last)
        return rows.filter(channel=2).count() / rows.count()

    peak_start = dt.date(2026, 9, 27)
    before = online(peak_start - dt.timedelta(days=60), peak_start - dt.timedelta(days=1))
    during = online(peak_start + dt.timedelta(days=10), peak_start + dt.timedelta(days=59))
    assert during > before * 1.3
    assert Dossier.objects.aggregate(last=Max("received_on"))["last"] <= TODAY
    assert Dossier.objects.aggregate(n=Sum("fee"))["n"]


def test_the_province_ends_the_peak_a_little_above_its_floor(tmp_path: Path) -> None:
    """The activation curve comes from the plan's floor and population basis: on today
    (day 47 of 60) the province is short of its 2,050,000, by the last day a little above."""
    units_load(82, TODAY)
    plan = plan_load(PLAN_2026).plan
    path = tmp_path / "hamlets.csv"
    write_hamlets_csv(plan.province, path)
    hamlets_import(path, on=dt.date(2026, 10, 20))
    communes = communes_load(plan.province)
    assert {c.id_province for c in communes} == {"082", "087"}  # old Tiền Giang, old Đồng Tháp
    scale, floor = 0.02, 2_050_000
    share = {}
    for day in (TODAY, dt.date(2026, 12, 18)):
        peak = campaign_of(plan, today=day).peak
        activated = sum(
            person.events[-1][0] in ACTIVATED
            for _, _, people in population(communes, peak, scale=scale)
            for person in people
        )
        share[day] = activated / (floor * scale)
    assert 0.85 < share[TODAY] < 1
    assert 1 < share[dt.date(2026, 12, 18)] < 1.06
