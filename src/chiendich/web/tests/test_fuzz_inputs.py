"""No input answers 500 (issue 16, item 7): Hypothesis sends every GET parameter and POST
field the pages read, and every query parameter of the API's schema, with values from
plausible to hostile, as four roles; no answer may be a server error.

The pages and what they read are found by walking the URL map and the pages themselves
(fuzzing.py). Examples are derandomized, so a run is reproducible; a failure prints the
request that caused it. Sized to run in about a minute per database.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from chiendich.accounts.models import User
from chiendich.accounts.roles import Role
from chiendich.api.tests.conftest import ApiData, api_data  # noqa: F401 - fixtures
from chiendich.conftest import COMMUNE_A, COMMUNE_A2, COMMUNE_B
from chiendich.field.tests.conftest import HAMLET_A, field, make_citizen  # noqa: F401
from chiendich.imports.tests.factories import SCOPE_JOB_IDS, scope_jobs
from chiendich.procedures.tests.conftest import (  # noqa: F401 - fixtures
    catalogue,
    dossier_row,
    import_rows,
)
from chiendich.reporting.schedule import reports_expect
from chiendich.results.tests.factories import SCOPE_RESULT_IDS, scope_results
from chiendich.units.models import Lineage, Unit

from .fuzzing import (
    SHARPEST,
    VALUE,
    Target,
    discover,
    page_patterns,
    page_urls,
    request_data,
    sweep,
)

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=100,
    derandomize=True,  # the same examples in every run: CI failures reproduce
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

REPORT = f"vneid_final.{COMMUNE_A}.20231025"
# The values each URL argument takes: objects of the users' commune (and, for unit codes,
# a hamlet, the province and a unit that does not exist).
ARGUMENTS: dict[str, tuple[str, ...]] = {
    "code": (COMMUNE_A, HAMLET_A, "82", "khong-ton-tai"),
    "job": (SCOPE_JOB_IDS[0],),
    "result": (SCOPE_RESULT_IDS[0],),
    "report": (REPORT,),
    "fmt": ("xlsx", "pdf"),
    "commune": (COMMUNE_A,),
    "kind": ("citizens",),
    "name": ("danh-sach-cong-dan.xlsx",),
}


@dataclass
class Fuzz:
    users: dict[str, User]
    clients: dict[str, Client]
    plausible: dict[str, str]
    data: ApiData


@pytest.fixture
def fuzz(
    api_data: ApiData,  # noqa: F811
    make_user: Callable[..., User],
    settings: Any,
    tmp_path: Path,
) -> Fuzz:
    """The API tests' commune (citizens, a team, dossiers, targets) plus results, import
    jobs, the plan's reports and split communes; a client for each of four roles."""
    settings.DATA_DIR = tmp_path / "data"
    settings.RESULTS_STORAGE_DIR = tmp_path / "results"
    for result in scope_results(COMMUNE_A, COMMUNE_B):
        stored = settings.RESULTS_STORAGE_DIR / result.file_name  # metadata only, so far
        stored.parent.mkdir(parents=True, exist_ok=True)
        stored.write_bytes(b"%PDF-1.4\n%%EOF\n")
    reports_expect(api_data.plan)
    scope_jobs(COMMUNE_A, COMMUNE_B)
    # A citizen on the split commune itself, whom its page offers to place in a hamlet.
    make_citizen(Unit.objects.get(code=COMMUNE_A), None, "Lý Văn Chưa Ấp", None)
    for successor in (COMMUNE_A2, "28594"):
        Lineage.objects.create(
            predecessor=Unit.objects.get(code=COMMUNE_A),
            successor=Unit.objects.get(code=successor),
            source=Lineage.Source.GSO,
        )
    users = {
        "province_admin": make_user(Role.PROVINCE_ADMIN, "82"),
        "commune_officer": make_user(Role.COMMUNE_OFFICER, COMMUNE_A),
        "police_commune": make_user(Role.POLICE_COMMUNE, COMMUNE_A),
        "volunteer": api_data.field.volunteer,
    }
    clients = {}
    for role, user in users.items():
        clients[role] = Client()
        clients[role].force_login(user)
    today = api_data.today
    citizen = api_data.field.people["approved"]
    plausible = {
        "ngay": today.isoformat(),
        "den-ngay": "2023-10-25",
        "date": "01/09/2023",
        "unit": COMMUNE_A,
        "don-vi": COMMUNE_A,
        "citizen": str(citizen.pk),
        "cong_dan": str(citizen.pk),
        "ho": "H",
        "outcome": "absent",
        "value": "1000",
        "trang": "2",
        "ket_qua": SCOPE_RESULT_IDS[0],
        "thay-the": SCOPE_RESULT_IDS[0],
        "sessions": "3",
    }
    return Fuzz(users, clients, plausible, api_data)


@pytest.fixture
def targets(fuzz: Fuzz) -> list[Target]:
    """Found as the province administrator, who sees every form (target fixing too)."""
    found = discover(fuzz.clients["province_admin"], page_urls(ARGUMENTS), fuzz.plausible)
    # A page that reads nothing has nothing to fuzz: opening it is the scope walk's job.
    return [t for t in found if t.keys or t.files]


ROLES = ("province_admin", "commune_officer", "police_commune", "volunteer")


def with_examples(cases: list[tuple[Any, ...]]) -> Callable[[Any], Any]:
    """Hypothesis's explicit examples, one per case: run first, every time, in order."""

    def decorate(test: Any) -> Any:
        for case in reversed(cases):
            test = example(*case)(test)
        return test

    return decorate


def test_no_page_answers_a_server_error(fuzz: Fuzz, targets: list[Target]) -> None:
    # The discovery is not empty-handed: the parameters and forms of issue 16 are found.
    keys = {key for t in targets for key in t.keys}
    for known in ("ngay", "den-ngay", "citizen", "value", "sessions", "tu_ngay", "cong_dan"):
        assert known in keys, f"{known} not found; found {sorted(keys)}"
    statuses: Counter[int] = Counter()

    @FUZZ
    @with_examples(sweep(targets, fuzz.plausible))
    @given(st.sampled_from(ROLES), st.sampled_from(targets), st.data())
    def run(role: str, target: Target, data: Any) -> None:
        params = data if isinstance(data, dict) else data.draw(request_data(target, fuzz.plausible))
        client = fuzz.clients[role]
        if target.method == "post":
            response = client.post(target.url, params)
        else:
            response = client.get(target.url, params)
        statuses[response.status_code] += 1
        assert response.status_code < 500, (role, target, params)

    run()
    # The examples reached the views: pages rendered, inputs refused, not only redirects.
    assert statuses[200] >= 100, statuses
    assert statuses[400] >= 100, statuses


def api_operations() -> list[tuple[str, list[dict[str, Any]]]]:
    """(path template, parameters) of every GET operation in the OpenAPI schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = []
    for path, methods in schema["paths"].items():
        if "get" in methods and path not in ("/api/schema/", "/api/docs/"):
            operations.append((path, methods["get"].get("parameters", [])))
    return operations


# Values for the API's path parameters: objects of commune A.
API_PATH = {
    "code": (COMMUNE_A, HAMLET_A, "82"),
    "job": (SCOPE_JOB_IDS[0],),
    "result": (SCOPE_RESULT_IDS[0],),
    "report": (REPORT,),
}


def _schema_value(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    """A value the parameter's schema allows (enum, bounded integer, day), as text."""
    if "enum" in schema:
        return st.sampled_from([str(v) for v in schema["enum"]])
    if schema.get("type") == "integer":
        low, high = schema.get("minimum", 0), schema.get("maximum", 10**6)
        return st.integers(min_value=low, max_value=high).map(str)
    if schema.get("format") == "date":
        return st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)).map(dt.date.isoformat)
    return st.sampled_from([COMMUNE_A, HAMLET_A, "82", "H"])


def _api_url(path: str, parameters: list[dict[str, Any]]) -> str:
    for p in parameters:
        if p["in"] == "path":
            path = path.replace("{" + p["name"] + "}", API_PATH[p["name"]][0])
    return path


@st.composite
def api_query(draw: Any, parameters: list[dict[str, Any]]) -> dict[str, str]:
    query = {}
    for p in parameters:
        if p["in"] == "query" and draw(st.booleans()):
            query[p["name"]] = draw(VALUE | _schema_value(p.get("schema", {})))
    return query


def test_no_api_operation_answers_a_server_error(fuzz: Fuzz) -> None:
    operations = api_operations()
    assert len(operations) >= 15, operations
    clients = {}
    for role, user in fuzz.users.items():
        clients[role] = APIClient()
        clients[role].force_authenticate(user)
    # Each query parameter of each operation, alone, with each of the sharpest values.
    cases = [
        ("province_admin", (path, parameters), {p["name"]: value})
        for path, parameters in operations
        for p in parameters
        if p["in"] == "query"
        for value in SHARPEST
    ]
    statuses: Counter[int] = Counter()

    @FUZZ
    @with_examples(cases)
    @given(st.sampled_from(ROLES), st.sampled_from(operations), st.data())
    def run(role: str, operation: tuple[str, list[dict[str, Any]]], data: Any) -> None:
        path, parameters = operation
        query = data if isinstance(data, dict) else data.draw(api_query(parameters))
        url = _api_url(path, parameters)
        response = clients[role].get(url, query)
        statuses[response.status_code] += 1
        assert response.status_code < 500, (role, url, query)

    run()
    assert statuses[200] >= 100, statuses
    assert statuses[400] >= 100, statuses


def test_no_url_argument_answers_a_server_error(fuzz: Fuzz) -> None:
    """The ids in the address (a unit code, a result, a job, a report), each page and API
    operation with each of the sharpest values: a 404 or a 400, never a 5xx."""
    client = fuzz.clients["province_admin"]
    api = APIClient()
    api.force_authenticate(fuzz.users["province_admin"])
    answered: Counter[int] = Counter()
    pages = [(name, args) for name, args in page_patterns() if args]
    for name, args in pages:
        for arg in args:
            for value in [*SHARPEST, "9223372036854775808", "8201.5", "82 "]:
                kwargs = {a: ARGUMENTS[a][0] for a in args} | {arg: value}
                url = reverse(name, kwargs=kwargs)
                response = client.get(url)
                answered[response.status_code] += 1
                assert response.status_code < 500, url
    for path, parameters in api_operations():
        for p in (p for p in parameters if p["in"] == "path"):
            for value in SHARPEST:
                url = path.replace("{" + p["name"] + "}", quote(value, safe=""))
                response = api.get(url)
                answered[response.status_code] += 1
                assert response.status_code < 500, url
    assert answered[404] >= 100, answered
