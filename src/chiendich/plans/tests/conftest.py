"""Fixtures for the plans tests: the real plan file, the example, variants, row counts."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from chiendich.accounts.models import AuditEvent, ObjectChange
from chiendich.conftest import REPO_DIR as REPO_ROOT
from chiendich.plans.models import Deliverable, Period, Plan, ReportSchedule, Target

PLAN_383 = REPO_ROOT / "plans" / "tien-giang-383-2023.yaml"
EXAMPLE_BEN_TRE = REPO_ROOT / "plans" / "examples" / "ben-tre-vi-du.yaml"


def plan_data(path: Path = PLAN_383) -> dict[str, Any]:
    """The plan file as plain YAML data, for tests to edit."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def item(data: dict[str, Any], section: str, key: str) -> dict[str, Any]:
    return next(x for x in data[section] if x["key"] == key)


def index_of(data: dict[str, Any], section: str, key: str) -> int:
    return next(i for i, x in enumerate(data[section]) if x["key"] == key)


@pytest.fixture
def write_variant(tmp_path: Path) -> Callable[..., Path]:
    """Write a copy of the 383 file, edited by `change(data)`, or raw `text`, to tmp_path."""

    def write(
        change: Callable[[dict[str, Any]], Any] | None = None,
        *,
        text: str | None = None,
        name: str = "variant.yaml",
    ) -> Path:
        path = tmp_path / name
        if text is None:
            data = copy.deepcopy(plan_data())
            if change is not None:
                change(data)
            text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write


def row_counts() -> dict[str, Any]:
    """What a failed load must leave exactly as it was."""
    return {
        "plans": Plan.objects.count(),
        "periods": Period.objects.count(),
        "targets": Target.objects.count(),
        "reports": ReportSchedule.objects.count(),
        "deliverables": Deliverable.objects.count(),
        "object_changes": ObjectChange.objects.count(),
        "audit_events": AuditEvent.objects.count(),
        "checksums": sorted(Plan.objects.values_list("checksum", flat=True)),
        "target_values": sorted(Target.objects.values_list("key", "value")),
    }
