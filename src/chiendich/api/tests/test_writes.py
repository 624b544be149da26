"""Writes through the API: door-to-door outcomes under the /thuc-dia/ page's rules,
aggregate forms through the same service, both attributed to the token's user."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType

from chiendich.accounts.models import AuditEvent, ObjectChange
from chiendich.accounts.roles import Role
from chiendich.conftest import COMMUNE_A
from chiendich.field.models import Visit
from chiendich.procedures.models import AggregateForm
from chiendich.vneid.models import AccountEvent, AccountState, Flag, FlagKind, Source

from .conftest import token_client
from .test_scope import FORM

pytestmark = pytest.mark.django_db

HAMLET_A = f"{COMMUNE_A}-01"


def test_a_volunteer_records_an_activation_and_the_counts_move_at_once(
    api_data, client_for
) -> None:
    field = api_data.field
    client = token_client(field.volunteer)
    citizen = field.people["not_registered"]
    before = client.get(f"/api/units/{HAMLET_A}/progress/").json()["own"]["activated"]
    response = client.post(
        "/api/visits/",
        {"citizen": citizen.pk, "outcome": "activated_l1", "note": " tại nhà "},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["citizen_state"] == AccountState.ACTIVATED_L1 and body["team"] == field.team.name
    assert (body["unit"], body["day"], body["note"]) == (HAMLET_A, str(api_data.today), "tại nhà")
    visit = Visit.objects.get(pk=body["id"])
    assert visit.recorded_by == field.volunteer and visit.team == field.team
    event = AccountEvent.objects.get(citizen=citizen, source=Source.VISIT)
    assert event.recorded_by == field.volunteer and event.state == AccountState.ACTIVATED_L1
    after = client.get(f"/api/units/{HAMLET_A}/progress/").json()["own"]["activated"]
    assert after == before + 1
    listed = client.get("/api/visits/", {"unit": HAMLET_A, "day": str(api_data.today)}).json()
    assert [v["id"] for v in listed["results"]] == [visit.pk]


def test_a_volunteer_only_in_their_teams_hamlets_and_only_today(api_data, client_for) -> None:
    field = api_data.field
    client = token_client(field.volunteer)
    # Bound to the commune, in a team for hamlet A only: hamlet B is not theirs to record.
    commune_volunteer = client_for(Role.VOLUNTEER)
    field.team.members.add(commune_volunteer.user)
    for volunteer in (client, commune_volunteer):
        other_hamlet = volunteer.post(
            "/api/visits/",
            {"citizen": field.people["other"].pk, "outcome": "absent"},
            format="json",
        )
        assert other_hamlet.status_code == 400 and list(other_hamlet.json()) == ["citizen"]
    yesterday = api_data.today - dt.timedelta(days=1)
    back_dated = client.post(
        "/api/visits/",
        {"citizen": field.people["approved"].pk, "outcome": "absent", "day": str(yesterday)},
        format="json",
    )
    assert back_dated.status_code == 400 and list(back_dated.json()) == ["day"]
    assert not Visit.objects.exists()


def test_an_officer_may_record_a_day_of_the_peak_not_outside_it(api_data, client_for) -> None:
    client = client_for(Role.COMMUNE_OFFICER)
    citizen = api_data.field.people["approved"]
    ok = client.post(
        "/api/visits/",
        {"citizen": citizen.pk, "outcome": "guided", "day": "2023-09-01"},
        format="json",
    )
    assert ok.status_code == 201 and ok.json()["day"] == "2023-09-01"
    outside = client.post(
        "/api/visits/",
        {"citizen": citizen.pk, "outcome": "refused", "day": "2023-11-01"},
        format="json",
    )
    assert outside.status_code == 400 and list(outside.json()) == ["day"]
    # A commune officer's hamlet B citizen is in scope (the volunteer's rule is theirs only).
    other = api_data.field.people["other"]
    assert (
        client.post(
            "/api/visits/", {"citizen": other.pk, "outcome": "absent"}, format="json"
        ).status_code
        == 201
    )
    assert Flag.objects.filter(citizen=other, kind=FlagKind.ABSENT, until__isnull=True).exists()


def test_not_eligible_needs_a_reason_and_bad_values_name_their_field(api_data, client_for) -> None:
    client = client_for(Role.COMMUNE_OFFICER)
    citizen = api_data.field.people["pending"]
    no_reason = client.post(
        "/api/visits/", {"citizen": citizen.pk, "outcome": "not_eligible"}, format="json"
    )
    assert no_reason.status_code == 400 and list(no_reason.json()) == ["reason"]
    bad = client.post(
        "/api/visits/",
        {"citizen": "abc", "outcome": "teleported", "day": "hôm nay"},
        format="json",
    )
    assert bad.status_code == 400 and set(bad.json()) == {"citizen", "outcome", "day"}
    assert (
        client.post("/api/visits/", "{not json", content_type="application/json").status_code == 400
    )
    done = client.post(
        "/api/visits/",
        {"citizen": citizen.pk, "outcome": "not_eligible", "reason": "moved_away"},
        format="json",
    )
    assert done.status_code == 201 and done.json()["reason"] == "moved_away"
    flag = Flag.objects.get(citizen=citizen, kind=FlagKind.NOT_ELIGIBLE)
    assert flag.reason == "moved_away"


def test_a_form_is_created_then_replaced_audited_as_the_tokens_user(api_data, client_for) -> None:
    client = client_for(Role.COMMUNE_OFFICER)
    officer = client.user
    entry = {**FORM, "unit": COMMUNE_A, "report_key": "tthc_batch_2", "note": "UBND phường"}
    created = client.post("/api/forms/", entry, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["data_from"], body["data_to"], body["received"]) == (
        "2023-09-16",
        "2023-09-30",
        10,
    )
    assert body["submitted_by"] == officer.username
    replaced = client.post("/api/forms/", {**entry, "received": 12}, format="json")
    assert replaced.status_code == 200 and replaced.json()["id"] == body["id"]
    assert AggregateForm.objects.get(pk=body["id"]).received == 12

    events = AuditEvent.objects.filter(type=AuditEvent.Type.TTHC_FORM_SUBMITTED).order_by("id")
    assert [(e.user, e.detail["created"]) for e in events] == [(officer, True), (officer, False)]
    changes = ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(AggregateForm), object_id=str(body["id"])
    )
    assert {(c.user, c.origin) for c in changes} == {(officer, "api")}

    # The form counts in the indicators of its batch window.
    kpi = client.get(
        f"/api/units/{COMMUNE_A}/indicators/", {"from": "2023-09-16", "to": "2023-09-30"}
    ).json()
    online = next(i for i in kpi["indicators"] if i["key"] == "online_dossier_rate")
    assert (online["numerator"], online["denominator"], online["forms"]) == (4, 12, 1)


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"received_online": 11}, {"received_online"}),  # more than received
        ({"paid_online": 4, "reused": -1}, {"paid_online", "reused"}),
        ({"report_key": "tthc_batch_9"}, {"report_key"}),
        ({"report_key": "tthc_batch_1"}, {"non_field_errors"}),  # dossiers imported for it
        ({"unit": HAMLET_A}, {"non_field_errors"}),  # hamlets send no forms
        ({"received": "mười"}, {"received"}),
    ],
)
def test_a_bad_form_is_a_400_naming_the_fields(api_data, client_for, change, fields) -> None:
    client = client_for(Role.COMMUNE_OFFICER)
    entry = {**FORM, "unit": COMMUNE_A, "report_key": "tthc_batch_2", **change}
    response = client.post("/api/forms/", entry, format="json")
    assert response.status_code == 400 and set(response.json()) == fields, response.json()
    assert not AggregateForm.objects.exists()
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.TTHC_FORM_SUBMITTED).exists()
