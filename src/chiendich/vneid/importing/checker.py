"""The checks every row of a police list goes through, one row at a time.

A RowChecker remembers only what later rows are compared with: the ID numbers
seen (a repeat is an error on the later row, naming the earlier one) and the
households seen (a household lives in one commune), in columns (state.ColumnMap),
a few bytes a row however long the list. Each problem becomes a
RowError naming the file, the row and the column, in Vietnamese.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, NamedTuple

import polars as pl

from chiendich.core import clock
from chiendich.core.cells import CellError, parse_date
from chiendich.core.frames import PROBLEM, ROW, frame_rows
from chiendich.core.tabular import Row, RowError, RowErrorLog
from chiendich.units.dated import MapProblem, TreeMap
from chiendich.units.models import Unit

from ..models import Citizen, Household
from .cells import (
    CITIZEN_COLUMNS,
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
from .state import KEY, ColumnMap

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
        # In columns (state.ColumnMap), not Python dicts: 12 bytes per ID number and a
        # few tens per household, however long the list.
        # ID number (as int) -> first row.
        self.seen = ColumnMap(pl.Int64, {"row": pl.Int32})
        # code -> commune, unit, row
        self.households = ColumnMap(
            pl.String, {"commune_id": pl.Int64, "unit_id": pl.Int64, "row": pl.Int32}
        )
        # code -> (head's name, address): the first row of the household that gives each.
        self.household_details = ColumnMap(
            pl.String, {"head_name": pl.String, "address": pl.String}
        )
        self.repaired = 0
        self._provinces = province_prefixes()
        # text -> value, or the problem (a str) for text that is not valid
        self._birth_dates: dict[str, dt.date | str] = {}
        self._status_dates: dict[str, dt.date | str] = {}
        self._sexes: dict[str, str | CellError] = {}
        self._states: dict[str, str | CellError] = {}
        self._communes_reached: dict[int, bool] = {}

    def state_entries(self) -> int:
        """How many entries the checker remembers of the rows it has read (IDs and
        households, with their details)."""
        return sum(m.entries() for m in (self.seen, self.households, self.household_details))

    def state_bytes(self) -> int:
        """The bytes of what the checker remembers of the rows it has read (the columns of
        `seen`, `households` and `household_details`; their small buffers not counted)."""
        return sum(m.nbytes() for m in (self.seen, self.households, self.household_details))

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
        problems, id_number, valid = self.cells(row)
        get = row.values.get
        if id_number:
            first = self.seen.setdefault(int(id_number), row.number)
            if first != row.number:
                problems.append(
                    ("id_number", get("id_number", ""), f"trùng số định danh với dòng {first}")
                )

        household = get("household", "")
        if household and valid is not None and not problems:
            place = self.households.get(household)
            if place is None:
                self.households[household] = (
                    valid.commune_id,
                    valid.hamlet_id or valid.commune_id,
                    row.number,
                )
            elif place[0] != valid.commune_id:
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
        assert valid is not None  # noqa: S101
        head_name, address = get("head_name", ""), get("address", "")
        if household and (head_name or address):
            known_head, known_address = self.household_details.get(household, ("", ""))
            self.household_details[household] = (known_head or head_name, known_address or address)
        return valid

    def cells(self, row: Row) -> tuple[list[tuple[str, str, str]], str, ValidRow | None]:
        """The checks of one row on its own, without the rows before it (a repeated ID,
        a household in two communes): its problems as (column key, value, problem), the
        ID number that passed the ID checks ("" when it did not) and, when there is no
        problem, the row reduced to ValidRow. Counts the ID numbers repaired."""
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

        if problems:
            return problems, id_number, None
        assert commune is not None and birth_date is not None  # noqa: S101
        return (
            problems,
            id_number,
            ValidRow(
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
            ),
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


# --- a frame of rows at a time ---------------------------------------------------------

VALID_SCHEMA: dict[str, Any] = {
    "row": pl.Int64,
    "id_number": pl.String,
    "full_name": pl.String,
    "birth_date": pl.Date,
    "sex": pl.String,
    "phone": pl.String,
    "commune_id": pl.Int64,
    "hamlet_id": pl.Int64,
    "household": pl.String,
    "state": pl.String,
    "state_date": pl.Date,
    "mapped_from": pl.Int64,
}
_ID = r"^[0-9]{12}$"
_MOBILE = r"^0[35789][0-9]{8}$"
_DAY_FIRST = r"^[0-9]{2}/[0-9]{2}/[0-9]{4}$"


class FrameChecker:
    """The checks of RowChecker on a frame of rows at a time (core.frames), with the
    same verdicts and the same messages.

    Column by column, each cell with few distinct values (dates, sex, status,
    commune per day, hamlet per commune, tree mapping) is resolved once per
    distinct value by RowChecker's own cached lookups and joined back. A row that
    every column finds plainly well-formed needs nothing more; any other row (rare)
    goes through RowChecker.cells, which gives its exact problems. Then the checks
    against earlier rows run set-wise with RowChecker.check's rules: an ID number
    repeats the first row whose ID passed the ID checks, and a household belongs to
    the commune of the first row without problems naming it. The RowChecker's
    `seen`, `households` and `household_details` are kept up to date, so the writer
    and any later RowChecker.check agree.
    """

    def __init__(self, checker: RowChecker) -> None:
        self.checker = checker
        self.keys = list(CITIZEN_COLUMNS)
        self._communes: dict[int, Commune] = {}

    def check(self, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[RowError]]:
        """The frame's valid rows (VALID_SCHEMA, in row order) and its errors (row order)."""
        c = self.checker
        if not len(frame):
            return pl.DataFrame(schema=VALID_SCHEMA), []
        f = self._resolve(frame)
        ok = f["ok"]
        fast = f.filter(ok)
        slow = frame.filter(~ok)
        problems: dict[int, list[tuple[str, str, str]]] = {}
        slow_valid: list[ValidRow] = []
        slow_ids: list[tuple[int, int]] = []  # row, ID number (as int) that passed the ID checks
        for row in frame_rows(slow, self.keys):
            if row.problem:
                problems[row.number] = [("", "", row.problem)]
                continue
            found, id_number, reduced = c.cells(row)
            if found:
                problems[row.number] = found
            elif reduced is not None:
                slow_valid.append(reduced)
            if id_number:
                slow_ids.append((row.number, int(id_number)))

        # Every row's ID number that passed the ID checks, in row order.
        ids = pl.concat(
            [
                fast.select(
                    pl.col(ROW).alias("row"), pl.col("id_number").cast(pl.Int64).alias("id")
                ),
                pl.DataFrame(slow_ids, schema={"row": pl.Int64, "id": pl.Int64}, orient="row"),
            ]
        ).sort("row")
        duplicates = self._duplicates(ids)
        values = (
            dict(zip(frame[ROW].to_list(), frame["id_number"].to_list(), strict=True))
            if duplicates
            else {}
        )
        for number, first in duplicates.items():
            problems.setdefault(number, []).append(
                ("id_number", values[number], f"trùng số định danh với dòng {first}")
            )

        valid = pl.concat(
            [
                fast.select(
                    pl.col(ROW).alias("row"),
                    "id_number",
                    "full_name",
                    pl.col("_birth").alias("birth_date"),
                    pl.col("_sex").alias("sex"),
                    "phone",
                    pl.col("_commune").alias("commune_id"),
                    pl.col("_hamlet").alias("hamlet_id"),
                    "household",
                    pl.col("_state").alias("state"),
                    pl.when(pl.col("status") != "")
                    .then(pl.col("_status_day"))
                    .otherwise(None)
                    .alias("state_date"),
                    pl.col("_mapped_from").alias("mapped_from"),
                ).cast(VALID_SCHEMA),  # type: ignore[arg-type]
                pl.DataFrame(slow_valid, schema=VALID_SCHEMA, orient="row"),
            ]
        ).sort("row")
        if duplicates:
            valid = valid.filter(~pl.col("row").is_in(list(duplicates)))
        valid = self._households(valid, problems)
        if problems:
            valid = valid.filter(~pl.col("row").is_in(list(problems)))
        self._details(valid, frame)
        errors = [
            RowError(c.file_name, row, header(key) if key else "", value, problem)
            for row in sorted(problems)
            for key, value, problem in problems[row]
        ]
        return valid, errors

    def _duplicates(self, ids: pl.DataFrame) -> dict[int, int]:
        """Rows whose ID number an earlier row (of this frame or an earlier one) gave:
        row -> that first row. Records the frame's new ID numbers in `seen`."""
        seen = self.checker.seen
        firsts = ids.group_by("id", maintain_order=True).agg(pl.col("row").first())
        duplicates: dict[int, int] = {}
        if len(firsts) != len(ids):  # repeats inside the frame
            first_of = dict(zip(firsts["id"].to_list(), firsts["row"].to_list(), strict=True))
            for row, number in ids.iter_rows():
                first = first_of[number]
                if first != row:
                    duplicates[row] = first
        looked = seen.lookup(firsts["id"])
        found = looked["found"]
        seen.add(firsts.filter(~found).select(pl.col("id").alias(KEY), "row"))
        if not found.any():
            return duplicates
        known = looked.filter(found)
        earlier = dict(zip(known[KEY].to_list(), known["row"].to_list(), strict=True))
        for row, number in ids.iter_rows():
            if number in earlier:
                duplicates[row] = earlier[number]
        return duplicates

    def _households(
        self, valid: pl.DataFrame, problems: dict[int, list[tuple[str, str, str]]]
    ) -> pl.DataFrame:
        """A household lives in one commune: the first row without problems naming it
        places it; a later one in another commune is an error naming that row."""
        c = self.checker
        named = valid.filter(pl.col("household") != "")
        if problems:
            named = named.filter(~pl.col("row").is_in(list(problems)))
        if not len(named):
            return valid
        firsts = named.group_by("household", maintain_order=True).agg(
            pl.col("commune_id").first(),
            pl.col("hamlet_id").first(),
            pl.col("row").first(),
        )
        known = c.households.lookup(firsts["household"])
        c.households.add(
            firsts.filter(~known["found"]).select(
                pl.col("household").alias(KEY),
                "commune_id",
                pl.coalesce("hamlet_id", "commune_id").alias("unit_id"),
                "row",
            )
        )
        placed = firsts.select(
            "household",
            pl.when(known["found"])
            .then(known["commune_id"])
            .otherwise(pl.col("commune_id"))
            .alias("_place_commune"),
            pl.when(known["found"])
            .then(known["row"].cast(pl.Int64))
            .otherwise(pl.col("row"))
            .alias("_place_row"),
        )
        moved = named.join(placed, on="household", how="left").filter(
            pl.col("_place_commune") != pl.col("commune_id")
        )
        for row, code, first in moved.select("row", "household", "_place_row").iter_rows():
            problems.setdefault(row, []).append(
                ("household", code, f"hộ này đã ghi ở xã/phường/thị trấn khác (dòng {first})")
            )
        return valid

    def _details(self, valid: pl.DataFrame, frame: pl.DataFrame) -> None:
        """The head's name and the address of each household: the first valid row giving each."""
        given = frame.filter(
            (pl.col("household") != "") & ((pl.col("head_name") != "") | (pl.col("address") != ""))
        )
        if not len(given):
            return
        given = given.filter(pl.col(ROW).is_in(valid["row"].implode()))
        if not len(given):
            return
        # Per household, the first head's name and the first address the frame gives...
        firsts = given.group_by("household", maintain_order=True).agg(
            pl.col("head_name").filter(pl.col("head_name") != "").first().fill_null(""),
            pl.col("address").filter(pl.col("address") != "").first().fill_null(""),
        )
        # ... unless an earlier frame gave them.
        details = self.checker.household_details
        known = details.lookup(firsts["household"])
        merged = firsts.select(
            pl.col("household").alias(KEY),
            pl.when(known["head_name"].fill_null("") != "")
            .then(known["head_name"])
            .otherwise(pl.col("head_name"))
            .alias("head_name"),
            pl.when(known["address"].fill_null("") != "")
            .then(known["address"])
            .otherwise(pl.col("address"))
            .alias("address"),
        )
        changed = (
            ~known["found"]
            | (merged["head_name"] != known["head_name"].fill_null(""))
            | (merged["address"] != known["address"].fill_null(""))
        )
        details.put(merged.filter(changed))

    def _resolve(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The frame with each cell resolved (columns starting "_") and "ok": the row is
        plainly valid, its values are the resolved ones."""
        c = self.checker
        f = frame.with_columns(
            _birth=self._dates(frame["birth_date"], c._birth_dates, "ngày sinh"),
            _sex=_mapped(
                frame["sex"], lambda t: _text_or_none(c._sexes, _sex_value, c, t), pl.String
            ),
            _status_day=self._dates(frame["status_date"], c._status_dates, "ngày cập nhật"),
            _state=_mapped(
                frame["status"], lambda t: _text_or_none(c._states, _state_value, c, t), pl.String
            ),
        )
        ok = (
            (pl.col(PROBLEM) == "")
            & pl.col("id_number").str.contains(_ID)
            & pl.col("id_number").str.slice(0, 3).is_in(list(c._provinces))
            & (pl.col("full_name") != "")
            & (pl.col("full_name").str.len_chars() <= NAME_MAX)
            & pl.col("_birth").is_not_null()
            & pl.col("_sex").is_not_null()
            & ((pl.col("status_date") == "") | pl.col("_status_day").is_not_null())
            & (
                (pl.col("status") == "")
                | (pl.col("_state").is_not_null() & pl.col("_status_day").is_not_null())
            )
            & (pl.col("household").str.len_chars() <= HOUSEHOLD_MAX)
            & (pl.col("head_name").str.len_chars() <= HEAD_MAX)
            & (pl.col("address").str.len_chars() <= ADDRESS_MAX)
            & ((pl.col("phone") == "") | pl.col("phone").str.contains(_MOBILE))
        )
        f = f.with_columns(ok=ok.fill_null(False))
        # The ID number's birth year and sex digits agree with the row's.
        g = pl.col("id_number").str.slice(3, 1).cast(pl.Int64, strict=False)
        year = (
            1900 + g // 2 * 100 + pl.col("id_number").str.slice(4, 2).cast(pl.Int64, strict=False)
        )
        agrees = (year == pl.col("_birth").dt.year()) & (
            pl.col("_sex") == pl.when(g % 2 == 1).then(pl.lit("F")).otherwise(pl.lit("M"))
        )
        f = f.with_columns(ok=pl.col("ok") & agrees.fill_null(False))
        f = f.with_columns(_day=pl.col("_status_day").fill_null(c.undated))
        f = self._places(f)
        return f

    def _dates(self, texts: pl.Series, cache: dict[str, dt.date | str], what: str) -> pl.Series:
        """Each cell's date, or null when it is not a valid one (then RowChecker tells why).

        dd/mm/yyyy, as police lists write nearly every date, is read by polars; any
        other text once per distinct text by RowChecker's own reading (parse_date)."""
        c = self.checker
        parsed = texts.str.strptime(pl.Date, "%d/%m/%Y", strict=False)
        plain = (
            texts.str.contains(_DAY_FIRST)
            & parsed.is_not_null()
            & (parsed >= MIN_DATE)
            & (parsed <= c.today)
        ).fill_null(False)
        others = [t for t in texts.filter(~plain).unique().to_list() if t]
        read = texts.replace_strict(
            others,
            [_date_or_none(c._day(cache, t, what)) for t in others],
            default=None,
            return_dtype=pl.Date,
        )
        return pl.select(pl.when(plain).then(parsed).otherwise(read)).to_series()

    def _places(self, f: pl.DataFrame) -> pl.DataFrame:
        """Commune (per code, name, district and day), hamlet (per commune and text), the
        target tree's unit and the user's scope, each resolved once per distinct value."""
        c = self.checker
        wanted = (
            f.filter(pl.col("ok"))
            .select("commune_code", "commune_name", "district", "_day")
            .unique()
        )
        communes: list[int | None] = []
        for code, name, district, day in wanted.iter_rows():
            try:
                commune = c.places.commune(code, name, district, day)
            except PlaceError:
                communes.append(None)
            else:
                self._communes[commune.id] = commune
                communes.append(commune.id)
        wanted = wanted.with_columns(pl.Series("_commune_read", communes, dtype=pl.Int64))
        f = f.join(
            wanted,
            on=["commune_code", "commune_name", "district", "_day"],
            how="left",
            maintain_order="left",
        )
        f = f.with_columns(ok=pl.col("ok") & pl.col("_commune_read").is_not_null())

        hamlets = (
            f.filter(pl.col("ok") & (pl.col("hamlet") != ""))
            .select("_commune_read", "hamlet")
            .unique()
        )
        found: list[int | None] = []
        for commune_id, text in hamlets.iter_rows():
            try:
                found.append(c.places.hamlet(self._communes[commune_id], text))
            except PlaceError:
                found.append(None)
        hamlets = hamlets.with_columns(pl.Series("_hamlet_read", found, dtype=pl.Int64))
        f = f.join(hamlets, on=["_commune_read", "hamlet"], how="left", maintain_order="left")
        f = f.with_columns(
            ok=pl.col("ok") & ((pl.col("hamlet") == "") | pl.col("_hamlet_read").is_not_null())
        )

        if c.tree is None:
            f = f.with_columns(
                _commune=pl.col("_commune_read"),
                _hamlet=pl.col("_hamlet_read"),
                _mapped_from=pl.lit(0, dtype=pl.Int64),
            )
        else:
            pairs = f.filter(pl.col("ok")).select("_commune_read", "_hamlet_read").unique()
            landed: list[int | None] = []
            for commune_id, hamlet_id in pairs.iter_rows():
                try:
                    landed.append(c.tree.land(commune_id, hamlet_id))
                except MapProblem:
                    landed.append(None)
            pairs = pairs.with_columns(pl.Series("_landed", landed, dtype=pl.Int64))
            f = f.join(
                pairs,
                on=["_commune_read", "_hamlet_read"],
                how="left",
                maintain_order="left",
                nulls_equal=True,
            )
            moved = pl.col("_landed") != pl.col("_commune_read")
            f = f.with_columns(
                ok=pl.col("ok") & pl.col("_landed").is_not_null(),
                _commune=pl.col("_landed"),
                _hamlet=pl.when(moved).then(None).otherwise(pl.col("_hamlet_read")),
                _mapped_from=pl.when(moved).then(pl.col("_commune_read")).otherwise(0),
            )
        if c.scope is not None:
            f = f.with_columns(
                ok=pl.col("ok") & pl.coalesce("_hamlet", "_commune").is_in(list(c.scope))
            )
        return f.with_columns(ok=pl.col("ok").fill_null(False))


def _mapped(series: pl.Series, resolve: Callable[[str], Any], dtype: Any) -> pl.Series:
    """`series` with each distinct text replaced by resolve(text), resolved once; "" gives null."""
    texts = [t for t in series.unique().to_list() if t]
    values = [resolve(t) for t in texts]
    return series.replace_strict(texts, values, default=None, return_dtype=dtype)


def _date_or_none(found: dt.date | str) -> dt.date | None:
    return found if isinstance(found, dt.date) else None


def _text_or_none(
    cache: dict[str, str | CellError], parse: Callable[[str], str], checker: RowChecker, text: str
) -> str | None:
    try:
        return checker._cached(cache, parse, text)
    except CellError:
        return None
