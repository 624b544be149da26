"""Each plan's demo keeps its own database: the folder is chosen before settings load."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from chiendich.conftest import REPO_DIR
from chiendich.demo.datadir import demo_data_dir

PLAN_2026 = "plans/dong-thap-2026.yaml"


def test_another_plan_gets_its_own_folder_the_default_keeps_var(tmp_path: Path) -> None:
    assert (
        demo_data_dir(["demo", "--plan", PLAN_2026], REPO_DIR)
        == REPO_DIR / "var" / "dong-thap-2026"
    )
    assert demo_data_dir(["demo", f"--plan={PLAN_2026}", "--no-serve"], REPO_DIR) == (
        REPO_DIR / "var" / "dong-thap-2026"
    )
    assert demo_data_dir(["demo"], REPO_DIR) is None
    assert demo_data_dir(["demo", "--plan", "plans/tien-giang-383-2023.yaml"], REPO_DIR) is None
    assert demo_data_dir(["plan", "load", PLAN_2026], REPO_DIR) is None
    # A file the demo command will refuse itself, with a proper message.
    assert demo_data_dir(["demo", "--plan", "khong-co.yaml"], tmp_path) is None
    (tmp_path / "bad.yaml").write_text("code: ../../etc\n", encoding="utf-8")
    assert demo_data_dir(["demo", "--plan", "bad.yaml"], tmp_path) is None


@pytest.mark.django_db
def test_a_plan_without_a_population_basis_is_refused_before_anything_is_built() -> None:
    example = REPO_DIR / "plans" / "examples" / "ben-tre-vi-du.yaml"
    with pytest.raises(CommandError, match="population.aged_14_plus"):
        call_command("demo", "--no-serve", "--plan", str(example), "--scale", "0.01")
