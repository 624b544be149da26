"""The import pipeline: the registry made from declarations, the service a declaration
gives (with --tree only for kinds that map codes to a tree), and the declared check
(each distinct text parsed once; errors by row, in the declaration's column order)."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import polars as pl
import pytest
from django.core.management import CommandError, call_command

from chiendich.core.cells import CellError
from chiendich.core.frames import PROBLEM, ROW
from chiendich.core.tabular import RowErrorLog
from chiendich.imports import kinds, pipeline
from chiendich.procedures.importing.catalogue import CATALOGUE_KIND
from chiendich.procedures.importing.dossiers import DOSSIERS_KIND
from chiendich.staff.importing import STAFF_KIND


def test_every_kind_is_registered_and_the_declared_ones_from_their_declaration() -> None:
    found = kinds.kinds()
    assert {"citizens", "dossiers", "staff", "results", "catalogue"} <= set(found)
    for name, declared in (
        ("staff", STAFF_KIND),
        ("dossiers", DOSSIERS_KIND),
        ("catalogue", CATALOGUE_KIND),
    ):
        assert found[name].declared is declared
        assert kinds.kind_label(name) == str(declared.label)
        assert kinds.has_personal_data(name) is declared.personal_data
        assert kinds.kind_takes_tree(name) is declared.takes_tree
    assert kinds.has_personal_data("staff") and not kinds.has_personal_data("dossiers")
    assert kinds.has_personal_data("citizens") and kinds.kind_takes_tree("citizens")


def test_only_kinds_that_map_codes_take_a_tree(tmp_path: Path) -> None:
    path = tmp_path / "danh-muc.csv"
    path.write_text("Mã TTHC\n", encoding="utf-8")
    with pytest.raises(CommandError, match="không nhận --tree"):
        call_command("import", "catalogue", str(path), "--tree", "2025-07-01", stdout=io.StringIO())


def _run(kind: pipeline.Kind) -> pipeline.Run:
    report = kind.report(file="t.csv", sha256="", dry_run=True)
    return pipeline.Run(
        kind=kind,
        path=Path("t.csv"),
        report=report,
        errors=RowErrorLog(),
        errors_path=Path("t-loi.xlsx"),
        acting_user=None,
        dry_run=True,
        tree=None,
    )


def test_the_declared_check_parses_each_distinct_text_once_and_orders_errors() -> None:
    calls: list[str] = []

    def number(text: str) -> int:
        calls.append(text)
        if not text.isdigit():
            raise CellError("phải là số")
        return int(text)

    kind = dataclasses.replace(
        CATALOGUE_KIND,
        columns={"a": ["Cột A"], "b": ["Cột B"]},
        required=["a"],
        cells=(
            pipeline.Cell("a", missing="thiếu A", max_length=3),
            pipeline.Cell("b", parse=number, dtype=pl.Int64),
        ),
        unique=(pipeline.Unique("a", "trùng A với dòng {first}"),),
        row_check=lambda values: [("b", str(values["b"]), "B lẻ")] if values["b"] % 2 else [],
    )
    frame = pl.DataFrame(
        {
            ROW: [2, 3, 4, 5, 6, 7],
            PROBLEM: ["", "", "", "", "dòng bị cắt", ""],
            "a": ["x", "", "x", "abcd", "", "y"],
            "b": ["2", "z", "2", "2", "", "3"],
        }
    )
    valid, errors = pipeline.declared_check(_run(kind), frame)
    assert sorted(calls) == sorted({"2", "z", "", "3"})  # once per distinct text
    assert valid.to_dicts() == [{ROW: 2, "a": "x", "b": 2}]
    assert [(e.row, e.column, e.value, e.problem) for e in errors] == [
        (3, "Cột A", "", "thiếu A"),
        (3, "Cột B", "z", "phải là số"),
        (4, "Cột A", "x", "trùng A với dòng 2"),
        (5, "Cột A", "abcd", "dài quá 3 ký tự"),
        (6, "", "", "dòng bị cắt"),
        (7, "Cột B", "3", "B lẻ"),
    ]
