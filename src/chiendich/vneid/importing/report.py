"""What an import of a police list read, rejected and wrote."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from chiendich.core.numbers import vn_number
from chiendich.core.tabular import RowError


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
        ]
        if self.counts_refreshed:
            lines.append(
                f"Số liệu tiến độ đã tính lại: {n(self.counts_refreshed)} dòng (đơn vị × ngày)"
            )
        if self.error_file is not None:
            lines.append(f"Tệp lỗi: {self.error_file} ({n(self.error_count)} lỗi)")
        return lines
