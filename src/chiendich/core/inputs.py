"""Bounds on what a user types into a page or a form: days, counts and ids.

Every date, number and id the pages read from a request goes through here, so
none reaches date arithmetic or the database beyond what they can hold. Out of
bounds is a form error or a 400 that names the allowed range, never a 500.

Why these bounds:
- Days: 01/01/2000 to 31/12/2099, the window the API uses too. The campaigns
  (2023 and after), electronic identity (2021) and today's GSO codes (2004) all
  fall inside; anything outside is a typo, and it keeps `day ± a year` far from
  Python's year 1 and 9999, where `?ngay=0001-01-01` used to crash the pages.
- Counts: 0 to 1.000.000.000, ten times Vietnam's population, and under
  PostgreSQL's integer column (2.147.483.647), which `PositiveIntegerField` is.
- Ids: 1 to 2^63 - 1 (BigAutoField), ASCII digits only: `int()` also reads
  "٣" and rejects "²" (which `str.isdigit()` accepts), so neither `isdigit()`
  nor `int()` alone is a check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import BadRequest
from django.utils.translation import gettext as _

from .cells import CellError, parse_date

FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)
MAX_COUNT = 1_000_000_000
MAX_ID = 2**63 - 1
_MAX_DAY_TEXT = 40  # "2023-09-01T00:00:00+07:00" and some room; longer is not a day


class BadInput(BadRequest):
    """A query parameter the page cannot use; its message, for the user, says what is
    allowed (the 400 page shows it)."""


def day_range_error() -> str:
    """What a day outside the window is told (the API's words: one message for both)."""
    return _("The day must lie between %(first)s and %(last)s.") % {
        "first": f"{FIRST_DAY:%d/%m/%Y}",
        "last": f"{LAST_DAY:%d/%m/%Y}",
    }


def parse_day(text: str) -> dt.date:
    """A day as the pages and the imports write it (dd/mm/yyyy or yyyy-mm-dd), inside
    the window; ValueError with a message for the user otherwise."""
    text = text.strip()
    try:
        if len(text) > _MAX_DAY_TEXT:
            raise CellError(text)
        # The uncached parser: a query string is not a spreadsheet's few hundred
        # distinct cells, and each new string would stay in the cache for good.
        day: dt.date = parse_date.__wrapped__(text)
    except CellError:
        raise ValueError(
            _("“%(value)s” is not a day (dd/mm/yyyy).") % {"value": text[:_MAX_DAY_TEXT]}
            + " "
            + day_range_error()
        ) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(day_range_error())
    return day


def day_param(query: Mapping[str, Any], name: str) -> dt.date | None:
    """`?name=` as a day, None when absent or empty; BadInput (400) when it is not one."""
    raw = query.get(name)
    if raw is None or not str(raw).strip():
        return None
    try:
        return parse_day(str(raw))
    except ValueError as exc:
        raise BadInput(f"“{name}”: {exc}") from None


def id_value(raw: Any) -> int | None:
    """An object id from a request (ASCII digits, 1 to 2^63 - 1), None if it is not one:
    a page then answers as for a missing object."""
    text = str(raw or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def count_value(raw: Any) -> int:
    """A whole number of things (0 to MAX_COUNT), written 1234567 or 1.234.567;
    ValueError with a message for the user otherwise ("1,5" too: a decimal comma)."""
    text = str(raw if raw is not None else "").strip().replace(".", "")
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_COUNT)) + 2:
        raise ValueError(count_error(raw))
    value = int(text)
    if value > MAX_COUNT:
        raise ValueError(count_error(raw))
    return value


def count_error(raw: Any) -> str:
    return (
        _("“%(value)s” is not a whole number of 0 or more.") % {"value": str(raw)[:40]}
        + " "
        + count_range_text()
    )


def count_range_text() -> str:
    """The allowed counts, as the pages write numbers (1.000.000.000)."""
    return _("Allowed: 0 to %(max)s.") % {"max": f"{MAX_COUNT:,}".replace(",", ".")}


# What a day input accepts as typed (the server reads the same, core.cells.parse_date).
DAY_PATTERN = r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{1,2}-\d{1,2}"


class DayInput(forms.DateInput):
    """The one day input of every page: a text box that reads and shows dd/mm/yyyy,
    whatever the browser's language (a native date picker shows mm/dd/yyyy to an
    English browser). Pages outside a form use the same markup through the template
    include web/_day_input.html, which can also bound it to the campaign's days."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        base = {
            "inputmode": "numeric",
            "placeholder": "dd/mm/yyyy",
            "pattern": DAY_PATTERN,
            "maxlength": "10",
            "size": "10",
            "autocomplete": "off",
            "data-day-input": "",
        }
        super().__init__(attrs={**base, **(attrs or {})}, format="%d/%m/%Y")


class DayField(forms.DateField):
    """A form's day: dd/mm/yyyy (also yyyy-mm-dd), inside the window, typed in DayInput."""

    widget = DayInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["%d/%m/%Y", "%Y-%m-%d"])
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and not FIRST_DAY <= value <= LAST_DAY:
            raise forms.ValidationError(day_range_error(), code="out_of_range")


class CountField(forms.IntegerField):
    """A form's whole number of things, 0 to MAX_COUNT (fits every database's column)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_COUNT)
        super().__init__(**kwargs)


class IdField(forms.IntegerField):
    """A form's object id: 1 to 2^63 - 1, so a longer number is a form error, not an
    overflow in the database."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)
