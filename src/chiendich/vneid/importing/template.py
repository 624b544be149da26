"""The downloadable police-list template: the canonical headers, one example row,
and a sheet explaining each column and the status texts the import accepts."""

from __future__ import annotations

from typing import Any

from chiendich.core import xlsx
from chiendich.units.models import PATH_SEPARATOR, Kind, Level, Unit
from chiendich.units.selectors import example_commune

from .cells import CITIZEN_COLUMNS, STATUS_TEXTS, header, province_prefixes

TEMPLATE_KEYS = [
    "id_number",
    "full_name",
    "birth_date",
    "sex",
    "commune_code",
    "hamlet",
    "household",
    "head_name",
    "address",
    "phone",
    "status",
    "status_date",
]
TEMPLATE_HEADERS = [header(key) for key in TEMPLATE_KEYS]

# A row that passes every check: 082 Tiền Giang, G = 0 (male, 1900s), born 1995.
EXAMPLE_ROW = [
    "082095000123",
    "Nguyễn Văn An",
    "15/03/1995",
    "Nam",
    "28249",
    "Khu phố 1",
    "HK-28249-0001",
    "Nguyễn Văn An",
    "Số 12, tổ 3, Khu phố 1",
    "0912345678",
    "Đã kích hoạt mức 2",
    "01/09/2023",
]


def example_row(commune: Unit | None) -> list[str]:
    """The example row, placed in `commune` (the officer's own, so a copied row is not
    refused as another district's): its code, its first hamlet, a household there, and an
    ID number registered in its province. Without a commune, EXAMPLE_ROW."""
    if commune is None:
        return list(EXAMPLE_ROW)
    code = commune.gso_code or commune.code
    hamlet = (
        Unit.objects.filter(parent=commune, level=Level.HAMLET, kind=Kind.TERRITORIAL)
        .order_by("path")
        .values_list("name", flat=True)
        .first()
    )
    province = commune.path.split(PATH_SEPARATOR)[0].split(".")[0]
    prefix = f"{province:0>3}" if province.isdigit() else ""
    if prefix not in province_prefixes():
        prefix = EXAMPLE_ROW[0][:3]
    row = list(EXAMPLE_ROW)
    row[0] = prefix + EXAMPLE_ROW[0][3:]
    row[4], row[5], row[6] = code, hamlet or "", f"HK-{code}-0001"
    row[8] = f"Số 12, tổ 3, {hamlet}" if hamlet else "Số 12, tổ 3"
    return row


_GUIDE: dict[str, tuple[str, str]] = {
    "id_number": (
        "Bắt buộc",
        "12 chữ số (PPP G YY RRRRRR). Nếu Excel làm mất số 0 ở đầu (82… thay vì 082…), "
        "hệ thống tự thêm lại. Mã tỉnh PPP phải có thật; chữ số G và năm YY phải khớp "
        "với giới tính và năm sinh. Mỗi số chỉ được có một dòng.",
    ),
    "full_name": ("Bắt buộc", "Họ và tên đầy đủ, có dấu, tối đa 120 ký tự."),
    "birth_date": (
        "Bắt buộc",
        "dd/mm/yyyy (hoặc d/m/yyyy), yyyy-mm-dd, hoặc ô ngày của Excel. Ngày trước tháng. "
        "Không ở tương lai, không trước năm 1900.",
    ),
    "sex": ("Bắt buộc", "Nam hoặc Nữ (chấp nhận cả M/F, male/female)."),
    "commune_code": (
        "Bắt buộc (hoặc cột tên xã)",
        "Mã xã/phường/thị trấn theo danh mục của Tổng cục Thống kê, 5 chữ số (ví dụ 28249). "
        "Có thể thay bằng cột “Xã/Phường/Thị trấn” ghi tên; nếu tên trùng ở nhiều huyện "
        "(như “Phường 1”) thì thêm cột “Huyện” hoặc ghi mã xã. Mã xã được hiểu theo "
        "ngày ở cột “Ngày cập nhật” (không có thì theo ngày nhập): từ 01/07/2025 một số "
        "mã dùng cho xã mới (28249 là Phường 5 đến 30/06/2025, là Phường Đạo Thạnh từ "
        "01/07/2025); ghi thêm tên xã để chỉ rõ. Mã xã cũ vẫn nhập được: nhập vào địa "
        "giới hiện nay thì dòng được chuyển sang xã mới theo bảng chuyển đổi.",
    ),
    "hamlet": (
        "Không bắt buộc",
        "Tên ấp/khu phố trong xã (không phân biệt hoa thường, có dấu hay không) hoặc mã ấp. "
        "Ấp phải thuộc xã ở cột “Mã xã”. Để trống thì công dân được gắn với xã. Xã cũ "
        "bị chia cho nhiều xã mới: phải ghi ấp đã được gán cho một xã mới.",
    ),
    "household": (
        "Không bắt buộc",
        "Mã hộ theo sổ hộ khẩu/cơ sở dữ liệu dân cư, tối đa 30 ký tự. Hộ mới được tạo ở xã, ấp của dòng.",
    ),
    "head_name": (
        "Không bắt buộc",
        "Họ và tên chủ hộ của hộ ở cột “Mã hộ”, tối đa 100 ký tự. Tình nguyện viên thấy "
        "tên này trong danh sách đi từng nhà; để trống thì danh sách ghi người lớn tuổi "
        "nhất của hộ. Ghi một lần cho mỗi hộ là đủ; danh sách sau để trống thì giữ tên cũ.",
    ),
    "address": (
        "Không bắt buộc",
        "Địa chỉ thường trú của hộ (số nhà, tổ, đường), tối đa 200 ký tự; cột “Nơi thường "
        "trú” cũng được. Tình nguyện viên thấy địa chỉ này trong danh sách đi từng nhà; để "
        "trống thì ghi ấp và xã. Danh sách sau để trống thì giữ địa chỉ cũ.",
    ),
    "phone": (
        "Không bắt buộc",
        "Số di động Việt Nam; +84, 84, dấu cách, dấu chấm được chấp nhận và chuẩn hóa thành 10 số bắt đầu bằng 0.",
    ),
    "status": (
        "Không bắt buộc",
        "Trạng thái tài khoản định danh điện tử; xem các cách ghi được chấp nhận ở bên dưới. "
        "Có trạng thái thì phải có ngày cập nhật.",
    ),
    "status_date": (
        "Bắt buộc khi có trạng thái",
        "Ngày tài khoản có trạng thái đó; cùng các dạng ngày như cột “Ngày sinh”. Không ở tương lai.",
    ),
}


def citizen_template_xlsx(user: Any = None) -> bytes:
    """The template as xlsx bytes, for the command and for a download view; the example
    row is in the downloading user's commune (see example_commune)."""
    book, guide = xlsx.template_workbook(
        "Danh sách",
        TEMPLATE_HEADERS,
        [example_row(example_commune(user))],
        ["Cột", "Bắt buộc", "Cách ghi", "Tên cột khác được chấp nhận"],
    )
    for key in [*TEMPLATE_KEYS[:5], "commune_name", "district", *TEMPLATE_KEYS[5:]]:
        if key == "commune_name":
            needed, how = (
                "Thay cho “Mã xã”",
                "Tên xã/phường/thị trấn, có hoặc không có chữ “Xã”, “Phường”, “Thị trấn”.",
            )
        elif key == "district":
            needed, how = (
                "Không bắt buộc",
                "Tên huyện/thị xã/thành phố, chỉ dùng để phân biệt các xã trùng tên.",
            )
        else:
            needed, how = _GUIDE[key]
        xlsx.append(guide, [header(key), needed, how, "; ".join(CITIZEN_COLUMNS[key][1:])])
    xlsx.append(guide, [])
    xlsx.append(
        guide,
        [
            "Tên cột không phân biệt hoa thường, có dấu hay không dấu, khoảng trắng "
            "(“so dinh danh ca nhan” cũng được)."
        ],
    )
    xlsx.append(guide, [])
    xlsx.append(
        guide,
        ["Trạng thái", "Các cách ghi được chấp nhận (không phân biệt hoa thường, dấu, dấu phẩy)"],
    )
    for state, texts in STATUS_TEXTS.items():
        xlsx.append(guide, [texts[0], "; ".join([*texts[1:], state.value])])
    return xlsx.template_bytes(book, guide, (26, 24, 80, 50))
