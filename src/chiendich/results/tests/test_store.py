"""Storing a result: the file kept unchanged under its SHA-256, the text layer read,
scans flagged, duplicates refused naming the stored result, versions of one result."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from chiendich.accounts.models import AuditEvent
from chiendich.accounts.roles import Role
from chiendich.conftest import COMMUNE_A, COMMUNE_B
from chiendich.results.models import ChangeKind, Result
from chiendich.results.services import DuplicateResult, ResultError, result_revoke
from chiendich.results.storage import result_storage

from .conftest import StoreFn, pdf_bytes, scan_bytes

pytestmark = pytest.mark.django_db


def test_the_file_is_kept_unchanged_under_its_checksum(store: StoreFn, results_dir: Path) -> None:
    content = pdf_bytes("Quyết định giao đất", "Số 12/QĐ-UBND")
    result = store(content=content, number="12/QĐ-UBND", title="Quyết định giao đất")
    digest = hashlib.sha256(content).hexdigest()
    assert result.sha256 == digest
    on_disk = results_dir / result.file_name
    assert on_disk.read_bytes() == content
    assert result.file_name.startswith(f"{digest[:2]}/{digest[2:4]}/")
    assert result.number_key == "12/qd-ubnd"
    assert result.has_text and not result.needs_review
    assert "Quyết định giao đất" in result.text
    # Nothing of the file is in the database but its checksum and size.
    assert result.size == len(content)
    assert AuditEvent.objects.filter(type=AuditEvent.Type.RESULT_STORED).count() == 1


def test_a_scan_without_text_is_flagged_for_an_officer(store: StoreFn) -> None:
    result = store(content=scan_bytes())
    assert not result.has_text and result.needs_review and result.text == ""
    # Its metadata is still searchable.
    assert "trich luc khai sinh" in result.search_text


def test_a_validity_in_months_sets_the_expiry(store: StoreFn) -> None:
    result = store(type_code="TP.HN", title="Giấy xác nhận tình trạng hôn nhân")
    assert result.valid_until == dt.date(2024, 3, 5)


def test_a_duplicate_file_is_refused_naming_the_existing_result(
    store: StoreFn, results_dir: Path
) -> None:
    content = pdf_bytes("Giấy chứng nhận quyền sử dụng đất", "Số CS 01234")
    first = store(content=content, number="CS01234", title="Giấy chứng nhận QSDĐ")
    files_before = sorted(results_dir.rglob("*.pdf"))
    with pytest.raises(DuplicateResult) as exc:
        store(content=content, number="CS09999", title="Bản khác")
    assert exc.value.existing == first
    message = str(exc.value)
    assert "CS01234" in message and f"kết quả số {first.pk}" in message and "05/09/2023" in message
    assert Result.objects.count() == 1
    assert sorted(results_dir.rglob("*.pdf")) == files_before


def test_the_same_number_and_date_of_a_unit_is_refused(store: StoreFn, results_dir: Path) -> None:
    first = store(number="123/QĐ-UBND")
    with pytest.raises(DuplicateResult) as exc:
        # Typed differently, the same number: "123 / qđ-ubnd".
        store(number="123 / qđ-ubnd", content=pdf_bytes("Một tệp khác hẳn"))
    assert exc.value.existing == first
    assert "123/QĐ-UBND" in str(exc.value)
    # The refused file was not left in storage.
    assert len(list(results_dir.rglob("*.pdf"))) == 1
    # Another unit may use the same number.
    store(number="123/QĐ-UBND", unit=COMMUNE_B, content=pdf_bytes("Xã khác"))


def test_amendments_and_replacements_are_versions_of_one_result(store: StoreFn) -> None:
    original = store(number="5/GCN")
    amended = store(number="5a/GCN", supersedes=original, change_note="sửa tên")
    replaced = store(number="7/GCN", supersedes=amended, change_kind=ChangeKind.REPLACEMENT)
    original.refresh_from_db()
    amended.refresh_from_db()
    assert (amended.root, amended.version, amended.change_kind) == (
        original,
        2,
        ChangeKind.AMENDMENT,
    )
    assert (replaced.root, replaced.version) == (original, 3)
    assert [r.is_current for r in (original, amended, replaced)] == [False, False, True]


def test_a_commune_officer_cannot_store_for_another_commune(store: StoreFn, make_user) -> None:
    officer = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    store(user=officer)
    with pytest.raises(ResultError):
        store(user=officer, unit=COMMUNE_B)


def test_only_pdf_and_images_are_stored(store: StoreFn) -> None:
    with pytest.raises(ResultError):
        store(content=b"PK\x03\x04 a docx renamed to pdf")


def test_revoking_keeps_the_result_and_is_audited(store: StoreFn) -> None:
    result = store()
    with pytest.raises(ResultError):
        result_revoke(acting_user=None, result=result, revoked_on=dt.date(2023, 10, 1), reason="")
    result_revoke(
        acting_user=None, result=result, revoked_on=dt.date(2023, 10, 1), reason="Bản án số 3"
    )
    result.refresh_from_db()
    assert not result.is_valid_on(dt.date(2023, 10, 1))
    assert result.is_valid_on(dt.date(2023, 9, 30))
    assert AuditEvent.objects.filter(type=AuditEvent.Type.RESULT_REVOKED).exists()


def test_storage_is_the_configured_folder(results_dir: Path) -> None:
    assert Path(result_storage().location) == results_dir  # type: ignore[attr-defined]
