"""The checks every row of a police list goes through, one row at a time.

A RowChecker remembers only what later rows are compared with: the ID numbers
seen (a repeat is an error on the later row, naming the earlier one) and the
households seen (a household lives in one commune). Each problem becomes a
RowError naming the file, the row and the column, in Vietnamese.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import NamedTuple

from chiendich.core import clock
from chiendich.core.cells import CellError, parse_date
from chiendich.core.tabular import Row, RowError, RowErrorLog
from chiendich.units.dated import MapProblem, TreeMap
from chiendich.units.models import Unit

from ..models import Citizen, Household
from .cells import (
    MIN_DATE,
    header,
    parse_id_number,
    parse_phone,
    parse_sex,
    parse_status,
    province_prefixes,
    short_id_problem,
)
from .places import Commune, PlaceError, Places

NAME_MAX = Citizen._meta.get_field("full_name").max_length or 120
HOUSEHOLD_MAX = Household._meta.get_field("code").max_length or 30
HEAD_MAX = Household._meta.get_field("head_name").max_length or 100
ADDRESS_MAX = Household._meta.get_field("address").max_length or 200
OUT_OF_SCOPE = "đơn vị này ngoài phạm vi các đơn vị của bạn"


class ValidRow(NamedTuple):
    """A row that passed every check, reduced to what the writer needs."""

    row: int
    id_number: str
    full_name: str
    birth_date: dt.date
    sex: str
    phone: str  # "" when the list does not give one
    commune_id: int
    hamlet_id: int | None
    household: str  # "" when the list does not give one
    state: str | None
    state_date: dt.date | None
    mapped_from: int  # the commune read, when mapped to the target tree's; 0 otherwise


class RowChecker:
    """Checks rows one by one, remembering what later rows are compared with.

    The checks are written for a million rows: cells with few distinct values
    (dates, sex, status, places) are resolved once per distinct text, and the
    common case of a well-formed ID or phone number skips the general parser.

    A row's commune code is read as of the row's own date, its status date ("Ngày
    cập nhật"); a row without one is read as of the target tree's day, or the day
    of the import. With a target tree (`tree`), the commune read is then mapped
    through lineage to the unit in force on that tree's day (imports.dated).
    """

    def __init__(
        self,
        file_name: str,
        places: Places,
        errors: RowErrorLog,
        scope: set[int] | None = None,
        tree: TreeMap | None = None,
    ) -> None:
        self.file_name = file_name
        self.places = places
        self.errors = errors
        # Ids of the units the acting user may import for; None: no limit (the CLI).
        self.scope = scope
        self.tree = tree
        self.today = clock.today()
        self.undated = tree.tree if tree is not None else self.today
        self.seen: dict[int, int] = {}  # ID number (as int: half the memory) -> first row
        self.households: dict[str, tuple[int, int, int]] = {}  # code -> commune, unit, row
        # code -> (head's name, address): the first row of the household that gives each.
        self.household_details: dict[str, tuple[str, str]] = {}
        self.repaired = 0
        self._provinces = province_prefixes()
        # text -> value, or the problem (a str) for text that is not valid
        self._birth_dates: dict[str, dt.date | str] = {}
        self._status_dates: dict[str, dt.date | str] = {}
        self._sexes: dict[str, str | CellError] = {}
        self._states: dict[str, str | CellError] = {}
        self._communes_reached: dict[int, bool] = {}

    def _reaches_commune(self, commune_id: int) -> bool:
        """Whether the user's scope holds the commune or one of its hamlets (a volunteer
        bound to two hamlets reaches their commune); read once per commune, when a row is
        refused (a scope may hold a whole province: never sent to the database)."""
        found = self._communes_reached.get(commune_id)
        if found is None:
            scope = self.scope or set()
            children = Unit.objects.filter(parent_id=commune_id).values_list("pk", flat=True)
            found = commune_id in scope or any(pk in scope for pk in children)
            self._communes_reached[commune_id] = found
        return found

    def _day(self, cache: dict[str, dt.date | str], text: str, what: str) -> dt.date | str:
        """A date (checked: not in the future, not before 1900) or its problem, cached."""
        found = cache.get(text)
        if found is None:
            try:
                day = parse_date(text)
                if day > self.today:
                    found = f"{what} ở tương lai"
                elif day < MIN_DATE:
                    found = f"{what} trước năm 1900"
                else:
                    found = day
            except CellError as exc:
                found = str(exc)
            cache[text] = found
        return found

    def _cached(
        self, cache: dict[str, str | CellError], parse: Callable[[str], str], text: str
    ) -> str:
        found = cache.get(text)
        if found is None:
            try:
                found = parse(text)
            except CellError as exc:
                found = exc
            cache[text] = found
        if isinstance(found, CellError):
            raise found
        return found

    def check(self, row: Row) -> ValidRow | None:
        """The row reduced to ValidRow, or None after recording each of its errors."""
        if row.problem:
            self.errors.add(RowError(self.file_name, row.number, "", "", row.problem))
            return None
        problems: list[tuple[str, str, str]] = []
        get = row.values.get

        id_number = get("id_number", "")
        repaired = False
        if len(id_number) == 12 and id_number.isdigit() and id_number.isascii():
            if id_number[:3] not in self._provinces:
                problems.append(
                    (
                        "id_number",
                        id_number,
                        f"mã tỉnh nơi đăng ký khai sinh “{id_number[:3]}” không tồn tại",
                    )
                )
                id_number = ""
        elif not id_number:
            problems.append(("id_number", "", "thiếu số định danh cá nhân"))
        else:
            try:
                id_number, repaired = parse_id_number(id_number)
                self.repaired += repaired
            except CellError as exc:
                problems.append(("id_number", id_number, str(exc)))
                id_number = ""

        full_name = get("full_name", "")
        if not full_name:
            problems.append(("full_name", "", "thiếu họ và tên"))
        elif len(full_name) > NAME_MAX:
            problems.append(("full_name", full_name, f"họ và tên dài quá {NAME_MAX} ký tự"))

        birth_date = None
        text = get("birth_date", "")
        if not text:
            problems.append(("birth_date", "", "thiếu ngày sinh"))
        else:
            day = self._day(self._birth_dates, text, "ngày sinh")
            if isinstance(day, str):
                problems.append(("birth_date", text, day))
            else:
                birth_date = day

        sex = ""
        text = get("sex", "")
        if not text:
            problems.append(("sex", "", "thiếu giới tính"))
        else:
            try:
                sex = self._cached(self._sexes, _sex_value, text)
            except CellError as exc:
                problems.append(("sex", text, str(exc)))

        if id_number and repaired and not _agrees(id_number, birth_date, sex):
            # Excel dropped a leading zero, or a digit is missing: the number written is
            # wrong, not the birth date or the sex it then fails to match.
            written = get("id_number", "")
            why = _disagreement(id_number, birth_date, sex)
            problems.append(("id_number", written, short_id_problem(written, id_number, why)))
            id_number = ""
        if id_number:
            g = ord(id_number[3]) - 48
            if birth_date is not None:
                year = 1900 + g // 2 * 100 + int(id_number[4:6])
                if year != birth_date.year:
                    problems.append(
                        (
                            "birth_date",
                            get("birth_date", ""),
                            f"năm sinh {birth_date.year} không khớp với số định danh "
                            f"{id_number} (số định danh ghi năm {year})",
                        )
                    )
            if sex and sex != ("F" if g % 2 else "M"):
                problems.append(
                    (
                        "sex",
                        get("sex", ""),
                        f"giới tính không khớp với số định danh {id_number} (chữ số thứ 4 "
                        f"“{id_number[3]}” là của {'nữ' if g % 2 else 'nam'})",
                    )
                )

        # The status date is read first: it is the day the row's commune code is read for.
        date_text = get("status_date", "")
        status_day = self._day(self._status_dates, date_text, "ngày cập nhật") if date_text else ""
        day = status_day if isinstance(status_day, dt.date) else self.undated

        commune: Commune | None = None
        try:
            commune = self.places.commune(
                get("commune_code", ""), get("commune_name", ""), get("district", ""), day
            )
        except PlaceError as exc:
            problems.append((exc.column, get(exc.column, ""), exc.problem))
        hamlet_id = None
        text = get("hamlet", "")
        if text and commune is not None:
            try:
                hamlet_id = self.places.hamlet(commune, text)
            except PlaceError as exc:
                problems.append(("hamlet", text, exc.problem))
        commune_id = commune.id if commune is not None else 0
        mapped_from = 0
        if self.tree is not None and commune is not None:
            try:
                landed = self.tree.land(commune.id, hamlet_id)
            except MapProblem as exc:
                column = "hamlet" if exc.hamlet else _commune_column(get)
                problems.append((column, get(column, ""), exc.problem))
            else:
                if landed != commune.id:
                    # The row lands on the new commune: the old hamlet is not in its tree.
                    mapped_from, commune_id, hamlet_id = commune.id, landed, None
        if (
            commune is not None
            and self.scope is not None
            and (hamlet_id or commune_id) not in self.scope
        ):
            # A row of another commune is blamed on its commune; the hamlet only when the
            # commune is the user's but that hamlet is not (a volunteer's own hamlets).
            in_commune = hamlet_id and self._reaches_commune(commune_id)
            column = "hamlet" if in_commune else _commune_column(get)
            problems.append((column, get(column, ""), OUT_OF_SCOPE))

        household = get("household", "")
        if len(household) > HOUSEHOLD_MAX:
            problems.append(("household", household, f"mã hộ dài quá {HOUSEHOLD_MAX} ký tự"))
        head_name, address = get("head_name", ""), get("address", "")
        if len(head_name) > HEAD_MAX:
            problems.append(("head_name", head_name, f"họ tên chủ hộ dài quá {HEAD_MAX} ký tự"))
        if len(address) > ADDRESS_MAX:
            problems.append(("address", address, f"địa chỉ dài quá {ADDRESS_MAX} ký tự"))

        phone = get("phone", "")
        if phone and not (
            len(phone) == 10 and phone[0] == "0" and phone[1] in "35789" and phone.isdigit()
        ):
            try:
                phone = parse_phone(phone)
            except CellError as exc:
                problems.append(("phone", phone, str(exc)))

        state, state_date = None, None
        text = get("status", "")
        if text:
            try:
                state = self._cached(self._states, _state_value, text)
            except CellError as exc:
                problems.append(("status", text, str(exc)))
            if not date_text:
                problems.append(("status_date", "", "có trạng thái thì phải có ngày cập nhật"))
            elif isinstance(status_day, str):
                problems.append(("status_date", date_text, status_day))
            else:
                state_date = status_day

        if id_number:
            first = self.seen.setdefault(int(id_number), row.number)
            if first != row.number:
                problems.append(
                    ("id_number", get("id_number", ""), f"trùng số định danh với dòng {first}")
                )

        if household and commune is not None and not problems:
            place = self.households.get(household)
            if place is None:
                self.households[household] = (commune_id, hamlet_id or commune_id, row.number)
            elif place[0] != commune_id:
                problems.append(
                    (
                        "household",
                        household,
                        f"hộ này đã ghi ở xã/phường/thị trấn khác (dòng {place[2]})",
                    )
                )

        if problems:
            for key, value, problem in problems:
                self.errors.add(RowError(self.file_name, row.number, header(key), value, problem))
            return None
        if household and (head_name or address):
            known_head, known_address = self.household_details.get(household, ("", ""))
            self.household_details[household] = (known_head or head_name, known_address or address)
        assert commune is not None and birth_date is not None  # noqa: S101
        return ValidRow(
            row.number,
            id_number,
            full_name,
            birth_date,
            sex,
            phone,
            commune_id,
            hamlet_id,
            household,
            state,
            state_date,
            mapped_from,
        )


def _commune_column(get: Callable[[str, str], str]) -> str:
    """The cell that named the row's commune: its code, or its name when there is no code."""
    return "commune_code" if get("commune_code", "") else "commune_name"


def _sex_value(text: str) -> str:
    return parse_sex(text).value


def _state_value(text: str) -> str:
    return parse_status(text).value


def _agrees(id_number: str, birth_date: dt.date | None, sex: str) -> bool:
    """Whether an ID number's birth year and sex digits match the row's (unknown ones agree)."""
    return not _disagreement(id_number, birth_date, sex)


def _disagreement(id_number: str, birth_date: dt.date | None, sex: str) -> str:
    """How an ID number's birth year and sex digits contradict the row, or ""."""
    g = ord(id_number[3]) - 48
    year = 1900 + g // 2 * 100 + int(id_number[4:6])
    found = []
    if birth_date is not None and year != birth_date.year:
        found.append(f"số ghi năm sinh {year}, dòng này ghi {birth_date.year}")
    if sex and sex != ("F" if g % 2 else "M"):
        found.append(f"số ghi giới tính {'nữ' if g % 2 else 'nam'}")
    return " và ".join(found)
