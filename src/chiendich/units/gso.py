"""The GSO unit trees, read from the vietnam-provinces package's Python API.

Two trees: the one in force until 30/6/2025 (`vietnam_provinces.legacy`:
province > district > commune, 63 provinces, about 10,000 communes) and the
one since 1/7/2025 (province > commune: 34 provinces, 3,321 communes, no
district level), with the statistics office's conversion table between
them (`Ward.get_legacy_sources()`, `Province.get_legacy_sources()`). The
package's division types are right for both trees, so types come from them.
Only the Python API is read, never the bundled JSON: the two disagree on a
few names.

A unit's identity (`Division.key`) is its GSO code in the earlier tree and
its code with the tree's year in the later one ("28249" is Phường 5 of Mỹ
Tho, "28249.2025" Phường Đạo Thạnh): codes were reused, so a code alone never
names a unit; the date does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import vietnam_provinces
from vietnam_provinces import Province, ProvinceCode, VietNamDivisionType, Ward, legacy

from .models import Level, UnitType

SOURCE = (
    f"vietnam-provinces {vietnam_provinces.__version__} (GSO, {vietnam_provinces.__data_version__})"
)
# Resolution 202/2025/QH15 (provinces) and the commune resolutions of the Standing
# Committee (for Đồng Tháp 1663/NQ-UBTVQH15): the two-level tree is in force from
# 1/7/2025; the earlier tree's units ended on 30/6/2025.
REFORM_DATE = dt.date(2025, 7, 1)
LAST_DAY_BEFORE_REFORM = REFORM_DATE - dt.timedelta(days=1)
REFORM_SUFFIX = f".{REFORM_DATE.year}"

_CODE_WIDTH = {Level.PROVINCE: 2, Level.DISTRICT: 3, Level.COMMUNE: 5}

_LEGACY_TYPES = {
    legacy.VietNamDivisionType.TINH: UnitType.PROVINCE,
    legacy.VietNamDivisionType.THANH_PHO_TRUNG_UONG: UnitType.CENTRAL_CITY,
    legacy.VietNamDivisionType.HUYEN: UnitType.RURAL_DISTRICT,
    legacy.VietNamDivisionType.QUAN: UnitType.URBAN_DISTRICT,
    legacy.VietNamDivisionType.THANH_PHO: UnitType.CITY,
    legacy.VietNamDivisionType.THI_XA: UnitType.TOWN,
    legacy.VietNamDivisionType.XA: UnitType.COMMUNE,
    legacy.VietNamDivisionType.PHUONG: UnitType.WARD,
    legacy.VietNamDivisionType.THI_TRAN: UnitType.TOWNSHIP,
}
_CURRENT_TYPES = {
    VietNamDivisionType.TINH: UnitType.PROVINCE,
    VietNamDivisionType.THANH_PHO_TRUNG_UONG: UnitType.CENTRAL_CITY,
    VietNamDivisionType.XA: UnitType.COMMUNE,
    VietNamDivisionType.PHUONG: UnitType.WARD,
    VietNamDivisionType.DAC_KHU: UnitType.SPECIAL_ZONE,
}


def tree_types(reformed: bool) -> frozenset[UnitType]:
    """The territorial unit types of the tree before 1/7/2025 (False) or since (True)."""
    return frozenset((_CURRENT_TYPES if reformed else _LEGACY_TYPES).values())


class UnknownDivision(ValueError):
    """A province code the package does not know on the date asked."""


@dataclass(frozen=True)
class Division:
    """One unit of a GSO tree, ready to store."""

    key: str
    gso_code: str
    name: str
    type: UnitType
    level: Level
    parent_key: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None


def gso_code(number: int, level: Level) -> str:
    return str(number).zfill(_CODE_WIDTH[level])


def is_reformed(day: dt.date) -> bool:
    """Whether `day` falls under the two-level tree."""
    return day >= REFORM_DATE


def legacy_key(number: int, level: Level) -> str:
    return gso_code(number, level)


def current_key(number: int, level: Level) -> str:
    return gso_code(number, level) + REFORM_SUFFIX


@cache
def _legacy_wards_by_district() -> dict[int, list[legacy.Ward]]:
    out: dict[int, list[legacy.Ward]] = {}
    for ward in legacy.Ward.iter_all():
        out.setdefault(int(ward.district_code), []).append(ward)
    return out


def _legacy_province(number: int) -> Iterator[Division]:
    try:
        province = legacy.Province.from_code(legacy.codes.ProvinceCode(number))
    except ValueError:
        raise UnknownDivision(
            f"không có tỉnh/thành phố mã {number} trước {REFORM_DATE:%d/%m/%Y} trong {SOURCE}"
        ) from None
    p_key = legacy_key(number, Level.PROVINCE)
    yield Division(
        p_key,
        p_key,
        province.name,
        _LEGACY_TYPES[province.division_type],
        Level.PROVINCE,
        None,
        None,
        LAST_DAY_BEFORE_REFORM,
    )
    districts = sorted(legacy.District.iter_by_province(province.code), key=lambda d: int(d.code))
    wards = _legacy_wards_by_district()
    for district in districts:
        d_key = legacy_key(int(district.code), Level.DISTRICT)
        yield Division(
            d_key,
            d_key,
            district.name,
            _LEGACY_TYPES[district.division_type],
            Level.DISTRICT,
            p_key,
            None,
            LAST_DAY_BEFORE_REFORM,
        )
        for ward in sorted(wards.get(int(district.code), []), key=lambda w: int(w.code)):
            w_key = legacy_key(int(ward.code), Level.COMMUNE)
            yield Division(
                w_key,
                w_key,
                ward.name,
                _LEGACY_TYPES[ward.division_type],
                Level.COMMUNE,
                d_key,
                None,
                LAST_DAY_BEFORE_REFORM,
            )


def _current_province(number: int) -> Iterator[Division]:
    try:
        province = Province.from_code(ProvinceCode(number))
    except ValueError:
        successors = Province.search_from_legacy(code=number)
        hint = (
            f"; từ {REFORM_DATE:%d/%m/%Y} thuộc {successors[0].province.name} "
            f"(mã {int(successors[0].province.code)})"
            if successors
            else ""
        )
        raise UnknownDivision(
            f"không có tỉnh/thành phố mã {number} từ {REFORM_DATE:%d/%m/%Y} trong {SOURCE}{hint}"
        ) from None
    p_key = current_key(number, Level.PROVINCE)
    yield Division(
        p_key,
        gso_code(number, Level.PROVINCE),
        province.name,
        _CURRENT_TYPES[province.division_type],
        Level.PROVINCE,
        None,
        REFORM_DATE,
        None,
    )
    for ward in sorted(Ward.iter_by_province(province.code), key=lambda w: int(w.code)):
        yield Division(
            current_key(int(ward.code), Level.COMMUNE),
            gso_code(int(ward.code), Level.COMMUNE),
            ward.name,
            _CURRENT_TYPES[ward.division_type],
            Level.COMMUNE,
            p_key,
            REFORM_DATE,
            None,
        )


def province_numbers(day: dt.date) -> list[int]:
    """The codes of the provinces in force on `day`."""
    if is_reformed(day):
        return sorted(int(p.code) for p in Province.iter_all())
    return sorted(int(p.code) for p in legacy.Province.iter_all())


def legacy_sources(number: int) -> list[int]:
    """The codes of the provinces of the earlier tree that formed province `number` (today's)."""
    return sorted(
        int(p.code) for p in Province.from_code(ProvinceCode(number)).get_legacy_sources()
    )


def iter_province(number: int, day: dt.date) -> Iterator[Division]:
    """The province in force on `day` with its units below it, parents first.

    Raises UnknownDivision before yielding anything when the package does not
    know the province on that date.
    """
    divisions = _current_province(number) if is_reformed(day) else _legacy_province(number)
    first = next(divisions)  # raises for an unknown code before the caller writes
    yield first
    yield from divisions


@dataclass(frozen=True)
class Link:
    """Predecessor key → successor key, from the conversion table."""

    predecessor: str
    successor: str


def province_lineage(number: int) -> Iterator[Link]:
    """Lineage of today's province `number` and of each of its communes."""
    province = Province.from_code(ProvinceCode(number))
    p_key = current_key(number, Level.PROVINCE)
    for old in province.get_legacy_sources():
        yield Link(legacy_key(int(old.code), Level.PROVINCE), p_key)
    for ward in Ward.iter_by_province(province.code):
        w_key = current_key(int(ward.code), Level.COMMUNE)
        for old_ward in ward.get_legacy_sources():
            yield Link(legacy_key(int(old_ward.code), Level.COMMUNE), w_key)
