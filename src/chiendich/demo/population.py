"""The simulated people of Tiền Giang and their VNeID accounts, day by day
through the VNeID peak (Plan 383 II.2: 20/8–18/10/2023). Pure Python, no database.

Deterministic: the same seed and scale give the same people, ID numbers and
history (random.Random seeded by strings, which does not depend on
PYTHONHASHSEED). Communes are made one at a time, in code order, so memory
stays flat at full scale (1.4 million citizens aged 14 and over).

The shape of the campaign:
- On 20/8 the police list already shows about 40% activated (level 1 or 2),
  some approved but not activated, some pending, the rest not registered.
- During the 60 days people register, get approved (SMS) and activate; a
  third of the activations are recorded by door-to-door teams (source
  "visit"). Each district and each commune gets a performance factor, so some
  exceed their share of the 903,203 floor and some lag; laggards also start
  slower. The province ends a little above the floor.
- Door-to-door teams flag some people not eligible (no smartphone, no chip
  CCCD, deceased, moved away, other) and some absent, on a day in the period.
- People born in 2009 after 20/8 turn 14 during the campaign and can only
  register from their birthday (eligibility by date).
- Households of 2–6 people aged 14+: a head, usually a spouse, then children,
  parents or siblings whose ages fit; children take the father's family name.
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
from chiendich.vneid.models import AccountState, FlagKind, NotEligibleReason, Source

from . import names as N

T = TypeVar("T")

# The simulated world's own period: Plan 383's VNeID peak (II.2). The plan file
# stays the authority; the demo builder says so if the two ever differ.
START = dt.date(2023, 8, 20)
END = dt.date(2023, 10, 18)
DAYS = (END - START).days + 1
FULL_POPULATION = 1_400_000  # citizens aged 14 and over at scale 1.0
DEFAULT_SEED = 383
PROVINCE_ID_CODE = "082"  # the PPP of CCCD numbers registered in Tiền Giang

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

# Relative weight of each district-level unit, roughly its population (2019
# census, rounded); communes within a district are weighted by type and a
# seeded factor, wards and townships denser.
DISTRICT_WEIGHTS = {
    "815": 228, "816": 98, "817": 124, "818": 55, "819": 290, "820": 180,
    "821": 254, "822": 180, "823": 124, "824": 145, "825": 42,
}  # fmt: skip
TYPE_DENSITY = {UnitType.WARD.value: 1.45, UnitType.TOWNSHIP.value: 1.3}

# Birth-registration provinces of people living here who were born elsewhere:
# the neighbours and the big cities (CCCD PPP codes = GSO province codes).
OTHER_ID_PROVINCES = ["080", "083", "079", "087", "086", "084", "089", "092", "091", "094", "001", "040", "038", "075", "074", "096"]  # fmt: skip
OTHER_ID_WEIGHTS = [18, 16, 14, 10, 8, 6, 5, 5, 3, 3, 3, 2, 2, 2, 2, 2]
PHONE_PREFIXES = ["032", "033", "034", "035", "036", "037", "038", "039", "056", "058", "059", "070", "076", "077", "078", "079", "081", "082", "083", "084", "085", "086", "088", "089", "090", "091", "093", "094", "096", "097", "098"]  # fmt: skip
HOUSEHOLD_SIZES, HOUSEHOLD_WEIGHTS = [2, 3, 4, 5, 6], [22, 27, 27, 15, 9]

# Calibrated so that the province ends a little above the 903,203 floor.
START_ACTIVATED = 0.41  # share activated on 20/8 (times age and commune factors)
END_ACTIVATED = 0.68  # share activated by 18/10 (same factors)
NOT_REGISTERED_STEPS = 3  # register -> approved -> activated


@dataclass(frozen=True, slots=True)
class Hamlet:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class Commune:
    id: int
    code: str
    type: str
    district_code: str
    hamlets: tuple[Hamlet, ...]


@dataclass(slots=True)
class Person:
    """One simulated citizen; days are indexes from START (0 = 20/8/2023)."""

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


def day_date(day: int) -> dt.date:
    return START + dt.timedelta(days=day)


def _largest_remainder(total: int, weights: list[float]) -> list[int]:
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    out = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (out[i] - exact[i], i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def population_sizes(
    communes: list[Commune], scale: float, seed: int = DEFAULT_SEED
) -> list[list[int]]:
    """Citizens per hamlet of each commune (0, or 2 and more: households have 2–6 people)."""
    per_district: dict[str, int] = {}
    for c in communes:
        per_district[c.district_code] = per_district.get(c.district_code, 0) + 1
    weights = [
        DISTRICT_WEIGHTS.get(c.district_code, 150) / per_district[c.district_code]
        * TYPE_DENSITY.get(c.type, 1.0)
        * random.Random(f"{seed}/size/{c.code}").uniform(0.6, 1.5)  # noqa: S311 - demo data
        for c in communes
    ]  # fmt: skip
    sizes: list[list[int]] = []
    for commune, total in zip(
        communes, _largest_remainder(round(FULL_POPULATION * scale), weights), strict=True
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
    """How well a commune's campaign goes: its district's factor times its own (~0.75–1.25)."""
    district = random.Random(f"{seed}/perf/{commune.district_code}").uniform(0.84, 1.12)  # noqa: S311
    own = random.Random(f"{seed}/perf/{commune.code}").uniform(0.9, 1.1)  # noqa: S311
    return district * own


def _day_curve(perf: float) -> list[float]:
    """Cumulative weights of the day an activation happens: a ramp-up (slower for
    laggards), quieter weekends (20/8/2023 is a Sunday) and a spurt in the last 10 days."""
    ramp = 6 + max(0.0, 1.05 - perf) * 40
    cum, total = [], 0.0
    for d in range(DAYS):
        weekday = 0.55 if d % 7 == 0 else 0.8 if d % 7 == 6 else 1.0
        total += min(1.0, (d + 2) / ramp) * weekday * (1.3 if d >= DAYS - 10 else 1.0)
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

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.serials: dict[tuple[str, int, int], int] = {}
        self.year_start = {y: dt.date(y, 1, 1).toordinal() for y in range(1925, 2011)}
        self.last_birth = END.replace(year=END.year - 14).toordinal()  # everyone is 14 by the end

    def id_number(self, rng: random.Random, sex: str, birth: dt.date) -> str:
        ppp = (
            PROVINCE_ID_CODE
            if rng.random() < 0.92
            else _pick(rng, OTHER_ID_PROVINCES, _OTHER_ID_CUM)
        )
        g = (0 if birth.year < 2000 else 2) + (1 if sex == "F" else 0)
        yy = birth.year % 100
        key = (ppp, g, yy)
        serial = self.serials.get(key, 0)
        self.serials[key] = serial + 1
        # A bijection of the serial onto 000000–999999 (387,397 is coprime to 10**6),
        # offset per bucket: unique without a set, and random-looking.
        salt = (
            int(ppp) * 7_919 + g * 104_729 + yy * 1_299_709 + self.seed * 15_485_863
        ) % 1_000_000
        return f"{ppp}{g}{yy:02d}{(serial * 387_397 + salt) % 1_000_000:06d}"

    def birth(self, rng: random.Random, year: int) -> dt.date:
        year = min(max(year, 1930), 2009)
        days = (self.year_start[year + 1] - self.year_start[year]) - 1
        return dt.date.fromordinal(min(self.year_start[year] + _int(rng, 0, days), self.last_birth))

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

        head_sex = "M" if rng.random() < 0.72 else "F"
        head_year = int(rng.triangular(1935, 2001, 1972))
        family = surname()
        people = [(head_sex, head_year, family)]
        mother_year = head_year
        if size >= 2 and rng.random() < 0.85:
            spouse_sex = "F" if head_sex == "M" else "M"
            spouse_year = head_year + (_int(rng, -2, 7) if head_sex == "M" else _int(rng, -7, 2))
            spouse_family = surname()
            people.append((spouse_sex, min(spouse_year, 2001), spouse_family))
            if head_sex == "F":
                family = spouse_family  # children take the father's family name
            mother_year = people[0][1] if head_sex == "F" else people[1][1]
        while len(people) < size:
            child_year = mother_year + _int(rng, 19, 40)
            if child_year <= 2009:
                people.append(("M" if rng.random() < 0.51 else "F", child_year, family))
            elif head_year - 40 >= 1930 and rng.random() < 0.5:
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
                        min(head_year + _int(rng, -8, 8), 2009),
                        people[0][2],
                    )
                )
        return people

    def history(
        self, rng: random.Random, age: int, eligible_day: int, perf: float, curve: list[float]
    ) -> tuple[list[tuple[str, int, str]], list[tuple[str, str, int, int | None]]]:
        factor = _age_factor(age)
        p_end = min(0.97, END_ACTIVATED * perf * factor)
        p_start = min(p_end, START_ACTIVATED * (0.6 + 0.4 * perf) * factor)
        if eligible_day == 0 and rng.random() < p_start:
            first = A2 if rng.random() < 0.3 else A1
            events = [(first, 0, POLICE)]
            if first == A1 and rng.random() < 0.05:
                events.append((A2, _int(rng, 1, DAYS - 1), POLICE))
            return events, []
        u = rng.random()
        if eligible_day > 0 or u >= 0.23:
            first, steps, mult = NR, NOT_REGISTERED_STEPS, 0.9
        elif u < 0.10:
            first, steps, mult = APP, 1, 1.5
        elif u < 0.18:
            first, steps, mult = L1P, 2, 1.3
        else:
            first, steps, mult = L2P, 2, 1.2
        events = [(first, 0, POLICE)]
        level2 = first == L2P or (first != L1P and rng.random() < 0.22)
        chain = [L2P if level2 else L1P, APP, A2 if level2 else A1][NOT_REGISTERED_STEPS - steps :]
        activates = rng.random() < min(0.95, (p_end - p_start) / (1 - p_start) * mult)
        if not activates:
            # Some progress without activation: a registration, an approval.
            x, reached = rng.random(), 0
            if first == NR:
                reached = 2 if x < 0.07 else 1 if x < 0.2 else 0
            elif steps == 2:
                reached = 1 if x < 0.4 else 0
            chain = chain[:reached]
        gaps = [_int(rng, 1, 4) if state == APP else _int(rng, 1, 6) for state in chain[1:]]
        lo = max(eligible_day, 1) + sum(gaps)
        if lo < DAYS and chain:
            if activates:
                base = curve[lo - 1]
                last = min(
                    max(bisect.bisect_left(curve, base + rng.random() * (curve[-1] - base)), lo),
                    DAYS - 1,
                )
            else:
                last = _int(rng, lo, DAYS - 1)
            day = last - sum(gaps)
            for i, state in enumerate(chain):
                source = VISIT if state in ACTIVATED and rng.random() < 0.35 else POLICE
                events.append((state, day, source))
                if i < len(gaps):
                    day += gaps[i]
        flags: list[tuple[str, str, int, int | None]] = []
        if events[-1][0] not in ACTIVATED:
            if rng.random() < (0.28 if age >= 75 else 0.14 if age >= 60 else 0.065):
                reason = _pick(rng, _REASONS, _REASON_OLD_CUM if age >= 60 else _REASON_CUM)
                day = _int(rng, max(eligible_day, 3), DAYS - 1)
                # A person found not eligible makes no progress after that day.
                events = [e for e in events if e[1] < day] or events[:1]
                flags.append((FlagKind.NOT_ELIGIBLE.value, reason, day, None))
            elif rng.random() < 0.09:
                day = _int(rng, 3, DAYS - 6)
                back = day + _int(rng, 5, 25)
                flags.append((FlagKind.ABSENT.value, "", day, back if back < DAYS else None))
        return events, flags

    def commune(
        self, commune: Commune, per_hamlet: list[int]
    ) -> tuple[list[tuple[str, Hamlet]], list[Person]]:
        """Households (code, hamlet) and people of one commune."""
        rng = random.Random(f"{self.seed}/people/{commune.code}")  # noqa: S311 - demo data
        perf = performance(commune, self.seed)
        curve = _day_curve(perf)
        households: list[tuple[str, Hamlet]] = []
        people: list[Person] = []
        start_ordinal = START.toordinal()
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
                    age = 2023 - birth.year
                    eligible_day = 0
                    if (
                        birth.year == 2009
                    ):  # turns 14 in 2023: from the birthday on (29/2 has none in 2009)
                        eligible_day = max(0, birth.replace(year=2023).toordinal() - start_ordinal)
                    events, flags = self.history(rng, age, eligible_day, perf, curve)
                    phone = ""
                    if rng.random() < (0.55 if age >= 75 else 0.84):
                        phone = f"{_pick1(rng, PHONE_PREFIXES)}{int(rng.random() * 10_000_000):07d}"
                    people.append(
                        Person(
                            self.id_number(rng, sex, birth),
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


def population(
    communes: list[Commune],
    *,
    scale: float = 1.0,
    seed: int = DEFAULT_SEED,
    sizes: list[list[int]] | None = None,
) -> Iterator[tuple[Commune, list[tuple[str, Hamlet]], list[Person]]]:
    """Each commune with its households (code, hamlet) and people, in the order given.

    `sizes` (people per hamlet of each commune) defaults to population_sizes().
    """
    generator = _Generator(seed)
    if sizes is None:
        sizes = population_sizes(communes, scale, seed)
    for commune, per_hamlet in zip(communes, sizes, strict=True):
        households, people = generator.commune(commune, per_hamlet)
        yield commune, households, people
