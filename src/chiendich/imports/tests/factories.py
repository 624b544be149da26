"""Import jobs for tests outside this app (the URL-walking scope test)."""

from __future__ import annotations

import uuid

from chiendich.imports.models import ImportJob, JobState
from chiendich.units.models import Unit

# The jobs scope_jobs() makes: one of commune A, one of commune B.
SCOPE_JOB_IDS = (
    "6f0c2a3e-0000-4000-8000-00000000000a",
    "6f0c2a3e-0000-4000-8000-00000000000b",
)


def scope_jobs(commune_a: str, commune_b: str) -> list[ImportJob]:
    """A checked police-list job of each commune (no file on disk: pages that only
    read the job need none)."""
    jobs = []
    for key, code in zip(SCOPE_JOB_IDS, (commune_a, commune_b), strict=True):
        jobs.append(
            ImportJob.objects.create(
                uuid=uuid.UUID(key),
                kind="citizens",
                unit=Unit.objects.get(code=code),
                file_name="ds.csv",
                stored_path=f"{key}/ds.csv",
                sha256="0" * 64,
                state=JobState.CHECKED,
                check_report={"counts": {"rows_read": 1, "rows_valid": 1}, "errors": []},
            )
        )
    return jobs
