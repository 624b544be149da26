"""Finding a list row's commune and hamlet among the units, without a query per row.

All communes and hamlets are loaded once (about 10,600 communes and 100,000
hamlets nationwide, a few megabytes), and each distinct cell text is resolved
once: a police list repeats the same few hundred places a million times.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from chiendich.core.text import fold
from chiendich.units.models import Kind, Level, Unit

_COMMUNE_PREFIXES = ("thi tran ", "phuong ", "xa ")
_DISTRICT_PREFIXES = ("thanh pho ", "thi xa ", "huyen ", "quan ")
_HAMLET_PREFIXES = ("khu pho ", "ap ", "to dan pho ", "thon ", "kp ")


def _without_prefix(folded: str, prefixes: tuple[str, ...]) -> str:
    for prefix in prefixes:
        if folded.startswith(prefix):
            return folded[len(prefix) :]
    return folded


@dataclass(frozen=True, slots=True)
class Commune:
    id: int
    code: str
    name: str
    district_id: int | None


class PlaceError(ValueError):
    """A place that cannot be found; `column` is the key of the cell at fault."""

    def __init__(self, column: str, problem: str) -> None:
        super().__init__(problem)
        self.column = column
        self.problem = problem


class Places:
    """The communes and hamlets a list may name, looked up by code or folded name."""

    def __init__(self) -> None:
        territorial = Unit.objects.filter(kind=Kind.TERRITORIAL)
        self.communes: dict[str, Commune] = {}
        self._commune_names: dict[str, list[Commune]] = defaultdict(list)
        for pk, code, name, parent_id in territorial.filter(level=Level.COMMUNE).values_list(
            "pk", "code", "name", "parent_id"
        ):
            commune = Commune(pk, code, name, parent_id)
            self.communes[code] = commune
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
        self._hamlet_codes: dict[str, tuple[int, int | None, str]] = {}
        self._hamlet_names: dict[tuple[int, str], list[int]] = defaultdict(list)
        for pk, code, name, parent_id in territorial.filter(level=Level.HAMLET).values_list(
            "pk", "code", "name", "parent_id"
        ):
            self._hamlet_codes[code] = (pk, parent_id, name)
            if parent_id is None:
                continue
            folded = fold(name)
            self._hamlet_names[(parent_id, folded)].append(pk)
            bare = _without_prefix(folded, _HAMLET_PREFIXES)
            if bare != folded:
                self._hamlet_names[(parent_id, bare)].append(pk)
        self._commune_cache: dict[tuple[str, str, str], Commune | PlaceError] = {}
        self._hamlet_cache: dict[tuple[int, str], int | PlaceError] = {}

    def commune(self, code: str, name: str, district: str) -> Commune:
        """The commune a row names by code (preferred) or by name, the district
        settling names several districts share ("Phường 1")."""
        key = (code, name, district)
        found = self._commune_cache.get(key)
        if found is None:
            try:
                found = self._find_commune(code, name, district)
            except PlaceError as exc:
                found = exc
            self._commune_cache[key] = found
        if isinstance(found, PlaceError):
            raise found
        return found

    def _find_commune(self, code: str, name: str, district: str) -> Commune:
        if code:
            if code.isascii() and code.isdigit() and len(code) < 5:
                code = code.zfill(5)  # Excel read "00004" as the number 4
            commune = self.communes.get(code)
            if commune is None:
                raise PlaceError("commune_code", "không có xã/phường/thị trấn mã này")
            folded = fold(name)
            if name and folded not in (
                fold(commune.name),
                _without_prefix(fold(commune.name), _COMMUNE_PREFIXES),
            ):
                raise PlaceError(
                    "commune_name", f"tên xã không khớp với mã xã {commune.code} ({commune.name})"
                )
            return commune
        if not name:
            raise PlaceError("commune_code", "thiếu mã xã (hoặc tên xã/phường/thị trấn)")
        candidates = self._commune_names.get(fold(name), [])
        if not candidates:
            raise PlaceError("commune_name", "không có xã/phường/thị trấn tên này")
        if len(candidates) > 1 and district:
            folded = fold(district)
            districts = self._district_names.get(folded, set())
            if not districts:
                raise PlaceError("district", "không có huyện/thị xã/thành phố tên này")
            candidates = [c for c in candidates if c.district_id in districts]
            if not candidates:
                raise PlaceError(
                    "commune_name", f"không có xã/phường/thị trấn tên này ở {district}"
                )
        if len(candidates) > 1:
            raise PlaceError(
                "commune_name",
                f"có {len(candidates)} xã/phường/thị trấn tên này "
                f"(mã {', '.join(c.code for c in candidates)}); hãy ghi cột “Mã xã” "
                "hoặc thêm cột “Huyện”",
            )
        return candidates[0]

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
        if by_code is not None:
            pk, parent_id, name = by_code
            if parent_id != commune.id:
                raise PlaceError("hamlet", f"ấp/khu phố “{name}” không thuộc {commune.name}")
            return pk
        candidates = self._hamlet_names.get((commune.id, fold(text)))
        if not candidates:
            raise PlaceError("hamlet", f"không có ấp/khu phố này trong {commune.name}")
        if len(candidates) > 1:
            raise PlaceError(
                "hamlet",
                f"có {len(candidates)} ấp/khu phố tên này trong {commune.name}; hãy ghi mã ấp",
            )
        return candidates[0]
