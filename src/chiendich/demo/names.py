"""Vietnamese personal names for the simulated population, with rough frequencies.

Family names follow the southern spelling (Huỳnh, Võ rather than Hoàng, Vũ),
as in the Mekong Delta. Weights are relative, from common knowledge of how
often each name occurs, not from a census. Every string is NFC.
"""

from __future__ import annotations

import unicodedata


def _nfc(words: str) -> list[str]:
    return list(dict.fromkeys(unicodedata.normalize("NFC", w) for w in words.split()))


def _weighted(pairs: str) -> tuple[list[str], list[float]]:
    """ "Nguyễn:31 Trần:11" -> (["Nguyễn", "Trần"], [31.0, 11.0])."""
    names, weights = [], []
    for pair in pairs.split():
        name, weight = pair.split(":")
        names.append(unicodedata.normalize("NFC", name))
        weights.append(float(weight))
    return names, weights


# Họ (family names) and how common they are in the south.
SURNAMES, SURNAME_WEIGHTS = _weighted(
    "Nguyễn:31 Trần:11 Lê:9.5 Phạm:6 Huỳnh:5.5 Võ:5 Phan:4.5 Trương:2.2 Bùi:2 Đặng:2"
    " Đỗ:1.6 Ngô:1.6 Hồ:1.5 Dương:1.2 Đinh:1 Lý:0.9 Mai:0.8 Cao:0.7 Lâm:0.7 Tạ:0.5"
    " Châu:0.6 Thái:0.5 Tô:0.5 Lưu:0.5 Đoàn:0.6 Hà:0.4 Quách:0.3 Kiều:0.2 Từ:0.3"
    " La:0.3 Tăng:0.3 Văn:0.2 Triệu:0.2 Nhan:0.1 Hoàng:0.6 Vũ:0.4 Lương:0.5 Trịnh:0.4"
)

# Tên đệm (middle names). Văn and Thị dominate older generations; the weights
# for people born after 1985 are in *_YOUNG.
MIDDLE_MALE, MIDDLE_MALE_WEIGHTS = _weighted(
    "Văn:60 Hữu:6 Minh:6 Thanh:5 Quốc:4 Công:3 Ngọc:3 Tấn:3 Hoàng:2 Đức:2 Thành:2"
    " Trọng:1.5 Phước:1.5 Chí:1.5 Hoài:1 Thiện:1 Duy:1 Nhật:1 Gia:1 Anh:1 Tuấn:1"
)
MIDDLE_MALE_YOUNG_WEIGHTS = [
    22 if name == "Văn" else w * 1.6
    for name, w in zip(MIDDLE_MALE, MIDDLE_MALE_WEIGHTS, strict=True)
]
MIDDLE_FEMALE, MIDDLE_FEMALE_WEIGHTS = _weighted(
    "Thị:62 Ngọc:7 Thanh:4 Kim:4 Thu:3 Mỹ:3 Bích:2 Hồng:2 Thúy:2 Phương:1.5 Như:1.5"
    " Minh:1.5 Diễm:1 Cẩm:1.5 Tuyết:1 Hoàng:1 Bảo:1 Yến:1 Quỳnh:1 Khánh:1 Huỳnh:0.5"
)
MIDDLE_FEMALE_YOUNG_WEIGHTS = [
    24 if name == "Thị" else w * 1.8
    for name, w in zip(MIDDLE_FEMALE, MIDDLE_FEMALE_WEIGHTS, strict=True)
]

# Tên (given names).
GIVEN_MALE = _nfc(
    "An Anh Bảo Bình Bửu Cảnh Cường Chiến Chính Công Danh Dũng Duy Dương Đạt Đạo Điền Định"
    " Đông Đức Em Giang Hải Hào Hậu Hiền Hiếu Hiệp Hòa Hoàng Hùng Huy Hưng Khải Khang Khánh"
    " Khoa Kiên Kiệt Lâm Lễ Liêm Linh Lộc Lợi Long Luân Lực Mạnh Minh Nam Nghĩa Nghiệp"
    " Nguyên Nhân Nhật Nhựt Phát Phong Phú Phúc Phước Phương Quang Quân Quốc Quý Sang Sơn"
    " Tài Tâm Tân Tấn Thái Thành Thạnh Thắng Thanh Thiện Thịnh Thọ Thông Thuận Tiến Tín Toàn"
    " Trí Triều Trọng Trung Trường Tú Tuấn Tùng Tường Út Việt Vinh Vĩnh Vũ Xuân"
    " Đảm Được Kha Hiển Hữu Mến Nhàn Sáng Thơm Tươi Đời Của Sĩ Sử Thiệt Hên"
)
GIVEN_FEMALE = _nfc(
    "An Anh Ánh Bé Bích Cúc Chi Châu Diễm Diệp Dung Duyên Đào Điệp Giang Hà Hạnh Hằng Hân"
    " Hiền Hoa Hòa Hồng Huệ Hương Hường Huyền Kiều Kim Lài Lan Liên Liễu Linh Loan Lụa Mai"
    " Mến My Mỹ Nga Ngân Ngọc Nguyệt Nhàn Nhi Nhung Như Nương Oanh Phấn Phượng Phương Quyên"
    " Sen Sương Tâm Thảo Thắm Thanh Thảo Thơ Thoa Thu Thủy Thúy Thư Thương Tiên Trang Trâm"
    " Trinh Trúc Tuyền Tuyết Uyên Vân Vi Việt Xuân Yến Út"
    " Kiều Diệu Mơ Mận Lành Nở Thanh Tươi Ly Vy Hậu Lệ Gấm Nhị Đậm"
)
