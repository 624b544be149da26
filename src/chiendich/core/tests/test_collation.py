"""Vietnamese sorting through ICU."""

from __future__ import annotations

from chiendich.core.collation import vi_sort_key, vi_sorted


def test_vietnamese_letters_and_numbers_sort_as_a_reader_expects() -> None:
    names = ["Phường 10", "Chợ Gạo", "Đặng Văn A", "Phường 2", "Cái Bè", "Dương Thị B", "Ấp Bắc"]
    assert sorted(names, key=vi_sort_key) == [
        "Ấp Bắc",
        "Cái Bè",
        "Chợ Gạo",
        "Dương Thị B",
        "Đặng Văn A",
        "Phường 2",
        "Phường 10",
    ]
    # What a code-point sort gets wrong, for the record.
    assert sorted(["Phường 10", "Phường 2"]) == ["Phường 10", "Phường 2"]


def test_vi_sorted_takes_a_key_and_tolerates_empty_text() -> None:
    rows = [{"n": "Ấp 12"}, {"n": ""}, {"n": "Ấp 3"}]
    assert [r["n"] for r in vi_sorted(rows, key=lambda r: r["n"])] == ["", "Ấp 3", "Ấp 12"]
