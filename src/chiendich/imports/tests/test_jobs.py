"""Web imports as jobs: upload, the dry-run check with errors by row, confirm, the
import; the file hash, the unit scope, masking of ID numbers, failures, progress.
Tasks run on the immediate backend here; test_worker.py runs the real one."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from chiendich.accounts.models import AuditEvent
from chiendich.accounts.roles import Role
from chiendich.conftest import COMMUNE_A, COMMUNE_A2, COMMUNE_B
from chiendich.imports import services
from chiendich.imports.models import ImportJob, JobState
from chiendich.imports.progress import ProgressFile
from chiendich.imports.report import mask_numbers
from chiendich.imports.selectors import job_progress
from chiendich.imports.services import ImportJobError, job_confirm
from chiendich.units.models import Unit
from chiendich.vneid.models import Citizen, DailyCount, ImportBatch

from .conftest import BAD_FUTURE, GOOD_1, GOOD_3, PASSWORD, cccd, police_csv, upload, uploaded_file

pytestmark = pytest.mark.django_db


def test_a_file_with_one_bad_row_is_checked_then_imported_on_confirm(officer, counted) -> None:
    job = upload(officer, police_csv(GOOD_1, BAD_FUTURE, GOOD_3))

    assert job.state == JobState.CHECKED
    counts = job.check_report["counts"]
    assert (counts["rows_read"], counts["rows_valid"], counts["rows_rejected"]) == (3, 2, 1)
    assert counts["created"] == 2
    # Row 3 of the sheet (header = row 1), its column and what is wrong with it.
    assert [(e["row"], e["column"], e["problem"]) for e in job.check_report["errors"]] == [
        (3, "Ngày sinh", "ngày sinh ở tương lai")
    ]
    assert job.check_error_file and (job.folder.parent / job.check_error_file).is_file()
    assert job.unit.code == COMMUNE_A and job.uploaded_by == officer
    assert job.path.read_bytes() == police_csv(GOOD_1, BAD_FUTURE, GOOD_3)
    # A check writes nothing.
    assert Citizen.objects.count() == 1
    assert AuditEvent.objects.filter(
        type=services.AUDIT_IMPORT_UPLOADED, object_id=str(job.pk)
    ).exists()

    job = job_confirm(acting_user=officer, job=job)

    assert job.state == JobState.DONE and job.confirmed_by == officer
    assert Citizen.objects.count() == 3
    assert not Citizen.objects.filter(id_number=cccd(1991, 102, female=True)).exists()
    assert job.import_report["counts"]["created"] == 2
    batch = ImportBatch.objects.get(pk=int(job.batch_id))
    assert (job.batch_type, batch.status, batch.citizens_created) == (
        "vneid.importbatch",
        "done",
        2,
    )
    assert AuditEvent.objects.filter(type=services.AUDIT_IMPORT_CONFIRMED, user=officer).exists()
    assert AuditEvent.objects.filter(type=AuditEvent.Type.CITIZENS_IMPORTED, user=officer).exists()
    # The numbers moved with the import: commune A has two more eligible, both activated.
    last = DailyCount.objects.filter(unit__code=COMMUNE_A).order_by("-date").first()
    assert last is not None and last.eligible == 3
    assert (last.activated_l1, last.activated_l2) == (1, 1)


def test_confirming_twice_imports_once(officer) -> None:
    job = upload(officer, police_csv(GOOD_1))
    job_confirm(acting_user=officer, job=job)
    with pytest.raises(ImportJobError):
        job_confirm(acting_user=officer, job=job)
    assert ImportBatch.objects.filter(status="done").count() == 1


def test_a_file_changed_on_disk_after_the_check_is_refused(officer) -> None:
    job = upload(officer, police_csv(GOOD_1))
    job.path.write_bytes(police_csv(GOOD_1, GOOD_3))
    with pytest.raises(ImportJobError, match="bị thay đổi"):
        job_confirm(acting_user=officer, job=job)
    job.refresh_from_db()
    assert job.state == JobState.CHECKED and not Citizen.objects.exists()


def test_a_file_without_a_valid_row_cannot_be_confirmed(officer) -> None:
    job = upload(officer, police_csv(BAD_FUTURE))
    assert job.state == JobState.CHECKED and not job.can_confirm
    with pytest.raises(ImportJobError):
        job_confirm(acting_user=officer, job=job)
    page = _client(officer).get(reverse("imports:job", args=[job.uuid])).content.decode()
    assert 'id="confirm"' not in page


def test_a_file_missing_a_column_fails_naming_it(officer) -> None:
    job = upload(officer, "Họ và tên,Ngày sinh\nA,01/01/1990\n".encode())
    assert job.state == JobState.FAILED
    assert "Số định danh cá nhân" in job.message and "dòng 1" in job.message


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("ds.xls", b"x", "CSV"),
        ("ds.csv", b"", "rỗng"),
        ("ds.pdf", b"%PDF", "CSV"),
    ],
)
def test_files_that_cannot_be_imported_are_refused_at_upload(
    officer, name, content, problem
) -> None:
    with pytest.raises(ImportJobError, match=problem):
        upload(officer, content, name=name)
    assert not ImportJob.objects.exists()


def test_an_unexpected_error_fails_the_job_and_keeps_the_traceback(officer, monkeypatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "kind_service", lambda kind: broken)
    job = upload(officer, police_csv(GOOD_1))
    assert job.state == JobState.FAILED and "unexpected" in job.message
    assert job.task_id  # the task's own result (immediate backend) recorded the failure


def test_rows_of_another_commune_are_rejected_for_a_commune_officer(officer) -> None:
    other = Unit.objects.get(code=COMMUNE_B)
    Citizen.objects.create(
        id_number=cccd(1970, 7),
        full_name="B",
        birth_date="1970-01-01",
        sex="M",
        commune=other,
        unit=other,
    )
    job = upload(
        officer,
        police_csv(
            GOOD_1,
            f"{cccd(1992, 8)},Người Xã Khác,01/01/1992,Nam,{COMMUNE_B},,,,,",
            f"{cccd(1970, 7)},Đã Ở Xã B,01/01/1970,Nam,{COMMUNE_A},,,,,",
        ),
    )
    errors = {(e["row"], e["column"]): e["problem"] for e in job.check_report["errors"]}
    assert "ngoài phạm vi" in errors[(3, "Mã xã")]
    assert "đã có ở đơn vị khác" in errors[(4, "Số định danh cá nhân")]
    assert job.check_report["counts"]["rows_valid"] == 1
    job_confirm(acting_user=officer, job=job)
    assert Citizen.objects.get(id_number=cccd(1970, 7)).unit == other  # not moved


def test_the_command_line_keeps_importing_any_commune(tien_giang, tmp_path) -> None:
    from chiendich.vneid.importing import citizens_import

    path = tmp_path / "ds.csv"
    path.write_bytes(police_csv(f"{cccd(1992, 8)},Người Xã B,01/01/1992,Nam,{COMMUNE_B},,,,,"))
    assert citizens_import(path).created == 1


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_another_communes_officer_gets_404_for_the_job(officer, other_officer, make_user) -> None:
    job = upload(officer, police_csv(GOOD_1, BAD_FUTURE))
    urls = [
        reverse("imports:job", args=[job.uuid]),
        reverse("imports:job", args=[job.uuid]) + "?xuat=loi",
        reverse("imports:job-progress", args=[job.uuid]),
        reverse("imports:job-confirm", args=[job.uuid]),
        reverse("api:imports:job-detail", args=[job.uuid]),
    ]
    stranger = _client(other_officer)
    for url in urls:
        assert stranger.get(url).status_code == 404, url
    assert stranger.post(reverse("imports:job-confirm", args=[job.uuid])).status_code == 404
    assert job.uuid.hex not in stranger.get(reverse("imports:home")).content.decode().replace(
        "-", ""
    )
    # Same district, another ward: also 404. The district above sees it.
    assert _client(make_user(Role.COMMUNE_OFFICER, COMMUNE_A2)).get(urls[0]).status_code == 404
    assert _client(make_user(Role.DISTRICT_OFFICER, "815")).get(urls[0]).status_code == 200
    job.refresh_from_db()
    assert job.state == JobState.CHECKED


def test_a_viewer_sees_the_job_but_may_not_confirm_it(officer, make_user) -> None:
    job = upload(officer, police_csv(GOOD_1))
    viewer = _client(make_user(Role.PROVINCE_VIEWER, "82"))
    assert viewer.get(reverse("imports:job", args=[job.uuid])).status_code == 200
    assert viewer.post(reverse("imports:job-confirm", args=[job.uuid])).status_code == 403
    assert viewer.post(reverse("imports:home"), {"kind": "citizens"}).status_code == 403
    job.refresh_from_db()
    assert job.state == JobState.CHECKED


def test_upload_page_flow(officer, counted) -> None:
    # A man's ID number on a woman's row: the problem names the ID number.
    mismatch = f"{cccd(1993, 104)},Nguyễn Thị Bốn,01/01/1993,Nữ,{COMMUNE_A},,,,,"
    client = _client(officer)
    page = client.get(reverse("imports:home"))
    assert page.status_code == 200 and "citizens" in page.content.decode()
    response = client.post(
        reverse("imports:home"),
        {
            "kind": "citizens",
            "file": uploaded_file(police_csv(GOOD_1, BAD_FUTURE, GOOD_3, mismatch)),
        },
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("imports:job", args=[job.uuid])
    page = client.get(response.url).content.decode()
    assert 'data-row="3"' in page and "ngày sinh ở tương lai" in page
    assert 'id="confirm"' in page
    # The page masks ID numbers even in its error table.
    assert "giới tính không khớp" in page
    assert cccd(1993, 104) not in page and mask_numbers(cccd(1993, 104)) in page
    response = client.post(reverse("imports:job-confirm", args=[job.uuid]))
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert 'id="see-numbers"' in page
    progress = client.get(reverse("imports:job-progress", args=[job.uuid])).json()
    assert progress["state"] == "done" and progress["done"] == 4 and not progress["running"]
    assert client.get(reverse("imports:home")).content.decode().count(job.file_name) == 1


def test_upload_page_shows_a_refused_file_on_the_form(officer) -> None:
    response = _client(officer).post(
        reverse("imports:home"), {"kind": "citizens", "file": uploaded_file(b"x", "ds.xls")}
    )
    assert response.status_code == 200 and "CSV" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_templates_of_every_kind_download(officer) -> None:
    client = _client(officer)
    for kind in ("citizens", "dossiers", "staff"):
        response = client.get(reverse("imports:template", args=[kind]))
        assert response.status_code == 200
        assert openpyxl.load_workbook(io.BytesIO(response.content)).worksheets
    assert client.get(reverse("imports:template", args=["nope"])).status_code == 404


def _sheet_values(content: bytes) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return list(book.worksheets[0].iter_rows(values_only=True))


def test_error_file_is_masked_unless_the_user_may_see_personal_data(officer, make_user) -> None:
    bad_phone = f"{cccd(1990, 201)},Sai Số Máy,01/02/1990,Nam,{COMMUNE_A},,,0912 345,,"
    job = upload(officer, police_csv(bad_phone, BAD_FUTURE))
    url = reverse("imports:job", args=[job.uuid]) + "?xuat=loi"
    exports = AuditEvent.objects.filter(type=AuditEvent.Type.PERSONAL_DATA_EXPORTED)
    before = exports.count()

    masked = b"".join(_client(officer).get(url).streaming_content)  # type: ignore[attr-defined]
    text = repr(_sheet_values(masked))
    assert "ngày sinh ở tương lai" in text and "Số điện thoại" in text
    assert exports.count() == before  # nothing personal left the server

    police = make_user(Role.POLICE_COMMUNE, COMMUNE_A)
    raw = b"".join(_client(police).get(url).streaming_content)  # type: ignore[attr-defined]
    rows = _sheet_values(raw)
    assert [r[:2] for r in rows[1:]] == [(2, "Số điện thoại"), (3, "Ngày sinh")]
    event = exports.latest("id")
    assert (event.user, event.object_id) == (police, str(job.pk))


def test_masking_hides_id_and_phone_numbers() -> None:
    assert mask_numbers("082090000101") == "082******101"
    assert (
        mask_numbers("số định danh 082090000101 (năm 1990)")
        == "số định danh 082******101 (năm 1990)"
    )
    assert mask_numbers("0912 345 678") == "091****678"
    assert mask_numbers("01/02/2991") == "01/02/2991"


def test_progress_survives_a_reload_from_the_progress_file(officer, monkeypatch) -> None:
    job = upload(officer, police_csv(GOOD_1))
    ImportJob.objects.filter(pk=job.pk).update(state=JobState.IMPORTING, rows_done=0)
    job.refresh_from_db()
    monkeypatch.setattr("chiendich.imports.progress.EVERY_SECONDS", 0)
    bar = ProgressFile(job.folder, JobState.IMPORTING, 10_000)
    bar(5_000)
    client = _client(officer)
    for _ in range(2):  # a reload reads the same
        data = client.get(reverse("imports:job-progress", args=[job.uuid])).json()
        assert (data["state"], data["done"], data["total"], data["percent"]) == (
            "importing",
            5000,
            10000,
            50,
        )
    page = client.get(reverse("imports:job", args=[job.uuid])).content.decode()
    assert 'id="bar"' in page and "imports/job.js" in page
    # A stale file of another phase is not this phase's progress.
    ImportJob.objects.filter(pk=job.pk).update(state=JobState.CONFIRMED)
    job.refresh_from_db()
    assert job_progress(job)["done"] == 0


def test_progress_file_writes_at_most_twice_a_second(tmp_path, monkeypatch) -> None:
    clock = iter([0.0, 0.1, 0.2, 0.7, 0.8, 1.3])
    monkeypatch.setattr("chiendich.imports.progress.time.monotonic", lambda: next(clock))
    writes: list[int] = []
    bar = ProgressFile(tmp_path, "checking", 100)  # writes at 0.0
    original = bar._write
    monkeypatch.setattr(bar, "_write", lambda now=None: (writes.append(bar.done), original(now)))
    for done in (10, 20, 30, 40, 50):  # at 0.1, 0.2, 0.7, 0.8, 1.3
        bar(done)
    assert writes == [30, 50]


def test_a_user_with_several_units_picks_one(tien_giang, make_user) -> None:
    user = make_user(Role.COMMUNE_OFFICER, COMMUNE_A, COMMUNE_B)
    with pytest.raises(ImportJobError):
        upload(user, police_csv(GOOD_1))
    job = services.job_upload(
        acting_user=user,
        kind="citizens",
        file_name="a.csv",
        chunks=[police_csv(GOOD_1)],
        unit=Unit.objects.get(code=COMMUNE_B),
    )
    assert job.unit.code == COMMUNE_B
    with pytest.raises(ImportJobError):
        services.job_upload(
            acting_user=user,
            kind="citizens",
            file_name="a.csv",
            chunks=[police_csv(GOOD_1)],
            unit=Unit.objects.get(code=COMMUNE_A2),
        )


def test_file_names_are_kept_but_made_safe(officer) -> None:
    job = upload(officer, police_csv(GOOD_1), name="../../etc/Danh sách ấp 1.CSV")
    assert job.path.parent == job.folder and job.path.name == "Danh_sách_ấp_1.csv"
    assert job.check_report["counts"]["rows_valid"] == 1


def test_login_is_required(officer) -> None:
    job = upload(officer, police_csv(GOOD_1))
    for url in (reverse("imports:home"), reverse("imports:job", args=[job.uuid])):
        response = Client().get(url)
        assert response.status_code == 302 and reverse("login") in response.url


def test_staff_lists_import_through_a_job(tien_giang, make_user) -> None:
    from chiendich.staff.models import StaffMember
    from chiendich.units.models import Kind, Level, UnitType
    from chiendich.units.services import unit_upsert

    school, _ = unit_upsert(
        code="815-THCS1",
        name="Trường THCS Mỹ Tho 1",
        unit_type=UnitType.SCHOOL,
        level=Level.DISTRICT,
        parent=Unit.objects.get(code="815"),
        kind=Kind.ORGANIZATION,
    )
    focal = make_user(Role.AGENCY_FOCAL_POINT, "815-THCS1", password=PASSWORD)
    content = (
        "Số định danh cá nhân,Họ và tên,Chức vụ,Đối tượng,Mã cơ quan\n"
        f"{cccd(1985, 1)},Giáo Viên Một,Giáo viên,Giáo viên,815-THCS1\n"
        f"{cccd(1985, 2)},Giáo Viên Hai,Giáo viên,Không rõ,815-THCS1\n"
    ).encode()
    job = upload(focal, content, name="giao-vien.csv", kind="staff")
    assert [(e["row"], e["column"]) for e in job.check_report["errors"]] == [(3, "Đối tượng")]
    job_confirm(acting_user=focal, job=job)
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.import_report["counts"]["created"] == 1
    assert StaffMember.objects.get().agency == school


def test_a_dossier_export_imports_through_a_job(officer, tmp_path) -> None:
    from chiendich.procedures.catalogue import catalogue_load
    from chiendich.procedures.models import Dossier, DossierImport
    from chiendich.procedures.tests.conftest import CATALOGUE, dossier_row, write_csv

    (tmp_path / "danh-muc.csv").write_text(CATALOGUE, encoding="utf-8")
    catalogue_load(tmp_path / "danh-muc.csv")
    path = write_csv(
        tmp_path / "ho-so.csv",
        [
            dossier_row("HS1", COMMUNE_A, channel=2),
            dossier_row("HS2", COMMUNE_A, channel=5),  # row 3: no such channel
            dossier_row("HS3", COMMUNE_B),  # row 4: another commune's dossier
        ],
    )
    job = upload(officer, path.read_bytes(), name="ho-so.csv", kind="dossiers")
    assert [(e["row"], e["column"]) for e in job.check_report["errors"]] == [
        (3, "Kênh"),
        (4, "Mã đơn vị"),
    ]
    job_confirm(acting_user=officer, job=job)
    job.refresh_from_db()
    assert job.state == JobState.DONE and list(Dossier.objects.values_list("code", flat=True)) == [
        "HS1"
    ]
    assert DossierImport.objects.get(pk=int(job.batch_id)).created == 1
    assert job.batch_type == "procedures.dossierimport"
