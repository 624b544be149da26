"""The columns of an agency's staff list and how each cell is read.

ID numbers are read exactly as in the police lists (vneid's parse_id_number,
leading zeros put back), so a number matches the citizen record it names.
"""

from __future__ import annotations

import re
from functools import cache

from chiendich.core.cells import CellError
from chiendich.core.text import fold

from .models import StaffCategory

# Canonical header first: it names the column in errors and in the template.
STAFF_COLUMNS: dict[str, list[str]] = {
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
    "full_name": ["Họ và tên", "Họ tên", "full_name"],
    "position": ["Chức vụ", "Chức vụ, chức danh", "Chức danh", "Vị trí công tác", "position"],
    "category": ["Đối tượng", "Loại đối tượng", "Nhóm đối tượng", "category"],
    "agency_code": ["Mã cơ quan", "Mã đơn vị", "Mã cơ quan, đơn vị", "agency_code"],
}
REQUIRED: list[str | tuple[str, ...]] = ["id_number", "full_name", "category", "agency_code"]


def header(key: str) -> str:
    """The canonical header of a column key, as errors and the template show it."""
    return STAFF_COLUMNS[key][0]


# The texts agencies write for each category; the first is how we print it.
CATEGORY_TEXTS: dict[StaffCategory, list[str]] = {
    StaffCategory.CAN_BO: ["Cán bộ", "CB"],
    StaffCategory.CONG_CHUC: ["Công chức", "CC"],
    StaffCategory.VIEN_CHUC: ["Viên chức", "VC"],
    StaffCategory.ARMED_FORCES: [
        "Lực lượng vũ trang",
        "LLVT",
        "Lực lượng vũ trang nhân dân",
        "Quân đội",
        "Công an",
    ],
    StaffCategory.PARTY_MEMBER: ["Đảng viên", "ĐV"],
    StaffCategory.TEACHER: ["Giáo viên", "GV", "Nhà giáo"],
    StaffCategory.WORKER: ["Công nhân", "CN", "Người lao động"],
}
_PUNCTUATION = re.compile(r"[^\w]+")


def category_name(category: StaffCategory | str) -> str:
    """The Vietnamese name of a category, as lists and reports print it."""
    return CATEGORY_TEXTS[StaffCategory(category)][0]


def _key(text: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", fold(text)).split())


@cache
def _category_lookup() -> dict[str, StaffCategory]:
    lookup: dict[str, StaffCategory] = {}
    for category, texts in CATEGORY_TEXTS.items():
        for text in (*texts, category.value):
            lookup[_key(text)] = category
    return lookup


@cache
def parse_category(text: str) -> StaffCategory:
    """The category a cell names, folded: "Giáo viên", "GIAO VIEN", "giáo viên." are one."""
    category = _category_lookup().get(_key(text))
    if category is None:
        raise CellError(
            "đối tượng phải là một trong: "
            + ", ".join(texts[0].lower() for texts in CATEGORY_TEXTS.values())
        )
    return category
