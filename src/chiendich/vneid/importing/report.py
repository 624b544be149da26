"""What an import of a police list read, rejected and wrote."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from chiendich.core.numbers import vn_number
from chiendich.core.tabular import RowError
from chiendich.units.dated import MappedRows, mapping_lines


@dataclass
class CitizenImportReport:
    """What an import read, rejected and wrote (or, in a dry run, would write)."""

    file: str
    sha256: str
    dry_run: bool
    rows_read: int = 0
    rows_valid: int = 0
    rows_rejected: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    events_created: int = 0
    households_created: int = 0
    ids_repaired: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)  # the first ones; all are in error_file
    error_file: Path | None = None
    batch_id: int | None = None
    counts_refreshed: int = 0  # DailyCount rows recounted for what the import touched
    # The tree the rows were mapped to (None: each row stays on the unit of its own date),
    # the rows mapped, per (old, new) unit, and known citizens left on their earlier unit.
    tree: dt.date | None = None
    mapped: list[MappedRows] = field(default_factory=list)
    kept_in_place: int = 0

    @property
    def mapped_rows(self) -> int:
        return sum(m.rows for m in self.mapped)

    def mapping_lines(self) -> list[str]:
        return mapping_lines(self.tree, self.mapped, self.kept_in_place)

    @property
    def all_rejected(self) -> bool:
        """Nothing could be imported: no data rows, or every row had an error."""
        return self.rows_valid == 0

    def summary_lines(self) -> list[str]:
        n = vn_number
        verb = "sẽ " if self.dry_run else ""
        lines = [
            f"Tệp {self.file}"
            + (" (chạy thử, không ghi gì vào cơ sở dữ liệu)" if self.dry_run else ""),
            f"Số dòng đã đọc: {n(self.rows_read)}; hợp lệ: {n(self.rows_valid)}; "
            f"bị từ chối: {n(self.rows_rejected)}",
            f"Công dân {verb}thêm mới: {n(self.created)}; {verb}cập nhật: {n(self.updated)}; "
            f"không đổi: {n(self.unchanged)}",
            f"Sự kiện trạng thái tài khoản {verb}thêm: {n(self.events_created)}; "
            f"hộ gia đình {verb}thêm mới: {n(self.households_created)}",
            f"Số định danh được thêm lại số 0 ở đầu: {n(self.ids_repaired)}",
            *self.mapping_lines(),
        ]
        if self.counts_refreshed:
            lines.append(
                f"Số liệu tiến độ đã tính lại: {n(self.counts_refreshed)} dòng (đơn vị × ngày)"
            )
        if self.error_file is not None:
            lines.append(f"Tệp lỗi: {self.error_file} ({n(self.error_count)} lỗi)")
        return lines
