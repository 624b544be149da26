"""The simulated population: deterministic, valid, and a plausible campaign."""

from __future__ import annotations

import csv
import datetime as dt
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from django.db.models import F

from chiendich.conftest import TREE_2023
from chiendich.demo.campaign import campaign_of
from chiendich.demo.forked import can_fork
from chiendich.demo.population import Peak, population, population_sizes
from chiendich.demo.simulate import (
    _COLUMNS,
    _COPY_COLUMNS,
    CSV_HEADERS,
    STATUS_TEXT,
    _chunks,
    _pieces,
    communes_load,
    police_list_write,
    population_simulate,
)
from chiendich.demo.tree import write_hamlets_csv
from chiendich.plans.models import Plan
from chiendich.units.models import Level, Unit
from chiendich.units.services import hamlets_import
from chiendich.vneid.models import (
    ACTIVATED_STATES,
    AccountEvent,
    AccountState,
    Citizen,
    Flag,
    FlagKind,
    Household,
    Source,
)
from chiendich.vneid.services import eligible_from, events_relink

pytestmark = pytest.mark.django_db
SCALE = 0.002  # 2,800 citizens over the 164 communes
FLOOR = 903_203  # Plan 383 II.1.a
START, END = dt.date(2023, 8, 20), dt.date(2023, 10, 18)  # Plan 383 II.2, read from the plan


@pytest.fixture
def hamlets(tien_giang: Unit, tmp_path: Path) -> Unit:
    path = tmp_path / "hamlets.csv"
    write_hamlets_csv(tien_giang, path)
    hamlets_import(path, on=TREE_2023)
    return tien_giang


@pytest.fixture
def peak(plan_383: Plan) -> Peak:
    """Plan 383's VNeID peak, replayed whole (its last day lies in the past)."""
    found = campaign_of(plan_383).peak
    assert (found.start, found.end, found.today) == (START, END, END)
    assert found.population == 1_400_000
    return found


@pytest.fixture
def simulated(hamlets: Unit, peak: Peak) -> Unit:
    result = population_simulate(hamlets, peak, scale=SCALE)
    assert not result.skipped and result.citizens == Citizen.objects.count() > 2_000
    return hamlets


def _snapshot() -> dict[str, list[tuple[object, ...]]]:
    """Everything the simulation wrote, by natural keys (database ids may differ)."""
    return {
        "citizens": sorted(
            Citizen.objects.values_list(
                "id_number", "full_name", "birth_date", "sex", "phone", "commune__code",
                "unit__code", "household__code", "state", "state_date",
            )
        ),
        "events": sorted(
            AccountEvent.objects.values_list(
                "citizen__id_number", "state", "date", "until", "source", "unit__code"
            )
        ),
        "flags": sorted(
            Flag.objects.values_list("citizen__id_number", "kind", "reason", "date", "until")
        ),
        "households": sorted(Household.objects.values_list("code", "commune__code", "unit__code")),
    }  # fmt: skip


def _state_on(day: dt.date) -> dict[int, str]:
    return dict(
        AccountEvent.objects.filter(date__lte=day)
        .exclude(until__lte=day)
        .values_list("citizen_id", "state")
    )


def test_two_runs_give_the_same_data_and_a_rebuild_skips_or_replaces(simulated, peak) -> None:
    first = _snapshot()
    assert population_simulate(simulated, peak, scale=SCALE).skipped  # same scale: nothing to do
    assert _snapshot() == first

    # another scale replaces, never duplicates
    other = population_simulate(simulated, peak, scale=SCALE / 2)
    assert other.replaced == len(first["citizens"]) and not other.skipped
    assert Citizen.objects.count() == other.citizens < len(first["citizens"])

    again = population_simulate(simulated, peak, scale=SCALE)
    assert again.replaced == other.citizens
    assert _snapshot() == first


def test_the_generator_alone_is_deterministic(hamlets, peak) -> None:
    communes = communes_load(hamlets)[:20]

    def people() -> list[tuple[object, ...]]:
        return [
            (
                p.id_number,
                p.full_name,
                p.birth,
                p.phone,
                p.household,
                tuple(p.events),
                tuple(p.flags),
            )
            for _, _, batch in population(communes, peak, scale=0.01)
            for p in batch
        ]

    assert people() == people()
    assert people() != [
        (p.id_number, p.full_name, p.birth, p.phone, p.household, tuple(p.events), tuple(p.flags))
        for _, _, batch in population(communes, peak, scale=0.01, seed=1)
        for p in batch
    ]


def test_generating_in_a_child_process_gives_the_same_rows(hamlets, peak) -> None:
    """The full-scale build generates people in a forked process while it writes."""
    communes = communes_load(hamlets)[:6]
    sizes = population_sizes(communes, 0.01, peak.population)
    args = (communes, sizes, peak, 383, (100, 1_000), "2023-10-18 00:00:00")
    forked = list(_chunks(args, fork=True))
    assert forked == list(_chunks(args, fork=False))
    assert len(forked) == 6 and forked[0].citizens[0][0] == 1_001


def _copy_text(rows: list[tuple[object, ...]], order: list[int]) -> bytes:
    """Rows as COPY text (columns in `order`), the plain way."""
    return "".join(
        "\t".join("\\N" if row[i] is None else str(row[i]) for i in order) + "\n" for row in rows
    ).encode()


@pytest.mark.parametrize(("parts", "fork"), [(1, False), (2, True), (3, True)])
def test_copy_text_drawn_in_parts_is_the_same_rows(hamlets, peak, parts, fork) -> None:
    """On PostgreSQL the people are drawn by several processes, each a range of communes,
    as COPY text: the same rows as one generator drawing every commune in order, ID
    numbers and household ids included."""
    assert can_fork() or not fork  # else the parts would be drawn here, one by one
    communes = communes_load(hamlets)[:9]
    sizes = population_sizes(communes, 0.02, peak.population)
    stamp = "2023-10-18T00:00:00+00:00"
    args = (communes, sizes, peak, 383, (100, 1_000), stamp)
    pieces = list(_pieces(*args, parts=parts, fork=fork))
    assert [p.index for p in pieces] == list(range(9))
    columns = {"vneid_citizen": _COLUMNS["vneid_citizen"]}
    citizen_order = [columns["vneid_citizen"].index(c) for c in _COPY_COLUMNS["vneid_citizen"]]
    for piece, chunk in zip(pieces, _chunks(args, fork=False), strict=True):
        assert piece.households == _copy_text(chunk.households, list(range(6)))
        assert piece.citizens == _copy_text(chunk.citizens, citizen_order)
        assert piece.events == _copy_text(chunk.events, list(range(8)))
        assert piece.flags == _copy_text(chunk.flags, list(range(9)))
        assert piece.counts == (
            len(chunk.households), len(chunk.citizens), len(chunk.events), len(chunk.flags),
            chunk.activated,
        )  # fmt: skip
    assert sum(p.counts[1] for p in pieces) == sum(map(sum, sizes)) > 0


def test_id_numbers_are_valid_and_unique(simulated) -> None:
    rows = list(Citizen.objects.values_list("id_number", "sex", "birth_date"))
    numbers = [n for n, _, _ in rows]
    assert len(set(numbers)) == len(numbers)
    for number, sex, birth in rows:
        assert len(number) == 12 and number.isdigit(), number
        century = 0 if birth.year < 2000 else 2
        assert int(number[3]) == century + (1 if sex == "F" else 0), (number, sex, birth)
        assert number[4:6] == f"{birth.year % 100:02d}", (number, birth)
        assert dt.date(1930, 1, 1) <= birth <= dt.date(2009, 10, 18)
    local = sum(n.startswith("082") for n in numbers) / len(numbers)
    assert 0.88 < local < 0.96
    phones = [p for p in Citizen.objects.values_list("phone", flat=True) if p]
    assert 0.7 < len(phones) / len(numbers) < 0.9
    assert all(len(p) == 10 and p[:2] in {"03", "05", "07", "08", "09"} for p in phones)


def test_households_have_two_to_six_members_in_one_hamlet(simulated) -> None:
    sizes = Counter(Citizen.objects.values_list("household_id", flat=True))
    assert None not in sizes
    assert set(sizes.values()) <= {2, 3, 4, 5, 6}
    assert len(set(sizes.values())) == 5
    assert not Citizen.objects.exclude(unit_id=F("household__unit_id")).exists()
    assert Citizen.objects.filter(unit__level=Level.HAMLET).count() == Citizen.objects.count()


def test_names_are_vietnamese_in_nfc(simulated) -> None:
    names = list(Citizen.objects.values_list("full_name", flat=True))
    assert all(unicodedata.normalize("NFC", n) == n for n in names)
    assert all(3 <= len(n.split()) <= 5 for n in names)
    with_diacritics = [n for n in names if any(ord(ch) > 127 for ch in n)]
    assert len(with_diacritics) / len(names) > 0.9
    surnames = Counter(n.split()[0] for n in names)
    assert surnames.most_common(1)[0][0] == "Nguyễn"
    women = Citizen.objects.filter(sex="F").values_list("full_name", flat=True)
    assert sum(" Thị " in n for n in women) > len(women) / 4


def test_events_are_ordered_and_their_until_chain_is_what_relink_builds(simulated) -> None:
    before_events = list(AccountEvent.objects.order_by("id").values_list("id", "date", "until"))
    before_citizens = list(Citizen.objects.order_by("id").values_list("id", "state", "state_date"))
    events_relink()
    assert (
        list(AccountEvent.objects.order_by("id").values_list("id", "date", "until"))
        == before_events
    )
    assert (
        list(Citizen.objects.order_by("id").values_list("id", "state", "state_date"))
        == before_citizens
    )

    by_citizen: dict[int, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
    for citizen, date, until in AccountEvent.objects.values_list("citizen_id", "date", "until"):
        by_citizen[citizen].append((date, until))
    assert len(by_citizen) == Citizen.objects.count()  # everyone is on the 20/8 list
    for events in by_citizen.values():
        assert events[0][0] == START and all(START <= d <= END for d, _ in events)
        assert all(a[1] == b[0] and a[0] < b[0] for a, b in zip(events, events[1:], strict=False))
        assert events[-1][1] is None


def test_history_moves_between_september_and_october(simulated) -> None:
    september, october = _state_on(dt.date(2023, 9, 1)), _state_on(dt.date(2023, 10, 1))
    assert set(september) == set(october) == set(Citizen.objects.values_list("id", flat=True))
    changed = [c for c in september if september[c] != october[c]]
    assert len(changed) > len(september) / 50
    activated = {AccountState.ACTIVATED_L1, AccountState.ACTIVATED_L2}
    assert sum(october[c] in activated for c in october) > sum(
        september[c] in activated for c in september
    )
    starting = Counter(_state_on(START).values())
    assert 0.33 < (starting["activated_l1"] + starting["activated_l2"]) / len(september) < 0.47
    assert starting["approved"] and starting["l1_pending"] and starting["not_registered"]
    assert AccountEvent.objects.filter(source=Source.VISIT).exists()
    assert set(AccountEvent.objects.values_list("source", flat=True)) == {"police_list", "visit"}


def test_flags_and_late_fourteenth_birthdays(simulated) -> None:
    total = Citizen.objects.count()
    not_eligible = Flag.objects.filter(kind=FlagKind.NOT_ELIGIBLE)
    assert 0.02 < not_eligible.count() / total < 0.06
    assert not not_eligible.filter(reason="").exists()
    assert not_eligible.values("reason").distinct().count() >= 4
    assert Flag.objects.filter(kind=FlagKind.ABSENT).exists()
    assert not Flag.objects.exclude(date__gte=START, date__lte=END).exists()
    # Nobody flagged not eligible ends activated.
    assert not not_eligible.filter(citizen__state__in=ACTIVATED_STATES).exists()
    # People turning 14 in the period register no earlier than their birthday.
    young = Citizen.objects.filter(birth_date__gt=dt.date(2009, 8, 20))
    for citizen in young:
        for event in citizen.events.exclude(state=AccountState.NOT_REGISTERED):
            assert event.date >= eligible_from(citizen.birth_date)


def test_province_lands_a_little_above_the_floor_some_units_ahead_some_behind(
    hamlets, peak
) -> None:
    scale = 0.05  # pure generation: fast, and thousands of people per district
    communes = communes_load(hamlets)
    activated: Counter[str] = Counter()
    eligible: Counter[str] = Counter()
    for commune, _, people in population(communes, peak, scale=scale):
        for p in people:
            activated[commune.district_code] += p.events[-1][0] in ("activated_l1", "activated_l2")
            eligible[commune.district_code] += not any(f[0] == "not_eligible" for f in p.flags)
    total = sum(activated.values())
    assert FLOOR * scale < total < FLOOR * scale * 1.05
    # Each district's share of the floor, by eligible citizens: some ahead, some behind.
    ratios = {
        d: activated[d] / (FLOOR * scale * eligible[d] / sum(eligible.values())) for d in eligible
    }
    assert len(ratios) == 11
    assert any(r > 1.05 for r in ratios.values()) and any(r < 0.97 for r in ratios.values())


def test_population_sizes_follow_the_scale_and_denser_wards(hamlets) -> None:
    communes = communes_load(hamlets)
    sizes = population_sizes(communes, 1.0, 1_400_000)
    assert sum(map(sum, sizes)) == 1_400_000
    assert all(n == 0 or n >= 2 for hamlet_sizes in sizes for n in hamlet_sizes)
    by_type: dict[str, list[int]] = defaultdict(list)
    for commune, hamlet_sizes in zip(communes, sizes, strict=True):
        by_type[commune.type].append(sum(hamlet_sizes))
    mean = {t: sum(v) / len(v) for t, v in by_type.items()}
    assert mean["phuong"] > mean["xa"]


def test_police_list_csv_matches_the_database(simulated, peak, tmp_path: Path) -> None:
    path = tmp_path / "ds.csv"
    as_of = dt.date(2023, 9, 15)
    written = police_list_write(path, simulated, peak, as_of=as_of, scale=SCALE)
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == CSV_HEADERS and len(rows) - 1 == written == Citizen.objects.count()
    states = _state_on(as_of)
    by_number = {
        c.id_number: c for c in Citizen.objects.select_related("unit", "household", "commune")
    }
    status_of = {text: state for state, text in STATUS_TEXT.items()}
    for number, name, birth, sex, commune, hamlet, household, phone, status, updated in rows[1:]:
        citizen = by_number[number]
        assert name == citizen.full_name and phone == citizen.phone
        assert birth == citizen.birth_date.strftime("%d/%m/%Y")
        assert sex == ("Nam" if citizen.sex == "M" else "Nữ")
        assert (commune, hamlet, household) == (
            citizen.commune.code, citizen.unit.name, citizen.household.code
        )  # fmt: skip
        assert status_of[status] == states[citizen.pk]
        assert dt.datetime.strptime(updated, "%d/%m/%Y").date() <= as_of  # noqa: DTZ007
    assert police_list_write(tmp_path / "cut.csv", simulated, peak, scale=SCALE, rows=100) == 100
