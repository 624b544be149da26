"""Issue 14 item 6: one day input (dd/mm/yyyy) on every page, no 60-option day list,
no "N/A", the campaign's date where a date is meant, a hint when a search is empty."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from chiendich.accounts.roles import Role
from chiendich.core.inputs import DayField, DayInput
from chiendich.reporting.schedule import reports_expect
from chiendich.results.forms import RevokeForm, SearchForm
from chiendich.web.templatetags.campaign import pct

from .conftest import COMMUNE

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def day_inputs(text: str) -> dict[str, str]:
    """name -> the whole <input> tag, for every day input on the page."""
    tags = re.findall(r"<input [^>]*data-day-input[^>]*>", text)
    return {re.search(r'name="([^"]+)"', t).group(1): t for t in tags}  # type: ignore[union-attr]


def test_the_day_input_reads_and_writes_dd_mm_yyyy() -> None:
    html = DayInput().render("ngay", dt.date(2023, 9, 3))
    assert 'type="text"' in html and 'value="03/09/2023"' in html
    assert 'placeholder="dd/mm/yyyy"' in html and 'inputmode="numeric"' in html
    field = DayField()
    assert isinstance(field.widget, DayInput)
    for typed in ("03/09/2023", "3/9/2023", "2023-09-03"):
        assert field.clean(typed) == dt.date(2023, 9, 3)


def test_forms_use_the_one_day_input_never_the_native_picker() -> None:
    for form in (SearchForm(), RevokeForm()):
        text = str(form)
        assert 'type="date"' not in text
        assert "data-day-input" in text and 'placeholder="dd/mm/yyyy"' in text


def test_the_as_of_day_is_typed_and_bounded_to_the_days_with_counts(
    small_campaign, make_user
) -> None:
    client = client_for(make_user(Role.COMMUNE_OFFICER, COMMUNE))
    text = client.get(reverse("web:unit-detail", args=[COMMUNE]), {"ngay": "03/09/2023"})
    page = text.content.decode()
    assert page.count("<option") == 2  # the language switch only: no 60-option list of days
    tag = day_inputs(page)["ngay"]
    assert 'value="03/09/2023"' in tag
    assert 'data-min="2023-08-20"' in tag and 'data-max="2023-10-18"' in tag
    assert "20/08/2023" in page and "18/10/2023" in page  # the bounds, written for the reader
    assert 'id="as-of-day">03/09/2023<' in page


def test_report_pages_share_the_day_input_and_keep_what_was_typed(
    small_campaign, make_user, settings
) -> None:
    settings.CAMPAIGN_TODAY = "2023-10-18"
    reports_expect(small_campaign)
    client = client_for(make_user(Role.DISTRICT_OFFICER, "822"))
    listing = client.get(reverse("reporting:report-list"), {"den-ngay": "25/09/2023"})
    assert 'value="25/09/2023"' in day_inputs(listing.content.decode())["den-ngay"]
    completeness = client.get(reverse("reporting:completeness"), {"ngay": "2023-09-30"})
    assert 'value="30/09/2023"' in day_inputs(completeness.content.decode())["ngay"]
    activities = client.get(reverse("reporting:activities")).content.decode()
    assert "required" in day_inputs(activities)["date"]


def test_a_rate_without_a_denominator_is_a_dash_never_n_a() -> None:
    assert pct(None) == "—" and pct("") == "—"


def test_the_header_shows_the_campaigns_day(small_campaign, make_user, settings) -> None:
    settings.CAMPAIGN_TODAY = "2023-10-18"
    client = client_for(make_user(Role.COMMUNE_OFFICER, COMMUNE))
    for url in ("/", reverse("web:plan"), reverse("reporting:report-list")):
        text = client.get(url).content.decode()
        assert re.search(r'id="campaign-day"[^>]*>18/10/2023<', text), url
        real = timezone.localdate().strftime("%d/%m/%Y")
        assert real not in text, url  # never the real clock's date beside it
        assert "N/A" not in text, url


def test_an_empty_search_says_what_to_try(small_campaign, make_user) -> None:
    client = client_for(make_user(Role.COMMUNE_OFFICER, COMMUNE))
    text = client.get(reverse("results:search"), {"q": "khong co gi ca zzz"}).content.decode()
    hint = re.search(r'id="nothing-found">(.*?)</p>', text, re.S)
    assert hint and "đ = d" in hint.group(1) and "123/QĐ-UBND" in hint.group(1)
