"""Problems found in a plan file, and how they read: "<file>: <key.path[index]>: <problem>".

pydantic's error `loc` gives the place; its English messages are replaced
by Vietnamese ones for the officers who edit plan files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

Loc = tuple[int | str, ...]


@dataclass(frozen=True)
class Problem:
    """One problem at one place of the file."""

    where: str
    message: str


class PlanFileError(Exception):
    """A plan file that cannot be read or does not validate; lists every problem found."""

    def __init__(self, file: str, problems: Sequence[Problem]) -> None:
        self.file = file
        self.problems = list(problems)
        super().__init__("\n".join(self.lines))

    @property
    def lines(self) -> list[str]:
        return [f"{self.file}: {p.where}: {p.message}" for p in self.problems]


def format_loc(loc: Iterable[int | str]) -> str:
    """("targets", 3, "value") -> "targets[3].value"."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(gốc)"


# pydantic's messages are English; officers read Vietnamese.
_MESSAGES = {
    "missing": "thiếu khóa bắt buộc",
    "extra_forbidden": "khóa lạ, lược đồ không có khóa này",
    "string_type": "phải là chuỗi văn bản",
    "list_type": "phải là danh sách",
    "dict_type": "phải là bảng khóa: giá trị",
    "model_type": "phải là bảng khóa: giá trị",
    "int_type": "phải là số nguyên",
    "int_parsing": "phải là số nguyên",
    "int_from_float": "phải là số nguyên",
    "decimal_type": "phải là số",
    "decimal_parsing": "phải là số",
    "decimal_max_digits": "quá {max_digits} chữ số",
    "decimal_max_places": "tối đa {decimal_places} chữ số thập phân",
    "bool_type": "phải là true hoặc false",
    "bool_parsing": "phải là true hoặc false",
    "literal_error": "phải là một trong: {expected}",
    "greater_than": "phải lớn hơn {gt}",
    "greater_than_equal": "phải từ {ge} trở lên",
    "less_than_equal": "phải không quá {le}",
    "too_short": "cần ít nhất {min_length} mục",
    "string_too_long": "dài quá {max_length} ký tự",
}


def _message(error: Any) -> str:
    ctx = error.get("ctx") or {}
    if error["type"] in ("value_error", "assertion_error") and "error" in ctx:
        text = str(ctx["error"])
    else:
        try:
            text = _MESSAGES[error["type"]].format(**ctx)
        except (KeyError, IndexError):
            text = error["msg"]
    value = error.get("input")
    shown = error["type"] not in ("missing", "extra_forbidden", "value_error")
    if shown and isinstance(value, str | int | float | dt.date) and not isinstance(value, bool):
        text += f" (đang là: {value!r})"
    return text


def item_key(data: Any, loc: Loc) -> str | None:
    """The `key` of the list item an error sits in, to name it beside its index."""
    node = data
    found = None
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(part, int) and isinstance(node, dict) and isinstance(node.get("key"), str):
            found = node["key"]
    return found


def adder(problems: list[Problem], data: Any) -> Callable[[Loc, str], None]:
    """A function appending a problem at a loc of `data`, naming the item's key."""

    def add(loc: Loc, message: str) -> None:
        key = item_key(data, loc)
        problems.append(Problem(format_loc(loc), message + (f" [mục {key}]" if key else "")))

    return add


def problems_from(exc: ValidationError, data: Any) -> list[Problem]:
    """pydantic's errors as problems, each at its loc, in Vietnamese."""
    problems: list[Problem] = []
    add = adder(problems, data)
    for error in exc.errors():
        add(tuple(error["loc"]), _message(error))
    return problems
