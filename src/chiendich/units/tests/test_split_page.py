"""The split-communes page: who sees which split commune, assigning hamlets one by one,
and who may write. Xã Gáo Giồng (30079, old Đồng Tháp) went to Xã Phú Cường and Xã
Phong Mỹ; Xã Phú Thuận B (29995) and Xã Tân Thạnh (30157) are split too."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from chiendich.accounts.models import AuditEvent
from chiendich.units.lineage import hamlet_assign
from chiendich.units.models import Lineage, Unit

from .conftest import GAO_GIONG, PHU_THUAN_B, TAN_THANH, client_for

pytestmark = pytest.mark.django_db

LIST = reverse("units:split-list")


def detail(code: str = GAO_GIONG) -> str:
    return reverse("units:split-detail", args=[code])


def assign_url(code: str = GAO_GIONG) -> str:
    """The commune's page: its forms post there, `viec=gan` for an assignment."""
    return detail(code)


def progress(text: str, code: str) -> tuple[int, int]:
    """(assigned, total) of one split commune's card."""
    card = text[text.index(f'id="xa-{code}"') :]
    found = re.search(r'data-assigned="(\d+)" data-total="(\d+)"', card)
    assert found, card[:500]
    return int(found[1]), int(found[2])


def assigned_to(text: str, hamlet: Unit) -> str:
    found = re.search(rf'id="ap-{re.escape(hamlet.code)}" data-assigned-to="([^"]*)"', text)
    assert found, hamlet.code
    return found[1]


def test_a_province_user_sees_the_old_communes_that_were_split(split, users) -> None:
    text = client_for(users["admin"]).get(LIST).content.decode()
    for code, name in [
        (GAO_GIONG, "Xã Gáo Giồng"),
        (PHU_THUAN_B, "Xã Phú Thuận B"),
        (TAN_THANH, "Xã Tân Thạnh"),
    ]:
        assert f'id="xa-{code}"' in text and name in text
    # Each with its new communes (from the conversion table) and its hamlets.
    assert "Xã Phú Cường" in text and "Xã Phong Mỹ" in text
    assert progress(text, GAO_GIONG) == (0, 4)
    assert progress(text, PHU_THUAN_B) == (0, 2)
    assert progress(text, TAN_THANH) == (0, 0)
    assert text.count('name="xa_moi"') == 6  # a control per hamlet
    # Only split communes: a commune that went whole to one new commune is not listed.
    assert 'id="xa-28249"' not in text


def test_assigning_a_hamlet_by_post_is_audited_and_shown(split, users) -> None:
    admin = users["admin"]
    client = client_for(admin)
    first = split.hamlet("Ấp 1")
    response = client.post(
        assign_url(),
        {"viec": "gan", "ap": first.code, "xa_moi": split.phu_cuong.code, "tiep": LIST},
    )
    assert response.status_code == 302 and response["Location"] == f"{LIST}#ap-{first.code}"
    link = Lineage.objects.get(predecessor=first, source=Lineage.Source.ASSIGNED)
    assert (link.successor, link.assigned_by) == (split.phu_cuong, admin)
    first.refresh_from_db()
    assert first.successor_path == split.phu_cuong.path
    event = AuditEvent.objects.get(type=AuditEvent.Type.HAMLET_ASSIGNED)
    assert event.user == admin and event.detail["after"] == split.phu_cuong.code

    text = client.get(detail()).content.decode()
    assert progress(text, GAO_GIONG) == (1, 4)
    assert assigned_to(text, first) == split.phu_cuong.code
    when = link.assigned_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert f"{admin}, {when:%d/%m/%Y %H:%M}" in text  # who and when, dd/mm/yyyy

    # Taking it back: unassigned again, counted for the province only.
    client.post(assign_url(), {"viec": "gan", "ap": first.code, "xa_moi": ""})
    first.refresh_from_db()
    assert first.successor_path == "82.2025/"
    assert not Lineage.objects.filter(predecessor=first).exists()
    assert AuditEvent.objects.filter(type=AuditEvent.Type.HAMLET_ASSIGNED).count() == 2


def test_a_hamlet_or_commune_not_of_that_split_commune_answers_404(split, users) -> None:
    client = client_for(users["admin"])
    other = Unit.objects.get(parent__code=PHU_THUAN_B, name="Ấp Một")
    assert (
        client.post(assign_url(), {"viec": "gan", "ap": other.code, "xa_moi": ""}).status_code
        == 404
    )
    not_a_candidate = Unit.objects.get(code="28249.2025")
    first = split.hamlet("Ấp 1")
    response = client.post(
        assign_url(), {"viec": "gan", "ap": first.code, "xa_moi": not_a_candidate.code}
    )
    assert response.status_code == 404
    assert client.get(detail("28249")).status_code == 404  # not split
    assert client.post(assign_url(), {"viec": "xoa", "ap": first.code}).status_code == 404
    assert not Lineage.objects.filter(source=Lineage.Source.ASSIGNED).exists()


def test_a_read_only_role_reads_but_cannot_assign(split, users) -> None:
    client = client_for(users["viewer"])
    text = client.get(LIST).content.decode()
    assert 'id="xa-30079"' in text and 'name="xa_moi"' not in text
    assert 'action="/don-vi/chia-tach/tai-len/"' not in text
    first = split.hamlet("Ấp 1")
    response = client.post(
        assign_url(), {"viec": "gan", "ap": first.code, "xa_moi": split.phu_cuong.code}
    )
    assert response.status_code == 403
    assert not Lineage.objects.filter(source=Lineage.Source.ASSIGNED).exists()
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.HAMLET_ASSIGNED).exists()


def test_another_province_gets_404(split, users) -> None:
    first = split.hamlet("Ấp 1")
    for name in ("lai_chau", "old_tien_giang"):
        client = client_for(users[name])
        text = client.get(LIST).content.decode()
        assert 'id="no-split"' in text and "Gáo Giồng" not in text
        assert client.get(detail()).status_code == 404
        response = client.post(
            assign_url(), {"viec": "gan", "ap": first.code, "xa_moi": split.phu_cuong.code}
        )
        assert response.status_code == 404
    assert not Lineage.objects.filter(source=Lineage.Source.ASSIGNED).exists()


def test_a_commune_officer_claims_hamlets_for_their_commune_only(split, users) -> None:
    officer = client_for(users["phu_cuong"])
    text = officer.get(LIST).content.decode()
    # Gáo Giồng sent part of itself to Phú Cường; the other split communes did not.
    assert 'id="xa-30079"' in text and f'id="xa-{PHU_THUAN_B}"' not in text
    assert officer.get(detail(PHU_THUAN_B)).status_code == 404
    options = set(re.findall(r"<option value=\"([^\"]+)\"", text)) - {"vi", "en"}  # languages
    assert options == {split.phu_cuong.code}

    first, second, third = (split.hamlet(f"Ấp {n}") for n in (1, 2, 3))
    ok = officer.post(
        assign_url(), {"viec": "gan", "ap": first.code, "xa_moi": split.phu_cuong.code}
    )
    assert ok.status_code == 302
    assert officer.post(
        assign_url(), {"viec": "gan", "ap": second.code, "xa_moi": split.phong_my.code}
    ).status_code == (403)
    # A hamlet the province gave Phong Mỹ is not the officer's to take.
    hamlet_assign(third, split.phong_my, acting_user=users["admin"])
    taken = officer.post(
        assign_url(), {"viec": "gan", "ap": third.code, "xa_moi": split.phu_cuong.code}
    )
    assert taken.status_code == 403
    text = officer.get(detail()).content.decode()
    assert assigned_to(text, third) == split.phong_my.code
    assert f'id="ap-{third.code}"' in text
    third_row = text[text.index(f'id="ap-{third.code}"') :].split("</li>")[0]
    assert 'name="xa_moi"' not in third_row
    # Handing its own hamlet back is allowed.
    assert (
        officer.post(assign_url(), {"viec": "gan", "ap": first.code, "xa_moi": ""}).status_code
        == 302
    )
    assert dict(
        Lineage.objects.filter(source=Lineage.Source.ASSIGNED).values_list(
            "predecessor__name", "successor__name"
        )
    ) == {"Ấp 3": "Xã Phong Mỹ"}


def test_a_volunteer_records_visits_not_the_unit_tree(split, users) -> None:
    client = client_for(users["volunteer"])
    assert 'name="xa_moi"' not in client.get(LIST).content.decode()
    first = split.hamlet("Ấp 1")
    response = client.post(
        assign_url(), {"viec": "gan", "ap": first.code, "xa_moi": split.phu_cuong.code}
    )
    assert response.status_code == 403


def test_unit_pages_and_the_navigation_link_to_the_page(split, users) -> None:
    client = client_for(users["admin"])
    home = client.get(reverse("web:home")).content.decode()
    assert f'href="{LIST}"' in home
    province = client.get(reverse("web:unit-detail", args=["82.2025"])).content.decode()
    assert f'href="{LIST}?don-vi=82.2025"' in province
    commune = client.get(reverse("web:unit-detail", args=[split.phu_cuong.code])).content.decode()
    assert f'href="{LIST}?don-vi={split.phu_cuong.code}"' in commune
    # Phường Đạo Thạnh was formed from three whole communes: nothing to assign.
    whole = client.get(reverse("web:unit-detail", args=["28249.2025"])).content.decode()
    assert 'id="split-link"' not in whole

    focused = client.get(LIST, {"don-vi": split.phu_cuong.code}).content.decode()
    assert 'id="xa-30079"' in focused and f'id="xa-{PHU_THUAN_B}"' not in focused
    other = client_for(users["lai_chau"])
    assert other.get(LIST, {"don-vi": split.phu_cuong.code}).status_code == 404


def test_every_link_of_the_pages_resolves(split, users) -> None:
    client = client_for(users["admin"])
    seen: set[str] = set()
    queue = [LIST, detail()]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code == 200, url
        if response["Content-Type"].startswith("text/html") and url.startswith("/don-vi/chia"):
            for href in re.findall(r'href="(/[^"#]*)', response.content.decode()):
                href = href.replace("&amp;", "&")
                if not href.startswith(("/static/", "/dang-xuat")):
                    queue.append(href)
    assert len(seen) > 5
