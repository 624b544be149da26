"""A simulated year of one-stop dossiers for the demo province (R3–R6).

`dossiers_simulate` writes the dossiers of the calendar year of the plan's TTHC
peak, up to a last day (the campaign's today: 2023 whole for Plan 383, 2026 up
to today for a 2026 plan): about 700,000 a year for a province of 1.4 million
citizens aged 14+ at scale 1.0, in proportion to the plan's population basis.
They are received by the province-level agencies (organizations of level
province directly under the province: Sở Tư pháp, Công an tỉnh...), the
district-level units and their police where the tree has districts, and the
communes and their police, for the procedures of the demo catalogue
(data/danh-muc-tthc-demo.csv, loaded first). In a tree without districts
(since 1/7/2025) the communes and their police receive what districts used to.
Two small agencies have no record-level export and enter aggregate forms for
the reporting batches due by the last day instead (services.aggregate_form_submit),
as Plan 383 VII.2.b lets them.

The shape of the year:
- Online, digitization, online-payment and reuse shares sit low before the TTHC
  peak (the plan's period of its online-dossier targets: 01/9–30/10/2023 in
  Plan 383), climb in its first ten days and stay near their peak level after.
- Each unit has a deterministic performance factor per indicator (0.55–1.45):
  at the peak its online share is its own target in the plan (Plan 383: 70%
  province agencies, 60% districts, 25/55/45% xã/phường/thị trấn) times that
  factor, so some units meet their targets and some do not; payment and
  digitization alike. A unit the plan sets no target for aims at the plan's
  province-level target.
- Procedures that cannot be done online (chứng thực) are never online; a few
  dossiers come by post; fee-bearing procedures are sometimes exempt (fee 0,
  most often marriage registration); some dossiers finish late, some are
  refused or withdrawn, and those not finished by the last day are still open.

Deterministic: the same seed and scale give the same dossiers (each unit has its
own random generator seeded by the seed and its code). Written with raw SQL in
large batches inside one transaction, then the daily counts are rebuilt. A second
call with the same seed and scale writes nothing; another seed or scale replaces
the previous simulation.
"""

from __future__ import annotations

import bisect
import datetime as dt
import gc
import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from chiendich.core import clock
from chiendich.core.bulkload import (
    COPY_NULL,
    copy_escape,
    copy_statement,
    loading,
    rows_insert,
    truncated,
)
from chiendich.demo.forked import FORK_FROM, Forked
from chiendich.plans.models import Plan
from chiendich.plans.selectors import targets_for_unit
from chiendich.units.models import Kind, Level, Unit, UnitType

from .catalogue import DEMO_CATALOGUE, catalogue_load
from .counts import counts_rebuild
from .importing import WRITE_COLUMNS, IsoDates, overdue_day
from .models import (
    FORM_FIELDS,
    Channel,
    Dossier,
    DossierImport,
    DossierStatus,
    Procedure,
)
from .selectors import batch_reports
from .services import aggregate_form_submit
from .simulate_tables import (
    DAYS_ALLOWED,
    DEFAULT_EXEMPT,
    EXEMPT_SHARE,
    FEE,
    ONLINE_PULL,
    VOLUME,
    VOLUME_BASIS,
    holidays,
)

RAMP_DAYS = 10
DEFAULT_SEED = 383
MARKER = "dossiers_simulate(plan={plan}, until={until}, scale={scale}, seed={seed})"
# Procedures whose province agency has no record-level export (it enters forms instead).
FORM_ONLY = ("MP.NV", "MP.TT")

# Province-level procedures by catalogue code prefix -> the receiving agency's code suffix
# ("82-STP"), the first one the province has: the 2025 mergers moved transport to Sở Xây
# dựng, land to Sở Nông nghiệp và Môi trường, information to Sở Khoa học và Công nghệ.
AGENCY_OF_PREFIX = {
    "MP.CA": ("CA",),
    "MP.TP": ("STP",),
    "MP.GT": ("SGTVT", "SXD"),
    "MP.TN": ("STNMT", "SNNMT"),
    "MP.GD": ("SGDDT",),
    "MP.CT": ("SCT",),
    "MP.NV": ("SNV",),
    "MP.TT": ("STTTT", "SKHCN"),
    "MP.TC": ("STC",),
    "MP.KC": ("BQLKCN",),
}
POLICE_PREFIX = "MP.CA"

ONLINE_INDICATOR, PAYMENT_INDICATOR = "online_dossier_rate", "online_payment_rate"
NO_TARGET = 0.5  # the share a unit aims at when the plan sets no target at all


class _Row(NamedTuple):
    """A simulated dossier, in the order of importing.WRITE_COLUMNS."""

    code: str
    procedure_id: int
    unit_id: int
    channel: int
    received_on: dt.date
    due_on: dt.date
    finished_on: dt.date | None
    status: str
    digitized: bool
    e_result: bool
    fee: int
    payment: int
    reused: bool
    overdue_on: dt.date | None


@dataclass(frozen=True)
class _Peak:
    """The TTHC peak the shares rise in (the plan's period of the online-rate targets)."""

    start: dt.date
    end: dt.date
    holidays: frozenset[dt.date] = frozenset()

    def phase(self, day: dt.date) -> float:
        """0 before the peak, rising to 1 over its first days, easing to 0.9 after it."""
        if day < self.start:
            return 0.0
        if day <= self.end:
            return min(1.0, ((day - self.start).days + 1) / RAMP_DAYS)
        return 0.9

    def share(self, low: float, high: float, day: dt.date) -> float:
        return low + (high - low) * self.phase(day)

    def day_weight(self, day: dt.date) -> float:
        if day in self.holidays:
            return 0.1
        weight = (1.0, 1.0, 1.0, 1.0, 1.0, 0.35, 0.08)[day.weekday()]
        return weight * (1.15 if self.start <= day <= self.end else 1.0)


@dataclass(frozen=True)
class _Receiver:
    """A unit that receives dossiers, and what shapes them."""

    unit_id: int
    code: str
    level: str
    online_target: float
    payment_target: float
    volume: dict[str, float]  # procedure code -> dossiers a year (already scaled)


def _org_code(unit: Unit, suffix: str) -> str:
    """The identity of an organization of `unit`: "82-STP", "28249-CA.2025"."""
    return f"{unit.gso_code}-{suffix}{unit.tree_suffix}"


def _fallback_rates(plan: Plan) -> tuple[float, float]:
    """What a unit without a target of its own aims at: the plan's province-level
    online-dossier and payment targets (the first target of each indicator)."""
    found: dict[str, float] = {}
    for t in plan.targets.filter(
        is_context=False, indicator__in=(ONLINE_INDICATOR, PAYMENT_INDICATOR)
    ).order_by("position"):
        found.setdefault(t.indicator, float(t.value) / 100)
    return found.get(ONLINE_INDICATOR, NO_TARGET), found.get(PAYMENT_INDICATOR, NO_TARGET)


def _plan_rates(plan: Plan, unit: Unit, fallback: tuple[float, float]) -> tuple[float, float]:
    """The unit's online-dossier and online-payment targets as shares (the demo aims
    each unit at its own target)."""
    online, payment = fallback
    for t in targets_for_unit(plan, unit):
        if t.indicator == ONLINE_INDICATOR:
            online = float(t.value) / 100
        elif t.indicator == PAYMENT_INDICATOR:
            payment = float(t.value) / 100
    return online, payment


def _peak(plan: Plan) -> _Peak:
    """The plan's TTHC peak: the period of its online-dossier targets (else its first)."""
    target = (
        plan.targets.filter(indicator=ONLINE_INDICATOR, period__isnull=False)
        .select_related("period")
        .order_by("position")
        .first()
    )
    period = target.period if target else plan.periods.order_by("start").first()
    if period is None:
        raise ValueError(f"plan {plan.code} has no period")
    return _Peak(period.start, period.end, frozenset(holidays(period.start.year)))


def _volumes(units: dict[str, Unit]) -> dict[str, dict[str, int]]:
    """VOLUME by level, with a level the tree lacks received by the level below it: since
    1/7/2025 the communes and their police do what the districts did."""
    has_districts = any(
        u.level == Level.DISTRICT and u.kind == Kind.TERRITORIAL for u in units.values()
    )
    if has_districts:
        return VOLUME
    commune = dict(VOLUME[Level.COMMUNE])
    for code, n in VOLUME[Level.DISTRICT].items():
        commune[code] = commune.get(code, 0) + n
    return {Level.PROVINCE: VOLUME[Level.PROVINCE], Level.COMMUNE: commune}


def _receivers(
    province: Unit, procedures: dict[str, Procedure], scale: float, plan: Plan
) -> list[_Receiver]:
    """Every unit that receives dossiers, with its yearly volume per procedure."""
    units = {u.code: u for u in Unit.objects.subtree(province)}
    out: list[_Receiver] = []
    rng = random.Random(f"volumes:{province.code}")  # noqa: S311 - demo data
    fallback = _fallback_rates(plan)
    basis = (plan.document.get("population") or {}).get("aged_14_plus") or VOLUME_BASIS
    scale = scale * basis / VOLUME_BASIS
    volumes = _volumes(units)
    # Province agencies: one per catalogue prefix.
    by_agency: dict[str, dict[str, float]] = {}
    for code, n in volumes[Level.PROVINCE].items():
        suffixes = AGENCY_OF_PREFIX.get(code.rsplit(".", 1)[0], ())
        agency = next(
            (units[c] for c in (_org_code(province, s) for s in suffixes) if c in units), None
        )
        if agency is None or agency.level != Level.PROVINCE or code not in procedures:
            continue
        by_agency.setdefault(agency.code, {})[code] = n * scale
    for code in sorted(by_agency):
        agency = units[code]
        online, payment = _plan_rates(plan, agency, fallback)
        out.append(_Receiver(agency.pk, code, Level.PROVINCE, online, payment, by_agency[code]))
    for level in (Level.DISTRICT, Level.COMMUNE):
        if level not in volumes:
            continue
        territorial = sorted(
            (u for u in units.values() if u.level == level and u.kind == Kind.TERRITORIAL),
            key=lambda u: u.code,
        )
        sizes = {u.code: _size(u, units) * rng.uniform(0.7, 1.3) for u in territorial}
        total = sum(sizes.values()) or 1.0
        for unit in territorial:
            share = sizes[unit.code] / total
            police = units.get(_org_code(unit, "CA"))
            own: dict[str, float] = {}
            by_police: dict[str, float] = {}
            for code, n in volumes[level].items():
                if code not in procedures:
                    continue
                target = by_police if code.startswith(POLICE_PREFIX) and police else own
                target[code] = n * share * scale
            online, payment = _plan_rates(plan, unit, fallback)  # its police aim at it too
            out.append(_Receiver(unit.pk, unit.code, level, online, payment, own))
            if police is not None and by_police:
                out.append(_Receiver(police.pk, police.code, level, online, payment, by_police))
    return out


def _size(unit: Unit, units: dict[str, Unit]) -> float:
    """A district's size is its number of communes; a ward or township is busier."""
    if unit.level == Level.DISTRICT:
        return float(
            sum(1 for u in units.values() if u.parent_id == unit.pk and u.level == Level.COMMUNE)
        )
    return {UnitType.WARD: 1.6, UnitType.TOWNSHIP: 1.3}.get(unit.type, 1.0)  # type: ignore[call-overload]


def _dossiers(
    receiver: _Receiver,
    procedures: dict[str, Procedure],
    seed: int,
    peak: _Peak,
    days: list[dt.date],
    last: dt.date,
) -> Iterator[_Row]:
    """The receiver's dossiers received on `days`, as rows of WRITE_COLUMNS, in day
    order; a dossier not finished by `last` is still open."""
    rng = random.Random(f"{seed}:{receiver.code}")  # noqa: S311 - demo data
    perf = {k: rng.uniform(0.55, 1.45) for k in ("online", "digitized", "payment", "reuse")}
    on_time = rng.uniform(0.82, 0.99)
    cumulative = list(itertools.accumulate(peak.day_weight(d) for d in days))
    codes = sorted(receiver.volume)
    pull = sum(receiver.volume[c] * ONLINE_PULL[procedures[c].online_level] for c in codes)
    mean_pull = pull / (sum(receiver.volume.values()) or 1.0) or 1.0
    drawn: list[tuple[dt.date, str]] = []
    for code in codes:
        n = int(receiver.volume[code]) + (rng.random() < receiver.volume[code] % 1)
        drawn.extend(
            (days[bisect.bisect_left(cumulative, rng.random() * cumulative[-1])], code)
            for _ in range(n)
        )
    drawn.sort()
    online_low, online_high = 0.45 * receiver.online_target, receiver.online_target * perf["online"]
    pay_low, pay_high = 0.25 * receiver.payment_target, receiver.payment_target * perf["payment"]
    for number, (received, code) in enumerate(drawn, start=1):
        p = procedures[code]
        m = ONLINE_PULL[p.online_level]
        online_p = min(0.97, peak.share(online_low, online_high, received) * m / mean_pull)
        if rng.random() < online_p:
            channel = Channel.ONLINE.value
        else:
            channel = Channel.POSTAL.value if rng.random() < 0.02 else Channel.IN_PERSON.value
        allowed = DAYS_ALLOWED.get(code, 5)
        due = received + dt.timedelta(days=allowed)
        if rng.random() < on_time:
            finished: dt.date | None = received + dt.timedelta(days=rng.randint(0, allowed))
        else:
            finished = due + dt.timedelta(days=rng.randint(1, 12))
        roll = rng.random()
        status = (
            DossierStatus.RESOLVED.value
            if roll < 0.94
            else DossierStatus.REJECTED.value
            if roll < 0.97
            else DossierStatus.WITHDRAWN.value
        )
        if finished is not None and finished > last:
            finished = None
            status = (
                DossierStatus.SUPPLEMENT.value
                if rng.random() < 0.1
                else DossierStatus.PROCESSING.value
            )
        digitized_share = min(0.995, peak.share(0.55, 0.92, received) * perf["digitized"])
        digitized = rng.random() < digitized_share
        e_result = status == DossierStatus.RESOLVED.value and rng.random() < min(
            0.995, peak.share(0.5, 0.9, received) * perf["digitized"]
        )
        fee = 0
        payment = 0
        if p.fee_bearing and rng.random() >= EXEMPT_SHARE.get(code, DEFAULT_EXEMPT):
            fee = FEE.get(code, 50_000)
            if rng.random() < min(0.95, peak.share(pay_low, pay_high, received)):
                payment = 1 if rng.random() < 0.75 else 2
        reused = rng.random() < min(0.9, peak.share(0.05, 0.3, received) * perf["reuse"])
        yield _Row(
            f"{receiver.code}.{received:%Y%m%d}.{number:06d}",
            p.pk,
            receiver.unit_id,
            channel,
            received,
            due,
            finished,
            status,
            digitized,
            e_result,
            fee,
            payment,
            reused,
            overdue_day(due, finished),
        )


def _form_counts(
    rows: list[_Row], procedures: dict[int, Procedure], start: dt.date, end: dt.date
) -> dict[str, int]:
    """What a unit without exports would report for a batch window, from its dossiers."""
    counts = dict.fromkeys(FORM_FIELDS, 0)
    for r in rows:
        p = procedures[r.procedure_id]
        if start <= r.received_on <= end:
            counts["received"] += 1
            counts["received_online"] += r.channel == Channel.ONLINE
            counts["digitized"] += r.digitized and (r.e_result or not p.paper_result)
            if p.fee_bearing and r.fee:
                counts["fee_bearing"] += 1
                counts["paid_online"] += r.payment > 0
            counts["reused"] += r.reused
        resolved = r.status == DossierStatus.RESOLVED
        if resolved and r.finished_on is not None and start <= r.finished_on <= end:
            counts["resolved"] += 1
            counts["resolved_e_result"] += r.e_result
    return counts


def dossiers_simulate(
    *,
    plan: Plan | None = None,
    scale: float = 1.0,
    seed: int = DEFAULT_SEED,
    until: dt.date | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> int:
    """Simulate the dossiers of `plan`'s province (default: the latest plan) received
    from 1 January of its TTHC peak's year to `until` (default: the end of that year, or
    the campaign's today if earlier): about 700,000 a year x `scale` for 1.4 million
    citizens aged 14+, in proportion to the plan's population basis. Also the aggregate
    forms of its agencies without exports; rebuilds the daily counts.

    Call after the units, organizations and plan are loaded. Loads the demo
    catalogue first (idempotent). Returns the number of simulated dossiers in the
    database. A second call with the same arguments writes nothing.

    `meanwhile` (say, the demo's VNeID counts) is run here while a child process
    draws the dossiers (demo.forked), before they are written: on two cores the two
    take the time of one.
    """
    plan = plan or Plan.objects.order_by("-issued_on", "-loaded_at").first()
    if plan is None:
        raise ValueError("load a plan before simulating dossiers")
    province = plan.province
    peak = _peak(plan)
    year_start = dt.date(peak.start.year, 1, 1)
    last = min(dt.date(peak.start.year, 12, 31), until or clock.today())
    if last < year_start:
        raise ValueError(f"nothing to simulate before {year_start:%d/%m/%Y}")
    marker = MARKER.format(plan=plan.code, until=last.isoformat(), scale=scale, seed=seed)
    done = DossierImport.objects.filter(file_name=marker, status=DossierImport.Status.DONE).first()
    if done is not None:
        if meanwhile is not None:
            meanwhile()
        return done.created
    catalogue_load(DEMO_CATALOGUE)
    procedures = {p.code: p for p in Procedure.objects.all()}
    by_id = {p.pk: p for p in procedures.values()}
    receivers = _receivers(province, procedures, scale, plan)
    days = [year_start + dt.timedelta(days=k) for k in range((last - year_start).days + 1)]
    form_only = {
        _org_code(province, suffix) for prefix in FORM_ONLY for suffix in AGENCY_OF_PREFIX[prefix]
    }
    expected = sum(sum(r.volume.values()) for r in receivers)
    text = connection.vendor == "postgresql"
    made: Forked[tuple[int, Any]] = Forked(
        lambda: _generate(receivers, procedures, seed, peak, days, last, form_only, text=text),
        fork=expected >= FORK_FROM,
        ahead=meanwhile is not None,
    )
    try:
        if meanwhile is not None:
            meanwhile()
        return _write(made, receivers, by_id, plan, last, form_only, marker)
    finally:
        made.close()


def _write(
    made: Forked[tuple[int, Any]],
    receivers: list[_Receiver],
    procedures: dict[int, Procedure],
    plan: Plan,
    last: dt.date,
    form_only: set[str],
    marker: str,
) -> int:
    """Replace an earlier simulation with the dossiers `made` gives, in one transaction."""
    with transaction.atomic():
        _forget_previous()
        batch = DossierImport.objects.create(
            file_name=marker, sha256="", status=DossierImport.Status.RUNNING
        )
        columns = (*WRITE_COLUMNS, "batch_id")
        tail = (batch.pk,)  # the rows are drawn before the batch exists
        written = 0
        collecting = gc.isenabled()
        gc.disable()  # millions of short-lived acyclic tuples: reference counting frees them
        try:
            table = Dossier._meta.db_table
            with connection.cursor() as cursor, loading(cursor, [table]):
                # An empty table is loaded frozen on PostgreSQL (core.bulkload.truncated).
                frozen = truncated(cursor, [table], only_empty=True)
                statement = copy_statement(table, columns, frozen=frozen)
                batch_tail = b"\t%d\n" % batch.pk
                for index, rows in made:
                    receiver = receivers[index]
                    if receiver.code in form_only:
                        _submit_forms(receiver, rows, procedures, plan, last)
                        continue
                    if isinstance(rows, tuple):  # (count, COPY text without the batch)
                        count, data = rows
                        with connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
                            copy.write(data.replace(b"\n", batch_tail))
                        written += count
                        continue
                    rows_insert(cursor, table, columns, (r + tail for r in rows), frozen=frozen)
                    written += len(rows)
        finally:
            if collecting:
                gc.enable()
        counts_rebuild()
        batch.status = DossierImport.Status.DONE
        batch.created = batch.rows_total = batch.rows_valid = written
        batch.finished_at = timezone.now()
        batch.save()
    return written


def _generate(
    receivers: list[_Receiver],
    procedures: dict[str, Procedure],
    seed: int,
    peak: _Peak,
    days: list[dt.date],
    last: dt.date,
    form_only: set[str],
    *,
    text: bool = False,
) -> Iterator[tuple[int, Any]]:
    """Each receiver's index and dossiers: rows ready to insert (WRITE_COLUMNS), or with
    `text` their number and COPY text (UTF-8, each line without the batch id that ends
    it), or for an agency without exports the _Row records its forms are counted from.
    Pure Python: it may run in another process (demo.forked)."""
    iso = IsoDates()
    for index, receiver in enumerate(receivers):
        rows = list(_dossiers(receiver, procedures, seed, peak, days, last))
        if receiver.code in form_only:
            yield index, rows
            continue
        if text:
            yield index, (len(rows), _copy_text(rows, iso))
            continue
        # Dates as ISO text: the driver's date adapter costs more than the insert.
        yield index, [
            (r.code, r.procedure_id, r.unit_id, r.channel, iso[r.received_on], iso[r.due_on],
             iso[r.finished_on], r.status, r.digitized, r.e_result, r.fee, r.payment, r.reused,
             iso[r.overdue_on])
            for r in rows
        ]  # fmt: skip


def _copy_text(rows: list[_Row], iso: IsoDates) -> bytes:
    """`rows` as COPY text of WRITE_COLUMNS, each line ending before the batch id."""
    flag = {True: "t", False: "f"}
    return "".join(
        f"{copy_escape(r.code)}\t{r.procedure_id}\t{r.unit_id}\t{r.channel}\t"
        f"{iso[r.received_on]}\t{iso[r.due_on]}\t{iso[r.finished_on] or COPY_NULL}\t"
        f"{copy_escape(r.status)}\t{flag[r.digitized]}\t{flag[r.e_result]}\t{r.fee}\t"
        f"{r.payment}\t{flag[r.reused]}\t{iso[r.overdue_on] or COPY_NULL}\n"
        for r in rows
    ).encode()


def _submit_forms(
    receiver: _Receiver,
    rows: list[_Row],
    procedures: dict[int, Procedure],
    plan: Plan,
    last: dt.date,
) -> None:
    """The agency's forms for the batches due by `last` (a batch still running has none)."""
    unit = Unit.objects.get(pk=receiver.unit_id)
    for report in batch_reports(plan):
        assert report.data_from is not None and report.data_to is not None  # noqa: S101
        if report.deadline is not None and report.deadline > last:
            continue
        aggregate_form_submit(
            unit=unit,
            report_key=report.key,
            values=_form_counts(rows, procedures, report.data_from, report.data_to),
            acting_user=None,
            note="Số liệu mô phỏng",
        )


def _forget_previous() -> None:
    """Remove an earlier simulation (another seed or scale) before writing a new one."""
    previous = list(
        DossierImport.objects.filter(file_name__startswith="dossiers_simulate(").values_list(
            "pk", flat=True
        )
    )
    if previous:
        Dossier.objects.filter(batch_id__in=previous)._raw_delete(Dossier.objects.db)  # type: ignore[attr-defined]
        DossierImport.objects.filter(pk__in=previous).delete()
