"""Writes the simulated population (demo.population) to the database, or as a
police-list CSV for the import benchmark (issue 3, items 5 and 6).

Writing uses raw SQL in large batches inside one transaction: no ORM saves,
no signals, works on SQLite and PostgreSQL (COPY there). Each event's `until`
is computed here (the date of the citizen's next event, NULL for the last) and
Citizen.state/state_date is the last event: exactly what
vneid.services.events_relink would produce, without its cost.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.core.management.color import no_style
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from chiendich.units.models import Level, Unit
from chiendich.vneid.models import Citizen, Household

from .population import (
    A1,
    A2,
    ACTIVATED,
    APP,
    DAYS,
    DEFAULT_SEED,
    END,
    L1P,
    L2P,
    NR,
    START,
    VISIT,
    Commune,
    Hamlet,
    day_date,
    population,
    population_sizes,
)

# Status texts of the police lists (the importer's vocabulary).
STATUS_TEXT = {
    NR: "Chưa đăng ký",
    L1P: "Đã đăng ký mức 1, chờ duyệt",
    L2P: "Đã đăng ký mức 2, chờ duyệt",
    APP: "Đã duyệt, chờ kích hoạt",
    A1: "Đã kích hoạt mức 1",
    A2: "Đã kích hoạt mức 2",
}
CSV_HEADERS = [
    "Số định danh cá nhân",
    "Họ và tên",
    "Ngày sinh",
    "Giới tính",
    "Mã xã",
    "Ấp/Khu phố",
    "Mã hộ",
    "Số điện thoại",
    "Trạng thái",
    "Ngày cập nhật",
]


def communes_load(province_code: str = "82") -> list[Commune]:
    """The province's communes with their hamlets, in code order."""
    province = Unit.objects.get(code=province_code)
    hamlets: dict[int, list[Hamlet]] = {}
    for h in (
        Unit.objects.subtree(province)
        .filter(level=Level.HAMLET)
        .order_by("code")
        .values("id", "code", "name", "parent_id")
    ):
        hamlets.setdefault(h["parent_id"], []).append(Hamlet(h["id"], h["code"], h["name"]))
    return [
        Commune(c.id, c.code, c.type, c.parent_code, tuple(hamlets.get(c.id, ())))
        for c in Unit.objects.subtree(province)
        .territorial()
        .filter(level=Level.COMMUNE)
        .order_by("code")
    ]


@dataclass
class SimulationResult:
    """What `population_simulate` wrote, or found already there (`skipped`)."""

    citizens: int = 0
    households: int = 0
    events: int = 0
    flags: int = 0
    activated: int = 0  # activated (level 1 or 2) at the end of the peak
    skipped: bool = False
    replaced: int = 0  # citizens of an earlier, different simulation deleted first


# Children first: the order rows can be deleted in.
_TABLES = [
    "field_visit",  # door-to-door visits point at citizens and households
    "vneid_dailycount",
    "vneid_flag",
    "vneid_accountevent",
    "vneid_citizen",
    "vneid_household",
]
_COLUMNS = {
    "vneid_household": ["id", "code", "commune_id", "unit_id"],
    "vneid_citizen": [
        "id", "id_number", "full_name", "birth_date", "sex", "phone", "commune_id", "unit_id",
        "household_id", "state", "state_date", "created_at", "updated_at",
    ],
    "vneid_accountevent": ["citizen_id", "state", "date", "until", "source", "unit_id", "recorded_at", "note"],
    "vneid_flag": [
        "citizen_id", "kind", "reason", "date", "until", "source", "unit_id", "recorded_at", "note",
    ],
}  # fmt: skip


def _insert(cursor, table: str, rows: Sequence[tuple[object, ...]]) -> None:  # type: ignore[no-untyped-def]
    if not rows:
        return
    columns = _COLUMNS[table]
    if connection.vendor == "postgresql":
        # COPY is PostgreSQL's bulk path: several times faster than batched INSERTs.
        with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join(["%s"] * len(columns))
    cursor.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",  # noqa: S608 - our names
        rows,
    )


def _indexes_drop(cursor) -> list[str]:  # type: ignore[no-untyped-def]
    """Drop the secondary indexes of the tables we fill and return their SQL.

    Building an index once, over sorted keys, takes about half the time of
    updating it row by row. Inside the caller's transaction (DDL is
    transactional in SQLite and PostgreSQL): a failed run gets its indexes
    back with the rollback. Primary keys and UNIQUE constraints stay.
    """
    tables = ", ".join(f"'{t}'" for t in _COLUMNS)
    if connection.vendor == "sqlite":
        cursor.execute("PRAGMA cache_size = -262144")  # 256 MiB for the sorts and B-trees
        query = f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({tables})"  # noqa: S608 - our table names
    elif connection.vendor == "postgresql":
        query = f"SELECT indexname, indexdef FROM pg_indexes i WHERE schemaname = current_schema() AND tablename IN ({tables}) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"  # noqa: S608
    else:
        return []
    cursor.execute(query)
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in indexes]


def _already_there(communes: list[Commune], sizes: list[list[int]], seed: int) -> bool:
    """Whether the database holds exactly this simulation: as many citizens, and
    the first commune's first and last people as generated."""
    expected = sum(map(sum, sizes))
    if expected == 0 or Citizen.objects.count() != expected:
        return False
    first = next(i for i, s in enumerate(sizes) if sum(s))
    _, _, people = next(population([communes[first]], seed=seed, sizes=[sizes[first]]))
    return all(
        Citizen.objects.filter(id_number=p.id_number, full_name=p.full_name).exists()
        for p in (people[0], people[-1])
    )


def population_simulate(
    *,
    scale: float = 1.0,
    seed: int = DEFAULT_SEED,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Write the simulated citizens, households, account events and flags of the
    province's communes (which must be loaded with their hamlets).

    Skips when the database already holds this very simulation (same scale and
    seed); otherwise deletes every citizen, event, flag, household and daily
    count first, so a rebuild never duplicates. One transaction: an interrupted
    run leaves the database as it was. `progress(done, total)` is called after
    each commune. Daily counts are left to vneid.counts.counts_rebuild.
    """
    communes = communes_load()
    sizes = population_sizes(communes, scale, seed)
    if _already_there(communes, sizes, seed):
        return SimulationResult(citizens=sum(map(sum, sizes)), skipped=True)
    # A rollback journal instead of WAL for this one big write (when not inside
    # a caller's transaction): the new pages are written once, not to the WAL
    # and again at the checkpoint. SQLite refuses the switch while another
    # connection has the file open; then WAL it stays.
    journal = ""
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            journal = cursor.fetchone()[0]
            cursor.execute("PRAGMA busy_timeout")
            timeout = int(cursor.fetchone()[0])
            cursor.execute("PRAGMA busy_timeout = 0")  # ask once, do not wait
            try:
                cursor.execute("PRAGMA journal_mode = DELETE")
            except OperationalError:
                journal = ""
            cursor.execute(f"PRAGMA busy_timeout = {timeout}")
    try:
        with transaction.atomic():
            return _write(communes, sizes, seed, progress)
    finally:
        if journal:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA journal_mode = {journal}")


def _write(
    communes: list[Commune],
    sizes: list[list[int]],
    seed: int,
    progress: Callable[[int, int], None] | None,
) -> SimulationResult:
    result = SimulationResult()
    day_iso = [day_date(d).isoformat() for d in range(DAYS)]
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        if Citizen.objects.exists():
            result.replaced = Citizen.objects.count()
            for table in _TABLES:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - our table names
        indexes = _indexes_drop(cursor)
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM vneid_household")
        household_id = cursor.fetchone()[0]
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM vneid_citizen")
        citizen_id = cursor.fetchone()[0]
        batches = population(communes, seed=seed, sizes=sizes)
        for done, (commune, households, people) in enumerate(batches, start=1):
            household_ids: dict[str, int] = {}
            household_rows = []
            for code, hamlet in households:
                household_id += 1
                household_ids[code] = household_id
                household_rows.append((household_id, code, commune.id, hamlet.id))
            citizen_rows, event_rows, flag_rows = [], [], []
            for p in people:
                citizen_id += 1
                hamlet_id = p.hamlet.id
                events = p.events
                last_state, last_day, _ = events[-1]
                citizen_rows.append(
                    (
                        citizen_id, p.id_number, p.full_name, p.birth.isoformat(), p.sex, p.phone,
                        commune.id, hamlet_id, household_ids[p.household], last_state,
                        day_iso[last_day], stamp, stamp,
                    )
                )  # fmt: skip
                # `until` is the next event's date, NULL for the last: the chain
                # events_relink builds.
                for i, (state, day, source) in enumerate(events):
                    until = day_iso[events[i + 1][1]] if i + 1 < len(events) else None
                    event_rows.append(
                        (citizen_id, state, day_iso[day], until, source, hamlet_id, stamp, "")
                    )
                for kind, reason, day, back in p.flags:
                    flag_rows.append(
                        (
                            citizen_id, kind, reason, day_iso[day],
                            None if back is None else day_iso[back], VISIT, hamlet_id, stamp, "",
                        )
                    )  # fmt: skip
                result.activated += last_state in ACTIVATED
            _insert(cursor, "vneid_household", household_rows)
            _insert(cursor, "vneid_citizen", citizen_rows)
            _insert(cursor, "vneid_accountevent", event_rows)
            _insert(cursor, "vneid_flag", flag_rows)
            result.households += len(household_rows)
            result.citizens += len(citizen_rows)
            result.events += len(event_rows)
            result.flags += len(flag_rows)
            if progress:
                progress(done, len(communes))
        if connection.vendor == "postgresql":
            # Run the deferred foreign-key checks now: PostgreSQL will not build
            # an index on a table with pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for sql in indexes:
            cursor.execute(sql)
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        if connection.vendor == "postgresql":
            # Ids were given explicitly: move the sequences past them.
            for sql in connection.ops.sequence_reset_sql(no_style(), [Household, Citizen]):
                cursor.execute(sql)
    return result


def police_list_write(
    path: Path,
    *,
    as_of: dt.date = END,
    scale: float = 1.0,
    seed: int = DEFAULT_SEED,
    rows: int | None = None,
    communes: list[Commune] | None = None,
) -> int:
    """Write the simulated population as a police-list CSV (canonical headers,
    UTF-8, dates dd/mm/yyyy), one row per citizen with the state as of `as_of`
    and the day it started. Streams commune by commune; stops after `rows` rows
    when given. Returns the number of rows written."""
    if as_of < START:
        raise ValueError(f"the simulation starts on {START:%d/%m/%Y}")
    day = min((as_of - START).days, DAYS - 1)
    day_vn = [day_date(d).strftime("%d/%m/%Y") for d in range(DAYS)]
    written = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_HEADERS)
        for commune, _, people in population(communes or communes_load(), scale=scale, seed=seed):
            for p in people:
                state, since = p.state_on(day)
                writer.writerow(
                    [
                        p.id_number, p.full_name, p.birth.strftime("%d/%m/%Y"),
                        "Nam" if p.sex == "M" else "Nữ", commune.code, p.hamlet.name,
                        p.household, p.phone, STATUS_TEXT[state], day_vn[since],
                    ]
                )  # fmt: skip
                written += 1
                if rows is not None and written >= rows:
                    return written
    return written
