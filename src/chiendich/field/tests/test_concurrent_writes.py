"""Field writes that never fail: volunteers and officers post outcomes over HTTP, many
at once and on the same people, while a police list naming those people imports.
Every outcome is stored exactly once, none answers 5xx, the import writes all its
rows, and the stored daily counts equal a recount.

The run happens in a child process (writers.py) on a real database file or server:
SQLite's in-memory test database is shared-cache, whose table locks ignore the
busy timeout, so it cannot show how writers wait for each other. On SQLite the
test database is copied to a file first (the online backup API); on PostgreSQL
the child uses the test database itself. The size is CI's (a dozen writers for a
few seconds, a list of a few thousand rows); bench/bench_field_writes.py runs
the issue's 50 writers with a 300,000-row list.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from chiendich.accounts.roles import Role
from chiendich.api.services import api_token_rotate
from chiendich.conftest import COMMUNE_A
from chiendich.field.models import Visit
from chiendich.vneid.models import AccountEvent, Citizen

from .conftest import HAMLET_A, HAMLET_B

LIST_ROWS = 3_000
HEADER = (
    "Số định danh cá nhân,Họ và tên,Ngày sinh,Giới tính,Mã xã,Ấp/Khu phố,Mã hộ,"
    "Số điện thoại,Trạng thái,Ngày cập nhật"
)
STATES = ("Đã duyệt, chờ kích hoạt", "Đã kích hoạt mức 1", "Chưa đăng ký")


def police_list(path: Path, field, rows: int) -> Path:  # type: ignore[no-untyped-def]
    """New people in both hamlets, plus the door-to-door people themselves with a
    newer status: the import changes the very citizens the writers are visiting."""
    day = field.today.strftime("%d/%m/%Y")
    lines = [HEADER]
    for k in range(rows):
        hamlet = "Khu phố Một" if k % 2 else "Khu phố Hai"
        female, year = k % 3 != 0, 1950 + k % 50
        lines.append(
            f"082{int(female)}{year % 100:02d}{k:06d},Người Thứ {k},01/01/{year},"
            f"{'Nữ' if female else 'Nam'},{COMMUNE_A},{hamlet},{COMMUNE_A}-L{k // 4:05d},,"
            f'"{STATES[k % 3]}",{day}'
        )
    for citizen in Citizen.objects.filter(unit__code__in=[HAMLET_A, HAMLET_B]):
        # The fixture's ID numbers do not spell its birth years: make them agree.
        citizen.id_number = (
            f"082{int(citizen.sex == 'F')}{citizen.birth_date.year % 100:02d}9{citizen.pk:05d}"
        )
        citizen.save(update_fields=["id_number"])
        lines.append(
            f"{citizen.id_number},{citizen.full_name},{citizen.birth_date:%d/%m/%Y},"
            f"{'Nữ' if citizen.sex == 'F' else 'Nam'},{COMMUNE_A},{citizen.unit.name},"
            f"{citizen.household.code if citizen.household else ''},,Đã kích hoạt mức 1,{day}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def child_env(tmp_path: Path) -> dict[str, str]:
    """The child's settings: the same database as this test, as a file or a server."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="chiendich.settings")
    env.setdefault("CHIENDICH_SECRET_KEY", "test-concurrent-writes-not-a-secret")
    env.pop("CHIENDICH_TEST_SQLITE", None)
    # The field inbox (and any upload) of the child lives here, not in ./var.
    env["CHIENDICH_DATA_DIR"] = str(tmp_path)
    if connection.vendor == "sqlite":
        env.pop("DATABASE_URL", None)
        target = sqlite3.connect(tmp_path / "chiendich.sqlite3")
        connection.ensure_connection()
        connection.connection.backup(target)
        target.close()
    else:
        url = urlsplit(os.environ["DATABASE_URL"])
        name = connection.settings_dict["NAME"]
        env["DATABASE_URL"] = urlunsplit(url._replace(path=f"/{name}"))
    return env


def twelve_writers(field: Any, make_user: Any) -> list[dict[str, Any]]:
    """Eight volunteers of hamlet A (its people) and four officers of the commune (both
    hamlets' people), each with an API token: the child's writers."""
    people_a = [c.pk for c in Citizen.objects.filter(unit=field.hamlet_a)]
    people_all = [c.pk for c in Citizen.objects.filter(unit__code__in=[HAMLET_A, HAMLET_B])]
    volunteers = [make_user(Role.VOLUNTEER, HAMLET_A) for _ in range(8)]
    field.team.members.add(*volunteers)
    officers = [make_user(Role.COMMUNE_OFFICER, COMMUNE_A) for _ in range(4)]
    writers = [
        {"name": f"v{k}", "token": api_token_rotate(user=u), "citizens": people_a}
        for k, u in enumerate(volunteers)
    ] + [
        {"name": f"o{k}", "token": api_token_rotate(user=u), "citizens": people_all}
        for k, u in enumerate(officers)
    ]
    return writers


@pytest.mark.django_db(transaction=True)
def test_writers_and_an_import_at_once_all_stored_once_counts_exact(
    field, make_user, tmp_path
) -> None:
    writers = twelve_writers(field, make_user)
    people_all = writers[-1]["citizens"]  # an officer's: both hamlets' people
    path = police_list(tmp_path / "danh-sach.csv", field, LIST_ROWS)
    spec = {"writers": writers, "seconds": 4, "import": str(path), "old_path": False}
    (tmp_path / "spec.json").write_text(json.dumps(spec))

    env = child_env(tmp_path)
    # A small list merges in about a second: a short bound lets outcomes meet the inbox.
    env["CHIENDICH_FIELD_WAIT_SECONDS"] = "0.5"
    done = subprocess.run(  # noqa: S603 - our own module
        [sys.executable, "-m", "chiendich.field.tests.writers", str(tmp_path / "spec.json")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(json.dumps({k: v for k, v in result.items() if k != "imported"}))

    assert result["imported"].get("error") is None, result["imported"]
    assert result["imported"]["valid"] == LIST_ROWS + len(people_all)
    # Every outcome ends stored: answered 201 (written at once) or 202 (accepted into
    # the field inbox while the import merged, written after it). Nothing answers
    # 5xx (not even 503: the inbox takes what waited past the bound) or drops the
    # connection. (Before the inbox: only 201, after retries of 503s.)
    assert set(result["statuses"]) <= {"201", "202"}, result
    assert sum(result["statuses"].values()) == result["sent"], result
    assert result["retried"] == 0, result
    assert result["sent"] >= 2 * len(writers)
    assert result["not_stored_exactly_once"] == 0
    assert result["stored_without_201"] == 0
    assert result["count_rows"] > 0 and result["count_rows_differing"] == 0, result

    if connection.vendor == "postgresql":  # the child wrote here: see it from this side too
        assert Visit.objects.count() == result["stored"]
        assert AccountEvent.objects.filter(batch__isnull=False).exists()


@pytest.mark.django_db
def test_a_database_still_busy_past_the_bound_answers_202_and_writes_later(
    field, monkeypatch
) -> None:
    """SQLite raises "database is locked" once the outcome's wait (the bound,
    settings.FIELD_WAIT_SECONDS) is spent. Before the field inbox the API said 503
    with Retry-After and the page said to tap again; now the outcome is accepted:
    the API says 202, the page "received, being written", nothing is written yet,
    and the inbox writes it once the database is free. (The error is raised where
    the database would raise it: at the start of the outcome's transaction.)"""
    from django.db import OperationalError
    from django.test import Client
    from django.urls import reverse
    from django.utils.translation import gettext, override
    from rest_framework.test import APIClient

    from chiendich.field import services
    from chiendich.field.inbox import inbox_drain, inbox_waiting

    def locked(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("database is locked")

    saved = services._visit_record
    monkeypatch.setattr(services, "_visit_record", locked)
    citizen = field.people["approved"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_rotate(user=field.volunteer)}")
    answer = api.post(
        "/api/visits/", {"citizen": citizen.pk, "outcome": "activated_l1"}, format="json"
    )
    assert answer.status_code == 202
    with override("vi"):  # the site's language (LANGUAGE_CODE), translated or not yet
        said = gettext("Received; being written. It is stored within moments.")
        told = gettext("%(name)s: %(outcome)s (received, being written)") % {
            "name": citizen.full_name,
            "outcome": gettext("activated level 1 now"),
        }
    assert answer.json()["detail"] == said

    page = Client()
    page.force_login(field.volunteer)
    url = reverse("field:hamlet", args=[HAMLET_A])
    answer = page.post(url, {"citizen": citizen.pk, "outcome": "activated_l1"}, follow=True)
    assert answer.status_code == 200
    assert told in answer.content.decode()
    assert not Visit.objects.exists()
    assert inbox_waiting() == 2

    monkeypatch.setattr(services, "_visit_record", saved)
    assert inbox_drain().applied == 2
    assert Visit.objects.filter(citizen=citizen).count() == 2

    # Any other database error is not "busy": it stays an error.
    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(services, "_visit_record", broken)
    with pytest.raises(OperationalError):
        services.visit_record(citizen, outcome="refused", day=field.today, acting_user=None)
