"""Rebuilding DailyCount from the raw records, for a range of days at once.

Each account event is an interval [date, until) in one state, so instead of
asking "what was everyone's state on day D" sixty times, we add +1 at the
start and -1 at the end of every interval (grouped in SQL by unit, state and
day) and take running sums: one pass over the events gives every day of the
range. Two corrections are applied in Python on the few rows they concern:
citizens who turn 14 inside the range (they count only from that day) and
citizens flagged not eligible (they leave the denominator and the states for
the flagged days); for a single day, where intervals are yes or no, the
flagged citizens' states are grouped in SQL instead. Works the same on SQLite
and PostgreSQL.

The scans read narrow indexes, not the tables: citizens by (unit, state, birth
date) and events by (unit, state, date, until), both in unit order, so SQLite
groups them without a sort; a range's later days and the new activations are
reached by one seek per unit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, models, transaction

from chiendich.core import locks

from .models import ELIGIBLE_AGE, AccountState, DailyCount, DailyCountChange, FlagKind

STATE_FIELDS = {
    AccountState.L1_PENDING: "pending",
    AccountState.L2_PENDING: "pending",
    AccountState.APPROVED: "approved",
    AccountState.ACTIVATED_L1: "activated_l1",
    AccountState.ACTIVATED_L2: "activated_l2",
}
ACTIVATED = (AccountState.ACTIVATED_L1.value, AccountState.ACTIVATED_L2.value)
FIELDS = (
    "citizens",
    "eligible",
    "absent",
    "pending",
    "approved",
    "activated_l1",
    "activated_l2",
    "new_activations",
)
COLUMNS = (*FIELDS, "not_eligible", "not_registered")  # a DailyCount row's counts


def years_before(day: dt.date, years: int) -> dt.date:
    """`day` minus `years` calendar years (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def turns_eligible(birth_date: dt.date) -> dt.date:
    """First day a citizen born on `birth_date` is old enough (the inverse of years_before)."""
    try:
        return birth_date.replace(year=birth_date.year + ELIGIBLE_AGE)
    except ValueError:
        return dt.date(birth_date.year + ELIGIBLE_AGE, 3, 1)


class _Diffs:
    """Difference arrays per (unit, field) over `days` days; index `days` is past the end."""

    def __init__(self, start: dt.date, days: int) -> None:
        self.start, self.days = start, days
        self.data: dict[tuple[int, str], list[int]] = {}

    def index(self, day: dt.date | None) -> int:
        if day is None:
            return self.days
        return min(max((day - self.start).days, 0), self.days)

    def add(
        self, unit: int, field: str, begin: dt.date | None, end: dt.date | None, n: int = 1
    ) -> None:
        """Add `n` to `field` of `unit` on every day in [begin, end) inside the range."""
        i, j = self.index(begin), self.index(end)
        if i >= j:
            return
        row = self.data.get((unit, field))
        if row is None:
            row = self.data[(unit, field)] = [0] * (self.days + 1)
        row[i] += n
        row[j] -= n

    def totals(self) -> dict[int, dict[str, list[int]]]:
        out: dict[int, dict[str, list[int]]] = defaultdict(dict)
        for (unit, field), diff in self.data.items():
            running, values = 0, []
            for k in range(self.days):
                running += diff[k]
                values.append(running)
            out[unit][field] = values
        return out


def _unit_filter(column: str, unit_ids: Collection[int] | None) -> tuple[str, list[Any]]:
    if unit_ids is None:
        return "", []
    ids = sorted(unit_ids)
    return f" AND {column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _filters(
    unit_ids: Collection[int] | None, citizen_id: int | None
) -> tuple[str, list[Any], str, list[Any]]:
    """SQL filters (and parameters) of the rows to count: on tables keyed by citizen
    (events, flags) and on the citizen table itself. One citizen goes through the
    (citizen, date, state) index and the citizen's primary key."""
    ev_filter, ev_params = _unit_filter("unit_id", unit_ids)
    c_filter, c_params = _unit_filter("unit_id", unit_ids)
    if citizen_id is not None:
        ev_filter, ev_params = ev_filter + " AND citizen_id = %s", [*ev_params, citizen_id]
        c_filter, c_params = c_filter + " AND id = %s", [*c_params, citizen_id]
    return ev_filter, ev_params, c_filter, c_params


def _rows(sql: str, params: list[Any]) -> Iterator[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(10_000):
            yield from batch


def _events_of(citizens: list[int], start: dt.date, end: dt.date) -> Iterator[tuple[Any, ...]]:
    """The events of a few citizens (by id) that overlap the range, through the
    unique (citizen, date, state) index, in chunks that keep SQL statements short."""
    for i in range(0, len(citizens), 500):
        chunk = citizens[i : i + 500]
        yield from _rows(
            "SELECT citizen_id, unit_id, state, date, until FROM vneid_accountevent"
            f" WHERE citizen_id IN ({', '.join(['%s'] * len(chunk))})"
            " AND date <= %s AND (until IS NULL OR until > %s)",
            [*chunk, end, start],
        )


def _intervals_minus(
    begin: dt.date, end: dt.date | None, holes: list[tuple[dt.date, dt.date | None]]
) -> list[tuple[dt.date, dt.date | None]]:
    """Parts of [begin, end) that lie inside the union of `holes`."""
    out = []
    for h_begin, h_end in holes:
        lo = max(begin, h_begin)
        hi = h_end if end is None else (end if h_end is None else min(end, h_end))
        if hi is None or lo < hi:
            out.append((lo, hi))
    return out


def _merge(intervals: list[tuple[dt.date, dt.date | None]]) -> list[tuple[dt.date, dt.date | None]]:
    merged: list[tuple[dt.date, dt.date | None]] = []
    for begin, end in sorted(intervals, key=lambda x: x[0]):
        if merged and (merged[-1][1] is None or begin <= merged[-1][1]):  # type: ignore[operator]
            last_begin, last_end = merged[-1]
            new_end = None if last_end is None or end is None else max(last_end, end)
            merged[-1] = (last_begin, new_end)
        else:
            merged.append((begin, end))
    return merged


def compute_counts(
    start: dt.date,
    end: dt.date,
    unit_ids: Collection[int] | None = None,
    *,
    citizen_id: int | None = None,
) -> dict[int, dict[str, list[int]]]:
    """Counts per lowest unit and field, one value per day from `start` to `end`;
    with `citizen_id`, that one citizen's share of them (see counts_citizen_change)."""
    days = (end - start).days + 1
    cutoff = years_before(start, ELIGIBLE_AGE)  # born on or before: eligible all range long
    diffs = _Diffs(start, days)
    ev_filter, ev_params, c_filter, c_params = _filters(unit_ids, citizen_id)

    sqlite = connection.vendor == "sqlite"
    # With no filter, reach each unit's slice of the (unit, state, date, until) index
    # through the unit table: one seek per (unit, state) for a range of dates, instead
    # of a scan of every event (SQLite keeps no statistics to skip-scan by itself, and
    # PostgreSQL does not skip-scan).
    seek = " AND unit_id IN (SELECT id FROM units_unit)" if not ev_params else ""

    # Citizens, those old enough for the whole range, and (listed) those who are not.
    young: dict[int, dt.date] = {}
    if sqlite or citizen_id is not None:
        # One pass over the (unit, state, birth date) index, which on SQLite holds the
        # rowid (one citizen: its row, through the primary key).
        listed = (
            "group_concat(CASE WHEN birth_date > %s THEN CAST(id AS TEXT) || ':' || birth_date END)"
            if sqlite
            else "string_agg(CASE WHEN birth_date > %s THEN CAST(id AS TEXT) || ':' ||"
            " to_char(birth_date, 'YYYY-MM-DD') END, ',')"
        )
        for unit, citizens, adults, minors in _rows(
            "SELECT unit_id, COUNT(*), SUM(CASE WHEN birth_date <= %s THEN 1 ELSE 0 END),"
            f" {listed} FROM vneid_citizen WHERE 1=1{c_filter} GROUP BY unit_id",
            [cutoff, cutoff, *c_params],
        ):
            diffs.add(unit, "citizens", start, None, citizens)
            diffs.add(unit, "eligible", start, None, int(adults or 0))
            # Correction 1: citizens who come of age inside the range (or after it).
            for item in (minors or "").split(","):
                if item:
                    citizen, birth = item.split(":")
                    young[int(citizen)] = turns_eligible(dt.date.fromisoformat(birth))
                    diffs.add(unit, "eligible", young[int(citizen)], None)
    else:
        # PostgreSQL's index holds no id: listing ids in the same pass fetched every
        # citizen's row (10 M citizens: 5.5 s). The counts read birth dates only (a
        # parallel scan), then the few not old enough are listed with their ids.
        for unit, citizens, adults in _rows(
            "SELECT unit_id, COUNT(*), COUNT(*) FILTER (WHERE birth_date <= %s)"
            f" FROM vneid_citizen WHERE 1=1{c_filter} GROUP BY unit_id",
            [cutoff, *c_params],
        ):
            diffs.add(unit, "citizens", start, None, citizens)
            diffs.add(unit, "eligible", start, None, adults)
        for unit, citizen, birth in _rows(
            f"SELECT unit_id, id, birth_date FROM vneid_citizen WHERE birth_date > %s{c_filter}",
            [cutoff, *c_params],
        ):
            young[citizen] = turns_eligible(birth)
            diffs.add(unit, "eligible", young[citizen], None)  # correction 1, as above

    # Every state interval, as if everyone were an adult all range long: those in force
    # on the first day (grouped in the index's order, no sort), those starting and
    # those ending later in the range.
    counted = ", ".join(f"'{state}'" for state in STATE_FIELDS)
    for unit, state, n in _rows(
        "SELECT unit_id, state, COUNT(*) FROM vneid_accountevent WHERE date <= %s"
        f" AND (until IS NULL OR until > %s){ev_filter} GROUP BY unit_id, state",
        [start, start, *ev_params],
    ):
        if state in STATE_FIELDS:
            diffs.add(unit, STATE_FIELDS[state], start, None, n)
    if days > 1:
        for unit, state, day, n in _rows(
            "SELECT unit_id, state, date, COUNT(*) FROM vneid_accountevent"
            f" WHERE state IN ({counted}) AND date > %s AND date <= %s"
            f" AND (until IS NULL OR until > %s){seek}{ev_filter} GROUP BY 1, 2, 3",
            [start, end, start, *ev_params],
        ):
            diffs.add(unit, STATE_FIELDS[state], _date(day), None, n)
        for unit, state, day, n in _rows(
            "SELECT unit_id, state, until, COUNT(*) FROM vneid_accountevent"
            f" WHERE state IN ({counted}) AND until > %s AND until <= %s AND date <= %s"
            f"{ev_filter} GROUP BY 1, 2, 3",
            [start, end, end, *ev_params],
        ):
            diffs.add(unit, STATE_FIELDS[state], _date(day), None, -n)

    if days == 1:
        _one_day_corrections(diffs, start, young, ev_filter, ev_params)
    else:
        _range_corrections(diffs, start, end, young, ev_filter, ev_params)

    # New activations: citizens whose first activation falls on the day. Only the
    # range's activation events are read; the unique (citizen, date, state) index
    # answers "was there an earlier one" for each.
    first_ones = (
        " e.state IN (%s, %s) AND e.date >= %s AND e.date <= %s"
        f"{ev_filter.replace('unit_id', 'e.unit_id').replace(' citizen_id', ' e.citizen_id')}"
        " AND NOT EXISTS (SELECT 1 FROM vneid_accountevent p WHERE p.citizen_id = e.citizen_id"
        "  AND p.date < e.date AND p.state IN (%s, %s))"
    )
    if seek and not sqlite and days == 1:
        # PostgreSQL reads `unit_id IN (SELECT …)` as a join and scanned every event
        # for one day's few activations (10 M citizens: 0.8 s); a subquery per unit
        # (OFFSET 0: not merged into a join) seeks them (0.4 s). Over a range, where
        # activations are millions, its hash join is faster (60 days: 8.9 s, not 12.7).
        activations = (
            "SELECT u.id, e.date, COUNT(DISTINCT e.citizen_id) FROM units_unit u"
            " CROSS JOIN LATERAL (SELECT e.date, e.citizen_id FROM vneid_accountevent e"
            f" WHERE e.unit_id = u.id AND{first_ones} OFFSET 0) AS e GROUP BY 1, 2"
        )
    else:
        activations = (
            "SELECT e.unit_id, e.date, COUNT(DISTINCT e.citizen_id) FROM vneid_accountevent e"
            f" WHERE{first_ones}{seek.replace('unit_id', 'e.unit_id')} GROUP BY 1, 2"
        )
    for unit, first, n in _rows(activations, [*ACTIVATED, start, end, *ev_params, *ACTIVATED]):
        first = _date(first)
        diffs.add(unit, "new_activations", first, first + dt.timedelta(days=1), n)

    return diffs.totals()


def _range_corrections(
    diffs: _Diffs,
    start: dt.date,
    end: dt.date,
    young: dict[int, dt.date],
    ev_filter: str,
    ev_params: list[Any],
) -> None:
    """Corrections 1 and 2 and the absent, day by day over a range, on the few rows
    they concern: the young's and the flagged's intervals are cut in Python."""
    after = end + dt.timedelta(days=1)
    # Correction 1 (continued): the young's states count only from their 14th birthday.
    for citizen, unit, state, begin, until in _events_of(list(young), start, end):
        if state in STATE_FIELDS:
            begin, until = _date(begin), _date(until)
            diffs.add(unit, STATE_FIELDS[state], begin, min(until or after, young[citizen]), -1)

    # Correction 2: flagged not eligible. Remove the flagged days (when of age) from
    # the eligible count and from the state the citizen was in on those days.
    holes: dict[int, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
    units: dict[int, int] = {}
    for citizen, unit, begin, until in _rows(
        "SELECT citizen_id, unit_id, date, until FROM vneid_flag"
        " WHERE kind = %s AND date <= %s AND (until IS NULL OR until > %s)"
        f"{ev_filter}",
        [FlagKind.NOT_ELIGIBLE.value, end, start, *ev_params],
    ):
        holes[citizen].append((_date(begin), _date(until)))
        units[citizen] = unit
    for citizen in holes:
        of_age = young.get(citizen, start)
        holes[citizen] = _merge(
            [(max(b, of_age), e) for b, e in holes[citizen] if e is None or max(b, of_age) < e]
        )
        for begin, until in holes[citizen]:
            diffs.add(units[citizen], "eligible", begin, until, -1)
    flagged = [c for c, h in holes.items() if h]
    for citizen, unit, state, begin, until in _events_of(flagged, start, end):
        if state not in STATE_FIELDS:
            continue
        begin = max(_date(begin), young.get(citizen, start))
        for lo, hi in _intervals_minus(begin, _date(until), holes[citizen]):
            diffs.add(unit, STATE_FIELDS[state], lo, hi, -1)

    # Absent (to revisit) on each day, among the eligible.
    absences: dict[int, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
    absent_in: dict[int, int] = {}
    for citizen, unit, begin, until in _rows(
        "SELECT citizen_id, unit_id, date, until FROM vneid_flag WHERE kind = %s AND date <= %s"
        f" AND (until IS NULL OR until > %s){ev_filter}",
        [FlagKind.ABSENT.value, end, start, *ev_params],
    ):
        begin, until = max(_date(begin), young.get(citizen, start)), _date(until)
        if until is None or begin < until:
            absences[citizen].append((begin, until))
            absent_in[citizen] = unit
    for citizen, intervals in absences.items():  # a citizen counts once, however many flags
        for begin, until in _merge(intervals):
            diffs.add(absent_in[citizen], "absent", begin, until)
            for lo, hi in _intervals_minus(begin, until, holes.get(citizen, [])):
                diffs.add(absent_in[citizen], "absent", lo, hi, -1)


def _one_day_corrections(
    diffs: _Diffs,
    day: dt.date,
    young: dict[int, dt.date],
    ev_filter: str,
    ev_params: list[Any],
) -> None:
    """The same corrections for one day, where intervals are yes or no: the flagged
    citizens' states are grouped in SQL, so a few thousand rows reach Python instead
    of every flagged event. `young` holds exactly the citizens under 14 on `day`."""
    in_force = " AND date <= %s AND (until IS NULL OR until > %s)"
    flags = f"FROM vneid_flag WHERE kind = %s{in_force}{ev_filter}"
    not_eligible = [FlagKind.NOT_ELIGIBLE.value, day, day, *ev_params]
    # Correction 2: citizens flagged not eligible leave the eligible count (once each,
    # if of age: the young are not in it) and the state they are in.
    flagged: dict[int, int] = {}
    for citizen, unit in _rows(f"SELECT citizen_id, unit_id {flags}", not_eligible):
        flagged[citizen] = unit
    for citizen, unit in flagged.items():
        if citizen not in young:
            diffs.add(unit, "eligible", day, None, -1)
    for unit, state, n in _rows(
        "SELECT unit_id, state, COUNT(*) FROM vneid_accountevent"  # noqa: S608
        f" WHERE citizen_id IN (SELECT citizen_id {flags}){in_force} GROUP BY 1, 2",
        [*not_eligible, day, day],
    ):
        if state in STATE_FIELDS:
            diffs.add(unit, STATE_FIELDS[state], day, None, -n)
    # Correction 1: the young's states do not count yet (those flagged are done).
    minors = [citizen for citizen in young if citizen not in flagged]
    for i in range(0, len(minors), 500):
        chunk = minors[i : i + 500]
        for unit, state, n in _rows(
            "SELECT unit_id, state, COUNT(*) FROM vneid_accountevent"  # noqa: S608
            f" WHERE citizen_id IN ({', '.join(['%s'] * len(chunk))}){in_force} GROUP BY 1, 2",
            [*chunk, day, day],
        ):
            if state in STATE_FIELDS:
                diffs.add(unit, STATE_FIELDS[state], day, None, -n)
    # Absent (to revisit), among the eligible: once each, of age and not flagged.
    absent: dict[int, int] = {}
    for citizen, unit in _rows(
        f"SELECT citizen_id, unit_id {flags}", [FlagKind.ABSENT.value, day, day, *ev_params]
    ):
        if citizen not in young and citizen not in flagged:
            absent[citizen] = unit
    for unit in absent.values():
        diffs.add(unit, "absent", day, None)


def _date(value: Any) -> Any:
    """SQLite hands dates back as text from raw SQL; PostgreSQL as dates."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _stored(values: dict[str, int]) -> dict[str, int]:
    """A DailyCount row's values from the counted fields, with the two it derives."""
    states = values["pending"] + values["approved"] + values["activated_l1"]
    states += values["activated_l2"]
    return {
        **values,
        "not_eligible": values["citizens"] - values["eligible"],
        "not_registered": values["eligible"] - states,
    }


@transaction.atomic
def counts_rebuild(
    start: dt.date, end: dt.date | None = None, *, unit_ids: Collection[int] | None = None
) -> int:
    """Replace DailyCount rows for the days `start`..`end` (and the given lowest units,
    or all) with counts computed from the records. Returns the rows written."""
    end = end or start
    counts_lock(shared=False)
    totals = compute_counts(start, end, unit_ids)
    stale = DailyCount.objects.filter(date__gte=start, date__lte=end)
    if unit_ids is not None:
        stale = stale.filter(unit_id__in=list(unit_ids))
    stale._raw_delete(stale.db)  # type: ignore[attr-defined]  # no cascades, no signals
    rows = []
    days = (end - start).days + 1
    as_text = connection.vendor == "sqlite"  # its date adapter is deprecated (Python 3.12)
    for unit, fields in totals.items():
        for k in range(days):
            values = {f: fields.get(f, [0] * days)[k] for f in FIELDS}
            if not any(values.values()):
                continue
            day = start + dt.timedelta(days=k)
            stored = _stored(values)
            rows.append((unit, day.isoformat() if as_text else day, *(stored[c] for c in COLUMNS)))
    # Plain executemany: a province's 60 days are ~85,000 rows, which Django's
    # bulk_create spent most of a rebuild making model objects and SQL text.
    table, names = DailyCount._meta.db_table, ", ".join(["unit_id", "date", *COLUMNS])
    marks = ", ".join(["%s"] * (len(COLUMNS) + 2))
    with connection.cursor() as cursor:
        for i in range(0, len(rows), 10_000):
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608 - our names
                rows[i : i + 10_000],
            )
    if rows:
        # The counts' own version moved (new ids, above every old one), so every cached
        # figure read from now on starts from these rows: none needs the in-place log
        # written up to here (web/stored.py), which would otherwise grow by a row per
        # outcome and unit for the whole campaign. In-place writers wait on counts_lock.
        logged = DailyCountChange.objects.all()
        logged._raw_delete(logged.db)  # type: ignore[attr-defined]
    return len(rows)


def counts_lock(*, shared: bool) -> None:
    """Serialize recounts (exclusive) against changes that adjust counts in place
    (shared), until the transaction ends; call it before taking any row lock.

    Why: a change applied as a difference (counts_citizen_follow) and a recount of
    the same unit running side by side on PostgreSQL could each miss the other, and
    the stored counts would drift from a recount. Shared holders do not block a
    reader, but take turns among themselves (locks.VNEID_CHANGES): their change-log
    ids must commit in order, as the dashboard reads "every change up to the highest
    id" (web/stored.py), which a change committing after a later id would break.
    """
    locks.xact_lock(locks.VNEID_COUNTS, shared=shared)
    if shared:
        locks.xact_lock(locks.VNEID_CHANGES)


def _span() -> tuple[dt.date, dt.date] | None:
    """The first and last counted days. Two queries, each one step of the date index:
    SQLite reads the whole table for MIN and MAX asked together."""
    days = DailyCount.objects.values_list("date", flat=True)
    first = days.order_by("date").first()
    if first is None:
        return None
    last = days.order_by("-date").first()
    assert last is not None  # noqa: S101 - there is a first day, so a last one
    return first, last


@contextmanager
def counts_citizen_follow(citizen_id: int, *, since: dt.date | None) -> Iterator[None]:
    """Keep the stored daily counts equal to a recount across a change to one citizen's
    records (events, flags, unit) made inside the block, from `since` on (None:
    every counted day).

    The citizen's share of the counts is computed before and after the block, on
    that citizen's rows only (their primary key and the (citizen, date, state)
    index: a few milliseconds), and the difference is added to the stored rows.
    A recount of the hamlet instead reads every event of the province (~0.8 s) and,
    inside the write, held SQLite's lock that long for each door-to-door outcome.
    Must run inside the transaction that makes the change, with the citizen's row
    locked, so no other writer changes the same citizen in between. Days not
    counted yet are left to whoever builds them, as counts_refresh does.
    """
    counts_lock(shared=True)
    span = _span()
    if span is None or (since is not None and since > span[1]):
        yield
        return
    start, end = (max(span[0], since) if since else span[0]), span[1]
    before = compute_counts(start, end, citizen_id=citizen_id)
    yield
    after = compute_counts(start, end, citizen_id=citizen_id)
    _counts_add(start, (end - start).days + 1, before, after)


def _counts_add(
    start: dt.date,
    days: int,
    before: dict[int, dict[str, list[int]]],
    after: dict[int, dict[str, list[int]]],
) -> None:
    """Add `after` - `before` to the stored rows, one UPDATE per run of days with the same
    difference (a change usually holds from its day to the last); rows a unit had no
    reason to store (all zero) are created, and rows that fall to all zero removed,
    as counts_rebuild would leave them."""
    zeros = [0] * days
    for unit in sorted(before.keys() | after.keys()):
        old, new = before.get(unit, {}), after.get(unit, {})
        runs: list[tuple[int, int, dict[str, int]]] = []
        for k in range(days):
            delta = _stored({f: new.get(f, zeros)[k] - old.get(f, zeros)[k] for f in FIELDS})
            if not any(delta.values()):
                continue
            if runs and runs[-1][1] == k - 1 and runs[-1][2] == delta:
                runs[-1] = (runs[-1][0], k, delta)
            else:
                runs.append((k, k, delta))
        for first, last, delta in runs:
            _run_add(unit, start + dt.timedelta(days=first), start + dt.timedelta(days=last), delta)


def _run_add(unit: int, first: dt.date, last: dt.date, delta: dict[str, int]) -> None:
    rows = DailyCount.objects.filter(unit_id=unit, date__gte=first, date__lte=last)
    changed = rows.update(**{f: models.F(f) + n for f, n in delta.items() if n})
    if changed < (last - first).days + 1:
        stored = set(rows.values_list("date", flat=True))
        day, missing = first, []
        while day <= last:
            if day not in stored:
                missing.append(DailyCount(unit_id=unit, date=day, **delta))
            day += dt.timedelta(days=1)
        DailyCount.objects.bulk_create(missing)
    if any(n < 0 for n in delta.values()):
        rows.filter(**{f: 0 for f in FIELDS}).delete()
    # What the cached overview adds instead of reading the counts again (web/stored.py).
    DailyCountChange.objects.create(unit_id=unit, first=first, last=last, **delta)


def counts_refresh(
    unit_ids: Collection[int],
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> int:
    """Recount what a write touched: the lowest units `unit_ids`, from `since` (None:
    the first counted day) to the last counted day or `until` if later.

    Nothing is counted yet means nothing to refresh (the first progress query
    builds its days). When most units were touched, one full rebuild is cheaper
    than a long IN list. Returns the rows written.
    """
    if not unit_ids:
        return 0
    span = _span()
    if span is None:
        return 0
    first, last = span
    start = max(first, since) if since else first
    end = max(last, until) if until else last
    if start > end:
        return 0
    counted_units = DailyCount.objects.filter(date=last).count()
    everyone = len(unit_ids) * 2 > counted_units
    return counts_rebuild(start, end, unit_ids=None if everyone else unit_ids)
