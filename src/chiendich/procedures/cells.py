"""The columns of the procedure catalogue and of a one-stop dossier export, and how
each cell is read.

Every parser takes the cleaned cell text (core.tabular.cell_text) and returns a
value or raises CellError with the problem in Vietnamese. Parsers of cells with
few distinct values (dates without their time, channels, statuses, flags) are
cached: an export of a million dossiers holds a few hundred distinct days.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

from chiendich.core.cells import CellError
from chiendich.core.text import fold
from chiendich.units.models import Level

from .models import Channel, DossierStatus, OnlineLevel, Payment

# Canonical header first: it names the column in errors and in the template.
CATALOGUE_COLUMNS: dict[str, list[str]] = {
    "code": ["Mã TTHC", "Mã thủ tục", "Mã thủ tục hành chính", "code"],
    "name": ["Tên thủ tục", "Tên TTHC", "Tên thủ tục hành chính", "name"],
    "sector": ["Lĩnh vực", "sector"],
    "levels": ["Cấp thực hiện", "Cấp", "levels"],
    "fee_bearing": ["Có phí, lệ phí", "Phí, lệ phí", "Có thu phí, lệ phí", "fee_bearing"],
    "paper_result": ["Có kết quả giấy", "Kết quả giấy", "paper_result"],
    "online_level": [
        "Mức độ DVC trực tuyến",
        "Mức độ dịch vụ công trực tuyến",
        "Dịch vụ công trực tuyến",
        "online_level",
    ],
    "essential_06": [
        "DVC thiết yếu Đề án 06",
        "Dịch vụ công thiết yếu Đề án 06",
        "Thiết yếu Đề án 06",
        "essential_06",
    ],
    "police_service": ["Thuộc ngành Công an", "Ngành Công an", "police_service"],
    "uncertain": ["Cần xác minh", "Chưa chắc chắn", "uncertain"],
    "note": ["Ghi chú", "note"],
}
CATALOGUE_REQUIRED: list[str | tuple[str, ...]] = [
    "code",
    "name",
    "levels",
    "fee_bearing",
    "paper_result",
    "online_level",
    "essential_06",
    "police_service",
]

DOSSIER_COLUMNS: dict[str, list[str]] = {
    "code": ["Mã hồ sơ", "Số hồ sơ", "code"],
    "procedure": ["Mã TTHC", "Mã thủ tục", "Mã thủ tục hành chính", "procedure"],
    "unit": ["Mã đơn vị", "Mã đơn vị tiếp nhận", "Mã cơ quan tiếp nhận", "unit"],
    "channel": ["Kênh", "Kênh nộp", "Kênh tiếp nhận", "Hình thức nộp", "channel"],
    "received_on": ["Ngày tiếp nhận", "Ngày nhận hồ sơ", "received_on"],
    "due_on": ["Ngày hẹn trả", "Ngày hẹn trả kết quả", "due_on"],
    "finished_on": ["Ngày kết thúc", "Ngày hoàn thành", "Ngày trả kết quả", "finished_on"],
    "status": ["Trạng thái", "Tình trạng hồ sơ", "status"],
    "digitized": ["Có thành phần số hóa", "Số hóa thành phần hồ sơ", "digitized"],
    "e_result": ["Có kết quả điện tử", "Kết quả điện tử", "e_result"],
    "fee": ["Phí, lệ phí", "Phí lệ phí", "Số tiền phí, lệ phí", "fee"],
    "payment": ["Thanh toán trực tuyến", "payment"],
    "reused": ["Tái sử dụng dữ liệu", "Tái sử dụng dữ liệu số hóa", "reused"],
}
# Every column is required: a missing "Có thành phần số hóa" column would silently
# read as 0 and sink the digitization rate. Cells may still be empty where allowed.
DOSSIER_REQUIRED: list[str | tuple[str, ...]] = list(DOSSIER_COLUMNS)


def catalogue_header(key: str) -> str:
    return CATALOGUE_COLUMNS[key][0]


def dossier_header(key: str) -> str:
    return DOSSIER_COLUMNS[key][0]


# --- yes / no -----------------------------------------------------------------------------

_YES = {"1", "co", "x", "yes", "true", "dung"}
_NO = {"", "0", "khong", "no", "false", "sai"}


@cache
def parse_flag(text: str) -> bool:
    """1 / 0, Có / Không, x / empty (empty is no)."""
    key = fold(text)
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise CellError("phải là 1 (có) hoặc 0 (không)")


# --- levels and online service level ------------------------------------------------------

_LEVEL_WORDS = {
    "tinh": Level.PROVINCE.value,
    "province": Level.PROVINCE.value,
    "huyen": Level.DISTRICT.value,
    "district": Level.DISTRICT.value,
    "xa": Level.COMMUNE.value,
    "commune": Level.COMMUNE.value,
}
_SEPARATORS = re.compile(r"[;,/|+]")


def parse_levels(text: str) -> list[str]:
    """ "Tỉnh; Huyện; Xã", "Cấp tỉnh, cấp huyện" -> ["province", "district"], in tree order."""
    found = set()
    for part in _SEPARATORS.split(fold(text)):
        word = part.strip().removeprefix("cap ").strip()
        if not word:
            continue
        level = _LEVEL_WORDS.get(word)
        if level is None:
            raise CellError(f"cấp “{part.strip()}” không hợp lệ; dùng Tỉnh, Huyện, Xã")
        found.add(level)
    if not found:
        raise CellError("thiếu cấp thực hiện (Tỉnh, Huyện, Xã)")
    order = [Level.PROVINCE.value, Level.DISTRICT.value, Level.COMMUNE.value]
    return [level for level in order if level in found]


_ONLINE_WORDS = {
    "toan trinh": OnlineLevel.FULL,
    "truc tuyen toan trinh": OnlineLevel.FULL,
    "muc 4": OnlineLevel.FULL,
    "full": OnlineLevel.FULL,
    "mot phan": OnlineLevel.PARTIAL,
    "truc tuyen mot phan": OnlineLevel.PARTIAL,
    "muc 3": OnlineLevel.PARTIAL,
    "partial": OnlineLevel.PARTIAL,
    "khong": OnlineLevel.NONE,
    "": OnlineLevel.NONE,
    "none": OnlineLevel.NONE,
    "dich vu cong truc tuyen co ban": OnlineLevel.NONE,
}


def parse_online_level(text: str) -> OnlineLevel:
    level = _ONLINE_WORDS.get(fold(text).replace("_", " "))
    if level is None:
        raise CellError(
            "mức độ dịch vụ công trực tuyến phải là “Toàn trình”, “Một phần” hoặc “Không”"
        )
    return level


# --- dossier cells --------------------------------------------------------------------------

MIN_DATE = dt.date(2000, 1, 1)  # one-stop systems started long after; earlier is a typo


_CHANNEL_WORDS = {
    "1": Channel.IN_PERSON,
    "truc tiep": Channel.IN_PERSON,
    "nop truc tiep": Channel.IN_PERSON,
    "2": Channel.ONLINE,
    "truc tuyen": Channel.ONLINE,
    "nop truc tuyen": Channel.ONLINE,
    "3": Channel.POSTAL,
    "buu chinh": Channel.POSTAL,
    "buu chinh cong ich": Channel.POSTAL,
    "qua buu chinh": Channel.POSTAL,
}


@cache
def parse_channel(text: str) -> int:
    """1 trực tiếp, 2 trực tuyến, 3 bưu chính (the number or the word)."""
    channel = _CHANNEL_WORDS.get(fold(text))
    if channel is None:
        raise CellError("kênh phải là 1 (trực tiếp), 2 (trực tuyến) hoặc 3 (bưu chính)")
    return int(channel)


_PAYMENT_WORDS = {
    "": Payment.NONE,
    "0": Payment.NONE,
    "khong": Payment.NONE,
    "1": Payment.NATIONAL_PORTAL,
    "cong dvc quoc gia": Payment.NATIONAL_PORTAL,
    "cong dich vu cong quoc gia": Payment.NATIONAL_PORTAL,
    "2": Payment.PROVINCIAL_GATEWAY,
    "cong thanh toan cua tinh": Payment.PROVINCIAL_GATEWAY,
    "cong dvc tinh": Payment.PROVINCIAL_GATEWAY,
}


@cache
def parse_payment(text: str) -> int:
    """0 not online, 1 on the national portal, 2 on the provincial gateway."""
    payment = _PAYMENT_WORDS.get(fold(text))
    if payment is None:
        raise CellError(
            "phải là 0 (không), 1 (Cổng Dịch vụ công quốc gia) hoặc 2 (cổng thanh toán của tỉnh)"
        )
    return int(payment)


_MONEY_NOISE = re.compile(r"[\s.,]|(vnd|vnđ|dong|đồng|đ)$", re.IGNORECASE)


@cache
def parse_fee(text: str) -> int:
    """A whole number of VND: "50000", "50.000", "50,000", "50 000 đ"; empty is 0."""
    if not text:
        return 0
    head = text
    if re.fullmatch(r"\d+\.0+", head):  # an XLSX number read as float text
        head = head.split(".", 1)[0]
    digits = _MONEY_NOISE.sub("", head.lower())
    if not (digits.isascii() and digits.isdigit()):
        if digits.startswith("-"):
            raise CellError("phí, lệ phí không được âm")
        raise CellError("phí, lệ phí phải là số tiền (đồng), ví dụ 50000 hoặc 50.000")
    value = int(digits)
    if value > 10**12:
        raise CellError("phí, lệ phí lớn bất thường (trên 1.000 tỷ đồng)")
    return value


# Status texts of one-stop systems, as officers and exports write them.
STATUS_TEXTS: dict[DossierStatus, list[str]] = {
    DossierStatus.PROCESSING: [
        "Đang xử lý",
        "Đang giải quyết",
        "Đã tiếp nhận",
        "Mới tiếp nhận",
        "Chờ xử lý",
        "Chờ phê duyệt",
        "Đang thẩm định",
    ],
    DossierStatus.SUPPLEMENT: [
        "Chờ bổ sung",
        "Yêu cầu bổ sung",
        "Bổ sung hồ sơ",
        "Tạm dừng",
    ],
    DossierStatus.RESOLVED: [
        "Đã giải quyết",
        "Đã trả kết quả",
        "Hoàn thành",
        "Đã hoàn thành",
        "Đã có kết quả",
        "Đã xử lý xong",
    ],
    DossierStatus.REJECTED: [
        "Từ chối",
        "Đã từ chối",
        "Không giải quyết",
        "Trả lại",
        "Trả lại hồ sơ",
        "Không đủ điều kiện giải quyết",
    ],
    DossierStatus.WITHDRAWN: [
        "Rút hồ sơ",
        "Đã rút",
        "Công dân rút hồ sơ",
        "Hủy",
        "Đã hủy",
    ],
}
_PUNCTUATION = re.compile(r"[^\w]+")


def status_key(text: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", fold(text)).split())


@cache
def _status_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for status, texts in STATUS_TEXTS.items():
        for text in (*texts, status.value):
            lookup[status_key(text)] = status.value
    return lookup


@cache
def parse_status(text: str) -> str:
    status = _status_lookup().get(status_key(text))
    if status is None:
        raise CellError(
            "trạng thái không nằm trong danh sách: đang xử lý, chờ bổ sung, đã giải quyết, "
            "từ chối, rút hồ sơ"
        )
    return status
