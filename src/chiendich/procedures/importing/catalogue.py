"""`chiendich import catalogue FILE`: the procedure catalogue (danh mục TTHC) as a kind
of the import pipeline, from the CLI and the web import page.

A declaration, not a copy of an importer: the columns and their parsers are
procedures/cells.py's (the ones `chiendich procedures load-catalogue` reads), the
cells' rules and the repeated code are declared (imports.pipeline.Cell, Unique), and
only the merge is the kind's own. The pipeline reads, checks, counts, writes the
error file, records the audit and gives the command and the web job.

Reference data is written whole or not at all (`whole_only`), as the catalogue
load does: a file with any rejected row writes nothing, and its error file lists
every problem. Procedures missing from the file are kept (dossiers point at them)
and counted. Only the system or a superuser may load it: it is the province's.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import polars as pl
from django.utils.translation import gettext_lazy as _

from chiendich.accounts.context import acting_as
from chiendich.accounts.models import AuditEvent
from chiendich.accounts.services import audit_event_record
from chiendich.core import xlsx
from chiendich.core.numbers import vn_number
from chiendich.imports import pipeline
from chiendich.imports.pipeline import Cell, PipelineReport, Run, Unique

from ..cells import (
    CATALOGUE_COLUMNS,
    CATALOGUE_REQUIRED,
    catalogue_header,
    parse_flag,
    parse_levels,
    parse_online_level,
)
from ..models import Procedure

AUDIT_CATALOGUE_IMPORTED = AuditEvent.Type.PROCEDURES_LOADED
CODE_MAX = Procedure._meta.get_field("code").max_length or 40
SECTOR_MAX = Procedure._meta.get_field("sector").max_length or 200
FLAGS = ("fee_bearing", "paper_result", "essential_06", "police_service", "uncertain")
FIELDS = ("name", "sector", "levels", "online_level", *FLAGS, "note")


@dataclass
class CatalogueImportReport(PipelineReport):
    """What a catalogue import read, rejected and wrote (or, in a dry run, would write)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    not_in_file: int = 0
    flags: Counter[str] = field(default_factory=Counter)

    def summary_lines(self) -> list[str]:
        n = vn_number
        verb = "sẽ " if self.dry_run else ""
        lines = self.head_lines()
        if self.refused_whole:
            lines.append(
                "Danh mục chỉ được nạp khi mọi dòng hợp lệ: sửa các dòng lỗi rồi nhập lại; "
                "chưa ghi gì vào cơ sở dữ liệu."
            )
        else:
            f = self.flags
            lines += [
                f"Thủ tục {verb}thêm mới: {n(self.created)}; {verb}cập nhật: {n(self.updated)}; "
                f"không đổi: {n(self.unchanged)}; có trong cơ sở dữ liệu nhưng không có trong "
                f"tệp (giữ lại): {n(self.not_in_file)}",
                f"Dịch vụ công thiết yếu Đề án 06: {n(f['essential_06'])}, trong đó ngành Công "
                f"an: {n(f['police_essential'])}; có phí, lệ phí: {n(f['fee_bearing'])}; có kết "
                f"quả giấy: {n(f['paper_result'])}; cần xác minh: {n(f['uncertain'])}",
            ]
        return lines + self.error_line()


def _start(r: Run) -> None:
    user = r.acting_user
    if user is not None and not user.is_superuser:
        pipeline.refuse_file(
            r, "chỉ quản trị hệ thống được nạp danh mục thủ tục hành chính của tỉnh"
        )


def _merge(r: Run, write: bool) -> None:
    """Create or update procedures by code (each through the change log); count the
    flags and the procedures the file leaves out."""
    report: CatalogueImportReport = r.report
    existing = {p.code: p for p in Procedure.objects.all()}
    rows = r.all_valid().drop("_row").iter_rows(named=True)
    with acting_as(r.acting_user, origin="command" if r.acting_user is None else "web"):
        for values in rows:
            code = values.pop("code")
            values["levels"] = list(values["levels"])
            for key in FLAGS:
                report.flags[key] += values[key]
            report.flags["police_essential"] += values["essential_06"] and values["police_service"]
            procedure = existing.pop(code, None)
            if procedure is None:
                report.created += 1
                if write:
                    Procedure(code=code, **values).save()
            elif any(getattr(procedure, k) != v for k, v in values.items()):
                report.updated += 1
                if write:
                    for k, v in values.items():
                        setattr(procedure, k, v)
                    procedure.save()
            else:
                report.unchanged += 1
    report.not_in_file = len(existing)


def _audit(r: Run) -> None:
    report: CatalogueImportReport = r.report
    audit_event_record(
        AUDIT_CATALOGUE_IMPORTED,
        user=r.acting_user,
        **r.audit_fields(),
        created=report.created,
        updated=report.updated,
        not_in_file=report.not_in_file,
    )


def _online_level(text: str) -> str:
    return str(parse_online_level(text).value)


CATALOGUE_KIND = pipeline.Kind(
    name="catalogue",
    help="danh mục thủ tục hành chính của tỉnh (mã TTHC, cấp thực hiện, mức độ trực tuyến)",
    label=_("Catalogue of administrative procedures"),
    allowed=lambda user: bool(user.is_superuser),
    columns=CATALOGUE_COLUMNS,
    required=CATALOGUE_REQUIRED,
    report=CatalogueImportReport,
    cells=(
        Cell(
            "code",
            missing="thiếu mã thủ tục",
            max_length=CODE_MAX,
            too_long="mã dài quá {max} ký tự",
        ),
        Cell("name", missing="thiếu tên thủ tục"),
        Cell("sector", max_length=SECTOR_MAX),
        Cell("levels", parse=parse_levels, dtype=pl.List(pl.String)),
        Cell("online_level", parse=_online_level),
        *(Cell(key, parse=parse_flag, dtype=pl.Boolean) for key in FLAGS),
        Cell("note"),
    ),
    unique=(Unique("code", "trùng mã với dòng {first}"),),
    start=_start,
    merge=_merge,
    audit=_audit,
    template="chiendich.procedures.importing.catalogue.catalogue_template_xlsx",
    personal_data=False,
    whole_only=True,
)
catalogue_import = CATALOGUE_KIND.service()


# --- template ----------------------------------------------------------------------------

EXAMPLE_ROWS = [
    [
        "1.001234",
        "Đăng ký khai sinh",
        "Hộ tịch",
        "Xã",
        "0",
        "1",
        "Toàn trình",
        "1",
        "0",
        "0",
        "",
    ],
    [
        "MP.CA.01",
        "Cấp, đổi, cấp lại thẻ Căn cước công dân",
        "Cấp căn cước công dân",
        "Tỉnh; Huyện",
        "1",
        "1",
        "Một phần",
        "1",
        "1",
        "0",
        "Thu nhận vân tay tại quầy",
    ],
]
_GUIDE: dict[str, tuple[str, str]] = {
    "code": (
        "Bắt buộc",
        f"Mã thủ tục trong danh mục quốc gia, tối đa {CODE_MAX} ký tự; mỗi mã một dòng.",
    ),
    "name": ("Bắt buộc", "Tên thủ tục hành chính."),
    "sector": ("Không bắt buộc", "Lĩnh vực."),
    "levels": ("Bắt buộc", "Tỉnh, Huyện, Xã (một hoặc nhiều, cách nhau bởi dấu ;)."),
    "fee_bearing": ("Bắt buộc", "1 nếu có phí, lệ phí; 0 nếu không."),
    "paper_result": ("Bắt buộc", "1 nếu có kết quả giấy; 0 nếu không."),
    "online_level": ("Bắt buộc", "Toàn trình, Một phần hoặc Không."),
    "essential_06": ("Bắt buộc", "1 nếu là dịch vụ công thiết yếu theo Đề án 06; 0 nếu không."),
    "police_service": ("Bắt buộc", "1 nếu thuộc ngành Công an; 0 nếu không."),
    "uncertain": ("Không bắt buộc", "1 nếu phân loại còn cần xác minh."),
    "note": ("Không bắt buộc", "Ghi chú."),
}


def catalogue_template_xlsx() -> bytes:
    """The catalogue template: canonical headers, example rows, and a guide sheet."""
    keys = list(CATALOGUE_COLUMNS)
    book, guide = xlsx.template_workbook(
        "Danh mục TTHC",
        [catalogue_header(k) for k in keys],
        EXAMPLE_ROWS,
        ["Cột", "Bắt buộc", "Cách ghi"],
    )
    for key in keys:
        need, how = _GUIDE[key]
        xlsx.append(guide, [catalogue_header(key), need, how])
    xlsx.append(
        guide,
        [
            "",
            "",
            "Danh mục chỉ được nạp khi mọi dòng hợp lệ. Thủ tục không có trong tệp được giữ lại.",
        ],
    )
    return xlsx.template_bytes(book, guide, (28, 16, 90))
