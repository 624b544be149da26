"""The plan file: a campaign plan (Plan 383/KH-UBND and its successors) held as data.

A plan file is YAML (see plans/tien-giang-383-2023.yaml). `load_plan_file`
reads it, validates its shape with the pydantic models below, then checks
what one item says about another (references, unique keys, date windows,
weights) in checks.py. Every problem is reported at once as
"<file>: <key.path[index].key>: <problem>", so an officer editing the file
can fix it in one pass; nothing is written to the database before a file
passes (see services.plan_load).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from chiendich.core.text import clean, nfc
from chiendich.units.models import Level, UnitType

from .checks import cross_check, reference_check
from .problems import PlanFileError, Problem, problems_from

__all__ = ["PlanFile", "PlanFileError", "Problem", "load_plan_file"]

# --- value types ---------------------------------------------------------------------------


def _date(value: Any) -> Any:
    # YAML already turns an unquoted 2023-08-15 into a date; a quoted one arrives as text.
    # Anything else (a number, 15/08/2023, a date with a time) is refused rather than
    # guessed: pydantic would read an integer as a Unix timestamp.
    if isinstance(value, dt.datetime):
        raise ValueError("phải là ngày YYYY-MM-DD, không kèm giờ")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"ngày không có thật: {value}") from None
    raise ValueError(f"phải là ngày dạng YYYY-MM-DD, ví dụ 2023-08-15 (đang là: {value!r})")


def _line(value: str) -> str:
    value = clean(value)
    if not value:
        raise ValueError("không được để trống")
    return value


def _key(value: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,59}", value):
        raise ValueError(
            f"khóa “{value}” không hợp lệ: chỉ chữ thường không dấu, chữ số và _, "
            "bắt đầu bằng chữ, tối đa 60 ký tự"
        )
    return value


def _slug(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", value) or len(value) > 80:
        raise ValueError(f"mã “{value}” không hợp lệ: chữ thường không dấu, chữ số và dấu -")
    return value


def _province(value: Any) -> Any:
    # `province: 82` without quotes is a YAML integer; accept it, GSO codes are 2 digits.
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value).zfill(2)
    if not isinstance(value, str) or not re.fullmatch(r"\d{2}", value.strip()):
        raise ValueError(f'mã tỉnh theo danh mục GSO gồm 2 chữ số, ví dụ "82" (đang là: {value!r})')
    return value.strip()


def _level(value: str) -> str:
    if value not in Level.values:
        raise ValueError(f"cấp “{value}” không có; dùng một trong: {', '.join(Level.values)}")
    return value


def _unit_type(value: str) -> str:
    if value not in UnitType.values:
        raise ValueError(
            f"loại đơn vị “{value}” không có; dùng một trong: {', '.join(UnitType.values)}"
        )
    return value


def _unique(values: list[Any]) -> list[Any]:
    repeated = sorted({str(v) for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"lặp lại: {', '.join(repeated)}")
    return values


def _json_number(value: Decimal) -> int | float:
    # The stored document and `plan show --format json` carry numbers, not strings.
    return int(value) if value == value.to_integral_value() else float(value)


PlanDate = Annotated[dt.date, BeforeValidator(_date)]
Line = Annotated[str, AfterValidator(_line)]
Text = Annotated[str, AfterValidator(lambda v: nfc(v).strip())]
Key = Annotated[str, AfterValidator(_key)]
Section = Annotated[str, Field(max_length=20), AfterValidator(_line)]
LevelValue = Annotated[str, AfterValidator(_level)]
UnitTypeValue = Annotated[str, AfterValidator(_unit_type)]
Levels = Annotated[list[LevelValue], Field(min_length=1), AfterValidator(_unique)]
UnitTypes = Annotated[list[UnitTypeValue], AfterValidator(_unique)]
Amount = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=2),
    PlainSerializer(_json_number, when_used="json"),
]
Weight = Annotated[Decimal, Field(ge=0, le=1), PlainSerializer(_json_number, when_used="json")]


def _threshold(value: Any) -> Decimal | str:
    # One message for both spellings, instead of pydantic's one error per union member.
    if value == "target":
        return "target"
    problem = (
        "ngưỡng phải là “target” (theo chỉ tiêu của đơn vị) hoặc một tỷ lệ lớn hơn 0, "
        f"không quá 100 (đang là: {value!r})"
    )
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise ValueError(problem)
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        raise ValueError(problem) from None
    if not number.is_finite() or not 0 < number <= 100 or number != round(number, 2):
        raise ValueError(problem)
    return number


def _threshold_json(value: Decimal | str) -> int | float | str:
    return value if isinstance(value, str) else _json_number(value)


Threshold = Annotated[
    Decimal | Literal["target"],
    PlainValidator(_threshold),
    PlainSerializer(_threshold_json, when_used="json"),
]
Measure = Literal["percent", "count"]


class Strict(BaseModel):
    """Base of every part of the file: an unknown key is an error, never ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- the parts of a plan ------------------------------------------------------------------


class SignerSpec(Strict):
    name: Line
    title: Line


class PeriodSpec(Strict):
    """A peak period (đợt cao điểm) with its inclusive first and last day."""

    key: Key
    section: Section
    name: Line
    start: PlanDate
    end: PlanDate

    @field_validator("end")
    @classmethod
    def _end_not_before_start(cls, end: dt.date, info: ValidationInfo) -> dt.date:
        start = info.data.get("start")
        if start is not None and end < start:
            raise ValueError(f"ngày kết thúc {end:%d/%m/%Y} trước ngày bắt đầu {start:%d/%m/%Y}")
        return end


class TargetSpec(Strict):
    """One target: a value of one indicator for units of given levels and types."""

    key: Key
    section: Section
    indicator: Key
    name: Line
    measure: Measure
    value: Amount
    period: Key | None = None
    levels: Levels
    unit_types: UnitTypes = []
    applies_from: PlanDate | None = None
    stretch: bool = False  # the plan says "phấn đấu": aimed for, not a floor
    context: bool = False  # a national goal quoted as background, not assigned to a unit
    # Where the value comes from when it is not this plan's own text (a province's earlier
    # plan, a national decision), so an officer can check it against the document.
    source: Text = ""
    # A value no document sets: written to show the plan's shape (a demo, a draft), to be
    # replaced by the real figure before the plan is used to judge anyone.
    example: bool = False
    note: Text = ""

    @field_validator("value")
    @classmethod
    def _value_fits_measure(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        measure = info.data.get("measure")
        if measure == "percent" and value > 100:
            raise ValueError(f"tỷ lệ phải từ 0 đến 100 (đang là: {value})")
        if measure == "count" and value != value.to_integral_value():
            raise ValueError(f"số lượng phải là số nguyên (đang là: {value})")
        return value


class ReportSpec(Strict):
    """A report the plan requires: who sends what, to whom, when, about which data."""

    key: Key
    section: Section
    name: Line
    kind: Literal["once", "daily", "weekly", "batch"]
    period: Key | None = None
    responsible: Line
    responsible_levels: Levels
    responsible_unit_types: UnitTypes = []
    reports_on_level: LevelValue | None = None
    recipient: Line
    # The level of the unit that receives and approves the report: the responsible unit's
    # own ancestor at that level ("cùng cấp" = the responsible level). None = the province.
    recipient_level: LevelValue | None = None
    weekday: Annotated[int, Field(ge=0, le=6)] | None = None  # 0 = Monday (thứ Hai)
    batch: Annotated[int, Field(ge=1)] | None = None
    data_from: PlanDate | None = None
    data_to: PlanDate | None = None
    deadline: PlanDate | None = None
    source: Text = ""
    note: Text = ""

    @field_validator("data_to")
    @classmethod
    def _window_in_order(cls, data_to: dt.date | None, info: ValidationInfo) -> dt.date | None:
        data_from = info.data.get("data_from")
        if data_to is not None and data_from is not None and data_to < data_from:
            raise ValueError(f"{data_to:%d/%m/%Y} trước data_from {data_from:%d/%m/%Y}")
        return data_to

    @field_validator("deadline")
    @classmethod
    def _deadline_after_window(
        cls, deadline: dt.date | None, info: ValidationInfo
    ) -> dt.date | None:
        data_to = info.data.get("data_to")
        if deadline is not None and data_to is not None and deadline <= data_to:
            raise ValueError(
                f"hạn nộp {deadline:%d/%m/%Y} phải sau ngày cuối của số liệu {data_to:%d/%m/%Y}"
            )
        return deadline


class DeliverableSpec(Strict):
    """A dated task that is not a report (a video guide due, a support offered until)."""

    key: Key
    section: Section
    name: Line
    responsible: Line
    due: PlanDate | None = None
    until: PlanDate | None = None
    note: Text = ""

    @model_validator(mode="after")
    def _dated(self) -> DeliverableSpec:
        if self.due is None and self.until is None:
            raise ValueError("cần ít nhất một trong hai khóa due (hạn) hoặc until (đến hết)")
        return self


class ScoreSpec(Strict):
    """The combined emulation score: weighted share of target met, per indicator."""

    measure: Literal["percent_of_target"] = "percent_of_target"
    # Each indicator counts at most this share of its target, so exceeding one target
    # cannot hide another that lags; exceeding earns bonus points instead.
    achievement_cap: Annotated[
        Decimal, Field(ge=1, le=10), PlainSerializer(_json_number, when_used="json")
    ] = Decimal(1)
    weights: dict[Key, Weight] = Field(min_length=1)
    note: Text = ""


class BonusSpec(Strict):
    section: Section
    points_per_target_exceeded: Annotated[
        Decimal, Field(ge=0, le=100), PlainSerializer(_json_number, when_used="json")
    ]
    note: Text = ""


class LaggingSpec(Strict):
    section: Section
    # Without a forecast yet (fewer than two days of data) a unit is behind below this
    # share of the steady pace from its own first-day value (chiendich.core.status).
    pace_share: Annotated[
        Decimal, Field(gt=0, le=1), PlainSerializer(_json_number, when_used="json")
    ]
    action: Line
    note: Text = ""


class RewardsSpec(Strict):
    section: Section
    proposed_by: Line
    decided_by: Line
    note: Text = ""


class EmulationSpec(Strict):
    """Emulation rules: rank units of a level, add bonus points, flag lagging units."""

    sections: list[Section] = []
    rank_within: Literal["level"] = "level"
    score: ScoreSpec
    bonus: BonusSpec
    lagging: LaggingSpec
    rewards: RewardsSpec


class ScoringSpec(Strict):
    """How an indicator scores in the national index (Decision 766/QĐ-TTg formula
    description): Pmax when the rate reaches the threshold, else rate x Pmax / threshold.

    `threshold: target` takes the threshold from the unit's own target in this
    plan (70% for a province agency, 25% for a xã...); a number sets one
    threshold for every unit.
    """

    pmax: Annotated[
        Decimal,
        Field(gt=0, le=100, decimal_places=2),
        PlainSerializer(_json_number, when_used="json"),
    ]
    threshold: Threshold = "target"
    note: Text = ""


class IndicatorSpec(Strict):
    """An indicator's name and definition; its formula lives in code, one function each.

    `variant` picks one of the formula variants the code offers for the indicator
    (checks.INDICATOR_VARIANTS), where the official definition has changed over
    time; `scoring` gives its national-index threshold and maximum points.
    """

    key: Key
    name: Line
    measure: Measure
    definition: Text = ""
    source: Text = ""
    variant: Key | None = None
    scoring: ScoringSpec | None = None


class PopulationSpec(Strict):
    """The population the plan counts on: citizens aged 14 and over in the province (the
    people the VNeID targets are about), with where the figure comes from.

    Not a target and not a denominator (the police list is): it sizes a simulation of
    the campaign (demo.campaign) and lets a reader judge a count target against it.
    """

    aged_14_plus: Annotated[int, Field(gt=0, le=200_000_000)]
    as_of: PlanDate | None = None
    source: Line
    example: bool = False  # an estimate written for the file, not an official count
    note: Text = ""


class PlanFile(Strict):
    """A whole plan file, validated."""

    schema_version: Literal[1]
    code: Annotated[str, AfterValidator(_slug)]
    number: Line
    issued_on: PlanDate
    issuer: Line
    signer: SignerSpec
    title: Line
    province: Annotated[str, BeforeValidator(_province)]
    place: Line
    note: Text = ""
    population: PopulationSpec | None = None
    periods: list[PeriodSpec] = Field(min_length=1)
    targets: list[TargetSpec] = Field(min_length=1)
    reports: list[ReportSpec] = []
    deliverables: list[DeliverableSpec] = []
    emulation: EmulationSpec | None = None
    indicators: list[IndicatorSpec] = []

    def as_document(self) -> dict[str, Any]:
        """The file as JSON-ready data (ISO dates, numbers as numbers)."""
        return self.model_dump(mode="json")

    @property
    def first_day(self) -> dt.date:
        """The first day of the plan's earliest period: the day its codes are read on
        (a code names the unit in force then; codes were reused on 1/7/2025)."""
        return min(p.start for p in self.periods)

    @property
    def last_day(self) -> dt.date:
        return max(p.end for p in self.periods)


# --- reading -----------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping (YAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            try:
                first = seen.setdefault(key, key_node.start_mark.line)
            except TypeError:
                continue  # unhashable: SafeLoader reports it
            if first != key_node.start_mark.line:
                raise yaml.constructor.ConstructorError(
                    "trong một bảng khóa",
                    node.start_mark,
                    f"khóa “{key}” lặp lại (đã có ở dòng {first + 1})",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


def _read_yaml(path: Path, name: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanFileError(name, [Problem("(tệp)", f"không đọc được: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise PlanFileError(name, [Problem("(tệp)", "không phải văn bản UTF-8")]) from None
    loader = _StrictLoader(text)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"dòng {mark.line + 1}, cột {mark.column + 1}" if mark else "(tệp)"
        problem = exc.problem or exc.context or "lỗi cú pháp YAML"
        raise PlanFileError(name, [Problem(where, f"lỗi cú pháp YAML: {problem}")]) from None
    except yaml.YAMLError as exc:
        raise PlanFileError(name, [Problem("(tệp)", f"lỗi YAML: {exc}")]) from None
    finally:
        loader.dispose()  # type: ignore[no-untyped-call]


def load_plan_file(path: Path | str) -> PlanFile:
    """Read and validate a plan file; raise PlanFileError listing every problem."""
    path = Path(path)
    name = str(path)
    data = _read_yaml(path, name)
    if not isinstance(data, dict):
        raise PlanFileError(name, [Problem("(gốc)", "tệp kế hoạch phải là bảng khóa: giá trị")])
    references = reference_check(data)
    try:
        plan = PlanFile.model_validate(data)
    except ValidationError as exc:
        problems = problems_from(exc, data)
        reported = {p.where for p in problems}
        problems += [p for p in references if p.where not in reported]
        raise PlanFileError(name, problems) from None
    problems = references + cross_check(plan)
    if problems:
        raise PlanFileError(name, problems)
    return plan
