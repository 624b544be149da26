"""The set-based dossier import against the reference it replaced: the rows read_table
reads, and the errors and valid rows of DossierChecker.check, one row at a time."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from django.db import DatabaseError, connection
from django.utils import timezone

from chiendich.core.tabular import RowError, read_table
from chiendich.procedures.cells import DOSSIER_COLUMNS, DOSSIER_REQUIRED
from chiendich.procedures.importing import bulk, dossiers_import
from chiendich.procedures.importing.checks import DossierChecker, ValidRow
from chiendich.procedures.models import Dossier
from chiendich.units.models import Unit

from .conftest import AGENCY, DISTRICT, HEADERS, PHUONG, XA, XA_2

pytestmark = pytest.mark.django_db

HEADER_LINE = ",".join(f'"{h}"' if "," in h else h for h in HEADERS) + ",Ghi chú"


def _read(path: Path, block_bytes: int = 300) -> list[tuple[int, str, dict[str, str]]]:
    """The rows of the frames, as (number, problem, non-empty cells)."""
    out = []
    for frame in bulk.frames(path, DOSSIER_COLUMNS, DOSSIER_REQUIRED, block_bytes=block_bytes):
        for row in frame.iter_rows(named=True):
            cells = {k: row[k] for k in DOSSIER_COLUMNS if row[k]}
            out.append((row[bulk.ROW], row[bulk.PROBLEM], {} if row[bulk.PROBLEM] else cells))
    return out


def _reference(path: Path) -> list[tuple[int, str, dict[str, str]]]:
    return [
        (r.number, r.problem, {} if r.problem else {k: v for k, v in r.values.items() if v})
        for r in read_table(path, DOSSIER_COLUMNS, DOSSIER_REQUIRED)
    ]


MESSY_CELLS = [
    "",
    " ",
    "a",
    " a",
    "a ",
    "a  b",
    "Đã giải quyết",
    "Đa\u0303 giải quyết",  # decomposed: NFC makes it "Đã"
    "x\ty",
    "\u00a0z",
    "12",
    "01/02/2023",
    "Ω",
    "\u3000",
]
QUOTED_CELLS = ['"q"', '"a,b"', '"x""y"', '""', '" sp  "', '"Đã giải quyết"', '","']


def _messy_lines(rnd: random.Random, cells: list[str], n: int = 300) -> list[str]:
    # 14 cells (13 columns and a note), short rows, blank rows, longer rows.
    widths = [14, 14, 14, 14, 3, 0, 15, 13, 1]
    return [",".join(rnd.choice(cells) for _ in range(rnd.choice(widths))) for _ in range(n)]


@pytest.mark.parametrize(
    ("newline", "bom", "quoted", "fast"),
    [
        ("\n", "", False, True),
        ("\r\n", "\ufeff", False, True),
        ("\n", "", True, True),
        ("\r\n", "", True, True),
    ],
)
def test_the_block_reader_reads_what_read_table_reads(
    tmp_path: Path, newline: str, bom: str, quoted: bool, fast: bool
) -> None:
    rnd = random.Random(15)
    pool = MESSY_CELLS + (QUOTED_CELLS if quoted else [])
    lines = _messy_lines(rnd, pool)
    path = tmp_path / "xuat.csv"
    path.write_bytes((bom + HEADER_LINE + newline + newline.join(lines)).encode())
    assert (bulk._plain_csv(path, DOSSIER_COLUMNS, DOSSIER_REQUIRED) is not None) is fast
    want = _reference(path)
    assert len(want) > 200
    for block_bytes in (97, 300, 1 << 20):  # lines cut anywhere across blocks
        assert _read(path, block_bytes) == want


@pytest.mark.parametrize(
    "tail",
    [
        '"multi\nline",x\n',  # a quoted cell over two lines: row numbers shift
        'ab"c,d\n',  # a quote inside a bare cell
        "a,b\rc,d\n",  # a lone carriage return ends a row for csv
    ],
)
def test_other_csv_files_are_read_by_read_table_into_the_same_frames(
    tmp_path: Path, tail: str
) -> None:
    lines = _messy_lines(random.Random(16), MESSY_CELLS + QUOTED_CELLS, 100)
    path = tmp_path / "xuat.csv"
    path.write_bytes((HEADER_LINE + "\n" + "\n".join(lines) + "\n" + tail).encode())
    assert bulk._plain_csv(path, DOSSIER_COLUMNS, DOSSIER_REQUIRED) is None
    assert _read(path) == _reference(path)


def test_xlsx_is_read_into_the_same_frames(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([*HEADERS, "Ghi chú"])
    sheet.append(
        [
            "HS1",
            "T.FEE",
            28597,
            1,
            dt.datetime(2023, 9, 5),  # noqa: DTZ001 - a naive Excel date
            None,
            None,
            "Đang xử lý",
        ]
    )
    sheet.append([])
    sheet.append(["HS2", " T.FREE ", "28597", "2", "05/09/2023", None, None, "Đã giải quyết"])
    path = tmp_path / "xuat.xlsx"
    book.save(path)
    got = _read(path)
    assert got == _reference(path)
    assert [r[0] for r in got] == [2, 4]


# --- checks: the set-based import against DossierChecker.check -------------------------------

GOOD: dict[str, list[str]] = {
    "procedure": ["T.FEE", "T.FREE", "T.POLICE"],
    "unit": [XA, XA_2, PHUONG, AGENCY],
    "channel": ["1", "2", "3", "Trực tuyến"],
    "received_on": ["05/09/2023", "10/09/2023", "2023-09-07"],
    "due_on": ["", "12/09/2023", "20/09/2023"],
    "status": ["Đang xử lý", "Đã giải quyết", "Từ chối", "Chờ bổ sung", "Đã trả kết quả"],
    "digitized": ["0", "1", "", "Có"],
    "e_result": ["0", "1", ""],
    "fee": ["0", "5000", "50.000", ""],
    "payment": ["0", "1", "2", ""],
    "reused": ["0", "1", ""],
}
BAD: dict[str, list[str]] = {
    "procedure": ["", "KHONG.CO", "T.PROV"],  # T.PROV: not at a commune's level
    "unit": ["", "99999", f"{XA}-01", DISTRICT, "28597x"],
    "channel": ["", "5"],
    "received_on": ["", "31/02/2023", "01/01/1999", "FUTURE", "x"],
    "due_on": ["01/09/2023", "bad"],  # before the received day
    "status": ["", "Bay màu"],
    "digitized": ["2", "có lẽ"],
    "e_result": ["2"],
    "fee": ["-5", "abc"],
    "payment": ["9"],
    "reused": ["x"],
}


def _mixed_rows(rnd: random.Random, n: int) -> list[list[str]]:
    future = (timezone.localdate() + dt.timedelta(days=5)).strftime("%d/%m/%Y")
    rows: list[list[str]] = []
    codes: list[str] = []
    for i in range(n):
        cells: dict[str, str] = {}
        roll = rnd.random()
        if roll < 0.06 and codes:
            cells["code"] = rnd.choice(codes)  # a repeated code
        elif roll < 0.08:
            cells["code"] = rnd.choice(["", "X" * 61, f"  HS {i}  "])
        else:
            cells["code"] = f"HS.{i:05d}"
            codes.append(cells["code"])
        for key, good in GOOD.items():
            pool = BAD[key] if rnd.random() < 0.04 else good
            cells[key] = rnd.choice(pool).replace("FUTURE", future)
        # The end date follows the status most of the time.
        open_status = cells["status"] in ("Đang xử lý", "Chờ bổ sung")
        ends = ["", "06/09/2023", "11/09/2023", "04/09/2023", future, "xx"]
        if rnd.random() < 0.9:
            ends = [""] if open_status else ["11/09/2023", "15/09/2023"]
        cells["finished_on"] = rnd.choice(ends)
        rows.append([cells[k] for k in DOSSIER_COLUMNS])
    return rows


class _Errors:
    def __init__(self) -> None:
        self.found: list[RowError] = []

    def add(self, error: RowError) -> None:
        self.found.append(error)


def _check_one_by_one(path: Path) -> tuple[list[RowError], list[ValidRow]]:
    """What the import did before it was set-based: each row through check, in order."""
    sink = _Errors()
    checker = DossierChecker(path.name, sink, None)  # type: ignore[arg-type]
    valid = []
    for row in read_table(path, DOSSIER_COLUMNS, DOSSIER_REQUIRED):
        checked = checker.check(row)
        if checked is not None:
            valid.append(checked)
    return sink.found, valid


def _stored() -> list[tuple[Any, ...]]:
    return sorted(
        Dossier.objects.values_list(
            "code",
            "procedure_id",
            "unit_id",
            "channel",
            "received_on",
            "due_on",
            "finished_on",
            "status",
            "digitized",
            "e_result",
            "fee",
            "payment",
            "reused",
            "overdue_on",
        )
    )


def _write(path: Path, rows: list[list[str]], extra: str = "") -> Path:
    def cell(text: str) -> str:
        return f'"{text}"' if ("," in text or " " in text) else text

    body = "\n".join(",".join(cell(c) for c in row) for row in rows)
    path.write_text(",".join(cell(h) for h in HEADERS) + "\n" + body + "\n" + extra, "utf-8")
    return path


@pytest.mark.parametrize("seed", [1, 2])
def test_a_mixed_export_gives_exactly_the_errors_and_rows_of_the_row_checker(
    agencies: dict[str, Unit], catalogue: None, tmp_path: Path, seed: int
) -> None:
    rnd = random.Random(seed)
    rows = _mixed_rows(rnd, 400)
    # A short row, a blank row and a row of empty cells among them.
    path = _write(tmp_path / "hon-hop.csv", rows, "HS.X,T.FEE\n\n,,,,,,,,,,,,\n")
    want_errors, want_valid = _check_one_by_one(path)
    assert 50 < len(want_valid) < 350, "the mix must hold both kinds"
    kinds = {(e.column, e.problem.split(" ")[0]) for e in want_errors}
    assert len(kinds) >= 20, kinds

    report = dossiers_import(path, errors_path=tmp_path / "loi.xlsx", dry_run=True)
    assert report.errors == want_errors  # every error, same row, column, value, words, order
    assert report.error_count == len(want_errors)
    assert report.created == len(want_valid)

    report = dossiers_import(path, errors_path=tmp_path / "loi.xlsx")
    assert report.errors == want_errors
    assert (report.rows_valid, report.created) == (len(want_valid), len(want_valid))
    assert _stored() == sorted(tuple(v[1:15]) for v in want_valid)
    by_code = dict(Dossier.objects.values_list("code", "id"))
    # New dossiers take their ids in row order, as before.
    assert [by_code[v.code] for v in want_valid] == sorted(by_code.values())
    errors_file = openpyxl.load_workbook(tmp_path / "loi.xlsx", read_only=True)
    sheet = errors_file.worksheets[0]
    written = [r for r in itertools.islice(sheet.iter_rows(values_only=True), 1, None)]
    assert [r[0] for r in written if isinstance(r[0], int)] == [e.row for e in want_errors]

    # Again, the same file: nothing new; then every valid row changed: updates.
    again = dossiers_import(path, errors_path=tmp_path / "loi.xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(want_valid))
    changed = [
        [*r[:5], "", "11/09/2023", "Đã giải quyết", *r[8:]] if r[4] == "05/09/2023" else r
        for r in rows
    ]
    path = _write(tmp_path / "hon-hop-2.csv", changed)
    want_errors, want_valid = _check_one_by_one(path)
    report = dossiers_import(path, errors_path=tmp_path / "loi-2.xlsx")
    assert report.errors == want_errors
    assert report.updated > 0
    assert report.created + report.updated + report.unchanged == len(want_valid)
    assert {tuple(v[1:15]) for v in want_valid} <= set(_stored())


def test_progress_is_told_by_chunks_up_to_every_row(
    agencies: dict[str, Unit], catalogue: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "BLOCK_BYTES", 200)
    rows = [
        [f"HS.{i}", "T.FREE", XA, "1", "05/09/2023", "", "", "Đang xử lý", "0", "0", "0", "0", "0"]
        for i in range(30)
    ]
    seen: list[int] = []
    report = dossiers_import(_write(tmp_path / "x.csv", rows), progress=seen.append)
    assert report.created == 30
    assert seen == sorted(seen) and seen[-1] == 30 and len(seen) > 3


def test_a_stage_gives_back_the_rows_put_in(db: None) -> None:
    """Every kind of value, NULL, empty and awkward texts, through the staging table
    (SQLite packs each row into one text and unpacks it in a view)."""
    texts = ["", None, "a", 'quo"te', "back\\slash", "Đã giải quyết", "x" * 200, " sp ", "\t\n"]
    n = len(texts)
    frame = pl.DataFrame(
        {
            "n": list(range(n)),
            "big": [None, 0, -5, 2**62, 7, 1, None, 3, 4],
            "day": [dt.date(2023, 1, d + 1) if d % 3 else None for d in range(n)],
            "flag": [True, False, None, True, True, False, None, False, True],
            "short": ["processing", "", "x", "ab", "a b", "z", "q", "Đ", "r"],
            "long": texts,
            "other": list(reversed(texts)),
        },
        schema={
            "n": pl.Int64,
            "big": pl.Int64,
            "day": pl.Date,
            "flag": pl.Boolean,
            "short": pl.String,
            "long": pl.String,
            "other": pl.String,
        },
    )
    columns = [
        ("n", "integer"),
        ("big", "bigint"),
        ("day", "date"),
        ("flag", "boolean"),
        ("short", "varchar(12)"),
        ("long", "varchar(200)"),
        ("other", "varchar(200)"),
    ]
    with bulk.Stage("test_stage", columns) as stage:
        stage.put(frame.slice(0, 4))
        stage.put(frame.slice(4))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT n, big, day, flag, short, long, other FROM test_stage ORDER BY n"
            )
            got = cursor.fetchall()
    want = frame.rows()
    assert stage.rows == n
    for row, expected in zip(got, want, strict=True):
        n_, big, day, flag, short, long, other = row
        day = dt.date.fromisoformat(day) if isinstance(day, str) else day
        flag = None if flag is None else bool(flag)
        assert (n_, big, day, flag, short, long, other) == expected
    # The table (and view) went with the block.
    with connection.cursor() as cursor, pytest.raises(DatabaseError):
        cursor.execute("SELECT 1 FROM test_stage")
