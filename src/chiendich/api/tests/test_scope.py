"""The API's scope: one base restricts every viewset; another commune's object answers
404 exactly like a missing one, its rows never appear in a list, and naming it in a
write reads the same as naming something that does not exist."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from chiendich.accounts.roles import Role
from chiendich.api.scope import ScopedViewSetMixin
from chiendich.api.urls import router
from chiendich.conftest import COMMUNE_A, COMMUNE_A2, COMMUNE_B
from chiendich.field.models import Outcome
from chiendich.field.services import visit_record
from chiendich.procedures.models import AggregateForm
from chiendich.procedures.services import aggregate_form_submit
from chiendich.units.models import Unit

from .conftest import HAMLET_B1

pytestmark = pytest.mark.django_db

OWN = (COMMUNE_A, f"{COMMUNE_A}-01")
OTHER = (COMMUNE_B, HAMLET_B1, COMMUNE_A2, "815", "82")  # another district, sibling, parents
FORM = {
    "received": 10,
    "received_online": 4,
    "digitized": 9,
    "fee_bearing": 3,
    "paid_online": 1,
    "resolved": 8,
    "resolved_e_result": 6,
    "reused": 2,
}


def api_object_urls() -> Iterator[tuple[str, list[str]]]:
    """(url name, its arguments) of every URL of this app's router that names an object
    (other apps' API modules, included under their own namespace, have their own cases
    in web/tests/test_scope_pages.py)."""

    def walk(patterns, prefix: str) -> Iterator[tuple[str, list[str]]]:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
                yield from walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name and p.pattern.converters:
                yield f"{prefix}{p.name}", list(p.pattern.converters)

    ours = tuple(f"api:{basename}-" for _, _, basename in router.registry)
    for name, args in walk(get_resolver().url_patterns, ""):
        if name.startswith(ours):
            yield name, args


def test_every_viewset_is_scoped_by_the_base_and_none_overrides_it() -> None:
    assert router.registry
    for _, viewset, _ in router.registry:
        assert issubclass(viewset, ScopedViewSetMixin), viewset
        assert "get_queryset" not in vars(viewset), f"{viewset.__name__} bypasses the scope"


def test_the_unit_urls_are_walked(api_data) -> None:
    names = {name for name, _ in api_object_urls()}
    assert {"api:unit-detail", "api:unit-progress", "api:unit-indicators"} <= names


@pytest.mark.parametrize("role", [Role.COMMUNE_OFFICER, Role.POLICE_COMMUNE])
def test_another_communes_unit_is_404_like_a_missing_one_on_every_api_url(
    api_data, client_for, role
) -> None:
    client = client_for(role)
    for name, args in api_object_urls():
        if args != ["code"]:
            # Only `code` objects are modelled; another argument needs its own case here.
            pytest.fail(f"{name} takes {args}: add a scope case")
        missing = client.get(reverse(name, args=["khong-ton-tai"]))
        assert missing.status_code == 404
        for code in OWN:
            assert client.get(reverse(name, args=[code])).status_code == 200, (name, code)
        for code in OTHER:
            response = client.get(reverse(name, args=[code]))
            assert response.status_code == 404, (name, code)
            assert response.json() == missing.json()


def test_lists_hold_only_rows_of_the_users_units(api_data, client_for, make_user) -> None:
    field = api_data.field
    visit_record(
        api_data.other_citizen, outcome=Outcome.REFUSED, day=api_data.today, acting_user=None
    )
    visit_record(
        field.people["approved"], outcome=Outcome.GUIDED, day=api_data.today, acting_user=None
    )
    commune_b = Unit.objects.get(code=COMMUNE_B)
    for unit in (Unit.objects.get(code=COMMUNE_A), commune_b):
        aggregate_form_submit(unit=unit, report_key="tthc_batch_2", values=FORM, acting_user=None)
    client = client_for(Role.COMMUNE_OFFICER)
    a_path = Unit.objects.get(code=COMMUNE_A).path

    units = client.get("/api/units/", {"limit": 1000}).json()
    assert units["count"] == 3  # the commune and its two hamlets
    assert {u["code"] for u in units["results"]} == {
        COMMUNE_A,
        *(f"{COMMUNE_A}-0{i}" for i in (1, 2)),
    }
    citizens = client.get("/api/citizens/", {"unit": COMMUNE_A}).json()["results"]
    assert client.get("/api/citizens/").status_code == 400  # one place at a time
    assert api_data.other_citizen.pk not in {c["id"] for c in citizens} and len(citizens) == 8
    visits = client.get("/api/visits/").json()["results"]
    assert [v["citizen"] for v in visits] == [field.people["approved"].pk]
    forms = client.get("/api/forms/").json()["results"]
    assert [f["unit"] for f in forms] == [COMMUNE_A]
    assert all(Unit.objects.get(code=u["code"]).path.startswith(a_path) for u in units["results"])

    # Filtering on another commune reads exactly like filtering on a code that does not exist.
    for url in ("/api/citizens/", "/api/visits/", "/api/forms/"):
        other = client.get(url, {"unit": COMMUNE_B})
        missing = client.get(url, {"unit": "khong-ton-tai"})
        assert other.status_code == missing.status_code == 200
        assert (
            other.json()
            == missing.json()
            == {
                "count": 0,
                "next": None,
                "previous": None,
                "results": [],
            }
        )

    # The district above sees both of its communes' rows, the province everything.
    district = client_for(Role.DISTRICT_OFFICER, "815")
    assert [f["unit"] for f in district.get("/api/forms/").json()["results"]] == [COMMUNE_A]
    province = client_for(Role.PROVINCE_ADMIN, "82")
    assert {f["unit"] for f in province.get("/api/forms/").json()["results"]} == {
        COMMUNE_A,
        COMMUNE_B,
    }


def test_writes_naming_another_communes_object_read_like_a_missing_one(
    api_data, client_for
) -> None:
    client = client_for(Role.COMMUNE_OFFICER)
    other = client.post(
        "/api/visits/",
        {"citizen": api_data.other_citizen.pk, "outcome": "refused"},
        format="json",
    )
    missing = client.post("/api/visits/", {"citizen": 10**9, "outcome": "refused"}, format="json")
    assert other.status_code == missing.status_code == 400
    assert other.json() == missing.json() and set(other.json()) == {"citizen"}

    other = client.post(
        "/api/forms/", {**FORM, "unit": COMMUNE_B, "report_key": "tthc_batch_2"}, format="json"
    )
    missing = client.post(
        "/api/forms/",
        {**FORM, "unit": "khong-ton-tai", "report_key": "tthc_batch_2"},
        format="json",
    )
    assert other.status_code == missing.status_code == 400
    assert other.json() == missing.json() and set(other.json()) == {"unit"}
    assert api_data.other_citizen.visits.count() == 0

    assert not AggregateForm.objects.filter(unit__code=COMMUNE_B).exists()
