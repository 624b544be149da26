"""Reading the cells of a police list: ID numbers, dates, sex, phones, status texts."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from chiendich.core.cells import CellError, parse_date
from chiendich.vneid.importing.cells import (
    id_birth_year,
    id_sex,
    parse_id_number,
    parse_phone,
    parse_sex,
    parse_status,
    status_key,
)
from chiendich.vneid.models import AccountState, Sex


def test_id_number_keeps_twelve_digits_and_restores_zeros_excel_dropped() -> None:
    assert parse_id_number("082095000123") == ("082095000123", False)
    assert parse_id_number("82095000123") == ("082095000123", True)
    assert parse_id_number("1095000123") == ("001095000123", True)  # Hà Nội lost two zeros


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("3095000123", "mã tỉnh nơi đăng ký khai sinh “003” không tồn tại"),
        ("0820950001234", "phải có 12 chữ số (có 13)"),
        ("082-095-000123", "chỉ gồm 12 chữ số"),
        ("099095000123", "mã tỉnh nơi đăng ký khai sinh “099” không tồn tại"),
        ("8.2095E+10", "chỉ gồm 12 chữ số"),
    ],
)
def test_bad_id_numbers(text: str, problem: str) -> None:
    with pytest.raises(CellError, match=re.escape(problem)):
        parse_id_number(text)


def test_century_and_sex_digit() -> None:
    assert (id_birth_year("082095000123"), id_sex("082095000123")) == (1995, Sex.MALE)
    assert (id_birth_year("082195000123"), id_sex("082195000123")) == (1995, Sex.FEMALE)
    assert (id_birth_year("082208000123"), id_sex("082208000123")) == (2008, Sex.MALE)
    assert (id_birth_year("082308000123"), id_sex("082308000123")) == (2008, Sex.FEMALE)
    assert id_birth_year("082400000123") == 2100


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("01/09/2023", dt.date(2023, 9, 1)),
        ("1/9/2023", dt.date(2023, 9, 1)),
        ("01-09-2023", dt.date(2023, 9, 1)),
        ("01.09.2023", dt.date(2023, 9, 1)),
        ("2023-09-01", dt.date(2023, 9, 1)),
        ("2023-09-01 00:00:00", dt.date(2023, 9, 1)),
        ("45170", dt.date(2023, 9, 1)),
        ("45170.0", dt.date(2023, 9, 1)),
        ("1", dt.date(1900, 1, 1)),
        ("61", dt.date(1900, 3, 1)),
    ],
)
def test_dates_in_every_accepted_form(text: str, day: dt.date) -> None:
    assert parse_date(text) == day


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("31/02/2023", "ngày không tồn tại"),
        ("01/09/23", "năm phải có 4 chữ số"),
        ("ngày 1 tháng 9", "không đúng dạng"),
        ("60", "29/02/1900 không tồn tại"),
    ],
)
def test_bad_dates(text: str, problem: str) -> None:
    with pytest.raises(CellError, match=problem):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "sex"),
    [("Nam", Sex.MALE), ("NAM", Sex.MALE), ("M", Sex.MALE), ("male", Sex.MALE)]
    + [("Nữ", Sex.FEMALE), ("nu", Sex.FEMALE), ("F", Sex.FEMALE), ("Female", Sex.FEMALE)],
)
def test_sex(text: str, sex: Sex) -> None:
    assert parse_sex(text) == sex


def test_unknown_sex() -> None:
    with pytest.raises(CellError, match="“Nam” hoặc “Nữ”"):
        parse_sex("khác")


@pytest.mark.parametrize(
    "text",
    ["0912345678", "0912.345.678", "0912 345 678", "+84 912 345 678", "84912345678"]
    + ["912345678", "(091) 234-5678"],
)
def test_phone_numbers_normalised(text: str) -> None:
    assert parse_phone(text) == "0912345678"


@pytest.mark.parametrize("text", ["0212345678", "091234567", "09123456789", "số máy bàn"])
def test_bad_phone_numbers(text: str) -> None:
    with pytest.raises(CellError, match="số điện thoại di động"):
        parse_phone(text)


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("Chưa đăng ký", AccountState.NOT_REGISTERED),
        ("CHUA DANG KY", AccountState.NOT_REGISTERED),
        ("Đã đăng ký mức 1, chờ duyệt", AccountState.L1_PENDING),
        ("Chờ duyệt mức 1", AccountState.L1_PENDING),
        ("da dang ky muc 1 - cho duyet", AccountState.L1_PENDING),
        ("Đã đăng ký mức 2, chờ duyệt", AccountState.L2_PENDING),
        ("Chờ duyệt mức II", AccountState.L2_PENDING),
        ("Đã duyệt, chờ kích hoạt", AccountState.APPROVED),
        ("Đã phê duyệt chưa kích hoạt", AccountState.APPROVED),
        ("Đã phê duyệt, chưa kích hoạt.", AccountState.APPROVED),
        ("Đã kích hoạt mức 1", AccountState.ACTIVATED_L1),
        ("Đã kích hoạt mức I", AccountState.ACTIVATED_L1),
        ("đã kích hoạt mức 2", AccountState.ACTIVATED_L2),
        ("activated_l2", AccountState.ACTIVATED_L2),
        ("approved", AccountState.APPROVED),
    ],
)
def test_status_texts(text: str, state: AccountState) -> None:
    assert parse_status(text) == state


def test_unknown_status() -> None:
    with pytest.raises(CellError, match="trạng thái không nằm trong danh sách"):
        parse_status("Đang xử lý")
    assert status_key("Đã duyệt,  chờ KÍCH HOẠT!") == "da duyet cho kich hoat"
