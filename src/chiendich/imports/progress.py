"""Live progress of a running job, in a small JSON file beside the uploaded one.

Why a file and not the job's row: an import writes everything in one
transaction, and on SQLite that transaction holds the only write lock until
it commits, so the worker could not update the job row for other readers to
see (and on PostgreSQL the update would be invisible inside the transaction).
The file is read by the page's poll; it outlives the page, so a reload shows
the same bar, and it sits with the uploaded file the worker already shares
with the web server. Phases and final counts are in the job row.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

PROGRESS_FILE = "progress.json"
EVERY_SECONDS = 0.5  # at most two writes a second, whatever the file's size


class ProgressFile:
    """A callable for an import service's `progress`: rows read so far, written to
    `folder/progress.json` at most every EVERY_SECONDS (and always at 0 and the end)."""

    def __init__(self, folder: Path, phase: str, total: int | None) -> None:
        self.path = folder / PROGRESS_FILE
        self.phase = phase
        self.total = total
        self.done = 0
        self._last = 0.0
        self._write()

    def __call__(self, done: int) -> None:
        self.done = done
        if self.total is not None and done > self.total:
            self.total = done  # the estimate was low
        now = time.monotonic()
        if now - self._last >= EVERY_SECONDS:
            self._write(now)

    def finish(self) -> None:
        self.total = self.done
        self._write()

    def _write(self, now: float | None = None) -> None:
        self._last = time.monotonic() if now is None else now
        data = {"phase": self.phase, "done": self.done, "total": self.total, "at": time.time()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside and renamed over: a reader never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
        with os.fdopen(handle, "w") as f:
            json.dump(data, f)
        os.replace(temporary, self.path)


def progress_read(folder: Path) -> dict[str, Any] | None:
    """What the last ProgressFile in `folder` wrote, or None."""
    try:
        data: dict[str, Any] = json.loads((folder / PROGRESS_FILE).read_text())
    except (OSError, ValueError):
        return None
    return data
