"""A simulated year of one-stop dossiers (2023) for the demo province (R3–R6).

`dossiers_simulate` writes about 700,000 dossiers at scale 1.0, received by the
province-level agencies (organizations of level province directly under the
province: Sở Tư pháp, Công an tỉnh...), the district-level units and their
police, and the communes and their police, for the procedures of the demo
catalogue (data/danh-muc-tthc-demo.csv, loaded first). Two small agencies have
no record-level export and enter aggregate forms for the four reporting
batches instead (services.aggregate_form_submit), as Plan 383 VII.2.b lets them.

The shape of the year:
- Online, digitization, online-payment and reuse shares sit low before the TTHC
  peak (01/9–30/10/2023, plan period `tthc`), climb in its first ten days and
  stay near their peak level afterwards.
- Each unit has a deterministic performance factor per indicator (0.55–1.45):
  at the peak its online share is its own Plan 383 target (70% province
  agencies, 60% districts, 25/55/45% xã/phường/thị trấn) times that factor, so
  some units meet their targets and some do not; payment and digitization alike.
- Procedures that cannot be done online (chứng thực) are never online; a few
  dossiers come by post; fee-bearing procedures are sometimes exempt (fee 0,
  most often marriage registration); some dossiers finish late, some are
  refused or withdrawn, and those received in late December are still open.

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
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from chiendich.plans.models import Plan
from chiendich.plans.selectors import plan_for_unit, targets_for_unit
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
    OnlineLevel,
    Procedure,
)
from .selectors import batch_reports
from .services import aggregate_form_submit

YEAR_START, YEAR_END = dt.date(2023, 1, 1), dt.date(2023, 12, 31)
PEAK_START, PEAK_END = dt.date(2023, 9, 1), dt.date(2023, 10, 30)  # also in the plan file
RAMP_DAYS = 10
DEFAULT_SEED = 383
MARKER = "dossiers_simulate(scale={scale}, seed={seed})"
INSERT_BATCH = 20_000
FORM_ONLY = ("SNV", "STTTT")  # province agencies without a record-level export

# Province-level procedures by catalogue code prefix -> receiving agency ("82-" + suffix).
AGENCY_OF_PREFIX = {
    "MP.CA": "CA",
    "MP.TP": "STP",
    "MP.GT": "SGTVT",
    "MP.TN": "STNMT",
    "MP.GD": "SGDDT",
    "MP.CT": "SCT",
    "MP.NV": "SNV",
    "MP.TT": "STTTT",
    "MP.TC": "STC",
    "MP.KC": "BQLKCN",
}
POLICE_PREFIX = "MP.CA"

# Dossiers a year at scale 1.0, by procedure and level of the receiving unit. Codes
# whose unit is not in the tree (tax office, electricity, social insurance...) are absent.
VOLUME: dict[str, dict[str, int]] = {
    Level.PROVINCE: {
        "MP.CA.01": 38_000,
        "MP.CA.02": 4_000,
        "MP.CA.08": 16_000,
        "MP.CA.09": 9_000,
        "MP.CA.10": 2_000,
        "MP.CA.11": 5_000,
        "MP.TP.04": 12_000,
        "MP.GT.01": 21_000,
        "MP.GT.02": 1_000,
        "MP.GT.03": 4_000,
        "MP.TN.01": 14_000,
        "MP.TN.03": 5_000,
        "MP.TN.04": 300,
        "MP.GD.02": 2_000,
        "MP.GD.03": 1_200,
        "MP.GD.01": 3_000,
        "MP.CT.02": 200,
        "MP.CT.03": 1_000,
        "MP.NV.01": 150,
        "MP.NV.02": 800,
        "MP.TT.01": 100,
        "MP.TT.02": 80,
        "MP.TC.02": 1_000,
        "MP.KC.01": 1_100,
    },  # fmt: skip
    Level.DISTRICT: {
        "MP.CA.01": 60_000,
        "MP.CA.02": 5_000,
        "MP.CA.09": 38_000,
        "MP.CA.10": 3_000,
        "MP.CA.11": 9_000,
        "MP.TN.01": 38_000,
        "MP.TN.02": 8_000,
        "MP.TN.03": 10_000,
        "MP.KH.02": 10_000,
        "MP.TP.05": 3_000,
        "MP.TP.07": 2_000,
        "MP.TP.08": 18_000,
        "MP.TP.09": 6_000,
        "MP.TP.10": 6_000,
        "MP.TP.11": 300,
        "MP.XD.01": 6_000,
        "MP.CT.01": 1_000,
        "MP.CT.03": 1_000,
        "MP.GD.02": 1_000,
        "MP.LD.02": 800,
        "MP.LD.03": 1_500,
        "MP.NV.02": 500,
        "MP.TC.02": 500,
        "MP.UB.01": 200,
    },  # fmt: skip
    Level.COMMUNE: {
        "MP.TP.08": 130_000,
        "MP.TP.09": 20_000,
        "MP.TP.10": 15_000,
        "MP.TP.01": 24_000,
        "MP.TP.02": 10_000,
        "MP.TP.03": 8_000,
        "MP.TP.05": 15_000,
        "MP.TP.06": 12_000,
        "MP.TP.07": 3_000,
        "MP.CA.03": 20_000,
        "MP.CA.04": 15_000,
        "MP.CA.05": 35_000,
        "MP.CA.06": 2_000,
        "MP.CA.07": 5_000,
        "MP.CA.12": 8_000,
        "MP.CA.02": 3_000,
        "MP.LD.02": 1_500,
        "MP.LD.03": 2_500,
        "MP.UB.01": 600,
        "MP.UB.02": 300,
    },  # fmt: skip
}
# Promised processing time in days (the procedures' legal time limits, rounded).
DAYS_ALLOWED = {
    "MP.CA.01": 7, "MP.CA.02": 3, "MP.CA.03": 7, "MP.CA.04": 3, "MP.CA.05": 1,
    "MP.CA.06": 1, "MP.CA.07": 2, "MP.CA.08": 8, "MP.CA.09": 2, "MP.CA.10": 2,
    "MP.CA.11": 1, "MP.CA.12": 1, "MP.TP.01": 1, "MP.TP.02": 1, "MP.TP.03": 5,
    "MP.TP.04": 10, "MP.TP.05": 1, "MP.TP.06": 3, "MP.TP.07": 3, "MP.TP.08": 1,
    "MP.TP.09": 1, "MP.TP.10": 2, "MP.TP.11": 15, "MP.GT.01": 5, "MP.GT.02": 5,
    "MP.GT.03": 10, "MP.TN.01": 10, "MP.TN.02": 30, "MP.TN.03": 7, "MP.TN.04": 30,
    "MP.KH.02": 3, "MP.XD.01": 15, "MP.GD.01": 15, "MP.GD.02": 1, "MP.GD.03": 3,
}  # fmt: skip
FEE = {
    "MP.CA.01": 30_000, "MP.CA.03": 20_000, "MP.CA.04": 15_000, "MP.CA.08": 200_000,
    "MP.CA.09": 150_000, "MP.CA.11": 500_000, "MP.TP.03": 30_000, "MP.TP.04": 200_000,
    "MP.TP.05": 8_000, "MP.TP.06": 15_000, "MP.TP.07": 15_000, "MP.TP.08": 6_000,
    "MP.TP.09": 10_000, "MP.TP.10": 50_000, "MP.TP.11": 50_000, "MP.GT.01": 135_000,
    "MP.GT.02": 135_000, "MP.GT.03": 135_000, "MP.TN.01": 100_000, "MP.TN.02": 300_000,
    "MP.TN.03": 100_000, "MP.TN.04": 500_000, "MP.KH.02": 100_000, "MP.XD.01": 75_000,
    "MP.CT.01": 1_200_000, "MP.CT.02": 1_200_000, "MP.CT.03": 1_000_000,
    "MP.GD.02": 20_000, "MP.TT.01": 500_000, "MP.TT.02": 500_000, "MP.KC.01": 600_000,
}  # fmt: skip
EXEMPT_SHARE = {"MP.TP.03": 0.6}  # marriage registration is often exempt
DEFAULT_EXEMPT = 0.06
ONLINE_PULL = {
    OnlineLevel.NONE.value: 0.0,
    OnlineLevel.PARTIAL.value: 0.8,
    OnlineLevel.FULL.value: 1.2,
}
ONLINE_INDICATOR, PAYMENT_INDICATOR = "online_dossier_rate", "online_payment_rate"
# Fallbacks when no plan is loaded (Plan 383 II.1.b and II.1.d); the plan's targets win.
ONLINE_TARGET = {
    Level.PROVINCE.value: 0.70,
    Level.DISTRICT.value: 0.60,
    UnitType.COMMUNE.value: 0.25,
    UnitType.WARD.value: 0.55,
    UnitType.TOWNSHIP.value: 0.45,
}
PAYMENT_TARGET = {Level.PROVINCE.value: 0.40, Level.DISTRICT.value: 0.35, Level.COMMUNE.value: 0.30}
HOLIDAYS = {
    *(dt.date(2023, 1, d) for d in range(20, 27)),  # Tết Quý Mão
    dt.date(2023, 4, 29), dt.date(2023, 4, 30), dt.date(2023, 5, 1), dt.date(2023, 5, 2),
    dt.date(2023, 5, 3), dt.date(2023, 9, 1), dt.date(2023, 9, 2), dt.date(2023, 9, 4),
}  # fmt: skip


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

    start: dt.date = PEAK_START
    end: dt.date = PEAK_END

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
        if day in HOLIDAYS:
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


def _days() -> list[dt.date]:
    return [YEAR_START + dt.timedelta(days=k) for k in range((YEAR_END - YEAR_START).days + 1)]


def _plan_rates(plan: Plan | None, unit: Unit) -> tuple[float, float]:
    """The unit's online-dossier and online-payment targets as shares (the demo aims
    each unit at its own target); the Plan 383 values when no plan is loaded."""
    online = ONLINE_TARGET.get(unit.type, ONLINE_TARGET.get(unit.level, 0.5))
    payment = PAYMENT_TARGET.get(unit.level, 0.3)
    if plan is not None:
        for t in targets_for_unit(plan, unit):
            if t.indicator == ONLINE_INDICATOR:
                online = float(t.value) / 100
            elif t.indicator == PAYMENT_INDICATOR:
                payment = float(t.value) / 100
    return online, payment


def _peak(plan: Plan | None) -> _Peak:
    target = (
        plan.targets.filter(indicator=ONLINE_INDICATOR, period__isnull=False)
        .select_related("period")
        .first()
        if plan
        else None
    )
    if target is None or target.period is None:
        return _Peak()
    return _Peak(target.period.start, target.period.end)


def _receivers(
    province: Unit, procedures: dict[str, Procedure], scale: float, plan: Plan | None
) -> list[_Receiver]:
    """Every unit that receives dossiers, with its yearly volume per procedure."""
    units = {u.code: u for u in Unit.objects.subtree(province)}
    out: list[_Receiver] = []
    rng = random.Random(f"volumes:{province.code}")  # noqa: S311 - demo data
    # Province agencies: one per catalogue prefix.
    by_agency: dict[str, dict[str, float]] = {}
    for code, n in VOLUME[Level.PROVINCE].items():
        suffix = AGENCY_OF_PREFIX.get(code.rsplit(".", 1)[0])
        agency = units.get(f"{province.code}-{suffix}") if suffix else None
        if agency is None or agency.level != Level.PROVINCE or code not in procedures:
            continue
        by_agency.setdefault(agency.code, {})[code] = n * scale
    for code in sorted(by_agency):
        agency = units[code]
        online, payment = _plan_rates(plan, agency)
        out.append(_Receiver(agency.pk, code, Level.PROVINCE, online, payment, by_agency[code]))
    for level in (Level.DISTRICT, Level.COMMUNE):
        territorial = sorted(
            (u for u in units.values() if u.level == level and u.kind == Kind.TERRITORIAL),
            key=lambda u: u.code,
        )
        sizes = {u.code: _size(u, units) * rng.uniform(0.7, 1.3) for u in territorial}
        total = sum(sizes.values()) or 1.0
        for unit in territorial:
            share = sizes[unit.code] / total
            police = units.get(f"{unit.code}-CA")
            own: dict[str, float] = {}
            by_police: dict[str, float] = {}
            for code, n in VOLUME[level].items():
                if code not in procedures:
                    continue
                target = by_police if code.startswith(POLICE_PREFIX) and police else own
                target[code] = n * share * scale
            online, payment = _plan_rates(plan, unit)  # the unit's police aim at it too
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
    receiver: _Receiver, procedures: dict[str, Procedure], seed: int, peak: _Peak
) -> Iterator[_Row]:
    """The receiver's dossiers of the year, as rows of WRITE_COLUMNS, in day order."""
    rng = random.Random(f"{seed}:{receiver.code}")  # noqa: S311 - demo data
    perf = {k: rng.uniform(0.55, 1.45) for k in ("online", "digitized", "payment", "reuse")}
    on_time = rng.uniform(0.82, 0.99)
    days = _days()
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
        if finished is not None and finished > YEAR_END:
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


def dossiers_simulate(*, scale: float = 1.0, seed: int = DEFAULT_SEED) -> int:
    """Simulate the demo province's dossiers of 2023 (about 700,000 x `scale`) and the
    aggregate forms of its agencies without exports; rebuild the daily counts.

    Call after the units, organizations and plan are loaded. Loads the demo
    catalogue first (idempotent). Returns the number of simulated dossiers in the
    database. A second call with the same arguments writes nothing.
    """
    province = (
        Unit.objects.filter(level=Level.PROVINCE, kind=Kind.TERRITORIAL, parent__isnull=True)
        .order_by("code")
        .first()
    )
    if province is None:
        raise ValueError("load the province's units before simulating dossiers")
    marker = MARKER.format(scale=scale, seed=seed)
    done = DossierImport.objects.filter(file_name=marker, status=DossierImport.Status.DONE).first()
    if done is not None:
        return done.created
    catalogue_load(DEMO_CATALOGUE)
    procedures = {p.code: p for p in Procedure.objects.all()}
    by_id = {p.pk: p for p in procedures.values()}
    plan = plan_for_unit(province)
    receivers = _receivers(province, procedures, scale, plan)
    peak = _peak(plan)
    form_only = {f"{province.code}-{suffix}" for suffix in FORM_ONLY}
    with transaction.atomic():
        _forget_previous()
        batch = DossierImport.objects.create(
            file_name=marker, sha256="", status=DossierImport.Status.RUNNING
        )
        columns = ", ".join((*WRITE_COLUMNS, "batch_id"))
        marks = ", ".join(["%s"] * (len(WRITE_COLUMNS) + 1))
        sql = f"INSERT INTO {Dossier._meta.db_table} ({columns}) VALUES ({marks})"  # noqa: S608
        iso = IsoDates()
        written = 0
        collecting = gc.isenabled()
        gc.disable()  # millions of short-lived acyclic tuples: reference counting frees them
        try:
            with connection.cursor() as cursor:
                for receiver in receivers:
                    rows = list(_dossiers(receiver, procedures, seed, peak))
                    if receiver.code in form_only:
                        _submit_forms(receiver, rows, by_id, plan)
                        continue
                    for start in range(0, len(rows), INSERT_BATCH):
                        # Dates as ISO text: the driver's date adapter costs more than the insert.
                        cursor.executemany(
                            sql,
                            [
                                (r.code, r.procedure_id, r.unit_id, r.channel, iso[r.received_on],
                                 iso[r.due_on], iso[r.finished_on], r.status, r.digitized,
                                 r.e_result, r.fee, r.payment, r.reused, iso[r.overdue_on],
                                 batch.pk)
                                for r in rows[start : start + INSERT_BATCH]
                            ],
                        )  # fmt: skip
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


def _submit_forms(
    receiver: _Receiver, rows: list[_Row], procedures: dict[int, Procedure], plan: Plan | None
) -> None:
    if plan is None:
        return
    unit = Unit.objects.get(pk=receiver.unit_id)
    for report in batch_reports(plan):
        assert report.data_from is not None and report.data_to is not None  # noqa: S101
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
