"""Issue 13 on the server: the hamlet's data for the phone (masked, own hamlets only),
the sync of queued outcomes (once per phone id, 409, refused, signed out), the conflict
rule, the worklist's search, filter and Vietnamese order, and the service worker files."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from chiendich.conftest import REPO_DIR
from chiendich.core.collation import vi_sort_key
from chiendich.field import offline
from chiendich.field.models import Visit
from chiendich.field.services import phone_time_bound, visit_record_once
from chiendich.vneid.models import AccountState, Household

from .conftest import HAMLET_A, HAMLET_B, make_citizen

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def sync(client: Client, *items: dict) -> dict:
    response = client.post(
        reverse("field:sync"), json.dumps({"outcomes": list(items)}), "application/json"
    )
    assert response.status_code == 200, response.content
    return {r["client_id"]: r for r in response.json()["results"]}


def item(citizen, outcome: str = "absent", at: dt.datetime | None = None, **extra) -> dict:  # type: ignore[no-untyped-def]
    return {
        "client_id": str(uuid.uuid4()),
        "citizen": citizen.pk,
        "outcome": outcome,
        "recorded_on_phone": (at or timezone.now()).isoformat(),
        **extra,
    }


def test_the_phone_gets_its_hamlet_masked_and_never_another(field) -> None:
    client = signed_in(field.volunteer)
    response = client.get(reverse("field:hamlet-data", args=[HAMLET_A]))
    assert response.status_code == 200 and response["X-Field-Offline"] == "1"
    text = response.content.decode()
    data = json.loads(text)
    for person in field.people.values():
        assert person.id_number not in text and person.phone not in text
    names = {p["name"] for h in data["households"] for p in h["people"]}
    assert "Phạm Thị Duyệt" in names and "Hồ Văn Khác" not in names
    household = next(h for h in data["households"] if h["code"] == "H")
    # This list named no head: the eldest member, marked as such; the address is the
    # hamlet and commune.
    assert household["head"] == "Phạm Thị Duyệt (lớn tuổi nhất)"
    assert household["address"] == "Khu phố Một, Phường 5"
    assert household["people"][0]["id_number"].count("*") == 6
    statuses = {h["code"]: h["status"] for h in data["households"]}
    assert statuses == {"H": "todo", "P": "todo", "N": "todo", "X": "revisit", "D": "done"}
    assert data["progress"] == {"households": 5, "done": 1, "revisit": 1, "people_left": 5}
    assert client.get(reverse("field:hamlet-data", args=[HAMLET_B])).status_code == 404


def test_the_head_and_address_come_from_the_police_list_when_it_gives_them(field) -> None:
    Household.objects.filter(code="H").update(
        head_name="Trần Văn Chủ", address="Số 12, tổ 3, Khu phố Một"
    )
    data = signed_in(field.volunteer).get(reverse("field:hamlet-data", args=[HAMLET_A])).json()
    household = next(h for h in data["households"] if h["code"] == "H")
    assert (household["head"], household["address"]) == ("Trần Văn Chủ", "Số 12, tổ 3, Khu phố Một")
    other = next(h for h in data["households"] if h["code"] == "P")
    assert other["head"].endswith("(lớn tuổi nhất)")


def test_households_sorted_by_status_then_head_in_vietnamese_order(field) -> None:
    hamlet = field.hamlet_a
    for code, name in (("C1", "Chu Văn Gạo"), ("C2", "Cao Thị Bè"), ("C3", "Đỗ Văn Ấp")):
        make_citizen(
            hamlet,
            Household.objects.create(code=code, commune=hamlet.parent, unit=hamlet, head_name=name),
            name,
            None,
        )
    Household.objects.filter(code="H").update(head_name="Phạm Thị Duyệt")
    data = offline.hamlet_data(field.volunteer, hamlet, field.today)
    heads = [h["head"] for h in data["households"] if h["status"] == "todo"]
    assert heads == sorted(heads, key=vi_sort_key)
    # A code-point sort would put "Đỗ" after "Phạm" (Đ is U+0110); Vietnamese puts it after D.
    assert heads.index("Cao Thị Bè") < heads.index("Chu Văn Gạo") < heads.index("Đỗ Văn Ấp")
    assert heads.index("Đỗ Văn Ấp") < heads.index("Phạm Thị Duyệt")


def test_search_by_name_or_household_and_filter_without_javascript(field) -> None:
    client = signed_in(field.volunteer)
    url = reverse("field:hamlet", args=[HAMLET_A])
    page = client.get(url, {"q": "duyet"}).content.decode()  # without accents
    assert "Phạm Thị Duyệt" in page and "?ho=N" not in page
    page = client.get(url, {"q": "X"}).content.decode()
    assert "?ho=X" in page and "?ho=H" not in page
    page = client.get(url, {"loc": "revisit"}).content.decode()
    assert (
        'id="households"' in page and "?ho=X" in page.split('id="households"')[1].split("</ul>")[0]
    )
    assert "?ho=H" not in page.split('id="households"')[1].split("</ul>")[0]
    page = client.get(url, {"loc": "done"}).content.decode()
    assert "?ho=D" in page.split('id="households"')[1].split("</ul>")[0]
    assert client.get(url, {"loc": "nonsense", "q": "x" * 500}).status_code == 200


def test_an_outcome_is_stored_once_per_phone_id(field) -> None:
    client = signed_in(field.volunteer)
    citizen = field.people["approved"]
    sent = item(citizen, "activated_l1")
    first = sync(client, sent)[sent["client_id"]]
    again = sync(client, sent, sent)[sent["client_id"]]
    assert first["status"] == 201 and again["status"] == 200
    assert first["visit"] == again["visit"]
    assert Visit.objects.filter(citizen=citizen).count() == 1
    assert first["state"] == AccountState.ACTIVATED_L1
    changed = dict(sent, outcome="refused")
    conflict = sync(client, changed)[sent["client_id"]]
    assert conflict["status"] == 409 and conflict["message"]
    assert Visit.objects.filter(citizen=citizen).count() == 1


def test_bad_items_are_answered_one_by_one(field) -> None:
    client = signed_in(field.volunteer)
    good = item(field.people["approved"])
    results = sync(
        client,
        {"client_id": "not-a-uuid", "citizen": 1, "outcome": "absent"},
        dict(item(field.people["approved2"]), outcome="nonsense"),
        dict(item(field.people["approved2"]), citizen="٣"),
        item(field.people["approved2"], "not_eligible"),  # no reason
        good,
    )
    assert [r["status"] for r in results.values()] == [400, 400, 400, 400, 201]
    response = client.post(reverse("field:sync"), "[1", "application/json")
    assert response.status_code == 400


def test_revoked_assignment_and_signed_out_are_refused_with_a_message(field) -> None:
    client = signed_in(field.volunteer)
    other = item(field.people["other"])  # hamlet B: never assigned
    assert sync(client, other)[other["client_id"]]["status"] == 403
    field.team.members.remove(field.volunteer)
    mine = item(field.people["approved"])
    refused = sync(client, mine)[mine["client_id"]]
    assert refused["status"] == 403 and "Kết quả không được lưu" in refused["message"]
    assert not Visit.objects.exists()
    field.volunteer.is_active = False
    field.volunteer.save()
    response = Client().post(reverse("field:sync"), "{}", "application/json")
    assert response.status_code == 403 and response.json()["refused"] == "signed_out"


def test_conflict_rule_latest_phone_time_wins_bounded_by_the_server(field, make_user) -> None:
    from chiendich.accounts.roles import Role

    other = make_user(Role.VOLUNTEER, HAMLET_A)
    field.team.members.add(other)
    citizen = field.people["approved2"]
    now = timezone.now()
    # B's "activated" (tapped later) arrives first, A's "absent" (tapped earlier) last.
    later = sync(
        signed_in(other), b := item(citizen, "activated_l1", now - dt.timedelta(minutes=5))
    )
    earlier = sync(
        signed_in(field.volunteer), a := item(citizen, "absent", now - dt.timedelta(minutes=9))
    )
    assert later[b["client_id"]]["applied"] is True
    result = earlier[a["client_id"]]
    assert result["status"] == 201 and result["applied"] is False
    assert result["changed_by_other"]["by"] == str(other)
    assert Visit.objects.filter(citizen=citizen).count() == 2  # both kept
    citizen.refresh_from_db()
    assert citizen.state == AccountState.ACTIVATED_L1
    assert not citizen.flags.filter(kind="absent", until__isnull=True).exists()
    # A phone whose clock runs a day ahead counts as "when the server received it":
    # it cannot win against an outcome recorded after that.
    ahead = now + dt.timedelta(days=1)
    assert phone_time_bound(ahead, now) == now
    assert phone_time_bound(now - dt.timedelta(days=400), now) == now - dt.timedelta(days=7)
    assert phone_time_bound(None, now) is None


def test_visit_record_once_without_phone_time_always_decides(field) -> None:
    citizen = field.people["pending"]
    visit, created = visit_record_once(
        citizen, outcome="activated_l1", day=field.today, acting_user=field.volunteer
    )
    assert created and visit.applied and visit.client_id is None


def test_api_visits_take_the_phone_id(field) -> None:
    from chiendich.api.tests.conftest import token_client

    client = token_client(field.volunteer)
    body = {
        "citizen": field.people["approved"].pk,
        "outcome": "guided",
        "client_id": str(uuid.uuid4()),
    }
    first = client.post("/api/visits/", body, format="json")
    second = client.post("/api/visits/", body, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert (
        first.json()["id"] == second.json()["id"] and first.json()["client_id"] == body["client_id"]
    )
    clash = client.post("/api/visits/", dict(body, outcome="refused"), format="json")
    assert clash.status_code == 409 and clash.json()["stored"]["id"] == first.json()["id"]
    assert Visit.objects.count() == 1


def test_service_worker_and_manifest_are_served_for_the_scope(client) -> None:
    response = client.get(reverse("field:sw"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/thuc-dia/"
    text = response.content.decode()
    assert 'importScripts("/static/field/vendor/workbox/workbox-sw.js")' in text
    assert "__WORKBOX__" not in text and "__STATIC__" not in text
    manifest = client.get(reverse("field:manifest")).json()
    assert manifest["start_url"] == "/thuc-dia/" and manifest["display"] == "standalone"
    from django.contrib.staticfiles import finders

    for icon in manifest["icons"]:
        assert finders.find(icon["src"].removeprefix("/static/")), icon


def test_unmasked_pages_are_never_marked_for_the_phone(field) -> None:
    client = signed_in(field.volunteer)
    url = reverse("field:hamlet", args=[HAMLET_A])
    assert client.get(url, {"ho": "H"})["X-Field-Offline"] == "1"
    unmasked = client.get(url, {"ho": "H", "hien": "1"})
    assert field.people["approved"].id_number in unmasked.content.decode()
    assert not unmasked.has_header("X-Field-Offline")
    data = client.get(reverse("field:hamlet-data", args=[HAMLET_A])).json()
    assert data["can_unmask"] is True  # the page links to the server's unmasked page


def test_vendored_workbox_matches_the_lock_file() -> None:
    frontend = REPO_DIR / "src" / "chiendich" / "field" / "frontend"
    lock = json.loads((frontend / "package-lock.json").read_text())
    declared = json.loads((frontend / "package.json").read_text())["dependencies"]
    vendored = REPO_DIR / "src" / "chiendich" / "field" / "static" / "field" / "vendor" / "workbox"
    for package, version in declared.items():
        assert lock["packages"][f"node_modules/{package}"]["version"] == version
        name = "workbox-sw.js" if package == "workbox-sw" else f"{package}.prod.js"
        text = (vendored / name).read_text(encoding="utf-8")
        assert text.startswith(f"/*! {package} {version} "), package
    assert "MIT" in (vendored / "LICENSE").read_text()
    assert (vendored / "LICENSE-idb").exists()


@pytest.mark.django_db(transaction=True)
def test_the_same_phone_id_from_many_threads_is_stored_once(field) -> None:
    """Real threads, on PostgreSQL only (SQLite's single writer makes it a loop): a
    phone and its service worker sending the same outcome at once, and the same id
    reused for another person (the unique constraint decides)."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection, connections

    from chiendich.field.services import VisitConflictError

    if connection.vendor != "postgresql":
        pytest.skip("thread race needs PostgreSQL")
    client_id = str(uuid.uuid4())
    people = [field.people["approved"]] * 6 + [field.people["approved2"]] * 2

    def send(citizen):  # type: ignore[no-untyped-def]
        try:
            return visit_record_once(
                citizen,
                outcome="guided",
                day=field.today,
                acting_user=field.volunteer,
                client_id=client_id,
                recorded_on_phone=timezone.now(),
            )[1]
        except VisitConflictError:
            return "conflict"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, people))
    assert Visit.objects.filter(client_id=client_id).count() == 1
    assert answers.count(True) == 1
    stored = Visit.objects.get(client_id=client_id)
    conflicts = 2 if stored.citizen == field.people["approved"] else 6
    assert answers.count("conflict") == conflicts
