"""Fixtures for the results store: a temporary storage folder, the demo procedure and
result-type catalogues, real PDFs (with and without a text layer) and a helper that
stores a result the way the upload form does."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chiendich.conftest import COMMUNE_A
from chiendich.procedures.catalogue import DEMO_CATALOGUE, catalogue_load
from chiendich.results.catalogue import result_types_load
from chiendich.results.models import Result, ResultType
from chiendich.results.services import ResultInput, result_store
from chiendich.units.models import Unit

# A real-looking ID number of a citizen born in Tiền Giang (082), and another one.
CITIZEN = "082190000123"
OTHER_CITIZEN = "082195000456"


def pdf_bytes(*lines: str) -> bytes:
    """A one-page PDF with `lines` as real text (a text layer), in a Vietnamese font."""
    from reportlab.pdfgen import canvas

    from chiendich.core.pdf import register_fonts

    regular, _ = register_fonts()
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.setFont(regular, 11)
    for i, line in enumerate(lines):
        page.drawString(50, 800 - 16 * i, line)
    page.save()
    return buffer.getvalue()


def scan_bytes(seed: int = 0) -> bytes:
    """A PDF with no text layer: shapes only, as a scanner without OCR writes."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    for i in range(5 + seed % 7):
        page.rect(40 + 10 * i, 700 - 30 * i, 300, 20, fill=1)
    page.save()
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def results_dir(settings: Any, tmp_path: Path) -> Path:
    """Result files go to a temporary folder, never to ./var."""
    folder = tmp_path / "kho-ket-qua"
    settings.RESULTS_STORAGE_DIR = folder
    settings.CAMPAIGN_TODAY = "2023-10-18"
    return folder


@pytest.fixture
def catalogues(tien_giang: Unit) -> None:
    catalogue_load(DEMO_CATALOGUE)
    result_types_load()


StoreFn = Callable[..., Result]


@pytest.fixture
def store(catalogues: None) -> StoreFn:
    """Store a result with sensible defaults; keyword arguments override them."""
    counter = iter(range(1, 100_000))

    def run(
        *,
        user: Any = None,
        content: bytes | None = None,
        unit: str = COMMUNE_A,
        number: str | None = None,
        issued_on: dt.date = dt.date(2023, 9, 5),
        title: str = "Trích lục khai sinh",
        type_code: str = "TP.KS",
        subject_id: str = CITIZEN,
        subject_name: str = "Nguyễn Văn An",
        valid_until: dt.date | None = None,
        dossier: str = "",
        **kwargs: Any,
    ) -> Result:
        n = next(counter)
        data = ResultInput(
            unit=Unit.objects.get(code=unit),
            number_symbol=number or f"{n}/TLKS",
            issued_on=issued_on,
            title=title,
            result_type=ResultType.objects.get(code=type_code),
            subject_id=subject_id,
            subject_name=subject_name,
            valid_until=valid_until,
            source_dossier_code=dossier,
        )
        return result_store(
            acting_user=user,
            data=data,
            content=content if content is not None else pdf_bytes(title, f"Số {n}", subject_name),
            original_name=f"ket-qua-{n}.pdf",
            **kwargs,
        )

    return run
