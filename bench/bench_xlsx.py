"""The safe xlsx cell writer's cost: a commune's lists export (7 columns of names,
codes, dates and ID numbers) written with plain openpyxl `ws.append` + `save`, the
baseline, against core/xlsx's `append` + `save` (every text cell typed as text,
formula-like ones quote-prefixed, then one `neutralize` pass over the book).

    uv run python bench/bench_xlsx.py [ROWS ...]     # default 2000 20000

Prints the median of 5 runs of each and the ratio, per size.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from collections.abc import Callable

import openpyxl

from chiendich.core import xlsx

RUNS = 5


def rows(n: int) -> list[list[object]]:
    names = ("Nguyễn Văn An", "Trần Thị Bình", '=HYPERLINK("http://x/","a")', "-2+3")
    return [
        [
            "Khu phố Một",
            f"H{i // 4}",
            names[i % len(names)],
            "01/02/1990",
            f"082090{i:06d}",
            "Đã kích hoạt mức 1",
            "05/09/2023",
        ]
        for i in range(n)
    ]


def plain(data: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None  # noqa: S101
    for row in data:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def safe(data: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None  # noqa: S101
    for row in data:
        xlsx.append(sheet, row)
    return xlsx.save(book)


def median_seconds(write: Callable[[list[list[object]]], bytes], data: list[list[object]]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        write(data)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(sizes: list[int]) -> None:
    print(f"{'rows':>8} {'plain s':>9} {'safe s':>9} {'ratio':>6}   (median of {RUNS})")
    for n in sizes:
        data = rows(n)
        base, ours = median_seconds(plain, data), median_seconds(safe, data)
        print(f"{n:>8} {base:>9.3f} {ours:>9.3f} {ours / base:>6.2f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [2000, 20000])
