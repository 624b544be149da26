"""Loading the procedure catalogue (danh mục TTHC) from a CSV or XLSX file.

Like the other reference-data loads (units.services), the file is validated
whole before any write and a bad row refuses it all, with every problem named
by row and column; a second load of the same file writes nothing. Procedures
missing from a new file are kept (dossiers point at them) and reported.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from chiendich.accounts.context import acting_as
from chiendich.accounts.models import AuditEvent, User
from chiendich.accounts.services import audit_event_record
from chiendich.core.tabular import RowError, TabularError, read_table

from .cells import (
    CATALOGUE_COLUMNS,
    CATALOGUE_REQUIRED,
    CellError,
    catalogue_header,
    parse_flag,
    parse_levels,
    parse_online_level,
)
from .models import Procedure

DEMO_CATALOGUE = Path(__file__).parent / "data" / "danh-muc-tthc-demo.csv"
AUDIT_CATALOGUE_LOADED = AuditEvent.Type.PROCEDURES_LOADED
CODE_MAX = Procedure._meta.get_field("code").max_length or 40
SECTOR_MAX = Procedure._meta.get_field("sector").max_length or 200
_FLAGS = ("fee_bearing", "paper_result", "essential_06", "police_service", "uncertain")


@dataclass
class CatalogueLoadResult:
    """What a catalogue load did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    not_in_file: int = 0
    flags: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def summary_lines(self) -> list[str]:
        f = self.flags
        return [
            f"Thủ tục: {self.total} (thêm mới {self.created}, cập nhật {self.updated}, "
            f"không đổi {self.unchanged}); có trong cơ sở dữ liệu nhưng không có trong tệp: "
            f"{self.not_in_file}",
            f"Dịch vụ công thiết yếu Đề án 06: {f['essential_06']}, trong đó ngành Công an: "
            f"{f['police_essential']}; có phí, lệ phí: {f['fee_bearing']}; có kết quả giấy: "
            f"{f['paper_result']}; cần xác minh: {f['uncertain']}",
        ]


def _parse_rows(path: Path) -> list[dict[str, Any]]:
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    parsed: list[dict[str, Any]] = []
    for row in read_table(path, CATALOGUE_COLUMNS, CATALOGUE_REQUIRED):
        if row.problem:
            errors.append(RowError(path.name, row.number, "", "", row.problem))
            continue
        before = len(errors)

        def error(key: str, value: str, problem: str, number: int = row.number) -> None:
            errors.append(RowError(path.name, number, catalogue_header(key), value, problem))

        code = row.get("code")
        if not code:
            error("code", "", "thiếu mã thủ tục")
        elif len(code) > CODE_MAX:
            error("code", code, f"mã dài quá {CODE_MAX} ký tự")
        elif code in seen:
            error("code", code, f"trùng mã với dòng {seen[code]}")
        else:
            seen[code] = row.number
        name = row.get("name")
        if not name:
            error("name", "", "thiếu tên thủ tục")
        sector = row.get("sector")
        if len(sector) > SECTOR_MAX:
            error("sector", sector, f"dài quá {SECTOR_MAX} ký tự")
        values: dict[str, Any] = {"name": name, "sector": sector, "note": row.get("note")}
        try:
            values["levels"] = parse_levels(row.get("levels"))
        except CellError as exc:
            error("levels", row.get("levels"), str(exc))
        try:
            values["online_level"] = parse_online_level(row.get("online_level")).value
        except CellError as exc:
            error("online_level", row.get("online_level"), str(exc))
        for key in _FLAGS:
            try:
                values[key] = parse_flag(row.get(key))
            except CellError as exc:
                error(key, row.get(key), str(exc))
        if len(errors) == before:
            parsed.append({"code": code, **values})
    if errors:
        raise TabularError(errors)
    if not parsed:
        raise TabularError([RowError(path.name, 2, "", "", "tệp không có dòng thủ tục nào")])
    return parsed


def catalogue_load(path: Path | str, *, acting_user: User | None = None) -> CatalogueLoadResult:
    """Load the catalogue at `path` (CSV or XLSX): create or update procedures by Mã TTHC.

    Columns: Mã TTHC, Tên thủ tục, Lĩnh vực, Cấp thực hiện (Tỉnh; Huyện; Xã), Có phí,
    lệ phí, Có kết quả giấy, Mức độ DVC trực tuyến (Toàn trình / Một phần / Không),
    DVC thiết yếu Đề án 06, Thuộc ngành Công an (0/1), and optionally Cần xác minh
    and Ghi chú. Raises TabularError listing every problem before any write.
    Each created or changed procedure goes through the change log; the load is one
    AuditEvent.
    """
    path = Path(path)
    rows = _parse_rows(path)
    result = CatalogueLoadResult()
    existing = {p.code: p for p in Procedure.objects.all()}
    with transaction.atomic(), acting_as(acting_user, origin="command"):
        for values in rows:
            code = values.pop("code")
            for key in _FLAGS:
                result.flags[key] += values[key]
            result.flags["police_essential"] += values["essential_06"] and values["police_service"]
            procedure = existing.pop(code, None)
            if procedure is None:
                Procedure(code=code, **values).save()
                result.created += 1
            elif any(getattr(procedure, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(procedure, k, v)
                procedure.save()
                result.updated += 1
            else:
                result.unchanged += 1
        result.not_in_file = len(existing)
        if result.created or result.updated:
            audit_event_record(
                AUDIT_CATALOGUE_LOADED,
                user=acting_user,
                file=path.name,
                created=result.created,
                updated=result.updated,
                not_in_file=result.not_in_file,
            )
    return result
