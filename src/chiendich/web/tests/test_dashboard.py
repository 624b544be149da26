"""The dashboard: values, targets, traffic lights, trends, ranks, the as-of day,
the xlsx export, and the cache following the counts."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from decimal import Decimal

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from chiendich.accounts.roles import Role
from chiendich.conftest import REPO_DIR
from chiendich.procedures.counts import counts_rebuild as dossier_counts_rebuild
from chiendich.procedures.models import Channel, Dossier, DossierStatus, Procedure
from chiendich.procedures.selectors import unit_kpi
from chiendich.units.models import Unit
from chiendich.vneid.counts import counts_rebuild
from chiendich.vneid.models import AccountState, Citizen, Source
from chiendich.vneid.services import citizen_state_record
from chiendich.web.dashboard import (
    BEHIND,
    MET,
    ON_PACE,
    expected_by,
    pace_share,
    traffic_light,
    tthc_trend,
    unit_dashboard,
)
from chiendich.web.selectors import peer_ranks

from .conftest import COMMUNE, END, SIBLING, START

# --- rules -------------------------------------------------------------------------------------


def test_traffic_light_rule() -> None:
    share = Decimal("0.8")
    assert traffic_light(100, 100, Decimal(50), share) == MET
    assert traffic_light(40, 100, Decimal(50), share) == ON_PACE  # 40 >= 0.8 x 50
    assert traffic_light(39, 100, Decimal(50), share) == BEHIND
    assert traffic_light(39, 100, Decimal(50), share, forecast_reaches=True) == ON_PACE
    assert traffic_light(None, 100, Decimal(50), share) is None
    assert traffic_light(10, None, None, share) is None


def test_steady_pace_counts_days_elapsed_and_rates_expect_the_target() -> None:
    # A straight line from the first day (the unit's value then, here 0) to the target
    # on the last: day 30 of 60 is 29 of the period's 59 steps (status.steady_pace).
    assert expected_by(Decimal(590), "count", START, END, dt.date(2023, 9, 18)) == 290
    assert expected_by(Decimal(600), "count", START, END, START) == 0
    assert expected_by(Decimal(600), "count", START, END, dt.date(2023, 8, 1)) == 0
    assert expected_by(Decimal(600), "count", START, END, dt.date(2023, 12, 1)) == 600
    assert expected_by(Decimal(55), "percent", START, END, dt.date(2023, 9, 1)) == 55


def test_pace_share_is_the_plans_lagging_threshold(plan_383) -> None:
    assert pace_share(plan_383) == Decimal("0.8")
    assert pace_share(None) == 1


def test_peer_ranks_share_positions_on_ties_and_skip_units_without_a_score() -> None:
    ranks = peer_ranks({"a": Decimal(90), "b": Decimal(95), "c": Decimal(90), "d": None, "e": 10})
    assert ranks == {"b": 1, "a": 2, "c": 2, "e": 4}


# --- a small campaign --------------------------------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def card(page: str, key: str) -> str:
    match = re.search(rf'<article class="ind [a-z_]+" id="ind-{key}">(.*?)</article>', page, re.S)
    assert match, f"no card {key}"
    return match.group(1)


def test_commune_page_shows_each_indicator_with_its_light_and_rank(
    small_campaign, make_user
) -> None:
    page = client_for(make_user(Role.COMMUNE_OFFICER, COMMUNE))
    text = page.get(reverse("web:unit-detail", args=[COMMUNE])).content.decode()
    assert "18/10/2023" in text  # the data's last day, not today
    rate = card(text, "vneid_activation_rate")
    assert "83,33%" in rate  # 5 of 6 eligible activated by 18/10
    # Ranked among the 15 communes of Chợ Gạo: Trung Hòa has the best share.
    assert "hạng 1/" in rate.lower() or "rank 1 of" in rate.lower()
    count = card(text, "vneid_activated_accounts")
    assert ">5<" in count.replace(" ", "")  # 5 activated against a target of thousands
    assert 'class="light behind"' in count


def test_changing_the_as_of_day_changes_the_numbers(small_campaign, make_user) -> None:
    page = client_for(make_user(Role.COMMUNE_OFFICER, COMMUNE))
    url = reverse("web:unit-detail", args=[COMMUNE])
    late = card(page.get(url, {"ngay": "2023-10-18"}).content.decode(), "vneid_activation_rate")
    early = card(page.get(url, {"ngay": "2023-09-03"}).content.decode(), "vneid_activation_rate")
    assert "83,33%" in late and "33,33%" in early  # 5 of 6, then 2 of 6
    assert "33,33%" not in late


def test_units_below_link_down_with_the_day_and_rank_hamlets(small_campaign, make_user) -> None:
    page = client_for(make_user(Role.DISTRICT_OFFICER, "822"))
    text = page.get(reverse("web:unit-detail", args=["822"]), {"ngay": "2023-09-03"})
    body = text.content.decode()
    assert f'href="/don-vi/{COMMUNE}/?ngay=2023-09-03"' in body
    commune = page.get(reverse("web:unit-detail", args=[COMMUNE]), {"ngay": "2023-10-18"})
    rows = re.findall(r'<tr data-code="([^"]+)">', commune.content.decode())
    assert rows == [f"{COMMUNE}-01", f"{COMMUNE}-02"]  # hamlets, sortable table


def test_dashboard_is_the_same_for_every_reader_and_follows_new_counts(
    small_campaign, make_user
) -> None:
    unit = Unit.objects.get(code=COMMUNE)
    children = list(Unit.objects.filter(parent=unit, kind="territorial").order_by("code"))
    before = unit_dashboard(unit, END, small_campaign, children)
    rate = next(c for c in before.cards if c.key == "vneid_activation_rate")
    assert rate.value == Decimal("83.33")
    # A late activation is recorded and counted: the cached figures follow.
    last = Citizen.objects.filter(unit__code=f"{COMMUNE}-02").order_by("pk").last()
    citizen_state_record(
        last, state=AccountState.ACTIVATED_L2, date=dt.date(2023, 10, 10), source=Source.POLICE_LIST
    )
    counts_rebuild(START, END)
    after = unit_dashboard(unit, END, small_campaign, children)
    assert next(c for c in after.cards if c.key == "vneid_activation_rate").value == 100


def test_charts_carry_the_series_target_and_forecast(small_campaign, make_user) -> None:
    page = client_for(make_user(Role.COMMUNE_OFFICER, COMMUNE))
    text = page.get(reverse("web:unit-detail", args=[COMMUNE]), {"ngay": "2023-09-10"})
    body = text.content.decode()
    data = json.loads(
        re.search(r'id="chart-data" type="application/json">(.*?)</script>', body, re.S).group(1)
    )
    chart = data["vneid_activated_accounts"]
    assert chart["days"][0] == "2023-08-20" and chart["days"][-1] == "2023-10-18"
    i = chart["days"].index("2023-09-10")
    assert chart["actual"][i] == 4 and chart["actual"][i + 1] is None
    assert chart["forecast"][i] == 4 and chart["forecast"][-1] > 4  # 7-day pace continued
    assert chart["target"] > 0 and chart["pace"][-1] == chart["target"]
    assert "web/vendor/echarts/echarts.min.js" in body


# --- TTHC --------------------------------------------------------------------------------------


@pytest.fixture
def dossiers(small_campaign):
    procedure = Procedure.objects.create(code="T.1", name="Thủ tục", levels=["commune"])
    commune = Unit.objects.get(code=COMMUNE)
    for i, (day, channel) in enumerate(
        [(5, 2), (5, 1), (6, 1), (12, 2), (12, 2), (20, 1), (25, 2), (28, 1)]
    ):
        Dossier.objects.create(
            code=f"D{i}",
            procedure=procedure,
            unit=commune,
            channel=Channel(channel),
            received_on=dt.date(2023, 9, day),
            status=DossierStatus.PROCESSING,
        )
    dossier_counts_rebuild()
    return commune


def test_tthc_trend_ends_on_the_cards_value(dossiers, make_user) -> None:
    kpi = unit_kpi(dossiers, dt.date(2023, 9, 1), dt.date(2023, 10, 18))
    online = kpi.indicator("online_dossier_rate")
    assert online.rate == Decimal("50.00") and online.target == 25  # xã: 25%
    trend = tthc_trend(dossiers, online, kpi.plan)
    assert trend[dt.date(2023, 9, 5)] == 50 and trend[dt.date(2023, 9, 6)] == Decimal("33.33")
    assert trend[dt.date(2023, 10, 18)] == online.rate
    page = client_for(make_user(Role.COMMUNE_OFFICER, COMMUNE))
    text = page.get(reverse("web:unit-detail", args=[COMMUNE])).content.decode()
    online_card = card(text, "online_dossier_rate")
    assert "50,00%" in online_card and 'class="light met"' in online_card


def test_the_results_store_trend_is_only_the_point_it_knows(dossiers) -> None:
    """The daily counts hold no stored-results numerator: the trend is the card's own
    point, never a line of zeros before it (issue 14: signals that never mislead)."""
    kpi = unit_kpi(dossiers, dt.date(2023, 9, 1), dt.date(2023, 10, 18))
    store = kpi.indicator("result_store_coverage")
    assert tthc_trend(dossiers, store, kpi.plan) == {store.date_to: store.rate}
    online = tthc_trend(dossiers, kpi.indicator("online_dossier_rate"), kpi.plan)
    assert len(online) == (dt.date(2023, 10, 18) - dt.date(2023, 9, 1)).days + 1


# --- export and scope --------------------------------------------------------------------------


def test_tables_export_to_xlsx_with_numbers_as_numbers(small_campaign, make_user) -> None:
    page = client_for(make_user(Role.DISTRICT_OFFICER, "822"))
    response = page.get(reverse("web:unit-xlsx", args=["822"]), {"ngay": "2023-10-18"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('chi-so-822-20231018.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    indicators, below = book.worksheets
    names = [row[0] for row in indicators.iter_rows(min_row=2, values_only=True)]
    assert "Số tài khoản VNeID kích hoạt thành công" in names
    rows = {r[0]: r for r in below.iter_rows(min_row=2, values_only=True)}
    trung_hoa = rows[COMMUNE]
    assert trung_hoa[1] == "Xã Trung Hòa"
    assert trung_hoa[4] == 5 and isinstance(trung_hoa[5], int)  # activated, target
    assert trung_hoa[8] == 83.33  # share of eligible, a number
    assert len(rows) == Unit.objects.filter(parent__code="822", kind="territorial").count()


def test_commune_officer_cannot_reach_another_communes_dashboard_or_export(
    small_campaign, make_user
) -> None:
    page = client_for(make_user(Role.COMMUNE_OFFICER, COMMUNE))
    for name in ("web:unit-detail", "web:unit-xlsx"):
        assert page.get(reverse(name, args=[SIBLING])).status_code == 404
        assert page.get(reverse(name, args=["822"])).status_code == 404
        assert page.get(reverse(name, args=[f"{COMMUNE}-01"])).status_code == 200


# --- the vendored chart library ----------------------------------------------------------------


def test_vendored_echarts_matches_the_lock_file() -> None:
    frontend = REPO_DIR / "src" / "chiendich" / "web" / "frontend"
    lock = json.loads((frontend / "package-lock.json").read_text(encoding="utf-8"))
    version = lock["packages"]["node_modules/echarts"]["version"]
    assert json.loads((frontend / "package.json").read_text())["dependencies"]["echarts"] == version
    vendored = REPO_DIR / "src" / "chiendich" / "web" / "static" / "web" / "vendor" / "echarts"
    text = (vendored / "echarts.min.js").read_text(encoding="utf-8")
    assert text.startswith(f"/*! echarts {version} ")
    assert f'.version="{version}"' in text  # the library's own version string
    assert "Apache License" in (vendored / "LICENSE").read_text(encoding="utf-8")
