"""Coverage (R6): resolved dossiers since 01/9/2023 whose result is in the store, per
unit, as an indicator next to the others (procedures.selectors.unit_kpi)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from chiendich.procedures.selectors import unit_kpi
from chiendich.procedures.tests.conftest import XA, catalogue, dossier_row, import_rows  # noqa: F401 - fixtures
from chiendich.units.models import Unit

from .conftest import StoreFn, pdf_bytes

pytestmark = pytest.mark.django_db


def test_coverage_counts_resolved_dossiers_with_a_stored_result(
    plan_383,
    import_rows,  # noqa: F811 - the fixture imported above
    store: StoreFn,
) -> None:
    resolved = {"status": "Đã giải quyết", "finished": "20/09/2023"}
    import_rows(
        [
            dossier_row("D1", XA, procedure="T.FEE", **resolved),
            dossier_row("D2", XA, procedure="T.FEE", **resolved),
            dossier_row("D3", XA, procedure="T.FREE", **resolved),
            dossier_row("D4", XA, procedure="T.FEE", status="Đang xử lý"),
            # Resolved before 01/9/2023: outside the II.1.đ window.
            dossier_row(
                "D5",
                XA,
                procedure="T.FEE",
                received="01/08/2023",
                status="Đã giải quyết",
                finished="15/08/2023",
            ),
        ]
    )
    store(unit=XA, dossier="D1", content=pdf_bytes("kết quả D1"))
    # Two versions of D1's result still count the dossier once.
    store(unit=XA, dossier="D1", content=pdf_bytes("kết quả D1 sửa"), number="1b/TLKS")
    store(unit=XA, dossier="D4", content=pdf_bytes("kết quả D4"))  # not resolved: no count
    store(unit=XA, dossier="D5", content=pdf_bytes("kết quả D5"))  # before the window
    kpi = unit_kpi(Unit.objects.get(code=XA), dt.date(2023, 8, 1), dt.date(2023, 10, 30))
    coverage = kpi.indicator("result_store_coverage")
    assert coverage.date_from == dt.date(2023, 9, 1)  # the II.1.đ target applies from then
    assert (coverage.numerator, coverage.denominator) == (1, 3)
    assert coverage.rate == Decimal("33.33")
    assert coverage.target == Decimal("100")  # measured against the II.1.đ target
    assert kpi.as_dict()["indicators"][-1]["key"] == "result_store_coverage"
    # The district sums its communes.
    district = unit_kpi(Unit.objects.get(code="822"), dt.date(2023, 9, 1), dt.date(2023, 10, 30))
    assert district.indicator("result_store_coverage").area.numerator == 1
