"""Simulated results metadata for the benchmark (and any demo that wants a store).

`results_metadata_simulate(n)` writes `n` result rows fast, straight through
the database cursor (files are not needed to measure metadata search and
lookups: each row names a file that does not exist). Titles read like real
decisions and certificates of the loaded communes, subjects are drawn from a
pool of citizens (so a citizen has several results), some results are expired
or revoked by `today`, and every row carries the folded search text the index reads.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import random
import shutil
from collections.abc import Callable
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from chiendich.core import clock
from chiendich.demo.names import GIVEN_FEMALE, GIVEN_MALE, SURNAMES
from chiendich.plans.models import Plan
from chiendich.procedures.indicators import BY_KEY
from chiendich.units.models import Level, Unit

from .documents import number_key, search_text, unit_tokens
from .models import Result, ResultType
from .search import search_index_drop, search_index_ensure, search_index_rebuild
from .services import add_months

DEFAULT_SEED = 383
_ACTIONS = {
    "TP.KS": ("Trích lục khai sinh", "TLKS"),
    "TP.KH": ("Giấy chứng nhận kết hôn", "GCNKH"),
    "TP.HN": ("Giấy xác nhận tình trạng hôn nhân", "XNHN"),
    "TP.LLTP": ("Phiếu lý lịch tư pháp số 1", "LLTP"),
    "CA.CT": ("Giấy xác nhận thông tin về cư trú", "XNCT"),
    "TN.GCN": ("Giấy chứng nhận quyền sử dụng đất thửa số {plot}", "GCN"),
    "TN.QD": (
        "Quyết định về việc giao đất, chuyển mục đích sử dụng đất đai thửa {plot}",
        "QĐ-UBND",
    ),
    "XD.GP": ("Giấy phép xây dựng nhà ở riêng lẻ", "GPXD"),
    "KH.HKD": ("Giấy chứng nhận đăng ký hộ kinh doanh", "GCN-HKD"),
    "GT.GPLX": ("Giấy phép lái xe hạng B2", "GPLX"),
    "GD.VB": ("Bản sao bằng tốt nghiệp trung học phổ thông", "BS"),
}
COLUMNS = (
    "unit_id",
    "number_symbol",
    "number_key",
    "issued_on",
    "title",
    "result_type_id",
    "subject_kind",
    "subject_id",
    "subject_name",
    "valid_until",
    "revoked_on",
    "revoked_reason",
    "source_dossier_code",
    "file_name",
    "original_name",
    "content_type",
    "size",
    "sha256",
    "has_text",
    "needs_review",
    "text",
    "search_text",
    "version",
    "change_kind",
    "change_note",
    "is_current",
    "digitized_at",
)


def _name(rng: random.Random) -> str:
    female = rng.random() < 0.5
    return (
        f"{rng.choice(SURNAMES)} {'Thị' if female else 'Văn'} "
        f"{rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)}"
    )


def results_metadata_simulate(
    n: int,
    *,
    seed: int = DEFAULT_SEED,
    citizens: int | None = None,
    progress: Callable[[int], None] | None = None,
    today: dt.date | None = None,
) -> int:
    """Write `n` simulated results (metadata only), revoked no later than `today`
    (default: the campaign's today). The full-text index is dropped during the load
    and rebuilt once at the end, as a bulk load should."""
    rng = random.Random(seed)  # noqa: S311 - simulation, not secrets
    communes = list(
        Unit.objects.filter(level=Level.COMMUNE, kind="territorial").select_related("parent")
    )
    types = {t.code: t for t in ResultType.objects.filter(code__in=_ACTIONS)}
    codes = list(types)
    pool = citizens or max(n // 3, 1)
    ids = [f"082{rng.randrange(10**9):09d}" for _ in range(pool)]
    names = [_name(rng) for _ in range(pool)]
    today = today or clock.today()
    now = timezone.now()
    table = Result._meta.db_table
    sql = (
        f"INSERT INTO {table} ({', '.join(COLUMNS)}, digitized_by_id, root_id)"  # noqa: S608
        f" VALUES ({', '.join(['%s'] * len(COLUMNS))}, NULL, NULL)"
    )
    search_index_drop()
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        batch = []
        for i in range(n):
            commune = rng.choice(communes)
            code = rng.choice(codes)
            kind = types[code]
            template, symbol = _ACTIONS[code]
            person = rng.randrange(pool)
            issued = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(1750))
            title = template.format(plot=rng.randrange(1, 900))
            district = commune.parent.name if commune.parent else ""
            title = f"{title} cho {names[person]}, {commune.name}, {district}"
            number = f"{i + 1}/{symbol}"
            valid_until = None
            if kind.validity_months:
                valid_until = issued + dt.timedelta(days=30 * kind.validity_months)
            revoked = issued + dt.timedelta(days=200) if rng.random() < 0.02 else None
            sha = hashlib.sha256(f"{seed}-{i}".encode()).hexdigest()
            batch.append(
                (
                    commune.pk,
                    number,
                    number_key(number),
                    issued,
                    title,
                    kind.pk,
                    "citizen",
                    ids[person],
                    names[person],
                    valid_until,
                    revoked if revoked and revoked <= today else None,
                    "hủy" if revoked and revoked <= today else "",
                    f"SIM-{i + 1:07d}",
                    f"{sha[:2]}/{sha[2:4]}/{sha}.pdf",
                    "ket-qua.pdf",
                    "application/pdf",
                    100_000,
                    sha,
                    True,
                    False,
                    "",
                    search_text(title, number, kind.name, commune.name, names[person])
                    + " "
                    + unit_tokens(commune.path),
                    1,
                    "original",
                    "",
                    True,
                    now,
                )
            )
            if len(batch) == 10_000:
                cursor.executemany(sql, batch)
                written += len(batch)
                batch.clear()
                if progress is not None:
                    progress(written)
        if batch:
            cursor.executemany(sql, batch)
            written += len(batch)
    search_index_ensure()
    search_index_rebuild()
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")  # a bulk load leaves the planner's statistics stale
    return written


def results_demo_simulate(
    work_dir: Path, *, plan: Plan, scale: float, until: dt.date, seed: int = DEFAULT_SEED
) -> dict[str, int]:
    """The demo's results store, through the real bulk import: a small PDF (with a
    text layer) per result and a `danh-sach.csv`, for some dossiers resolved from the
    plan's storing date (the applies_from of its once-only target: 01/9/2023 in Plan
    383) to `until` by procedures that issue a
    known result type, each naming a citizen of the dossier's commune. A few hundred to a thousand results: the store starts
    small, so the coverage indicator shows how far digitization has to go.

    Skipped when the store already holds results (a rebuild changes nothing).
    """
    from chiendich.procedures.models import Dossier, DossierStatus
    from chiendich.vneid.models import Citizen

    from .catalogue import result_types_load
    from .importing import results_import

    result_types_load()
    if Result.objects.exists():
        return {"stored": 0, "skipped": 1}
    rng = random.Random(seed)  # noqa: S311 - simulation, not secrets
    issued_by = {
        t.procedure.code: t
        for t in ResultType.objects.select_related("procedure").exclude(procedure=None)
        if t.procedure is not None
    }
    wanted = max(200, min(1000, int(1000 * scale)))
    # From the day the plan asks results to be stored (II.1.đ: the target's applies_from).
    target_key = BY_KEY["result_store_coverage"].target_key
    since = (
        plan.targets.filter(indicator=target_key, applies_from__isnull=False)
        .order_by("applies_from")
        .values_list("applies_from", flat=True)
        .first()
    )
    dossiers = list(
        Dossier.objects.filter(
            status=DossierStatus.RESOLVED,
            finished_on__gte=since or until,
            finished_on__lte=until,
            procedure__code__in=list(issued_by),
        )
        .select_related("procedure", "unit")
        .order_by("code")[: wanted * 20]
    )
    rng.shuffle(dossiers)
    folder = work_dir / "ket-qua-so-hoa"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    people: dict[int, list[tuple[str, str]]] = {}
    rows: list[list[str]] = []
    for dossier in dossiers:
        finished = dossier.finished_on
        if len(rows) >= wanted:
            break
        if finished is None:
            continue
        commune_id = dossier.unit_id
        if commune_id not in people:
            # By the indexed lowest unit (the commune's hamlets, or the commune itself):
            # citizens carry no index on their commune.
            places = [
                commune_id,
                *Unit.objects.filter(parent_id=commune_id).values_list("pk", flat=True),
            ]
            people[commune_id] = list(
                Citizen.objects.filter(unit_id__in=places).values_list("id_number", "full_name")[
                    :200
                ]
            )
        if not people[commune_id]:
            continue
        id_number, name = rng.choice(people[commune_id])
        kind = issued_by[dossier.procedure.code]
        template, symbol = _ACTIONS.get(kind.code, (kind.name, "GCN"))
        title = f"{template.format(plot=rng.randrange(1, 900))} cho {name}, {dossier.unit.name}"
        number = f"{len(rows) + 1}/{symbol}"
        file_name = f"{len(rows) + 1:05d}.pdf"
        _demo_pdf(folder / file_name, title, number, finished)
        valid_until = add_months(finished, kind.validity_months) if kind.validity_months else None
        rows.append(
            [
                file_name, dossier.unit.code, number, f"{finished:%d/%m/%Y}", title,
                kind.code, dossier.procedure.code, id_number, name,
                f"{valid_until:%d/%m/%Y}" if valid_until else "", dossier.code,
            ]
        )  # fmt: skip
    with (folder / "danh-sach.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            [
                "Tệp", "Mã cơ quan ban hành", "Số ký hiệu", "Ngày ban hành", "Trích yếu",
                "Mã loại kết quả", "Mã TTHC", "Số định danh", "Họ và tên", "Hiệu lực đến",
                "Mã hồ sơ",
            ]
        )  # fmt: skip
        writer.writerows(rows)
    report = results_import(folder)
    if report.error_count:
        raise RuntimeError(f"demo results refused: {report.errors[:3]}")
    return {"stored": report.created, "skipped": 0}


def _demo_pdf(path: Path, title: str, number: str, day: dt.date) -> None:
    """A one-page result with a text layer (so search and text extraction have work)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from chiendich.core.pdf import register_serif_fonts

    regular, bold, _italic = register_serif_fonts()
    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=True)
    pdf.setFont(bold, 13)
    pdf.drawString(72, 760, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    pdf.setFont(regular, 12)
    pdf.drawString(72, 730, f"Số: {number} — ngày {day:%d/%m/%Y}")
    pdf.drawString(72, 700, title[:95])
    pdf.save()
