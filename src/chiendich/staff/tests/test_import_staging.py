"""A real staff import outside any transaction (as the CLI and the web job run it): every
valid row is staged before the transaction (SQLite: ADBC into an attached scratch file;
PostgreSQL: COPY), and the merge inserts, updates and removes exactly what the frames
counted, with the agency keys checked once on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from chiendich.procedures.importing import bulk
from chiendich.staff.importing import staff_import
from chiendich.staff.models import StaffMember
from chiendich.units.models import Unit

from .test_staff import HEADER, agencies, cccd  # noqa: F401 - a fixture


def _write(path: Path, rows: list[tuple[str, str, str, str, str]]) -> Path:
    path.write_text("\n".join([HEADER, *(",".join(r) for r in rows)]) + "\n", "utf-8")
    return path


def _stored() -> list[tuple[str, str, str, str, str]]:
    return sorted(
        (a, i, n, p, c)
        for a, i, n, p, c in StaffMember.objects.values_list(
            "agency__code", "id_number", "full_name", "position", "category"
        )
    )


@pytest.mark.django_db(transaction=True)
def test_a_list_and_its_replacement_outside_a_transaction(
    agencies: dict[str, Unit],  # noqa: F811 - the fixture
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    attached: list[bool] = []
    real = bulk.Stage.put

    def put(self: bulk.Stage, frame: object) -> None:
        attached.append(self.attached)
        real(self, frame)  # type: ignore[arg-type]

    monkeypatch.setattr(bulk.Stage, "put", put)
    rows = [
        (cccd(i), f"Người {i}", "Giáo viên" if i % 2 else "", "GV" if i % 3 else "Công chức", code)
        for i, code in enumerate(["82-SGDDT", "815-CA", "815-THCS1"] * 20)
    ]
    report = staff_import(_write(tmp_path / "ds.csv", rows))
    assert attached and all(a == (connection.vendor == "sqlite") for a in attached)
    assert (report.created, report.updated, report.removed) == (60, 0, 0)
    want = sorted(
        (code, i, n, p, "giao_vien" if c == "GV" else "cong_chuc") for i, n, p, c, code in rows
    )
    assert _stored() == want
    ids = list(StaffMember.objects.order_by("pk").values_list("id_number", flat=True))
    assert ids == [r[0] for r in rows]  # new people take their ids in row order

    # The replacement: every fifth person gone, every seventh renamed, two new.
    kept = [r for i, r in enumerate(rows) if i % 5]
    renamed = {r[0] for i, r in enumerate(kept) if i % 7 == 0}
    second = [(r[0], r[1] + " Mới" if r[0] in renamed else r[1], *r[2:]) for r in kept]
    second += [(cccd(100), "Người mới", "", "CB", "815-CA"), (cccd(0), "Trùng", "", "CB", "815-CA")]
    report = staff_import(_write(tmp_path / "ds-2.csv", second))
    assert report.rows_rejected == 0
    # cccd(0) was at the department, not the police: at 815-CA it is a new person.
    assert (report.created, report.updated, report.unchanged, report.removed) == (
        2,
        len(renamed),
        len(kept) - len(renamed),
        len(rows) - len(kept),
    )
    categories = {"GV": "giao_vien", "Công chức": "cong_chuc", "CB": "can_bo"}
    assert _stored() == sorted((code, i, n, p, categories[c]) for i, n, p, c, code in second)
    # Importing it again changes nothing.
    report = staff_import(_write(tmp_path / "ds-3.csv", second))
    assert (report.created, report.updated, report.removed) == (0, 0, 0)
    assert report.unchanged == len(second)


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_agency_at_once_take_turns(
    agencies: dict[str, Unit],  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    """A second list of the same agency, imported while the first is still writing, waits
    for it, then finds its people stored: unchanged, not counted as created, and not
    refused by the unique constraint (PostgreSQL; SQLite's writers take turns anyway)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL: SQLite's IMMEDIATE transactions take turns already")
    import threading

    from django.db import connections, transaction

    rows = [(cccd(i), f"Người {i}", "", "CB", "815-CA") for i in range(30)]
    path = _write(tmp_path / "ds.csv", rows)
    second: list[object] = []

    def import_again() -> None:
        try:
            second.append(staff_import(path))
        except Exception as error:  # noqa: BLE001 - reported to the test below
            second.append(error)
        finally:
            connections.close_all()

    with transaction.atomic():
        first = staff_import(path)
        assert first.created == 30
        other = threading.Thread(target=import_again)
        other.start()
        other.join(timeout=3)
        assert other.is_alive(), "the second import did not wait for the first"
    other.join(timeout=60)
    assert not other.is_alive()
    (report,) = second
    assert not isinstance(report, Exception), report
    assert (report.created, report.unchanged) == (0, 30)  # type: ignore[attr-defined]
    assert StaffMember.objects.count() == 30
