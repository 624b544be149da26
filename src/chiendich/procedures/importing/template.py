"""The downloadable dossier-export template: the canonical headers, one example row,
and a sheet explaining each column and the texts the import accepts."""

from __future__ import annotations

from typing import Any

from chiendich.core import xlsx
from chiendich.units.selectors import example_commune

from ..cells import DOSSIER_COLUMNS, STATUS_TEXTS, dossier_header

TEMPLATE_HEADERS = [dossier_header(key) for key in DOSSIER_COLUMNS]

EXAMPLE_ROW = [
    "000.00.28.H57-230915-0001",
    "MP.TP.01",
    "28249",
    "2",
    "15/09/2023",
    "18/09/2023",
    "18/09/2023",
    "Đã giải quyết",
    "1",
    "1",
    "0",
    "0",
    "1",
]

_GUIDE: dict[str, tuple[str, str]] = {
    "code": ("Bắt buộc", "Mã hồ sơ trên hệ thống một cửa; mỗi mã một dòng, tối đa 60 ký tự."),
    "procedure": (
        "Bắt buộc",
        "Mã thủ tục hành chính; phải có trong danh mục đã nạp "
        "(`chiendich procedures load-catalogue`). Thủ tục phải thực hiện ở cấp của đơn vị.",
    ),
    "unit": (
        "Bắt buộc",
        "Đơn vị tiếp nhận: mã GSO của tỉnh, huyện, xã (ví dụ 28249) hoặc mã cơ quan "
        "(ví dụ 82-STP). Cấp của hồ sơ là cấp của đơn vị này. Mã được hiểu theo ngày "
        "tiếp nhận (28249: Phường 5 đến 30/06/2025, Phường Đạo Thạnh từ 01/07/2025); mã "
        "cũ được chuyển sang đơn vị mới khi nhập vào địa giới hiện nay, trừ huyện (không "
        "còn từ 01/07/2025) và xã cũ bị chia cho nhiều xã mới: ghi mã đơn vị mới.",
    ),
    "channel": ("Bắt buộc", "1 trực tiếp, 2 trực tuyến, 3 bưu chính (hoặc ghi chữ)."),
    "received_on": (
        "Bắt buộc",
        "dd/mm/yyyy, yyyy-mm-dd hoặc ô ngày của Excel; giờ phía sau được bỏ qua.",
    ),
    "due_on": ("Không bắt buộc", "Không trước ngày tiếp nhận. Để trống: không tính trễ hạn."),
    "finished_on": (
        "Khi hồ sơ đã kết thúc",
        "Bắt buộc khi trạng thái là đã giải quyết, từ chối hoặc rút hồ sơ; để trống khi "
        "hồ sơ đang giải quyết.",
    ),
    "status": ("Bắt buộc", "Xem các cách ghi được chấp nhận ở bên dưới."),
    "digitized": ("Không bắt buộc", "1 có, 0 hoặc để trống là không."),
    "e_result": ("Không bắt buộc", "1 có; chỉ hồ sơ đã giải quyết mới có kết quả điện tử."),
    "fee": (
        "Không bắt buộc",
        "Số tiền phí, lệ phí (đồng), ví dụ 50000 hoặc 50.000; 0 hoặc trống là được miễn.",
    ),
    "payment": (
        "Không bắt buộc",
        "0 không, 1 trên Cổng Dịch vụ công quốc gia, 2 trên cổng thanh toán của tỉnh; "
        "chỉ khi phí, lệ phí lớn hơn 0.",
    ),
    "reused": (
        "Không bắt buộc",
        "1 khi hồ sơ có ít nhất một thành phần lấy từ dữ liệu đã số hóa.",
    ),
}


def dossier_template_xlsx(user: Any = None) -> bytes:
    """The template as xlsx bytes, for `chiendich import dossiers --template` and downloads;
    the example dossier is received by the downloading user's commune (example_commune)."""
    row = list(EXAMPLE_ROW)
    commune = example_commune(user)
    if commune is not None:
        row[2] = commune.gso_code or commune.code
    book, guide = xlsx.template_workbook(
        "Hồ sơ",
        TEMPLATE_HEADERS,
        [row],
        ["Cột", "Bắt buộc", "Cách ghi", "Tên cột khác được chấp nhận"],
    )
    for key in DOSSIER_COLUMNS:
        needed, how = _GUIDE[key]
        xlsx.append(guide, [dossier_header(key), needed, how, "; ".join(DOSSIER_COLUMNS[key][1:])])
    xlsx.append(guide, [])
    xlsx.append(guide, ["Tên cột không phân biệt hoa thường, có dấu hay không dấu, khoảng trắng."])
    xlsx.append(guide, [])
    xlsx.append(guide, ["Trạng thái", "Các cách ghi được chấp nhận"])
    for status, texts in STATUS_TEXTS.items():
        xlsx.append(guide, [texts[0], "; ".join([*texts[1:], status.value])])
    return xlsx.template_bytes(book, guide, (26, 22, 80, 50))
