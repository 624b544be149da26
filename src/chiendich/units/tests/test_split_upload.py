"""Many hamlet assignments at once: the pre-filled template, a good file, a bad file
(errors by row and column, nothing written), and a file that reaches outside the
uploader's units."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from chiendich.accounts.models import AuditEvent
from chiendich.units.lineage import hamlet_assign
from chiendich.units.models import Lineage, Unit

from .conftest import GAO_GIONG, PHU_THUAN_B, client_for

pytestmark = pytest.mark.django_db

TEMPLATE = reverse("units:split-template")
UPLOAD = reverse("units:split-upload")


def read(content: bytes) -> list[dict[str, str]]:
    assert content.startswith("\ufeff".encode())  # Excel needs the BOM for Vietnamese
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def write(rows: list[dict[str, str]], name: str = "gan-ap.csv") -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8-sig"), "text/csv")


def assignments() -> dict[str, str]:
    return dict(
        Lineage.objects.filter(source=Lineage.Source.ASSIGNED).values_list(
            "predecessor__name", "successor__name"
        )
    )


def re_rows(text: str) -> list[tuple[int, str]]:
    """(row, message) of each error the page lists."""
    return [
        (int(row), body)
        for row, body in re.findall(r'<li data-row="(\d+)">(.*?)</li>', text, flags=re.S)
    ]


def test_the_template_lists_the_hamlets_in_scope_and_a_filled_one_assigns_them(
    split, users
) -> None:
    client = client_for(users["admin"])
    response = client.get(TEMPLATE)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = read(response.content)
    assert [(r["Mã xã cũ"], r["Ấp/Khu phố"], r["Mã xã mới"]) for r in rows] == [
        (PHU_THUAN_B, "Ấp Một", ""),
        (PHU_THUAN_B, "Ấp Hai", ""),
        (GAO_GIONG, "Ấp 1", ""),
        (GAO_GIONG, "Ấp 2", ""),
        (GAO_GIONG, "Ấp 3", ""),
        (GAO_GIONG, "Ấp 4", ""),
    ]
    assert rows[2]["Tên xã cũ"] == "Xã Gáo Giồng"
    assert split.phu_cuong.gso_code in rows[2]["Xã mới được chọn"]

    # The officer fills in only "Mã xã mới": the first choice for each.
    for r in rows:
        r["Mã xã mới"] = r["Xã mới được chọn"].split()[0]
    response = client.post(UPLOAD, {"tep": write(rows)})
    assert response.status_code == 302
    first_choice = min(split.phong_my, split.phu_cuong, key=lambda u: u.gso_code)
    done = assignments()
    assert len(done) == 6
    assert {done[f"Ấp {n}"] for n in range(1, 5)} == {first_choice.name}
    assert AuditEvent.objects.filter(type=AuditEvent.Type.HAMLET_ASSIGNED).count() == 6
    assert all(
        e.user == users["admin"]
        for e in AuditEvent.objects.filter(type=AuditEvent.Type.HAMLET_ASSIGNED)
    )
    # The template now carries the assignments: uploading it again changes nothing.
    again = read(client.get(TEMPLATE).content)
    assert {r["Mã xã mới"] for r in again if r["Mã xã cũ"] == GAO_GIONG} == {first_choice.gso_code}
    assert client.post(UPLOAD, {"tep": write(again)}).status_code == 302
    assert AuditEvent.objects.filter(type=AuditEvent.Type.HAMLET_ASSIGNED).count() == 6


def test_a_bad_row_refuses_the_file_naming_row_and_column(split, users) -> None:
    client = client_for(users["admin"])
    rows = [
        {"Mã xã cũ": GAO_GIONG, "Ấp/Khu phố": "Ấp 1", "Mã xã mới": split.phu_cuong.gso_code},
        {"Mã xã cũ": GAO_GIONG, "Ấp/Khu phố": "Ấp 2", "Mã xã mới": "28249"},
        {"Mã xã cũ": GAO_GIONG, "Ấp/Khu phố": "Ấp Chín", "Mã xã mới": split.phong_my.gso_code},
        {"Mã xã cũ": "28249", "Ấp/Khu phố": "Khu phố 1", "Mã xã mới": "28249"},
    ]
    response = client.post(UPLOAD, {"tep": write(rows)})
    assert response.status_code == 400
    text = response.content.decode()
    errors = dict(re_rows(text))
    assert set(errors) == {3, 4, 5}
    assert "“Mã xã mới”" in errors[3] and "Xã Phú Cường" in errors[3]  # the choices
    assert "“Ấp/Khu phố”" in errors[4] and "Ấp Chín" in errors[4]
    assert "“Mã xã cũ”" in errors[5] and "không bị chia" in errors[5]
    assert assignments() == {}
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.HAMLET_ASSIGNED).exists()


def test_not_a_csv_is_refused(split, users) -> None:
    client = client_for(users["admin"])
    upload = SimpleUploadedFile("gan-ap.xlsx", b"PK\x03\x04", "application/octet-stream")
    response = client.post(UPLOAD, {"tep": upload})
    assert response.status_code == 400 and assignments() == {}


def test_a_file_reaching_outside_the_uploaders_units_writes_nothing(split, users) -> None:
    hamlet_assign(split.hamlet("Ấp 3"), split.phong_my, acting_user=users["admin"])
    officer = client_for(users["phu_cuong"])
    # The officer's template holds only Gáo Giồng, the split commune Phú Cường shares.
    rows = read(officer.get(TEMPLATE).content)
    assert {r["Mã xã cũ"] for r in rows} == {GAO_GIONG}
    by_hamlet = {r["Ấp/Khu phố"]: r for r in rows}
    assert by_hamlet["Ấp 3"]["Mã xã mới"] == split.phong_my.gso_code
    by_hamlet["Ấp 1"]["Mã xã mới"] = split.phu_cuong.gso_code  # theirs to claim
    by_hamlet["Ấp 2"]["Mã xã mới"] = split.phong_my.gso_code  # a neighbour's commune
    by_hamlet["Ấp 3"]["Mã xã mới"] = split.phu_cuong.gso_code  # taken from the neighbour
    by_hamlet["Ấp 4"]["Mã xã mới"] = split.phu_cuong.gso_code
    response = officer.post(UPLOAD, {"tep": write(rows)})
    assert response.status_code == 400
    errors = dict(re_rows(response.content.decode()))
    assert set(errors) == {3, 4}  # Ấp 2 and Ấp 3, as the file numbers its rows
    assert "“Mã xã mới”" in errors[3] and "ngoài phạm vi" in errors[3]
    assert "“Ấp/Khu phố”" in errors[4] and "Xã Phong Mỹ" in errors[4]
    assert assignments() == {"Ấp 3": "Xã Phong Mỹ"}
    assert AuditEvent.objects.filter(type=AuditEvent.Type.HAMLET_ASSIGNED).count() == 1

    # Without those two rows, the officer's claims go through.
    del rows[1:3]
    assert officer.post(UPLOAD, {"tep": write(rows)}).status_code == 302
    assert assignments() == {"Ấp 1": "Xã Phú Cường", "Ấp 3": "Xã Phong Mỹ", "Ấp 4": "Xã Phú Cường"}


def test_a_read_only_role_or_another_province_cannot_upload(split, users) -> None:
    rows = [{"Mã xã cũ": GAO_GIONG, "Ấp/Khu phố": "Ấp 1", "Mã xã mới": split.phu_cuong.gso_code}]
    assert client_for(users["viewer"]).post(UPLOAD, {"tep": write(rows)}).status_code == 403
    response = client_for(users["lai_chau"]).post(UPLOAD, {"tep": write(rows)})
    assert response.status_code == 400 and "ngoài phạm vi" in response.content.decode()
    assert assignments() == {}
    # Their template is empty but for its header.
    assert read(client_for(users["lai_chau"]).get(TEMPLATE).content) == []
    assert Unit.objects.get(code="12.2025")  # the other province is loaded
