"""The simulated people of a province and their VNeID accounts, day by day through
the plan's VNeID peak (a `Peak`, read from the plan by demo.campaign: Plan 383's
20/8–18/10/2023, or a 2026 plan's period). Pure Python, no database.

Deterministic: the same seed, scale and peak give the same people, ID numbers
and history (random.Random seeded by strings, which does not depend on
PYTHONHASHSEED). Communes are made one at a time, in code order, so memory
stays flat at full scale (the plan's population basis: 1.4 million citizens
aged 14 and over in Tiền Giang, 2.7 million in today's Đồng Tháp).

The shape of the campaign:
- On the first day the police list already shows a share activated (level 1
  or 2), some approved but not activated, some pending, the rest not registered.
- During the peak people register, get approved (SMS) and activate; a third
  of the activations are recorded by door-to-door teams (source "visit").
  Each district (where the tree has one) and each commune gets a performance
  factor, so some exceed their share of the plan's floor and some lag;
  laggards also start slower. The province ends a little above the floor.
- Door-to-door teams flag some people not eligible (no smartphone, no chip
  CCCD, deceased, moved away, other) and some absent, on a day in the period.
- People who turn 14 during the peak can only register from their birthday
  (eligibility by date).
- Households of 2–6 people aged 14+: a head, usually a spouse, then children,
  parents or siblings whose ages fit; children take the father's family name.
- The peak is generated whole, then cut at the campaign's today (`Peak.today`):
  a demo run in the middle of a peak has its history so far and no future.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import TypeVar

from chiendich.units.models import UnitType
from chiendich.vneid.counts import turns_eligible, years_before
from chiendich.vneid.models import (
    ELIGIBLE_AGE,
    AccountState,
    FlagKind,
    NotEligibleReason,
    Source,
)

from . import names as N

T = TypeVar("T")

DEFAULT_SEED = 383

NR, L1P, L2P, APP, A1, A2 = (
    AccountState.NOT_REGISTERED.value,
    AccountState.L1_PENDING.value,
    AccountState.L2_PENDING.value,
    AccountState.APPROVED.value,
    AccountState.ACTIVATED_L1.value,
    AccountState.ACTIVATED_L2.value,
)
ACTIVATED = (A1, A2)
POLICE, VISIT = Source.POLICE_LIST.value, Source.VISIT.value

# How many more people a ward or township has than a rural commune of the same tree;
# a commune formed from several (1/7/2025) weighs as its predecessors (demo.simulate).
TYPE_DENSITY = {UnitType.WARD.value: 1.45, UnitType.TOWNSHIP.value: 1.3}

# Birth-registration provinces of people living here who were born elsewhere:
# the neighbours and the big cities (CCCD PPP codes = GSO province codes).
OTHER_ID_PROVINCES = ["080", "083", "079", "087", "086", "084", "089", "092", "091", "094", "001", "040", "038", "075", "074", "096"]  # fmt: skip
OTHER_ID_WEIGHTS = [18, 16, 14, 10, 8, 6, 5, 5, 3, 3, 3, 2, 2, 2, 2, 2]
PHONE_PREFIXES = ["032", "033", "034", "035", "036", "037", "038", "039", "056", "058", "059", "070", "076", "077", "078", "079", "081", "082", "083", "084", "085", "086", "088", "089", "090", "091", "093", "094", "096", "097", "098"]  # fmt: skip
HOUSEHOLD_SIZES, HOUSEHOLD_WEIGHTS = [2, 3, 4, 5, 6], [22, 27, 27, 15, 9]

# The age and commune factors of the generator average a little under 1, so an end share
# this much above the plan's floor (as a share of the population basis) lands the province a
# little above the floor (calibrated on Plan 383: 903,203 of 1.4 million).
END_OVER_TARGET = 1.054
END_WITHOUT_TARGET = 0.68  # a plan with no count floor: about two in three by the end
# The first day's share, as a part of the last day's: a 60-day peak lifts activations by
# about two thirds (the 2023 police lists: about 41% on the first day, 65% at the end).
START_OF_END = 0.603
NOT_REGISTERED_STEPS = 3  # register -> approved -> activated
# Ages of the people on the police lists, in the peak's year.
OLDEST, YOUNGEST = 93, ELIGIBLE_AGE


@dataclass(frozen=True, slots=True)
class Hamlet:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class Peak:
    """The simulated VNeID peak: the plan's period, the last day simulated (the
    campaign's today, never past the end), the population at scale 1.0, and the
    shares activated on the first and last day (times age and commune factors)."""

    start: dt.date
    end: dt.date
    today: dt.date
    population: int
    start_share: float
    end_share: float

    def __post_init__(self) -> None:
        if not self.start <= self.today <= self.end:
            raise ValueError(f"{self.today} is outside the peak {self.start}–{self.end}")

    @classmethod
    def for_target(
        cls, start: dt.date, end: dt.date, today: dt.date, population: int, target: int | None
    ) -> Peak:
        """A peak whose province ends a little above `target` activated accounts."""
        end_share = (
            min(0.95, END_OVER_TARGET * target / population) if target else END_WITHOUT_TARGET
        )
        return cls(start, end, today, population, START_OF_END * end_share, end_share)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def last(self) -> int:
        """The index of the last simulated day (0 = the first day of the peak)."""
        return (self.today - self.start).days

    def date(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=day)


@dataclass(frozen=True)
class Commune:
    id: int
    code: str
    type: str
    district_code: str  # "" when the commune lies directly under the province (since 2025)
    hamlets: tuple[Hamlet, ...]
    id_province: str  # the CCCD PPP of people registered here ("082"; "087" for old Đồng Tháp)
    weight: float = 1.0  # its size among the province's communes (demo.simulate.communes_load)


@dataclass(slots=True)
class Person:
    """One simulated citizen; days are indexes from the peak's first day (0)."""

    id_number: str
    full_name: str
    birth: dt.date
    sex: str
    phone: str
    hamlet: Hamlet
    household: str
    events: list[tuple[str, int, str]]  # (state, day, source), days strictly increasing
    flags: list[tuple[str, str, int, int | None]] = field(default_factory=list)

    def state_on(self, day: int) -> tuple[str, int]:
        """The state on `day` and the day it started."""
        state, since = self.events[0][0], self.events[0][1]
        for s, d, _ in self.events:
            if d > day:
                break
            state, since = s, d
        return state, since


def _largest_remainder(total: int, weights: list[float]) -> list[int]:
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    out = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (out[i] - exact[i], i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def population_sizes(
    communes: list[Commune], scale: float, population: int, seed: int = DEFAULT_SEED
) -> list[list[int]]:
    """Citizens per hamlet of each commune (0, or 2 and more: households have 2–6 people),
    `population` x `scale` in all, shared by the communes' weights and a seeded factor."""
    weights = [
        c.weight * random.Random(f"{seed}/size/{c.code}").uniform(0.6, 1.5)  # noqa: S311 - demo data
        for c in communes
    ]
    sizes: list[list[int]] = []
    for commune, total in zip(
        communes, _largest_remainder(round(population * scale), weights), strict=True
    ):
        if not commune.hamlets:
            sizes.append([])
            continue
        rng = random.Random(f"{seed}/hamlets/{commune.code}")  # noqa: S311
        per_hamlet = _largest_remainder(total, [rng.uniform(0.6, 1.4) for _ in commune.hamlets])
        # Nobody lives alone on the list: move a lone person to the largest hamlet.
        for i, n in enumerate(per_hamlet):
            if n == 1:
                per_hamlet[i] = 0
                per_hamlet[max(range(len(per_hamlet)), key=per_hamlet.__getitem__)] += 1
        if sum(per_hamlet) == 1:
            per_hamlet = [0] * len(per_hamlet)
        sizes.append(per_hamlet)
    return sizes


def performance(commune: Commune, seed: int = DEFAULT_SEED) -> float:
    """How well a commune's campaign goes (~0.75–1.25): its district's factor times its
    own, or, with no district level (since 1/7/2025), its own over the same spread."""
    own = random.Random(f"{seed}/perf/{commune.code}")  # noqa: S311
    if not commune.district_code:
        return own.uniform(0.78, 1.22)
    district = random.Random(f"{seed}/perf/{commune.district_code}").uniform(0.84, 1.12)  # noqa: S311
    return district * own.uniform(0.9, 1.1)


def _day_curve(perf: float, peak: Peak) -> list[float]:
    """Cumulative weights of the day an activation happens: a ramp-up (slower for
    laggards), quieter weekends and a spurt in the last 10 days of the peak."""
    ramp = 6 + max(0.0, 1.05 - perf) * 40
    days = peak.days
    first = peak.start.weekday()
    cum, total = [], 0.0
    for d in range(days):
        weekday = (1.0, 1.0, 1.0, 1.0, 1.0, 0.8, 0.55)[(first + d) % 7]
        total += min(1.0, (d + 2) / ramp) * weekday * (1.3 if d >= days - 10 else 1.0)
        cum.append(total)
    return cum


def _age_factor(age: int) -> float:
    if age < 18:
        return 0.95
    if age < 60:
        return 1.08
    if age < 70:
        return 0.9
    if age < 80:
        return 0.6
    return 0.3


def _pick[T](rng: random.Random, items: Sequence[T], cum_weights: Sequence[float]) -> T:
    """rng.choices(items, cum_weights=...)[0] without its per-call overhead."""
    return items[bisect.bisect(cum_weights, rng.random() * cum_weights[-1])]


def _pick1[T](rng: random.Random, items: Sequence[T]) -> T:
    return items[int(rng.random() * len(items))]


def _int(rng: random.Random, lo: int, hi: int) -> int:
    """A number from lo to hi inclusive; randint's cost matters at 1.4 million people."""
    return lo + int(rng.random() * (hi - lo + 1))


_OTHER_ID_CUM = list(accumulate(OTHER_ID_WEIGHTS))
_HOUSEHOLD_CUM = list(accumulate(HOUSEHOLD_WEIGHTS))
_SURNAME_CUM = list(accumulate(N.SURNAME_WEIGHTS))
_MIDDLE_MALE_CUM = list(accumulate(N.MIDDLE_MALE_WEIGHTS))
_MIDDLE_MALE_YOUNG_CUM = list(accumulate(N.MIDDLE_MALE_YOUNG_WEIGHTS))
_MIDDLE_FEMALE_CUM = list(accumulate(N.MIDDLE_FEMALE_WEIGHTS))
_MIDDLE_FEMALE_YOUNG_CUM = list(accumulate(N.MIDDLE_FEMALE_YOUNG_WEIGHTS))


_REASONS = [r.value for r in (NotEligibleReason.NO_SMARTPHONE, NotEligibleReason.NO_CHIP_CCCD, NotEligibleReason.DECEASED, NotEligibleReason.MOVED_AWAY, NotEligibleReason.OTHER)]  # fmt: skip
_REASON_CUM = list(accumulate([25, 25, 2, 33, 15]))
_REASON_OLD_CUM = list(accumulate([50, 15, 15, 8, 12]))


class _Generator:
    """Makes the people of one commune after another; holds the ID counters."""

    def __init__(self, seed: int, peak: Peak) -> None:
        self.seed = seed
        self.peak = peak
        # Read once: they are asked for millions of times.
        self.days, self.last = peak.days, peak.last
        self.start_share, self.end_share = peak.start_share, peak.end_share
        self.year = peak.start.year  # ages are counted in the peak's year
        self.serials: dict[tuple[str, int, int], list[int]] = {}
        # Deferred: ID numbers are left as "PPPGYY#<serial within this generator>" until
        # id_final() is told how many of each bucket came before (generators that run
        # side by side over consecutive ranges of communes: demo.simulate).
        self.deferred = False
        self.year_start = {
            y: dt.date(y, 1, 1).toordinal()
            for y in range(self.year - OLDEST - 5, self.year - YOUNGEST + 2)
        }
        # Everyone is 14 by the end of the peak.
        self.last_birth = years_before(peak.end, YOUNGEST).toordinal()

    def id_number(self, rng: random.Random, sex: str, birth: dt.date, local: str) -> str:
        ppp = local if rng.random() < 0.92 else _pick(rng, OTHER_ID_PROVINCES, _OTHER_ID_CUM)
        g = (0 if birth.year < 2000 else 2) + (1 if sex == "F" else 0)
        yy = birth.year % 100
        key = (ppp, g, yy)
        bucket = self.serials.get(key)
        if bucket is None:
            bucket = self.serials[key] = [0, self._salt(ppp, g, yy)]
        serial = bucket[0]
        bucket[0] = serial + 1
        if self.deferred:
            return f"{ppp}{g}{yy:02d}#{serial}"
        return f"{ppp}{g}{yy:02d}{(serial * 387_397 + bucket[1]) % 1_000_000:06d}"

    def _salt(self, ppp: str, g: int, yy: int) -> int:
        # A bijection of the serial onto 000000–999999 (387,397 is coprime to 10**6),
        # offset per bucket: unique without a set, and random-looking.
        return (
            int(ppp) * 7_919 + g * 104_729 + yy * 1_299_709 + self.seed * 15_485_863
        ) % 1_000_000

    def serial_counts(self) -> dict[tuple[str, int, int], int]:
        """How many ID numbers each bucket (province code, century and sex, year) gave."""
        return {key: bucket[0] for key, bucket in self.serials.items()}

    def id_final(self, deferred: str, before: dict[tuple[str, int, int], int]) -> str:
        """The ID number of a deferred one, given the serials `before` used in each bucket
        by the generators of the earlier communes: the number one generator making every
        commune in order would have given."""
        head, _, serial = deferred.partition("#")
        ppp, g, yy = head[:3], int(head[3]), int(head[4:6])
        number = before.get((ppp, g, yy), 0) + int(serial)
        return f"{head}{(number * 387_397 + self._salt(ppp, g, yy)) % 1_000_000:06d}"

    def birth(self, rng: random.Random, year: int) -> dt.date:
        year = min(max(year, self.year - OLDEST), self.year - YOUNGEST)
        first = self.year_start[year]
        day = first + int(rng.random() * (self.year_start[year + 1] - first))  # _int(0, days)
        return dt.date.fromordinal(day if day < self.last_birth else self.last_birth)

    def name(self, rng: random.Random, sex: str, year: int, surname: str) -> str:
        young = year >= 1985
        if sex == "M":
            middle = _pick(
                rng, N.MIDDLE_MALE, _MIDDLE_MALE_YOUNG_CUM if young else _MIDDLE_MALE_CUM
            )
            given = _pick1(rng, N.GIVEN_MALE)
        else:
            middle = _pick(
                rng, N.MIDDLE_FEMALE, _MIDDLE_FEMALE_YOUNG_CUM if young else _MIDDLE_FEMALE_CUM
            )
            given = _pick1(rng, N.GIVEN_FEMALE)
            if young and rng.random() < 0.2:
                second = _pick1(rng, N.MIDDLE_FEMALE[1:])  # not a second "Thị"
                if second not in (middle, given):
                    middle = f"{middle} {second}"
        return f"{surname} {middle} {given}"

    def household(self, rng: random.Random, size: int) -> list[tuple[str, int, str]]:
        """(sex, birth year, surname) of `size` people aged 14+: a head, usually a
        spouse, then children, parents or siblings whose ages fit."""

        def surname() -> str:
            return _pick(rng, N.SURNAMES, _SURNAME_CUM)

        y = self.year
        head_sex = "M" if rng.random() < 0.72 else "F"
        head_year = int(rng.triangular(y - 88, y - 22, y - 51))
        family = surname()
        people = [(head_sex, head_year, family)]
        mother_year = head_year
        if size >= 2 and rng.random() < 0.85:
            spouse_sex = "F" if head_sex == "M" else "M"
            spouse_year = head_year + (_int(rng, -2, 7) if head_sex == "M" else _int(rng, -7, 2))
            spouse_family = surname()
            people.append((spouse_sex, min(spouse_year, y - 22), spouse_family))
            if head_sex == "F":
                family = spouse_family  # children take the father's family name
            mother_year = people[0][1] if head_sex == "F" else people[1][1]
        while len(people) < size:
            child_year = mother_year + _int(rng, 19, 40)
            if child_year <= y - YOUNGEST:
                people.append(("M" if rng.random() < 0.51 else "F", child_year, family))
            elif head_year - 40 >= y - OLDEST and rng.random() < 0.5:
                people.append(
                    (
                        "F" if rng.random() < 0.6 else "M",
                        head_year - _int(rng, 20, 35),
                        people[0][2],
                    )
                )
            else:
                people.append(
                    (
                        "M" if rng.random() < 0.5 else "F",
                        min(head_year + _int(rng, -8, 8), y - YOUNGEST),
                        people[0][2],
                    )
                )
        return people

    def history(
        self, rng: random.Random, age: int, eligible_day: int, perf: float, curve: list[float]
    ) -> tuple[list[tuple[str, int, str]], list[tuple[str, str, int, int | None]]]:
        # Conditionals rather than min(): this runs once per person, millions of times.
        factor = _age_factor(age)
        days = self.days
        random_ = rng.random
        p_end = self.end_share * perf * factor
        p_end = p_end if p_end < 0.97 else 0.97
        p_start = self.start_share * (0.6 + 0.4 * perf) * factor
        p_start = p_start if p_start < p_end else p_end
        if eligible_day == 0 and random_() < p_start:
            first = A2 if random_() < 0.3 else A1
            events = [(first, 0, POLICE)]
            if first == A1 and rng.random() < 0.05:
                upgrade = _int(rng, 1, days - 1)
                if upgrade <= self.last:  # a level 2 still to come is not known yet
                    events.append((A2, upgrade, POLICE))
            return events, []
        u = random_()
        if eligible_day > 0 or u >= 0.23:
            first, steps, mult = NR, NOT_REGISTERED_STEPS, 0.9
        elif u < 0.10:
            first, steps, mult = APP, 1, 1.5
        elif u < 0.18:
            first, steps, mult = L1P, 2, 1.3
        else:
            first, steps, mult = L2P, 2, 1.2
        events = [(first, 0, POLICE)]
        level2 = first == L2P or (first != L1P and random_() < 0.22)
        chain = [L2P if level2 else L1P, APP, A2 if level2 else A1][NOT_REGISTERED_STEPS - steps :]
        chance = (p_end - p_start) / (1 - p_start) * mult
        activates = random_() < (chance if chance < 0.95 else 0.95)
        if not activates:
            # Some progress without activation: a registration, an approval.
            x, reached = random_(), 0
            if first == NR:
                reached = 2 if x < 0.07 else 1 if x < 0.2 else 0
            elif steps == 2:
                reached = 1 if x < 0.4 else 0
            chain = chain[:reached]
        # _int(1, 4) for an approval, _int(1, 6) otherwise
        gaps = [1 + int(random_() * (4 if state == APP else 6)) for state in chain[1:]]
        lo = max(eligible_day, 1) + sum(gaps)
        if lo < days and chain:
            if activates:
                base = curve[lo - 1]
                last = min(
                    max(bisect.bisect_left(curve, base + random_() * (curve[-1] - base)), lo),
                    days - 1,
                )
            else:
                last = _int(rng, lo, days - 1)
            day = last - sum(gaps)
            for i, state in enumerate(chain):
                source = VISIT if state in ACTIVATED and random_() < 0.35 else POLICE
                events.append((state, day, source))
                if i < len(gaps):
                    day += gaps[i]
        flags: list[tuple[str, str, int, int | None]] = []
        if events[-1][0] not in ACTIVATED:
            if rng.random() < (0.28 if age >= 75 else 0.14 if age >= 60 else 0.065):
                reason = _pick(rng, _REASONS, _REASON_OLD_CUM if age >= 60 else _REASON_CUM)
                day = _int(rng, max(eligible_day, 3), days - 1)
                # A person found not eligible makes no progress after that day.
                events = [e for e in events if e[1] < day] or events[:1]
                flags.append((FlagKind.NOT_ELIGIBLE.value, reason, day, None))
            elif rng.random() < 0.09:
                day = _int(rng, 3, days - 6)
                back = day + _int(rng, 5, 25)
                flags.append((FlagKind.ABSENT.value, "", day, back if back < days else None))
        if self.last < days - 1:
            events, flags = _until(events, flags, self.last)
        return events, flags

    def commune(
        self, commune: Commune, per_hamlet: list[int]
    ) -> tuple[list[tuple[str, Hamlet]], list[Person]]:
        """Households (code, hamlet) and people of one commune."""
        rng = random.Random(f"{self.seed}/people/{commune.code}")  # noqa: S311 - demo data
        perf = performance(commune, self.seed)
        curve = _day_curve(perf, self.peak)
        households: list[tuple[str, Hamlet]] = []
        people: list[Person] = []
        start_ordinal = self.peak.start.toordinal()
        turning_14 = self.year - YOUNGEST
        for hamlet, n in zip(commune.hamlets, per_hamlet, strict=True):
            while n > 0:
                size = _pick(rng, HOUSEHOLD_SIZES, _HOUSEHOLD_CUM)
                if n - size == 1:
                    size = size + 1 if size < 6 else size - 1
                size = min(size, n)
                n -= size
                code = f"{commune.code}-{len(households) + 1:05d}"
                households.append((code, hamlet))
                for sex, year, surname in self.household(rng, size):
                    birth = self.birth(rng, year)
                    age = self.year - birth.year
                    eligible_day = 0
                    if birth.year == turning_14:  # eligible from the 14th birthday on
                        birthday = turns_eligible(birth)
                        eligible_day = max(0, birthday.toordinal() - start_ordinal)
                    events, flags = self.history(rng, age, eligible_day, perf, curve)
                    phone = ""
                    if rng.random() < (0.55 if age >= 75 else 0.84):
                        phone = f"{_pick1(rng, PHONE_PREFIXES)}{int(rng.random() * 10_000_000):07d}"
                    people.append(
                        Person(
                            self.id_number(rng, sex, birth, commune.id_province),
                            self.name(rng, sex, year, surname),
                            birth,
                            sex,
                            phone,
                            hamlet,
                            code,
                            events,
                            flags,
                        )
                    )
        return households, people


def _until(
    events: list[tuple[str, int, str]],
    flags: list[tuple[str, str, int, int | None]],
    last: int,
) -> tuple[list[tuple[str, int, str]], list[tuple[str, str, int, int | None]]]:
    """The history as known on day `last`: later events and flags not yet happened, and
    a person found absent is still away when their return lies after that day."""
    events = [e for e in events if e[1] <= last]
    flags = [
        (kind, reason, day, back if back is not None and back <= last else None)
        for kind, reason, day, back in flags
        if day <= last
    ]
    return events, flags


def population(
    communes: list[Commune],
    peak: Peak,
    *,
    scale: float = 1.0,
    seed: int = DEFAULT_SEED,
    sizes: list[list[int]] | None = None,
) -> Iterator[tuple[Commune, list[tuple[str, Hamlet]], list[Person]]]:
    """Each commune with its households (code, hamlet) and people, in the order given.

    `sizes` (people per hamlet of each commune) defaults to population_sizes().
    """
    generator = _Generator(seed, peak)
    if sizes is None:
        sizes = population_sizes(communes, scale, peak.population, seed)
    for commune, per_hamlet in zip(communes, sizes, strict=True):
        households, people = generator.commune(commune, per_hamlet)
        yield commune, households, people
