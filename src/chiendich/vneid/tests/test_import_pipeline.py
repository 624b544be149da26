"""The police list as a declaration of the import pipeline (issue 15 item 6): registered
by its declaration, run by `pipeline.run`, its per-run spool and TEMP tables freed however
the run ends, and the pipeline's hooks keep other kinds' behaviour."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from django.db import connection

from chiendich.core.frames import PROBLEM, ROW
from chiendich.core.tabular import TabularError
from chiendich.imports import kinds, pipeline
from chiendich.vneid.importing import CITIZENS_KIND, citizens_import
from chiendich.vneid.importing import citizens as importing_citizens
from chiendich.vneid.importing.writer import STAGED
from chiendich.vneid.models import Citizen, ImportBatch

from .test_import import cccd, places, police_list  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def test_the_police_list_is_registered_by_its_declaration() -> None:
    command = importlib.import_module("chiendich.core.management.commands.import")
    entry = command.import_kinds()["citizens"]
    assert entry.declared is CITIZENS_KIND
    assert entry.service == CITIZENS_KIND.entry == "chiendich.vneid.importing.citizens_import"
    assert kinds.kind_label("citizens") == str(CITIZENS_KIND.label)
    assert kinds.has_personal_data("citizens") and kinds.kind_takes_tree("citizens")
    assert kinds.kind_template("citizens")  # the template comes from the declaration


def _temp_tables() -> list[str]:
    if connection.vendor == "postgresql":
        sql = "SELECT tablename FROM pg_tables WHERE schemaname LIKE 'pg_temp%%'"
    else:
        sql = "SELECT name FROM sqlite_temp_master WHERE type = 'table'"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [name for (name,) in cursor.fetchall()]


def test_the_web_job_runs_the_declaration_through_the_pipeline(
    places: None,  # noqa: F811
    write_file: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ran: list[str] = []
    real = pipeline.run

    def spy(kind: pipeline.Kind, *args: Any, **kwargs: Any) -> Any:
        ran.append(kind.name)
        return real(kind, *args, **kwargs)

    monkeypatch.setattr(pipeline, "run", spy)
    path = police_list(write_file, f"{cccd(1995)},A,15/03/1995,Nam,28249,,HK1,,,")
    report = kinds.kind_service("citizens")(path)
    assert ran == ["citizens"]
    assert report.created == 1 and Citizen.objects.count() == 1
    assert ImportBatch.objects.get().status == ImportBatch.Status.DONE
    assert STAGED not in _temp_tables()


def test_the_staging_is_freed_when_the_file_cannot_be_read(
    places: None,  # noqa: F811
    write_file: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    closed: list[bool] = []
    real = importing_citizens.Staged.close

    def close(self: Any) -> None:
        closed.append(True)
        real(self)

    monkeypatch.setattr(importing_citizens.Staged, "close", close)
    path = write_file("thieu-cot.csv", "Họ và tên\nA\n")
    with pytest.raises(TabularError):
        citizens_import(path)
    assert closed == [True]
    assert STAGED not in _temp_tables()
    assert not Citizen.objects.exists() and not ImportBatch.objects.exists()


def test_progress_after_every_chunk_for_kinds_without_a_step(tmp_path: Path) -> None:
    """A kind without `progress_step` reports after every chunk and at the end, as before."""
    kind = pipeline.Kind(
        name="t",
        help="",
        columns={"a": ["A"]},
        required=(),
        report=pipeline.PipelineReport,
        merge=lambda r, write: None,
        audit=lambda r: None,
        check=lambda r, frame: (frame, []),
        reader=lambda path, columns, required: iter([pl_frame(3), pl_frame(2)]),  # 2 chunks
    )
    path = tmp_path / "t.csv"
    path.write_text("A\n", encoding="utf-8")
    seen: list[int] = []
    pipeline.run(kind, path, dry_run=True, progress=seen.append)
    assert seen == [3, 5, 5]
    stepped = pipeline.Kind(**{**kind.__dict__, "progress_step": lambda: 2})
    seen.clear()
    pipeline.run(stepped, path, dry_run=True, progress=seen.append)
    assert seen == [2, 4, 5]


def pl_frame(rows: int) -> pl.DataFrame:
    return pl.DataFrame({ROW: list(range(rows)), PROBLEM: [""] * rows, "a": ["x"] * rows})
