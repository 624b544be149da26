"""The reader and the staging table the dossier import used to keep here, now shared:
the reader is core.frames.table_frames (one reader for every import), the staging
table imports.pipeline.Stage. Re-exported for the code and tests that name them here.

`frames` is table_frames reading a plain CSV BLOCK_BYTES at a time (this module's
BLOCK_BYTES, read at each call: the dossier import declares `frames` as its reader).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import polars as pl

from chiendich.core.frames import (
    BLOCK_BYTES,
    PROBLEM,
    ROW,
    _clean,
    _plain_csv,
    table_frames,
)
from chiendich.core.tabular import Required
from chiendich.imports.pipeline import PACK_ROWS, Stage

clean_cell = _clean

__all__ = [
    "BLOCK_BYTES",
    "PACK_ROWS",
    "PROBLEM",
    "ROW",
    "Stage",
    "_plain_csv",
    "clean_cell",
    "frames",
]


def frames(
    path: Path,
    columns: Mapping[str, Sequence[str]],
    required: Required,
    *,
    block_bytes: int | None = None,
) -> Iterator[pl.DataFrame]:
    """core.frames.table_frames, a plain CSV read `block_bytes` (BLOCK_BYTES) at a time."""
    return table_frames(path, columns, required, block_bytes=block_bytes or BLOCK_BYTES)
