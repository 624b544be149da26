"""A results zip is untrusted: entries are refused by their declared size, read as
bounded streams whatever their header says, a zip bomb is refused by its ratio, and a
damaged entry or an absurd date is an error naming the file, row and column. A dry
run writes nothing."""

from __future__ import annotations

import csv
import io
import struct
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from django.apps import apps

from chiendich.core.tabular import TabularError
from chiendich.results import bundle
from chiendich.results.bundle import Bundle, EntryError
from chiendich.results.importing import results_import
from chiendich.results.models import Result, ResultImport

from .test_import import FILES, HEADER, rows_ok, write_zip

pytestmark = pytest.mark.django_db

MiB = 1024 * 1024


def _zeros_deflated(size: int) -> tuple[bytes, int]:
    """A raw deflate stream of `size` zero bytes (a multiple of 1 MiB) and its CRC,
    built from one compressed MiB repeated: after a full flush deflate starts afresh,
    so each MiB compresses to the same bytes and 2 GiB takes a second, not a minute."""
    assert size % MiB == 0
    zero = bytes(MiB)
    once = zlib.compressobj(6, zlib.DEFLATED, -15)
    segment = once.compress(zero) + once.flush(zlib.Z_FULL_FLUSH)
    end = once.flush()
    crc = 0
    for _ in range(size // MiB):
        crc = zlib.crc32(zero, crc)
    return segment * (size // MiB) + end, crc


def _raw_zip(path: Path, entries: list[tuple[str, int, bytes, int, int]]) -> Path:
    """A zip written by hand: (name, method, data as stored, crc, declared size) per
    entry, so a test can declare any size it likes (zipfile would tell the truth)."""
    out = io.BytesIO()
    central = b""
    for name, method, data, crc, declared in entries:
        encoded = name.encode()
        offset = out.tell()
        fields = (20, 0, method, 0, 0x21, crc, len(data), declared, len(encoded))
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields, 0) + encoded + data)
        central += (
            struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *fields, 0, 0, 0, 0, 0, offset)
            + encoded
        )
    start = out.tell()
    out.write(central)
    count = len(entries)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), start, 0))
    path.write_bytes(out.getvalue())
    return path


def _table(rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    csv.writer(text).writerows([HEADER, *rows])
    return text.getvalue().encode()


def _stored(name: str, content: bytes) -> tuple[str, int, bytes, int, int]:
    return (name, zipfile.ZIP_STORED, content, zlib.crc32(content), len(content))


def _batch_with(path: Path, name: str, method: int, data: bytes, crc: int, declared: int) -> Path:
    """rows_ok()'s batch with a.pdf replaced by the given entry."""
    entries = [_stored("danh-sach.csv", _table(rows_ok())), (name, method, data, crc, declared)]
    entries += [_stored(n, c) for n, c in FILES.items() if n != name]
    return _raw_zip(path, entries)


def test_a_zip_bomb_is_refused_by_its_ratio_without_inflating_it(
    catalogues: None, tmp_path: Path
) -> None:
    """The probe's zip: a "PDF" of 2 GiB of zeros in 2 MB. Refused on opening, naming
    the entry, with memory that never grows past a few megabytes."""
    data, crc = _zeros_deflated(2048 * MiB)
    path = _batch_with(tmp_path / "bom.zip", "a.pdf", zipfile.ZIP_DEFLATED, data, crc, 2048 * MiB)
    assert path.stat().st_size < 3 * MiB
    tracemalloc.start()
    try:
        with pytest.raises(TabularError) as raised:
            results_import(path, dry_run=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(raised.value)
    assert "bom.zip" in message and "“a.pdf”" in message and "gấp hơn 100 lần" in message
    assert peak < 16 * MiB
    assert not ResultImport.objects.exists() and not Result.objects.exists()


def test_an_entry_declared_larger_than_the_limit_is_an_error_on_its_row(
    catalogues: None, tmp_path: Path
) -> None:
    """60 MiB of zeros: under the ratio floor, but over the 50 MB a result file may
    weigh; refused by its declared size, before a byte is inflated."""
    data, crc = _zeros_deflated(60 * MiB)
    path = _batch_with(tmp_path / "lon.zip", "a.pdf", zipfile.ZIP_DEFLATED, data, crc, 60 * MiB)
    report = results_import(path)
    assert report.all_rejected and report.created == 0
    (error,) = [e for e in report.errors if e.row == 2]
    assert (error.column, error.value) == ("Tệp", "a.pdf")
    assert "“a.pdf” lớn hơn 50 MB" in error.problem
    assert not Result.objects.exists()


def test_a_header_that_lies_about_the_size_stops_the_stream_at_the_declared_size(
    catalogues: None, tmp_path: Path
) -> None:
    """The header says 1 KiB; the stream inflates to 2 GiB. Reading stops at the
    declared size and the entry is reported damaged; memory stays small."""
    data, crc = _zeros_deflated(2048 * MiB)
    path = _batch_with(tmp_path / "doi.zip", "a.pdf", zipfile.ZIP_DEFLATED, data, crc, 1024)
    tracemalloc.start()
    try:
        report = results_import(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    (error,) = [e for e in report.errors if e.row == 2]
    assert error.column == "Tệp" and "“a.pdf” trong zip bị hỏng" in error.problem
    assert peak < 16 * MiB
    assert not Result.objects.exists()


def test_reads_stop_at_the_limit_and_a_huge_table_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_zip(tmp_path / "lo.zip", rows_ok())
    source = Bundle(path)
    try:
        assert source.read("a.pdf") == FILES["a.pdf"]
        with pytest.raises(EntryError, match="“a.pdf” lớn hơn"):
            source.read("a.pdf", limit=100)
        monkeypatch.setattr(bundle, "MAX_TABLE_BYTES", 10)
        with (
            pytest.raises(TabularError, match="danh-sach.csv"),
            source.table_file("danh-sach.csv"),
        ):
            pass
    finally:
        source.close()


def test_a_damaged_or_encrypted_entry_names_the_entry(catalogues: None, tmp_path: Path) -> None:
    content = FILES["a.pdf"]
    path = _batch_with(
        tmp_path / "hong.zip", "a.pdf", zipfile.ZIP_STORED, content, 12345, len(content)
    )
    report = results_import(path)
    (error,) = [e for e in report.errors if e.row == 2]
    assert "“a.pdf” trong zip bị hỏng" in error.problem
    # Compressed with a method Python does not read (LZMA is 14; 99 is AES).
    path = _batch_with(tmp_path / "la.zip", "a.pdf", 99, content, zlib.crc32(content), len(content))
    report = results_import(path)
    (error,) = [e for e in report.errors if e.row == 2]
    assert "“a.pdf” trong zip không đọc được" in error.problem


def test_absurd_dates_are_errors_by_row_and_column(catalogues: None, tmp_path: Path) -> None:
    rows = rows_ok()
    rows[0][3] = "01/01/0001"  # issued
    rows[1][9] = "31/12/9999"  # valid until
    rows[2][3] = "2023-09-07"
    rows[2][9] = "01/09/2023"  # expires before it was issued
    report = results_import(write_zip(tmp_path / "ngay.zip", rows))
    problems = {(e.row, e.column): e.problem for e in report.errors}
    assert "trước 01/01/1900" in problems[2, "Ngày ban hành"]
    assert "sau 01/10/2123" in problems[3, "Hiệu lực đến"]
    assert "trước ngày ban hành" in problems[4, "Hiệu lực đến"]
    assert report.all_rejected and not Result.objects.exists()


def _row_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


def test_a_dry_run_writes_nothing(catalogues: None, tmp_path: Path, results_dir: Path) -> None:
    """Not a result, not a file, not a history row: every table counts the same."""
    path = write_zip(tmp_path / "lo.zip", rows_ok())
    before = _row_counts()
    report = results_import(path, dry_run=True)
    assert (report.created, report.error_count, report.batch_id) == (3, 0, None)
    assert _row_counts() == before
    assert not results_dir.exists() or not any(results_dir.rglob("*"))
    # A real run keeps its history row.
    report = results_import(path)
    assert ResultImport.objects.get().pk == report.batch_id and report.created == 3


def test_one_result_stored_from_the_form_or_the_api_has_the_same_date_bounds(store) -> None:
    import datetime as dt

    from chiendich.results.services import ResultError

    with pytest.raises(ResultError, match="1900"):
        store(issued_on=dt.date(1, 1, 1))
    with pytest.raises(ResultError, match="quá 100 năm"):
        store(valid_until=dt.date(9999, 12, 31))
    assert store(issued_on=dt.date(1930, 5, 1), valid_until=dt.date(2100, 1, 1)).pk
    assert Result.objects.count() == 1
