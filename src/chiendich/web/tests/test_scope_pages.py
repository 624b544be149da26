"""Every page that takes an object answers 404 for another commune's object.

The test walks the URL map, so a new page with a URL argument fails here until
it has a case below: no page is forgotten.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from chiendich.accounts.roles import Role
from chiendich.conftest import COMMUNE_A, COMMUNE_A2, COMMUNE_B
from chiendich.imports.tests.factories import SCOPE_JOB_IDS, scope_jobs
from chiendich.reporting.schedule import reports_expect
from chiendich.results.tests.factories import SCOPE_RESULT_IDS, scope_results
from chiendich.units.models import Level, Lineage, Unit
from chiendich.units.services import unit_upsert

pytestmark = pytest.mark.django_db

SKIP_NAMESPACES = {"admin"}  # superuser-only, outside the unit scope


def object_pages() -> Iterator[tuple[str, list[str]]]:
    """(url name, its argument names) for every named pattern with arguments."""

    def walk(patterns, prefix: str) -> Iterator[tuple[str, list[str]]]:
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace in SKIP_NAMESPACES:
                    continue
                ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
                yield from walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name and p.pattern.converters:
                yield f"{prefix}{p.name}", list(p.pattern.converters)

    yield from walk(get_resolver().url_patterns, "")


# For each URL argument: the value that names an object of commune A (own)
# and of commune B (another commune).
OBJECT_ARGUMENTS = {
    "code": (f"{COMMUNE_A}-01", f"{COMMUNE_B}-01"),
    "job": SCOPE_JOB_IDS,  # web import jobs of commune A and B (imports app)
    "result": SCOPE_RESULT_IDS,  # digitized results of commune A and B (results app)
    # Each commune's final VNeID report (Plan 383 VII.2.a), and a download format.
    "report": (f"vneid_final.{COMMUNE_A}.20231025", f"vneid_final.{COMMUNE_B}.20231025"),
    "fmt": ("xlsx", "xlsx"),
    # A commune split across several new ones (units app's split-communes page).
    "commune": (COMMUNE_A, COMMUNE_B),
}
# Pages whose argument names no unit's object: the same for every signed-in user.
UNSCOPED_PAGES = {"imports:template", "web:import-template"}


def same_page(a: bytes, a_url: str, b: bytes, b_url: str) -> bool:
    """Equal but for the echoed address and the per-response CSRF token."""

    def normal(content: bytes, url: str) -> bytes:
        content = content.replace(url.encode(), b"URL")
        return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"CSRF", content)

    return normal(a, a_url) == normal(b, b_url)


@pytest.fixture
def two_communes(tien_giang, plan_383):
    for commune in (COMMUNE_A, COMMUNE_B):
        unit_upsert(
            code=f"{commune}-01",
            name="Ấp 1",
            unit_type="ap",
            level=Level.HAMLET,
            parent=Unit.objects.get(code=commune),
        )
    scope_results(COMMUNE_A, COMMUNE_B)
    reports_expect(plan_383)
    scope_jobs(COMMUNE_A, COMMUNE_B)
    # Both communes split across two others, as the conversion table splits several
    # hundred old communes (the 2023 tree alone has no successors to split into).
    for commune in (COMMUNE_A, COMMUNE_B):
        for successor in (COMMUNE_A2, "28594"):
            Lineage.objects.create(
                predecessor=Unit.objects.get(code=commune),
                successor=Unit.objects.get(code=successor),
                source=Lineage.Source.GSO,
            )
    return tien_giang


def test_every_object_page_has_a_scope_case() -> None:
    pages = list(object_pages())
    assert pages, "the URL map has no object pages?"
    for name, args in pages:
        if name in UNSCOPED_PAGES:
            continue
        missing = [a for a in args if a not in OBJECT_ARGUMENTS]
        assert not missing, f"page {name} takes {missing}: add a scope case to OBJECT_ARGUMENTS"


@pytest.mark.parametrize("role", [Role.COMMUNE_OFFICER, Role.POLICE_COMMUNE])
def test_commune_user_gets_404_for_another_communes_objects_on_every_page(
    two_communes, make_user, role
) -> None:
    client = Client()
    client.force_login(make_user(role, COMMUNE_A))
    for name, args in object_pages():
        if name in UNSCOPED_PAGES:
            continue
        own = reverse(name, kwargs={a: OBJECT_ARGUMENTS[a][0] for a in args})
        other = reverse(name, kwargs={a: OBJECT_ARGUMENTS[a][1] for a in args})
        missing = reverse(name, kwargs={a: "khong-ton-tai" for a in args})
        assert client.get(own).status_code == 200, own
        other_response = client.get(other)
        missing_response = client.get(missing)
        assert other_response.status_code == 404, other
        # Indistinguishable from an object that does not exist.
        assert same_page(other_response.content, other, missing_response.content, missing)


def test_parent_and_sibling_units_are_404_too(two_communes, make_user) -> None:
    client = Client()
    client.force_login(make_user(Role.COMMUNE_OFFICER, COMMUNE_A))
    for code in ("82", "815", "28252", COMMUNE_B):
        assert client.get(reverse("web:unit-detail", args=[code])).status_code == 404, code
    assert client.get(reverse("web:unit-detail", args=[COMMUNE_A])).status_code == 200


def test_anonymous_users_are_sent_to_sign_in(two_communes) -> None:
    response = Client().get(reverse("web:unit-detail", args=[COMMUNE_A]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
