"""Rows of the results store for other apps' tests (the URL-walking scope test)."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.utils import timezone

from chiendich.results.models import Result, ResultType
from chiendich.units.models import Unit

# Fixed ids, so a test's table of URL arguments can name them before the rows exist.
SCOPE_RESULT_IDS = ("8201", "8202")


def scope_results(own_unit: str, other_unit: str) -> list[Result]:
    """One result of `own_unit` (id 8201) and one of `other_unit` (id 8202); metadata
    only (pages that read the file are not part of the scope walk)."""
    result_type, _ = ResultType.objects.get_or_create(
        code="TP.KS", defaults={"name": "Trích lục khai sinh"}
    )
    out = []
    for pk, code in zip(SCOPE_RESULT_IDS, (own_unit, other_unit), strict=True):
        sha = hashlib.sha256(code.encode()).hexdigest()
        out.append(
            Result.objects.create(
                pk=int(pk),
                unit=Unit.objects.get(code=code),
                number_symbol=f"{pk}/TLKS",
                number_key=f"{pk}/tlks",
                issued_on=dt.date(2023, 9, 5),
                title="Trích lục khai sinh",
                result_type=result_type,
                subject_id="082190000123",
                subject_name="Nguyễn Văn An",
                file_name=f"{sha[:2]}/{sha[2:4]}/{sha}.pdf",
                original_name="ket-qua.pdf",
                content_type="application/pdf",
                size=1,
                sha256=sha,
                search_text="trich luc khai sinh",
                digitized_at=timezone.now(),
            )
        )
    return out
