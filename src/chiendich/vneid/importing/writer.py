"""Writing checked rows in chunks with set-based SQL, inside the caller's transaction.

Per chunk (a polars frame of valid rows): one lookup of the citizens already known
(by ID number), one of the households; the new households, citizens and events
are merged from the TEMP staging tables (StagingTables) with INSERT ... SELECT, or,
without them (a scoped import), inserted with `executemany` (COPY on PostgreSQL);
citizens already known are compared row by row and updated with `executemany`. No
ORM objects and no signals. In a dry run the same lookups run and nothing is
written, so the counts are what a real run would do.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import polars as pl
from django.db import DatabaseError, connection
from django.db.models import Model
from django.utils import timezone

from chiendich.core.bulkload import InsertKeys, ScratchFile, page_cache
from chiendich.core.tabular import RowError
from chiendich.units.dated import TreeMap
from chiendich.units.models import Unit

from ..models import AccountEvent, AccountState, Citizen, Household, Source
from ..services import events_relink
from .cells import header
from .checker import RowChecker, ValidRow
from .report import CitizenImportReport
from .state import KEY, ColumnMap

Event = tuple[int, str, dt.date, int]  # citizen id, state, date, unit id

LOOKUP_SIZE = 5_000  # values per IN (...) list, under SQLite's and PostgreSQL's limits
SQLITE_CACHE_KIB = 256 * 1024
# The staging tables' cache: more spills to the temporary file (the operating system's
# cache, not the process's memory); peak memory stays under 1 GiB at 1.5 M rows.
SQLITE_TEMP_CACHE_KIB = 64 * 1024


def _day(value: Any) -> dt.date | None:
    """SQLite may hand dates back as text from raw SQL; PostgreSQL as dates."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _marks(n: int) -> str:
    return ",".join(["%s"] * n)


def _lookup(cursor: Any, sql: str, values: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Run `sql` with "{among}" standing for membership in `values`.

    PostgreSQL gets one array parameter (= ANY(%s)); SQLite an IN list, in
    slices under its limit on parameters.
    """
    if connection.vendor == "postgresql":
        cursor.execute(sql.format(among="= ANY(%s)"), [list(values)])
        return list(cursor.fetchall())
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(values), LOOKUP_SIZE):
        part = list(values[start : start + LOOKUP_SIZE])
        cursor.execute(sql.format(among=f"IN ({_marks(len(part))})"), part)
        found.extend(cursor.fetchall())
    return found


CITIZEN_INSERTED = [
    "id_number",
    "full_name",
    "birth_date",
    "sex",
    "phone",
    "commune_id",
    "unit_id",
    "household_id",
    "state",
    "state_date",
    "created_at",
    "updated_at",
]
CITIZEN_UPDATED = [
    "full_name",
    "birth_date",
    "sex",
    "phone",
    "commune_id",
    "unit_id",
    "household_id",
    "updated_at",
]
EVENT_INSERTED = [
    "citizen_id",
    "state",
    "date",
    "until",
    "source",
    "unit_id",
    "batch_id",
    "recorded_by_id",
    "recorded_at",
    "note",
]
VALUES_SIZE = 1_000  # rows per UPDATE ... FROM (VALUES ...) on PostgreSQL


def insert_rows(
    cursor: Any, model: type[Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert `rows` (values in the order of `columns`) into `model`'s table.

    PostgreSQL: one COPY stream (executemany there is one round trip per row).
    SQLite: executemany, one prepared statement stepped per row, in-process.
    """
    table, names = model._meta.db_table, ", ".join(columns)
    raw = cursor.cursor
    if connection.vendor == "postgresql" and hasattr(raw, "copy"):
        with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    cursor.executemany(
        f"INSERT INTO {table} ({names}) VALUES ({_marks(len(columns))})",  # noqa: S608
        rows,
    )


def update_rows(
    cursor: Any, model: type[Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Set `columns` of the rows of `model` whose id is each row's last value.

    PostgreSQL: UPDATE ... FROM (VALUES ...) in slices, each value cast to its
    column's type. SQLite: executemany of a one-row UPDATE.
    """
    table = model._meta.db_table
    if connection.vendor != "postgresql":
        assignments = ", ".join(f"{c} = %s" for c in columns)
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE id = %s", rows)  # noqa: S608
        return
    fields = {f.column: f for f in model._meta.concrete_fields}
    types = {c: fields[c].db_type(connection) for c in [*columns, "id"]}
    assignments = ", ".join(f"{c} = v.{c}::{types[c]}" for c in columns)
    names = ", ".join([*columns, "id"])
    row_marks = f"({_marks(len(columns) + 1)})"
    for start in range(0, len(rows), VALUES_SIZE):
        part = rows[start : start + VALUES_SIZE]
        cursor.execute(
            f"UPDATE {table} AS t SET {assignments} FROM (VALUES {', '.join([row_marks] * len(part))}) "  # noqa: S608
            f"AS v({names}) WHERE t.id = v.id::{types['id']}",
            [value for row in part for value in row],
        )


CITIZEN = Citizen._meta.db_table
HOUSEHOLD = Household._meta.db_table
EVENT = AccountEvent._meta.db_table
UNIT = Unit._meta.db_table


class ChunkWriter:
    """Writes chunks of valid rows; in a dry run only reads, counting what it would write."""

    def __init__(
        self,
        report: CitizenImportReport,
        checker: RowChecker,
        *,
        batch_id: int | None,
        user_id: int | None,
        dry_run: bool,
        scope: set[int] | None = None,
        tree: TreeMap | None = None,
        staging: StagingTables | None = None,
    ) -> None:
        self.report = report
        self.checker = checker
        # The valid rows staged in TEMP tables (a real run without a scope): new
        # households, citizens and their events are merged from there in SQL.
        self.staging = staging
        self.chunk = 0  # the staged chunk being written
        self._new_events_from: int | None = None
        self._new_events_to = 0
        self.scope = scope  # unit ids the acting user may import for; None: no limit
        self.tree = tree  # the target tree's mapping, to tally the rows mapped
        self.batch_id = batch_id
        self.user_id = user_id
        self.dry_run = dry_run
        self.now = connection.ops.adapt_datetimefield_value(timezone.now())
        # An empty table needs no lookups: IDs are unique within the file.
        self.no_citizens = not Citizen.objects.exists()
        self.no_households = not Household.objects.exists()
        # code -> id, for households met so far (in columns: state.ColumnMap)
        self.household_ids = ColumnMap(pl.String, {"id": pl.Int64})
        self.moved = 0  # existing citizens whose unit changed: their history follows them
        # What the daily counts must recount afterwards: these lowest units, from
        # `recount_from` (None: every counted day, as a new or changed citizen
        # counts on all of them) to `recount_to`.
        self.touched_units: set[int] = set()
        self.recount_all_days = False
        self.recount_from: dt.date | None = None
        self.recount_to: dt.date | None = None
        self.known_events = 0  # events given to citizens already in the database
        self._fake_id = 0
        # Units of earlier trees exist (the reform is loaded): a known citizen or household
        # listed under the unit its earlier unit became stays where it is (`_same_place`).
        self.earlier_trees = Unit.objects.exclude(successor_path="").exists()
        self._paths: dict[int, tuple[str, str]] = {}  # unit id -> path, successor_path
        # PostgreSQL: the inserted rows' foreign keys checked once per distinct id.
        self.keys: InsertKeys | None = None
        if not dry_run:
            with connection.cursor() as cursor:
                self.keys = InsertKeys.for_tables(cursor, [HOUSEHOLD, CITIZEN, EVENT])

    def _inserting(self, cursor: Any, table: str) -> AbstractContextManager[None]:
        """The block's INSERTs into `table` with their keys checked once (InsertKeys)."""
        return nullcontext() if self.keys is None else self.keys.inserting(cursor, table)

    def flush(self, frame: pl.DataFrame) -> None:
        """Write one chunk of valid rows (checker.VALID_SCHEMA, in row order); the
        chunks come in the order they were staged."""
        self.chunk += 1
        with connection.cursor() as cursor:
            existing = self._existing(cursor, frame["id_number"].to_list())
            if self.scope is not None:
                frame = self._within_scope(cursor, frame, existing)
            if self.earlier_trees:
                self._load_paths(
                    cursor,
                    set(frame.select(pl.coalesce("hamlet_id", "commune_id")).to_series().unique())
                    | {old[6] for old in existing.values()},
                )
            if self.staging is None:
                self._households(cursor, frame["household"].unique().to_list())
            else:
                self._households_staged(cursor, frame, existing)
            self._citizens(cursor, frame, existing)
            if self.tree is not None:
                mapped = frame.filter(pl.col("mapped_from") != 0)
                if len(mapped):
                    for read_id, landed_id, rows in (
                        mapped.group_by("mapped_from", "commune_id").len().iter_rows()
                    ):
                        self.tree.count(read_id, landed_id, rows)

    def _load_paths(self, cursor: Any, ids: set[int]) -> None:
        wanted = sorted(ids - self._paths.keys())
        if wanted:
            for pk, path, successor_path in _lookup(
                cursor,
                f"SELECT id, path, successor_path FROM {UNIT} WHERE id {{among}}",  # noqa: S608
                wanted,
            ):
                self._paths[pk] = (path, successor_path)

    def _same_place(self, old_unit: int, unit_id: int) -> bool:
        """`old_unit`, of an earlier tree, lies in `unit_id` of a later one: its records
        count there through lineage (its successor_path lies under `unit_id`'s path).

        A later list naming such a citizen under the new unit means the same place under
        its new name, so the citizen stays on the earlier unit: moving them would carry
        their whole history (vneid.services.events_relink) onto the new unit and rewrite
        the earlier tree's figures, which must stay as they were.
        """
        if not self.earlier_trees or old_unit == unit_id:
            return False
        old, new = self._paths.get(old_unit), self._paths.get(unit_id)
        return bool(old and new and old[1] and old[1].startswith(new[0]))

    def _within_scope(
        self, cursor: Any, frame: pl.DataFrame, existing: dict[str, tuple[Any, ...]]
    ) -> pl.DataFrame:
        """The rows that change nothing outside the acting user's units.

        A row whose ID number or household is already recorded in another unit would
        move that citizen or household into the user's unit: rejected, naming the
        cell, like the one-stop import does for a dossier code of another unit.
        """
        assert self.scope is not None  # noqa: S101
        scope = self.scope
        foreign: set[str] = set()
        codes = self.household_ids.missing(h for h in frame["household"].unique().to_list() if h)
        if codes and not self.no_households:
            foreign = {
                code
                for code, unit_id in _lookup(
                    cursor,
                    f"SELECT code, unit_id FROM {HOUSEHOLD} WHERE code {{among}}",  # noqa: S608
                    codes,
                )
                if unit_id not in scope
            }
        moved = [n for n, old in existing.items() if old[6] not in scope]
        if not moved and not foreign:
            return frame
        refused = frame.filter(
            pl.col("id_number").is_in(moved) | pl.col("household").is_in(list(foreign))
        )
        outside = set(moved)
        for row, id_number, household in refused.select(
            "row", "id_number", "household"
        ).iter_rows():
            if id_number in outside:
                self._reject(row, "id_number", id_number, "số định danh đã có ở đơn vị khác")
            else:
                self._reject(row, "household", household, "mã hộ đã có ở đơn vị khác")
        return frame.filter(~pl.col("row").is_in(refused["row"].implode()))

    def _reject(self, row: int, key: str, value: str, problem: str) -> None:
        self.checker.errors.add(
            RowError(
                self.checker.file_name,
                row,
                header(key),
                value,
                f"{problem}, ngoài phạm vi các đơn vị của bạn",
            )
        )

    def _existing(self, cursor: Any, id_numbers: list[str]) -> dict[str, tuple[Any, ...]]:
        if self.no_citizens:
            return {}
        rows = _lookup(
            cursor,
            f"SELECT id_number, id, full_name, birth_date, sex, phone, commune_id, unit_id, "  # noqa: S608
            f"household_id FROM {CITIZEN} WHERE id_number {{among}}",
            id_numbers,
        )
        return {r[0]: (r[1], r[2], _day(r[3]), r[4], r[5], r[6], r[7], r[8]) for r in rows}

    def _households(self, cursor: Any, named: list[str], *, insert: bool = True) -> None:
        """Resolve the chunk's household codes to ids, creating or moving households.

        A household's place is that of the first valid row naming it; a household
        already known keeps its hamlet when the list only gives the commune.
        """
        codes = self.household_ids.missing(h for h in named if h)
        if not codes:
            return
        ids: dict[str, int] = {}  # the codes' ids, remembered in household_ids at the end
        places = self.checker.households.lookup(codes)
        place_of = dict(
            zip(
                codes,
                zip(places["commune_id"].to_list(), places["unit_id"].to_list(), strict=True),
                strict=True,
            )
        )
        given = self.checker.household_details.lookup(codes).filter("found")
        details = dict(
            zip(
                given[KEY].to_list(),
                zip(given["head_name"].to_list(), given["address"].to_list(), strict=True),
                strict=True,
            )
        )
        found: dict[str, tuple[int, int, int]] = {}
        known: dict[str, tuple[str, str]] = {}  # code -> head's name, address as stored
        if not self.no_households:
            for code, pk, commune_id, unit_id, head, address in _lookup(
                cursor,
                f"SELECT code, id, commune_id, unit_id, head_name, address FROM {HOUSEHOLD} "  # noqa: S608
                "WHERE code {among}",
                codes,
            ):
                found[code] = (pk, commune_id, unit_id)
                known[code] = (head, address)
            if self.earlier_trees:
                self._load_paths(cursor, {unit_id for _, _, unit_id in found.values()})
        inserts, moves, renamed = [], [], []
        for code in codes:
            commune_id, unit_id = place_of[code]
            old = found.get(code)
            head, address = details.get(code, ("", ""))
            if old is None:
                inserts.append((code, commune_id, unit_id, head, address))
                continue
            # A list that names the head or the address updates them; one that does not
            # leaves what an earlier list gave.
            stored_head, stored_address = known[code]
            if (head or stored_head, address or stored_address) != (stored_head, stored_address):
                renamed.append((head or stored_head, address or stored_address, old[0]))
            pk, old_commune, old_unit = old
            if old_commune == commune_id and unit_id == commune_id:
                unit_id = old_unit
            elif self._same_place(old_unit, unit_id):
                commune_id, unit_id = old_commune, old_unit
            if (old_commune, old_unit) != (commune_id, unit_id):
                moves.append((commune_id, unit_id, pk))
            ids[code] = pk
        if not insert:  # the staged ones go in by SQL (_households_staged)
            inserts = []
        self.report.households_created += len(inserts)
        if self.dry_run:
            for code, *_ in inserts:
                self._fake_id -= 1
                ids[code] = self._fake_id
            self._remember(ids)
            return
        if moves:
            update_rows(cursor, Household, ["commune_id", "unit_id"], moves)
        if renamed:
            update_rows(cursor, Household, ["head_name", "address"], renamed)
        if inserts:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {HOUSEHOLD}")  # noqa: S608
            (before,) = cursor.fetchone()
            with self._inserting(cursor, HOUSEHOLD):
                insert_rows(
                    cursor,
                    Household,
                    ["code", "commune_id", "unit_id", "head_name", "address"],
                    inserts,
                )
            # The households just inserted: their ids are above every id before the insert.
            wanted = {code for code, *_ in inserts}
            cursor.execute(f"SELECT code, id FROM {HOUSEHOLD} WHERE id > %s", [before])  # noqa: S608
            for code, pk in cursor.fetchall():
                if code in wanted:
                    ids[code] = pk
        self._remember(ids)

    def _remember(self, ids: dict[str, int]) -> None:
        """Remember the ids of households not met before."""
        self.household_ids.add(
            pl.DataFrame(
                {KEY: list(ids), "id": list(ids.values())}, schema={KEY: pl.String, "id": pl.Int64}
            )
        )

    def _citizens(
        self, cursor: Any, frame: pl.DataFrame, existing: dict[str, tuple[Any, ...]]
    ) -> None:
        report = self.report
        new = frame.filter(~pl.col("id_number").is_in(list(existing))) if existing else frame
        known = frame.filter(pl.col("id_number").is_in(list(existing))) if existing else None
        updates: list[tuple[Any, ...]] = []
        known_with_state: list[Event] = []
        if known is not None and len(known):
            self._known(known, existing, updates, known_with_state)
        with_state = new.filter(pl.col("state").is_not_null() & pl.col("state_date").is_not_null())
        if len(new):
            self.touched_units.update(
                new.select(pl.coalesce("hamlet_id", "commune_id")).to_series().unique().to_list()
            )
            self.recount_all_days = True
        report.created += len(new)
        report.updated += len(updates)
        events = self._known_events(cursor, known_with_state)
        self.known_events += len(events)
        report.events_created += len(events) + len(with_state)
        if self.dry_run:
            return
        if updates:
            update_rows(cursor, Citizen, CITIZEN_UPDATED, updates)
        first_new = 0
        if len(new):
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {CITIZEN}")  # noqa: S608
            (first_new,) = cursor.fetchone()
            with self._inserting(cursor, CITIZEN):
                if self.staging is None:
                    self._insert_citizens(cursor, self._new_rows(new))
                else:
                    self._insert_citizens_staged(cursor)
        if len(with_state) and self.staging is not None:
            # Their events go in by SQL too, from _insert_events: the citizens between
            # these ids (both bounds: see InsertKeys.inserting on the planner).
            self._new_events_from = first_new
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {CITIZEN}")  # noqa: S608
            (self._new_events_to,) = cursor.fetchone()
            days = with_state["state_date"]
            self._recount_days([days.min(), days.max()])  # type: ignore[list-item]
            self._insert_events(cursor, events)
        elif len(with_state):
            # The citizens just inserted: their ids are above every id before the insert.
            wanted = set(with_state["id_number"].to_list())
            cursor.execute(
                f"SELECT id_number, id FROM {CITIZEN} WHERE id > %s",  # noqa: S608
                [first_new],
            )
            ids = {n: pk for n, pk in cursor.fetchall() if n in wanted}
            events.extend(
                (ids[id_number], state, day, unit_id)
                for id_number, state, day, unit_id in with_state.select(
                    "id_number",
                    "state",
                    "state_date",
                    pl.coalesce("hamlet_id", "commune_id"),
                ).iter_rows()
            )
        if events:
            if self._new_events_from is None:
                self._insert_events(cursor, events)
            self._recount_days([day for _, _, day, _ in events])
            self.touched_units.update(unit for _, _, _, unit in events)
        self._new_events_from = None

    def _recount_days(self, days: list[dt.date]) -> None:
        self.recount_from = min(days + ([self.recount_from] if self.recount_from else []))
        self.recount_to = max(days + ([self.recount_to] if self.recount_to else []))

    def _insert_citizens_staged(self, cursor: Any) -> None:
        """Insert the chunk's staged citizens not yet known, in row order; the household
        of each is found by its code (the chunk's new households are in already)."""
        unknown = (
            ""
            if self.no_citizens  # empty before the import: IDs are unique within the file
            else f" AND NOT EXISTS (SELECT 1 FROM {CITIZEN} c WHERE c.id_number = s.id_number)"  # noqa: S608
        )
        cursor.execute(
            f"INSERT INTO {CITIZEN} ({', '.join(CITIZEN_INSERTED)}) "  # noqa: S608
            "SELECT s.id_number, s.full_name, s.birth_date, s.sex, s.phone, s.commune_id, "
            "s.unit_id, h.id, COALESCE(s.state, %s), s.state_date, %s, %s "
            f"FROM {STAGED} s LEFT JOIN {HOUSEHOLD} h ON s.household <> '' AND h.code = s.household "
            f"WHERE s.chunk = %s{unknown} ORDER BY s.row",
            [AccountState.NOT_REGISTERED.value, self.now, self.now, self.chunk],
        )

    def _households_staged(
        self, cursor: Any, frame: pl.DataFrame, existing: dict[str, tuple[Any, ...]]
    ) -> None:
        """The chunk's households: those already recorded are moved or renamed as in
        `_households`; the new ones, staged with the chunk of their first row, are
        inserted in SQL."""
        named = [h for h in frame["household"].unique().to_list() if h]
        if not named:
            return
        if not self.no_households:
            self._households(cursor, named, insert=False)
        with self._inserting(cursor, HOUSEHOLD):
            cursor.execute(
                f"INSERT INTO {HOUSEHOLD} (code, commune_id, unit_id, head_name, address) "  # noqa: S608
                "SELECT code, commune_id, unit_id, head_name, address "
                f"FROM {STAGED_HOUSEHOLDS} s WHERE s.chunk = %s"
                + (
                    ""
                    if self.no_households
                    else f" AND NOT EXISTS (SELECT 1 FROM {HOUSEHOLD} h WHERE h.code = s.code)"  # noqa: S608
                )
                # The order the row-by-row writer inserted them in: by code.
                + (
                    ' ORDER BY s.code COLLATE "C"'
                    if connection.vendor == "postgresql"
                    else " ORDER BY s.code"
                ),
                [self.chunk],
            )
            self.report.households_created += max(cursor.rowcount, 0)
        if existing:
            # Citizens already known may join a household just created: their ids.
            wanted = self.household_ids.missing(
                set(frame.filter(pl.col("id_number").is_in(list(existing)))["household"].to_list())
                - {""}
            )
            if wanted:
                self._remember(
                    dict(
                        _lookup(
                            cursor,
                            f"SELECT code, id FROM {HOUSEHOLD} WHERE code {{among}}",  # noqa: S608
                            wanted,
                        )
                    )
                )

    def _new_rows(self, new: pl.DataFrame) -> list[tuple[Any, ...]]:
        """The rows to insert for citizens not yet known, in CITIZEN_INSERTED's order."""
        codes = [c for c in new["household"].unique().to_list() if c]
        ids = self.household_ids.lookup(codes)["id"].to_list()
        return new.select(
            "id_number",
            "full_name",
            pl.col("birth_date").cast(pl.String),
            "sex",
            "phone",
            "commune_id",
            pl.coalesce("hamlet_id", "commune_id").alias("unit_id"),
            pl.col("household").replace_strict(codes, ids, default=None, return_dtype=pl.Int64),
            pl.col("state").fill_null(AccountState.NOT_REGISTERED.value),
            pl.col("state_date").cast(pl.String),
            pl.lit(self.now).alias("created_at"),
            pl.lit(self.now).alias("updated_at"),
        ).rows()

    def _known(
        self,
        known: pl.DataFrame,
        existing: dict[str, tuple[Any, ...]],
        updates: list[tuple[Any, ...]],
        known_with_state: list[Event],
    ) -> None:
        """What to change on the citizens already known (row by row: a re-import)."""
        report, now = self.report, self.now
        codes = [c for c in known["household"].unique().to_list() if c]
        ids = dict(zip(codes, self.household_ids.lookup(codes)["id"].to_list(), strict=True))
        for r in map(ValidRow._make, known.iter_rows()):
            unit_id = r.hamlet_id or r.commune_id
            household_id = ids[r.household] if r.household else None
            pk, name, birth, sex, phone, commune_id, old_unit, old_household = existing[r.id_number]
            # What the list does not say is kept: a known hamlet in the same commune,
            # a phone number, a household. A citizen of an earlier tree's unit listed
            # under the unit it became stays where they are (see _same_place).
            new_commune = r.commune_id
            if r.hamlet_id is None and commune_id == r.commune_id:
                unit_id = old_unit
            elif self._same_place(old_unit, unit_id):
                unit_id, new_commune = old_unit, commune_id
                report.kept_in_place += 1
            wanted = (
                r.full_name,
                r.birth_date,
                r.sex,
                r.phone or phone,
                new_commune,
                unit_id,
                household_id if r.household else old_household,
            )
            if wanted != (name, birth, sex, phone, commune_id, old_unit, old_household):
                updates.append((*wanted, now, pk))
                self.moved += unit_id != old_unit
                if (r.birth_date, unit_id) != (birth, old_unit):  # eligibility or place changed
                    self.touched_units.update((unit_id, old_unit))
                    self.recount_all_days = True
            else:
                report.unchanged += 1
            if r.state and r.state_date:
                known_with_state.append((pk, r.state, r.state_date, unit_id))

    def _known_events(self, cursor: Any, known: list[Event]) -> list[Event]:
        """The events to add for citizens already in the database.

        A status adds an event only when it changes something: not when the same
        state on the same day is recorded, nor when the citizen was already in
        that state on that day (a list repeating an unchanged state with a newer
        date adds nothing). An older status slots in; relink fixes `until`.
        """
        if not known:
            return []
        history: dict[int, list[tuple[dt.date, str]]] = {}
        for citizen_id, day, state in _lookup(
            cursor,
            f"SELECT citizen_id, date, state FROM {EVENT} WHERE citizen_id {{among}} "  # noqa: S608
            "ORDER BY citizen_id, date, id",
            [pk for pk, _, _, _ in known],
        ):
            history.setdefault(citizen_id, []).append((_day(day), state))  # type: ignore[arg-type]
        events = []
        for pk, new_state, new_date, unit_id in known:
            past = history.get(pk, [])
            if (new_date, new_state) in past:
                continue
            in_effect = None
            for day, state in past:
                if day > new_date:
                    break
                in_effect = state
            if in_effect != new_state:
                events.append((pk, new_state, new_date, unit_id))
        return events

    def _insert_citizens(self, cursor: Any, rows: list[tuple[Any, ...]]) -> None:
        insert_rows(cursor, Citizen, CITIZEN_INSERTED, rows)

    def _insert_events(self, cursor: Any, events: list[Event]) -> None:
        """Insert `events` (of citizens already known), then the chunk's new citizens'
        events from the staging table when they were inserted from there."""
        source, batch, user, now = Source.POLICE_LIST.value, self.batch_id, self.user_id, self.now
        with self._inserting(cursor, EVENT):
            if events:
                insert_rows(
                    cursor,
                    AccountEvent,
                    EVENT_INSERTED,
                    [
                        (pk, state, day.isoformat(), None, source, unit, batch, user, now, "")
                        for pk, state, day, unit in events
                    ],
                )
            if self._new_events_from is not None:
                cursor.execute(
                    f"INSERT INTO {EVENT} ({', '.join(EVENT_INSERTED)}) "  # noqa: S608
                    "SELECT c.id, s.state, s.state_date, NULL, %s, s.unit_id, %s, %s, %s, '' "
                    f"FROM {STAGED} s JOIN {CITIZEN} c ON c.id_number = s.id_number "
                    "WHERE s.chunk = %s AND c.id > %s AND c.id <= %s AND s.state IS NOT NULL "
                    "AND s.state_date IS NOT NULL ORDER BY s.row",
                    [source, batch, user, now, self.chunk]
                    + [self._new_events_from, self._new_events_to],
                )

    def relink(self) -> None:
        """Recompute `until` chains and current states of the citizens this batch touched:
        those already known that it gave an event, and those it moved (their history
        follows them). Citizens it created need nothing: their one event is open-ended
        and their state was written with them."""
        if not (self.known_events or self.moved):
            return
        sql = (
            f"SELECT e.citizen_id FROM {EVENT} AS e JOIN {CITIZEN} AS c ON c.id = e.citizen_id "  # noqa: S608
            "WHERE e.batch_id = %s AND c.created_at < %s"
        )
        params: tuple[object, ...] = (self.batch_id, self.now)
        if self.moved:
            sql += f" UNION SELECT id FROM {CITIZEN} WHERE updated_at >= %s AND created_at < %s"  # noqa: S608
            params += (self.now, self.now)
        events_relink(sql, params)


def keys_checked_by_statement() -> None:
    """On PostgreSQL, check the foreign keys of the rest of the transaction at the end
    of each statement instead of all at the commit (Django makes them deferred).

    The checks are the same, one per row and key, but PostgreSQL queues a trigger event
    for each until it runs them: deferred to the commit, a 10-million-row list's queue
    held about 1.1 GB of the server's memory (BENCHMARKS, issue 15 (i)), and it grows
    with the list; checked by statement, it holds one merge statement's rows (a chunk).
    The import inserts parents before children, so no statement depends on a later one."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def large_page_cache() -> AbstractContextManager[None]:
    """On SQLite, let the import keep the citizen and event indexes in memory (256 MiB
    instead of the default 2 MiB): inserting a million rows into six indexes otherwise
    spends half its time re-reading index pages. Restored afterwards."""
    return page_cache(SQLITE_CACHE_KIB)


# --- the staging tables ------------------------------------------------------------------

STAGED = "chiendich_staged_citizens"
STAGED_HOUSEHOLDS = "chiendich_staged_households"
_STAGED_COLUMNS = {
    "row": "bigint",
    "chunk": "integer",
    "id_number": "text",
    "full_name": "text",
    "birth_date": "date",
    "sex": "text",
    "phone": "text",
    "commune_id": "bigint",
    "unit_id": "bigint",
    "household": "text",
    "state": "text",
    "state_date": "date",
}
_STAGED_HOUSEHOLD_COLUMNS = {
    "chunk": "integer",
    "code": "text",
    "commune_id": "bigint",
    "unit_id": "bigint",
    "head_name": "text",
    "address": "text",
}


class StagingTables:
    """The valid rows of a checked list in TEMP tables of the import's connection,
    written while the list is checked, before the write's transaction: the write then
    merges them with a few INSERT ... SELECT per chunk, in SQL.

    On SQLite a TEMP table lives in the connection's own temporary database, so
    filling it takes no lock on the main database file: door-to-door outcomes are
    written meanwhile, and only the final merge holds the write lock. On PostgreSQL
    the rows go in with COPY. The tables go with the connection, or with `drop`.
    """

    def __init__(self) -> None:
        self.vendor = connection.vendor
        self._temp_cache: int | None = None
        self._scratch: ScratchFile | None = None  # SQLite outside a transaction
        if self.vendor == "sqlite" and not connection.in_atomic_block:
            # Staged by ADBC into a scratch file of their own (core.bulkload.ScratchFile).
            ddl = []
            for table, columns, order in (
                (STAGED, _STAGED_COLUMNS, "row"),
                (STAGED_HOUSEHOLDS, _STAGED_HOUSEHOLD_COLUMNS, "code"),
            ):
                names = ", ".join(f"{name} {kind}" for name, kind in columns.items())
                ddl.append(f"CREATE TABLE {table} ({names})")
                # A chunk's rows in their order: no sort for the merge's ORDER BY.
                ddl.append(f"CREATE INDEX {table}_chunk ON {table} (chunk, {order})")
            self._scratch = ScratchFile.open(
                "police-list",
                f"chiendich_staged_{next(_SCRATCH_COUNT)}",
                ddl,
                [STAGED, STAGED_HOUSEHOLDS],
                cache_kib=SQLITE_TEMP_CACHE_KIB,  # as the TEMP tables had
            )
            if self._scratch is not None:
                return
        with connection.cursor() as cursor:
            if self.vendor == "sqlite":
                # The temporary database's own page cache (2 MiB by default): most staged
                # pages stay in memory instead of going through a temporary file.
                cursor.execute("PRAGMA temp.cache_size")
                (self._temp_cache,) = cursor.fetchone()
                cursor.execute(f"PRAGMA temp.cache_size = -{SQLITE_TEMP_CACHE_KIB}")
            for table, columns in (
                (STAGED, _STAGED_COLUMNS),
                (STAGED_HOUSEHOLDS, _STAGED_HOUSEHOLD_COLUMNS),
            ):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
                names = ", ".join(f"{name} {kind}" for name, kind in columns.items())
                cursor.execute(f"CREATE TEMP TABLE {table} ({names})")
                # A chunk's rows in their order: no sort for the merge's ORDER BY.
                order = "row" if table == STAGED else "code"
                cursor.execute(f"CREATE INDEX {table}_chunk ON {table} (chunk, {order})")

    def add(self, chunk: int, frame: pl.DataFrame) -> None:
        """Stage one chunk of valid rows (checker.VALID_SCHEMA), in row order."""
        rows = frame.select(
            "row",
            pl.lit(chunk, dtype=pl.Int64).alias("chunk"),
            "id_number",
            "full_name",
            "birth_date",
            "sex",
            "phone",
            "commune_id",
            pl.coalesce("hamlet_id", "commune_id").alias("unit_id"),
            "household",
            "state",
            "state_date",
        )
        self._put(STAGED, list(_STAGED_COLUMNS), rows)

    def add_households(self, rows: pl.DataFrame) -> None:
        """Stage the households to create: code, commune, unit, head's name, address and
        the chunk of the first valid row naming each."""
        self._put(STAGED_HOUSEHOLDS, list(_STAGED_HOUSEHOLD_COLUMNS), rows)

    def _put(self, table: str, columns: list[str], frame: pl.DataFrame) -> None:
        if not len(frame):
            return
        if self._scratch is not None:
            self._scratch.ingest(table, frame.select(columns))
            return
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                # Texts quoted: a cell reading \N stays text; only a missing value is NULL.
                data = frame.write_csv(
                    include_header=False, null_value="\\N", quote_style="non_numeric"
                )
                with cursor.cursor.copy(
                    f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv, NULL '\\N')"
                ) as copy:
                    copy.write(data.encode())
                return
            # Tuples made lazily from the columns: no list of a chunk's rows in memory.
            text = frame.with_columns(pl.col(pl.Date).cast(pl.String))
            rows = zip(*(text[c].to_list() for c in text.columns), strict=True)
            marks = _marks(len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
            if connection.in_atomic_block:
                cursor.executemany(sql, rows)  # type: ignore[arg-type]  # Django takes any iterable
                return
            # One transaction of the temporary database only: no lock on the main one.
            cursor.execute("BEGIN")
            try:
                cursor.executemany(sql, rows)  # type: ignore[arg-type]
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    def ready(self) -> None:
        """Everything is staged: on PostgreSQL, give the planner the tables' statistics
        (autovacuum never analyzes TEMP tables; without them it guesses the merge's joins)."""
        if self.vendor == "postgresql":
            with connection.cursor() as cursor:
                for table in (STAGED, STAGED_HOUSEHOLDS):
                    cursor.execute(f"ANALYZE {table}")

    def drop(self) -> None:
        if self._scratch is not None:
            self._scratch.close()
            self._scratch = None
            return
        try:
            with connection.cursor() as cursor:
                for table in (STAGED, STAGED_HOUSEHOLDS):
                    cursor.execute(f"DROP TABLE IF EXISTS {table}")
                if self._temp_cache is not None:
                    cursor.execute(f"PRAGMA temp.cache_size = {int(self._temp_cache)}")
        except DatabaseError:
            pass  # a failed transaction: the tables go with it or with the connection


_SCRATCH_COUNT = itertools.count(1)  # two imports' scratch files may be attached at once
