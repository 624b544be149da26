"""Progress read from counts: sums up the tree, % of target, pace needed, forecast."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from chiendich.plans.models import TargetAllocation
from chiendich.units.models import Level, Unit
from chiendich.units.services import unit_upsert
from chiendich.vneid.counts import counts_rebuild
from chiendich.vneid.models import AccountState, Citizen, Source
from chiendich.vneid.progress import Counts, Progress, progress_for, rollup, vneid_target
from chiendich.vneid.selectors import state_on
from chiendich.vneid.services import citizen_state_record

END = dt.date(2023, 10, 18)


def progress(
    activated: int, week_ago: int, target: int | None = 1000, day=dt.date(2023, 10, 1)
) -> Progress:
    return Progress(
        code="x",
        name="x",
        level="commune",
        date=day,
        counts=Counts(eligible=1200, activated_l1=activated),
        target=target,
        period_end=END,
        activated_week_ago=week_ago,
    )


def test_forecast_on_hand_made_cases() -> None:
    slow = progress(700, 630)  # 10 a day, 300 missing: 30 days, after 18/10
    assert slow.percent_of_target == Decimal("70.00")
    assert slow.needed_daily_pace == 18  # ceil(300 / 17 days left)
    assert (slow.forecast_date, slow.forecast_note) == (None, "not_before_deadline")
    fast = progress(900, 830)  # 10 a day, 100 missing: 10 days
    assert (fast.forecast_date, fast.forecast_note) == (dt.date(2023, 10, 11), "on_pace")
    assert fast.rate_of_eligible == Decimal("75.00")
    stalled = progress(900, 900)
    assert stalled.forecast_note == "not_before_deadline" and stalled.recent_daily_pace == 0
    done = progress(1000, 950)
    assert (done.needed_daily_pace, done.forecast_note) == (0, "reached")
    assert progress(5, 0, target=None).percent_of_target is None
    assert (
        Progress(
            code="x",
            name="x",
            level="commune",
            date=END,
            counts=Counts(),
            target=10,
            period_end=END,
            activated_week_ago=0,
        ).rate_of_eligible
        is None
    )  # N/A


@pytest.fixture
def small_province(plan_383):
    """Four citizens in two communes of two districts, with dated histories."""
    people = []
    for i, commune_code in enumerate(["28249", "28249", "28597", "28597"]):
        commune = Unit.objects.get(code=commune_code)
        hamlet, _ = unit_upsert(
            code=f"{commune_code}-01",
            name="Ấp 1",
            unit_type="ap",
            level=Level.HAMLET,
            parent=commune,
        )
        people.append(
            Citizen.objects.create(
                id_number=f"0820900000{i:02d}",
                full_name=f"Người {i}",
                birth_date=dt.date(1990, 1, 1),
                sex="M",
                commune=commune,
                unit=hamlet,
            )
        )
    record = lambda c, s, d: citizen_state_record(c, state=s, date=d, source=Source.POLICE_LIST)  # noqa: E731
    record(people[0], AccountState.APPROVED, dt.date(2023, 8, 20))
    record(people[0], AccountState.ACTIVATED_L1, dt.date(2023, 9, 15))
    record(people[1], AccountState.ACTIVATED_L2, dt.date(2023, 8, 25))
    record(people[2], AccountState.L1_PENDING, dt.date(2023, 8, 20))
    record(people[2], AccountState.ACTIVATED_L1, dt.date(2023, 9, 28))
    counts_rebuild(dt.date(2023, 8, 20), END)
    return people


def test_history_gives_the_state_on_any_day(small_province) -> None:
    first = small_province[0]
    assert state_on(first, dt.date(2023, 9, 1)) == AccountState.APPROVED
    assert state_on(first, dt.date(2023, 10, 1)) == AccountState.ACTIVATED_L1
    assert state_on(first, dt.date(2023, 8, 1)) == AccountState.NOT_REGISTERED
    first.refresh_from_db()
    assert (first.state, first.state_date) == (AccountState.ACTIVATED_L1, dt.date(2023, 9, 15))


def test_province_counts_equal_the_sum_of_its_communes(small_province) -> None:
    for day in (dt.date(2023, 9, 1), dt.date(2023, 10, 1)):
        totals = rollup(day)
        communes = [c for c in totals if Unit.objects.get(code=c).level == Level.COMMUNE]
        assert totals["82"].activated == sum(totals[c].activated for c in communes)
        assert totals["82"].eligible == sum(totals[c].eligible for c in communes) == 4
    assert rollup(dt.date(2023, 9, 1))["82"].activated == 1
    assert rollup(dt.date(2023, 10, 1))["82"].activated == 3
    assert rollup(dt.date(2023, 9, 15))["28249"].new_activations == 1


def test_progress_command_prints_the_unit_and_its_children(small_province, plan_383) -> None:
    target = vneid_target(plan_383)
    for code, value in (("82", 903_203), ("815", 10), ("822", 4), ("28249", 2), ("28597", 2)):
        TargetAllocation.objects.create(
            target=target, unit=Unit.objects.get(code=code), value=value
        )
    out = StringIO()
    call_command("progress", "--unit", "82", "--date", "2023-10-01", "--format", "json", stdout=out)
    rows = {r["code"]: r for r in json.loads(out.getvalue())}
    assert len(rows) == 12  # the province and its 11 districts
    assert rows["82"]["activated"] == 3 and rows["82"]["target"] == 903_203
    assert rows["815"]["activated"] == 2 and rows["815"]["percent_of_target"] == "20.00"
    assert rows["822"]["activated"] == 1 and rows["822"]["rate_of_eligible"] == "50.00"
    table = StringIO()
    call_command("progress", "--unit", "822", "--date", "2023-10-01", stdout=table)
    assert "Xã Trung Hòa" in table.getvalue() and "903" not in table.getvalue()
    assert (
        progress_for([Unit.objects.get(code="28597")], dt.date(2023, 10, 1), plan_383)[0].activated
        == 1
    )


def test_an_import_moves_the_numbers_at_once(small_province, write_file) -> None:
    """Counts already built are recounted for what the import touched, in its transaction."""
    from chiendich.vneid.importing import citizens_import

    before = rollup(dt.date(2023, 10, 10))
    path = write_file(
        "ds.csv",
        "Số định danh cá nhân,Họ và tên,Ngày sinh,Giới tính,Mã xã,Ấp/Khu phố,Trạng thái,Ngày cập nhật\n"
        # Người 3 (28597) activates on 05/10; a new citizen appears in Phường 5.
        "082090000003,Người 3,01/01/1990,Nam,28597,Ấp 1,Đã kích hoạt mức 2,05/10/2023\n"
        "082090000099,Người mới,01/01/1990,Nam,28249,Ấp 1,,\n",
    )
    report = citizens_import(path)
    assert report.counts_refreshed > 0
    after = rollup(dt.date(2023, 10, 10))
    assert after["82"].activated == before["82"].activated + 1
    assert after["28597"].activated_l2 == before["28597"].activated_l2 + 1
    assert after["28249"].eligible == before["28249"].eligible + 1
    assert rollup(dt.date(2023, 10, 4))["28597"].activated == 1  # Người 3 not yet, only Người 2
    assert rollup(dt.date(2023, 10, 5))["28597"].new_activations == 1
