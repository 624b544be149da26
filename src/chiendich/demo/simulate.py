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
import multiprocessing
import traceback
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from django.core.management.color import no_style
from django.db import OperationalError, connection, transaction
from django.db.models import Count
from django.utils import timezone

from chiendich.core.bulkload import COPY_NULL as _NULL
from chiendich.core.bulkload import copy_escape as _esc
from chiendich.core.bulkload import copy_statement, loading, rows_insert, truncated
from chiendich.units.models import PATH_SEPARATOR, Kind, Level, Lineage, Unit
from chiendich.vneid.models import Citizen, Household, ImportBatch

from .forked import FORK_FROM, can_fork, generated
from .population import (
    A1,
    A2,
    ACTIVATED,
    APP,
    DEFAULT_SEED,
    L1P,
    L2P,
    NR,
    TYPE_DENSITY,
    VISIT,
    Commune,
    Hamlet,
    Peak,
    _Generator,
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


def communes_load(province: Unit) -> list[Commune]:
    """The province's communes with their hamlets, in code order, each with its weight
    and the CCCD province code of the people registered there, read from the tree.

    A commune of the 2023 tree weighs by its type (wards are denser). A commune formed
    on 1/7/2025 weighs as the communes it was formed from (a predecessor split across
    several new communes counts for each in part), and its people's CCCD numbers carry
    the code of the old province most of those predecessors belonged to ("087" for a
    commune of old Đồng Tháp, now in province 82).
    """
    hamlets: dict[int, list[Hamlet]] = {}
    for h in (
        Unit.objects.subtree(province)
        .filter(level=Level.HAMLET)
        .order_by("code")
        .values("id", "code", "name", "parent_id")
    ):
        hamlets.setdefault(h["parent_id"], []).append(Hamlet(h["id"], h["code"], h["name"]))
    communes = list(
        Unit.objects.subtree(province).territorial().filter(level=Level.COMMUNE).order_by("code")
    )
    links = list(
        Lineage.objects.filter(
            successor__in=communes,
            source=Lineage.Source.GSO,
            predecessor__level=Level.COMMUNE,
            predecessor__kind=Kind.TERRITORIAL,
        ).values_list("successor_id", "predecessor_id", "predecessor__type", "predecessor__path")
    )
    shares = dict(
        Lineage.objects.filter(
            predecessor_id__in={p for _, p, _, _ in links}, source=Lineage.Source.GSO
        )
        .values("predecessor_id")
        .annotate(n=Count("successor_id"))
        .values_list("predecessor_id", "n")
    )
    weight: dict[int, float] = defaultdict(float)
    old_province: dict[int, Counter[str]] = defaultdict(Counter)
    for successor, predecessor, kind, path in links:
        weight[successor] += TYPE_DENSITY.get(kind, 1.0) / shares.get(predecessor, 1)
        old_province[successor][path.split(PATH_SEPARATOR)[0]] += 1
    own = province.gso_code.zfill(3)
    return [
        Commune(
            c.id,
            c.code,
            c.type,
            c.parent_code if c.parent_code != province.code else "",
            tuple(hamlets.get(c.id, ())),
            id_province=(
                old_province[c.id].most_common(1)[0][0].zfill(3) if old_province[c.id] else own
            ),
            weight=weight.get(c.id) or TYPE_DENSITY.get(c.type, 1.0),
        )
        for c in communes
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
    "vneid_household": ["id", "code", "commune_id", "unit_id", "head_name", "address"],
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
    if rows:
        rows_insert(cursor, table, _COLUMNS[table], rows)


MARKER = "population_simulate(province={province}, peak={start}..{end}, today={today}, scale={scale}, seed={seed})"


def _marker(province: Unit, peak: Peak, scale: float, seed: int) -> str:
    return MARKER.format(
        province=province.code,
        start=peak.start.isoformat(),
        end=peak.end.isoformat(),
        today=peak.today.isoformat(),
        scale=scale,
        seed=seed,
    )


def _already_there(
    communes: list[Commune], sizes: list[list[int]], peak: Peak, seed: int, marker: str
) -> bool:
    """Whether the database holds exactly this simulation: its marker (the same peak,
    cut on the same day), as many citizens, and the first commune's first and last
    people as generated."""
    expected = sum(map(sum, sizes))
    if expected == 0 or Citizen.objects.count() != expected:
        return False
    if not ImportBatch.objects.filter(file_name=marker, status=ImportBatch.Status.DONE).exists():
        return False
    first = next(i for i, s in enumerate(sizes) if sum(s))
    _, _, people = next(population([communes[first]], peak, seed=seed, sizes=[sizes[first]]))
    return all(
        Citizen.objects.filter(id_number=p.id_number, full_name=p.full_name).exists()
        for p in (people[0], people[-1])
    )


def population_simulate(
    province: Unit,
    peak: Peak,
    *,
    scale: float = 1.0,
    seed: int = DEFAULT_SEED,
    progress: Callable[[int, int], None] | None = None,
    fork: bool | None = None,
) -> SimulationResult:
    """Write the simulated citizens, households, account events and flags of the
    province's communes (which must be loaded with their hamlets) over `peak`, cut at
    its `today`.

    Skips when the database already holds this very simulation (same province,
    peak, day, scale and seed: a marker in the police-list import history says so);
    otherwise deletes every citizen, event, flag, household and daily count first,
    so a rebuild never duplicates. One transaction: an interrupted run leaves the
    database as it was. `progress(done, total)` is called after each commune. Daily
    counts are left to vneid.counts.counts_rebuild. The people are generated in a
    child process while the parent writes (`fork`; by default from FORK_FROM people
    on, where the platform forks): the same rows either way. On PostgreSQL, PARTS
    children draw consecutive ranges of communes side by side as COPY text (_pieces),
    and the tables, emptied by TRUNCATE, are loaded frozen (core.bulkload.truncated).
    """
    communes = communes_load(province)
    sizes = population_sizes(communes, scale, peak.population, seed)
    marker = _marker(province, peak, scale, seed)
    if _already_there(communes, sizes, peak, seed, marker):
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
            result = _write(communes, sizes, peak, seed, progress, fork)
            ImportBatch.objects.filter(file_name__startswith="population_simulate(").delete()
            ImportBatch.objects.create(
                kind=ImportBatch.Kind.CITIZENS,
                file_name=marker,
                sha256="",
                status=ImportBatch.Status.DONE,
                finished_at=timezone.now(),
                rows_total=result.citizens,
                rows_valid=result.citizens,
                citizens_created=result.citizens,
                events_created=result.events,
            )
            return result
    finally:
        if journal:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA journal_mode = {journal}")


@dataclass
class _Chunk:
    """The rows of one commune, ids given, ready to insert."""

    households: list[tuple[object, ...]]
    citizens: list[tuple[object, ...]]
    events: list[tuple[object, ...]]
    flags: list[tuple[object, ...]]
    activated: int


def _rows(
    communes: list[Commune],
    sizes: list[list[int]],
    peak: Peak,
    seed: int,
    ids: tuple[int, int],
    stamp: object,
) -> Iterator[_Chunk]:
    """Each commune's rows, households and citizens numbered on from `ids` (the largest
    ids in the tables). Pure Python: it may run in another process (_chunks)."""
    day_iso = [peak.date(d).isoformat() for d in range(peak.days)]
    household_id, citizen_id = ids
    for commune, households, people in population(communes, peak, seed=seed, sizes=sizes):
        household_ids: dict[str, int] = {}
        household_rows: list[tuple[object, ...]] = []
        # The head is the household's first member (population.household makes the head
        # first); the address a house number and group in the hamlet, as a police list
        # writes them.
        heads: dict[str, str] = {}
        for p in people:
            heads.setdefault(p.household, p.full_name)
        houses: dict[int, int] = {}
        for code, hamlet in households:
            household_id += 1
            household_ids[code] = household_id
            house = houses[hamlet.id] = houses.get(hamlet.id, 0) + 1
            address = f"Số {house * 2 + 1}, tổ {(house - 1) // 15 + 1}, {hamlet.name}"
            household_rows.append(
                (household_id, code, commune.id, hamlet.id, heads.get(code, ""), address)
            )
        citizen_rows: list[tuple[object, ...]] = []
        event_rows: list[tuple[object, ...]] = []
        flag_rows: list[tuple[object, ...]] = []
        activated = 0
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
            activated += last_state in ACTIVATED
        yield _Chunk(household_rows, citizen_rows, event_rows, flag_rows, activated)


def _chunks(args: tuple[Any, ...], *, fork: bool) -> Iterator[_Chunk]:
    """_rows, made in a forked child process when `fork` (demo.forked), so that
    generating the people and inserting them run side by side on two cores."""
    return generated(lambda: _rows(*args), fork=fork)


# On PostgreSQL the people are drawn by this many child processes side by side (each a
# consecutive range of communes), as COPY text the parent only passes on.
PARTS = 2
_COPY_COLUMNS = {
    **_COLUMNS,
    # The two values a part learns last (demo.population._Generator.id_final) come first.
    "vneid_citizen": [
        "id_number", "household_id", "id", "full_name", "birth_date", "sex", "phone",
        "commune_id", "unit_id", "state", "state_date", "created_at", "updated_at",
    ],
}  # fmt: skip


@dataclass
class _Piece:
    """One commune's rows as COPY text (in the columns of _COPY_COLUMNS), ready to load."""

    index: int  # the commune's position
    households: bytes
    citizens: bytes
    events: bytes
    flags: bytes
    counts: tuple[int, int, int, int, int]  # households, citizens, events, flags, activated


@dataclass
class _Pending:
    """One commune's rows, all but the household ids and ID numbers final: they depend on
    the communes before, which another part may still be drawing."""

    index: int
    first_household: int  # the number within the part of its first household
    households: bytes  # their lines without the id, each ending in a newline
    citizen_ids: str  # the deferred ID numbers, one a line
    citizen_households: array[int]  # each citizen's household number within the part
    citizens: bytes  # their lines without the ID number and household id, one a line
    events: bytes
    flags: bytes
    counts: tuple[int, int, int, int, int]

    def final(
        self, generator: _Generator, before: dict[tuple[str, int, int], int], household_base: int
    ) -> _Piece:
        first = household_base + self.first_household
        households = b"".join(
            b"%d\t%s\n" % (first + i, rest) for i, rest in enumerate(self.households.splitlines())
        )
        citizens = b""
        if self.citizen_households:
            id_final = generator.id_final
            citizens = b"".join(
                b"%s\t%d\t%s\n" % (id_final(number, before).encode(), household_base + h, rest)
                for number, h, rest in zip(
                    self.citizen_ids.split("\n"),
                    self.citizen_households,
                    self.citizens.split(b"\n"),
                    strict=True,
                )
            )
        return _Piece(self.index, households, citizens, self.events, self.flags, self.counts)


class _Part:
    """Draws a consecutive range of communes (a part of the province) as COPY text.

    Its households are numbered from 1 and its ID numbers deferred until `final` is
    told what the parts before it used (their households, their ID serials by bucket):
    then the text is what one process drawing every commune in order would write.
    """

    def __init__(
        self,
        communes: list[Commune],
        sizes: list[list[int]],
        peak: Peak,
        seed: int,
        first: int,
        citizen_id: int,
        stamp: str,
    ) -> None:
        self.communes, self.sizes, self.first = communes, sizes, first
        self.generator = _Generator(seed, peak)
        self.generator.deferred = True
        self.day_iso = [peak.date(d).isoformat() for d in range(peak.days)]
        self.citizen_id = citizen_id  # the last id before this part's first citizen
        self.households = 0
        self.stamp = stamp

    def pending(self) -> Iterator[_Pending]:
        for offset, (commune, per_hamlet) in enumerate(zip(self.communes, self.sizes, strict=True)):
            yield self._commune(self.first + offset, commune, per_hamlet)

    def summary(self) -> tuple[dict[tuple[str, int, int], int], int]:
        """The ID serials this part used by bucket, and its households."""
        return self.generator.serial_counts(), self.households

    def _commune(self, index: int, commune: Commune, per_hamlet: list[int]) -> _Pending:
        # The same rows as _rows, written as text.
        households, people = self.generator.commune(commune, per_hamlet)
        day_iso, stamp = self.day_iso, self.stamp
        heads: dict[str, str] = {}
        for p in people:
            heads.setdefault(p.household, p.full_name)
        number_of: dict[str, int] = {}
        household_lines: list[str] = []
        first_household = self.households + 1
        houses: dict[int, int] = {}
        commune_id = commune.id
        hamlet_names = {h.id: _esc(h.name) for h in commune.hamlets}
        for code, hamlet in households:
            self.households += 1
            number_of[code] = self.households
            house = houses[hamlet.id] = houses.get(hamlet.id, 0) + 1
            address = f"Số {house * 2 + 1}, tổ {(house - 1) // 15 + 1}, {hamlet_names[hamlet.id]}"
            household_lines.append(
                f"{_esc(code)}\t{commune_id}\t{hamlet.id}\t{_esc(heads.get(code, ''))}\t{address}\n"
            )
        citizen_ids: list[str] = []
        citizen_households = array("q")
        citizen_lines: list[str] = []
        events: list[str] = []
        flags: list[str] = []
        activated = n_events = n_flags = 0
        citizen_id = self.citizen_id
        for p in people:
            citizen_id += 1
            hamlet_id = p.hamlet.id
            history = p.events
            last_state, last_day, _ = history[-1]
            citizen_ids.append(p.id_number)
            citizen_households.append(number_of[p.household])
            citizen_lines.append(
                f"{citizen_id}\t{_esc(p.full_name)}\t{p.birth.isoformat()}\t{p.sex}\t"
                f"{_esc(p.phone)}\t{commune_id}\t{hamlet_id}\t{last_state}\t"
                f"{day_iso[last_day]}\t{stamp}\t{stamp}"
            )
            n = len(history)
            for i, (state, day, source) in enumerate(history):
                until = day_iso[history[i + 1][1]] if i + 1 < n else _NULL
                events.append(
                    f"{citizen_id}\t{state}\t{day_iso[day]}\t{until}\t{source}\t{hamlet_id}\t{stamp}\t\n"
                )
            n_events += n
            for kind, reason, day, back in p.flags:
                flags.append(
                    f"{citizen_id}\t{kind}\t{_esc(reason)}\t{day_iso[day]}\t"
                    f"{_NULL if back is None else day_iso[back]}\t{VISIT}\t{hamlet_id}\t{stamp}\t\n"
                )
            n_flags += len(p.flags)
            activated += last_state in ACTIVATED
        self.citizen_id = citizen_id
        counts = (len(household_lines), len(citizen_lines), n_events, n_flags, activated)
        # Kept as UTF-8 bytes, a few arrays: a later part holds its communes until the
        # parts before it are done.
        return _Pending(
            index,
            first_household,
            "".join(household_lines).encode(),
            "\n".join(citizen_ids),
            citizen_households,
            "\n".join(citizen_lines).encode(),
            "".join(events).encode(),
            "".join(flags).encode(),
            counts,
        )


def _parts_split(sizes: list[list[int]], parts: int) -> list[int]:
    """Where each part starts: consecutive ranges of communes of about equal people."""
    people = [sum(s) for s in sizes]
    total = sum(people) or 1
    starts, done = [0], 0
    for index, n in enumerate(people):
        if len(starts) < parts and done >= total * len(starts) / parts:
            starts.append(index)
        done += n
    return starts


def _part_produce(part: _Part, out: Connection, inbox: Connection) -> None:
    """In a child: each commune's _Piece, once the parts before have said what they used
    (`inbox`); then this part's summary. Errors are sent as text."""
    try:
        known: tuple[dict[tuple[str, int, int], int], int] | None = None
        waiting: list[_Pending] = []
        for pending in part.pending():
            if known is None and inbox.poll():
                known = inbox.recv()
            if known is None:
                waiting.append(pending)
                continue
            for earlier in [*waiting, pending]:
                out.send(("piece", earlier.final(part.generator, *known)))
            waiting = []
        if known is None:
            known = inbox.recv()
        for earlier in waiting:
            out.send(("piece", earlier.final(part.generator, *known)))
        out.send(("end", part.summary()))
    except BaseException:  # reported to the parent, which raises it
        out.send(("error", traceback.format_exc()))
    finally:
        out.close()


def _pieces(
    communes: list[Commune],
    sizes: list[list[int]],
    peak: Peak,
    seed: int,
    ids: tuple[int, int],
    stamp: str,
    *,
    parts: int,
    fork: bool,
) -> Iterator[_Piece]:
    """Every commune's rows as COPY text, in commune order: the same rows as _rows. With
    `fork`, `parts` child processes draw consecutive ranges of communes side by side; the
    first sends as it goes, the others as soon as the ones before have finished."""
    starts = _parts_split(sizes, parts if fork and can_fork() else 1)
    ends = [*starts[1:], len(communes)]
    household_id, citizen_id = ids
    made = [
        _Part(
            communes[a:b], sizes[a:b], peak, seed, a,
            citizen_id + sum(map(sum, sizes[:a])), stamp,
        )
        for a, b in zip(starts, ends, strict=True)
    ]  # fmt: skip
    before: dict[tuple[str, int, int], int] = {}
    if len(made) == 1:
        for pending in made[0].pending():
            yield pending.final(made[0].generator, before, household_id)
        return
    context = multiprocessing.get_context("fork")
    children = []
    try:
        for part in made:
            receive, send = context.Pipe(duplex=False)
            inbox, tell = context.Pipe(duplex=False)
            child = context.Process(target=_part_produce, args=(part, send, inbox), daemon=True)
            child.start()
            send.close()
            inbox.close()
            children.append((child, receive, tell))
        for _, receive, tell in children:
            tell.send((before, household_id))
            while True:
                kind, payload = receive.recv()
                if kind == "piece":
                    yield payload
                    continue
                if kind == "error":
                    raise RuntimeError(f"a generating process failed:\n{payload}")
                serials, households = payload
                before = {
                    key: before.get(key, 0) + serials.get(key, 0) for key in {*before, *serials}
                }
                household_id += households
                break
    finally:
        for child, receive, tell in children:
            receive.close()
            tell.close()
            child.join(timeout=10)
            if child.is_alive():
                child.terminate()


def _write_copy(
    cursor: Any,
    communes: list[Commune],
    sizes: list[list[int]],
    peak: Peak,
    seed: int,
    ids: tuple[int, int],
    stamp: object,
    progress: Callable[[int, int], None] | None,
    fork: bool,
    frozen: bool,
    result: SimulationResult,
) -> None:
    """PostgreSQL: load the COPY text of _pieces as it comes (frozen: see truncated)."""
    text_stamp = stamp.isoformat() if isinstance(stamp, dt.datetime) else str(stamp)
    statements = {
        table: copy_statement(table, columns, frozen=frozen)
        for table, columns in _COPY_COLUMNS.items()
    }
    pieces = _pieces(communes, sizes, peak, seed, ids, text_stamp, parts=PARTS, fork=fork)
    for done, piece in enumerate(pieces, start=1):
        for table, data in (
            ("vneid_household", piece.households),
            ("vneid_citizen", piece.citizens),
            ("vneid_accountevent", piece.events),
            ("vneid_flag", piece.flags),
        ):
            if data:
                with connection.wrap_database_errors, cursor.cursor.copy(statements[table]) as copy:
                    copy.write(data)
        households, citizens, events, flags, activated = piece.counts
        result.households += households
        result.citizens += citizens
        result.events += events
        result.flags += flags
        result.activated += activated
        if progress:
            progress(done, len(communes))


def _write(
    communes: list[Commune],
    sizes: list[list[int]],
    peak: Peak,
    seed: int,
    progress: Callable[[int, int], None] | None,
    fork: bool | None = None,
) -> SimulationResult:
    result = SimulationResult()
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    if fork is None:
        fork = sum(map(sum, sizes)) >= FORK_FROM
    with connection.cursor() as cursor:
        if Citizen.objects.exists():
            result.replaced = Citizen.objects.count()
        # TRUNCATE on PostgreSQL (outside a savepoint): the load is then written frozen.
        frozen = truncated(cursor, _TABLES)
        if result.replaced and not frozen:
            for table in _TABLES:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - our table names
        with loading(cursor, list(_COLUMNS)):
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM vneid_household")
            household_id = cursor.fetchone()[0]
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM vneid_citizen")
            citizen_id = cursor.fetchone()[0]
            ids = (household_id, citizen_id)
            if connection.vendor == "postgresql":
                _write_copy(
                    cursor, communes, sizes, peak, seed, ids, stamp, progress, fork, frozen, result
                )
            else:
                args = (communes, sizes, peak, seed, ids, stamp)
                for done, chunk in enumerate(_chunks(args, fork=fork), start=1):
                    _insert(cursor, "vneid_household", chunk.households)
                    _insert(cursor, "vneid_citizen", chunk.citizens)
                    _insert(cursor, "vneid_accountevent", chunk.events)
                    _insert(cursor, "vneid_flag", chunk.flags)
                    result.households += len(chunk.households)
                    result.citizens += len(chunk.citizens)
                    result.events += len(chunk.events)
                    result.flags += len(chunk.flags)
                    result.activated += chunk.activated
                    if progress:
                        progress(done, len(communes))
        if connection.vendor == "postgresql":
            # Ids were given explicitly: move the sequences past them.
            for sql in connection.ops.sequence_reset_sql(no_style(), [Household, Citizen]):
                cursor.execute(sql)
    return result


def police_list_write(
    path: Path,
    province: Unit,
    peak: Peak,
    *,
    as_of: dt.date | None = None,
    scale: float = 1.0,
    seed: int = DEFAULT_SEED,
    rows: int | None = None,
    communes: list[Commune] | None = None,
) -> int:
    """Write the simulated population as a police-list CSV (canonical headers,
    UTF-8, dates dd/mm/yyyy), one row per citizen with the state as of `as_of`
    (default: the peak's today) and the day it started. Streams commune by commune;
    stops after `rows` rows when given. Returns the number of rows written."""
    as_of = as_of or peak.today
    if as_of < peak.start:
        raise ValueError(f"the simulation starts on {peak.start:%d/%m/%Y}")
    day = min((as_of - peak.start).days, peak.last)
    day_vn = [peak.date(d).strftime("%d/%m/%Y") for d in range(peak.days)]
    written = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_HEADERS)
        people_of = population(communes or communes_load(province), peak, scale=scale, seed=seed)
        for commune, _, people in people_of:
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
