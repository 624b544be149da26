"""Reading CSV files the way officers save them: UTF-8 with or without BOM,
headers matched ignoring case, diacritics and spacing.

Errors name the file, the row (as a spreadsheet numbers it: header = row 1)
and the column, so an officer can find the cell.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .text import clean, fold


@dataclass(frozen=True)
class RowError:
    """One problem in one cell (or one row when `column` is empty)."""

    file: str
    row: int
    column: str
    value: str
    problem: str

    def __str__(self) -> str:
        where = f"{self.file}, dòng {self.row}"
        if self.column:
            where += f", cột “{self.column}”"
        value = f" (giá trị: “{self.value}”)" if self.value else ""
        return f"{where}: {self.problem}{value}"


@dataclass
class TabularError(Exception):
    """A file that cannot be read at all, or whose rows have errors."""

    errors: list[RowError] = field(default_factory=list)

    def __str__(self) -> str:
        shown = "\n".join(str(e) for e in self.errors[:50])
        more = len(self.errors) - 50
        return shown + (f"\n… và {more} lỗi khác" if more > 0 else "")


@dataclass(frozen=True)
class Row:
    """A data row: its spreadsheet row number and values keyed by canonical column."""

    number: int
    values: Mapping[str, str]

    def get(self, key: str) -> str:
        return self.values.get(key, "")


def read_csv(
    path: Path,
    columns: Mapping[str, Sequence[str]],
    required: Sequence[str],
) -> Iterator[Row]:
    """Yield the rows of `path` keyed by canonical column names.

    `columns` maps each canonical key to the header texts that mean it; headers
    are compared folded. A missing required column is an error on row 1.
    """
    name = path.name
    aliases = {fold(alias): key for key, names in columns.items() for alias in names}
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise TabularError(
            [RowError(name, 0, "", "", f"không mở được tệp: {exc.strerror}")]
        ) from exc
    with handle:
        try:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise TabularError([RowError(name, 1, "", "", "tệp rỗng, thiếu dòng tiêu đề")])
            keys = [aliases.get(fold(h)) for h in header]
            missing = [k for k in required if k not in keys]
            if missing:
                expected = ", ".join(f"“{columns[k][0]}”" for k in missing)
                raise TabularError([RowError(name, 1, "", "", f"thiếu cột {expected}")])
            for number, cells in enumerate(reader, start=2):
                if not any(c.strip() for c in cells):
                    continue
                values = {k: clean(c) for k, c in zip(keys, cells, strict=False) if k}
                yield Row(number, values)
        except UnicodeDecodeError as exc:
            raise TabularError(
                [RowError(name, 0, "", "", "tệp không phải UTF-8; hãy lưu lại dạng CSV UTF-8")]
            ) from exc
