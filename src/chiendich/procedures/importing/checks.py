"""Row checks of a one-stop dossier export: every rule a row must pass, each
problem named by its column (see importing.dossiers for the import itself)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any, NamedTuple

import polars as pl

from chiendich.core import clock
from chiendich.core.cells import CellError, parse_date
from chiendich.core.tabular import Row, RowError, RowErrorList, RowErrorLog
from chiendich.units.dated import Dated, MapProblem, TreeMap, by_code
from chiendich.units.gso import is_reformed
from chiendich.units.models import Level, Unit
from chiendich.units.selectors import code_problem, describe_validity

from ..cells import (
    MIN_DATE,
    dossier_header,
    parse_channel,
    parse_fee,
    parse_flag,
    parse_payment,
    parse_status,
)
from ..models import OPEN_STATUSES, AggregateForm, Dossier, DossierStatus, Procedure

MEMO_MAX = 100_000  # distinct texts remembered per column kind (dates with times vary)
CODE_MAX = Dossier._meta.get_field("code").max_length or 60
RECEIVING_LEVELS = frozenset({Level.PROVINCE.value, Level.DISTRICT.value, Level.COMMUNE.value})
_RESOLVED = DossierStatus.RESOLVED.value


class ValidRow(NamedTuple):
    """A row that passed every check, as it will be written (see WRITE_COLUMNS)."""

    row: int
    code: str
    procedure_id: int
    unit_id: int
    channel: int
    received_on: dt.date
    due_on: dt.date | None
    finished_on: dt.date | None
    status: str
    digitized: bool
    e_result: bool
    fee: int
    payment: int
    reused: bool
    overdue_on: dt.date | None
    mapped_from: int  # the unit read, when mapped to the target tree's; 0 otherwise


def overdue_day(due_on: dt.date | None, finished_on: dt.date | None) -> dt.date | None:
    """The day a dossier became overdue: the day after its due date, when it was still
    open then (no end date, or an end date after the due date)."""
    if due_on is None or (finished_on is not None and finished_on <= due_on):
        return None
    return due_on + dt.timedelta(days=1)


def level_performs(level: str, levels: Any, day: dt.date | None) -> bool:
    """Whether a unit at `level` performs, on `day`, a procedure done at `levels` (the
    catalogue's; empty: any level). Since the two-level government (1/7/2025) there is
    no district: the communes took over what the districts did, so a commune-level unit
    receives a district-level procedure from that day on (before it, it is refused)."""
    if not levels or level in levels:
        return True
    return (
        level == Level.COMMUNE and Level.DISTRICT in levels and day is not None and is_reformed(day)
    )


class _Unit(NamedTuple):
    id: int
    code: str  # as files write it (the GSO code or the agency's code)
    name: str
    level: str
    valid_from: dt.date | None
    valid_to: dt.date | None


class _Places:
    """Receiving units by code, for units that may receive dossiers (not hamlets), each
    code read as of a dossier's received day (imports.dated: 28249 received in 2023 is
    Phường 5, in 2026 Phường Đạo Thạnh).

    A GSO code Excel read as a number lost its leading zeros ("1" for "01"); it is
    repaired when exactly one padded code exists.
    """

    def __init__(self, scope_ids: set[int] | None) -> None:
        self.by_code: dict[str, list[_Unit]] = defaultdict(list)
        self.by_identity: dict[str, _Unit] = {}
        self.by_id: dict[int, _Unit] = {}
        self.scope_ids = scope_ids
        for pk, code, gso_code, name, level, valid_from, valid_to in Unit.objects.filter(
            level__in=RECEIVING_LEVELS
        ).values_list("pk", "code", "gso_code", "name", "level", "valid_from", "valid_to"):
            if scope_ids is None or pk in scope_ids:
                unit = _Unit(pk, gso_code or code, name, level, valid_from, valid_to)
                self.by_code[unit.code].append(unit)
                self.by_identity[code] = unit
                self.by_id[pk] = unit
        self.hamlets: set[str] = set()
        for code, gso_code in Unit.objects.filter(level=Level.HAMLET).values_list(
            "code", "gso_code"
        ):
            self.hamlets.update((code, gso_code))
        self.problems: dict[tuple[str, dt.date], str] = {}

    def entry(self, text: str) -> tuple[Dated[_Unit | None], str] | str:
        """What the cell `text` names on each day, with the code it was read as; or the
        problem when it names no receiving unit at all."""
        try:
            return self._entry(text)
        except CellError as exc:
            return str(exc)

    def on_day(self, code: str, day: dt.date) -> str:
        """Why `code` names no unit on `day` (its units all started later): code_problem."""
        key = (code, day)
        found = self.problems.get(key)
        if found is None:
            found = self.problems[key] = code_problem(code, day, what="đơn vị")
        return found

    def _entry(self, code: str) -> tuple[Dated[_Unit | None], str]:
        if code not in self.by_code and code not in self.by_identity and code.isdigit():
            padded = {code.zfill(n) for n in (2, 3, 5)}
            padded &= self.by_code.keys() | self.by_identity.keys()
            if len(padded) == 1:
                code = padded.pop()
        written, identity = self.by_code.get(code, []), self.by_identity.get(code)
        if written or identity is not None:
            return by_code(written, identity), code
        if code in self.hamlets:
            raise CellError("ấp, khu phố không tiếp nhận hồ sơ; ghi mã xã/phường/thị trấn")
        # Outside the user's scope reads exactly like a code that does not exist.
        raise CellError("không có đơn vị mã này (mã GSO của đơn vị hành chính hoặc mã cơ quan)")


class DossierChecker:
    """Checks rows one by one, remembering what later rows are compared with.

    The receiving unit's code is read as of the dossier's received day; with a target
    tree it is then mapped through lineage to the unit in force on that tree's day
    (imports.dated), and the dossier is stored there.
    """

    def __init__(
        self,
        file_name: str,
        errors: RowErrorLog,
        scope_ids: set[int] | None,
        tree: TreeMap | None = None,
    ) -> None:
        self.file_name = file_name
        self.errors = errors
        self.today = clock.today()
        self.places = _Places(scope_ids)
        # The target tree (None: each dossier stays on the unit of its received day), and
        # the day a row without a valid received day is read as of (its errors still show).
        self.tree = tree
        self.undated = tree.tree if tree is not None else self.today
        self.procedures: dict[str, tuple[int, frozenset[str]]] = {
            code: (pk, frozenset(levels))
            for pk, code, levels in Procedure.objects.values_list("pk", "code", "levels")
        }
        self.form_windows: dict[int, list[tuple[dt.date, dt.date, str]]] = defaultdict(list)
        for unit_id, start, end, key in AggregateForm.objects.values_list(
            "unit_id", "data_from", "data_to", "report_key"
        ):
            self.form_windows[unit_id].append((start, end, key))
        self.seen: dict[str, int] = {}
        self.units: dict[str, tuple[Dated[_Unit | None], str] | str] = {}
        self.channels: dict[str, tuple[Any, str]] = {}
        self.days: dict[str, tuple[Any, str]] = {}
        self.dues: dict[str, tuple[Any, str]] = {}
        self.statuses: dict[str, tuple[Any, str]] = {}
        self.flags: dict[str, tuple[Any, str]] = {}
        self.fees: dict[str, tuple[Any, str]] = {}
        self.payments: dict[str, tuple[Any, str]] = {}

    # Cells repeat a lot (a few hundred dates, 0 and 1, a dozen statuses): each parser's
    # verdict on a text is kept, as (value, problem), so most cells cost one dict lookup.
    def _memo(
        self, memo: dict[str, tuple[Any, str]], parse: Callable[[str], Any], text: str
    ) -> tuple[Any, str]:
        try:
            hit: tuple[Any, str] = (parse(text), "")
        except CellError as exc:
            hit = (None, str(exc))
        if len(memo) < MEMO_MAX:
            memo[text] = hit
        return hit

    def _past_day(self, text: str) -> dt.date:
        """A received or end date: a real day, not in the future, not before MIN_DATE."""
        day = parse_date(text)
        if day > self.today:
            raise CellError("ngày ở tương lai")
        if day < MIN_DATE:
            raise CellError(f"ngày trước {MIN_DATE:%d/%m/%Y}")
        return day

    def check(self, row: Row) -> ValidRow | None:
        """The row reduced to ValidRow, or None after recording each of its errors."""
        if row.problem:
            self.errors.add(RowError(self.file_name, row.number, "", "", row.problem))
            return None
        problems: list[tuple[str, str, str]] = []
        get = row.values.get
        memo = self._memo

        code = get("code", "")
        if not code:
            problems.append(("code", "", "thiếu mã hồ sơ"))
        elif len(code) > CODE_MAX:
            problems.append(("code", code, f"mã hồ sơ dài quá {CODE_MAX} ký tự"))
        else:
            first = self.seen.setdefault(code, row.number)
            if first != row.number:
                problems.append(("code", code, f"trùng mã hồ sơ với dòng {first}"))

        procedure = None
        text = get("procedure", "")
        if not text:
            problems.append(("procedure", "", "thiếu mã thủ tục hành chính"))
        else:
            procedure = self.procedures.get(text)
            if procedure is None:
                problems.append(
                    (
                        "procedure",
                        text,
                        "mã TTHC chưa có trong danh mục thủ tục; nạp danh mục trước",
                    )
                )

        # The received day is read first: the receiving unit's code is read as of it.
        received_text = get("received_on", "")
        received_on: dt.date | None = None
        received_problem = ""
        if received_text:
            received_on, received_problem = self.days.get(received_text) or memo(
                self.days, self._past_day, received_text
            )

        read: _Unit | None = None  # the unit the code names on the received day
        unit: _Unit | None = None  # where the dossier is stored (mapped to the target tree)
        mapped_from = 0
        unit_text = get("unit", "")
        if not unit_text:
            problems.append(("unit", "", "thiếu mã đơn vị tiếp nhận"))
        else:
            read, unit, mapped_from = self._read_unit(
                unit_text, received_on or self.undated, problems
            )
        if (
            unit is not None
            and procedure is not None
            and not level_performs(unit.level, procedure[1], received_on)
        ):
            problems.append(
                (
                    "procedure",
                    get("procedure", ""),
                    "thủ tục không thực hiện ở cấp của đơn vị tiếp nhận",
                )
            )

        text = get("channel", "")
        channel, problem = self.channels.get(text) or memo(self.channels, parse_channel, text)
        if problem:
            problems.append(("channel", text, problem))

        if not received_text:
            problems.append(("received_on", "", "thiếu ngày tiếp nhận"))
        elif received_problem:
            problems.append(("received_on", received_text, received_problem))

        due_on = None
        text = get("due_on", "")
        if text:
            due_on, problem = self.dues.get(text) or memo(self.dues, parse_date, text)
            if problem:
                problems.append(("due_on", text, problem))
            elif received_on is not None and due_on < received_on:
                problems.append(("due_on", text, "ngày hẹn trả trước ngày tiếp nhận"))

        status = ""
        text = get("status", "")
        if not text:
            problems.append(("status", "", "thiếu trạng thái hồ sơ"))
        else:
            status, problem = self.statuses.get(text) or memo(self.statuses, parse_status, text)
            if problem:
                problems.append(("status", text, problem))
                status = ""

        finished_on = None
        text = get("finished_on", "")
        if text:
            finished_on, problem = self.days.get(text) or memo(self.days, self._past_day, text)
            if problem:
                problems.append(("finished_on", text, problem))
            elif received_on is not None and finished_on < received_on:
                problems.append(("finished_on", text, "ngày kết thúc trước ngày tiếp nhận"))
            if status in OPEN_STATUSES:
                problems.append(
                    ("finished_on", text, "hồ sơ đang giải quyết không có ngày kết thúc")
                )
        elif status and status not in OPEN_STATUSES:
            problems.append(("finished_on", "", "hồ sơ đã kết thúc phải có ngày kết thúc"))

        flags = self.flags
        text = get("digitized", "")
        digitized, problem = flags.get(text) or memo(flags, parse_flag, text)
        if problem:
            problems.append(("digitized", text, problem))
        text = get("e_result", "")
        e_result, problem = flags.get(text) or memo(flags, parse_flag, text)
        if problem:
            problems.append(("e_result", text, problem))
        elif e_result and status and status != _RESOLVED:
            problems.append(("e_result", text, "chỉ hồ sơ đã giải quyết mới có kết quả điện tử"))
        text = get("reused", "")
        reused, problem = flags.get(text) or memo(flags, parse_flag, text)
        if problem:
            problems.append(("reused", text, problem))

        fee_text = get("fee", "")
        fee, problem = self.fees.get(fee_text) or memo(self.fees, parse_fee, fee_text)
        if problem:
            problems.append(("fee", fee_text, problem))
        text = get("payment", "")
        payment, problem = self.payments.get(text) or memo(self.payments, parse_payment, text)
        if problem:
            problems.append(("payment", text, problem))
        elif payment and fee == 0:
            problems.append(("payment", text, "có thanh toán trực tuyến nhưng phí, lệ phí bằng 0"))

        if read is not None and received_on is not None:
            self._unit_on_day(unit_text, read, unit, mapped_from, received_on, problems)

        if problems:
            for key, value, problem in problems:
                self.errors.add(
                    RowError(self.file_name, row.number, dossier_header(key), value, problem)
                )
            return None
        assert procedure is not None and unit is not None and received_on is not None  # noqa: S101
        return ValidRow(
            row.number,
            code,
            procedure[0],
            unit.id,
            channel,
            received_on,
            due_on,
            finished_on,
            status,
            digitized,
            e_result,
            fee,
            payment,
            reused,
            overdue_day(due_on, finished_on),
            mapped_from,
        )

    def _read_unit(
        self, unit_text: str, day: dt.date, problems: list[tuple[str, str, str]]
    ) -> tuple[_Unit | None, _Unit | None, int]:
        """The unit the code `unit_text` names on `day`, the unit the dossier is stored on
        (mapped to the target tree) and the unit mapped from (0: not mapped); each problem
        found is appended to `problems`."""
        read: _Unit | None = None
        mapped_from = 0
        entry = self.units.get(unit_text)
        if entry is None:
            entry = self.places.entry(unit_text)
            if len(self.units) < MEMO_MAX:
                self.units[unit_text] = entry
        if isinstance(entry, str):
            problems.append(("unit", unit_text, entry))
        else:
            dated, written = entry
            read = dated.answers[0] if not dated.bounds else dated.at(day)
            if read is None:
                problems.append(("unit", unit_text, self.places.on_day(written, day)))
        unit = read
        if read is not None and self.tree is not None:
            try:
                landed = self.tree.land(read.id)
            except MapProblem as exc:
                problems.append(("unit", unit_text, exc.problem))
                unit = None
            else:
                if landed != read.id:
                    mapped_from = read.id
                    unit = self.places.by_id.get(landed)
                    if unit is None:
                        problems.append(
                            (
                                "unit",
                                unit_text,
                                f"{self.tree.unit(landed).name} (đơn vị mới của mã này) "
                                "ngoài phạm vi các đơn vị của bạn",
                            )
                        )
        return read, unit, mapped_from

    def _unit_on_day(
        self,
        unit_text: str,
        read: _Unit,
        unit: _Unit | None,
        mapped_from: int,
        received_on: dt.date,
        problems: list[tuple[str, str, str]],
    ) -> None:
        """The problems of the unit read receiving a dossier on `received_on`."""
        # A unit receives only while it exists; a code read as a unit that had ended
        # by then (an old code in a later file) is fine when it is mapped forward.
        if (read.valid_from is not None and received_on < read.valid_from) or (
            read.valid_to is not None and received_on > read.valid_to and not mapped_from
        ):
            problems.append(
                (
                    "unit",
                    unit_text,
                    "đơn vị không còn (hoặc chưa) hoạt động vào ngày tiếp nhận "
                    f"({read.name}, {_validity(read)})",
                )
            )
        # A unit that entered an aggregate form for a batch has its figures there: the
        # unit read and the one stored on (their sums meet under the new unit).
        for unit_id in {read.id, unit.id} if unit is not None else {read.id}:
            problem = self._form_conflict(unit_id, received_on)
            if problem:
                problems.append(("unit", unit_text, problem))
                break

    def received_unit(self, unit_text: str, received_on: dt.date) -> tuple[int, str, int] | None:
        """For a dossier received on `received_on` (a valid day) by `unit_text` (not empty):
        (id, level, unit mapped from) of the unit it is stored on, or None when the cell
        has any problem. The unit checks of `check`, for the set-based import."""
        problems: list[tuple[str, str, str]] = []
        read, unit, mapped_from = self._read_unit(unit_text, received_on, problems)
        if read is None or unit is None or problems:
            return None
        self._unit_on_day(unit_text, read, unit, mapped_from, received_on, problems)
        if problems:
            return None
        return unit.id, unit.level, mapped_from

    def _form_conflict(self, unit_id: int, received_on: dt.date) -> str:
        for start, end, key in self.form_windows.get(unit_id, ()):
            if start <= received_on <= end:
                return (
                    f"đơn vị đã nhập biểu mẫu tổng hợp đợt “{key}” ({start:%d/%m/%Y}–"
                    f"{end:%d/%m/%Y}); xóa biểu mẫu trước khi nhập hồ sơ của đợt này"
                )
        return ""


def _validity(unit: _Unit) -> str:
    return describe_validity(Unit(valid_from=unit.valid_from, valid_to=unit.valid_to))


# --- the same rules over a frame of rows (the set-based import) --------------------------

# The columns of a checked frame: ValidRow's fields, with their polars types.
VALID_SCHEMA: dict[str, Any] = {
    "_row": pl.Int64,
    "code": pl.String,
    "procedure_id": pl.Int64,
    "unit_id": pl.Int64,
    "channel": pl.Int64,
    "received_on": pl.Date,
    "due_on": pl.Date,
    "finished_on": pl.Date,
    "status": pl.String,
    "digitized": pl.Boolean,
    "e_result": pl.Boolean,
    "fee": pl.Int64,
    "payment": pl.Int64,
    "reused": pl.Boolean,
    "overdue_on": pl.Date,
    "mapped_from": pl.Int64,
}


def frame_check(
    checker: DossierChecker, frame: pl.DataFrame
) -> tuple[pl.DataFrame, list[RowError]]:
    """The rows of `frame` (bulk.frames: _row, _problem and the cells) that pass every
    check, as VALID_SCHEMA, and the errors of the others, in row order.

    Each cell kind is parsed once per distinct text (the receiving unit once per distinct
    unit and received day) with the checker's own parsers, and the rules joining cells
    are evaluated on whole columns. A row any rule may refuse, or that needs per-row
    care, goes through `checker.check` itself, which writes its errors (and returns it
    when it passes after all): the messages are check's. Repeated codes are found with
    the same first-row rule, and `checker.seen` holds every code read, as check expects.
    """
    memo = checker._memo  # noqa: SLF001 - the checker's own cache of cell verdicts

    def parsed(column: str, cache: dict[str, tuple[Any, str]], parse: Any, dtype: Any) -> pl.Series:
        texts = frame[column].unique().to_list()
        values = []
        for text in texts:
            hit = cache.get(text) or memo(cache, parse, text)
            values.append(None if hit[1] else hit[0])
        return frame[column].replace_strict(texts, values, return_dtype=dtype)

    # Repeated codes: every row read whole with a code of a valid length takes its place
    # in `seen` (the first row of each code stays), in row order.
    code = pl.col("code")
    code_ok = (code != "") & (code.str.len_chars() <= CODE_MAX)
    eligible = frame.filter(code_ok & (pl.col("_problem") == "")).select("_row", "code")
    seen = checker.seen.setdefault
    repeated = [
        row
        for row, text in zip(eligible["_row"].to_list(), eligible["code"].to_list(), strict=True)
        if seen(text, row) != row
    ]

    procedures = checker.procedures
    texts = frame["procedure"].unique().to_list()
    procedure_id = frame["procedure"].replace_strict(
        texts, [procedures.get(t, (None,))[0] for t in texts], return_dtype=pl.Int64
    )
    levels_of = {pk: levels for pk, levels in procedures.values()}
    out = frame.with_columns(
        procedure_id=procedure_id,
        received_d=parsed("received_on", checker.days, checker._past_day, pl.Date),  # noqa: SLF001
        channel_v=parsed("channel", checker.channels, parse_channel, pl.Int64),
        due_d=parsed("due_on", checker.dues, parse_date, pl.Date),
        finished_d=parsed("finished_on", checker.days, checker._past_day, pl.Date),  # noqa: SLF001
        status_v=parsed("status", checker.statuses, parse_status, pl.String),
        digitized_v=parsed("digitized", checker.flags, parse_flag, pl.Boolean),
        e_result_v=parsed("e_result", checker.flags, parse_flag, pl.Boolean),
        reused_v=parsed("reused", checker.flags, parse_flag, pl.Boolean),
        fee_v=parsed("fee", checker.fees, parse_fee, pl.Int64),
        payment_v=parsed("payment", checker.payments, parse_payment, pl.Int64),
    )

    # The receiving unit, once per distinct (unit, received day).
    pairs = (
        out.filter((pl.col("unit") != "") & pl.col("received_d").is_not_null())
        .select("unit", "received_d")
        .unique()
    )
    landed = [
        checker.received_unit(text, day) or (None, None, None) for text, day in pairs.iter_rows()
    ]
    pairs = pairs.with_columns(
        pl.Series("unit_id", [u[0] for u in landed], dtype=pl.Int64),
        pl.Series("level", [u[1] for u in landed], dtype=pl.String),
        pl.Series("mapped_from", [u[2] for u in landed], dtype=pl.Int64),
    )
    out = out.join(pairs, on=["unit", "received_d"], how="left", maintain_order="left")
    level_pairs = out.select("procedure_id", "level", "received_d").unique().drop_nulls()
    level_ok = level_pairs.with_columns(
        level_ok=pl.Series(
            [
                level_performs(level, levels_of[pk], day)
                for pk, level, day in level_pairs.iter_rows()
            ],
            dtype=pl.Boolean,
        )
    )
    out = out.join(
        level_ok, on=["procedure_id", "level", "received_d"], how="left", maintain_order="left"
    )

    received, due, finished = pl.col("received_d"), pl.col("due_d"), pl.col("finished_d")
    status = pl.col("status_v")
    open_statuses = [str(s) for s in OPEN_STATUSES]
    passes = pl.all_horizontal(
        pl.col("_problem") == "",
        code_ok,
        ~pl.col("_row").is_in(repeated),
        pl.col("procedure_id").is_not_null(),
        pl.col("unit_id").is_not_null(),
        pl.col("level_ok").fill_null(value=False),
        pl.col("channel_v").is_not_null(),
        received.is_not_null(),
        (pl.col("due_on") == "") | (due.is_not_null() & (due >= received)),
        status.is_not_null(),
        pl.when(pl.col("finished_on") == "")
        .then(status.is_in(open_statuses))
        .otherwise(finished.is_not_null() & (finished >= received) & ~status.is_in(open_statuses)),
        pl.col("digitized_v").is_not_null(),
        pl.col("e_result_v").is_not_null() & (~pl.col("e_result_v") | (status == _RESOLVED)),
        pl.col("reused_v").is_not_null(),
        pl.col("fee_v").is_not_null(),
        pl.col("payment_v").is_not_null() & ((pl.col("payment_v") == 0) | (pl.col("fee_v") != 0)),
    ).fill_null(value=False)
    out = out.with_columns(_passes=passes)

    valid = out.filter(pl.col("_passes")).select(
        "_row",
        "code",
        "procedure_id",
        "unit_id",
        pl.col("channel_v").alias("channel"),
        received.alias("received_on"),
        due.alias("due_on"),
        finished.alias("finished_on"),
        status.alias("status"),
        pl.col("digitized_v").alias("digitized"),
        pl.col("e_result_v").alias("e_result"),
        pl.col("fee_v").alias("fee"),
        pl.col("payment_v").alias("payment"),
        pl.col("reused_v").alias("reused"),
        pl.when(due.is_not_null() & (finished.is_null() | (finished > due)))
        .then(due + pl.duration(days=1))
        .alias("overdue_on"),
        pl.col("mapped_from").fill_null(0),
    )

    # The other rows, one by one, through check itself.
    rest = out.filter(~pl.col("_passes")).select(frame.columns)
    collect = RowErrorList()
    if rest.height:
        sink, checker.errors = checker.errors, collect  # type: ignore[assignment]
        keys = [c for c in frame.columns if c not in ("_row", "_problem")]
        passed = []
        try:
            for values in rest.iter_rows():
                cells = dict(zip(keys, values[2:], strict=True))
                row = Row(values[0], cells if not values[1] else {}, values[1])
                checked = checker.check(row)
                if checked is not None:
                    passed.append(checked)
        finally:
            checker.errors = sink
        if passed:
            valid = pl.concat(
                [valid, pl.DataFrame(passed, schema=VALID_SCHEMA, orient="row")]
            ).sort("_row")
    return valid, collect.found
