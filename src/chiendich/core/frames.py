"""Reading a CSV or XLSX list as chunks of polars DataFrames: the one reader of the
set-based imports (the import pipeline, chiendich.imports.pipeline, and the police list).

`table_frames` gives the same rows as `core.tabular.read_table`, with the same
row numbers, the same cleaned cell text (NFC, whitespace collapsed) and the same
problem rows (a row cut short, an unterminated quote, a NUL), but as frames of
up to `rows` rows: a column "_row" (the spreadsheet row number), a column
"_problem" ("" for a row read whole) and one text column per canonical key of
`columns` ("" where the file has no such column or the cell is empty). Blank
rows are skipped but counted, as read_csv does. read_table stays the reference.

Three ways in, one result:
- A plain CSV (UTF-8, no quote character inside a cell, NUL or lone carriage
  return after the header: what one-stop systems and spreadsheets export) is
  read in blocks of bytes split into lines and cells by polars; only the cells
  that need cleaning (NFC, spaces) go through Python, once per distinct text.
- Any other CSV is parsed by Python's csv module (C) with read_csv's settings
  (delimiter sniffed from the first line, strict quoting, UTF-8 with or without
  BOM); the cells of a chunk are then cleaned column by column in polars.
- XLSX is read by read_xlsx (an XLSX holds at most about a million rows) and
  grouped into frames.

`frame_rows` turns rows of a frame back into `Row`s, for a per-row checker.
"""

from __future__ import annotations

import csv
import gc
import itertools
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

import polars as pl

from .tabular import (
    XLSX_SUFFIXES,
    Required,
    Row,
    RowError,
    TabularError,
    _csv_problem,
    _header_keys,
    _sniff_delimiter,
    cell_text,
    read_table,
)

FRAME_ROWS = 100_000
ROW = "_row"
PROBLEM = "_problem"
BLOCK_BYTES = 8 << 20  # bytes of a plain CSV split into lines at a time (~80,000 dossier rows)
# A cell that needs no cleaning: printable ASCII words separated by single spaces.
_CLEAN = r"^(?:[!-~]+(?: [!-~]+)*)?$"

# Characters Python's str.split() splits on, other than the plain space: a cell
# holding one of them, a double space, or a space at either end needs collapsing.
_OTHER_WHITESPACE = (
    "[\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)
_MESSY_CELL = re.compile(f"{_OTHER_WHITESPACE}|  |^ | $")


def table_frames(
    path: Path,
    columns: Mapping[str, Sequence[str]],
    required: Required,
    *,
    rows: int | None = None,
    block_bytes: int | None = None,
) -> Iterator[pl.DataFrame]:
    """The rows of the CSV or XLSX `path` as frames of up to `rows` rows (see the module;
    None: a plain CSV's frames are its blocks, other files' FRAME_ROWS rows).

    The header is read now: a file that cannot be opened, or that lacks a required
    column, raises TabularError before this returns. A file that turns out not to
    be UTF-8 raises TabularError while its frames are read, as read_csv does.
    `block_bytes`: how much of a plain CSV is split into lines at a time.
    """
    keys = list(columns)
    if path.suffix.lower() in XLSX_SUFFIXES or path.suffix.lower() == ".xls":
        source = read_table(path, columns, required)
        first = next(source, None)  # the header is read (and checked) here
        return _row_frames(
            itertools.chain([first] if first else [], source), keys, rows or FRAME_ROWS
        )
    fast = _plain_csv(path, columns, required)
    if fast is not None:
        separator, pairs, width = fast
        return _block_frames(path, separator, pairs, width, keys, block_bytes or BLOCK_BYTES, rows)
    return _csv_frames(path, columns, required, keys, rows or FRAME_ROWS)


def _csv_frames(
    path: Path,
    columns: Mapping[str, Sequence[str]],
    required: Required,
    keys: list[str],
    rows: int,
) -> Iterator[pl.DataFrame]:
    name = path.name
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise TabularError(
            [RowError(name, 0, "", "", f"không mở được tệp: {exc.strerror}")]
        ) from exc
    try:
        first = handle.readline()
        reader = csv.reader(
            itertools.chain((first,), handle), delimiter=_sniff_delimiter(first), strict=True
        )
        header = next(reader, None)
        if header is None:
            raise TabularError([RowError(name, 1, "", "", "tệp rỗng, thiếu dòng tiêu đề")])
        header_keys = _header_keys(name, header, columns, required)
    except UnicodeDecodeError as exc:
        handle.close()
        raise TabularError(
            [RowError(name, 0, "", "", "tệp không phải UTF-8; hãy lưu lại dạng CSV UTF-8")]
        ) from exc
    except BaseException:
        handle.close()
        raise
    return _csv_chunks(name, handle, reader, header_keys, len(header), keys, rows)


def _csv_chunks(
    name: str,
    handle: object,
    reader: Iterator[list[str]],
    header_keys: list[str | None],
    width: int,
    keys: list[str],
    size: int,
) -> Iterator[pl.DataFrame]:
    pairs = [(i, k) for i, k in enumerate(header_keys) if k]
    # A chunk is a hundred thousand small lists: Python's cyclic garbage collector
    # would walk them all again and again as they pile up (reading slows as the file
    # grows). They hold no cycles, so it sleeps while a chunk is read, never while
    # the caller works on it.
    collecting = gc.isenabled()
    gc.disable()
    try:
        number = 1
        whole: list[list[str]] = []  # rows with at least `width` cells
        numbers: list[int] = []
        odd: list[Row] = []  # rows cut short or malformed
        done = False
        while not done:
            try:
                for cells in reader:
                    number += 1
                    if len(cells) < width:
                        if not any(c.strip() for c in cells):
                            continue
                        odd.append(
                            Row(
                                number,
                                {k: _clean(cells[i]) for i, k in pairs if i < len(cells)},
                                f"dòng bị cắt: có {len(cells)} ô, dòng tiêu đề có {width} cột",
                            )
                        )
                    else:
                        whole.append(cells)
                        numbers.append(number)
                    if len(whole) + len(odd) >= size:
                        chunk = _chunk(whole, numbers, odd, pairs, keys)
                        whole, numbers, odd = [], [], []
                        if collecting:
                            gc.enable()
                        yield chunk
                        gc.disable()
                done = True
            except csv.Error as exc:
                number += 1
                odd.append(Row(number, {}, _csv_problem(str(exc))))
        if collecting:
            gc.enable()
        if whole or odd:
            yield _chunk(whole, numbers, odd, pairs, keys)
    except UnicodeDecodeError as exc:
        raise TabularError(
            [RowError(name, 0, "", "", "tệp không phải UTF-8; hãy lưu lại dạng CSV UTF-8")]
        ) from exc
    finally:
        if collecting:
            gc.enable()
        handle.close()  # type: ignore[attr-defined]


def _clean(text: str) -> str:
    """read_csv's cleaning of one cell: NFC, whitespace collapsed."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())


def _chunk(
    whole: list[list[str]],
    numbers: list[int],
    odd: list[Row],
    pairs: list[tuple[int, str]],
    keys: list[str],
) -> pl.DataFrame:
    """One frame from the rows read whole (cleaned here, column by column) and the odd ones."""
    index = dict((k, i) for i, k in pairs)
    data: dict[str, pl.Series] = {ROW: pl.Series(ROW, numbers, dtype=pl.Int64)}
    data[PROBLEM] = pl.Series(PROBLEM, [""] * len(numbers), dtype=pl.String)
    transposed = list(zip(*whole, strict=False)) if whole else []
    for key in keys:
        if key in index and transposed:
            data[key] = _clean_column(key, transposed[index[key]])
        else:
            data[key] = pl.Series(key, [""] * len(numbers), dtype=pl.String)
    frame = pl.DataFrame(data)
    if len(frame):
        # A row whose every cell is blank is skipped (read_csv: picked cells empty and
        # every cell of the row blank); its number stays used.
        empty = pl.all_horizontal([pl.col(k) == "" for k in keys])
        candidates = frame.filter(empty)[ROW].to_list()
        if candidates:
            where = dict(zip(numbers, range(len(numbers)), strict=True))
            blank = [n for n in candidates if not any(c.strip() for c in whole[where[n]])]
            if blank:
                frame = frame.filter(~pl.col(ROW).is_in(blank))
    if odd:
        frame = pl.concat([frame, _rows_frame(odd, keys)]).sort(ROW)
    return frame


def _clean_column(key: str, cells: Sequence[str]) -> pl.Series:
    """The cells as read_csv cleans them. One look at the whole column, joined by NUL,
    decides whether any cell needs NFC (then the cells not in NFC are normalized);
    polars finds the cells holding whitespace to collapse (rare), which Python
    collapses as read_csv does."""
    joined = "\x00".join(cells)
    values: Sequence[str] = cells
    if not (joined.isascii() or unicodedata.is_normalized("NFC", joined)):
        values = [c if c.isascii() else unicodedata.normalize("NFC", c) for c in cells]
    series = pl.Series(key, values, dtype=pl.String)
    messy = series.str.contains(_MESSY_CELL.pattern)
    if messy.any():
        fixed = list(values)
        for p in messy.arg_true().to_list():
            fixed[p] = " ".join(fixed[p].split())
        series = pl.Series(key, fixed, dtype=pl.String)
    return series


def _rows_frame(rows: Sequence[Row], keys: list[str]) -> pl.DataFrame:
    data: dict[str, list[object]] = {
        ROW: [r.number for r in rows],
        PROBLEM: [r.problem for r in rows],
    }
    for key in keys:
        data[key] = [r.values.get(key, "") for r in rows]
    schema = {ROW: pl.Int64, PROBLEM: pl.String, **dict.fromkeys(keys, pl.String)}
    return pl.DataFrame(data, schema=schema)


def _row_frames(rows: Iterator[Row], keys: list[str], size: int) -> Iterator[pl.DataFrame]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield _rows_frame(batch, keys)
            batch = []
    if batch:
        yield _rows_frame(batch, keys)


def frame_rows(frame: pl.DataFrame, keys: Sequence[str]) -> Iterator[Row]:
    """The frame's rows as `Row`s (values keyed by canonical column, empty cells left
    out as read_table leaves out the columns a file lacks)."""
    for values in frame.select([ROW, PROBLEM, *keys]).iter_rows():
        yield Row(
            values[0],
            {k: v for k, v in zip(keys, values[2:], strict=True) if v},
            values[1],
        )


# --- the fast path: a plain CSV split into lines and cells by polars ----------------------


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


def _split_lines(text: str) -> pl.DataFrame:
    """The lines of `text` (as str.split on "\n", after "\r\n" becomes "\n") in one
    column "line", split by polars: a Python list of a block's lines, then a Series made
    of it, cost more than reading the rest of the block."""
    split = pl.Series("line", [text], dtype=pl.String).str.replace_all("\r\n", "\n", literal=True)
    return split.str.split("\n").explode().to_frame()


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
                    quoted = _split_lines(data).filter(
                        pl.col("line").str.contains('"', literal=True)
                    )["line"]
                    if not quoted.str.contains(simple).all():
                        return None
    except (OSError, UnicodeDecodeError):
        return None
    header = next(csv.reader([text.rstrip("\r\n")], delimiter=separator), None)
    if not header:
        return None
    keys = _header_keys(path.name, header, columns, required)  # raises on a missing column
    return separator, [(i, k) for i, k in enumerate(keys) if k], len(header)


def _block_frames(
    path: Path,
    separator: str,
    pairs: list[tuple[int, str]],
    width: int,
    keys: list[str],
    block_bytes: int,
    rows: int | None,
) -> Iterator[pl.DataFrame]:
    with path.open("rb") as f:
        f.readline()
        number = 2  # the row number of the block's first line
        for block in _lines(f, block_bytes):
            frame, lines = _block_frame(
                block.decode("utf-8"), number, separator, pairs, width, keys
            )
            number += lines
            if rows is None:
                if frame.height:
                    yield frame
                continue
            for start in range(0, frame.height, rows):
                yield frame.slice(start, rows)


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
    if text.endswith("\n"):
        text = text[:-2] if text.endswith("\r\n") else text[:-1]
    lines = _split_lines(text)["line"]
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
        # Every line whole (the usual case): the block's own text, not the lines joined.
        if short.height:
            source = "\n".join(whole["line"].to_list())
        else:
            source = text.replace("\r\n", "\n") if "\r" in text else text
        cells = pl.read_csv(
            source.encode(),
            has_header=False,
            schema={f"field_{i}": pl.String for i in range(width)},
            separator=separator,
            quote_char='"',
            truncate_ragged_lines=True,
            extra_columns="ignore",
            empty_string_is_null=False,
        ).fill_null("")
        if cells.height != whole.height:  # _plain_csv let through a line polars reads apart
            raise RuntimeError("table_frames: polars read another number of lines than given")
    else:
        cells = whole.select(pl.col("line").str.split_exact(separator, width - 1)).unnest("line")
    picked = [cells[f"field_{i}"].rename(key) for i, key in pairs]
    out = pl.DataFrame([whole[ROW], *picked])
    fixes: dict[str, pl.Series] = {}
    for _, key in pairs:
        column = out[key]
        dirty = column.filter(~column.str.contains(_CLEAN)).unique()
        if dirty.len() and unicodedata.is_normalized("NFC", "\x00".join(dirty.to_list())):
            # Already NFC (Vietnamese text usually is): only the cells with whitespace to
            # collapse change, as in _clean_column.
            dirty = dirty.filter(dirty.str.contains(_MESSY_CELL.pattern))
        if dirty.len():
            texts = dirty.to_list()
            fixes[key] = column.replace_strict(texts, [_clean(t) for t in texts], default=column)
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
        # A cut line keeps the cells it has, as read_csv gives them (the error file shows them).
        problems = []
        for r, line in short.select(ROW, "line").iter_rows():
            cells_read = _cells(line, separator)
            if any(c.strip() for c in cells_read):
                problems.append(
                    (
                        r,
                        [cell_text(cells_read[i]) if i < len(cells_read) else "" for i, _ in pairs],
                        f"dòng bị cắt: có {len(cells_read)} ô, dòng tiêu đề có {width} cột",
                    )
                )
        if problems:
            out = pl.concat(
                [
                    out,
                    pl.DataFrame(
                        {
                            ROW: [r for r, _, _ in problems],
                            **{k: [v[n] for _, v, _ in problems] for n, (_, k) in enumerate(pairs)},
                            PROBLEM: [p for _, _, p in problems],
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
