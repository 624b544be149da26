"""The digitized-results import as a kind of the one import pipeline: registered by its
declaration, the bundle opened by the kind's `open_source`, the history row and the
hash as before, a refused batch named as refused whole."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from chiendich.core.tabular import TabularError, file_sha256
from chiendich.imports import kinds
from chiendich.results.importing import RESULTS_KIND, results_import
from chiendich.results.models import Result, ResultImport

from .test_import import FILES, HEADER, rows_ok, write_zip

pytestmark = pytest.mark.django_db


def test_results_are_registered_by_their_declaration() -> None:
    found = kinds.kinds()["results"]
    assert found.declared is RESULTS_KIND
    assert found.suffixes == (".zip",)
    assert kinds.has_personal_data("results") is True  # the error file names ID numbers
    assert not kinds.kind_takes_tree("results")
    assert kinds.kind_label("results") == str(RESULTS_KIND.label)


def test_a_stored_zip_is_hashed_and_a_folder_is_not(catalogues: None, tmp_path: Path) -> None:
    path = write_zip(tmp_path / "lo.zip", rows_ok())
    report = results_import(path)
    assert report.sha256 == file_sha256(path) == ResultImport.objects.get().sha256
    assert report.source == "lo.zip" and report.batch_id == ResultImport.objects.get().pk
    assert (report.rows_read, report.rows_valid, report.rows_rejected) == (3, 3, 0)
    folder = tmp_path / "lo"
    (folder / "sub").mkdir(parents=True)
    for name, content in FILES.items():
        (folder / name).write_bytes(content)
    with (folder / "danh-sach.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([HEADER, *rows_ok()])
    again = results_import(folder)
    assert again.sha256 == "" and (again.created, again.already_stored) == (0, 3)
    assert ResultImport.objects.get(pk=again.batch_id).sha256 == ""


def test_a_dry_run_records_no_batch_and_counts_what_it_would_store(
    catalogues: None, tmp_path: Path
) -> None:
    report = results_import(write_zip(tmp_path / "lo.zip", rows_ok()), dry_run=True)
    assert (report.created, report.rows_valid, report.batch_id, report.sha256) == (3, 3, None, "")
    assert not ResultImport.objects.exists() and not Result.objects.exists()


def test_an_error_found_only_against_the_store_refuses_the_batch_whole(
    catalogues: None, tmp_path: Path
) -> None:
    results_import(write_zip(tmp_path / "lo-1.zip", rows_ok()))
    rows = rows_ok()
    rows[0][2] = "1-bis/TLKS"  # the stored file under another number: only the store knows
    path = write_zip(tmp_path / "lo-2.zip", rows)
    report = results_import(path)
    assert report.refused_whole and report.all_rejected
    assert (report.rows_valid, report.rows_rejected, report.error_count) == (0, 1, 1)
    assert report.error_file == tmp_path / "lo-2-loi.xlsx"
    assert ResultImport.objects.get(pk=report.batch_id).status == ResultImport.Status.FAILED
    assert Result.objects.count() == 3
    out = io.StringIO()
    with pytest.raises(CommandError, match="Tệp còn dòng lỗi"):
        call_command("import", "results", str(path), stdout=out)
    assert "Có lỗi nên không lưu kết quả nào của lô này." in out.getvalue()


def test_a_bundle_without_its_table_fails_the_batch_with_the_reason(
    catalogues: None, tmp_path: Path
) -> None:
    folder = tmp_path / "rong"
    folder.mkdir()
    (folder / "a.pdf").write_bytes(FILES["a.pdf"])
    with pytest.raises(TabularError, match="danh-sach.csv"):
        results_import(folder)
    batch = ResultImport.objects.get()
    assert batch.status == ResultImport.Status.FAILED and batch.message
