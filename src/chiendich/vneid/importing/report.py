"""What an import of a police list read, rejected and wrote."""

from __future__ import annotations

from dataclasses import dataclass

from chiendich.core.numbers import vn_number
from chiendich.imports.pipeline import PipelineReport
from chiendich.units.dated import mapping_lines


@dataclass
class CitizenImportReport(PipelineReport):
    """What an import read, rejected and wrote (or, in a dry run, would write); the
    common part (file, rows, errors, target tree) is the import pipeline's."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    events_created: int = 0
    households_created: int = 0
    ids_repaired: int = 0
    batch_id: int | None = None
    counts_refreshed: int = 0  # DailyCount rows recounted for what the import touched
    kept_in_place: int = 0  # known citizens left on their earlier unit (same place)

    def mapping_lines(self) -> list[str]:
        return mapping_lines(self.tree, self.mapped, self.kept_in_place)

    def summary_lines(self) -> list[str]:
        n = vn_number
        verb = "sẽ " if self.dry_run else ""
        lines = [
            *self.head_lines(),
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
        return lines + self.error_line()
