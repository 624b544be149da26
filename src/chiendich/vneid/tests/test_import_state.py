"""What the police-list check remembers of the rows before (IDs seen, households and their
details) is held in columns (importing.state.ColumnMap), not Python dicts: it answers like
a dict, and it takes a few bytes per row, however long the list (issue 15: peak memory
bounded at 10 million rows)."""

from __future__ import annotations

import random
from pathlib import Path

import polars as pl
import pytest

from chiendich.core.frames import table_frames
from chiendich.core.tabular import RowErrorLog
from chiendich.vneid.importing import state
from chiendich.vneid.importing.cells import CITIZEN_COLUMNS, REQUIRED
from chiendich.vneid.importing.checker import FrameChecker, RowChecker
from chiendich.vneid.importing.places import Places
from chiendich.vneid.importing.state import KEY, ColumnMap
from chiendich.vneid.tests.test_import import WriteFile, cccd, places  # noqa: F401
from chiendich.vneid.tests.test_import_frames import HEADER


def test_a_column_map_answers_like_a_dict(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys set one by one, in bulk (add, put), looked up one by one and in bulk, across
    many runs and their merges: always what a dict holding the same gives."""
    monkeypatch.setattr(state, "BUFFER", 5)
    monkeypatch.setattr(state, "FILTER_BITS", 64)  # the Bloom filter grows, bytes collide
    monkeypatch.setattr(state, "MAX_RUN", 40)  # runs stop merging
    rng = random.Random(15)
    ids, expected_ids = ColumnMap(pl.Int64, {"row": pl.Int32}), {}
    homes, expected = ColumnMap(pl.String, {"a": pl.Int64, "b": pl.String}), {}
    for step in range(400):
        key = rng.randrange(600)
        assert ids.setdefault(key, step) == expected_ids.setdefault(key, step)
        code = f"HK{rng.randrange(300)}"
        if rng.random() < 0.5:
            homes[code] = expected[code] = (step, f"x{step}")
        if step % 50 == 0:
            new = sorted({rng.randrange(1000, 2000) for _ in range(30)} - expected_ids.keys())
            ids.add(pl.DataFrame({KEY: new, "row": [step] * len(new)}))
            expected_ids.update(dict.fromkeys(new, step))
            codes = sorted({f"HK{rng.randrange(400)}" for _ in range(20)})
            homes.put(pl.DataFrame({KEY: codes, "a": [-step] * len(codes), "b": codes}))
            expected.update({c: (-step, c) for c in codes})
    assert ids == expected_ids and len(ids) == len(expected_ids)
    assert homes == expected and len(homes) == len(expected)
    asked = [rng.randrange(2100) for _ in range(200)]
    looked = ids.lookup(asked)
    assert looked[KEY].to_list() == asked
    assert looked["found"].to_list() == [k in expected_ids for k in asked]
    assert looked["row"].to_list() == [expected_ids.get(k) for k in asked]
    assert ids.missing(asked) == sorted({k for k in asked if k not in expected_ids})
    assert [ids.get(k) for k in asked] == [expected_ids.get(k) for k in asked]
    assert homes.frame()[KEY].to_list() == sorted(expected)
    # Runs of about the same size are merged: a few runs, not one per buffer.
    assert len(ids._runs) <= len(ids) // 20 + 12


def test_the_check_remembers_a_few_bytes_per_row(
    places: None,  # noqa: F811
    write_file: WriteFile,
    tmp_path: Path,
) -> None:
    """20,000 rows in 40 frames: the IDs and households the check remembers are all there,
    in columns, at well under 40 bytes a row (Python dicts took 100 to 200)."""
    lines = [HEADER]
    n = 20_000
    for i in range(n):
        lines.append(
            f"{cccd(1990, serial=i + 1)},Người {i},15/03/1990,Nam,28249,,,,HK{i // 3:06d},"
            f"{'Chủ Hộ' if i % 3 == 0 else ''},,,,"
        )
    path = write_file("ds.csv", "\n".join(lines) + "\n")
    checker = RowChecker(path.name, Places(), RowErrorLog(), None)
    frames = FrameChecker(checker)
    valid = 0
    for frame in table_frames(path, CITIZEN_COLUMNS, REQUIRED, rows=500):
        rows_valid, errors = frames.check(frame)
        assert errors == []
        valid += rows_valid.height
    assert valid == n
    assert len(checker.seen) == n
    assert len(checker.households) == len(checker.household_details) == -(-n // 3)
    assert checker.seen[int(cccd(1990, serial=n))] == n + 1  # its spreadsheet row
    assert checker.households["HK000000"][2] == 2
    assert checker.household_details["HK000001"] == ("Chủ Hộ", "")
    assert checker.state_entries() == n + 2 * -(-n // 3)
    assert checker.state_bytes() / n < 40
