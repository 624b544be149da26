"""Fixtures shared by every app's tests: the real Tiền Giang tree and users bound to units."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from chiendich.accounts.models import User
from chiendich.accounts.roles import Role
from chiendich.accounts.services import user_create
from chiendich.units.models import Unit
from chiendich.units.services import units_load_province

REPO_DIR = Path(__file__).resolve().parents[2]

# Two communes of different districts, and one more in the same district as the first.
COMMUNE_A = "28249"  # Phường 5, Thành phố Mỹ Tho (815)
COMMUNE_A2 = "28252"  # Phường 4, Thành phố Mỹ Tho
COMMUNE_B = "28363"  # Xã Hậu Mỹ Bắc B, Huyện Cái Bè (819)


@pytest.fixture
def tien_giang(db: None) -> Unit:
    """Province 82 with its 11 districts and 164 communes, as the GSO list has them."""
    units_load_province(82)
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
