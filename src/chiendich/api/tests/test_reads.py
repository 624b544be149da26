"""The API reads the same numbers as the pages and the commands: progress from
vneid.progress, indicators from procedures.selectors (KPI_JSON.md), targets from the
plan; bad query parameters are a 400 naming the parameter."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from chiendich.accounts.roles import Role
from chiendich.conftest import COMMUNE_A, COMMUNE_A2
from chiendich.plans.models import TargetAllocation
from chiendich.plans.selectors import targets_for_unit
from chiendich.procedures.selectors import unit_kpi
from chiendich.units.models import Unit
from chiendich.vneid.progress import progress_for, vneid_target

pytestmark = pytest.mark.django_db

HAMLET_A = f"{COMMUNE_A}-01"


def test_progress_is_the_pages_progress(api_data, client_for) -> None:
    client = client_for(Role.COMMUNE_OFFICER)
    day = api_data.today
    body = client.get(f"/api/units/{COMMUNE_A}/progress/", {"date": day.isoformat()}).json()
    commune = Unit.objects.get(code=COMMUNE_A)
    hamlets = list(Unit.objects.filter(parent=commune).order_by("code"))
    expected = progress_for([commune, *hamlets], day, api_data.plan)
    assert body["date"] == day.isoformat() and body["counted"] is True
    assert body["plan"] == api_data.plan.code
    assert [r["code"] for r in (body["own"], *body["children"])] == [p.code for p in expected]
    for row, p in zip((body["own"], *body["children"]), expected, strict=True):
        assert row["activated"] == p.activated and row["eligible"] == p.counts.eligible
        assert row["target"] == p.target and row["needed_daily_pace"] == p.needed_daily_pace
        rate = p.rate_of_eligible
        assert row["rate_of_eligible"] == (float(rate) if rate is not None else None)
    # Counted by hand from the fixture: hamlet A has 7 eligible citizens, one activated
    # at level 1 and one at level 2, one absent; hamlet B one citizen, approved.
    hamlet = body["children"][0]
    assert (hamlet["code"], hamlet["eligible"], hamlet["activated_l1"], hamlet["activated_l2"]) == (
        HAMLET_A,
        7,
        1,
        1,
    )
    assert hamlet["absent"] == 1 and hamlet["rate_of_eligible"] == 28.57
    assert body["own"]["eligible"] == 8 and body["own"]["activated"] == 2
    allocation = TargetAllocation.objects.get(target=vneid_target(api_data.plan), unit=commune)
    assert body["own"]["target"] == allocation.value > 0


def test_progress_defaults_to_the_last_counted_day_and_reads_an_uncounted_day_as_zero(
    api_data, client_for
) -> None:
    client = client_for(Role.COMMUNE_OFFICER)
    body = client.get(f"/api/units/{COMMUNE_A}/progress/").json()
    assert body["date"] == api_data.today.isoformat()
    before = api_data.today - dt.timedelta(days=400)
    body = client.get(f"/api/units/{COMMUNE_A}/progress/", {"date": before.isoformat()}).json()
    assert body["counted"] is False and body["own"]["activated"] == 0


@pytest.mark.parametrize(
    "query",
    [{"date": "31/12/2023"}, {"date": "2023-02-30"}, {"date": "1999-12-31"}, {"date": "x" * 50}],
)
def test_a_bad_day_is_a_400_naming_the_parameter(api_data, client_for, query) -> None:
    response = client_for(Role.COMMUNE_OFFICER).get(f"/api/units/{COMMUNE_A}/progress/", query)
    assert response.status_code == 400 and list(response.json()) == ["date"]


def test_indicators_are_the_kpi_commands_dictionary(api_data, client_for) -> None:
    client = client_for(Role.COMMUNE_OFFICER)
    query = {"from": "2023-09-01", "to": "2023-10-30"}
    body = client.get(f"/api/units/{COMMUNE_A}/indicators/", query).json()
    kpi = unit_kpi(Unit.objects.get(code=COMMUNE_A), dt.date(2023, 9, 1), dt.date(2023, 10, 30))
    assert body == json.loads(json.dumps(kpi.as_dict(), cls=DjangoJSONEncoder))
    online = next(i for i in body["indicators"] if i["key"] == "online_dossier_rate")
    # Three dossiers received by Phường 5 in the window, two online; a phường's target is 55%.
    assert (online["numerator"], online["denominator"], online["rate"]) == (2, 3, 66.67)
    assert (online["target"], online["met"], online["target_key"]) == (
        55,
        True,
        "online_dossier_phuong",
    )
    # Without a window: the plan's TTHC peak (01/9–30/10/2023).
    assert client.get(f"/api/units/{COMMUNE_A}/indicators/").json() == body


def test_indicators_of_a_district_count_only_its_communes_in_the_window(
    api_data, client_for
) -> None:
    client = client_for(Role.DISTRICT_OFFICER, "815")
    body = client.get("/api/units/815/indicators/", {"from": "2023-09-06", "to": "2023-09-30"})
    online = next(i for i in body.json()["indicators"] if i["key"] == "online_dossier_rate")
    assert (online["area"]["numerator"], online["area"]["denominator"]) == (1, 2)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"from": "2023-10-30", "to": "2023-09-01"}, "to"),
        ({"from": "2023-11-15"}, "to"),  # after the default end
        ({"to": "2023/10/30"}, "to"),
        ({"from": "3000-01-01"}, "from"),
    ],
)
def test_a_bad_window_is_a_400(api_data, client_for, query, parameter) -> None:
    response = client_for(Role.COMMUNE_OFFICER).get(f"/api/units/{COMMUNE_A}/indicators/", query)
    assert response.status_code == 400 and list(response.json()) == [parameter]


def test_targets_are_the_plans_for_the_unit_with_allocations(api_data, client_for) -> None:
    client = client_for(Role.DISTRICT_OFFICER, "815")
    body = client.get("/api/units/815/targets/").json()
    district = Unit.objects.get(code="815")
    assert [t["key"] for t in body["targets"]] == [
        t.key for t in targets_for_unit(api_data.plan, district)
    ]
    target = vneid_target(api_data.plan)
    shares = dict(
        TargetAllocation.objects.filter(target=target, unit__parent=district).values_list(
            "unit__code", "value"
        )
    )
    assert {c["code"]: c["value"] for c in body["children"]} == shares
    assert sum(shares.values()) == body["allocation"]["value"]
    assert shares[COMMUNE_A] > 0 and shares[COMMUNE_A2] == 0  # no citizens in Phường 4

    commune = client_for(Role.COMMUNE_OFFICER).get(f"/api/units/{COMMUNE_A}/targets/").json()
    phuong = {t["key"]: t["value"] for t in commune["targets"]}
    assert phuong["online_dossier_phuong"] == 55 and "online_dossier_xa" not in phuong


def test_unit_detail_lists_only_children_in_scope(api_data, client_for) -> None:
    district = client_for(Role.DISTRICT_OFFICER, "815").get("/api/units/815/").json()
    assert district["ancestors"] == ["82"] and district["parent_code"] == "82"
    codes = {c["code"] for c in district["children"]}
    assert {COMMUNE_A, COMMUNE_A2} <= codes
    assert all(c["parent_code"] == "815" for c in district["children"])
    province = client_for(Role.PROVINCE_ADMIN, "82")
    assert province.get("/api/units/", {"level": "district", "limit": 100}).json()["count"] == 11
    communes = province.get("/api/units/", {"parent": "815", "limit": 100}).json()
    assert {u["code"] for u in communes["results"]} == codes
    assert province.get("/api/units/", {"level": "village"}).status_code == 400


def test_citizens_are_masked_and_a_volunteer_sees_only_their_teams_hamlets(
    api_data, client_for
) -> None:
    from .conftest import token_client

    field = api_data.field
    response = client_for(Role.POLICE_COMMUNE).get(
        "/api/citizens/", {"unit": COMMUNE_A, "limit": 100}
    )
    content = response.content.decode()
    assert response.json()["count"] == 8
    for citizen in field.people.values():
        assert citizen.id_number not in content and citizen.phone not in content
    volunteer = token_client(field.volunteer)
    mine = volunteer.get("/api/citizens/", {"unit": HAMLET_A}).json()
    assert {c["unit"] for c in mine["results"]} == {HAMLET_A} and mine["count"] == 7
    # Bound to hamlet A: the commune above and hamlet B are outside their scope.
    for code in (COMMUNE_A, f"{COMMUNE_A}-02"):
        assert volunteer.get("/api/citizens/", {"unit": code}).json()["count"] == 0
    # Bound to the whole commune but in a team for hamlet A only: still hamlet A only.
    commune_volunteer = client_for(Role.VOLUNTEER)
    field.team.members.add(commune_volunteer.user)
    theirs = commune_volunteer.get("/api/citizens/", {"unit": COMMUNE_A, "limit": 100}).json()
    assert {c["unit"] for c in theirs["results"]} == {HAMLET_A} and theirs["count"] == 7
    approved = client_for(Role.COMMUNE_OFFICER).get(
        "/api/citizens/", {"state": "approved", "unit": f"{COMMUNE_A}-02"}
    )
    assert [c["full_name"] for c in approved.json()["results"]] == ["Hồ Văn Khác"]


def test_pages_are_bounded(api_data, client_for) -> None:
    client = client_for(Role.PROVINCE_ADMIN, "82")
    body = client.get("/api/units/", {"limit": 10**12, "offset": 10**30}).json()
    assert body["results"] == [] and body["count"] > 170
    assert len(client.get("/api/units/", {"limit": 10**6}).json()["results"]) == body["count"]


@pytest.mark.parametrize(
    ("url", "query", "status"),
    [
        # A NUL anywhere in a request is refused before routing (core.middleware).
        ("/api/units/%00/", {}, 400),
        ("/api/units/%00/progress/", {}, 400),
        ("/api/units/", {"parent": "\x00"}, 400),
        ("/api/visits/", {"unit": "\x00"}, 400),
        ("/api/citizens/", {"unit": "8" * 41}, 400),
        ("/api/forms/", {"report_key": "\x00"}, 400),
        ("/api/units/", {"limit": "-1", "offset": "-5"}, 200),
    ],
)
def test_hostile_query_input_is_never_a_server_error(
    api_data, client_for, url, query, status
) -> None:
    """NUL cannot reach PostgreSQL (which refuses it), nor a number larger than a column."""
    response = client_for(Role.COMMUNE_OFFICER).get(url, query)
    assert response.status_code == status


@pytest.mark.parametrize(
    "body",
    [
        '{"citizen": 1180591620717411303424, "outcome": "absent"}',
        '{"citizen": 1, "outcome": "absent", "note": "\\u0000"}',
        '{"citizen": 1, "outcome": "absent", "note": "\\ud800"}',
        "[1, 2, 3]",
    ],
)
def test_hostile_bodies_are_a_400(api_data, client_for, body) -> None:
    client = client_for(Role.COMMUNE_OFFICER)
    json_body = {"content_type": "application/json"}
    assert client.post("/api/visits/", body, **json_body).status_code == 400
    form = body if body.startswith("[") else '{"unit": "\\u0000", "report_key": "\\ud800"}'
    assert client.post("/api/forms/", form, **json_body).status_code == 400
