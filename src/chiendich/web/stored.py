"""The dashboard's reads of stored counts (DailyCount, DossierCount), and the cache
that keeps a province overview from re-reading them on every page view.

Everything here reads aggregates only, never citizens or dossiers. A page's
count-derived figures are cached per (unit, day) under `data_version()`, a
fingerprint that moves whenever a count, a form, a target or a unit changes:

- DailyCount rows are rewritten by deleting the rows of the recounted units and
  days and inserting the recount (vneid.counts); DossierCount rows by writing only
  the recount's difference (procedures.counts: changed cells updated, vanished ones
  deleted, new ones inserted) or, for a dossier import, by adding its own difference
  (procedures.counts_difference), and a recount or a difference that changes any
  cell without inserting one writes its highest row again under a new id
  (procedures.counts._max_id_move).
  Ids are never reused (AUTOINCREMENT in SQLite, sequences in PostgreSQL), so a
  recount that yields any row, or changes any, moves the table's MAX(id);
- DailyCount rows are also changed in place by a door-to-door outcome or a
  citizen placed in a hamlet (vneid.counts.counts_citizen_follow), which logs
  each difference as a DailyCountChange in the same transaction, in commit order:
  its MAX(id) is part of the VNeID version (`Snapshot.in_place`), and the
  dashboard's cached VNeID inputs add the logged differences instead of reading
  the counts again (dashboard.VneidInputs);
- aggregate forms, plans, their targets and allocations, units and the
  procedure catalogue are change-logged models: every save or delete of one
  writes an ObjectChange row, so the MAX(id) of those rows moves too;
- the unit trees' bulk loads and hamlet assignments (which move where old
  records count under today's units) each write an AuditEvent.

The five index-only MAX(id) reads and the last counted day are one statement
(`snapshot()`), read once per page view; see bench/bench_dashboard.py for what the
cache saves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.db.models import F, Sum

from chiendich.accounts.models import AuditEvent, ObjectChange
from chiendich.procedures.counts import Counts as DossierCounts
from chiendich.procedures.counts import Flags
from chiendich.procedures.models import COUNT_FIELDS, AggregateForm, DossierCount, Procedure
from chiendich.units.models import Unit
from chiendich.units.selectors import in_territory
from chiendich.vneid.models import DailyCount, DailyCountChange

T = TypeVar("T")
CACHE_SECONDS = 6 * 3600  # entries of an old version are unreachable anyway; this frees memory


def _logged_models() -> list[type[Any]]:
    from chiendich.plans.models import Period, Plan, Target, TargetAllocation

    return [Unit, Plan, Period, Target, TargetAllocation, AggregateForm, Procedure]


VNEID, TTHC = "vneid", "tthc"
# Bulk writes to the unit trees, which the change log does not see.
TREE_EVENTS = (
    AuditEvent.Type.UNITS_LOADED,
    AuditEvent.Type.HAMLET_ASSIGNED,
    AuditEvent.Type.HAMLETS_IMPORTED,
    AuditEvent.Type.ORGANIZATIONS_IMPORTED,
)
COUNT_MODELS: dict[str, Any] = {VNEID: DailyCount, TTHC: DossierCount}


@dataclass(frozen=True)
class Snapshot:
    """What the dashboard's cache keys are made of, read in one query: the highest id
    of each kind's counts, of the change log's rows of the logged models and of the
    tree events, and the last day with VNeID counts (a page's default day)."""

    counts: dict[str, int | None]
    changes: int | None
    trees: int | None
    last_day: dt.date | None
    in_place: int | None = None  # the highest DailyCountChange id (VNeID counts changed in place)

    def version(self, *kinds: str, in_place: bool = True) -> str:
        """The cache version of `kinds`; without `in_place`, VNeID's leaves out the
        in-place changes (what `dashboard.VneidInputs` catch up on by themselves)."""
        parts = [
            f"{self.counts[k]}.{self.in_place}" if k == VNEID and in_place else str(self.counts[k])
            for k in kinds
        ]
        return "-".join([*parts, str(self.changes), str(self.trees)])


def _snapshot_sql(reader: Any = None) -> tuple[str, list[Any]]:
    """One statement of scalar subqueries, each an index probe (MAX over a primary key
    or an index), instead of five round trips to the database; with a `reader`, also
    the paths of their units (what their scope is made of, accounts/restrict.py)."""
    types = ContentType.objects.get_for_models(*_logged_models()).values()  # cached per process
    type_ids = sorted(t.pk for t in types)
    marks = ", ".join(["%s"] * len(type_ids))
    events = ", ".join(["%s"] * len(TREE_EVENTS))
    q = connection.ops.quote_name
    daily, dossier = (q(COUNT_MODELS[k]._meta.db_table) for k in (VNEID, TTHC))
    params: list[Any] = [*type_ids, *(str(e) for e in TREE_EVENTS)]
    paths = "NULL"
    if reader is not None:
        through = reader.units.through
        unit = q(Unit._meta.db_table)
        link = q(through._meta.db_table)
        joined = (
            f"FROM {unit} JOIN {link} ON {link}.{q('unit_id')} = {unit}.{q('id')} "
            f"WHERE {link}.{q('user_id')} = %s"
        )
        # Paths hold no line break (units/models.py: codes joined by "/").
        aggregate = (
            "string_agg(path, chr(10))"
            if connection.vendor == "postgresql"
            else "group_concat(path, char(10))"
        )
        paths = f"(SELECT {aggregate} {joined})"
        params.append(reader.pk)
    # Table names from our models, every value a parameter.
    sql = (
        f"SELECT (SELECT MAX(id) FROM {daily}), (SELECT MAX(id) FROM {dossier}), "  # noqa: S608
        f"(SELECT MAX(id) FROM {q(ObjectChange._meta.db_table)} "
        f"WHERE content_type_id IN ({marks})), "
        f"(SELECT MAX(id) FROM {q(AuditEvent._meta.db_table)} WHERE type IN ({events})), "
        f"(SELECT MAX(date) FROM {daily}), {paths}, "
        f"(SELECT MAX(id) FROM {q(DailyCountChange._meta.db_table)})"
    )
    return sql, params


def _snapshot_read(reader: Any = None) -> Snapshot:
    sql, params = _snapshot_sql(reader)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        vneid, tthc, changes, trees, last, paths, in_place = cursor.fetchone()
    if isinstance(last, str):  # SQLite hands an aggregate's date back as text
        last = dt.date.fromisoformat(last)
    if reader is not None and getattr(reader, "_scope_paths", None) is None:
        # User.scope_paths() keeps its answer on the user for the request: the same
        # sorted list its own query gives, read here in the same round trip.
        reader._scope_paths = sorted(paths.split("\n")) if paths else []
    return Snapshot({VNEID: vneid, TTHC: tthc}, changes, trees, last, in_place)


def snapshot_now() -> Snapshot:
    """The Snapshot as the database holds it now (never the page's own, one_snapshot)."""
    return _snapshot_read()


@contextmanager
def read_snapshot() -> Iterator[None]:
    """Every read inside sees the database as of one moment, while writers go on: a
    read-only transaction (SQLite: a deferred one, which in WAL mode reads one snapshot
    and takes no lock, where Django's own would take the write lock, settings.py;
    PostgreSQL: repeatable read). Inside a transaction already, that one is used."""
    if connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        else:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            cursor.execute("ROLLBACK")  # nothing was written


@dataclass(frozen=True)
class InPlaceChange:
    """One DailyCountChange with where its unit's counts add up (units.path_codes)."""

    id: int
    path: str
    successor_path: str
    first: dt.date
    last: dt.date
    delta: dict[str, int]


def in_place_changes(after: int) -> list[InPlaceChange]:
    """The in-place changes of VNeID counts logged after id `after`, oldest first."""
    from chiendich.vneid.progress import COUNT_FIELDS as FIELDS

    rows = (
        DailyCountChange.objects.filter(id__gt=after)
        .order_by("id")
        .values_list("id", "unit__path", "unit__successor_path", "first", "last", *FIELDS)
    )
    return [
        InPlaceChange(i, path, successor or "", first, last, dict(zip(FIELDS, values, strict=True)))
        for i, path, successor, first, last, *values in rows
    ]


_request_snapshot: ContextVar[list[Snapshot] | None] = ContextVar("snapshot", default=None)


@contextmanager
def one_snapshot(reader: Any = None) -> Iterator[None]:
    """Inside, `snapshot()` reads the database once and then answers from memory: one
    page view asks for the versions of its several cached parts and its default day,
    and they all come from one query. Outside (imports, tests, the shell), every call
    reads again. A signed-in `reader`'s unit paths (their scope) come in the same query,
    read as the first `snapshot()` is."""
    token = _request_snapshot.set([])
    readers = _request_reader.set(
        reader if reader is not None and getattr(reader, "is_authenticated", False) else None
    )
    try:
        yield
    finally:
        _request_snapshot.reset(token)
        _request_reader.reset(readers)


_request_reader: ContextVar[Any] = ContextVar("snapshot_reader", default=None)


def snapshot() -> Snapshot:
    """The current Snapshot (once per `one_snapshot()` block)."""
    held = _request_snapshot.get()
    if held is None:
        return _snapshot_read()
    if not held:
        held.append(_snapshot_read(_request_reader.get()))
    return held[0]


def data_version(*kinds: str) -> str:
    """A fingerprint of everything the dashboard's cached figures of `kinds` (VNEID,
    TTHC) are computed from: those kinds' counts, and the change-logged rows."""
    return snapshot().version(*kinds)


def cached[T](key: str, compute: Callable[[], T], *kinds: str) -> T:
    """`compute()` cached under `key` for the current version of the `kinds` data."""
    full = f"web:{key}:{data_version(*kinds)}"
    found = cache.get(full)
    if found is None:
        found = compute()
        cache.set(full, found, CACHE_SECONDS)
    return found  # type: ignore[no-any-return]


def last_day() -> dt.date | None:
    """The last day with stored VNeID counts (a page's default as-of day)."""
    return snapshot().last_day


def vneid_span() -> tuple[dt.date | None, dt.date | None]:
    """The first and last day with stored VNeID counts (the data's own calendar)."""
    # Two index probes: SQLite answers MIN and MAX together with a full scan.
    days = DailyCount.objects.values_list("date", flat=True)
    return days.order_by("date").first(), days.order_by("-date").first()


@dataclass(frozen=True)
class VneidDay:
    """A unit's VNeID counts on one day, summed over its subtree."""

    day: dt.date
    activated: int
    eligible: int
    new_activations: int


def vneid_series(unit: Unit, start: dt.date, end: dt.date) -> list[VneidDay]:
    """One VneidDay per stored day from `start` to `end`, for `unit`'s subtree."""
    rows = in_territory(DailyCount.objects.filter(date__gte=start, date__lte=end), unit)
    summed = (
        rows.values("date")
        .annotate(
            activated=Sum(F("activated_l1") + F("activated_l2")),
            eligible=Sum("eligible"),
            new=Sum("new_activations"),
        )
        .order_by("date")
    )
    return [
        VneidDay(r["date"], int(r["activated"] or 0), int(r["eligible"] or 0), int(r["new"] or 0))
        for r in summed
    ]


# DossierCount rows of one day, by receiving level and catalogue flags.
TthcDay = dict[str, dict[Flags, DossierCounts]]


def tthc_daily(unit: Unit, start: dt.date, end: dt.date) -> dict[dt.date, TthcDay]:
    """DossierCount counters of `unit`'s subtree for each day from `start` to `end`,
    by the receiving unit's level and the procedure's flags (what the indicator
    formulas group by), so a cumulative rate can be taken on every day."""
    rows = in_territory(DossierCount.objects.filter(day__gte=start, day__lte=end), unit)
    out: dict[dt.date, TthcDay] = {}
    summed: Any = rows.values(
        "day",
        "unit__level",
        "procedure__fee_bearing",
        "procedure__paper_result",
        "procedure__essential_06",
        "procedure__police_service",
    ).annotate(**{f"s_{f}": Sum(f) for f in COUNT_FIELDS})
    for r in summed:
        flags = Flags(
            bool(r["procedure__fee_bearing"]),
            bool(r["procedure__paper_result"]),
            bool(r["procedure__essential_06"] and r["procedure__police_service"]),
        )
        counts = DossierCounts(*(int(r[f"s_{f}"] or 0) for f in COUNT_FIELDS))
        by_flags = out.setdefault(r["day"], {}).setdefault(r["unit__level"], {})
        if flags in by_flags:  # two flag combinations fold into one police flag
            by_flags[flags].add(counts)
        else:
            by_flags[flags] = counts
    return out


def forms_under(unit: Unit, start: dt.date, end: dt.date) -> list[AggregateForm]:
    """Aggregate forms of `unit`'s subtree whose data window lies inside `start`..`end`."""
    forms = in_territory(AggregateForm.objects.filter(data_from__gte=start, data_to__lte=end), unit)
    return list(forms.select_related("unit"))
