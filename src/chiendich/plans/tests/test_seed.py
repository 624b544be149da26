"""THE SEED TEST: every number and date of Plan 383's sections II and VII is in the
loaded plan, read from the plan's own text (shared/seed/ke-hoach-383-KH-UBND-2023.txt).

If a target, a period, a deadline or a data window is dropped from
plans/tien-giang-383-2023.yaml, or a value is mistyped, this test names what
the text says and the plan lacks.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from chiendich.plans.models import Plan
from chiendich.plans.schema import load_plan_file
from chiendich.plans.selectors import plan_as_dict

from .conftest import REPO_ROOT, index_of, item

SEED_NAME = "ke-hoach-383-KH-UBND-2023.txt"


def seed_file() -> Path:
    """The plan's text as the repository keeps it (plans/sources/), so a fresh clone can test it."""
    return REPO_ROOT / "plans" / "sources" / SEED_NAME


def test_the_repository_copy_of_the_seed_is_the_shared_one() -> None:
    """shared/seed sits beside the repository on the team's machines and in CI."""
    shared = next(
        (
            d / "shared" / "seed" / SEED_NAME
            for d in REPO_ROOT.parents
            if (d / "shared" / "seed" / SEED_NAME).is_file()
        ),
        None,
    )
    if shared is None:
        pytest.skip("no shared/seed beside this clone")
    assert seed_file().read_bytes() == shared.read_bytes()


def seed_text() -> str:
    return unicodedata.normalize("NFC", seed_file().read_text(encoding="utf-8"))


def between(text: str, start: str, end: str) -> str:
    """The text from the line matching `start` up to the line matching `end`."""
    match = re.search(rf"^{start}.*?(?=^{end})", text, re.S | re.M)
    assert match, f"section {start!r} not found in the seed text"
    return match.group(0)


DATE = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{4})(?![\d/])")
PERCENT = re.compile(r"(\d+(?:,\d+)?)\s*%")
THOUSANDS = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{3})+(?![\d.])")
FRACTION = re.compile(r"(?<![\d/])(\d+)/(\d+)(?![\d/])")
DAYS = re.compile(r"(\d+) ngày")


def dates_in(text: str) -> Counter[dt.date]:
    return Counter(dt.date(int(y), int(m), int(d)) for d, m, y in DATE.findall(text))


def iso(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def missing_from(plan: dict[str, Any], text: str) -> list[str]:
    """Everything sections II and VII (and the preamble, V.3, V.5.b) state that `plan` lacks.

    `plan` is plan_as_dict(...) or the validated file's document: same shape.
    """
    missing: list[str] = []
    section_2 = between(text, r"II\. MỤC TIÊU", r"III\. ")
    section_7 = between(text, r"VII\. TỔ CHỨC", r"Nơi nhận:")
    preamble = between(text, r"Nhằm tuyên truyền", r"I\. MỤC ĐÍCH")
    section_5_3 = between(text, r"3\. Sở Thông tin và Truyền thông", r"4\. Văn phòng")
    section_5_5 = between(text, r"5\. Sở Giáo dục", r"6\. Sở Công Thương")

    targets = plan["targets"]
    assigned = [t for t in targets if t["section"].startswith("II.") and not t["context"]]
    context = [t for t in targets if t["context"]]

    def lack(
        where: str, wanted: Counter[Any], have: Counter[Any], show: Callable[[Any], str]
    ) -> None:
        for value, n in (wanted - have).items():
            missing.append(f"{where}: {show(value)} (x{n})")

    # II.1: every percentage, the 903.203 accounts, the 11/25 essential services.
    lack(
        "II percent",
        Counter(Decimal(p.replace(",", ".")) for p in PERCENT.findall(section_2)),
        Counter(Decimal(str(t["value"])) for t in assigned if t["measure"] == "percent"),
        lambda v: f"{v}%",
    )
    lack(
        "II count",
        Counter(Decimal(n.replace(".", "")) for n in THOUSANDS.findall(section_2)),
        Counter(Decimal(str(t["value"])) for t in assigned if t["measure"] == "count"),
        lambda v: f"{int(v):,}".replace(",", "."),
    )
    for num, den in FRACTION.findall(section_2):
        if not any(f"{num}/{den}" in t["name"] and t["value"] == 100 for t in assigned):
            missing.append(f"II: a 100% target for the {num}/{den} services")
    # II.1.đ and II.2: period bounds and applies_from.
    lack(
        "II date",
        dates_in(section_2),
        Counter(
            [iso(p["start"]) for p in plan["periods"]]
            + [iso(p["end"]) for p in plan["periods"]]
            + [iso(t["applies_from"]) for t in targets if t["applies_from"]]
        ),
        lambda d: f"{d:%d/%m/%Y}",
    )
    lack(
        "II period length",
        Counter(int(n) for n in DAYS.findall(section_2)),
        Counter((iso(p["end"]) - iso(p["start"])).days + 1 for p in plan["periods"]),  # type: ignore[operator]
        lambda n: f"{n} ngày",
    )

    # VII: deadlines and data windows, the batches, the daily and Monday reports.
    reports = plan["reports"]
    lack(
        "VII date",
        dates_in(section_7),
        Counter(iso(r[f]) for r in reports for f in ("deadline", "data_from", "data_to") if r[f]),
        lambda d: f"{d:%d/%m/%Y}",
    )
    batches = {r["batch"] for r in reports if r["kind"] == "batch"}
    for n in re.findall(r"Đợt 0?(\d+)", section_7):
        if int(n) not in batches:
            missing.append(f"VII: batch {n}")
    if "hàng ngày" in section_7 and not any(
        r["kind"] == "daily" and r["reports_on_level"] == "commune" and "DC01" in r["source"]
        for r in reports
    ):
        missing.append("VII: daily report per commune from DC01")
    if "thứ Hai hàng tuần" in section_7 and not any(
        r["kind"] == "weekly" and r["weekday"] == 0 and r["reports_on_level"] == "district"
        for r in reports
    ):
        missing.append("VII: Monday report per district")

    # Preamble: the national goals, kept as context targets.
    lack(
        "preamble percent",
        Counter(Decimal(p) for p in PERCENT.findall(preamble)),
        Counter(Decimal(str(t["value"])) for t in context),
        lambda v: f"{v}%",
    )
    for decision in re.findall(r"Quyết định số (\S+)", preamble):
        if not any(decision in t["note"] for t in context):
            missing.append(f"preamble: decision {decision}")

    # V.3.a video guides, V.3.e free SIM until the end of 2025; V.5.b teachers at level 2.
    deliverables = plan.get("deliverables", [])
    due_dates = re.findall(rf"trước\s+ngày\s+({DATE.pattern})", section_5_3)
    for d in dates_in(" ".join(found[0] for found in due_dates)):
        if not any(iso(x["due"]) == d for x in deliverables):
            missing.append(f"V.3: deliverable due {d:%d/%m/%Y}")
    for year in re.findall(r"đến\s+hết\s+năm\s+(\d{4})", section_5_3):
        if not any(x["until"] and x["until"].startswith(year) for x in deliverables):
            missing.append(f"V.3: support until the end of {year}")
    if "mức 2" in section_5_5 and not any(
        t["section"] == "V.5.b" and t["value"] == 100 for t in targets
    ):
        missing.append("V.5.b: teachers at level 2")
    return missing


@pytest.mark.django_db
def test_every_number_and_date_of_the_plan_is_loaded(plan_383: Plan) -> None:
    text = seed_text()
    assert "903.203" in text  # the extraction below reads the right file
    assert missing_from(plan_as_dict(plan_383), text) == []


def test_the_seed_check_sees_what_it_should() -> None:
    """A sanity check of the extraction itself: it finds the values the brief lists."""
    text = seed_text()
    section_2 = between(text, r"II\. MỤC TIÊU", r"III\. ")
    percents = sorted({Decimal(p) for p in PERCENT.findall(section_2)})
    assert percents == [Decimal(v) for v in (25, 30, 35, 40, 45, 55, 60, 70, 90, 100)]
    assert THOUSANDS.findall(section_2) == ["903.203"]
    assert FRACTION.findall(section_2) == [("11", "25")]
    section_7 = between(text, r"VII\. TỔ CHỨC", r"Nơi nhận:")
    assert sum(dates_in(section_7).values()) == 14


def _set(section: str, key: str, field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        item(data, section, key)[field] = value

    return change


def _drop(section: str, key: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        del data[section][index_of(data, section, key)]

    return change


def _drop_field(section: str, key: str, field: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        del item(data, section, key)[field]

    return change


@pytest.mark.parametrize(
    ("change", "reported"),
    [
        (_set("targets", "online_dossier_thi_tran", "value", 46), "II percent: 45%"),
        (_drop("targets", "online_payment_commune"), "II percent: 30%"),
        (_set("targets", "vneid_activated_accounts", "value", 903000), "II count: 903.203"),
        (_set("targets", "online_dossier_police", "name", "Dịch vụ công thiết yếu"), "11/25"),
        (_drop_field("targets", "once_only_results", "applies_from"), "II date: 01/09/2023"),
        (_set("periods", "vneid", "end", dt.date(2023, 10, 17)), "II date: 18/10/2023"),
        (_set("periods", "vneid", "start", dt.date(2023, 8, 21)), "II period length: 60 ngày"),
        (
            _set("reports", "tthc_batch_3", "deadline", dt.date(2023, 10, 19)),
            "VII date: 18/10/2023",
        ),
        (_set("reports", "tthc_batch_4", "data_to", dt.date(2023, 10, 29)), "VII date: 30/10/2023"),
        (_drop("reports", "unit_implementation_plan"), "VII date: 20/08/2023"),
        (_set("reports", "vneid_weekly", "weekday", 1), "Monday"),
        (_set("reports", "vneid_daily", "source", ""), "DC01"),
        (_drop("targets", "national_fee_paid_online"), "preamble percent: 60%"),
        (_set("deliverables", "video_guides", "due", dt.date(2023, 8, 26)), "25/08/2023"),
        (_drop("targets", "teachers_vneid_level2"), "V.5.b"),
    ],
)
def test_the_seed_test_fails_when_the_file_loses_something(
    write_variant: Callable[..., Path], change: Callable[[dict[str, Any]], None], reported: str
) -> None:
    # The validated document has the shape of plan_as_dict, so no database is needed.
    document = load_plan_file(write_variant(change)).as_document()
    missing = missing_from(document, seed_text())
    assert any(reported in m for m in missing), missing
