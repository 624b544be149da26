"""`chiendich targets allocate|show`: split count targets down the unit tree."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chiendich.core.cli import print_json, print_table
from chiendich.core.numbers import vn_number
from chiendich.plans.allocation import AllocationError, targets_allocate
from chiendich.plans.models import Plan, TargetAllocation
from chiendich.units.models import Unit
from chiendich.units.selectors import code_problem, unit_at
from chiendich.vneid.progress import eligible_basis, vneid_target


def _plan(code: str | None) -> Plan:
    plans = Plan.objects.all()
    if code:
        plans = plans.filter(code=code)
    found = list(plans[:2])
    if not found:
        raise CommandError("Chưa có kế hoạch nào: chạy `chiendich plan load FILE` trước.")
    if len(found) > 1:
        raise CommandError("Có nhiều kế hoạch: chọn một bằng --plan CODE.")
    return found[0]


class Command(BaseCommand):
    help = "Allocate the plan's activated-accounts floor to districts and communes."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        allocate = sub.add_parser("allocate", help="allocate in proportion to eligible citizens")
        allocate.add_argument("--plan", help="plan code")
        show = sub.add_parser("show", help="print the allocation under a unit")
        show.add_argument("--plan", help="plan code")
        show.add_argument("--unit", help="unit code (default: the province)")
        show.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        plan = _plan(options["plan"])
        target = vneid_target(plan)
        if target is None:
            raise CommandError(f"Kế hoạch {plan.number} không có chỉ tiêu số tài khoản kích hoạt.")
        if options["action"] == "allocate":
            day = target.period.start if target.period else plan.issued_on
            basis = eligible_basis(day)
            try:
                result = targets_allocate(target, lambda u: basis.get(u.code, 0))
            except AllocationError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                f"Phân bổ {vn_number(int(target.value))} tài khoản theo số công dân đủ điều "
                f"kiện ngày {day:%d/%m/%Y}: thêm mới {result.created}, cập nhật {result.updated}, "
                f"không đổi {result.unchanged}."
            )
            options["unit"], options["format"] = None, "table"
        unit = plan.province
        if options["unit"]:
            # A code is read in the plan's own tree (the day its first period starts).
            day = min((p.start for p in plan.periods.all()), default=plan.issued_on)
            found = unit_at(options["unit"], day, queryset=Unit.objects.subtree(plan.province))
            if found is None:
                raise CommandError(
                    f"Mã {options['unit']}: "
                    + code_problem(options["unit"], day, what="đơn vị")
                    + f" trong {plan.province.name}"
                )
            unit = found
        self._show(target, unit, options["format"])

    def _show(self, target: Any, unit: Unit, fmt: str) -> None:
        rows: list[dict[str, Any]] = [
            {
                "code": a.unit.gso_code or a.unit.code,
                "key": a.unit.code,
                "name": a.unit.name,
                "level": a.unit.level,
                "basis": a.basis,
                "value": a.value,
                "override": a.is_override,
            }
            for a in TargetAllocation.objects.filter(target=target)
            .filter(unit__parent=unit)
            .select_related("unit")
            .order_by("unit__code")
        ]
        if fmt == "json":
            print_json(rows, self.stdout)
            return
        for r in rows:
            r["basis"] = vn_number(r["basis"])
            r["value"] = vn_number(r["value"])
            r["override"] = "giao tay" if r["override"] else ""
        print_table(
            f"Chỉ tiêu {target.key} của các đơn vị thuộc {unit.name}",
            [
                ("code", "Mã"),
                ("name", "Đơn vị"),
                ("basis", "Đủ điều kiện"),
                ("value", "Chỉ tiêu"),
                ("override", ""),
            ],
            rows,
            self.stdout,
        )
