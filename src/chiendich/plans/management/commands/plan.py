"""`chiendich plan load FILE` and `chiendich plan show [--plan CODE] [--format table|json]`."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chiendich.core.cli import print_json, print_table
from chiendich.core.numbers import vn_date, vn_number
from chiendich.plans.models import Plan, ReportKind
from chiendich.plans.schema import PlanFileError
from chiendich.plans.selectors import plan_as_dict
from chiendich.plans.services import PlanLoadError, plan_load

_KINDS = {
    "plan": "kế hoạch",
    "period": "đợt",
    "target": "chỉ tiêu",
    "report": "báo cáo",
    "deliverable": "việc có hạn",
}
_ACTIONS = {"created": "thêm mới", "updated": "cập nhật", "deleted": "xóa"}
_WEEKDAYS = ["thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật"]


class Command(BaseCommand):
    help = "Load a plan file into the database, or show a loaded plan."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="validate and load a plan file (YAML)")
        load.add_argument("file", type=Path)
        show = sub.add_parser("show", help="print a loaded plan")
        show.add_argument("--plan", help="plan code; may be left out when one plan is loaded")
        show.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "load":
            self._load(options["file"])
        else:
            self._show(options.get("plan"), options.get("format") or "table")

    def _load(self, path: Path) -> None:
        try:
            result = plan_load(path)
        except PlanFileError as exc:
            raise CommandError(
                f"Không ghi gì vào cơ sở dữ liệu; {len(exc.problems)} lỗi:\n{exc}"
            ) from exc
        except PlanLoadError as exc:
            raise CommandError(str(exc)) from exc
        plan = result.plan
        if not result.changed:
            self.stdout.write(
                f"Kế hoạch {plan.number} ({plan.code}): không có gì thay đổi "
                f"(checksum {result.checksum[:12]})."
            )
            return
        counts = result.counts
        self.stdout.write(
            f"Kế hoạch {plan.number} ({plan.code}): thêm mới {counts['created']}, "
            f"cập nhật {counts['updated']}, xóa {counts['deleted']} "
            f"(checksum {result.checksum[:12]})."
        )
        for change in result.changes:
            fields = f": {', '.join(change.fields)}" if change.fields else ""
            self.stdout.write(
                f"  {_ACTIONS[change.action]} {_KINDS[change.kind]} {change.key}{fields}"
            )

    def _show(self, code: str | None, fmt: str) -> None:
        plan = self._pick(code)
        data = plan_as_dict(plan)
        # What the file says that no row mirrors: the population basis, and where each
        # target's value comes from (a document, or an example value).
        document = plan.document or {}
        data["population"] = document.get("population")
        written = {t["key"]: t for t in document.get("targets", [])}
        for t in data["targets"]:
            t["source"] = written.get(t["key"], {}).get("source", "")
            t["example"] = bool(written.get(t["key"], {}).get("example", False))
        if fmt == "json":
            print_json(data, self.stdout)
            return
        self._tables(data)

    def _pick(self, code: str | None) -> Plan:
        plans = Plan.objects.select_related("province")
        if code:
            plan = plans.filter(code=code).first()
            if plan is None:
                raise CommandError(f"Không có kế hoạch mã “{code}”. {self._available()}")
            return plan
        found = list(plans[:2])
        if not found:
            raise CommandError("Chưa nạp kế hoạch nào: chạy `chiendich plan load FILE`.")
        if len(found) > 1:
            raise CommandError(f"Có nhiều kế hoạch; chọn bằng --plan. {self._available()}")
        return found[0]

    @staticmethod
    def _available() -> str:
        codes = ", ".join(Plan.objects.order_by("code").values_list("code", flat=True))
        return f"Các mã đã nạp: {codes or '(chưa có)'}."

    def _tables(self, data: dict[str, Any]) -> None:
        out = self.stdout
        facts = [
            ("Mã", data["code"]),
            ("Số", data["number"]),
            ("Ngày ban hành", vn_date(data["issued_on"])),
            ("Cơ quan ban hành", data["issuer"]),
            ("Người ký", f"{data['signer']['title']} {data['signer']['name']}"),
            ("Trích yếu", data["title"]),
            ("Tỉnh", f"{data['province']['name']} ({data['province']['code']})"),
            ("Nơi ban hành", data["place"]),
            ("Ghi chú", data["note"]),
            ("Dân số từ 14 tuổi (căn cứ)", self._population(data["population"])),
            ("Tệp nguồn", data["source_file"]),
            ("Checksum", data["checksum"][:16]),
        ]
        print_table(
            "Kế hoạch",
            [("k", "Mục"), ("v", "Nội dung")],
            [{"k": k, "v": v} for k, v in facts if v],
            out,
        )
        print_table(
            "Đợt cao điểm",
            [("section", "Mục"), ("key", "Khóa"), ("name", "Tên"), ("start", "Từ ngày")]
            + [("end", "Đến hết ngày"), ("days", "Số ngày")],
            [
                {**p, "start": vn_date(p["start"]), "end": vn_date(p["end"])}
                for p in data["periods"]
            ],
            out,
        )
        print_table(
            "Chỉ tiêu",
            [("section", "Mục"), ("key", "Khóa"), ("name", "Chỉ tiêu"), ("value", "Mức")]
            + [("period", "Đợt"), ("scope", "Áp dụng cho"), ("flags", "Ghi chú")],
            [self._target_row(t) for t in data["targets"]],
            out,
        )
        print_table(
            "Chế độ báo cáo",
            [("section", "Mục"), ("key", "Khóa"), ("name", "Báo cáo"), ("when", "Định kỳ, số liệu")]
            + [("deadline", "Hạn"), ("responsible", "Đơn vị báo cáo"), ("recipient", "Gửi")],
            [self._report_row(r) for r in data["reports"]],
            out,
        )
        if data["deliverables"]:
            print_table(
                "Việc có hạn",
                [("section", "Mục"), ("key", "Khóa"), ("name", "Việc"), ("due", "Hạn")]
                + [("until", "Đến hết"), ("responsible", "Chủ trì")],
                [
                    {**d, "due": vn_date(d["due"]), "until": vn_date(d["until"])}
                    for d in data["deliverables"]
                ],
                out,
            )
        if data["emulation"]:
            self._emulation(data["emulation"])

    @staticmethod
    def _population(population: dict[str, Any] | None) -> str:
        if not population:
            return ""
        text = vn_number(population["aged_14_plus"])
        if population.get("example"):
            text += " (ví dụ)"
        return f"{text}; {population['source']}"

    @staticmethod
    def _target_row(t: dict[str, Any]) -> dict[str, Any]:
        value = vn_number(t["value"]) + ("%" if t["measure"] == "percent" else "")
        flags = [
            label
            for on, label in (
                (t["stretch"], "phấn đấu"),
                (t["context"], "căn cứ"),
                (t.get("example"), "giá trị ví dụ"),
            )
            if on
        ]
        if t["applies_from"]:
            flags.append(f"từ {vn_date(t['applies_from'])}")
        if t.get("source"):
            flags.append(f"nguồn: {t['source']}")
        scope = f"cấp {', '.join(t['levels'])}: {', '.join(t['unit_types']) or 'mọi loại'}"
        return {**t, "value": value, "scope": scope, "flags": ", ".join(flags)}

    @staticmethod
    def _report_row(r: dict[str, Any]) -> dict[str, Any]:
        when = {
            ReportKind.ONCE: "một lần",
            ReportKind.DAILY: "hàng ngày",
            ReportKind.WEEKLY: "hàng tuần",
            ReportKind.BATCH: f"đợt {r['batch']:02d}" if r["batch"] else "theo đợt",
        }[r["kind"]]
        if r["weekday"] is not None:
            when += f", {_WEEKDAYS[r['weekday']]}"
        if r["period"] and r["kind"] in (ReportKind.DAILY, ReportKind.WEEKLY):
            when += f" (đợt {r['period']})"
        if r["data_from"] or r["data_to"]:
            when += f"; số liệu {vn_date(r['data_from'])} – {vn_date(r['data_to'])}"
        if r["reports_on_level"]:
            when += f"; từng đơn vị cấp {r['reports_on_level']}"
        return {**r, "when": when, "deadline": vn_date(r["deadline"])}

    def _emulation(self, emulation: dict[str, Any]) -> None:
        score = emulation["score"]
        rows = [
            {"k": "Mục", "v": ", ".join(emulation.get("sections", []))},
            {"k": "So sánh", "v": "đơn vị cùng cấp"},
            {
                "k": "Trần % hoàn thành",
                "v": vn_number(Decimal(str(score["achievement_cap"])) * 100) + "%",
            },
        ]
        rows += [
            {"k": f"Trọng số {key}", "v": vn_number(weight)}
            for key, weight in score["weights"].items()
        ]
        rows += [
            {
                "k": "Điểm cộng mỗi chỉ tiêu vượt",
                "v": vn_number(emulation["bonus"]["points_per_target_exceeded"]),
            },
            {
                "k": "Chậm tiến độ khi",
                "v": "dự báo đến hết đợt không đạt chỉ tiêu (chưa có dự báo: dưới "
                + vn_number(Decimal(str(emulation["lagging"]["pace_share"])) * 100)
                + "% tiến độ đều tính từ kết quả ngày đầu đợt)",
            },
            {"k": "Xử lý đơn vị chậm", "v": emulation["lagging"]["action"]},
            {"k": "Đề xuất khen thưởng", "v": emulation["rewards"]["proposed_by"]},
            {"k": "Quyết định khen thưởng", "v": emulation["rewards"]["decided_by"]},
            {"k": "Cách tính", "v": score.get("note", "")},
        ]
        print_table("Thi đua", [("k", "Quy tắc"), ("v", "Giá trị")], rows, self.stdout)
