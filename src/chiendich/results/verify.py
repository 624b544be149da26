"""`chiendich results verify`: every stored file read back and hashed again.

A result's file is content-addressed and its SHA-256 is in the database, so a
file that is missing or whose bytes changed on disk (bit rot, a hand edit, a
restore from the wrong backup) is found by recomputing the hash. Nothing is
repaired: the report lists the results to restore from a backup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from chiendich.accounts.models import AuditEvent, User
from chiendich.accounts.services import audit_event_record

from .models import Result
from .storage import stored_sha256


@dataclass
class Problem:
    result_id: int
    number_symbol: str
    file_name: str
    expected: str
    found: str | None  # None: the file is missing


@dataclass
class VerifyReport:
    checked: int = 0
    missing: list[Problem] = field(default_factory=list)
    altered: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.altered


def results_verify(
    *, acting_user: User | None = None, progress: Callable[[int, int], None] | None = None
) -> VerifyReport:
    """Recompute the SHA-256 of every stored file; list missing and altered ones."""
    report = VerifyReport()
    total = Result.objects.count()
    rows = Result.objects.order_by("pk").values_list("pk", "number_symbol", "file_name", "sha256")
    for pk, number, name, expected in rows.iterator(chunk_size=2_000):
        found = stored_sha256(name)
        if found is None:
            report.missing.append(Problem(pk, number, name, expected, None))
        elif found != expected:
            report.altered.append(Problem(pk, number, name, expected, found))
        report.checked += 1
        if progress is not None:
            progress(report.checked, total)
    audit_event_record(
        AuditEvent.Type.RESULTS_VERIFIED,
        user=acting_user,
        checked=report.checked,
        missing=[p.result_id for p in report.missing][:1000],
        altered=[p.result_id for p in report.altered][:1000],
    )
    return report
