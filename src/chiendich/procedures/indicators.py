"""The TTHC indicators of Plan 383 (II.1.b–đ), one function each, with their sources.

Every formula follows the formula description of the national index of
service to citizens and businesses (Decision 766/QĐ-TTg of 23/6/2022, as
summarised in MISSION.md "Official indicator definitions") unless its
docstring says otherwise. A rate is numerator / denominator x 100 with two
decimals, None ("N/A") when the denominator is 0 (vneid.progress.rate).

Each function takes the `Sums` of a set of receiving units over a window
(imported records, summed by procedure flags; the aggregate forms of units
without records; what was still open at the window's end) and the formula
variant the plan file chose, and returns the numerator and denominator.
Where the 2023 definition may differ from Decision 766, the plan file's
`indicators[].variant` picks the formula (the first listed here is the
default); `indicators[].scoring` gives the national-index points.

Aggregate forms (forms.py) carry fewer counts than records: a variant that
needs a count a form does not have (say, dossiers resolved online) leaves the
forms out, and `Fraction.forms` says whether they were counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from chiendich.vneid.progress import rate

from .counts import Counts, Flags, OpenCounts
from .models import FORM_FIELDS


@dataclass
class FormCounts:
    """Sums of the aggregate forms counted for a window (see models.AggregateForm)."""

    received: int = 0
    received_online: int = 0
    digitized: int = 0
    fee_bearing: int = 0
    paid_online: int = 0
    resolved: int = 0
    resolved_e_result: int = 0
    reused: int = 0
    forms: int = 0  # how many forms these sums come from

    def add(self, other: FormCounts) -> None:
        mine, theirs = self.__dict__, other.__dict__
        for f in (*FORM_FIELDS, "forms"):
            mine[f] += theirs[f]


@dataclass
class Sums:
    """What the indicators are computed from, for some receiving units over a window."""

    records: dict[Flags, Counts] = field(default_factory=dict)
    forms: FormCounts = field(default_factory=FormCounts)
    open: OpenCounts = field(default_factory=OpenCounts)
    # Dossiers resolved in the window whose result is in the results store (results app).
    stored: dict[Flags, int] = field(default_factory=dict)

    def add(self, other: Sums) -> None:
        for flags, counts in other.records.items():
            self.records.setdefault(flags, Counts()).add(counts)
        for flags, count in other.stored.items():
            self.stored[flags] = self.stored.get(flags, 0) + count
        self.forms.add(other.forms)
        self.open.add(other.open)

    def total(self, where: Callable[[Flags], bool] | None = None) -> Counts:
        """Record counters summed over the procedures whose flags satisfy `where`."""
        out = Counts()
        for flags, counts in self.records.items():
            if where is None or where(flags):
                out.add(counts)
        return out


@dataclass(frozen=True)
class Fraction:
    numerator: int
    denominator: int
    forms: bool = False  # whether aggregate forms were counted

    @property
    def rate(self) -> Decimal | None:
        return rate(self.numerator, self.denominator)


def _paper(flags: Flags) -> bool:
    return flags.paper_result


def _fees(flags: Flags) -> bool:
    return flags.fee_bearing


def _police(flags: Flags) -> bool:
    return flags.police_essential


# --- the indicators ---------------------------------------------------------------------------


def online_dossier_rate(s: Sums, variant: str = "received") -> Fraction:
    """Online dossier rate (Plan 383 II.1.b; R3).

    Source: Decision 766/QĐ-TTg formula description, "online dossiers received in
    the period / all dossiers received in the period" (channel 1 in person, 2 online,
    3 postal).
    - variant "received" (default): numerator = dossiers received on a day of the
      window through channel 2 (online); denominator = every dossier received in the
      window, whatever its channel: a postal dossier (channel 3) is not online but
      counts in the denominator. Forms add "of which online" / "received".
    - variant "resolved" (Plan 383 speaks of dossiers "giải quyết trực tuyến"):
      numerator = dossiers resolved in the window that were received online;
      denominator = dossiers resolved in the window. Forms are not counted (they do
      not say how many resolved dossiers came online).
    """
    if variant == "resolved":
        c = s.total()
        return Fraction(c.resolved_online, c.resolved)
    c, f = s.total(), s.forms
    return Fraction(
        c.received_online + f.received_online, c.received + f.received, forms=f.forms > 0
    )


def online_dossier_rate_police_essential(s: Sums, variant: str = "received") -> Fraction:
    """Online dossier rate of the 11 police services among Project 06's 25 essential
    public services (Plan 383 II.1.b, "phấn đấu đạt 100%"; Decision 06/QĐ-TTg of
    6/1/2022 lists the services; the catalogue flags them: essential_06 and
    police_service).

    Same formula and variants as online_dossier_rate, restricted to dossiers of those
    procedures. Forms are never counted: they do not break dossiers down by procedure.
    """
    police = online_dossier_rate(
        Sums(records={k: v for k, v in s.records.items() if _police(k)}), variant
    )
    return Fraction(police.numerator, police.denominator)


def digitization_rate(s: Sums, variant: str = "components_and_result") -> Fraction:
    """Digitization rate of dossiers and results (Plan 383 II.1.c, at least 90%; R4).

    Source: Decision 766/QĐ-TTg formula description, "dossiers with digitized
    components and, where the procedure has a paper result, an electronic result /
    all dossiers"; Circular 01/2023/TT-VPCP chapter II says what digitizing means.
    - variant "components_and_result" (default): numerator = dossiers received in the
      window with digitized components, and for procedures with a paper result
      (catalogue) also with an electronic result; denominator = dossiers received in
      the window. A paper-result dossier still open has no result yet, so it counts in
      the denominator only.
    - variant "components_only": numerator = dossiers with digitized components.
    Forms add "digitized" / "received" under both variants.
    """
    c, f = s.total(), s.forms
    if variant == "components_only":
        digitized = c.digitized
    else:
        digitized = (
            s.total(_paper).digitized_with_result
            + s.total(lambda flags: not flags.paper_result).digitized
        )
    return Fraction(digitized + f.digitized, c.received + f.received, forms=f.forms > 0)


def electronic_result_rate(s: Sums, variant: str = "standard") -> Fraction:
    """Electronic result rate.

    Source: Decision 766/QĐ-TTg formula description, "resolved dossiers with a result
    file / resolved dossiers of procedures that have a paper result".
    Numerator = dossiers of procedures with a paper result (catalogue) resolved in the
    window whose "Có kết quả điện tử" is 1; denominator = dossiers of those procedures
    resolved in the window (status resolved; refused and withdrawn ones have no
    result). Forms add "of which with an electronic result" / "resolved" (a form does
    not split procedures, so all its resolved dossiers count).
    """
    c, f = s.total(_paper), s.forms
    return Fraction(
        c.resolved_e_result + f.resolved_e_result, c.resolved + f.resolved, forms=f.forms > 0
    )


def data_reuse_rate(s: Sums, variant: str = "standard") -> Fraction:
    """Reuse rate of digitized data in dossiers ("chỉ cung cấp một lần").

    Source: Decision 766/QĐ-TTg formula description, "dossiers with at least one
    component taken from digitized data / dossiers received".
    Numerator = dossiers received in the window whose "Tái sử dụng dữ liệu" is 1;
    denominator = dossiers received in the window. Forms add "reused" / "received".
    """
    c, f = s.total(), s.forms
    return Fraction(c.reused + f.reused, c.received + f.received, forms=f.forms > 0)


def online_payment_rate(s: Sums, variant: str = "any_gateway") -> Fraction:
    """Online payment rate (Plan 383 II.1.d: province 40%, district 35%, commune 30%; R5).

    Source: Decision 766/QĐ-TTg formula description, "dossiers paid online (on the
    national portal or the provincial gateway) / (dossiers of fee-bearing procedures -
    those whose fees are all zero)".
    Denominator = dossiers received in the window of procedures the catalogue marks as
    fee-bearing, minus those whose "Phí, lệ phí" is 0 (exempt: they leave the
    denominator, so a fee-bearing procedure whose fees were all 0 adds nothing).
    - variant "any_gateway" (default): numerator = those dossiers whose "Thanh toán trực
      tuyến" is 1 (national portal) or 2 (provincial gateway). Forms add "of which paid
      online" / "fee-bearing".
    - variant "national_portal" (as Decision 17/QĐ-UBQGCĐS counts): numerator = paid on
      the national portal only (1). Forms are not counted (they do not split gateways).
    """
    c, f = s.total(_fees), s.forms
    payable = c.received - c.fee_zero
    if variant == "national_portal":
        return Fraction(c.paid_national, payable)
    return Fraction(c.paid_online + f.paid_online, payable + f.fee_bearing, forms=f.forms > 0)


def on_time_rate(s: Sums, variant: str = "processed") -> Fraction:
    """On-time rate.

    Source: Decision 766/QĐ-TTg formula description, "dossiers finished (or still
    open) on or before the promised date / dossiers processed".
    - variant "processed" (default): denominator = dossiers finished in the window
      (resolved or refused; withdrawn ones are not processed) plus dossiers still open
      at the window's end, whenever received; numerator = those finished on or before
      "Ngày hẹn trả" plus those open whose due date has not passed at the window's end.
    - variant "finished": only dossiers finished in the window.
    A dossier without a due date cannot be late. Forms are not counted (they carry no
    due dates).
    """
    c = s.total()
    if variant == "finished":
        return Fraction(c.finished_on_time, c.finished)
    still_open = s.open.open
    return Fraction(c.finished_on_time + still_open - s.open.overdue, c.finished + still_open)


def result_reuse_rate(s: Sums, variant: str = "all_resolved") -> Fraction:
    """Result coverage since 01/9/2023 (Plan 383 II.1.đ: 100% of successfully resolved
    dossiers have their result digitized, stored and reusable; R6).

    The window starts no earlier than the `applies_from` of the plan's target (01/9/2023);
    selectors clamp it. A result counts as digitized and stored when the dossier's "Có
    kết quả điện tử" is 1, as the one-stop export says; result_store_coverage measures the
    same target on proof: results actually in the results store (R12).
    - variant "all_resolved" (default): numerator = dossiers resolved in the window
      with an electronic result; denominator = dossiers resolved in the window
      (successfully: refused and withdrawn ones have no result).
    - variant "paper_result_only": only procedures with a paper result.
    Forms add "of which with an electronic result" / "resolved".
    """
    c = s.total(_paper) if variant == "paper_result_only" else s.total()
    f = s.forms
    return Fraction(
        c.resolved_e_result + f.resolved_e_result, c.resolved + f.resolved, forms=f.forms > 0
    )


def result_store_coverage(s: Sums, variant: str = "all_resolved") -> Fraction:
    """Result store coverage since 01/9/2023 (Plan 383 II.1.đ, V.3.b; R6, R12): resolved
    dossiers whose result is in the results store / resolved dossiers.

    The same target as result_reuse_rate (II.1.đ, 100% from 01/9/2023), measured on
    proof instead of the export's "Có kết quả điện tử" column: a result counts when the
    store holds a digitized result naming the dossier's code (results.coverage), revoked
    or not (it was digitized and stored).
    - variant "all_resolved" (default): numerator = dossiers resolved in the window with
      a stored result; denominator = dossiers resolved in the window.
    - variant "paper_result_only": only procedures with a paper result.
    Forms are not counted: they do not say which results are in the store.
    """
    where = _paper if variant == "paper_result_only" else None
    stored = sum(n for flags, n in s.stored.items() if where is None or where(flags))
    return Fraction(stored, s.total(where).resolved)


# --- the registry -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str | Promise  # the plan file's name wins; this is the fallback
    formula: Callable[[Sums, str], Fraction]
    variants: tuple[str, ...] = ("standard",)
    # Measured against another indicator's plan targets (same plan section, other proof).
    targets_of: str = ""

    @property
    def target_key(self) -> str:
        return self.targets_of or self.key


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "online_dossier_rate",
        _("Online dossier rate"),
        online_dossier_rate,
        ("received", "resolved"),
    ),
    Indicator(
        "online_dossier_rate_police_essential",
        _("Online dossier rate of the police essential services"),
        online_dossier_rate_police_essential,
        ("received", "resolved"),
    ),
    Indicator(
        "digitization_rate",
        _("Digitization rate of dossiers and results"),
        digitization_rate,
        ("components_and_result", "components_only"),
    ),
    Indicator("electronic_result_rate", _("Electronic result rate"), electronic_result_rate),
    Indicator("data_reuse_rate", _("Digitized data reuse rate"), data_reuse_rate),
    Indicator(
        "online_payment_rate",
        _("Online payment rate"),
        online_payment_rate,
        ("any_gateway", "national_portal"),
    ),
    Indicator("on_time_rate", _("On-time rate"), on_time_rate, ("processed", "finished")),
    Indicator(
        "result_reuse_rate",
        _("Resolved dossiers with a digitized, reusable result"),
        result_reuse_rate,
        ("all_resolved", "paper_result_only"),
    ),
    Indicator(
        "result_store_coverage",
        _("Resolved dossiers whose result is in the results store"),
        result_store_coverage,
        ("all_resolved", "paper_result_only"),
        targets_of="result_reuse_rate",
    ),
)
BY_KEY = {i.key: i for i in INDICATORS}

# Indicators with only the "standard" formula take no variant in the plan file.
PLAN_VARIANTS = {i.key: i.variants for i in INDICATORS if i.variants != ("standard",)}


def index_score(
    value: Decimal | None, threshold: Decimal | None, pmax: Decimal | None
) -> Decimal | None:
    """The national-index score of a rate (Decision 766/QĐ-TTg formula description):
    `pmax` when the rate reaches `threshold`, else rate x pmax / threshold; two decimals.
    None when the rate is N/A or the plan gives no threshold or Pmax."""
    if value is None or threshold is None or pmax is None or threshold <= 0:
        return None
    if value >= threshold:
        return pmax.quantize(Decimal("0.01"), ROUND_HALF_UP)
    return (value * pmax / threshold).quantize(Decimal("0.01"), ROUND_HALF_UP)
