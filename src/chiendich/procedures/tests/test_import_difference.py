"""A dossier import adds its own difference to the stored counts (counts_difference)
instead of recounting the units and days it touched, and leaves exactly the rows a
rebuild from scratch would: over random imports of new dossiers, updates of every
kind, unchanged rows and refused ones, on both databases."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Max

from chiendich.procedures import counts, counts_difference
from chiendich.procedures.counts import COUNT_FIELDS, counts_rebuild
from chiendich.procedures.importing import dossiers as import_module
from chiendich.procedures.models import Dossier, DossierCount
from chiendich.units.models import Unit

from .conftest import AGENCY, PHUONG, XA, XA_2, dossier_row

pytestmark = pytest.mark.django_db(transaction=True)  # each import commits, as in use

UNITS = (XA, XA_2, PHUONG, AGENCY)
STATUSES = ("Đang xử lý", "Chờ bổ sung", "Đã giải quyết", "Từ chối", "Rút hồ sơ")
FIRST = dt.date(2023, 1, 2)


def _day(rng: random.Random, after: dt.date | None = None, span: int = 240) -> dt.date:
    start = after or FIRST
    return start + dt.timedelta(days=rng.randrange(span))


def _text(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day is not None else ""


def random_row(rng: random.Random, code: str) -> list[Any]:
    """A dossier of any kind: open or ended, late or not, overdue while open (a due day
    in the past), paid or free, on any unit; now and then a row the import refuses (an
    ended dossier without an end day, an electronic result of an open one)."""
    unit = rng.choice(UNITS)
    procedure = rng.choice(
        ("T.FEE", "T.FREE", "T.POLICE") + (("T.PROV",) if unit == AGENCY else ())
    )
    received = _day(rng)
    status = rng.choice(STATUSES)
    ended = status not in ("Đang xử lý", "Chờ bổ sung")
    finished = _day(rng, received, 40) if ended or rng.random() < 0.03 else None
    if ended and rng.random() < 0.03:
        finished = None  # refused: ended without an end day
    due = _day(rng, received, 30) if rng.random() < 0.8 else None
    fee = rng.choice((20_000, 50_000)) if procedure in ("T.FEE", "T.PROV") else 0
    return dossier_row(
        code,
        unit,
        procedure=procedure,
        channel=rng.choice((1, 2, 3)),
        received=_text(received),
        due=_text(due),
        finished=_text(finished),
        status=status,
        digitized=rng.choice((0, 1)),
        e_result=rng.choice((0, 1)) if status == "Đã giải quyết" or rng.random() < 0.02 else 0,
        fee=fee,
        payment=rng.choice((0, 1, 2)) if fee else 0,
        reused=rng.choice((0, 1)),
    )


def changed(rng: random.Random, row: list[Any]) -> list[Any]:
    """`row` with one to three of its cells changed (status and end day together)."""
    out = list(row)
    fresh = random_row(rng, row[0])
    groups = [(1, 2, 10, 11), (3,), (4, 5), (5,), (6, 7, 9), (8,), (10, 11), (12,), (2,)]
    for group in rng.sample(groups, rng.randint(1, 3)):
        for i in group:
            out[i] = fresh[i]
    if out[2] != AGENCY and out[1] == "T.PROV":
        out[1] = "T.FREE"  # a province-only procedure stays on the province's agency
        out[10], out[11] = 0, 0
    return out


def stored() -> list[tuple[Any, ...]]:
    return sorted(DossierCount.objects.values_list("unit_id", "day", "procedure_id", *COUNT_FIELDS))


def rebuilt_from_scratch() -> list[tuple[Any, ...]]:
    """What counts_rebuild() writes into an empty counts table (rolled back after)."""
    with transaction.atomic():
        DossierCount.objects.all().delete()
        counts_rebuild()
        out = stored()
        transaction.set_rollback(True)
    return out


@pytest.fixture
def rebuilds(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The recounts run (counts_rebuild_detail), by their arguments."""
    seen: list[dict[str, Any]] = []
    real = counts.counts_rebuild_detail

    def spy(**kwargs: Any) -> Any:
        seen.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(counts, "counts_rebuild_detail", spy)
    return seen


@pytest.mark.parametrize("seed", [1, 2])
def test_imports_add_their_difference_and_leave_what_a_rebuild_would(
    seed: int,
    agencies: dict[str, Unit],
    import_rows: Callable[..., Any],
    rebuilds: list[dict[str, Any]],
) -> None:
    rng = random.Random(seed)
    number = 0

    def new_rows(n: int) -> list[list[Any]]:
        nonlocal number
        rows = []
        for _ in range(n):
            number += 1
            rows.append(random_row(rng, f"HS{seed}-{number:05d}"))
        return rows

    first = import_rows(new_rows(300))
    assert len(rebuilds) == 1  # the first import: no counts kept yet, a rebuild
    assert first.rows_rejected > 0 and first.created > 200
    stored_codes = set(Dossier.objects.values_list("code", flat=True))
    assert stored() == rebuilt_from_scratch()

    # Later files change the rows as stored (a refused row was not).
    for _ in range(5):
        rows_by_code = {row[0]: row for row in _stored_rows(stored_codes)}
        codes = sorted(rows_by_code)
        picked = rng.sample(codes, 60)
        file = [changed(rng, rows_by_code[c]) for c in picked[:45]]  # updates, some refused
        file += [rows_by_code[c] for c in picked[45:]]  # unchanged
        file += new_rows(40)
        rng.shuffle(file)
        rebuilds.clear()
        max_before = DossierCount.objects.aggregate(m=Max("id"))["m"]
        report = import_rows(file)
        assert report.updated > 20 and report.created > 20 and report.unchanged >= 15
        assert report.rows_rejected > 0
        assert rebuilds == []  # the difference, not a recount
        assert report.count_rows > 0
        assert DossierCount.objects.aggregate(m=Max("id"))["m"] != max_before  # cache key
        assert stored() == rebuilt_from_scratch()
        stored_codes = set(Dossier.objects.values_list("code", flat=True))

    # An update that only changes counters of cells already stored (no row inserted):
    # the key moves all the same.
    code = Dossier.objects.order_by("id").values_list("code", flat=True).first()
    assert code is not None
    row = _stored_rows({code})[0]
    for reused in (1 - int(row[12]), int(row[12])):
        before = DossierCount.objects.aggregate(m=Max("id"))["m"]
        row[12] = reused
        rebuilds.clear()
        assert import_rows([row]).updated == 1
        assert rebuilds == []
        assert DossierCount.objects.aggregate(m=Max("id"))["m"] != before
        assert stored() == rebuilt_from_scratch()


def _stored_rows(codes: set[str]) -> list[list[Any]]:
    """The stored dossiers `codes` written back as rows of an export."""
    words = {
        "processing": "Đang xử lý",
        "supplement": "Chờ bổ sung",
        "resolved": "Đã giải quyết",
        "rejected": "Từ chối",
        "withdrawn": "Rút hồ sơ",
    }
    out = []
    for d in Dossier.objects.filter(code__in=codes).select_related("unit", "procedure"):
        out.append(
            dossier_row(
                d.code,
                d.unit.code,
                procedure=d.procedure.code,
                channel=d.channel,
                received=_text(d.received_on),
                due=_text(d.due_on),
                finished=_text(d.finished_on),
                status=words[d.status],
                digitized=int(d.digitized),
                e_result=int(d.e_result),
                fee=d.fee,
                payment=d.payment,
                reused=int(d.reused),
            )
        )
    return sorted(out, key=lambda r: r[0])


def test_counts_already_off_are_rebuilt_rather_than_taken_below_zero(
    agencies: dict[str, Unit],
    import_rows: Callable[..., Any],
    rebuilds: list[dict[str, Any]],
) -> None:
    rows = [dossier_row(f"A{n}", XA, received="05/09/2023") for n in range(3)]
    rows.append(dossier_row("B1", XA_2, received="06/09/2023"))
    import_rows(rows)
    # Counts off: the cell of A0..A2 lost (a bad restore, a hand edit).
    DossierCount.objects.filter(day=dt.date(2023, 9, 5)).delete()
    rebuilds.clear()
    report = import_rows([dossier_row("A0", XA, received="05/09/2023", channel=2)])
    assert report.updated == 1
    # Subtracting A0's old version from a missing cell would go below zero: rebuilt.
    assert len(rebuilds) == 1
    assert stored() == rebuilt_from_scratch()
    assert DossierCount.objects.get(day=dt.date(2023, 9, 5)).received == 3


def test_an_import_waits_for_the_versions_another_is_writing(
    agencies: dict[str, Unit],
    import_rows: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL: import B looks its dossier up while import A, which changes it too,
    has not committed; B's difference must subtract A's version (B locks the dossier
    before copying it), not the one B looked up."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's writers take turns")
    import_rows([dossier_row("X", XA), dossier_row("Y", XA_2)])
    a_merged, a_go = threading.Event(), threading.Event()
    real = import_module.counts_rebuild

    def pausing(**kwargs: Any) -> int:
        cells = real(**kwargs)
        if threading.current_thread().name == "A":
            a_merged.set()
            a_go.wait(10)  # A's merge and difference written, not committed
        return cells

    monkeypatch.setattr(import_module, "counts_rebuild", pausing)
    reports: dict[str, Any] = {}

    def run(name: str, rows: list[list[Any]]) -> None:
        try:
            reports[name] = import_rows(rows)
        finally:
            connection.close()

    resolved = dossier_row("X", XA, status="Đã giải quyết", finished="07/09/2023")
    a = threading.Thread(target=run, args=("A", [resolved]), name="A")
    a.start()
    assert a_merged.wait(10)
    moved = dossier_row("X", XA_2, channel=2)  # B read X as open, on XA
    b = threading.Thread(target=run, args=("B", [moved]), name="B")
    b.start()
    time.sleep(1.0)  # B has looked X up and waits for A's lock
    a_go.set()
    a.join(20)
    b.join(20)
    assert reports["A"].updated == reports["B"].updated == 1
    assert Dossier.objects.get(code="X").unit.code == XA_2
    assert stored() == rebuilt_from_scratch()


def test_two_imports_finding_the_counts_off_both_rebuild_without_a_deadlock(
    agencies: dict[str, Unit],
    import_rows: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL: import A finds the counts off (its difference would go below zero)
    while import B, holding the shared counts lock, waits for a dossier A has locked.
    A must let go of that dossier and of its shared lock before it asks for the
    exclusive lock a rebuild needs: asking while holding them, each would wait for the
    other, and the server would abort one import as a deadlock."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's writers take turns")
    import_rows(
        [dossier_row("X", XA, received="05/09/2023"), dossier_row("Y", XA, received="06/09/2023")]
    )
    DossierCount.objects.filter(day=dt.date(2023, 9, 5)).delete()  # counts off (Y's kept)
    a_refused, a_go = threading.Event(), threading.Event()
    real = counts_difference.counts_difference_apply

    def pausing(**kwargs: Any) -> Any:
        applied = real(**kwargs)
        if threading.current_thread().name == "A" and applied.refused and not a_go.is_set():
            a_refused.set()
            a_go.wait(10)  # A holds X and the shared lock; B now waits for X
        return applied

    monkeypatch.setattr(counts_difference, "counts_difference_apply", pausing)
    reports: dict[str, Any] = {}
    failures: dict[str, BaseException] = {}

    def run(name: str, rows: list[list[Any]]) -> None:
        try:
            reports[name] = import_rows(rows)
        except BaseException as exc:  # noqa: BLE001 - the test reads it
            failures[name] = exc
        finally:
            connection.close()

    # A moves X to the 4th: subtracting X from the 5th's missing cell goes below zero.
    earlier = dossier_row("X", XA, received="04/09/2023")
    a = threading.Thread(target=run, args=("A", [earlier]), name="A")
    a.start()
    assert a_refused.wait(10), failures
    moved = dossier_row("X", XA, received="05/09/2023", channel=2)
    b = threading.Thread(target=run, args=("B", [moved]), name="B")
    b.start()
    waiting = 0
    for _ in range(100):  # until B waits for X's lock, held by A
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()"
            )
            waiting = cursor.fetchone()[0]
        if waiting:
            break
        time.sleep(0.1)
    assert waiting == 1
    a_go.set()
    a.join(30)
    b.join(30)
    assert failures == {}
    assert reports["A"].updated == reports["B"].updated == 1
    # B's difference (X online, as A left it) went below no counter and was added;
    # A's rebuild, under the exclusive lock, came after and wrote A's version.
    x = Dossier.objects.get(code="X")
    assert (x.received_on, x.channel) == (dt.date(2023, 9, 4), 1)
    assert stored() == rebuilt_from_scratch()
