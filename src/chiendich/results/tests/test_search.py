"""Search ignores case and diacritics, folds đ to d, filters by metadata, finds a
number and symbol exactly, and never shows another unit's results."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from chiendich.accounts.models import User
from chiendich.accounts.roles import Role
from chiendich.conftest import COMMUNE_A, COMMUNE_B
from chiendich.results.models import ResultType
from chiendich.results.selectors import SearchFilters, Validity, result_search
from chiendich.results.services import result_revoke

from .conftest import OTHER_CITIZEN, StoreFn, pdf_bytes, scan_bytes

pytestmark = pytest.mark.django_db

LAND_TITLE = "Quyết định công nhận quyền sử dụng đất đai cho hộ ông Đặng Văn Đức, xã Đức Hòa"


def admin() -> User:
    return User(is_superuser=True, is_active=True)


def found(query: str = "", user: User | None = None, **filters) -> list[int]:
    outcome = result_search(user or admin(), SearchFilters(query=query, **filters))
    return [r.pk for r in [*outcome.exact, *outcome.rows]]


def test_search_without_diacritics_finds_the_vietnamese_title(store: StoreFn) -> None:
    land = store(title=LAND_TITLE, type_code="TN.QD", number="123/QĐ-UBND")
    store(title="Trích lục khai sinh")
    assert found("quyet dinh dat dai duc hoa") == [land.pk]
    # Upper case, with diacritics, and Đ written as D: all the same.
    assert found("QUYẾT ĐỊNH ĐẤT ĐAI ĐỨC HÒA") == [land.pk]
    assert found("dang van duc") == [land.pk]
    # Every word must be there.
    assert found("quyet dinh dat dai duc hoa khai sinh") == []


def test_the_text_layer_of_the_file_is_searched(store: StoreFn) -> None:
    content = pdf_bytes("ỦY BAN NHÂN DÂN", "Về việc chuyển mục đích sử dụng đất trồng lúa")
    result = store(title="Quyết định số 45", content=content, number="45/QĐ")
    assert found("chuyen muc dich trong lua") == [result.pk]


def test_a_number_and_symbol_is_found_exactly(store: StoreFn) -> None:
    land = store(title=LAND_TITLE, number="123/QĐ-UBND")
    store(title="Khác", number="1234/QĐ-UBND", content=pdf_bytes("khác"))
    outcome = result_search(admin(), SearchFilters(query="123/qd-ubnd"))
    assert [r.pk for r in outcome.exact] == [land.pk]


def test_metadata_filters(store: StoreFn) -> None:
    valid = store(issued_on=dt.date(2023, 9, 1))
    expired = store(type_code="TP.HN", issued_on=dt.date(2023, 1, 2), title="Xác nhận hôn nhân")
    revoked = store(issued_on=dt.date(2023, 9, 2))
    result_revoke(acting_user=None, result=revoked, revoked_on=dt.date(2023, 10, 1), reason="hủy")
    other = store(subject_id=OTHER_CITIZEN, issued_on=dt.date(2023, 9, 3))
    scan = store(content=scan_bytes(), issued_on=dt.date(2023, 9, 4))
    assert set(found(validity=Validity.VALID)) == {valid.pk, other.pk, scan.pk}
    assert found(validity=Validity.EXPIRED) == [expired.pk]
    assert found(validity=Validity.REVOKED) == [revoked.pk]
    assert found(subject_id=OTHER_CITIZEN) == [other.pk]
    assert found(needs_review=True) == [scan.pk]
    assert found(result_type=ResultType.objects.get(code="TP.HN")) == [expired.pk]
    assert set(found(issued_from=dt.date(2023, 9, 3), issued_to=dt.date(2023, 9, 4))) == {
        other.pk,
        scan.pk,
    }


def test_a_commune_user_finds_only_their_units_results(store: StoreFn, make_user) -> None:
    own = store(title=LAND_TITLE, unit=COMMUNE_A)
    store(title=LAND_TITLE, unit=COMMUNE_B, content=pdf_bytes("xã B"))
    officer = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    assert found("duc hoa", user=officer) == [own.pk]


def test_the_index_follows_edits_and_rebuilds(store: StoreFn) -> None:
    result = store(title="Giấy phép xây dựng nhà ở", type_code="XD.GP")
    assert found("giay phep xay dung") == [result.pk]
    result.search_text = "hoan toan khac"
    result.save()
    assert found("giay phep xay dung") == []
    assert found("hoan toan khac") == [result.pk]
    call_command("results", "reindex")
    assert found("hoan toan khac") == [result.pk]
    result.delete()
    assert found("hoan toan khac") == []


def test_search_command(store: StoreFn, capsys) -> None:
    store(title=LAND_TITLE, number="123/QĐ-UBND")
    call_command("results", "search", "quyet dinh dat dai duc hoa")
    out = capsys.readouterr().out
    assert "123/QĐ-UBND" in out and "082******123" in out and "082190000123" not in out


def test_pages_of_the_index_and_the_fallback_give_the_same_rows(
    store: StoreFn, make_user, monkeypatch
) -> None:
    from chiendich.results import selectors

    own = [store(title=f"Giấy phép xây dựng số {i}", type_code="XD.GP") for i in range(3)]
    for i in range(6):
        store(title=f"Giấy phép xây dựng khác {i}", type_code="XD.GP", unit=COMMUNE_B)
    officer = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    expected = [r.pk for r in reversed(own)]
    for pages in ((2, 3), (1,), (50,)):
        monkeypatch.setattr(selectors, "PAGES", pages)
        assert found("giay phep xay dung", user=officer) == expected, pages
        outcome = result_search(officer, SearchFilters(query="giay phep"), limit=2)
        assert [r.pk for r in outcome.rows] == expected[:2] and outcome.more
