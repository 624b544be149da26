"""Fixtures shared by every app's tests: the real Tiền Giang tree and users bound to units."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from chiendich.accounts.models import User
from chiendich.accounts.roles import Role
from chiendich.accounts.services import user_create
from chiendich.units.loading import units_load
from chiendich.units.models import Unit

REPO_DIR = Path(__file__).resolve().parents[2]
# Browser tests drive Debian's Chromium (never a downloaded one); CI saves screenshots here.
CHROMIUM = Path(os.environ.get("CHIENDICH_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = REPO_DIR / "var" / "screenshots"


@contextmanager
def pg_session(*, autocommit: bool = True) -> Iterator[Any]:
    """A second PostgreSQL session on the test database (psycopg), beside Django's: what
    another process would see, or a lock another process holds."""
    import psycopg
    from django.db import connection

    db = connection.settings_dict
    with psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"],
        host=db["HOST"],
        port=db["PORT"] or None,
        autocommit=autocommit,
    ) as other:
        yield other


def require_chromium() -> None:
    """At the top of a browser test module: skip it without Chromium, fail in CI."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            raise RuntimeError(f"CI must install Debian's chromium: {CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium through Playwright, with the flags this machine needs."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # tests make around it are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield launched
        launched.close()


# A day of Plan 383's campaign: the units in force then are the 2023 tree.
TREE_2023 = dt.date(2023, 9, 1)

# Two communes of different districts, and one more in the same district as the first.
COMMUNE_A = "28249"  # Phường 5, Thành phố Mỹ Tho (815)
COMMUNE_A2 = "28252"  # Phường 4, Thành phố Mỹ Tho
COMMUNE_B = "28363"  # Xã Hậu Mỹ Bắc B, Huyện Cái Bè (819)


@pytest.fixture
def tien_giang(db: None) -> Unit:
    """Province 82 as in force in 2023 (Tiền Giang): 11 districts and 164 communes."""
    units_load(82, TREE_2023)
    return Unit.objects.get(code="82")


@pytest.fixture
def plan_383(tien_giang: Unit):
    """Plan 383/KH-UBND loaded from the repository's plan file."""
    from chiendich.plans.services import plan_load

    return plan_load(REPO_DIR / "plans" / "tien-giang-383-2023.yaml").plan


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(role: Role | str, *unit_codes: str, password: str = "correct-horse-383") -> User:
        units = list(Unit.objects.filter(code__in=unit_codes))
        assert len(units) == len(unit_codes), f"unknown unit codes in {unit_codes}"
        return user_create(
            username=f"{role}-{next(counter)}", password=password, role=role, units=units
        )

    return make


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write `text` to a file named `name` in a temporary folder and return its path."""

    def write(name: str, text: str, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding=encoding)
        return path

    return write
