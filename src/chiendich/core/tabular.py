"""Reading CSV and XLSX files the way officers save them, and writing error files.

CSV comes as UTF-8 with or without BOM, separated by commas (or semicolons, as
Excel writes under a Vietnamese list separator); XLSX is streamed with
openpyxl's read-only mode, so a 1.5-million-row sheet is never held whole.
Headers are matched ignoring case, diacritics and spacing. Every cell reaches
the importer as cleaned text: XLSX numbers lose a spurious ".0", dates become
yyyy-mm-dd, so one parser serves both formats.

Errors name the file, the row (as a spreadsheet numbers it: header = row 1)
and the column, so an officer can find the cell; `write_error_file` turns them
into the xlsx the officer corrects from.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import hashlib
import itertools
import operator
import os
import re
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import ParseError

import openpyxl
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

from . import xlsx
from .text import fold

XLSX_SUFFIXES = (".xlsx", ".xlsm")
EXCEL_MAX_ROWS = 1_048_576


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


@dataclass(frozen=True, slots=True)
class Row:
    """A data row: its spreadsheet row number and values keyed by canonical column.

    `problem` is set when the row could not be read whole (a CSV row with fewer
    cells than the header, an unterminated quote): its values are then partial
    and an importer should reject the row rather than guess.
    """

    number: int
    values: Mapping[str, str]
    problem: str = ""

    def get(self, key: str) -> str:
        return self.values.get(key, "")


Required = Sequence[str | tuple[str, ...]]
"""Required columns: a key, or a tuple of keys of which any one will do."""


def cell_text(value: object) -> str:
    """A cell as cleaned text: NFC, whitespace collapsed, XLSX numbers and dates made plain.

    An integral float (82123456789.0) loses its ".0"; a datetime at midnight
    becomes "yyyy-mm-dd", with its time otherwise.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        # ASCII is already NFC; normalize() returns its argument when it is already NFC.
        text = value if value.isascii() else unicodedata.normalize("NFC", value)
        return " ".join(text.split())
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(" ", "seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return " ".join(str(value).split())


# Abbreviations that headers of real exports use, spelled out (folded words): one table
# for every import. "Mức độ DVCTT" reads as "Mức độ DVC trực tuyến", "Số CCCD" as "Số căn
# cước công dân", "Mã HS" as "Mã hồ sơ".
HEADER_ABBREVIATIONS: dict[str, str] = {
    "dvctt": "dich vu cong truc tuyen",
    "dvc": "dich vu cong",
    "tthc": "thu tuc hanh chinh",
    "hs": "ho so",
    "cccd": "can cuoc cong dan",
    "sdt": "so dien thoai",
    "ddcn": "dinh danh ca nhan",
}
_HEADER_TOKENS = re.compile(r"[a-z0-9]+|[^\sa-z0-9]")
# How close (difflib's ratio of the header keys) an unrecognised header must be to a
# missing column's name for the error to suggest it.
NEAR_HEADER = 0.75


def header_key(text: str) -> str:
    """How headers are compared: folded, known abbreviations spelled out, every space
    removed ("Ấp / Khu phố" = "ap/khupho"; "Mức độ DVCTT" = "Mức độ dịch vụ công trực tuyến")."""
    words = _HEADER_TOKENS.findall(fold(text))
    return "".join(HEADER_ABBREVIATIONS.get(w, w).replace(" ", "") for w in words)


def _nearest(written: Sequence[str], names: Sequence[str]) -> tuple[str, str] | None:
    """The (header of the file, known name) pair that are closest, if close enough."""
    best: tuple[float, str, str] | None = None
    for text in written:
        key = header_key(text)
        for name in names:
            ratio = difflib.SequenceMatcher(None, key, header_key(name)).ratio()
            if ratio >= NEAR_HEADER and (best is None or ratio > best[0]):
                best = (ratio, text, name)
    return None if best is None else (best[1], best[2])


# The headers read while `unread_headers()` collects (the import pipeline's run): a
# header of the file that names no column but comes close to a column the file lacks.
_UNREAD: ContextVar[list[tuple[str, str]] | None] = ContextVar("unread_headers", default=None)


@contextmanager
def unread_headers() -> Iterator[list[tuple[str, str]]]:
    """Collect (header of the file, the accepted header it comes closest to) for each column
    of the files read inside that no column takes but that comes close to a column the
    file lacks: most likely a misspelled optional column, whose cells are not read. The
    import says so as a warning; the file is not refused for it."""
    found: list[tuple[str, str]] = []
    token = _UNREAD.set(found)
    try:
        yield found
    finally:
        _UNREAD.reset(token)


def _note_unread(
    unknown: Sequence[str], columns: Mapping[str, Sequence[str]], taken: set[str]
) -> None:
    found = _UNREAD.get()
    if found is None:
        return
    for text in unknown:
        near = _nearest(
            [text], [alias for key, names in columns.items() if key not in taken for alias in names]
        )
        if near is not None:
            found.append(near)  # the accepted header it comes closest to, as written


def _header_keys(
    name: str,
    header: Sequence[object],
    columns: Mapping[str, Sequence[str]],
    required: Required,
) -> list[str | None]:
    aliases = {header_key(alias): key for key, names in columns.items() for alias in names}
    keys: list[str | None] = []
    taken: set[str] = set()
    unknown: list[str] = []  # headers the file has that name no column
    for cell in header:
        text = cell_text(cell)
        key = aliases.get(header_key(text))
        # A second column meaning the same thing is ignored: the first one wins.
        keys.append(key if key not in taken else None)
        if key:
            taken.add(key)
        elif text:
            unknown.append(text)
    missing = []
    for need in required:
        options = (need,) if isinstance(need, str) else need
        if not any(k in taken for k in options):
            wanted = " hoặc ".join(f"“{columns[k][0]}”" for k in options)
            near = _nearest(unknown, [alias for k in options for alias in columns[k]])
            if near is not None:
                # Name the column the file has with the known header it comes closest to.
                key = next(k for k in options if near[1] in columns[k])
                wanted += (
                    f" (cột “{near[0]}” của tệp không được nhận ra; "
                    f"gần nhất là “{columns[key][0]}”)"
                )
                unknown.remove(near[0])
            missing.append(wanted)
    if missing:
        raise TabularError([RowError(name, 1, "", "", f"thiếu cột {', '.join(missing)}")])
    _note_unread(unknown, columns, taken)
    return keys


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(
    path: Path,
    columns: Mapping[str, Sequence[str]],
    required: Required,
) -> Iterator[Row]:
    """Yield the rows of the CSV `path` keyed by canonical column names.

    `columns` maps each canonical key to the header texts that mean it; headers
    are compared folded. A missing required column is an error on row 1. Blank
    rows are skipped; a row cut short or malformed is yielded with `problem` set.
    A file that is not UTF-8 raises TabularError (possibly after some rows).
    """
    name = path.name
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise TabularError(
            [RowError(name, 0, "", "", f"không mở được tệp: {exc.strerror}")]
        ) from exc
    with handle:
        try:
            first = handle.readline()
            # strict: an unterminated quote at the end of the file is an error, not a
            # field that silently swallowed every line after it.
            reader = csv.reader(
                itertools.chain((first,), handle), delimiter=_sniff_delimiter(first), strict=True
            )
            header = next(reader, None)
            if header is None:
                raise TabularError([RowError(name, 1, "", "", "tệp rỗng, thiếu dòng tiêu đề")])
            keys = _header_keys(name, header, columns, required)
            width = len(header)
            pairs = [(i, k) for i, k in enumerate(keys) if k]
            mapped = [k for _, k in pairs]
            pick = _picker([i for i, _ in pairs])
            number = 1
            while True:
                number += 1
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    yield Row(number, {}, _csv_problem(str(exc)))
                    continue
                if len(cells) < width:
                    if not any(c.strip() for c in cells):
                        continue
                    values = {k: cell_text(cells[i]) for i, k in pairs if i < len(cells)}
                    yield Row(
                        number,
                        values,
                        f"dòng bị cắt: có {len(cells)} ô, dòng tiêu đề có {width} cột",
                    )
                    continue
                # Clean the whole row at once: one NFC pass and one search decide
                # whether any cell needs its whitespace collapsed (rarely).
                raw = pick(cells)
                joined = "\x00".join(raw)
                if not joined.isascii():
                    joined = unicodedata.normalize("NFC", joined)
                picked = joined.split("\x00")
                if (
                    "  " in joined
                    or " \x00" in joined
                    or "\x00 " in joined
                    or joined.startswith(" ")
                    or joined.endswith(" ")
                    or not "".join(raw).isprintable()  # tabs, newlines, no-break spaces
                ):
                    picked = [" ".join(c.split()) for c in picked]
                if not any(picked) and not any(c.strip() for c in cells):
                    continue
                yield Row(number, dict(zip(mapped, picked, strict=True)))
        except UnicodeDecodeError as exc:
            raise TabularError(
                [RowError(name, 0, "", "", "tệp không phải UTF-8; hãy lưu lại dạng CSV UTF-8")]
            ) from exc


def _picker(indexes: list[int]) -> Callable[[list[str]], Sequence[str]]:
    """A function returning the cells at `indexes` of a row, in that order."""
    if len(indexes) == 1:
        index = indexes[0]
        return lambda cells: (cells[index],)
    return operator.itemgetter(*indexes)


def _csv_problem(message: str) -> str:
    if "unexpected end of data" in message:
        return "dòng bị cắt: dấu ngoặc kép mở mà không đóng (tệp bị cắt giữa chừng?)"
    if "NUL" in message:
        return "dòng chứa ký tự NUL, không phải văn bản CSV"
    return f"dòng không đúng định dạng CSV ({message})"


def read_xlsx(
    path: Path,
    columns: Mapping[str, Sequence[str]],
    required: Required,
) -> Iterator[Row]:
    """Yield the rows of the first sheet of the XLSX `path`, streamed (read-only mode).

    Same contract as read_csv. XLSX omits trailing empty cells, so a short row
    is normal here, not a cut-off one.
    """
    name = path.name
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, InvalidFileException, KeyError, ValueError) as exc:
        raise TabularError([RowError(name, 0, "", "", f"không đọc được tệp Excel: {exc}")]) from exc
    except ParseError as exc:
        raise TabularError([RowError(name, 0, "", "", XLSX_DAMAGED)]) from exc
    except Exception as exc:  # zipfile.BadZipFile and friends: not an xlsx at all
        raise TabularError(
            [RowError(name, 0, "", "", "tệp không phải Excel .xlsx hợp lệ")]
        ) from exc
    try:
        sheet = book.worksheets[0]
        rows = _sheet_rows(name, sheet.iter_rows(values_only=True))
        header = next(rows, None)
        if header is None:
            raise TabularError([RowError(name, 1, "", "", "trang tính rỗng, thiếu dòng tiêu đề")])
        keys = _header_keys(name, header, columns, required)
        pairs = [(i, k) for i, k in enumerate(keys) if k]
        for number, cells in enumerate(rows, start=2):
            n = len(cells)
            values = {k: cell_text(cells[i]) for i, k in pairs if i < n}
            if not any(values.values()):
                continue
            yield Row(number, values)
    finally:
        book.close()


XLSX_DAMAGED = (
    "tệp Excel bị hỏng (nội dung XML bên trong không đọc được); "
    "hãy mở bằng Excel, lưu lại dạng .xlsx rồi tải lên lại"
)


def _sheet_rows(name: str, rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """The sheet's rows as openpyxl parses them, lazily. Read-only mode parses the
    sheet's XML (and inflates it from the zip) only as rows are asked for, so damage
    inside the sheet shows up here, mid-file: it becomes a TabularError naming the
    file and the first row that could not be read, never an unexpected error."""
    number = 1
    while True:
        try:
            cells = next(rows)
        except StopIteration:
            return
        except (ParseError, zipfile.BadZipFile, zlib.error, EOFError, ValueError, TypeError) as exc:
            raise TabularError([RowError(name, number, "", "", XLSX_DAMAGED)]) from exc
        yield cells
        number += 1


def read_table(
    path: Path,
    columns: Mapping[str, Sequence[str]],
    required: Required,
) -> Iterator[Row]:
    """read_xlsx for .xlsx/.xlsm files, read_csv for anything else."""
    if path.suffix.lower() in XLSX_SUFFIXES:
        return read_xlsx(path, columns, required)
    if path.suffix.lower() == ".xls":
        raise TabularError(
            [
                RowError(
                    path.name,
                    0,
                    "",
                    "",
                    "tệp .xls (Excel 97-2003) không được hỗ trợ; hãy lưu lại dạng .xlsx",
                )
            ]
        )
    return read_csv(path, columns, required)


def table_row_estimate(path: Path) -> int | None:
    """About how many data rows `path` holds, for a progress bar; None when unknown.

    XLSX: the sheet's declared dimension. CSV: the file size over the mean length
    of the first lines (exact for small files).
    """
    if path.suffix.lower() not in (".csv", *XLSX_SUFFIXES):
        return None  # a zip of files: its list is inside, counted as it is read
    try:
        if path.suffix.lower() in XLSX_SUFFIXES:
            book = openpyxl.load_workbook(path, read_only=True)
            try:
                max_row = book.worksheets[0].max_row
            finally:
                book.close()
            return max(max_row - 1, 0) if max_row else None
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(1 << 20)
        lines = head.count(b"\n")
        if len(head) == size:
            return max(lines - 1 + (not head.endswith(b"\n") and bool(head)), 0)
        return int(size / (len(head) / max(lines, 1))) - 1
    except Exception:  # an estimate must never stop an import
        return None


class RowErrorList:
    """An error sink that keeps every error in memory, in the order added: a chunk's
    errors, gathered to be logged in row order (the set-based imports)."""

    def __init__(self) -> None:
        self.found: list[RowError] = []

    def add(self, error: RowError) -> None:
        self.found.append(error)


class RowErrorLog:
    """Errors of an import that may have millions of them: the first `keep` stay in
    memory for the report, all of them are spooled to a temporary file (in the
    order added) for the error file.
    """

    def __init__(self, keep: int = 1000) -> None:
        self.keep = keep
        self.first: list[RowError] = []
        self.count = 0
        self._spool: IO[str] | None = None
        self._writer: Any = None

    def add(self, error: RowError) -> None:
        self.count += 1
        if self.count <= self.keep:
            self.first.append(error)
            return
        if self._spool is None:
            self._spool = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115
            self._writer = csv.writer(self._spool)
            for e in self.first:
                self._writer.writerow((e.file, e.row, e.column, e.value, e.problem))
        self._writer.writerow((error.file, error.row, error.column, error.value, error.problem))

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[RowError]:
        if self._spool is None:
            yield from self.first
            return
        self._spool.flush()
        self._spool.seek(0)
        for file, row, column, value, problem in csv.reader(self._spool):
            yield RowError(file, int(row), column, value, problem)
        self._spool.seek(0, os.SEEK_END)

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()
            self._spool = None


ERROR_FILE_HEADERS = ("Dòng", "Cột", "Giá trị", "Lỗi")


def write_error_file(errors: Iterable[RowError], path: Path) -> int:
    """Write `errors` to the xlsx `path` with columns Dòng, Cột, Giá trị, Lỗi.

    Streams (openpyxl write-only), so millions of errors fit; past Excel's row
    limit a last row says how many were left out. Values are written as text so
    ID numbers keep their leading zeros. Returns the number of errors written.
    """

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Lỗi")
    for letter, width in zip("ABCD", (8, 28, 24, 80), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    xlsx.append(sheet, ERROR_FILE_HEADERS, font=Font(bold=True))
    written = left_out = 0
    for error in errors:
        if written >= EXCEL_MAX_ROWS - 2:
            left_out += 1
            continue
        # The value is the officer's own cell: text, even when it starts with "=".
        xlsx.append(sheet, [error.row, error.column, str(error.value), error.problem])
        written += 1
    if left_out:
        xlsx.append(
            sheet, ["", "", "", f"… và {left_out} lỗi khác không ghi được (quá số dòng của Excel)"]
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return written


def file_sha256(path: Path) -> str:
    """The file's SHA-256, read in 1 MiB blocks: an import records what it read."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
    except OSError as exc:
        raise TabularError(
            [RowError(path.name, 0, "", "", f"không mở được tệp: {exc.strerror}")]
        ) from exc
    return digest.hexdigest()


def default_errors_path(path: Path) -> Path:
    """Where the error file of `path` goes unless told: beside it, "<name>-loi.xlsx"."""
    return path.with_name(f"{path.stem}-loi.xlsx")


def primed(rows: Iterator[Row]) -> Iterator[Row]:
    """Read the header now, so a missing column fails before any transaction opens."""
    first = next(rows, None)

    def chained() -> Iterator[Row]:
        if first is not None:
            yield first
            yield from rows

    return chained()
