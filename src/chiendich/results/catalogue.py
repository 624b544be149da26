"""The result-type catalogue and which procedures accept which result types (R6).

One CSV or XLSX (data/loai-ket-qua.csv is the demo's): a row per result type
with the procedure that issues it, how many months it stays valid (empty: no
expiry) and the procedures that accept it in place of a paper ("Dùng thay giấy
tờ trong TTHC", codes separated by ";"). Checked whole before any write; a bad
row refuses the file. Loading again replaces each listed type's mapping.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from chiendich.accounts.models import AuditEvent, User
from chiendich.accounts.services import audit_event_record
from chiendich.core.tabular import RowError, TabularError, primed, read_table
from chiendich.procedures.models import Procedure

from .models import AcceptedEvidence, ResultType

DEMO_RESULT_TYPES = Path(__file__).parent / "data" / "loai-ket-qua.csv"
COLUMNS = {
    "code": ("Mã loại kết quả",),
    "name": ("Tên loại kết quả",),
    "procedure": ("Mã TTHC cấp", "Mã TTHC"),
    "months": ("Thời hạn (tháng)", "Thời hạn"),
    "accepted_by": ("Dùng thay giấy tờ trong TTHC", "Dùng cho TTHC"),
}


@dataclass
class ResultTypesLoad:
    types: int = 0
    mappings: int = 0

    def summary_lines(self) -> list[str]:
        return [
            f"Loại kết quả: {self.types}; cặp thủ tục - loại kết quả được dùng: {self.mappings}"
        ]


def result_types_load(
    path: Path = DEMO_RESULT_TYPES, *, acting_user: User | None = None
) -> ResultTypesLoad:
    """Load the result types and the procedures that accept them (see module docstring)."""
    procedures = dict(Procedure.objects.values_list("code", "pk"))
    errors: list[RowError] = []
    rows = []
    for row in primed(read_table(path, COLUMNS, ("code", "name"))):
        code, months = row.get("code"), row.get("months")
        accepted = [c.strip() for c in row.get("accepted_by").split(";") if c.strip()]
        for column, value in [("procedure", row.get("procedure"))] + [
            ("accepted_by", c) for c in accepted
        ]:
            if value and value not in procedures:
                errors.append(
                    RowError(
                        path.name, row.number, COLUMNS[column][0], value, "không có thủ tục mã này"
                    )
                )
        if months and not months.isdigit():
            errors.append(
                RowError(path.name, row.number, COLUMNS["months"][0], months, "phải là số tháng")
            )
        if not code:
            errors.append(RowError(path.name, row.number, COLUMNS["code"][0], "", "thiếu mã"))
        rows.append((code, row.get("name"), row.get("procedure"), months, accepted))
    if errors:
        raise TabularError(errors)
    out = ResultTypesLoad()
    with transaction.atomic():
        for code, name, procedure, months, accepted in rows:
            result_type, _ = ResultType.objects.update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "procedure_id": procedures.get(procedure) if procedure else None,
                    "validity_months": int(months) if months else None,
                },
            )
            AcceptedEvidence.objects.filter(result_type=result_type).delete()
            AcceptedEvidence.objects.bulk_create(
                AcceptedEvidence(procedure_id=procedures[c], result_type=result_type)
                for c in dict.fromkeys(accepted)
            )
            out.types += 1
            out.mappings += len(dict.fromkeys(accepted))
        audit_event_record(
            AuditEvent.Type.RESULT_TYPES_LOADED,
            user=acting_user,
            file=path.name,
            types=out.types,
            mappings=out.mappings,
        )
    return out
