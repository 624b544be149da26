"""A hand-made commune for the door-to-door tests: two hamlets of Phường 5 (Mỹ Tho),
households with people in every state, counts built up to today, and a team."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.db import connection
from django.utils import timezone

from chiendich.accounts.roles import Role
from chiendich.conftest import COMMUNE_A
from chiendich.field.models import Team, TeamType
from chiendich.units.models import Level, Unit
from chiendich.units.services import unit_upsert
from chiendich.vneid.counts import counts_rebuild
from chiendich.vneid.models import AccountState, Citizen, FlagKind, Household, Source
from chiendich.vneid.services import citizen_flag_set, citizen_state_record

HAMLET_A, HAMLET_B = f"{COMMUNE_A}-01", f"{COMMUNE_A}-02"
_ONE_REQUEST_AT_A_TIME = threading.Lock()


@pytest.fixture(autouse=True)
def serial_live_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """On SQLite the test database lives in memory, and the live server's threads share
    its one connection: two requests at once (a phone's service worker, its page and its
    sync) would interleave their transactions on it. The live server answers them one
    at a time here, as a real SQLite deployment's writer queue does. PostgreSQL gives
    every thread its own connection and serves them concurrently."""
    if connection.vendor != "sqlite":
        yield
        return
    call = StaticFilesHandler.__call__

    def serial(self: Any, environ: Any, start_response: Any) -> Any:
        with _IN_FLIGHT_LOCK:
            _in_flight[0] += 1
        try:
            with _ONE_REQUEST_AT_A_TIME:
                return call(self, environ, start_response)
        finally:
            with _IN_FLIGHT_LOCK:
                _in_flight[0] -= 1

    monkeypatch.setattr(StaticFilesHandler, "__call__", serial)
    yield


_IN_FLIGHT_LOCK = threading.Lock()
_in_flight = [0]  # requests the live server has taken and not answered yet


@pytest.fixture(autouse=True)
def live_requests_answered(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a browser test on SQLite, wait until the live server has answered what the
    phone still asked (a page keeps fetching its hamlet's data after the test's last
    check) before the test database is emptied: a request answered during the flush
    locks a table under it ("database table is locked"), and the next test then starts
    on the rows left. Asking for the database fixture here makes this run first."""
    if connection.vendor != "sqlite" or "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("_django_db_helper")
    yield
    quiet, deadline = 0, time.monotonic() + 10
    while quiet < 5 and time.monotonic() < deadline:  # 5 looks 20 ms apart with none
        with _IN_FLIGHT_LOCK:
            busy = _in_flight[0]
        quiet = 0 if busy else quiet + 1
        time.sleep(0.02)


@pytest.fixture(autouse=True)
def field_inbox_dir(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each test's field inbox in a folder of its own, never ./var."""
    settings.FIELD_INBOX_DIR = tmp_path_factory.mktemp("inbox")


PASSWORD = "tinh-nguyen-383"


@dataclass
class Field:
    hamlet_a: Unit
    hamlet_b: Unit
    people: dict[str, Citizen]
    team: Team
    volunteer: object
    today: dt.date


_serial = iter(range(1, 100_000))


def make_citizen(hamlet: Unit, household: Household, name: str, state: str | None) -> Citizen:
    n = next(_serial)
    citizen = Citizen.objects.create(
        id_number=f"082{n:09d}",
        full_name=name,
        birth_date=dt.date(1980, 1, 1) + dt.timedelta(days=n),
        sex="F" if n % 2 else "M",
        phone=f"09{n:08d}",
        commune=hamlet.parent,
        unit=hamlet,
        household=household,
    )
    if state:
        day = timezone.localdate() - dt.timedelta(days=10)
        citizen_state_record(citizen, state=state, date=day, source=Source.POLICE_LIST)
    return citizen


@pytest.fixture
def field(tien_giang, make_user) -> Field:
    commune = Unit.objects.get(code=COMMUNE_A)
    hamlets = [
        unit_upsert(code=code, name=name, unit_type="ap", level=Level.HAMLET, parent=commune)
        for code, name in ((HAMLET_A, "Khu phố Một"), (HAMLET_B, "Khu phố Hai"))
    ]
    a, b = (Unit.objects.get(pk=h[0].pk) for h in hamlets)
    hh = {code: Household.objects.create(code=code, commune=commune, unit=a) for code in "HPNXD"}
    hh["B"] = Household.objects.create(code="B", commune=commune, unit=b)
    people = {
        # Household N: only a not-registered person.
        "not_registered": make_citizen(a, hh["N"], "Nguyễn Văn Chưa", None),
        # Household P: pending and activated.
        "pending": make_citizen(a, hh["P"], "Trần Thị Chờ", AccountState.L1_PENDING),
        "activated": make_citizen(a, hh["P"], "Lê Văn Xong", AccountState.ACTIVATED_L2),
        # Household H: approved, awaiting activation: the best chance.
        "approved": make_citizen(a, hh["H"], "Phạm Thị Duyệt", AccountState.APPROVED),
        "approved2": make_citizen(a, hh["H"], "Phạm Văn Duyệt", AccountState.APPROVED),
        # Household X: absent, to revisit.
        "absent": make_citizen(a, hh["X"], "Võ Văn Vắng", AccountState.APPROVED),
        # Household D: nothing left to win.
        "done": make_citizen(a, hh["D"], "Đặng Thị Đủ", AccountState.ACTIVATED_L1),
        "other": make_citizen(b, hh["B"], "Hồ Văn Khác", AccountState.APPROVED),
    }
    today = timezone.localdate()
    citizen_flag_set(
        people["absent"],
        kind=FlagKind.ABSENT,
        date=today - dt.timedelta(days=3),
        source=Source.VISIT,
    )
    counts_rebuild(today - dt.timedelta(days=10), today)
    volunteer = make_user(Role.VOLUNTEER, HAMLET_A, password=PASSWORD)
    team = Team.objects.create(name="Đội tình nguyện KP1", type=TeamType.VOLUNTEER, commune=commune)
    team.hamlets.set([a])
    team.members.set([volunteer])
    return Field(a, b, people, team, volunteer, today)
