"""The files of a results batch, a zip or a folder, read within bounds.

A zip is untrusted input: a few megabytes can hold gigabytes of zeros, and an
entry's declared size can lie. So nothing here inflates an entry whole: each
entry's declared size is checked before it is opened, it is read as a stream
that stops one byte past its limit whatever the header said, and the zip as a
whole is refused when its entries declare far more than its compressed size
(a zip bomb). Every refusal names the entry, and reading never holds more than
one entry's limit in memory.
"""

from __future__ import annotations

import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO

from chiendich.core.numbers import vn_number
from chiendich.core.tabular import RowError, TabularError

from .services import MAX_FILE_BYTES

# The metadata table: 100 MB is several hundred thousand rows, far past one batch.
MAX_TABLE_BYTES = 100 * 1024 * 1024
# PDFs and scans barely compress (ratio ~1); text tables compress ~10x. A zip whose
# entries declare more than MAX_RATIO times its own size is a bomb, not a batch; under
# RATIO_FLOOR bytes in all nobody is harmed, so small odd zips are not refused for it.
MAX_RATIO = 100
RATIO_FLOOR = 64 * 1024 * 1024
_STEP = 1024 * 1024

TABLE_NAMES = ("danh-sach.csv", "danh-sach.xlsx", "metadata.csv", "metadata.xlsx")


class EntryError(ValueError):
    """One entry of the batch cannot be read (too large, damaged); the message is for
    the user and names the entry."""


def _mb(size: int) -> str:
    return f"{vn_number(size // (1024 * 1024))} MB"


class Bundle:
    """The files of a zip or a folder, by their relative POSIX names."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        self.names: dict[str, Path | None]
        if path.is_dir():
            self.names = {p.relative_to(path).as_posix(): p for p in path.rglob("*") if p.is_file()}
            return
        try:
            self.zip = zipfile.ZipFile(path)
        except (OSError, zipfile.BadZipFile, ValueError) as exc:
            raise self._whole_error("không phải tệp zip hay thư mục đọc được") from exc
        entries = [i for i in self.zip.infolist() if not i.is_dir() and not unsafe(i.filename)]
        self.names = {i.filename: None for i in entries}
        self._check_ratio(entries)

    def _whole_error(self, problem: str) -> TabularError:
        return TabularError([RowError(self.path.name, 0, "", "", problem)])

    def _check_ratio(self, entries: list[zipfile.ZipInfo]) -> None:
        """Refuse a zip whose entries declare far more than the zip weighs, naming the
        entry that inflates most."""
        declared = sum(i.file_size for i in entries)
        compressed = max(self.path.stat().st_size, 1)
        if declared <= RATIO_FLOOR or declared <= MAX_RATIO * compressed:
            return
        worst = max(entries, key=lambda i: i.file_size / max(i.compress_size, 1))
        self.close()
        raise self._whole_error(
            f"tệp zip giải nén ra {_mb(declared)}, gấp hơn {MAX_RATIO} lần cỡ của nó "
            f"({_mb(compressed)}); tệp “{worst.filename}” nén "
            f"{vn_number(worst.compress_size)} byte thành {vn_number(worst.file_size)} byte: "
            "không nhận tệp zip kiểu này"
        )

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()

    def table_name(self) -> str:
        top = [n for n in self.names if "/" not in n]
        for wanted in TABLE_NAMES:
            if wanted in top:
                return wanted
        tables = [n for n in top if n.lower().endswith((".csv", ".xlsx"))]
        if len(tables) != 1:
            raise self._whole_error(
                "cần đúng một bảng danh sách (.csv hoặc .xlsx) ở thư mục gốc, "
                f"đặt tên {TABLE_NAMES[0]} (tìm thấy {len(tables)})"
            )
        return tables[0]

    def resolve(self, name: str) -> str | None:
        """The stored name of a file the table names ("./a.pdf", "a\\b.pdf" accepted)."""
        posix = str(PurePosixPath(name.replace("\\", "/")))
        return posix if posix in self.names and not unsafe(posix) else None

    def read(self, name: str, limit: int = MAX_FILE_BYTES) -> bytes:
        """The entry's bytes; EntryError when it is (or inflates to) more than `limit`
        bytes, or cannot be read."""
        return b"".join(self._chunks(name, limit))

    def _chunks(self, name: str, limit: int) -> Iterator[bytes]:
        too_big = EntryError(f"tệp “{name}” lớn hơn {_mb(limit)}")
        with self._open(name, limit, too_big) as stream:
            read = 0
            while True:
                try:
                    chunk = stream.read(min(_STEP, limit + 1 - read))
                except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
                    raise EntryError(f"tệp “{name}” trong zip bị hỏng, không đọc được") from exc
                if not chunk:
                    return
                read += len(chunk)
                if read > limit:
                    # The header declared less than the stream holds: stop here.
                    raise too_big
                yield chunk

    @contextmanager
    def _open(self, name: str, limit: int, too_big: EntryError) -> Iterator[IO[bytes]]:
        if self.zip is None:
            local = self.names[name]
            assert local is not None  # noqa: S101 - a folder entry always has its path
            if local.stat().st_size > limit:
                raise too_big
            with local.open("rb") as f:
                yield f
            return
        info = self.zip.getinfo(name)
        if info.file_size > limit:
            raise too_big
        try:
            stream = self.zip.open(info)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError) as exc:
            # Damaged, encrypted, or compressed in a way Python does not read.
            raise EntryError(
                f"tệp “{name}” trong zip không đọc được (hỏng, có mật khẩu hoặc kiểu nén lạ)"
            ) from exc
        with stream:
            yield stream

    @contextmanager
    def table_file(self, name: str) -> Iterator[Path]:
        """The table as a local file (read_table needs a path), copied within bounds."""
        if self.zip is None:
            local = self.names[name]
            assert local is not None  # noqa: S101
            yield local
            return
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / PurePosixPath(name).name
            try:
                with target.open("wb") as out:
                    for chunk in self._chunks(name, MAX_TABLE_BYTES):
                        out.write(chunk)
            except EntryError as exc:
                raise self._whole_error(str(exc)) from exc
            yield target


def unsafe(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return name.startswith("/") or ".." in parts
