"""The columns of a police list and how each cell is read.

Every parser takes the cleaned cell text (see core.tabular.cell_text) and
returns a value or raises CellError with the problem in Vietnamese. Parsers
of cells with few distinct values (dates, sex, status) are cached: a
1.5-million-row list has a few thousand distinct dates and a handful of
status texts.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

from django.utils import translation

from chiendich.core.cells import CellError
from chiendich.core.text import fold
from chiendich.units import gso

from ..models import AccountState, Sex

# Canonical header first: it names the column in errors and in the template.
CITIZEN_COLUMNS: dict[str, list[str]] = {
    "id_number": [
        "Số định danh cá nhân",
        "Số ĐDCN",
        "Số định danh",
        "Số CCCD",
        "Số căn cước công dân",
        "Số căn cước",
        "CCCD",
        "id_number",
    ],
    "full_name": ["Họ và tên", "Họ tên", "Họ và tên công dân", "full_name"],
    "birth_date": ["Ngày sinh", "Ngày tháng năm sinh", "birth_date"],
    "sex": ["Giới tính", "sex"],
    "commune_code": [
        "Mã xã",
        "Mã xã/phường/thị trấn",
        "Mã đơn vị hành chính cấp xã",
        "commune_code",
    ],
    "commune_name": ["Xã/Phường/Thị trấn", "Xã/Phường", "Tên xã", "Xã", "commune_name"],
    "district": ["Huyện", "Quận/Huyện", "Huyện/Thị xã/Thành phố", "Tên huyện", "district"],
    "hamlet": ["Ấp/Khu phố", "Ấp", "Khu phố", "Tên ấp/khu phố", "Mã ấp/khu phố", "hamlet"],
    "household": ["Mã hộ", "Mã hộ gia đình", "Số hộ", "household_code"],
    "head_name": ["Họ tên chủ hộ", "Họ và tên chủ hộ", "Tên chủ hộ", "Chủ hộ", "head_name"],
    "address": [
        "Địa chỉ",
        "Địa chỉ thường trú",
        "Nơi thường trú",
        "Địa chỉ nơi thường trú",
        "Số nhà, đường phố",
        "address",
    ],
    "phone": ["Số điện thoại", "Điện thoại", "SĐT", "phone"],
    "status": ["Trạng thái", "Trạng thái tài khoản", "Trạng thái VNeID", "status"],
    "status_date": ["Ngày cập nhật", "Ngày cập nhật trạng thái", "status_date"],
}
REQUIRED: list[str | tuple[str, ...]] = [
    "id_number",
    "full_name",
    "birth_date",
    "sex",
    ("commune_code", "commune_name"),
]


def header(key: str) -> str:
    """The canonical header of a column key, as errors and the template show it."""
    return CITIZEN_COLUMNS[key][0]


# --- ID number -------------------------------------------------------------------------


@cache
def province_prefixes() -> frozenset[str]:
    """The real province codes as an ID number's first three digits ("082"): the 63 of
    the tree before 1/7/2025 (where everyone alive was registered at birth) and
    today's 34."""
    codes = {
        *gso.province_numbers(gso.LAST_DAY_BEFORE_REFORM),
        *gso.province_numbers(gso.REFORM_DATE),
    }
    return frozenset(f"{code:03d}" for code in codes)


def parse_id_number(text: str) -> tuple[str, bool]:
    """A 12-digit personal ID number, and whether leading zeros had to be put back.

    Every real number starts with 0 (province codes are 001-096), so a 10- or
    11-digit value is one Excel read as a number: its zeros are restored.
    """
    if not (text.isascii() and text.isdigit()):
        raise CellError("số định danh chỉ gồm 12 chữ số")
    repaired = False
    written = text
    if len(text) in (10, 11):
        text, repaired = text.zfill(12), True
    elif len(text) != 12:
        raise CellError(f"số định danh phải có 12 chữ số (có {len(text)})")
    if text[:3] not in province_prefixes():
        problem = f"mã tỉnh nơi đăng ký khai sinh “{text[:3]}” không tồn tại"
        raise CellError(short_id_problem(written, text, problem) if repaired else problem)
    return text, repaired


def short_id_problem(written: str, padded: str, why: str) -> str:
    """What to tell about a 10- or 11-digit ID whose zeros put back still give a number
    that does not fit (`why`): digits are missing, the birth year or sex is not wrong."""
    return (
        f"số định danh có {len(written)} chữ số, phải có 12 (Excel bỏ số 0 ở đầu? hãy định "
        f"dạng cột là Văn bản và ghi đủ 12 chữ số); thêm số 0 thành {padded} thì {why}"
    )


def id_birth_year(id_number: str) -> int:
    """The birth year an ID number encodes: century from G (0/1 1900s, 2/3 2000s, ...), then YY."""
    return 1900 + int(id_number[3]) // 2 * 100 + int(id_number[4:6])


def id_sex(id_number: str) -> Sex:
    """Even G is male, odd G is female."""
    return Sex.MALE if int(id_number[3]) % 2 == 0 else Sex.FEMALE


# --- dates -----------------------------------------------------------------------------

MIN_DATE = dt.date(1900, 1, 1)


# --- sex, phone --------------------------------------------------------------------------

_SEX_WORDS = {
    "nam": Sex.MALE,
    "m": Sex.MALE,
    "male": Sex.MALE,
    "trai": Sex.MALE,
    "nu": Sex.FEMALE,
    "f": Sex.FEMALE,
    "female": Sex.FEMALE,
    "gai": Sex.FEMALE,
}


@cache
def parse_sex(text: str) -> Sex:
    """Nam / Nữ, M / F, male / female (any case, with or without diacritics)."""
    sex = _SEX_WORDS.get(fold(text))
    if sex is None:
        raise CellError("giới tính phải là “Nam” hoặc “Nữ”")
    return sex


_PHONE_NOISE = re.compile(r"[\s.\-()]")
_MOBILE = re.compile(r"0[35789]\d{8}")


def parse_phone(text: str) -> str:
    """A Vietnamese mobile number as 10 digits starting with 0.

    "+84 912 345 678", "84912345678", "0912.345.678" and "912345678" (Excel
    dropped the 0) all give "0912345678".
    """
    digits = _PHONE_NOISE.sub("", text)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    elif len(digits) == 9 and digits[:1] in ("3", "5", "7", "8", "9"):
        digits = "0" + digits
    if not _MOBILE.fullmatch(digits):
        raise CellError(
            "số điện thoại di động phải có 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09"
        )
    return digits


# --- account status --------------------------------------------------------------------------

# The texts police lists use for each state, as officers write them. Matching
# folds case and diacritics and ignores punctuation, so "Đã duyệt, chờ kích
# hoạt", "da duyet - cho kich hoat" and "ĐÃ DUYỆT CHỜ KÍCH HOẠT" are one text.
STATUS_TEXTS: dict[AccountState, list[str]] = {
    AccountState.NOT_REGISTERED: [
        "Chưa đăng ký",
        "Chưa đăng ký tài khoản",
        "Chưa có tài khoản",
        "Chưa đăng ký định danh điện tử",
    ],
    AccountState.L1_PENDING: [
        "Đã đăng ký mức 1, chờ duyệt",
        "Chờ duyệt mức 1",
        "Đăng ký mức 1 chờ duyệt",
        "Đã đăng ký mức 1",
        "Mức 1 chờ duyệt",
        "Đang chờ duyệt mức 1",
    ],
    AccountState.L2_PENDING: [
        "Đã đăng ký mức 2, chờ duyệt",
        "Chờ duyệt mức 2",
        "Đăng ký mức 2 chờ duyệt",
        "Đã đăng ký mức 2",
        "Mức 2 chờ duyệt",
        "Đang chờ duyệt mức 2",
    ],
    AccountState.APPROVED: [
        "Đã duyệt, chờ kích hoạt",
        "Đã phê duyệt chưa kích hoạt",
        "Đã phê duyệt, chờ kích hoạt",
        "Đã duyệt chưa kích hoạt",
        "Đã duyệt",
        "Đã phê duyệt",
        "Chờ kích hoạt",
        "Đã gửi SMS kích hoạt",
    ],
    AccountState.ACTIVATED_L1: [
        "Đã kích hoạt mức 1",
        "Kích hoạt mức 1",
        "Đã kích hoạt tài khoản mức 1",
        "Mức 1 đã kích hoạt",
    ],
    AccountState.ACTIVATED_L2: [
        "Đã kích hoạt mức 2",
        "Kích hoạt mức 2",
        "Đã kích hoạt tài khoản mức 2",
        "Mức 2 đã kích hoạt",
    ],
}
_PUNCTUATION = re.compile(r"[^\w]+")
_ROMAN_LEVEL = re.compile(r"\bmuc (ii|i)\b")


def status_key(text: str) -> str:
    """How status texts are compared: folded, punctuation dropped, "mức II" = "mức 2"."""
    key = " ".join(_PUNCTUATION.sub(" ", fold(text)).split())
    return _ROMAN_LEVEL.sub(lambda m: "muc " + ("2" if m.group(1) == "ii" else "1"), key)


@cache
def _status_lookup() -> dict[str, AccountState]:
    lookup: dict[str, AccountState] = {}
    for state, texts in STATUS_TEXTS.items():
        labels = []
        for language in ("vi", "en"):
            with translation.override(language):
                labels.append(str(state.label))
        for text in (*texts, state.value, *labels):
            lookup[status_key(text)] = state
    return lookup


@cache
def parse_status(text: str) -> AccountState:
    """The AccountState a status text names (see STATUS_TEXTS), or the model's own value."""
    state = _status_lookup().get(status_key(text))
    if state is None:
        raise CellError(
            "trạng thái không nằm trong danh sách trạng thái được chấp nhận: "
            + "; ".join(f"“{texts[0]}”" for texts in STATUS_TEXTS.values())
        )
    return state
