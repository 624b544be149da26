"""Reading a province's units from the vietnam-provinces package (GSO codes).

The package's `division_type` is unreliable (every ward is "xã", every
district "huyện" in 0.6.0), so the type comes from the name's prefix.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import vietnam_provinces

from .models import Level, UnitType

SOURCE = (
    f"vietnam-provinces {vietnam_provinces.__version__} (GSO, {vietnam_provinces.__data_version__})"
)

# Longest prefix first, so "Thành phố" is not read as something shorter.
_PREFIXES: dict[Level, list[tuple[str, UnitType]]] = {
    Level.PROVINCE: [("Thành phố", UnitType.CENTRAL_CITY), ("Tỉnh", UnitType.PROVINCE)],
    Level.DISTRICT: [
        ("Thành phố", UnitType.CITY),
        ("Thị xã", UnitType.TOWN),
        ("Huyện", UnitType.RURAL_DISTRICT),
        ("Quận", UnitType.URBAN_DISTRICT),
    ],
    Level.COMMUNE: [
        ("Thị trấn", UnitType.TOWNSHIP),
        ("Phường", UnitType.WARD),
        ("Xã", UnitType.COMMUNE),
    ],
}
_CODE_WIDTH = {Level.PROVINCE: 2, Level.DISTRICT: 3, Level.COMMUNE: 5}


class UnknownDivision(ValueError):
    """A province code the package does not know, or a name with no known prefix."""


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    type: UnitType
    level: Level
    parent_code: str | None


def type_from_name(name: str, level: Level) -> UnitType:
    """The unit type a GSO name's prefix says ("Thị trấn Chợ Gạo" -> township)."""
    for prefix, unit_type in _PREFIXES[level]:
        if name.startswith(prefix + " "):
            return unit_type
    raise UnknownDivision(f"không nhận ra loại đơn vị từ tên “{name}” ({level.label})")


def gso_code(number: int, level: Level) -> str:
    return str(number).zfill(_CODE_WIDTH[level])


@cache
def _nested() -> list[dict[str, Any]]:
    with open(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH, encoding="utf-8") as f:
        data: list[dict[str, Any]] = json.load(f)
    return data


def province_codes() -> list[int]:
    return [p["code"] for p in _nested()]


def iter_province(province_code: int) -> Iterator[Division]:
    """The province, then each district followed by its communes, parents first."""
    province = next((p for p in _nested() if p["code"] == province_code), None)
    if province is None:
        raise UnknownDivision(f"không có tỉnh/thành phố mã {province_code} trong {SOURCE}")
    p_code = gso_code(province["code"], Level.PROVINCE)
    yield Division(
        p_code,
        province["name"],
        type_from_name(province["name"], Level.PROVINCE),
        Level.PROVINCE,
        None,
    )
    for district in province["districts"]:
        d_code = gso_code(district["code"], Level.DISTRICT)
        yield Division(
            d_code,
            district["name"],
            type_from_name(district["name"], Level.DISTRICT),
            Level.DISTRICT,
            p_code,
        )
        for ward in district["wards"]:
            yield Division(
                gso_code(ward["code"], Level.COMMUNE),
                ward["name"],
                type_from_name(ward["name"], Level.COMMUNE),
                Level.COMMUNE,
                d_code,
            )
