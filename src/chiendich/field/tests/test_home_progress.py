"""A volunteer lands on their hamlets with what is left to do (issue 13, item 5): the
home page's figure per hamlet is the hamlet page's own progress."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from chiendich.accounts.roles import Role
from chiendich.conftest import COMMUNE_A
from chiendich.field import offline
from chiendich.field.models import Outcome
from chiendich.field.services import visit_record
from chiendich.units.models import Unit

from .conftest import HAMLET_A, HAMLET_B

pytestmark = pytest.mark.django_db


def test_each_hamlets_progress_is_the_hamlet_pages_own(field, make_user) -> None:
    officer_hamlets = list(Unit.objects.filter(code__in=[HAMLET_A, HAMLET_B]))
    officer = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    figures = offline.hamlets_progress(officer, officer_hamlets, field.today)
    for hamlet in officer_hamlets:
        expected = offline.hamlet_data(officer, hamlet, field.today)["progress"]
        assert figures[hamlet.code] == expected, hamlet.code
    assert figures[HAMLET_A] == {"households": 5, "done": 1, "revisit": 1, "people_left": 5}

    # An outcome moves both alike: the not-registered person of household N activated.
    visit_record(
        field.people["not_registered"],
        outcome=Outcome.ACTIVATED_L1,
        day=field.today,
        acting_user=field.volunteer,
    )
    hamlet = field.hamlet_a
    assert (
        offline.hamlets_progress(officer, [hamlet], field.today)[HAMLET_A]
        == (offline.hamlet_data(officer, hamlet, field.today)["progress"])
    )
    assert offline.hamlets_progress(officer, [hamlet], field.today)[HAMLET_A]["done"] == 2


def test_the_home_page_shows_what_is_left_per_hamlet(field) -> None:
    client = Client()
    client.force_login(field.volunteer)
    client.cookies["django_language"] = "vi"
    page = client.get("/thuc-dia/").content.decode()
    start = page.index(f'data-hamlet="{HAMLET_A}"')
    tile = page[start : page.index("</li>", start)]
    with translation.override("vi"):
        said = translation.gettext("%(done)s/%(total)s households done · %(left)s people left")
    assert said % {"done": 1, "total": 5, "left": 5} in tile
    # Another hamlet's people are not the volunteer's: only their own hamlet is listed.
    assert f'data-hamlet="{HAMLET_B}"' not in page


def test_a_district_wide_list_of_hamlets_is_not_counted_on_the_home_page(field) -> None:
    many = [field.hamlet_a] * (offline.HOME_PROGRESS_HAMLETS + 1)
    assert offline.hamlets_progress(field.volunteer, many, field.today) == {}


def test_the_plan_is_one_click_from_the_volunteers_home_on_a_phone(field) -> None:
    """On a phone the site's section links are hidden on door-to-door pages (the header
    stays within 20% of the screen): the home page links the plan itself."""
    client = Client()
    client.force_login(field.volunteer)
    page = client.get("/thuc-dia/").content.decode()
    start = page.index('id="plan-link"')
    assert f'href="{reverse("web:plan")}"' in page[start : page.index("</p>", start)]
    assert client.get(reverse("web:plan")).status_code == 200
