"""One rule for personal data in every API operation: no ID or phone number in full
unless the request asks with ?hien=1 and the user's role and units cover the citizen,
and every answer that shows one writes an audit row.

The test walks the OpenAPI schema the app serves, so a new operation fails here
until it has a case below: no operation is forgotten.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from chiendich.accounts.models import AuditEvent, User
from chiendich.accounts.roles import Action, Role
from chiendich.conftest import COMMUNE_A, COMMUNE_B
from chiendich.field.services import visit_record
from chiendich.imports.tests.conftest import BAD_FUTURE, GOOD_1, IMMEDIATE, police_csv
from chiendich.procedures.models import Procedure
from chiendich.reporting.schedule import reports_expect
from chiendich.results.documents import unit_tokens
from chiendich.results.models import AcceptedEvidence, Result
from chiendich.results.tests.factories import SCOPE_RESULT_IDS, scope_results
from chiendich.vneid.models import Citizen

from .conftest import ApiData, token_client
from .test_scope import FORM

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")
# A note a volunteer typed with a phone number in it: never shown in full.
NOTE_PHONE = "0987654321"
# Twelve digits (an ID number) or ten digits starting with 0 (a phone number),
# standing alone: what no answer may hold unless the rule allows it.
LOOSE_NUMBER = re.compile(r"(?<![\w*])(?:\d{12}|0\d{9})(?!\w)")
# A UUID (an import job's id) can end in twelve decimal digits (about 1 in 280): it is
# not a number of anyone's, so it is taken out before the search.
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, path template, operation) for every operation of the served schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def searchable(results: list[Result]) -> list[Result]:
    """`results` with their issuing units' words in the index, as storing one does, so
    a scoped search finds them."""
    for result in results:
        words = f"{result.search_text} {unit_tokens(result.unit.path)}"
        Result.objects.filter(pk=result.pk).update(search_text=words)
    return results


@pytest.fixture
def world(api_data: ApiData, settings: Any, tmp_path: Path) -> dict[str, Any]:
    """The API fixtures plus a result of each commune, the plan's expected reports, a
    visit whose note holds a phone number, and the values an operation's URL needs."""
    settings.DATA_DIR = tmp_path / "data"
    settings.TASKS = IMMEDIATE
    own, other = searchable(scope_results(COMMUNE_A, COMMUNE_B))
    Result.objects.filter(pk=other.pk).update(subject_id="082190000456")
    citizen = api_data.field.people["approved"]
    Result.objects.filter(pk=own.pk).update(subject_id=citizen.id_number, subject_unit=citizen.unit)
    procedure = Procedure.objects.order_by("code").first()
    assert procedure is not None
    AcceptedEvidence.objects.get_or_create(procedure=procedure, result_type=own.result_type)
    reports_expect(api_data.plan)
    visit_record(
        api_data.field.people["absent"],
        outcome="absent",
        day=api_data.today,
        acting_user=api_data.field.volunteer,  # type: ignore[arg-type]
        note=f"Gọi lại số {NOTE_PHONE} sau 18 giờ",
    )
    return {
        "code": COMMUNE_A,
        "result": SCOPE_RESULT_IDS[0],
        "report": f"vneid_final.{COMMUNE_A}.20231025",
        "job": None,  # the job the upload below makes
        "subject_id": citizen.id_number,
        "procedure": procedure.code,
        "citizen": api_data.field.people["pending"].pk,
    }


def request_for(
    method: str, path: str, world: dict[str, Any], *, unmask: bool
) -> tuple[str, dict[str, Any]]:
    """The URL and the keyword arguments of the test client's call for one operation,
    with ?hien=1 when `unmask`; a KeyError names an operation without a case."""
    url = re.sub(r"\{(\w+)\}", lambda m: str(world[m.group(1)]), path)
    hien = {"hien": "1"} if unmask else {}
    query: dict[str, Any] = {
        "/api/citizens/": {"unit": f"{COMMUNE_A}-01"},
        "/api/results/": {"q": "khai sinh"},
        "/api/results/once-only/": {
            "subject_id": world["subject_id"],
            "procedure": world["procedure"],
        },
    }.get(path, {})
    bodies: dict[tuple[str, str], Callable[[], dict[str, Any]]] = {
        ("post", "/api/visits/"): lambda: {
            "data": {"citizen": world["citizen"], "outcome": "guided", "note": "đã hướng dẫn"},
            "format": "json",
        },
        ("post", "/api/forms/"): lambda: {
            "data": {**FORM, "unit": COMMUNE_A, "report_key": "tthc_batch_2"},
            "format": "json",
        },
        ("post", "/api/activities/"): lambda: {
            "data": {"unit": COMMUNE_A, "date": "2023-09-04", "sessions": 2},
            "format": "json",
        },
        ("post", "/api/imports/"): lambda: {
            "data": {
                "kind": "citizens",
                "file": SimpleUploadedFile(
                    "ds.csv", police_csv(GOOD_1, BAD_FUTURE), content_type="text/csv"
                ),
            },
            "format": "multipart",
        },
        ("patch", "/api/imports/{job}/"): lambda: {
            "data": {"state": "confirmed"},
            "format": "json",
        },
        ("post", "/api/results/reuses/"): lambda: {
            "data": {
                "result": int(world["result"]),
                "dossier_code": f"HS-{uuid.uuid4().hex[:8]}",
                "procedure": world["procedure"],
            },
            "format": "json",
        },
    }
    if method == "get":
        return url, {"data": {**query, **hien}}
    return url + ("?hien=1" if unmask else ""), bodies[(method, path)]()


def secrets() -> dict[str, set[str]]:
    """Every ID and phone number the database holds, with the paths of the units whose
    users may see it (none: nobody may see it in full)."""
    out: dict[str, set[str]] = {NOTE_PHONE: set()}
    for citizen in Citizen.objects.select_related("unit"):
        for value in (citizen.id_number, citizen.phone):
            if value:
                out.setdefault(value, set()).add(citizen.unit.path)
    for result in Result.objects.select_related("unit", "subject_unit"):
        places = out.setdefault(result.subject_id, set())
        places.add(result.unit.path)
        if result.subject_unit is not None:
            places.add(result.subject_unit.path)
    return out


def allowed(user: User, places: set[str]) -> bool:
    """Whether `user` may see a number held under one of `places` (unit paths): a role
    that shows personal data and a unit of theirs above it (read from the user, not
    from the API code)."""
    if not user.can(Action.VIEW_PERSONAL):
        return False
    if user.is_superuser:
        return bool(places)
    return any(place.startswith(p) for place in places for p in user.scope_paths())


@pytest.fixture
def users(api_data: ApiData, make_user: Callable[..., User]) -> dict[str, User]:
    return {
        "province admin": make_user(Role.PROVINCE_ADMIN, "82"),
        "commune police A": make_user(Role.POLICE_COMMUNE, COMMUNE_A),
        "commune police B": make_user(Role.POLICE_COMMUNE, COMMUNE_B),
        "commune officer A": make_user(Role.COMMUNE_OFFICER, COMMUNE_A),
        "province viewer": make_user(Role.PROVINCE_VIEWER, "82"),
        "volunteer": api_data.field.volunteer,  # type: ignore[dict-item]
    }


def test_no_operation_shows_a_number_unless_asked_by_an_entitled_user_and_audited(
    world: dict[str, Any], users: dict[str, User]
) -> None:
    ops = list(operations())
    assert len(ops) >= 20, "the schema lost operations?"
    # The upload comes first, so that the job it makes is the one the others read.
    ops.sort(key=lambda op: (op[1] != "/api/imports/" or op[0] != "post", op[1], op[0]))
    clients = {name: token_client(user) for name, user in users.items()}
    shown_by: dict[str, set[str]] = {}  # operation -> who saw a number in full
    for method, path, operation in ops:
        documented = any(p["name"] == "hien" for p in operation.get("parameters", []))
        for name, user in users.items():
            for asked in (False, True):
                url, kwargs = request_for(method, path, world, unmask=asked)
                last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
                response = getattr(clients[name], method)(url, **kwargs)
                where = f"{method.upper()} {url} as {name}"
                assert response.status_code < 500, where
                if method == "get" and name == "province admin":
                    assert response.status_code == 200, (where, response.content[:300])
                if (method, path) == ("post", "/api/imports/") and response.status_code == 201:
                    world["job"] = world["job"] or response.json()["id"]
                sent = url + json.dumps(kwargs.get("data", {}), default=str)
                body = response.content.decode()
                known = secrets()
                seen = {value for value in known if value in body and value not in sent}
                seen |= {m for m in LOOSE_NUMBER.findall(UUID.sub("", body)) if m not in sent}
                for value in seen:
                    assert asked and allowed(user, known.get(value, set())), (
                        f"{where} shows {value} in full"
                    )
                if seen:
                    shown_by.setdefault(f"{method.upper()} {path}", set()).add(name)
                    # Written by this request: newer than the last row before it.
                    event = AuditEvent.objects.filter(
                        pk__gt=last or 0, type=AuditEvent.Type.PERSONAL_DATA_VIEWED, user=user
                    ).first()
                    assert event is not None, f"{where} shows numbers without an audit row"
                    assert event.origin == "api" and event.detail["people"] >= 1, where
            if f"{method.upper()} {path}" in shown_by:
                assert documented, f"{method.upper()} {path} shows numbers: document ?hien"
    # The rule is not vacuous: entitled users do see numbers where they asked.
    assert shown_by["GET /api/citizens/"] == {"province admin", "commune police A", "volunteer"}
    assert shown_by["GET /api/results/{result}/"] == {"province admin", "commune police A"}
    assert "GET /api/results/" in shown_by


def test_citizens_are_masked_unless_asked_and_each_unmasking_is_audited(
    api_data: ApiData, make_user: Callable[..., User]
) -> None:
    police = token_client(make_user(Role.POLICE_COMMUNE, COMMUNE_A))
    officer = token_client(make_user(Role.COMMUNE_OFFICER, COMMUNE_A))
    person = api_data.field.people["approved"]

    def row(client: APIClient, **query: str) -> dict[str, Any]:
        rows = client.get("/api/citizens/", {"unit": COMMUNE_A, **query}).json()["results"]
        return next(r for r in rows if r["id"] == person.pk)

    plain = row(police)
    assert plain["id_number"] is None and plain["phone"] is None
    assert plain["id_number_masked"] == person.id_number[:3] + "******" + person.id_number[-3:]
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.PERSONAL_DATA_VIEWED).exists()

    shown = row(police, hien="1")
    assert (shown["id_number"], shown["phone"]) == (person.id_number, person.phone)
    event = AuditEvent.objects.get(type=AuditEvent.Type.PERSONAL_DATA_VIEWED)
    assert event.detail["page"] == "api:citizen-list" and person.pk in event.detail["citizens"]
    assert event.origin == "api" and event.ip_address == "127.0.0.1"

    # A role without view_personal asks in vain, and nothing is audited for it.
    refused = row(officer, hien="1")
    assert refused["id_number"] is None and refused["phone"] is None
    assert AuditEvent.objects.filter(type=AuditEvent.Type.PERSONAL_DATA_VIEWED).count() == 1


def test_results_show_the_subject_id_only_when_asked_and_audit_it(
    api_data: ApiData, make_user: Callable[..., User]
) -> None:
    own, other = searchable(scope_results(COMMUNE_A, COMMUNE_B))
    admin = token_client(make_user(Role.PROVINCE_ADMIN, "82"))
    police_b = token_client(make_user(Role.POLICE_COMMUNE, COMMUNE_B))
    url = f"/api/results/{own.pk}/"
    assert admin.get(url).json()["subject_id"] == "082******123"
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.PERSONAL_DATA_VIEWED).exists()
    assert admin.get(url, {"hien": "1"}).json()["subject_id"] == own.subject_id
    event = AuditEvent.objects.get(type=AuditEvent.Type.PERSONAL_DATA_VIEWED)
    assert event.object_id == str(own.pk) and event.detail["page"] == "api:results-detail"
    # Another commune's police: the result is not theirs to read at all.
    assert police_b.get(url, {"hien": "1"}).status_code == 404
    listed = admin.get("/api/results/", {"q": "khai sinh"}).json()["results"]
    assert [r["subject_id"] for r in listed] == ["082******123", "082******123"]
    assert AuditEvent.objects.filter(type=AuditEvent.Type.PERSONAL_DATA_VIEWED).count() == 1
    unmasked = admin.get("/api/results/", {"q": "khai sinh", "hien": "1"}).json()["results"]
    assert sorted(r["subject_id"] for r in unmasked) == [own.subject_id, other.subject_id]
    search = (
        AuditEvent.objects.filter(type=AuditEvent.Type.PERSONAL_DATA_VIEWED).order_by("pk").last()
    )
    assert search is not None and search.detail["page"] == "api:results-search"
    assert sorted(search.detail["results"]) == sorted([own.pk, other.pk])
