"""Finding a list row's commune and hamlet among the units, without a query per row.

All communes and hamlets are loaded once (both trees: about 14,000 communes and
100,000 hamlets nationwide, a few megabytes), and each distinct cell text is
resolved once: a police list repeats the same few hundred places a million times.

A code is read as of the row's date (imports.dated): 28249 on a row of 2023 is
Phường 5, on a row of 2026 Phường Đạo Thạnh. A commune name given with the code
settles which of them is meant (a 2026 list still writing "28249, Phường 5" means
Phường 5), and a name alone is read among the communes in force that day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from chiendich.core.text import fold
from chiendich.units.dated import Dated, by_code
from chiendich.units.models import Kind, Level, Unit
from chiendich.units.selectors import code_problem, describe_validity

_COMMUNE_PREFIXES = ("thi tran ", "phuong ", "xa ", "dac khu ")
_DISTRICT_PREFIXES = ("thanh pho ", "thi xa ", "huyen ", "quan ")
_HAMLET_PREFIXES = ("khu pho ", "ap ", "to dan pho ", "thon ", "kp ")
COMMUNE_WHAT = "xã/phường/thị trấn"


def _without_prefix(folded: str, prefixes: tuple[str, ...]) -> str:
    for prefix in prefixes:
        if folded.startswith(prefix):
            return folded[len(prefix) :]
    return folded


@dataclass(frozen=True, slots=True)
class Commune:
    id: int
    code: str  # as files write it (the GSO code)
    name: str
    district_id: int | None  # the parent: a district in the 2023 tree, the province after
    valid_from: dt.date | None
    valid_to: dt.date | None


class PlaceError(ValueError):
    """A place that cannot be found; `column` is the key of the cell at fault."""

    def __init__(self, column: str, problem: str) -> None:
        super().__init__(problem)
        self.column = column
        self.problem = problem


def _validity(commune: Commune) -> str:
    return describe_validity(Unit(valid_from=commune.valid_from, valid_to=commune.valid_to))


class Places:
    """The communes and hamlets a list may name, looked up by code or folded name."""

    def __init__(self) -> None:
        territorial = Unit.objects.filter(kind=Kind.TERRITORIAL)
        self._by_code: dict[str, list[Commune]] = defaultdict(list)
        self._by_identity: dict[str, Commune] = {}
        self._commune_names: dict[str, list[Commune]] = defaultdict(list)
        for pk, code, gso_code, name, parent_id, valid_from, valid_to in territorial.filter(
            level=Level.COMMUNE
        ).values_list("pk", "code", "gso_code", "name", "parent_id", "valid_from", "valid_to"):
            commune = Commune(pk, gso_code or code, name, parent_id, valid_from, valid_to)
            self._by_code[commune.code].append(commune)
            self._by_identity[code] = commune
            folded = fold(name)
            self._commune_names[folded].append(commune)
            bare = _without_prefix(folded, _COMMUNE_PREFIXES)
            if bare != folded:
                self._commune_names[bare].append(commune)
        self._district_names: dict[str, set[int]] = defaultdict(set)
        for pk, name in territorial.filter(level=Level.DISTRICT).values_list("pk", "name"):
            folded = fold(name)
            self._district_names[folded].add(pk)
            self._district_names[_without_prefix(folded, _DISTRICT_PREFIXES)].add(pk)
        # A hamlet's code as written and its identity (they differ in later trees).
        self._hamlet_codes: dict[str, list[tuple[int, int | None, str]]] = defaultdict(list)
        self._hamlet_names: dict[tuple[int, str], list[int]] = defaultdict(list)
        for pk, code, gso_code, name, parent_id in territorial.filter(
            level=Level.HAMLET
        ).values_list("pk", "code", "gso_code", "name", "parent_id"):
            hamlet = (pk, parent_id, name)
            self._hamlet_codes[code].append(hamlet)
            if gso_code and gso_code != code:
                self._hamlet_codes[gso_code].append(hamlet)
            if parent_id is None:
                continue
            folded = fold(name)
            self._hamlet_names[(parent_id, folded)].append(pk)
            bare = _without_prefix(folded, _HAMLET_PREFIXES)
            if bare != folded:
                self._hamlet_names[(parent_id, bare)].append(pk)
        # (code, name, district) -> what it names by day, and the code for problems
        self._commune_cache: dict[tuple[str, str, str], tuple[Dated[Any], str]] = {}
        self._commune_errors: dict[tuple[str, str, str], PlaceError] = {}
        self._problems: dict[tuple[str, dt.date], PlaceError] = {}
        self._hamlet_cache: dict[tuple[int, str], int | PlaceError] = {}

    def commune(self, code: str, name: str, district: str, day: dt.date) -> Commune:
        """The commune a row names by code (preferred) or by name, as of `day` (the row's
        date); the district settles names several districts share ("Phường 1")."""
        key = (code, name, district)
        cached = self._commune_cache.get(key)
        if cached is None:
            error = self._commune_errors.get(key)
            if error is not None:
                raise error
            try:
                cached = self._commune_cache[key] = self._find_commune(code, name, district)
            except PlaceError as exc:
                self._commune_errors[key] = exc
                raise
        found = cached[0].at(day)
        if isinstance(found, Commune):
            return found
        raise found or self._on_day(cached[1], day)

    def _on_day(self, code: str, day: dt.date) -> PlaceError:
        """A code that names no commune on `day` (only later ones): code_problem's words."""
        key = (code, day)
        found = self._problems.get(key)
        if found is None:
            found = self._problems[key] = PlaceError(
                "commune_code", code_problem(code, day, what=COMMUNE_WHAT, level=Level.COMMUNE)
            )
        return found

    def _find_commune(self, code: str, name: str, district: str) -> tuple[Dated[Any], str]:
        """What the cells name on each day: a Commune, a PlaceError, or None for a code
        that names no commune that day (its problem is worked out when a row meets it)."""
        if code:
            if code.isascii() and code.isdigit() and len(code) < 5:
                code = code.zfill(5)  # Excel read "00004" as the number 4
            written = self._by_code.get(code, [])
            identity = self._by_identity.get(code)
            if not written and identity is None:
                raise PlaceError("commune_code", f"không có {COMMUNE_WHAT} mã này")
            if name:
                folded = fold(name)
                named = [c for c in written if self._named(c, folded)]
                if identity is not None and not self._named(identity, folded):
                    identity = None
                if not named and identity is None:
                    everyone = written or [self._by_identity[code]]
                    raise PlaceError("commune_name", self._name_mismatch(code, everyone))
                written = named
            return by_code(written, identity), code
        if not name:
            raise PlaceError("commune_code", f"thiếu mã xã (hoặc tên {COMMUNE_WHAT})")
        candidates = self._commune_names.get(fold(name), [])
        if not candidates:
            raise PlaceError("commune_name", f"không có {COMMUNE_WHAT} tên này")
        if len(candidates) > 1 and district:
            districts = self._district_names.get(fold(district), set())
            if not districts:
                raise PlaceError("district", "không có huyện/thị xã/thành phố tên này")
            candidates = [c for c in candidates if c.district_id in districts]
            if not candidates:
                raise PlaceError("commune_name", f"không có {COMMUNE_WHAT} tên này ở {district}")
        return Dated(candidates, lambda day: self._by_name(candidates, day)), ""

    @staticmethod
    def _named(commune: Commune, folded: str) -> bool:
        own = fold(commune.name)
        return folded in (own, _without_prefix(own, _COMMUNE_PREFIXES))

    @staticmethod
    def _name_mismatch(code: str, written: list[Commune]) -> str:
        if len(written) == 1:
            return f"tên xã không khớp với mã xã {code} ({written[0].name})"
        names = "; ".join(f"{c.name}, {_validity(c)}" for c in written)
        return f"tên xã không khớp với mã xã {code} ({names})"

    @staticmethod
    def _by_name(candidates: list[Commune], day: dt.date) -> Commune | PlaceError:
        """The one commune of that name in force on `day`, else the last one before it."""
        found = [
            c
            for c in candidates
            if (c.valid_from is None or c.valid_from <= day)
            and (c.valid_to is None or day <= c.valid_to)
        ]
        if not found:
            ended = [c for c in candidates if c.valid_to is not None and c.valid_to < day]
            last = max((c.valid_to for c in ended if c.valid_to), default=None)
            found = [c for c in ended if c.valid_to == last]
        if not found:
            names = "; ".join(f"{c.name}, {_validity(c)}" for c in candidates)
            return PlaceError(
                "commune_name",
                f"không có {COMMUNE_WHAT} tên này vào ngày {day:%d/%m/%Y} ({names})",
            )
        if len(found) > 1:
            return PlaceError(
                "commune_name",
                f"có {len(found)} {COMMUNE_WHAT} tên này "
                f"(mã {', '.join(c.code for c in found)}); hãy ghi cột “Mã xã” "
                "hoặc thêm cột “Huyện”",
            )
        return found[0]

    def hamlet(self, commune: Commune, text: str) -> int:
        """The id of the hamlet of `commune` that `text` names by code or name."""
        key = (commune.id, text)
        found = self._hamlet_cache.get(key)
        if found is None:
            try:
                found = self._find_hamlet(commune, text)
            except PlaceError as exc:
                found = exc
            self._hamlet_cache[key] = found
        if isinstance(found, PlaceError):
            raise found
        return found

    def _find_hamlet(self, commune: Commune, text: str) -> int:
        by_code = self._hamlet_codes.get(text)
        if by_code:
            for pk, parent_id, _name in by_code:
                if parent_id == commune.id:
                    return pk
            raise PlaceError("hamlet", f"ấp/khu phố “{by_code[0][2]}” không thuộc {commune.name}")
        candidates = self._hamlet_names.get((commune.id, fold(text)))
        if not candidates:
            raise PlaceError("hamlet", f"không có ấp/khu phố này trong {commune.name}")
        if len(candidates) > 1:
            raise PlaceError(
                "hamlet",
                f"có {len(candidates)} ấp/khu phố tên này trong {commune.name}; hãy ghi mã ấp",
            )
        return candidates[0]
