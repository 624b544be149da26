"""Each indicator computed by hand on a few dossiers, through the real import and counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from chiendich.plans.models import Plan
from chiendich.procedures.selectors import unit_kpi, units_kpi
from chiendich.units.models import Unit

from .conftest import AGENCY, DISTRICT, PEAK, PHUONG, THI_TRAN, XA, XA_2, dossier_row

pytestmark = pytest.mark.django_db

SEP_1, SEP_30 = dt.date(2023, 9, 1), dt.date(2023, 9, 30)


def kpi(code: str, start: dt.date = PEAK[0], end: dt.date = PEAK[1]) -> Any:
    return unit_kpi(Unit.objects.get(code=code), start, end)


def resolved(code: str, unit: str, **kw: Any) -> list[Any]:
    kw.setdefault("received", "05/09/2023")
    kw.setdefault("finished", "06/09/2023")
    return dossier_row(code, unit, status="Đã giải quyết", **kw)


def test_online_rate_counts_postal_dossiers_in_the_denominator(
    plan_383: Plan, agencies: dict[str, Unit], import_rows: Callable[..., Any]
) -> None:
    import_rows(
        [
            dossier_row("A1", XA, channel=2),
            dossier_row("A2", XA, channel="Trực tuyến"),
            dossier_row("A3", XA, channel=1),
            dossier_row("A4", XA, channel=3),  # by post: not online, still a dossier
            dossier_row("A5", XA, channel=2, received="31/08/2023"),  # before the window
        ]
    )
    online = kpi(XA).indicator("online_dossier_rate")
    assert (online.numerator, online.denominator, online.rate) == (2, 4, Decimal("50.00"))
    assert (online.target, online.target_key, online.met) == (
        Decimal(25),
        "online_dossier_xa",
        True,
    )
    assert online.levels == ["commune"]
    assert online.score == Decimal("6.00")  # Pmax 6: the rate reached the threshold (target)


def test_each_commune_type_is_held_to_its_own_target(
    plan_383: Plan, agencies: dict[str, Unit], import_rows: Callable[..., Any]
) -> None:
    rows = []
    # 1 of 4 online in the xã, 2 of 4 in the phường and in the thị trấn.
    for unit, online in ((XA, 1), (PHUONG, 2), (THI_TRAN, 2)):
        rows += [dossier_row(f"{unit}-{i}", unit, channel=2 if i < online else 1) for i in range(4)]
    import_rows(rows)
    results = {
        k.unit.code: k.indicator("online_dossier_rate")
        for k in units_kpi(list(Unit.objects.filter(code__in=[XA, PHUONG, THI_TRAN])), *PEAK)
    }
    xa, phuong, thi_tran = results[XA], results[PHUONG], results[THI_TRAN]
    assert (xa.rate, xa.target, xa.met) == (Decimal("25.00"), Decimal(25), True)
    assert (phuong.rate, phuong.target, phuong.met) == (Decimal("50.00"), Decimal(55), False)
    assert (thi_tran.rate, thi_tran.target, thi_tran.met) == (Decimal("50.00"), Decimal(45), True)
    # Below the threshold the score is rate x Pmax / threshold: 50 x 6 / 55.
    assert phuong.score == Decimal("5.45")


def test_a_district_rate_is_summed_not_averaged(
    plan_383: Plan, agencies: dict[str, Unit], import_rows: Callable[..., Any]
) -> None:
    rows = [dossier_row("X1", XA, channel=2)]  # 1 of 1 online: 100%
    rows += [dossier_row(f"Y{i}", XA_2, channel=2 if i == 0 else 1) for i in range(9)]  # 11.11%
    # District level: the district itself and its police, 2 of 4 online.
    rows += [dossier_row(f"D{i}", DISTRICT, channel=2 if i == 0 else 1) for i in range(3)]
    rows.append(dossier_row("D3", f"{DISTRICT}-CA", procedure="T.POLICE", channel=2))
    import_rows(rows)
    communes = {c: kpi(c).indicator("online_dossier_rate").rate for c in (XA, XA_2)}
    assert communes == {XA: Decimal("100.00"), XA_2: Decimal("11.11")}
    district = kpi(DISTRICT).indicator("online_dossier_rate")
    # Against "cấp huyện 60%": what the district-level units received.
    assert (district.levels, district.numerator, district.denominator) == (["district"], 2, 4)
    assert (district.rate, district.target, district.met) == (Decimal("50.00"), Decimal(60), False)
    xa_row = next(b for b in district.breakdown if b.level == "commune" and b.unit_type == "xa")
    assert (xa_row.numerator, xa_row.denominator, xa_row.rate) == (2, 10, Decimal("20.00"))
    assert xa_row.rate != (communes[XA] + communes[XA_2]) / 2  # 55.56
    assert (xa_row.target, xa_row.met) == (Decimal(25), False)
    # The whole district together: 4 online of 14.
    assert (district.area.numerator, district.area.denominator) == (4, 14)
    assert district.area.rate == Decimal("28.57")


def test_no_dossiers_is_not_applicable(
    plan_383: Plan, agencies: dict[str, Unit], import_rows: Callable[..., Any]
) -> None:
    import_rows([dossier_row("A1", XA, channel=2)])
    for result in kpi(PHUONG).indicators:
        assert result.denominator == 0, result.key
        assert (result.rate, result.met, result.score) == (None, None, None), result.key
    assert kpi(PHUONG).as_dict()["indicators"][0]["rate"] is None


def test_province_rate_counts_province_level_agencies(
    plan_383: Plan, agencies: dict[str, Unit], import_rows: Callable[..., Any]
) -> None:
    import_rows(
        [
            dossier_row("P1", AGENCY, procedure="T.PROV", channel=2),
            dossier_row("P2", AGENCY, procedure="T.PROV", channel=2),
            dossier_row("P3", AGENCY, procedure="T.PROV", channel=1),
            dossier_row("C1", XA, channel=1),  # a commune's dossier is not "cấp tỉnh"
        ]
    )
    province = kpi("82").indicator("online_dossier_rate")
    assert (province.numerator, province.denominator, province.rate) == (2, 3, Decimal("66.67"))
    assert (province.target, province.met) == (Decimal(70), False)
    assert kpi(AGENCY).indicator("online_dossier_rate").target == Decimal(70)


def test_police_essential_services_online_rate(
    plan_383: Plan, agencies: dict[str, Unit], import_rows: Callable[..., Any]
) -> None:
    import_rows(
        [
            dossier_row("Q1", f"{XA}-CA", procedure="T.POLICE", channel=2),
            dossier_row("Q2", f"{XA}-CA", procedure="T.POLICE", channel=1),
            dossier_row("Q3", XA, procedure="T.FREE", channel=2),  # essential, not police
        ]
    )
    police = kpi(XA).indicator("online_dossier_rate_police_essential")
    assert (police.numerator, police.denominator, police.rate) == (1, 2, Decimal("50.00"))
    assert (police.target, police.stretch, police.met) == (Decimal(100), True, False)
    assert police.score == Decimal("1.00")  # 50 x Pmax 2 / 100


def test_digitization_reuse_and_electronic_result(
    plan_383: Plan, agencies: dict[str, Unit], import_rows: Callable[..., Any]
) -> None:
    import_rows(
        [
            # T.FEE has a paper result: digitized only with an electronic result too.
            resolved("D1", XA, procedure="T.FEE", digitized=1, e_result=1, reused=1),
            resolved("D2", XA, procedure="T.FEE", digitized=1, e_result=0),
            resolved("D3", XA, procedure="T.FREE", digitized=1, e_result=1, reused=1),
            dossier_row("D4", XA, procedure="T.FREE", digitized=0),
            dossier_row("D5", XA, procedure="T.FEE", digitized=1),  # open: no result yet
        ]
    )
    result = kpi(XA)
    digitization = result.indicator("digitization_rate")
    assert (digitization.numerator, digitization.denominator) == (2, 5)
    assert (digitization.rate, digitization.target, digitization.met) == (
        Decimal("40.00"),
        Decimal(90),
        False,
    )
    e_result = result.indicator("electronic_result_rate")  # paper-result procedures only
    assert (e_result.numerator, e_result.denominator, e_result.rate) == (1, 2, Decimal("50.00"))
    assert e_result.target is None and e_result.met is None
    assert e_result.score == Decimal("2.00")  # 50 x 4 / threshold 100
    reuse = result.indicator("data_reuse_rate")
    assert (reuse.numerator, reuse.denominator, reuse.rate) == (2, 5, Decimal("40.00"))


def test_digitization_components_only_variant(
    plan_383: Plan, agencies: dict[str, Unit], import_rows: Callable[..., Any]
) -> None:
    import_rows(
        [
            resolved("D1", XA, procedure="T.FEE", digitized=1, e_result=0),
            dossier_row("D2", XA, procedure="T.FEE", digitized=1),
            dossier_row("D3", XA, procedure="T.FREE", digitized=0),
        ]
    )
    assert kpi(XA).indicator("digitization_rate").rate == Decimal("0.00")
    for indicator in plan_383.document["indicators"]:
        if indicator["key"] == "digitization_rate":
            indicator["variant"] = "components_only"
    plan_383.save()
    digitization = kpi(XA).indicator("digitization_rate")
    assert (digitization.variant, digitization.numerator, digitization.denominator) == (
        "components_only",
        2,
        3,
    )


def test_online_payment_leaves_out_zero_fees(
    plan_383: Plan, agencies: dict[str, Unit], import_rows: Callable[..., Any]
) -> None:
    import_rows(
        [
            dossier_row("F1", XA, procedure="T.FEE", fee=50000, payment=1),
            dossier_row("F2", XA, procedure="T.FEE", fee=0),  # exempt: leaves the denominator
            dossier_row("F3", XA, procedure="T.FEE", fee="20.000", payment=2),
            dossier_row("F4", XA, procedure="T.FEE", fee=30000, payment=0),
            dossier_row("F5", XA, procedure="T.FREE", fee=10000, payment=1),  # not fee-bearing
            # A fee-bearing procedure whose fees were all zero: nothing to pay online.
            dossier_row("G1", XA_2, procedure="T.FEE", fee=0),
            dossier_row("G2", XA_2, procedure="T.FEE", fee=""),
        ]
    )
    payment = kpi(XA).indicator("online_payment_rate")
    assert (payment.numerator, payment.denominator, payment.rate) == (2, 3, Decimal("66.67"))
    assert (payment.target, payment.met, payment.score) == (Decimal(30), True, Decimal("4.00"))
    exempt = kpi(XA_2).indicator("online_payment_rate")
    assert (exempt.numerator, exempt.denominator, exempt.rate, exempt.met) == (0, 0, None, None)

    for indicator in plan_383.document["indicators"]:
        if indicator["key"] == "online_payment_rate":
            indicator["variant"] = "national_portal"
    plan_383.save()
    national = kpi(XA).indicator("online_payment_rate")
    assert (national.numerator, national.denominator) == (1, 3)


def test_on_time_rate_counts_open_dossiers_at_the_end_of_the_window(
    plan_383: Plan, agencies: dict[str, Unit], import_rows: Callable[..., Any]
) -> None:
    def row(code: str, received: str, due: str, finished: str = "", status: str = "") -> list[Any]:
        status = status or ("Đã giải quyết" if finished else "Đang xử lý")
        return dossier_row(code, XA, received=received, due=due, finished=finished, status=status)

    import_rows(
        [
            row("O1", "05/09/2023", "10/09/2023", "08/09/2023"),  # on time
            row("O2", "05/09/2023", "10/09/2023", "12/09/2023"),  # late
            row("O3", "05/09/2023", "10/09/2023", "10/09/2023", "Từ chối"),  # refused on time
            row("O4", "05/09/2023", "10/09/2023", "07/09/2023", "Rút hồ sơ"),  # not processed
            row("O5", "20/09/2023", "05/10/2023"),  # open, not yet due on 30/9
            row("O6", "10/09/2023", "20/09/2023"),  # open, overdue
            row("O7", "25/08/2023", "28/08/2023"),  # open since August, overdue
            row("O8", "25/08/2023", "28/08/2023", "03/09/2023"),  # finished late in the window
            row("O9", "20/09/2023", "25/09/2023", "02/10/2023"),  # open and overdue on 30/9
        ]
    )
    on_time = kpi(XA, SEP_1, SEP_30).indicator("on_time_rate")
    # Finished in September: O1, O2, O3, O8 (2 on time); open on 30/9: O5, O6, O7, O9 (O5 on time).
    assert (on_time.numerator, on_time.denominator, on_time.rate) == (3, 8, Decimal("37.50"))
    assert on_time.score == Decimal("7.50")  # 37.5 x Pmax 20 / threshold 100

    for indicator in plan_383.document["indicators"]:
        if indicator["key"] == "on_time_rate":
            indicator["variant"] = "finished"
    plan_383.save()
    finished = kpi(XA, SEP_1, SEP_30).indicator("on_time_rate")
    assert (finished.numerator, finished.denominator) == (2, 4)


def test_result_coverage_counts_from_the_first_of_september(
    plan_383: Plan, agencies: dict[str, Unit], import_rows: Callable[..., Any]
) -> None:
    import_rows(
        [
            resolved(
                "R1",
                XA,
                procedure="T.FEE",
                received="15/08/2023",
                finished="20/08/2023",
                e_result=1,
            ),  # fmt: skip
            resolved("R2", XA, procedure="T.FEE", finished="05/09/2023", e_result=1),
            resolved("R3", XA, procedure="T.FEE", finished="06/09/2023", e_result=0),
            resolved("R4", XA, procedure="T.FREE", finished="07/09/2023", e_result=1),
            dossier_row("R5", XA, procedure="T.FEE", status="Từ chối", finished="08/09/2023"),
        ]
    )
    result = kpi(XA, dt.date(2023, 8, 1), SEP_30)
    coverage = result.indicator("result_reuse_rate")
    assert coverage.date_from == SEP_1  # the target applies from 01/9/2023 (II.1.đ)
    assert (coverage.numerator, coverage.denominator, coverage.rate) == (2, 3, Decimal("66.67"))
    assert (coverage.target, coverage.met) == (Decimal(100), False)
    # The electronic result rate is not clamped: R1, R2, R3 (paper-result procedure).
    e_result = result.indicator("electronic_result_rate")
    assert (e_result.date_from, e_result.numerator, e_result.denominator) == (
        dt.date(2023, 8, 1),
        2,
        3,
    )
    before = kpi(XA, dt.date(2023, 8, 1), dt.date(2023, 8, 31)).indicator("result_reuse_rate")
    assert (before.denominator, before.rate) == (0, None)


def test_rates_follow_a_change_of_the_catalogue_without_a_rebuild(
    plan_383: Plan, agencies: dict[str, Unit], import_rows: Callable[..., Any]
) -> None:
    from chiendich.procedures.models import Procedure

    import_rows([dossier_row("F1", XA, procedure="T.FREE", fee=10000, payment=1)])
    assert kpi(XA).indicator("online_payment_rate").denominator == 0
    Procedure.objects.filter(code="T.FREE").update(fee_bearing=True)
    payment = kpi(XA).indicator("online_payment_rate")
    assert (payment.numerator, payment.denominator) == (1, 1)
