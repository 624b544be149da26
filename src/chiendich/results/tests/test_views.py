"""The pages: upload (a duplicate refused naming the stored result), search, a result
with its ID number masked until asked (and audited), the file, a scan's check."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from chiendich.accounts.models import AuditEvent
from chiendich.accounts.roles import Role
from chiendich.conftest import COMMUNE_A
from chiendich.results.models import Result, ResultType
from chiendich.units.models import Unit

from .conftest import CITIZEN, StoreFn, pdf_bytes, scan_bytes

pytestmark = pytest.mark.django_db


def form_data(content: bytes, number: str = "123/QĐ-UBND") -> dict:
    return {
        "tep": SimpleUploadedFile("qd.pdf", content, content_type="application/pdf"),
        "don_vi": Unit.objects.get(code=COMMUNE_A).pk,
        "so_ky_hieu": number,
        "ngay_ban_hanh": "2023-09-05",
        "trich_yeu": "Quyết định công nhận quyền sử dụng đất đai xã Đức Hòa",
        "loai": ResultType.objects.get(code="TN.QD").pk,
        "thu_tuc": "MP.TN.01",
        "loai_chu_the": "citizen",
        "so_dinh_danh": CITIZEN,
        "ho_ten": "Đặng Văn Đức",
    }


def test_upload_search_and_a_duplicate_upload(catalogues: None, make_user) -> None:
    client = Client()
    client.force_login(make_user(Role.COMMUNE_OFFICER, COMMUNE_A))
    content = pdf_bytes("QUYẾT ĐỊNH", "Về việc công nhận quyền sử dụng đất đai")
    response = client.post("/ket-qua/tai-len/", form_data(content))
    stored = Result.objects.get()
    assert response.status_code == 302 and response.url == f"/ket-qua/{stored.pk}/"
    page = client.get("/ket-qua/", {"q": "quyet dinh dat dai duc hoa"})
    assert [s.result for s in page.context["rows"]] == [stored]
    html = page.content.decode()
    assert "082******123" in html and CITIZEN not in html
    again = client.post("/ket-qua/tai-len/", form_data(content, number="999/QĐ-UBND"))
    assert again.status_code == 200
    text = again.content.decode()
    assert "123/QĐ-UBND" in text and f"/ket-qua/{stored.pk}/" in text
    assert Result.objects.count() == 1


def test_the_id_number_is_shown_only_when_allowed_and_asked(store: StoreFn, make_user) -> None:
    result = store()
    officer, police = Client(), Client()
    officer.force_login(make_user(Role.COMMUNE_OFFICER, COMMUNE_A))  # no view_personal
    police.force_login(make_user(Role.POLICE_COMMUNE, COMMUNE_A))
    url = f"/ket-qua/{result.pk}/"
    assert CITIZEN not in officer.get(url + "?hien=1").content.decode()
    assert officer.get(url + "?tep=1").status_code == 404
    assert CITIZEN not in police.get(url).content.decode()
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.PERSONAL_DATA_VIEWED).exists()
    assert CITIZEN in police.get(url + "?hien=1").content.decode()
    assert AuditEvent.objects.filter(type=AuditEvent.Type.PERSONAL_DATA_VIEWED).count() == 1
    download = police.get(url + "?tep=1")
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert AuditEvent.objects.filter(type=AuditEvent.Type.PERSONAL_DATA_EXPORTED).count() == 1


def test_an_officer_checks_a_scan_and_revokes(store: StoreFn, make_user) -> None:
    result = store(content=scan_bytes())
    client = Client()
    client.force_login(make_user(Role.COMMUNE_OFFICER, COMMUNE_A))
    url = f"/ket-qua/{result.pk}/"
    client.post(url, {"kiem_tra": "1", "trich_yeu": "Trích lục khai sinh bản sao"})
    result.refresh_from_db()
    assert not result.needs_review and result.title == "Trích lục khai sinh bản sao"
    client.post(url, {"thu_hoi": "1", "ngay_thu_hoi": "2023-10-01", "ly_do": "Cấp sai"})
    result.refresh_from_db()
    assert result.revoked_reason == "Cấp sai"
    viewer = Client()
    viewer.force_login(make_user(Role.PROVINCE_VIEWER, "82"))
    assert viewer.post(url, {"thu_hoi": "1", "ly_do": "x"}).status_code == 404


def test_a_new_version_from_the_page(store: StoreFn, make_user) -> None:
    first = store(type_code="TN.QD", title="Quyết định giao đất")
    client = Client()
    client.force_login(make_user(Role.COMMUNE_OFFICER, COMMUNE_A))
    data = form_data(pdf_bytes("Quyết định sửa đổi"), number="123a/QĐ-UBND")
    data.update(kieu_phien_ban="amendment", ghi_chu="Sửa diện tích")
    response = client.post(f"/ket-qua/tai-len/?thay-the={first.pk}", data)
    assert response.status_code == 302
    newer = Result.objects.get(root=first)
    page = client.get(f"/ket-qua/{newer.pk}/").content.decode()
    assert "Sửa diện tích" in page and first.number_symbol in page
