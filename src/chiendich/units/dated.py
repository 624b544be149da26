"""Codes in files read as of each record's date, and units mapped to a campaign's tree.

Police lists, one-stop exports and staff lists will carry old commune codes for
years, and since 1/7/2025 the same code may name two places (28249 was Phường 5
and is Phường Đạo Thạnh). So every import reads a row's code as of the row's own
date (`Dated`: the rule of units.selectors.unit_at, worked out in memory once per
distinct code), and, when it imports into a campaign on a later tree, maps the
unit it read through lineage to the unit in force on that tree's day (`TreeMap`,
units.selectors.unit_in_tree once per distinct unit). The three importers
(vneid.importing, procedures.importing, staff.importing) share this module; it
reads only the unit tree.

The rule for a code on a day, in order:

1. the unit with that code in force on the day (the latest to start, if several);
2. the unit whose identity is the code ("28249.2025"), whatever the day;
3. the last unit of an earlier tree that had the code: a file written after the
   reform may still carry a code no unit has any more (28282, Xã Đạo Thạnh);
4. otherwise the code names no unit on that day (only units that started later,
   or none at all): units.selectors.code_problem says which.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from chiendich.core.numbers import vn_number

from .gso import REFORM_DATE
from .models import Level, Unit
from .selectors import unit_in_tree

ONE_DAY = dt.timedelta(days=1)
# What a row of a commune split across several new ones must give (a police list).
SPLIT_HINT = "cần ghi ấp/khu phố (đã được gán cho một xã mới) để biết dòng này thuộc xã nào"


class HasValidity(Protocol):
    @property
    def valid_from(self) -> dt.date | None: ...

    @property
    def valid_to(self) -> dt.date | None: ...


def _in_force(unit: HasValidity, day: dt.date) -> bool:
    return (unit.valid_from is None or unit.valid_from <= day) and (
        unit.valid_to is None or day <= unit.valid_to
    )


def pick[U: HasValidity](units: Sequence[U], identity: U | None, day: dt.date) -> U | None:
    """The unit a code names on `day` (see the module docstring): `units` are those
    whose written code it is, `identity` the one whose identity it is."""
    best: U | None = None
    for unit in units:
        if _in_force(unit, day) and (
            best is None or (unit.valid_from or dt.date.min) > (best.valid_from or dt.date.min)
        ):
            best = unit
    if best is not None:
        return best
    if identity is not None:
        return identity
    for unit in units:
        if (
            unit.valid_to is not None
            and unit.valid_to < day
            and (best is None or unit.valid_to > (best.valid_to or dt.date.min))
        ):
            best = unit
    return best


class Dated[A]:
    """What a code (or a name) names on a given day, worked out once per stretch of days.

    The answer changes only where one of the `units` it may name starts or ends, so
    `choose` is asked once for each stretch between those days and a row costs one
    bisect (none at all when every stretch has the same answer, the common case of a
    code that has named one unit only).
    """

    __slots__ = ("answers", "bounds")

    def __init__(self, units: Sequence[HasValidity], choose: Callable[[dt.date], A]) -> None:
        days: set[dt.date] = set()
        for unit in units:
            if unit.valid_from is not None:
                days.add(unit.valid_from)
            if unit.valid_to is not None and unit.valid_to < dt.date.max:
                days.add(unit.valid_to + ONE_DAY)
        bounds = sorted(days)
        samples = [bounds[0] - ONE_DAY, *bounds] if bounds else [dt.date(2000, 1, 1)]
        answers = [choose(day) for day in samples]
        if all(a is answers[0] for a in answers):
            self.bounds: list[dt.date] = []
            self.answers: list[A] = answers[:1]
        else:
            self.bounds, self.answers = bounds, answers

    def at(self, day: dt.date) -> A:
        if not self.bounds:
            return self.answers[0]
        return self.answers[bisect_right(self.bounds, day)]


def by_code[U: HasValidity](units: Sequence[U], identity: U | None = None) -> Dated[U | None]:
    """The unit a code names on each day (None: none then, step 4 of the rule); `units`
    are those whose written code it is, `identity` the one whose identity it is."""
    everyone: list[HasValidity] = [*units, *([identity] if identity is not None else [])]
    return Dated(everyone, lambda day: pick(units, identity, day))


def unit_label(unit: Unit) -> str:
    """How messages and summaries name a unit: its written code, then its name."""
    return f"{unit.gso_code or unit.code} {unit.name}"


def _named(unit: Unit) -> str:
    return f"{unit.name} (mã {unit.gso_code or unit.code})"


class MapProblem(ValueError):
    """A unit that cannot be put in the target tree; `hamlet` when the row's hamlet
    (missing, or not assigned to a new commune) is what would settle it."""

    def __init__(self, problem: str, *, hamlet: bool = False) -> None:
        super().__init__(problem)
        self.problem = problem
        self.hamlet = hamlet


@dataclass(frozen=True)
class MappedRows:
    """Rows read as one unit and imported as another of the target tree."""

    source: str  # "28252 Phường 4"
    target: str  # "28249 Phường Đạo Thạnh"
    rows: int

    def line(self) -> str:
        return f"{self.source} → {self.target}: {vn_number(self.rows)} dòng"

    def as_dict(self) -> dict[str, Any]:
        return {"from": self.source, "to": self.target, "rows": self.rows}


class TreeMap:
    """Where units read from a file land in the tree in force on `tree`.

    Each distinct unit is worked out once through units.selectors.unit_in_tree (a
    province's list names a few hundred places, a national one ten thousand); a
    commune split across several new ones is worked out once per hamlet, since
    only an officer's assignment of the hamlet settles it. `count` tallies the rows
    actually imported for each (read, landed) pair, for the summary.
    """

    def __init__(self, tree: dt.date, *, split_hint: str = SPLIT_HINT) -> None:
        self.tree = tree
        self.split_hint = split_hint  # what a row of a split commune must give instead
        self._units: dict[int, Unit] = {}
        self._landed: dict[int, int | MapProblem | list[Unit]] = {}
        self._by_hamlet: dict[tuple[int, int], int | MapProblem] = {}
        self.counted: Counter[tuple[int, int]] = Counter()

    def unit(self, pk: int) -> Unit:
        """The unit `pk`, loaded once."""
        unit = self._units.get(pk)
        if unit is None:
            unit = self._units[pk] = Unit.objects.get(pk=pk)
        return unit

    def land(self, unit_id: int, hamlet_id: int | None = None) -> int:
        """The id of the unit in force on the tree's day that `unit_id` is or became
        (itself when it is in force then). Raises MapProblem when lineage cannot tell:
        a split commune without an assigned hamlet, a district after the reform, a
        unit with no successor, a tree older than the unit."""
        found = self._landed.get(unit_id)
        if found is None:
            found = self._landed[unit_id] = self._work(unit_id)
        if isinstance(found, int):
            return found
        if isinstance(found, MapProblem):
            raise found
        return self._split(unit_id, hamlet_id, found)

    def _work(self, unit_id: int) -> int | MapProblem | list[Unit]:
        unit = self.unit(unit_id)
        if unit.is_valid_on(self.tree):
            return unit_id
        day = f"{self.tree:%d/%m/%Y}"
        if unit.valid_from is not None and unit.valid_from > self.tree:
            return MapProblem(
                f"{_named(unit)} chỉ có từ {unit.valid_from:%d/%m/%Y}: không quy đổi ngược "
                f"về địa giới ngày {day}"
            )
        found = unit_in_tree(unit, self.tree)
        if found.unit is not None:
            self._units.setdefault(found.unit.pk, found.unit)
            return found.unit.pk
        if found.candidates:
            for candidate in found.candidates:
                self._units.setdefault(candidate.pk, candidate)
            return found.candidates
        if unit.level == Level.DISTRICT and self.tree >= REFORM_DATE:
            return MapProblem(
                f"{_named(unit)} là đơn vị cấp huyện; từ {REFORM_DATE:%d/%m/%Y} không còn cấp "
                f"huyện nên không quy đổi được sang địa giới ngày {day}: hãy ghi mã xã/phường "
                "hoặc cơ quan cấp tỉnh đã tiếp nhận"
            )
        return MapProblem(
            f"{_named(unit)} không còn hiệu lực vào ngày {day} và không có đơn vị kế thừa "
            "trong địa giới ngày đó"
        )

    def _split(self, unit_id: int, hamlet_id: int | None, candidates: list[Unit]) -> int:
        unit = self.unit(unit_id)
        names = ", ".join(_named(c) for c in candidates)
        if hamlet_id is None:
            raise MapProblem(
                f"{_named(unit)} đã được chia cho nhiều xã mới ({names}): {self.split_hint}",
                hamlet=True,
            )
        key = (unit_id, hamlet_id)
        found = self._by_hamlet.get(key)
        if found is None:
            hamlet = self.unit(hamlet_id)
            landed = unit_in_tree(unit, self.tree, hamlet=hamlet).unit
            if landed is not None:
                self._units.setdefault(landed.pk, landed)
                found = landed.pk
            else:
                found = MapProblem(
                    f"ấp/khu phố “{hamlet.name}” của {_named(unit)} chưa được gán cho xã mới "
                    f"nào; xã này đã được chia cho: {names}; cần gán ấp trước khi nhập",
                    hamlet=True,
                )
            self._by_hamlet[key] = found
        if isinstance(found, MapProblem):
            raise found
        return found

    def count(self, read_id: int, landed_id: int, rows: int = 1) -> None:
        """Tally `rows` imported rows read as `read_id` and landed on `landed_id`."""
        self.counted[(read_id, landed_id)] += rows

    def summary(self) -> list[MappedRows]:
        """The tallied pairs, largest first (then by code)."""
        out = [
            MappedRows(unit_label(self.unit(a)), unit_label(self.unit(b)), n)
            for (a, b), n in self.counted.items()
            if n
        ]
        return sorted(out, key=lambda m: (-m.rows, m.source, m.target))


def mapping_lines(tree: dt.date | None, mapped: Sequence[MappedRows], kept: int = 0) -> list[str]:
    """The summary lines an import report adds: its target tree and the codes mapped to
    it, and the known records left on their earlier unit (same place, new name)."""
    lines = []
    if tree is not None:
        total = sum(m.rows for m in mapped)
        lines.append(
            f"Địa giới đích: đơn vị hành chính có hiệu lực ngày {tree:%d/%m/%Y}; "
            f"số dòng mang mã đơn vị cũ được quy đổi: {vn_number(total)}"
        )
        lines.extend(f"  {m.line()}" for m in mapped)
    if kept:
        lines.append(
            f"Đã có sẵn ở đơn vị cũ nay thuộc đơn vị mới, giữ nguyên đơn vị cũ (số liệu các "
            f"năm trước không đổi): {vn_number(kept)}"
        )
    return lines
