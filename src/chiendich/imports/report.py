"""What a job stores of an import service's report, and how its errors are shown.

The job keeps counts and the first row errors as JSON with every ID or phone
number masked: a page showing the dry-run report is not a view of personal
data (Decree 13/2023/NĐ-CP), and the row and column are enough to find the
cell in the officer's own file. The full errors stay in the xlsx error file;
a user who may see personal data downloads it as written (audited), anyone
else gets a copy with the same masking.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
from django.utils.translation import gettext_lazy as _

from chiendich.core.tabular import RowError, write_error_file

ERRORS_KEPT = 200  # row errors stored on the job for the page; all are in the error file

# Labels of the counts a report may carry, in the order a page lists them.
COUNT_LABELS = {
    "rows_read": _("Rows read"),
    "rows_valid": _("Valid rows"),
    "rows_rejected": _("Rejected rows"),
    "created": _("New records"),
    "already_stored": _("Already in the store"),
    "updated": _("Updated records"),
    "unchanged": _("Unchanged records"),
    "events_created": _("Account state changes"),
    "households_created": _("New households"),
    "ids_repaired": _("ID numbers given back their leading zero"),
    "removed": _("Removed from the list"),
    "kept": _("Kept though not listed (the file has rejected rows)"),
    "count_rows": _("Daily counts recomputed"),
    "counts_refreshed": _("Daily counts recomputed"),
    "mapped_rows": _("Rows read as a unit of an earlier tree and mapped"),
    "kept_in_place": _("Known records kept on their earlier unit (same place, new name)"),
}

# Counts a dry run leaves at 0 by design: not worth a line of its report.
RECOUNT_KEYS = frozenset({"count_rows", "counts_refreshed"})

# Nine or more digits, maybe spaced ("0912 345 678", "+84 912…"): ID and phone numbers.
_NUMBER = re.compile(r"\+?\d(?:[ .]?\d){8,}")


def mask_numbers(text: str) -> str:
    """Every ID or phone number in `text` with its middle hidden (082******789)."""

    def hide(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group())
        return digits[:3] + "*" * (len(digits) - 6) + digits[-3:]

    return _NUMBER.sub(hide, text)


def _shown(report: Any, key: str) -> bool:
    """Whether a report's count is worth a line: recounts only after a real run, the
    mapping counts only for an import onto a target tree (and kept records if any)."""
    if report.dry_run and key in RECOUNT_KEYS:
        return False
    if key == "mapped_rows":
        return getattr(report, "tree", None) is not None
    if key == "kept_in_place":
        return bool(getattr(report, key))
    return True


def report_json(report: Any) -> dict[str, Any]:
    """The counts, the target tree with the codes mapped to it, and the first errors of
    an import service's report, masked."""
    counts = {
        key: int(getattr(report, key))
        for key in COUNT_LABELS
        if isinstance(getattr(report, key, None), int) and _shown(report, key)
    }
    tree = getattr(report, "tree", None)
    errors = [
        {
            "row": e.row,
            "column": e.column,
            "value": mask_numbers(e.value),
            "problem": mask_numbers(e.problem),
        }
        for e in report.errors[:ERRORS_KEPT]
    ]
    return {
        "counts": counts,
        "tree": tree.isoformat() if tree is not None else None,
        "mapped": [m.as_dict() for m in getattr(report, "mapped", [])],
        "error_count": int(report.error_count),
        "errors": errors,
        # Misspelled optional columns, not read (core.tabular.unread_headers): a warning.
        "unread_headers": [
            {"column": mask_numbers(written), "nearest": known}
            for written, known in getattr(report, "unread_headers", [])
        ],
    }


def stored_tree(report: dict[str, Any]) -> dt.date | None:
    """The target tree a stored report was made for (None: no mapping, or an older job)."""
    value = report.get("tree")
    return dt.date.fromisoformat(value) if value else None


def count_rows(report: dict[str, Any]) -> list[tuple[str, int]]:
    """(label, value) of the counts a stored report holds, in COUNT_LABELS order."""
    counts = report.get("counts", {})
    seen: set[str] = set()
    rows = []
    for key, label in COUNT_LABELS.items():
        if key in counts and str(label) not in seen:
            seen.add(str(label))
            rows.append((str(label), counts[key]))
    return rows


def _read_error_file(path: Path) -> Iterator[RowError]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = book.worksheets[0].iter_rows(min_row=2, values_only=True)
        for row, column, value, problem in rows:
            if row is None:  # the "… and N more" line past Excel's limit
                continue
            yield RowError(path.name, int(row), str(column or ""), str(value or ""), problem or "")
    finally:
        book.close()


def masked_error_file(source: Path, target: Path) -> int:
    """Copy the error file `source` to `target` with ID and phone numbers masked."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.xlsx")
    written = write_error_file(
        (
            RowError(e.file, e.row, e.column, mask_numbers(e.value), mask_numbers(e.problem))
            for e in _read_error_file(source)
        ),
        partial,
    )
    os.replace(partial, target)  # two downloads at once never read half a file
    return written
