"""The unit page under load (issue 16 item 8) and right after an import (issue 15 item 3):
a warm view costs a bounded number of queries; the cached part of the page never
crosses a reader's scope; a change of the data shows at once; the cache is shared by
the server's processes; a dossier import leaves the overview computed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from chiendich.accounts.roles import Role
from chiendich.core.caching import TieredCache
from chiendich.procedures.tests.conftest import (  # noqa: F401 - fixtures
    catalogue,
    dossier_row,
    import_rows,
)
from chiendich.units.models import Unit
from chiendich.vneid.counts import counts_rebuild
from chiendich.vneid.models import AccountState, Citizen, Source
from chiendich.vneid.services import citizen_state_record
from chiendich.web import dashboard, stored, warm

from .conftest import COMMUNE, END, SIBLING, START

pytestmark = pytest.mark.django_db
DISTRICT = "822"  # Huyện Chợ Gạo, parent of COMMUNE and SIBLING


def page(code: str) -> str:
    return reverse("web:unit-detail", args=[code])


def main(response: Any) -> str:
    return str(response.content.decode().split("<main>")[1].split("</main>")[0])


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_warm_view_reads_the_user_and_one_snapshot(
    small_campaign: Any, make_user: Any, django_assert_max_num_queries: Any
) -> None:
    client = signed_in(make_user(Role.DISTRICT_OFFICER, DISTRICT))
    first = client.get(page(DISTRICT))
    assert first.status_code == 200
    # The user and the snapshot (the data versions, the last counted day and the user's
    # units); the session comes from the cache folder: nothing that grows with the page.
    with django_assert_max_num_queries(2):
        again = client.get(page(DISTRICT))
    assert again.status_code == 200
    # The same page below the header (the header's CSRF tokens differ per view).
    assert main(again) == main(first)
    assert "Chợ Gạo" in main(again)


def test_the_cached_page_never_crosses_a_scope(small_campaign: Any, make_user: Any) -> None:
    district = signed_in(make_user(Role.DISTRICT_OFFICER, DISTRICT))
    commune = signed_in(make_user(Role.COMMUNE_OFFICER, COMMUNE))
    sibling = signed_in(make_user(Role.COMMUNE_OFFICER, SIBLING))

    # The district officer's views put the district's and the commune's pages in the cache.
    assert district.get(page(DISTRICT)).status_code == 200
    seen_by_district = district.get(page(COMMUNE))
    assert seen_by_district.status_code == 200

    # Another commune's officer finds neither: 404, as for a unit that does not exist.
    assert sibling.get(page(COMMUNE)).status_code == 404
    assert sibling.get(page(DISTRICT)).status_code == 404
    assert commune.get(page(DISTRICT)).status_code == 404

    # The commune's own officer gets the commune's page for their own scope: the
    # district in the breadcrumbs is not a link for them (it was for the district officer).
    district_link = f'href="{page(DISTRICT)}'
    assert district_link in seen_by_district.content.decode()
    own = commune.get(page(COMMUNE))
    assert own.status_code == 200
    assert district_link not in own.content.decode()
    assert "Chợ Gạo" in own.content.decode()


def test_a_user_who_loses_a_unit_loses_its_cached_page(small_campaign: Any, make_user: Any) -> None:
    officer = make_user(Role.COMMUNE_OFFICER, COMMUNE)
    client = signed_in(officer)
    assert client.get(page(COMMUNE)).status_code == 200
    officer.units.set([Unit.objects.get(code=SIBLING)])
    assert client.get(page(COMMUNE)).status_code == 404
    assert client.get(page(SIBLING)).status_code == 200


def test_a_recount_shows_on_the_next_view(small_campaign: Any, make_user: Any) -> None:
    client = signed_in(make_user(Role.COMMUNE_OFFICER, COMMUNE))
    before = client.get(page(COMMUNE) + "?ngay=2023-10-18").content.decode()
    hamlet = Unit.objects.get(code=f"{COMMUNE}-01")
    late = Citizen.objects.filter(unit=hamlet).order_by("pk").last()
    assert late is not None
    citizen_state_record(
        Citizen.objects.create(
            id_number="082090999991",
            full_name="Người mới",
            birth_date=dt.date(1980, 5, 5),
            sex="M",
            commune=hamlet.parent,
            unit=hamlet,
        ),
        state=AccountState.ACTIVATED_L1,
        date=dt.date(2023, 10, 1),
        source=Source.POLICE_LIST,
    )
    counts_rebuild(START, END)
    after = client.get(page(COMMUNE) + "?ngay=2023-10-18").content.decode()
    assert after != before
    # 5 of 6 activated before, 6 of 7 now (the figure the page shows for the commune).
    assert stored.vneid_series(Unit.objects.get(code=COMMUNE), END, END)[0].activated == 6


def test_one_snapshot_query_per_view_and_fresh_outside(
    small_campaign: Any, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1), stored.one_snapshot():
        first = stored.snapshot()
        assert stored.data_version(stored.VNEID, stored.TTHC) == first.version(
            stored.VNEID, stored.TTHC
        )
        assert stored.last_day() == END
    with django_assert_num_queries(2):  # outside a view: every call reads again
        stored.snapshot()
        stored.snapshot()
    assert first.counts[stored.VNEID] is not None


def test_the_snapshot_reads_the_readers_units_as_their_own_query_does(
    small_campaign: Any, make_user: Any, django_assert_num_queries: Any
) -> None:
    from chiendich.accounts.models import User

    officer = make_user(Role.DISTRICT_OFFICER, DISTRICT, COMMUNE)
    expected = sorted(User.objects.get(pk=officer.pk).scope_paths())
    reader = User.objects.get(pk=officer.pk)
    with django_assert_num_queries(1), stored.one_snapshot(reader):
        stored.snapshot()
        assert reader.scope_paths() == expected and len(expected) == 2
    nobody = make_user(Role.DISTRICT_OFFICER, DISTRICT)
    nobody.units.clear()
    reader = User.objects.get(pk=nobody.pk)
    with django_assert_num_queries(1), stored.one_snapshot(reader):
        stored.snapshot()
        assert reader.scope_paths() == []


def test_the_cache_is_shared_by_processes(tmp_path: Path) -> None:
    params = {"TIMEOUT": 60, "KEY_PREFIX": "t"}
    one = TieredCache(str(tmp_path / "c"), params)
    two = TieredCache(str(tmp_path / "c"), params)
    one.set("figures", {"province": 1})
    two.local.clear()  # another process: nothing in its memory
    assert two.get("figures") == {"province": 1}
    assert two.local.get("figures") == {"province": 1}  # kept in its memory since
    assert two.get("missing", "default") == "default"
    assert one.add("figures", "other") is False
    one.clear()
    assert one.get("figures") is None
    two.local.clear()
    assert two.get("figures") is None
    assert (tmp_path / "c").stat().st_mode & 0o077 == 0  # only its owner reads it


def test_the_default_cache_is_the_shared_one() -> None:
    assert isinstance(caches["default"], TieredCache)


def test_a_dossier_import_leaves_the_overview_computed(
    small_campaign: Any,
    import_rows: Any,  # noqa: F811 - the fixture imported above
    make_user: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = signed_in(make_user(Role.PROVINCE_VIEWER, "82"))
    assert client.get(page("82")).status_code == 200  # cached before the import
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = import_rows([dossier_row("HS-1", COMMUNE, received="05/10/2023")])
    assert report.created == 1
    assert len(callbacks) == 1  # one refresh per import, after it committed

    # The TTHC figures moved with the import, and the refresh computed them: the first
    # view after it computes nothing.
    calls: list[Any] = []
    real = dashboard.tthc_units_kpi
    monkeypatch.setattr(
        dashboard, "tthc_units_kpi", lambda *a, **k: calls.append(a) or real(*a, **k)
    )
    assert client.get(page("82")).status_code == 200
    assert client.get(page(DISTRICT)).status_code == 200
    assert calls == []


def test_a_rolled_back_import_refreshes_nothing(
    small_campaign: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import transaction

    ran: list[int] = []
    monkeypatch.setattr(warm, "overview_refresh", lambda *a, **k: ran.append(1))
    with pytest.raises(RuntimeError), transaction.atomic():
        warm.overview_refresh_after_commit()
        warm.overview_refresh_after_commit()  # asked twice in one transaction
        raise RuntimeError
    assert ran == []


def test_the_refresh_computes_the_overview_units(small_campaign: Any) -> None:
    done = warm.overview_refresh()
    units = warm.overview_units()
    assert units[0].code == "82" and {u.code for u in units[1:]} >= {DISTRICT}
    assert done.pages == len(units) * 2  # Vietnamese and English
    again = warm.overview_refresh()
    assert again.pages == done.pages and again.seconds <= done.seconds * 2 + 0.5


def test_the_refresh_computes_the_provinces_then_the_units_below_in_vietnamese_first(
    small_campaign: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within its budget the refresh reaches every unit's Vietnamese page before any unit
    below the province in English: a province of a hundred communes runs out of time on
    the pages read least."""
    from types import SimpleNamespace

    from django.utils import translation

    from chiendich.web import views

    computed: list[tuple[str, str]] = []
    real = views.unit_body_html

    def recorded(unit: Any, *args: Any) -> Any:
        computed.append((unit.code, translation.get_language()))
        return real(unit, *args)

    monkeypatch.setattr(views, "unit_body_html", recorded)
    units = warm.overview_units()
    below = [u.code for u in units[1:]]
    assert len(below) >= 2
    warm.overview_refresh()
    assert computed == [
        ("82", "vi"),
        ("82", "en"),
        *((code, "vi") for code in below),
        *((code, "en") for code in below),
    ]
    computed.clear()
    # Stopped by its budget after the province's pages: what is left is the units below.
    ticks = iter(range(1000))  # a second per look at the clock, for the refresh only
    monkeypatch.setattr(warm, "time", SimpleNamespace(perf_counter=lambda: float(next(ticks))))
    done = warm.overview_refresh(budget=2.5)
    assert done.stopped and computed == [("82", "vi"), ("82", "en")]


def test_a_signed_out_session_is_refused_by_every_process(
    small_campaign: Any, make_user: Any
) -> None:
    from django.contrib.sessions.models import Session

    client = signed_in(make_user(Role.COMMUNE_OFFICER, COMMUNE))
    assert client.get(page(COMMUNE)).status_code == 200
    key = client.cookies["sessionid"].value
    assert caches["sessions"].get(f"django.contrib.sessions.cached_db{key}") is not None
    stolen = Client()
    stolen.cookies["sessionid"] = key
    assert stolen.get(page(COMMUNE)).status_code == 200

    client.post(reverse("logout"))
    # Gone from the shared folder and from the database: no worker finds it anywhere.
    assert caches["sessions"].get(f"django.contrib.sessions.cached_db{key}") is None
    assert not Session.objects.filter(session_key=key).exists()
    assert stolen.get(page(COMMUNE)).status_code == 302  # to the sign-in page


def test_sessions_are_kept_apart_by_database(settings: Any) -> None:
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    sessions, default = settings.CACHES["sessions"], settings.CACHES["default"]
    assert "TieredCache" not in sessions["BACKEND"]  # no per-process copy to outlive a sign-out
    assert sessions["KEY_PREFIX"] != default["KEY_PREFIX"]
    assert sessions["KEY_PREFIX"].endswith(default["KEY_PREFIX"])  # the database's name in it
