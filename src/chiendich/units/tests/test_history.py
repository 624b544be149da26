"""2023 history under today's units: a new unit's figures for a past day are the sums of
its predecessors' records (R13); 2023 figures under the old units do not move."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command

from chiendich.accounts.roles import Role
from chiendich.procedures.counts import counts_rebuild as dossier_counts_rebuild
from chiendich.procedures.models import Dossier, DossierStatus, Procedure
from chiendich.procedures.selectors import units_kpi
from chiendich.units.lineage import hamlet_assign
from chiendich.units.loading import units_load
from chiendich.units.models import Level, Unit, UnitType
from chiendich.units.services import unit_upsert
from chiendich.vneid.counts import counts_rebuild
from chiendich.vneid.models import AccountState, Citizen, DailyCount, Source
from chiendich.vneid.progress import progress_for, progress_of_predecessors, rollup
from chiendich.vneid.services import citizen_state_record

pytestmark = pytest.mark.django_db

TODAY_TREE = dt.date(2026, 1, 1)
START, END = dt.date(2023, 8, 20), dt.date(2023, 10, 18)
DAY = dt.date(2023, 9, 15)
# Phường Đạo Thạnh (28249 since 1/7/2025) was formed from these three communes.
FORMED_FROM = ("28249", "28252", "28282")


def _hamlet(commune_code: str, n: int = 1) -> Unit:
    commune = Unit.objects.get(code=commune_code)
    hamlet, _ = unit_upsert(
        code=f"{commune_code}-{n:02d}",
        name=f"Ấp {n}",
        unit_type=UnitType.HAMLET,
        level=Level.HAMLET,
        parent=commune,
    )
    return hamlet


def _citizens(hamlet: Unit, activated: int, pending: int, serial: list[int]) -> None:
    """`activated` citizens activated on 1/9/2023 and `pending` still pending, in `hamlet`."""
    commune = hamlet.parent
    for i in range(activated + pending):
        serial[0] += 1
        citizen = Citizen.objects.create(
            id_number=f"0820900{serial[0]:05d}",
            full_name=f"Người {serial[0]}",
            birth_date=dt.date(1990, 1, 1),
            sex="M",
            commune=commune,
            unit=hamlet,
        )
        citizen_state_record(
            citizen, state=AccountState.L1_PENDING, date=START, source=Source.POLICE_LIST
        )
        if i < activated:
            citizen_state_record(
                citizen,
                state=AccountState.ACTIVATED_L1,
                date=dt.date(2023, 9, 1),
                source=Source.POLICE_LIST,
            )


@pytest.fixture
def history(tien_giang: Unit) -> dict[str, Unit]:
    """2023 records in the three communes that became Phường Đạo Thạnh and in one other,
    then today's tree loaded over them (as a province moving to the two-level tree does)."""
    serial = [0]
    for code, activated, pending in (
        ("28249", 3, 1),
        ("28252", 2, 2),
        ("28282", 1, 4),
        ("28597", 5, 0),  # Xã Trung Hòa: became part of another new commune
    ):
        _citizens(_hamlet(code), activated, pending, serial)
    counts_rebuild(START, END)
    units_load(82, TODAY_TREE)
    return {
        "new": Unit.objects.get(code="28249.2025"),
        "province": Unit.objects.get(code="82.2025"),
    }


def test_loading_todays_tree_changes_no_2023_figure(tien_giang: Unit) -> None:
    serial = [0]
    _citizens(_hamlet("28249"), 3, 1, serial)
    counts_rebuild(START, END)
    before = {code: (c.activated, c.eligible) for code, c in rollup(DAY).items()}
    rows_before = DailyCount.objects.count()

    units_load(82, TODAY_TREE)

    after = rollup(DAY)
    assert {code: (after[code].activated, after[code].eligible) for code in before} == before
    assert DailyCount.objects.count() == rows_before


def test_a_new_units_2023_progress_is_the_sum_of_its_predecessors(history) -> None:
    new = history["new"]
    [own] = progress_for([new], DAY, None)
    parts = progress_of_predecessors(new, DAY)
    old = {
        p.code: p for p in progress_for(list(Unit.objects.filter(code__in=FORMED_FROM)), DAY, None)
    }

    assert [p.code for p in parts] == list(FORMED_FROM)
    assert own.activated == sum(old[c].activated for c in FORMED_FROM) == 6
    assert own.counts.eligible == sum(old[c].counts.eligible for c in FORMED_FROM) == 13
    # Each predecessor's part is its own whole figure (none of them was split).
    assert [(p.activated, p.counts.eligible) for p in parts] == [
        (old[c].activated, old[c].counts.eligible) for c in FORMED_FROM
    ]
    # The rate comes from the summed counts, never from averaging rates.
    assert str(own.rate_of_eligible) == "46.15"  # 6 / 13
    # Today's province sums every old unit of old Tiền Giang and old Đồng Tháp.
    assert rollup(DAY)["82.2025"].activated == rollup(DAY)["82"].activated == 11


def test_progress_command_reads_the_code_in_the_tree_asked_for(history) -> None:
    out = StringIO()
    call_command(
        "progress",
        *("--unit", "28249", "--date", "2023-09-15", "--tree", "2026-01-01", "--format", "json"),
        stdout=out,
    )
    rows = json.loads(out.getvalue())
    assert (rows[0]["code"], rows[0]["key"], rows[0]["name"]) == (
        "28249",
        "28249.2025",
        "Phường Đạo Thạnh",
    )
    assert rows[0]["activated"] == 6 and rows[0]["target"] is None
    parts = [r for r in rows if r.get("predecessor_of") == "28249.2025"]
    assert [r["name"] for r in parts] == ["Phường 5", "Phường 4", "Xã Đạo Thạnh"]
    assert sum(r["activated"] for r in parts) == rows[0]["activated"]

    # Without --tree the date picks the tree: in 2023, 28249 is Phường 5.
    out = StringIO()
    call_command(
        "progress", "--unit", "28249", "--date", "2023-09-15", "--format", "json", stdout=out
    )
    rows = json.loads(out.getvalue())
    assert (rows[0]["name"], rows[0]["activated"]) == ("Phường 5", 3)


def test_a_split_communes_records_follow_its_hamlets(tien_giang: Unit) -> None:
    units_load(82, TODAY_TREE)
    gao_giong = Unit.objects.get(name="Xã Gáo Giồng", valid_to__isnull=False)
    hamlet_a, hamlet_b = _hamlet(gao_giong.code, 1), _hamlet(gao_giong.code, 2)
    serial = [0]
    _citizens(hamlet_a, 2, 0, serial)
    _citizens(hamlet_b, 1, 1, serial)
    counts_rebuild(START, END)
    phu_cuong = Unit.objects.get(name="Xã Phú Cường", valid_from__isnull=False)
    phong_my = Unit.objects.get(name="Xã Phong Mỹ", valid_from__isnull=False)

    # Not assigned: counted for the new province only, never guessed for a commune.
    totals = rollup(DAY)
    assert totals["82.2025"].activated == 3
    assert phu_cuong.code not in totals and phong_my.code not in totals

    hamlet_assign(hamlet_a, phu_cuong, acting_user=None)
    totals = rollup(DAY)
    assert totals[phu_cuong.code].activated == 2
    assert phong_my.code not in totals
    assert totals["82.2025"].activated == 3
    parts = {p.name: p for p in progress_of_predecessors(phu_cuong, DAY)}
    assert parts["Xã Gáo Giồng"].activated == 2  # its part, not its whole 3
    assert sum(p.activated for p in parts.values()) == totals[phu_cuong.code].activated


def _dossiers(unit: Unit, online: int, in_person: int, serial: list[int]) -> None:
    procedure = Procedure.objects.get_or_create(
        code="T.TEST", defaults={"name": "Thủ tục thử", "online_level": "toan_trinh"}
    )[0]
    for i in range(online + in_person):
        serial[0] += 1
        Dossier.objects.create(
            code=f"HS-{serial[0]}",
            procedure=procedure,
            unit=unit,
            channel=2 if i < online else 1,
            received_on=dt.date(2023, 9, 5),
            status=DossierStatus.PROCESSING,
        )


def test_kpi_of_a_new_unit_sums_its_predecessors_numerators_and_denominators(history) -> None:
    serial = [0]
    _dossiers(Unit.objects.get(code="28249"), 1, 3, serial)  # phường: 25%
    _dossiers(Unit.objects.get(code="28252"), 3, 1, serial)  # phường: 75%
    _dossiers(Unit.objects.get(code="28282"), 0, 2, serial)  # xã: 0%
    _dossiers(Unit.objects.get(code="28597"), 5, 0, serial)  # elsewhere
    dossier_counts_rebuild()
    window = (dt.date(2023, 9, 1), dt.date(2023, 9, 15))
    new, *old = units_kpi(
        [history["new"], *Unit.objects.filter(code__in=FORMED_FROM).order_by("code")], *window
    )

    rate = new.indicator("online_dossier_rate")
    assert (rate.numerator, rate.denominator) == (4, 10)
    assert (rate.numerator, rate.denominator) == (
        sum(k.indicator("online_dossier_rate").numerator for k in old),
        sum(k.indicator("online_dossier_rate").denominator for k in old),
    )
    assert str(rate.rate) == "40.00"  # 4 / 10, not the mean of 25, 75 and 0
    assert rate.target is None and new.plan is None  # no 2023 target for a 2025 unit
    # Each predecessor keeps its own type in the breakdown, against no 2023 target here.
    by_type = {b.unit_type: (b.numerator, b.denominator) for b in rate.breakdown}
    assert by_type == {"phuong": (4, 8), "xa": (0, 2)}


def test_kpi_command_with_tree(history) -> None:
    serial = [0]
    _dossiers(Unit.objects.get(code="28249"), 1, 1, serial)
    _dossiers(Unit.objects.get(code="28282"), 1, 0, serial)
    dossier_counts_rebuild()
    out = StringIO()
    call_command(
        "kpi",
        *("--unit", "28249", "--from", "2023-09-01", "--to", "2023-09-15"),
        *("--tree", "2026-01-01", "--format", "json"),
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert data["unit"] == {
        "code": "28249",
        "key": "28249.2025",
        "name": "Phường Đạo Thạnh",
        "level": "commune",
        "type": "phuong",
    }
    online = data["indicators"][0]
    assert (online["key"], online["numerator"], online["denominator"]) == (
        "online_dossier_rate",
        2,
        3,
    )
    assert [p["unit"]["name"] for p in data["predecessors"]] == [
        "Phường 5",
        "Phường 4",
        "Xã Đạo Thạnh",
    ]
    assert sum(p["indicators"][0]["denominator"] for p in data["predecessors"]) == 3


def test_a_user_of_a_new_unit_sees_the_records_of_its_predecessors(history, make_user) -> None:
    officer = make_user(Role.COMMUNE_OFFICER, "28249.2025")
    seen = set(Citizen.objects.restrict(officer).values_list("commune__code", flat=True).distinct())
    assert seen == set(FORMED_FROM)
    # Never forward: a user still bound to old Phường 5 sees nothing of the new units.
    old_officer = make_user(Role.COMMUNE_OFFICER, "28249")
    assert not Unit.objects.restrict(old_officer).filter(valid_from__isnull=False).exists()


def test_report_completeness_of_a_new_unit_counts_its_predecessors_reports(
    plan_383, history
) -> None:
    from chiendich.reporting.models import Report, ReportState
    from chiendich.reporting.schedule import reports_expect

    reports_expect(plan_383)
    finals = Report.objects.filter(schedule__key="vneid_final", unit__code__in=FORMED_FROM)
    assert finals.count() == 3
    for code, day in (("28249", dt.date(2023, 10, 24)), ("28252", dt.date(2023, 10, 27))):
        finals.filter(unit__code=code).update(state=ReportState.SUBMITTED, submitted_on=day)

    def completeness(*tree: str) -> dict:
        out = StringIO()
        call_command(
            "reports",
            *("completeness", "--unit", "28249", "--date", "2023-10-31", *tree),
            *("--format", "json"),
            stdout=out,
        )
        return json.loads(out.getvalue())

    new = completeness("--tree", "2026-01-01")
    assert new["by_type"]["vneid_final"] == {
        "expected": 3,
        "received": 2,
        "on_time": 1,
        "reporting_rate": 66.67,
        "on_time_rate": 33.33,
    }
    assert set(new["by_unit"]) == set(FORMED_FROM)
    # The same code on its own date: Phường 5 alone.
    old = completeness()
    assert old["by_type"]["vneid_final"]["expected"] == 1
    # Reports stay the old units' own: none was moved or re-owned.
    assert set(finals.values_list("unit__valid_to", flat=True)) == {dt.date(2025, 6, 30)}
