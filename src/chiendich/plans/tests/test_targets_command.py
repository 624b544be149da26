"""`chiendich targets show --unit CODE`: the code is read in the plan's own tree."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from chiendich.plans.models import TargetAllocation
from chiendich.units.loading import units_load
from chiendich.units.models import Unit
from chiendich.vneid.progress import vneid_target

pytestmark = pytest.mark.django_db


def test_targets_show_reads_the_unit_code_in_the_plans_tree(plan_383) -> None:
    # Today's tree is loaded too: 28249 names Phường Đạo Thạnh now, Phường 5 in 2023.
    units_load(82, dt.date(2026, 1, 1))
    target = vneid_target(plan_383)
    mytho = Unit.objects.get(code="815")
    for code, value in (("82", 903_203), ("815", 120_000), ("28249", 9_000), ("28252", 8_000)):
        TargetAllocation.objects.create(
            target=target, unit=Unit.objects.get(code=code), value=value
        )
    out = StringIO()
    call_command("targets", "show", "--unit", "815", "--format", "json", stdout=out)
    rows = {r["code"]: r for r in json.loads(out.getvalue())}
    assert rows["28249"]["name"] == "Phường 5" and rows["28249"]["value"] == 9_000
    assert rows["28252"]["value"] == 8_000
    assert set(rows) <= set(Unit.objects.filter(parent=mytho).values_list("code", flat=True))

    # A unit of another tree is not part of the plan's province.
    with pytest.raises(CommandError, match="28249.2025"):
        call_command("targets", "show", "--unit", "28249.2025", stdout=StringIO())
