"""Reading a table file as polars frames of text cells, a chunk at a time, for the
set-based imports.

Each frame holds the column `ROW` (the row number as a spreadsheet numbers it,
header = 1), `PROBLEM` (why the row could not be read whole, or "") and one text
column per canonical key the file has. A frame holds exactly the rows
core.tabular.read_table would yield, with the same numbers, cleaned cells and
problems: the contract is read_table's, and read_table stays the reference.

A plain CSV (UTF-8, no quote character, NUL or lone carriage return after the
header: what one-stop systems and spreadsheets export) is read here, in blocks
of bytes split into lines and cells by polars, and only the cells that need
cleaning (NFC, spaces) go through Python, once per distinct text. Any other
file (XLSX, quoted CSV cells, another encoding) is read by read_table, its rows
gathered into frames: the same frames, more slowly.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl
from django.db import connection

from chiendich.core.tabular import (
    XLSX_SUFFIXES,
    Required,
    Row,
    _header_keys,  # the header rules are read_table's own
    _sniff_delimiter,
    primed,
    read_table,
)

ROW = "_row"
PROBLEM = "_problem"
BLOCK_BYTES = 8 << 20  # about 80,000 dossier rows per frame
FALLBACK_ROWS = 50_000
PACK_ROWS = 100_000  # rows staged per statement on SQLite
# A cell that needs no cleaning: printable ASCII words separated by single spaces.
_CLEAN = r"^(?:[!-~]+(?: [!-~]+)*)?$"


def clean_cell(text: str) -> str:
    """What read_csv makes of a raw cell: NFC, whitespace runs collapsed, ends trimmed."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())


def frames(
    path: Path,
    columns: Mapping[str, Sequence[str]],
    required: Required,
    *,
    block_bytes: int | None = None,
) -> Iterator[pl.DataFrame]:
    """The rows of `path` as frames (see the module docstring). A missing required column
    or an unreadable file raises TabularError before the first frame, as read_table's
    first row does."""
    keys = list(columns)
    fast = _plain_csv(path, columns, required)
    if fast is None:
        return _from_rows(primed(read_table(path, columns, required)), keys)
    separator, pairs, width = fast
    return _csv_frames(path, separator, pairs, width, keys, block_bytes or BLOCK_BYTES)


def _lines(f: BinaryIO, block_bytes: int) -> Iterator[bytes]:
    """The rest of `f` in blocks of whole lines (the last one may lack its newline)."""
    carry = b""
    while True:
        block = f.read(block_bytes)
        if not block:
            if carry:
                yield carry
            return
        data = carry + block
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            carry = data
            continue
        yield data[:cut]
        carry = data[cut:]


def _simple_line(separator: str) -> str:
    """A line of cells each either bare (no quote, no separator) or wholly quoted with
    doubled quotes inside: what csv.reader and polars read alike."""
    sep = re.escape(separator)
    cell = rf'(?:[^"{sep}]*|"(?:[^"]|"")*")'
    return rf"^{cell}(?:{sep}{cell})*$"


def _plain_csv(
    path: Path, columns: Mapping[str, Sequence[str]], required: Required
) -> tuple[str, list[tuple[int, str]], int] | None:
    """(separator, (index, key) of the columns read, header width) when `path` is a CSV
    the fast reader reads exactly as read_csv does; None otherwise."""
    if path.suffix.lower() in (*XLSX_SUFFIXES, ".xls"):
        return None
    try:
        with path.open("rb") as f:
            first = f.readline()
            if b"\r" in first.rstrip(b"\r\n") or first.count(b'"') % 2:
                return None
            text = first.decode("utf-8-sig")
            if not text.strip("\r\n"):
                return None  # no header: read_csv says so
            separator = _sniff_delimiter(text)
            simple = _simple_line(separator)
            for block in _lines(f, BLOCK_BYTES):
                if b"\x00" in block or block.count(b"\r") != block.count(b"\r\n"):
                    return None
                data = block.decode("utf-8")
                if '"' in data:
                    lines = pl.Series(data.replace("\r\n", "\n").split("\n"), dtype=pl.String)
                    quoted = lines.filter(lines.str.contains('"', literal=True))
                    if not quoted.str.contains(simple).all():
                        return None
    except (OSError, UnicodeDecodeError):
        return None
    header = next(csv.reader([text.rstrip("\r\n")], delimiter=separator), None)
    if not header:
        return None
    keys = _header_keys(path.name, header, columns, required)  # raises on a missing column
    return separator, [(i, k) for i, k in enumerate(keys) if k], len(header)


def _csv_frames(
    path: Path,
    separator: str,
    pairs: list[tuple[int, str]],
    width: int,
    keys: list[str],
    block_bytes: int,
) -> Iterator[pl.DataFrame]:
    with path.open("rb") as f:
        f.readline()
        number = 2  # the row number of the block's first line
        for block in _lines(f, block_bytes):
            frame, lines = _block_frame(
                block.decode("utf-8"), number, separator, pairs, width, keys
            )
            number += lines
            if frame.height:
                yield frame


def _block_frame(
    text: str,
    number: int,
    separator: str,
    pairs: list[tuple[int, str]],
    width: int,
    keys: list[str],
) -> tuple[pl.DataFrame, int]:
    """The rows of the complete lines `text`, the first numbered `number`; and how many
    lines (numbers) it used."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if text.endswith("\n"):
        text = text[:-1]
    lines = pl.Series("line", text.split("\n"), dtype=pl.String)
    count = lines.len()
    quoted = '"' in text
    # Cells per line; quoted cells (whole, by _plain_csv) may hold the separator.
    bare = lines.str.replace_all(r'"(?:[^"]|"")*"', "") if quoted else lines
    frame = pl.DataFrame(
        {
            ROW: pl.int_range(number, number + count, eager=True, dtype=pl.Int64),
            "line": lines,
            "fields": pl.select(
                pl.when(lines == "")
                .then(0)
                .otherwise(bare.str.count_matches(separator, literal=True) + 1)
            ).to_series(),
        }
    )
    short = frame.filter(pl.col("fields") < width)
    whole = frame.filter(pl.col("fields") >= width)
    if quoted:
        cells = pl.read_csv(
            "\n".join(whole["line"].to_list()).encode(),
            has_header=False,
            schema={f"field_{i}": pl.String for i in range(width)},
            separator=separator,
            quote_char='"',
            truncate_ragged_lines=True,
            extra_columns="ignore",
            empty_string_is_null=False,
        ).fill_null("")
        if cells.height != whole.height:  # _plain_csv let through a line polars reads apart
            raise RuntimeError("bulk.frames: polars read another number of lines than given")
    else:
        cells = whole.select(pl.col("line").str.split_exact(separator, width - 1)).unnest("line")
    picked = [cells[f"field_{i}"].rename(key) for i, key in pairs]
    out = pl.DataFrame([whole[ROW], *picked])
    fixes: dict[str, pl.Series] = {}
    for _, key in pairs:
        column = out[key]
        dirty = column.filter(~column.str.contains(_CLEAN)).unique()
        if dirty.len():
            texts = dirty.to_list()
            fixes[key] = column.replace_strict(
                texts, [clean_cell(t) for t in texts], default=column
            )
    if fixes:
        out = out.with_columns(**fixes)
    # A row whose every cell is blank is skipped; one with text only in columns not read
    # is kept, empty (read_csv's rule).
    empty = pl.all_horizontal([pl.col(k) == "" for _, k in pairs])
    blank_rows = out.filter(empty)[ROW]
    if blank_rows.len():
        raw = dict(zip(whole[ROW].to_list(), whole["line"].to_list(), strict=True))
        skip = [r for r in blank_rows.to_list() if not _has_text(raw[r], separator)]
        if skip:
            out = out.filter(~pl.col(ROW).is_in(skip))
    out = out.with_columns(pl.lit("").alias(PROBLEM))
    if short.height:
        problems = []
        for r, line in short.select(ROW, "line").iter_rows():
            cells_read = _cells(line, separator)
            if any(c.strip() for c in cells_read):
                problems.append(
                    (r, f"dòng bị cắt: có {len(cells_read)} ô, dòng tiêu đề có {width} cột")
                )
        if problems:
            out = pl.concat(
                [
                    out,
                    pl.DataFrame(
                        {
                            ROW: [r for r, _ in problems],
                            **{k: [""] * len(problems) for _, k in pairs},
                            PROBLEM: [p for _, p in problems],
                        },
                        schema=out.schema,
                    ),
                ]
            ).sort(ROW)
    return _complete(out, keys), count


def _cells(line: str, separator: str) -> list[str]:
    """The cells csv.reader reads from one line."""
    return next(csv.reader([line], delimiter=separator), [])


def _has_text(line: str, separator: str) -> bool:
    return any(c.strip() for c in _cells(line, separator))


def _complete(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Every key as a column (empty when the file lacks it), in a fixed order."""
    missing = [pl.lit("").alias(k) for k in keys if k not in frame.columns]
    if missing:
        frame = frame.with_columns(missing)
    return frame.select(ROW, PROBLEM, *keys)


def _from_rows(rows: Iterator[Row], keys: list[str]) -> Iterator[pl.DataFrame]:
    """read_table's rows gathered into frames of FALLBACK_ROWS."""
    numbers: list[int] = []
    problems: list[str] = []
    values: dict[str, list[str]] = {k: [] for k in keys}
    appends: list[tuple[Callable[[str], None], str]] = [(values[k].append, k) for k in keys]

    def frame() -> pl.DataFrame:
        out = pl.DataFrame(
            {ROW: numbers, PROBLEM: problems, **values},
            schema={ROW: pl.Int64, PROBLEM: pl.String, **dict.fromkeys(keys, pl.String)},
        )
        numbers.clear()
        problems.clear()
        for v in values.values():
            v.clear()
        return out

    for row in rows:
        numbers.append(row.number)
        problems.append(row.problem)
        get = row.values.get
        for append, key in appends:
            append(get(key, ""))
        if len(numbers) >= FALLBACK_ROWS:
            yield frame()
    if numbers:
        yield frame()


# --- staging rows in a temporary table -------------------------------------------------------


class Stage:
    """A temporary table that checked rows are staged in before one set-based merge.
    `columns` are (name, PostgreSQL type: an integer type, date, boolean or varchar);
    `put` a frame holding those columns (polars integers, dates, booleans, text). Use it
    as a context manager: `name` is a temporary table of those columns for the block,
    plus `seq`, the order the rows were put in (ORDER BY seq: free on SQLite).

    PostgreSQL takes the rows by COPY. SQLite has no COPY and its driver binds each value
    of each row from Python: there each row is packed (vectorized) into one text
    (integers, dates and flags at fixed places, then the texts with their byte lengths),
    and a chunk of them goes in with one statement, json_each over a JSON array of the
    texts, unpacked with substr() on bytes. Staging writes only SQLite's temporary
    database: no write lock on the main one; the merge then reads a plain table.
    """

    def __init__(self, name: str, columns: Sequence[tuple[str, str]]) -> None:
        self.name = name
        self.columns = list(columns)
        self.names = [c for c, _ in columns]
        self.rows = 0
        self.postgres = connection.vendor == "postgresql"

    def __enter__(self) -> Stage:
        with connection.cursor() as cursor:
            self._drop(cursor)
            if self.postgres:
                columns = ", ".join(["seq bigserial"] + [f"{c} {kind}" for c, kind in self.columns])
                cursor.execute(f"CREATE TEMPORARY TABLE {self.name} ({columns})")
            else:
                columns = ", ".join(["seq INTEGER PRIMARY KEY"] + self.names)
                cursor.execute(f"CREATE TEMPORARY TABLE {self.name} ({columns})")
        return self

    def __exit__(self, *_: object) -> None:
        with connection.cursor() as cursor:
            self._drop(cursor)

    def _drop(self, cursor: Any) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {'' if self.postgres else 'temp.'}{self.name}")

    @staticmethod
    def _kind(kind: str) -> str:
        if kind in ("integer", "bigint", "smallint"):
            return "int"
        if kind in ("date", "boolean"):
            return kind
        if kind.startswith("varchar"):
            return "text"
        raise ValueError(f"Stage: unsupported column type {kind}")

    def _unpack(self) -> str:
        """The SELECT list turning a packed row `p` (a BLOB: substr counts bytes, so each
        cell is found without scanning the ones before) back into the columns."""
        out: list[str] = []
        texts: list[tuple[str, str]] = []  # (name, its length's expression)
        at = 1
        blank = {n: "x'" + "20" * n + "'" for n in (1, 6, 10, 20)}
        for name, kind in self.columns:
            match self._kind(kind):
                case "int":  # right-aligned; CAST skips the spaces before
                    out.append(f"CAST(NULLIF(substr(p, {at}, 20), {blank[20]}) AS INTEGER)")
                    at += 20
                case "date":
                    out.append(f"CAST(NULLIF(substr(p, {at}, 10), {blank[10]}) AS TEXT)")
                    at += 10
                case "boolean":
                    out.append(f"CAST(NULLIF(substr(p, {at}, 1), {blank[1]}) AS INTEGER)")
                    at += 1
                case _:
                    texts.append((name, f"CAST(NULLIF(substr(p, {at}, 6), {blank[6]}) AS INTEGER)"))
                    at += 6
        offset = str(at)
        for _, length in texts:
            # substr(p, x, NULL) is NULL: a NULL text has no length.
            out.append(f"CAST(substr(p, {offset}, {length}) AS TEXT)")
            offset += f" + coalesce({length}, 0)"
        # In the columns' order: the fixed ones, then the texts.
        by_name = dict(
            zip(
                [n for n, k in self.columns if self._kind(k) != "text"] + [n for n, _ in texts],
                out,
                strict=True,
            )
        )
        return ", ".join(by_name[n] for n in self.names)

    def _pack(self, frame: pl.DataFrame) -> list[str]:
        fixed: list[pl.Expr] = []
        texts: list[pl.Expr] = []
        for name, kind in self.columns:
            column = pl.col(name)
            match self._kind(kind):
                case "int":
                    fixed.append(column.cast(pl.String).fill_null("").str.pad_start(20))
                case "date":
                    fixed.append(column.dt.to_string("%Y-%m-%d").fill_null("").str.pad_end(10))
                case "boolean":
                    fixed.append(column.cast(pl.Int8).cast(pl.String).fill_null(" "))
                case _:
                    fixed.append(
                        column.str.len_bytes().cast(pl.String).fill_null("").str.pad_start(6)
                    )
                    texts.append(column.fill_null(""))
        return frame.select(pl.concat_str([*fixed, *texts]).alias("p"))["p"].to_list()

    def put(self, frame: pl.DataFrame) -> None:
        if not frame.height:
            return
        self.rows += frame.height
        frame = frame.select(self.names)
        if self.postgres:
            data = frame.write_csv(include_header=False)
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(
                    f"COPY {self.name} ({', '.join(self.names)}) FROM STDIN (FORMAT csv)"
                ) as copy,
            ):
                copy.write(data)
            return
        with connection.cursor() as cursor:
            for start in range(0, frame.height, PACK_ROWS):
                packed = self._pack(frame.slice(start, PACK_ROWS))
                cursor.execute(
                    f"INSERT INTO {self.name} ({', '.join(self.names)})"  # noqa: S608
                    f" SELECT {self._unpack()} FROM"
                    " (SELECT CAST(value AS BLOB) AS p FROM json_each(%s))",
                    [json.dumps(packed, ensure_ascii=False)],
                )
