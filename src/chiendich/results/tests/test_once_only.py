"""Once-only (R6): a citizen's still-valid results a procedure accepts, an officer's
confirmed reuse logged, and the same through the API with the same scope and audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from chiendich.accounts.models import AuditEvent
from chiendich.accounts.roles import Role
from chiendich.conftest import COMMUNE_A, COMMUNE_B
from chiendich.procedures.models import Procedure
from chiendich.results.models import ResultReuse
from chiendich.results.selectors import once_only_results
from chiendich.results.services import ResultError, result_reuse_confirm, result_revoke

from .conftest import CITIZEN, OTHER_CITIZEN, StoreFn, pdf_bytes

pytestmark = pytest.mark.django_db

MARRIAGE = "MP.TP.03"  # Đăng ký kết hôn: accepts a birth extract and a marital status note


@pytest.fixture
def citizen_results(store: StoreFn):
    """A valid birth extract, an expired and a revoked marital-status note, a result of
    a type the marriage procedure does not accept, and another citizen's result."""
    valid = store(title="Trích lục khai sinh", type_code="TP.KS")
    expired = store(
        title="Giấy xác nhận tình trạng hôn nhân",
        type_code="TP.HN",
        issued_on=dt.date(2023, 2, 1),  # six months: expired on 01/8/2023
    )
    revoked = store(
        title="Giấy xác nhận tình trạng hôn nhân", type_code="TP.HN", issued_on=dt.date(2023, 9, 20)
    )
    result_revoke(acting_user=None, result=revoked, revoked_on=dt.date(2023, 10, 2), reason="sai")
    not_accepted = store(title="Giấy phép xây dựng", type_code="XD.GP")
    other = store(subject_id=OTHER_CITIZEN, title="Trích lục khai sinh")
    other_unit = store(unit=COMMUNE_B, title="Trích lục khai sinh", content=pdf_bytes("xã B"))
    return {
        "valid": valid,
        "expired": expired,
        "revoked": revoked,
        "not_accepted": not_accepted,
        "other": other,
        "other_unit": other_unit,
    }


def test_the_lookup_returns_the_valid_result_only(citizen_results, make_user) -> None:
    officer = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    marriage = Procedure.objects.get(code=MARRIAGE)
    assert once_only_results(officer, CITIZEN, marriage) == [citizen_results["valid"]]
    # Before the revocation and the expiry, all three were valid.
    earlier = once_only_results(officer, CITIZEN, marriage, day=dt.date(2023, 7, 1))
    assert citizen_results["expired"] in earlier
    # A province user also sees the other commune's result; the commune officer does not.
    admin = make_user(Role.PROVINCE_ADMIN, "82")
    assert set(once_only_results(admin, CITIZEN, marriage)) == {
        citizen_results["valid"],
        citizen_results["other_unit"],
    }


def test_a_confirmed_reuse_is_logged(citizen_results, make_user) -> None:
    officer = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    marriage = Procedure.objects.get(code=MARRIAGE)
    reuse = result_reuse_confirm(
        acting_user=officer,
        result=citizen_results["valid"],
        dossier_code="000.00.28249.H58-231018-0001",
        procedure=marriage,
    )
    logged = ResultReuse.objects.get()
    assert logged == reuse
    assert (logged.confirmed_by, logged.dossier_code, logged.result) == (
        officer,
        "000.00.28249.H58-231018-0001",
        citizen_results["valid"],
    )
    assert logged.confirmed_at is not None
    event = AuditEvent.objects.get(type=AuditEvent.Type.RESULT_REUSED)
    assert event.user == officer and event.detail["dossier"] == "000.00.28249.H58-231018-0001"
    # Confirming twice for the same dossier logs it once.
    result_reuse_confirm(
        acting_user=officer,
        result=citizen_results["valid"],
        dossier_code="000.00.28249.H58-231018-0001",
        procedure=marriage,
    )
    assert ResultReuse.objects.count() == 1


@pytest.mark.parametrize("which", ["expired", "revoked", "not_accepted", "other_unit"])
def test_an_unusable_result_cannot_be_reused(citizen_results, make_user, which) -> None:
    officer = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    with pytest.raises(ResultError):
        result_reuse_confirm(
            acting_user=officer,
            result=citizen_results[which],
            dossier_code="HS-1",
            procedure=Procedure.objects.get(code=MARRIAGE),
        )
    assert not ResultReuse.objects.exists()


def test_the_lookup_page_and_confirm(citizen_results, make_user) -> None:
    officer = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    client = Client()
    client.force_login(officer)
    page = client.get("/ket-qua/tra-cuu/", {"so_dinh_danh": CITIZEN, "thu_tuc": MARRIAGE})
    assert page.status_code == 200
    shown = page.context["found"]
    assert shown == [citizen_results["valid"]]
    assert AuditEvent.objects.filter(type=AuditEvent.Type.RESULT_LOOKUP, user=officer).exists()
    response = client.post(
        "/ket-qua/tra-cuu/",
        {
            "so_dinh_danh": CITIZEN,
            "thu_tuc": MARRIAGE,
            "ket_qua": citizen_results["valid"].pk,
            "ma_ho_so": "HS-2023-77",
        },
    )
    assert response.status_code == 302
    assert ResultReuse.objects.get().dossier_code == "HS-2023-77"
    detail = client.get(f"/ket-qua/{citizen_results['valid'].pk}/")
    assert "HS-2023-77" in detail.content.decode()


def test_the_api_lookup_and_reuse(citizen_results, make_user) -> None:
    officer = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    client = Client()
    client.force_login(officer)
    response = client.get("/api/results/once-only/", {"subject_id": CITIZEN, "procedure": MARRIAGE})
    assert response.status_code == 200, response.content
    data = response.json()
    assert [r["id"] for r in data["results"]] == [citizen_results["valid"].pk]
    assert data["results"][0]["valid"] is True
    assert AuditEvent.objects.filter(type=AuditEvent.Type.RESULT_LOOKUP, origin="api").exists()
    response = client.post(
        "/api/results/reuses/",
        {"result": citizen_results["valid"].pk, "dossier_code": "HS-API-1", "procedure": MARRIAGE},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert ResultReuse.objects.get().origin == "api"
    # Another commune's result is refused like one that does not exist.
    response = client.post(
        "/api/results/reuses/",
        {"result": citizen_results["other_unit"].pk, "dossier_code": "X", "procedure": MARRIAGE},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert Client().get("/api/results/once-only/").status_code in (401, 403)
