"""The field inbox: an outcome never answers 5xx nor waits long because an import (or
anything) holds the database's lock. Past settings.FIELD_WAIT_SECONDS it is accepted
(202), kept durably, and written once when the lock is free; the counts then equal a
recount."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
import tarfile
import time
import uuid
from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, override
from rest_framework.test import APIClient

from chiendich.api.services import api_token_rotate
from chiendich.field import inbox, services
from chiendich.field.inbox import inbox_drain, inbox_failed, inbox_waiting
from chiendich.field.models import Visit
from chiendich.vneid.models import AccountState, Citizen

from .conftest import HAMLET_A
from .test_concurrent_writes import child_env, twelve_writers
from .writers import _counts_check

WAIT = 1.0  # the bound in the child (settings.FIELD_WAIT_SECONDS)
MARGIN = 8.0  # a loaded CI machine: threads, HTTP and the inbox's own write


@pytest.mark.django_db(transaction=True)
def test_outcomes_while_the_lock_is_held_answer_202_within_the_bound_then_stored_once(
    field, make_user, tmp_path
) -> None:
    """(1) Another connection holds what an import's merge holds (SQLite: the write
    lock; PostgreSQL: the counts lock exclusive) for longer than the bound; twelve
    outcomes sent at once all answer 202 within the bound and a margin, none 5xx; sent
    again while held, 202 again and nothing twice in the inbox; once released, a new
    outcome joins them at once (202) and its request drains the inbox after its
    answer, the worker's drain the rest: each stored once, the counts equal a
    recount, and sent a third time each answers 200."""
    writers = twelve_writers(field, make_user)
    (tmp_path / "spec.json").write_text(json.dumps({"writers": writers}))
    before = Visit.objects.count()
    env = child_env(tmp_path)
    env["CHIENDICH_FIELD_WAIT_SECONDS"] = str(WAIT)
    done = subprocess.run(  # noqa: S603 - our own module
        [sys.executable, "-m", "chiendich.field.tests.writers", "--held", "spec.json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    n = len(writers)

    assert [status for status, _ in result["first"]] == [202] * n, result
    assert max(seconds for _, seconds in result["first"]) < WAIT + MARGIN, result
    assert [status for status, _ in result["again_while_held"]] == [202] * n, result
    assert result["held_seconds"] > WAIT  # the lock was held past the bound
    assert result["waiting_while_held"] == n
    assert result["visits_while_held"] == before  # nothing written while held
    assert result["fresh"][0] == 202  # joins the waiting ones, at once
    assert result["fresh"][1] < WAIT + MARGIN
    assert result["waiting_after_fresh"] < n + 1  # its request drained the inbox
    assert result["drain"]["failed"] == 0 and result["drain"]["left"] == 0
    assert result["drain"]["applied"] <= result["waiting_after_fresh"]
    assert result["waiting_after_drain"] == 0
    assert [status for status, _ in result["after_drain"]] == [200] * n, result
    assert result["stored_once"] == n + 1 and result["stored_not_once"] == 0
    assert result["count_rows"] > 0 and result["count_rows_differing"] == 0, result


def _busy(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The database stays busy past the bound, as SQLite or PostgreSQL say it (the
    error raised where the database would: at the start of the outcome's transaction).
    Returns the list of calls made."""
    calls: list[int] = []

    def locked(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "_visit_record", locked)
    return calls


def _api(user) -> APIClient:  # type: ignore[no-untyped-def]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_rotate(user=user)}")
    return api


@pytest.mark.django_db
def test_the_same_client_id_while_pending_and_after_the_drain_is_stored_once(
    field, monkeypatch
) -> None:
    """(2) Once per client_id across the inbox and the visits: sent while pending it
    answers 202 and stays one entry; a different outcome under it is 409; after the
    drain it answers 200 with the one stored visit."""
    citizen = field.people["approved"]
    api = _api(field.volunteer)
    client_id = str(uuid.uuid4())
    body = {"citizen": citizen.pk, "outcome": "activated_l1", "client_id": client_id}
    with monkeypatch.context() as patch:
        _busy(patch)
        answer = api.post("/api/visits/", body, format="json")
        assert answer.status_code == 202
        assert answer.json()["client_id"] == client_id
        assert answer.json()["status"] == "pending"
        with override("vi"):
            said = gettext("Received; being written. It is stored within moments.")
        assert answer.json()["detail"] == said
        assert api.post("/api/visits/", body, format="json").status_code == 202
        assert inbox_waiting() == 1
        other = dict(body, outcome="refused")
        assert api.post("/api/visits/", other, format="json").status_code == 409
        assert not Visit.objects.exists()
    # Not busy any more, but the outcome still waits: sent again, it is still the one
    # entry (a new outcome joins the waiting ones rather than overtake them).
    assert api.post("/api/visits/", body, format="json").status_code == 202
    assert inbox_waiting() == 1
    assert inbox_drain().applied == 1
    assert inbox_waiting() == 0
    answer = api.post("/api/visits/", body, format="json")
    assert answer.status_code == 200
    assert Visit.objects.filter(client_id=client_id).count() == 1
    citizen.refresh_from_db()
    assert citizen.state == AccountState.ACTIVATED_L1

    # Accepted while busy, drained, then sent again: 200, one visit.
    second = dict(body, client_id=str(uuid.uuid4()), citizen=field.people["approved2"].pk)
    with monkeypatch.context() as patch:
        _busy(patch)
        assert api.post("/api/visits/", second, format="json").status_code == 202
    assert inbox_drain().applied == 1
    assert api.post("/api/visits/", second, format="json").status_code == 200
    assert api.post("/api/visits/", dict(second, note="x"), format="json").status_code == 409
    assert Visit.objects.filter(client_id=second["client_id"]).count() == 1
    assert _counts_check()[1] == 0


@pytest.mark.django_db
def test_an_outcome_without_a_client_id_gets_one_and_keeps_its_receipt_time(
    field, monkeypatch
) -> None:
    """The server makes the id of an outcome sent without one, and the conflict rule
    holds through the inbox: A is received at T1 with no phone time (it happened at
    T1, not when drained); B, tapped offline an hour before T1 and sent after it,
    arrives later but happened earlier: drained, A decides the person's state and B is
    kept with applied=False. While outcomes wait, a new one joins them at once."""
    citizen = field.people["approved"]
    api = _api(field.volunteer)
    with monkeypatch.context() as patch:
        calls = _busy(patch)
        answer = api.post(
            "/api/visits/", {"citizen": citizen.pk, "outcome": "activated_l1"}, format="json"
        )
        received = timezone.now()
    assert answer.status_code == 202
    made = answer.json()["client_id"]
    uuid.UUID(made)
    earlier = (received - dt.timedelta(hours=1)).isoformat()
    later = api.post(
        "/api/visits/",
        {"citizen": citizen.pk, "outcome": "refused", "recorded_on_phone": earlier},
        format="json",
    )
    assert later.status_code == 202  # joined the waiting one at once
    assert len(calls) == 1
    time.sleep(0.05)
    assert inbox_drain().applied == 2
    a = Visit.objects.get(client_id=made)
    b = Visit.objects.get(client_id=later.json()["client_id"])
    assert a.applied is True and b.applied is False
    assert a.recorded_on_phone is not None and a.recorded_on_phone <= received
    assert a.recorded_on_phone < a.recorded_at  # its receipt time, not the drain's
    citizen.refresh_from_db()
    assert citizen.state == AccountState.ACTIVATED_L1
    assert _counts_check()[1] == 0


@pytest.mark.django_db
def test_a_drain_killed_midway_loses_nothing_and_stores_nothing_twice(field, monkeypatch) -> None:
    """(3) A drain that dies inside its batch's transaction, and one that dies after
    committing it but before removing the entries: the next drain writes each
    outcome exactly once, in arrival order, and the counts equal a recount."""
    api = _api(field.volunteer)
    people = ["approved", "approved2", "not_registered", "absent"]
    ids = [str(uuid.uuid4()) for _ in people]
    with monkeypatch.context() as patch:
        _busy(patch)
        for key, client_id in zip(people, ids, strict=True):
            body = {"citizen": field.people[key].pk, "outcome": "guided", "client_id": client_id}
            assert api.post("/api/visits/", body, format="json").status_code == 202
    assert inbox_waiting() == 4

    # Killed inside the batch's transaction, at the third outcome's write: all of
    # the batch rolled back, every entry still there.
    write = services._visit_write
    seen = {"n": 0}

    def dies_inside(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen["n"] += 1
        visit = write(*args, **kwargs)
        if seen["n"] == 3:
            raise SystemExit(9)  # the process dies: not even an Exception
        return visit

    with monkeypatch.context() as patch:
        patch.setattr(services, "_visit_write", dies_inside)
        with pytest.raises(SystemExit):
            inbox_drain()
    assert not Visit.objects.filter(client_id__in=ids).exists()
    assert inbox_waiting() == 4

    # Killed after the batch committed, before its entries were removed.
    def dies_before_removing(entries):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(inbox, "_remove", dies_before_removing)
        with pytest.raises(KeyboardInterrupt):
            inbox_drain()
    assert Visit.objects.filter(client_id__in=ids).count() == 4
    assert inbox_waiting() == 4

    # The next drain finds them written under their ids: removed, none written twice.
    drained = inbox_drain()
    assert drained.applied == 4 and drained.failed == 0 and drained.left == 0
    assert inbox_waiting() == 0
    for client_id in ids:
        assert Visit.objects.filter(client_id=client_id).count() == 1
    visits = list(Visit.objects.filter(client_id__in=ids).order_by("pk"))
    assert [str(v.client_id) for v in visits] == ids  # arrival order
    assert _counts_check()[1] == 0


@pytest.mark.django_db
def test_an_entry_that_cannot_be_written_is_kept_with_its_error(field, monkeypatch) -> None:
    """Never dropped silently: a person deleted since the outcome was accepted."""
    api = _api(field.volunteer)
    citizen = field.people["approved"]
    with monkeypatch.context() as patch:
        _busy(patch)
        body = {"citizen": citizen.pk, "outcome": "refused"}
        assert api.post("/api/visits/", body, format="json").status_code == 202
        body = {"citizen": field.people["approved2"].pk, "outcome": "refused"}
        assert api.post("/api/visits/", body, format="json").status_code == 202
    Citizen.objects.filter(pk=citizen.pk).delete()
    drained = inbox_drain()
    assert (drained.applied, drained.failed, drained.left) == (1, 1, 0)
    assert inbox_waiting() == 1
    assert len(inbox_failed()) == 1
    health = Client().get(reverse("web:healthz")).json()
    assert health["field_inbox"] == {"waiting": 1, "failed": 1}


@pytest.mark.django_db
def test_the_offline_sync_and_the_page_accept_while_busy(field, monkeypatch) -> None:
    """The phone's batch: the first outcome waits the bound, the others of the batch
    go to the inbox at once (a batch never waits the bound per outcome); each answers
    202 and the phone drops it. A refused person is still refused with a message
    (issue 13), never accepted. The page says "received, being written"."""
    page = Client()
    page.force_login(field.volunteer)
    now = timezone.now().isoformat()
    items = [
        {
            "client_id": str(uuid.uuid4()),
            "citizen": field.people[key].pk,
            "outcome": "absent",
            "recorded_on_phone": now,
        }
        for key in ("approved", "approved2", "other", "pending")
    ]
    with monkeypatch.context() as patch:
        calls = _busy(patch)
        answer = page.post(
            reverse("field:sync"), {"outcomes": items}, content_type="application/json"
        )
        assert answer.status_code == 200
        results = answer.json()["results"]
        assert [r["status"] for r in results] == [202, 202, 403, 202]
        assert len(calls) == 1
        assert inbox_waiting() == 3
        # The page: accepted, and it says so.
        url = reverse("field:hamlet", args=[HAMLET_A])
        citizen = field.people["done"]
        answer = page.post(url, {"citizen": citizen.pk, "outcome": "refused"}, follow=True)
        assert answer.status_code == 200
        with override("vi"):
            told = gettext("%(name)s: %(outcome)s (received, being written)") % {
                "name": citizen.full_name,
                "outcome": gettext("refused"),
            }
        assert told in answer.content.decode()
        assert inbox_waiting() == 4
    assert inbox_drain().applied == 4
    answer = page.post(reverse("field:sync"), {"outcomes": items}, content_type="application/json")
    assert [r["status"] for r in answer.json()["results"]] == [200, 200, 403, 200]
    assert Visit.objects.count() == 4
    assert _counts_check()[1] == 0


@pytest.mark.django_db(transaction=True)
def test_the_bound_on_postgresql_is_a_lock_timeout(field) -> None:
    """PostgreSQL: the outcome's transaction waits at most the bound for the counts
    lock an import's merge holds exclusive, then the outcome is accepted."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's lock_timeout")
    from chiendich.conftest import pg_session
    from chiendich.core.locks import VNEID_COUNTS

    with pg_session() as other:
        other.execute("SELECT pg_advisory_lock(%s)", [VNEID_COUNTS])
        started = time.monotonic()
        submitted = inbox.visit_submit(
            field.people["approved"],
            outcome="refused",
            day=field.today,
            acting_user=field.volunteer,  # type: ignore[arg-type]
        )
        assert submitted.status == 202
        assert time.monotonic() - started < inbox.wait_seconds() + 3
        # The bound ended with the transaction: the session waits as before.
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            assert cursor.fetchone()[0] == "0"
    assert inbox_drain().applied == 1
    assert Visit.objects.count() == 1


def test_the_inbox_is_per_database(settings, tmp_path: Path) -> None:
    """Two databases used from one data folder never apply each other's outcomes."""
    first = inbox.inbox_path()
    saved = dict(connection.settings_dict)
    try:
        connection.settings_dict["NAME"] = "another"
        assert inbox.inbox_path() != first
        assert inbox.inbox_path().parent == first.parent
    finally:
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


@pytest.mark.django_db
def test_the_workers_heartbeat_drains_the_inbox(field, monkeypatch) -> None:
    """The worker writes what waits even when no outcome request comes (its heartbeat,
    every few seconds), as the import job does when it ends."""
    from chiendich.imports.worker import Heartbeat

    api = _api(field.volunteer)
    with monkeypatch.context() as patch:
        _busy(patch)
        body = {"citizen": field.people["approved"].pk, "outcome": "absent"}
        assert api.post("/api/visits/", body, format="json").status_code == 202
    assert inbox_waiting() == 1
    Heartbeat("test-worker").beat()
    assert inbox_waiting() == 0
    assert Visit.objects.filter(citizen=field.people["approved"], outcome="absent").count() == 1


@pytest.mark.django_db
def test_an_import_job_drains_the_inbox_when_it_ends(field, monkeypatch) -> None:
    """imports.services.job_import_run writes what waited while the import held the
    lock, right after it (its own run is stubbed here: only the hook is tested)."""
    from chiendich.imports import services as imports

    api = _api(field.volunteer)
    with monkeypatch.context() as patch:
        _busy(patch)
        body = {"citizen": field.people["approved2"].pk, "outcome": "guided"}
        assert api.post("/api/visits/", body, format="json").status_code == 202
    monkeypatch.setattr(imports, "_move", lambda *args, **kwargs: True)
    monkeypatch.setattr(imports, "_run", lambda *args, **kwargs: None)
    imports.job_import_run(SimpleNamespace(confirmed_by=None))  # type: ignore[arg-type]
    assert inbox_waiting() == 0
    assert Visit.objects.filter(citizen=field.people["approved2"], outcome="guided").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_backup_keeps_the_waiting_outcomes_and_a_restore_writes_each_once(
    field, monkeypatch, settings, tmp_path: Path
) -> None:
    """`chiendich backup` takes the inbox (before the database), `restore` puts it back:
    an outcome waiting at backup time is written once after the restore, and one drained
    between the inbox's snapshot and the database's (in both) is not written twice.
    Outcomes still waiting in the inbox a restore replaces are kept beside it."""
    from django.core.management import call_command

    from chiendich.core import backup

    settings.DATA_DIR = tmp_path / "var"
    settings.RESULTS_STORAGE_DIR = tmp_path / "var" / "results"
    api = _api(field.volunteer)
    waiting, drained_between = str(uuid.uuid4()), str(uuid.uuid4())
    with monkeypatch.context() as patch:
        _busy(patch)
        for key, client_id in (("approved", waiting), ("approved2", drained_between)):
            body = {"citizen": field.people[key].pk, "outcome": "guided", "client_id": client_id}
            assert api.post("/api/visits/", body, format="json").status_code == 202
    snapshot = backup._snapshot

    def drained_in_between(folder: Path, vendor: str) -> Path:
        # After the inbox's copy, before the database's: `drained_between` is written.
        assert inbox_drain(limit=2).applied == 2
        Visit.objects.filter(client_id=waiting).delete()  # as if drained only later
        assert (
            inbox.inbox_accept(
                field.people["approved"],
                outcome="guided",
                day=field.today,
                acting_user=field.volunteer,
                reason="",
                note="",
                client_id=waiting,
                recorded_on_phone=None,
            ).status
            == 202
        )
        return snapshot(folder, vendor)

    monkeypatch.setattr(backup, "_snapshot", drained_in_between)
    archive = tmp_path / "sao-luu.tar"
    call_command("backup", str(archive), stdout=StringIO())
    monkeypatch.setattr(backup, "_snapshot", snapshot)
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile(backup.MANIFEST).read())  # type: ignore[union-attr]
    assert manifest["field_inbox"] == backup.INBOX_MEMBER
    assert backup.INBOX_MEMBER in {m["path"] for m in manifest["members"]}

    # Later: everything drained, and another outcome waits (it belongs to data the
    # restore replaces).
    inbox_drain()
    later = str(uuid.uuid4())
    with monkeypatch.context() as patch:
        _busy(patch)
        body = {"citizen": field.people["absent"].pk, "outcome": "guided", "client_id": later}
        assert api.post("/api/visits/", body, format="json").status_code == 202
    out = StringIO()
    call_command("restore", str(archive), "--force", stdout=out)

    # The backup's inbox is back (both entries it held), the later one kept aside.
    assert inbox.inbox_get(waiting) is not None and inbox.inbox_get(drained_between) is not None
    assert inbox.inbox_get(later) is None
    kept = list(inbox.inbox_path().parent.glob(inbox.inbox_path().name + ".replaced-*"))
    assert len(kept) == 1
    with sqlite3.connect(kept[0]) as copy:
        assert [r[0] for r in copy.execute("SELECT client_id FROM inbox")] == [later]
    assert Visit.objects.filter(client_id=drained_between).count() == 1
    assert not Visit.objects.filter(client_id=waiting).exists()
    drained = inbox_drain()
    assert drained.failed == 0 and inbox_waiting() == 0
    for client_id in (waiting, drained_between):
        assert Visit.objects.filter(client_id=client_id).count() == 1
    assert not Visit.objects.filter(client_id=later).exists()
    assert _counts_check()[1] == 0
