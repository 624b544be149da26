"""Days, counts and ids from requests: inside their bounds or refused with a message."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict

from chiendich.core.inputs import (
    MAX_COUNT,
    MAX_ID,
    BadInput,
    CountField,
    DayField,
    IdField,
    count_value,
    day_param,
    id_value,
    parse_day,
)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("01/09/2023", dt.date(2023, 9, 1)),
        ("1/9/2023", dt.date(2023, 9, 1)),
        ("2023-09-01", dt.date(2023, 9, 1)),
        (" 2023-09-01 ", dt.date(2023, 9, 1)),
        ("01/01/2000", dt.date(2000, 1, 1)),
        ("31/12/2099", dt.date(2099, 12, 31)),
    ],
)
def test_days_inside_the_window_are_read(text: str, day: dt.date) -> None:
    assert parse_day(text) == day


@pytest.mark.parametrize(
    "text",
    ["0001-01-01", "9999-12-31", "31/12/1999", "01/01/2100", "abc", "2023-02-30", "²/1/2023",
     "99999999999999999999999", "x" * 100, ""],
)  # fmt: skip
def test_other_days_are_refused_naming_the_window(text: str) -> None:
    with pytest.raises(ValueError, match="01/01/2000.*31/12/2099"):
        parse_day(text)


def test_a_query_day_is_none_when_absent_and_a_400_when_bad() -> None:
    assert day_param(QueryDict("ngay="), "ngay") is None
    assert day_param(QueryDict(""), "ngay") is None
    assert day_param(QueryDict("ngay=2023-09-01"), "ngay") == dt.date(2023, 9, 1)
    with pytest.raises(BadInput, match="“ngay”"):
        day_param(QueryDict("ngay=0001-01-01"), "ngay")


@pytest.mark.parametrize(
    ("raw", "value"),
    [("1", 1), (" 42 ", 42), (str(MAX_ID), MAX_ID), (str(MAX_ID + 1), None), ("0", None),
     ("²", None), ("٣", None), ("-1", None), ("1e3", None), ("", None), (None, None),
     ("9" * 5000, None)],
)  # fmt: skip
def test_ids_are_ascii_digits_that_fit_the_database(raw: str | None, value: int | None) -> None:
    assert id_value(raw) == value


def test_counts_are_whole_numbers_up_to_the_bound() -> None:
    assert count_value("1.234.567") == 1_234_567
    assert count_value("0") == 0
    assert count_value(str(MAX_COUNT)) == MAX_COUNT
    for bad in (
        str(MAX_COUNT + 1),
        "9223372036854775808",
        "²",
        "٣",
        "-1",
        "1,5",
        "1e3",
        "",
        "9" * 5000,
    ):
        with pytest.raises(ValueError, match="1.000.000.000"):
            count_value(bad)


def test_form_fields_refuse_what_the_database_cannot_hold() -> None:
    day = DayField()
    assert day.clean("01/09/2023") == day.clean("2023-09-01") == dt.date(2023, 9, 1)
    for bad in ("0001-01-01", "9999-12-31", "abc"):
        with pytest.raises(ValidationError):
            day.clean(bad)
    assert CountField().clean("12") == 12
    assert IdField().clean(str(MAX_ID)) == MAX_ID
    for field, bad in ((CountField(), str(MAX_COUNT + 1)), (IdField(), str(MAX_ID + 1))):
        with pytest.raises(ValidationError):
            field.clean(bad)
