"""Door-to-door: worklist order, outcomes moving the counts, personal data, scope,
concurrent recording, lists, exports and the mop-up."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from chiendich.accounts.models import AuditEvent
from chiendich.accounts.roles import Role
from chiendich.conftest import COMMUNE_A
from chiendich.field.models import Outcome, Team, TeamType, Visit
from chiendich.field.selectors import (
    PACE_WINDOW,
    hamlets_for,
    mask_id,
    mask_phone,
    mop_up,
    plan_lists,
    worklist,
)
from chiendich.field.services import visit_record
from chiendich.units.models import Unit
from chiendich.vneid.models import AccountEvent, AccountState, Flag, FlagKind, Source
from chiendich.vneid.progress import rollup

from .conftest import HAMLET_A, HAMLET_B

pytestmark = pytest.mark.django_db


def activated(day: dt.date) -> dict[str, int]:
    counts = rollup(day)
    return {code: counts[code].activated for code in (HAMLET_A, COMMUNE_A, "815", "82")}


def test_masks() -> None:
    assert mask_id("082123456789") == "082******789"
    assert mask_phone("0912345678") == "09*****678"
    assert mask_phone("") == ""


def test_worklist_is_ordered_by_what_can_be_won_today(field) -> None:
    blocks = worklist(field.volunteer, field.hamlet_a, field.today)
    # Approved first, then pending, then not registered, then absent; D has nothing left.
    assert [b.code for b in blocks] == ["H", "P", "N", "X"]
    names = [p.citizen.full_name for b in blocks for p in b.people]
    assert "Lê Văn Xong" not in names and "Đặng Thị Đủ" not in names
    assert blocks[0].people[0].id_number == "082" + "*" * 6 + blocks[0].people[0].id_number[-3:]


def test_activated_outcome_moves_hamlet_commune_and_province_at_once(field) -> None:
    before = activated(field.today)
    citizen = field.people["approved"]
    visit = visit_record(
        citizen, outcome=Outcome.ACTIVATED_L1, day=field.today, acting_user=field.volunteer
    )
    after = activated(field.today)
    assert {k: after[k] - before[k] for k in after} == {k: 1 for k in after}
    event = AccountEvent.objects.get(citizen=citizen, date=field.today)
    assert (event.state, event.source, event.recorded_by) == (
        AccountState.ACTIVATED_L1,
        Source.VISIT,
        field.volunteer,
    )
    assert visit.team == field.team and visit.recorded_by == field.volunteer
    citizen.refresh_from_db()
    assert citizen.state == AccountState.ACTIVATED_L1


def test_absent_and_not_eligible_become_flags(field) -> None:
    eligible = rollup(field.today)[HAMLET_A].eligible
    visit_record(
        field.people["not_registered"],
        outcome=Outcome.NOT_ELIGIBLE,
        reason="moved_away",
        day=field.today,
        acting_user=field.volunteer,
    )
    visit_record(field.people["pending"], outcome=Outcome.ABSENT, day=field.today, acting_user=None)
    # Someone answered the door: the absent flag ends.
    visit_record(field.people["absent"], outcome=Outcome.REFUSED, day=field.today, acting_user=None)
    assert rollup(field.today)[HAMLET_A].eligible == eligible - 1
    lists = plan_lists(field.volunteer, field.hamlet_a, field.today)
    assert [c.full_name for c, _ in lists.absent] == ["Trần Thị Chờ"]
    assert [(c.full_name, f.reason) for c, f in lists.not_eligible] == [
        ("Nguyễn Văn Chưa", "moved_away")
    ]
    with pytest.raises(ValueError):
        visit_record(
            field.people["pending"], outcome=Outcome.NOT_ELIGIBLE, day=field.today, acting_user=None
        )


def test_one_tap_post_records_and_returns_to_the_household(field) -> None:
    client = Client()
    client.force_login(field.volunteer)
    url = reverse("field:hamlet", args=[HAMLET_A])
    citizen = field.people["approved"]
    page = client.get(url, {"ho": "H"})
    assert page.status_code == 200 and b'value="activated_l1"' in page.content
    response = client.post(url, {"citizen": citizen.pk, "outcome": "activated_l1"})
    assert response.status_code == 302 and response.url.endswith("?ho=H")
    assert Visit.objects.filter(citizen=citizen, outcome="activated_l1").count() == 1
    # A volunteer cannot back-date: the day is today whatever the form says.
    client.post(url, {"citizen": citizen.pk, "outcome": "absent", "ngay": "2023-09-01"})
    assert Visit.objects.get(citizen=citizen, outcome="absent").day == field.today


def test_csrf_is_required(field) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(field.volunteer)
    url = reverse("field:hamlet", args=[HAMLET_A])
    response = client.post(url, {"citizen": field.people["approved"].pk, "outcome": "absent"})
    assert response.status_code == 403


def test_volunteer_of_hamlet_a_gets_404_for_hamlet_b(field) -> None:
    client = Client()
    client.force_login(field.volunteer)
    assert list(hamlets_for(field.volunteer)) == [field.hamlet_a]
    url_a = reverse("field:hamlet", args=[HAMLET_A])
    assert client.get(url_a, {"ho": "B"}).status_code == 404  # B's household through A
    assert client.get(reverse("field:hamlet", args=[HAMLET_B]), {"ho": "B"}).status_code == 404
    other = field.people["other"]
    assert client.post(url_a, {"citizen": other.pk, "outcome": "absent"}).status_code == 404
    assert (
        client.post(
            reverse("field:hamlet", args=[HAMLET_B]), {"citizen": other.pk, "outcome": "absent"}
        ).status_code
        == 404
    )
    assert client.post(url_a, {"citizen": "x", "outcome": "absent"}).status_code == 404
    response = client.post(url_a, {"citizen": field.people["approved"].pk, "outcome": "nonsense"})
    assert response.status_code == 302
    assert not Visit.objects.exists()
    for name in ("field:worklist-xlsx", "field:worklist-pdf", "field:lists", "field:mopup"):
        assert client.get(reverse(name, args=[HAMLET_B])).status_code == 404, name


def test_volunteer_bound_to_a_hamlet_but_in_no_team_sees_nothing(field, make_user) -> None:
    loner = make_user(Role.VOLUNTEER, HAMLET_A)
    client = Client()
    client.force_login(loner)
    assert client.get(reverse("field:hamlet", args=[HAMLET_A])).status_code == 404


def test_personal_data_masked_by_default_unmasked_on_request_and_audited(field, make_user) -> None:
    citizen = field.people["approved"]
    client = Client()
    client.force_login(field.volunteer)
    url = reverse("field:hamlet", args=[HAMLET_A])
    page = client.get(url, {"ho": "H"}).content.decode()
    assert citizen.id_number not in page and mask_id(citizen.id_number) in page
    assert mask_phone(citizen.phone) in page and citizen.phone not in page
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.PERSONAL_DATA_VIEWED).exists()
    page = client.get(url, {"ho": "H", "hien": "1"}).content.decode()
    assert citizen.id_number in page and citizen.phone in page
    event = AuditEvent.objects.get(type=AuditEvent.Type.PERSONAL_DATA_VIEWED)
    assert event.unit == field.hamlet_a and event.user == field.volunteer
    assert event.detail["people"] == 2
    # A commune officer may record but not see ID numbers: asking changes nothing.
    officer = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    client.force_login(officer)
    page = client.get(url, {"ho": "H", "hien": "1"}).content.decode()
    assert citizen.id_number not in page
    assert AuditEvent.objects.filter(type=AuditEvent.Type.PERSONAL_DATA_VIEWED).count() == 1


def test_many_outcomes_at_once_for_one_household_are_all_stored(field, make_user) -> None:
    """Members record the same household in interleaved writes (SQLite serializes
    writers, so interleaving is the race it can have); every outcome is kept."""
    members = [make_user(Role.VOLUNTEER, HAMLET_A) for _ in range(5)]
    field.team.members.add(*members)
    household = [field.people["approved"], field.people["approved2"]]
    outcomes = [Outcome.ABSENT, Outcome.GUIDED, Outcome.ACTIVATED_L1, Outcome.REFUSED]
    clients = []
    for member in members:
        client = Client()
        client.force_login(member)
        clients.append(client)
    url = reverse("field:hamlet", args=[HAMLET_A])
    sent = 0
    for round_ in range(8):
        for k, client in enumerate(clients):
            citizen = household[(round_ + k) % 2]
            outcome = outcomes[(round_ * 5 + k) % len(outcomes)]
            assert client.post(url, {"citizen": citizen.pk, "outcome": outcome}).status_code == 302
            sent += 1
    visits = Visit.objects.filter(citizen__in=household)
    assert visits.count() == sent == 40
    assert set(visits.values_list("recorded_by", flat=True)) == {m.pk for m in members}
    # The account history took each activation once (same state, same day).
    for citizen in household:
        tapped = visits.filter(citizen=citizen, outcome=Outcome.ACTIVATED_L1).exists()
        events = AccountEvent.objects.filter(citizen=citizen, state=AccountState.ACTIVATED_L1)
        assert events.count() == int(tapped)


@pytest.mark.django_db(transaction=True)
def test_threads_recording_the_same_household(field, make_user) -> None:
    """Real threads, on PostgreSQL only (SQLite's single writer makes it a loop)."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("thread race needs PostgreSQL")
    members = [make_user(Role.VOLUNTEER, HAMLET_A) for _ in range(8)]
    citizen = field.people["approved"]

    def record(member):  # type: ignore[no-untyped-def]
        try:
            visit_record(citizen, outcome=Outcome.GUIDED, day=field.today, acting_user=member)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(record, members * 3))
    assert Visit.objects.filter(citizen=citizen).count() == 24


def test_worklist_exports_xlsx_and_pdf_audited(field, make_user) -> None:
    client = Client()
    client.force_login(field.volunteer)
    response = client.get(reverse("field:worklist-xlsx", args=[HAMLET_A]))
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in rows] == ["H", "H", "P", "N", "X"]
    assert rows[0][4] == field.people["approved"].id_number  # in scope, VIEW_PERSONAL
    pdf = client.get(reverse("field:worklist-pdf", args=[HAMLET_A]))
    assert pdf.content.startswith(b"%PDF") and b"DejaVuSans" in pdf.content
    exports = AuditEvent.objects.filter(type=AuditEvent.Type.PERSONAL_DATA_EXPORTED)
    assert exports.count() == 2
    assert {(e.unit, e.detail["rows"], e.detail["unmasked"]) for e in exports} == {
        (field.hamlet_a, 5, True)
    }
    officer = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    client.force_login(officer)
    response = client.get(reverse("field:worklist-xlsx", args=[HAMLET_A]))
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][4] == mask_id(field.people["approved"].id_number)
    assert exports.filter(user=officer).get().detail["unmasked"] is False


def test_plan_lists_per_hamlet_and_commune_on_screen_and_xlsx(field, make_user) -> None:
    visit_record(
        field.people["not_registered"],
        outcome=Outcome.NOT_ELIGIBLE,
        reason="deceased",
        day=field.today,
        acting_user=None,
    )
    officer = make_user(Role.POLICE_COMMUNE, COMMUNE_A)
    client = Client()
    client.force_login(officer)
    for code in (HAMLET_A, COMMUNE_A):
        page = client.get(reverse("field:lists", args=[code]))
        assert page.status_code == 200
        text = page.content.decode()
        assert "Lê Văn Xong" in text and "Võ Văn Vắng" in text and "Nguyễn Văn Chưa" in text
        assert field.people["done"].id_number not in text
    response = client.get(reverse("field:lists", args=[COMMUNE_A]), {"xuat": "xlsx"})
    wb = load_workbook(io.BytesIO(response.content))
    activated_sheet, absent_sheet, not_eligible_sheet = wb.worksheets
    names = {r[2] for r in activated_sheet.iter_rows(min_row=2, values_only=True)}
    assert names == {"Lê Văn Xong", "Đặng Thị Đủ", "Hồ Văn Khác"} - {"Hồ Văn Khác"}
    assert [r[2] for r in absent_sheet.iter_rows(min_row=2, values_only=True)] == ["Võ Văn Vắng"]
    row = next(not_eligible_sheet.iter_rows(min_row=2, values_only=True))
    assert row[2] == "Nguyễn Văn Chưa" and row[4] == field.people["not_registered"].id_number
    assert (
        AuditEvent.objects.get(type=AuditEvent.Type.PERSONAL_DATA_EXPORTED).unit.code == COMMUNE_A
    )


def test_mop_up_days_at_the_last_seven_days_pace(field, make_user) -> None:
    # One activation a day for 21 days: only the last 7 count, a pace of 1 a day.
    other = Team.objects.create(
        name="Tổ công nghệ số KP2", type=TeamType.DIGITAL_TECH, commune=field.hamlet_a.parent
    )
    other.hamlets.set([field.hamlet_b])
    for k in range(PACE_WINDOW * 3):
        Visit.objects.create(
            citizen=field.people["done"],
            unit=field.hamlet_a,
            team=field.team,
            outcome=Outcome.ACTIVATED_L1,
            day=field.today - dt.timedelta(days=k),
        )
    officer = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    households, teams = mop_up(officer, Unit.objects.get(code=COMMUNE_A), field.today)
    # Hamlet A: H(2), P(1), N(1), X(1); hamlet B: B(1). Most work first.
    assert [(h.code, h.people) for h in households][:1] == [("H", 2)]
    assert sorted(h.code for h in households) == ["B", "H", "N", "P", "X"]
    rows = {t.team.name: t for t in teams}
    mine = rows["Đội tình nguyện KP1"]
    assert (mine.households, mine.people, mine.activated_last_days) == (4, 5, 7)
    assert mine.pace == 1 and mine.days_needed == 5
    assert rows["Tổ công nghệ số KP2"].days_needed is None  # no pace yet: N/A
    client = Client()
    client.force_login(officer)
    page = client.get(reverse("field:mopup", args=[COMMUNE_A]), {"ngay": field.today.isoformat()})
    assert page.status_code == 200 and "Đội tình nguyện KP1" in page.content.decode()


def test_flag_history_is_kept(field) -> None:
    visit_record(field.people["absent"], outcome=Outcome.ABSENT, day=field.today, acting_user=None)
    flags = Flag.objects.filter(citizen=field.people["absent"], kind=FlagKind.ABSENT)
    assert flags.count() == 2 and flags.filter(until__isnull=True).count() == 1


def test_an_officer_may_record_a_day_of_the_peak_for_the_2023_replay(
    field, plan_383, make_user
) -> None:
    officer = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    client = Client()
    client.force_login(officer)
    url = reverse("field:hamlet", args=[HAMLET_A])
    page = client.get(url, {"ho": "H", "ngay": "01/09/2023"}).content.decode()
    # The day input of every page (dd/mm/yyyy), bounded to the peak's days up to today.
    assert 'name="ngay" value="01/09/2023"' in page and "data-day-input" in page
    assert 'data-min="2023-08-20"' in page
    assert '<input type="hidden" name="ngay" value="2023-09-01">' in page
    citizen = field.people["approved"]
    client.post(url, {"citizen": citizen.pk, "outcome": "guided", "ngay": "2023-09-01"})
    client.post(url, {"citizen": citizen.pk, "outcome": "refused", "ngay": "2024-01-01"})
    days = dict(Visit.objects.filter(citizen=citizen).values_list("outcome", "day"))
    assert days == {"guided": dt.date(2023, 9, 1), "refused": field.today}  # outside: today


def test_lists_above_the_commune_ask_for_a_commune(field, make_user) -> None:
    client = Client()
    client.force_login(make_user(Role.DISTRICT_OFFICER, "815"))
    page = client.get(reverse("field:lists", args=["815"])).content.decode()
    assert reverse("field:lists", args=[COMMUNE_A]) in page and "Lê Văn Xong" not in page
