"""The demo province's hamlets and organizations, written as the CSV files an officer
would import (units.services.hamlets_import, organizations_import).

Everything is read from the unit tree in force on the plan's days: the 2023 tree
(Tiền Giang: districts and 164 communes) or today's (Đồng Tháp: 102 communes
under the province). Codes are written as documents write them (GSO codes), so
the importers read them as of that day. Deterministic: the same tree gives the
same files.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from django.db.models import Count

from chiendich.units.models import Kind, Level, Lineage, Unit, UnitType

DATA = Path(__file__).parent / "data"

# Words that Mekong Delta hamlet names are made of ("Ấp Mỹ Lợi", "Ấp Tân Thạnh").
_FIRST = ["Bình", "Tân", "Mỹ", "Hòa", "Long", "Phú", "Thạnh", "An", "Hậu", "Phước", "Vĩnh", "Thới", "Hưng", "Lợi", "Quý", "Đông", "Tây", "Trung", "Hiệp", "Nhơn"]  # fmt: skip
_SECOND = ["Hòa", "Thạnh", "Lợi", "Phú", "Long", "An", "Thuận", "Hưng", "Quới", "Lộc", "Trinh", "Hiệp", "Phong", "Nhơn", "Điền", "Khương", "Đức", "Mỹ", "Hội", "Tân"]  # fmt: skip
_URBAN = (UnitType.WARD, UnitType.TOWNSHIP)

# The provincial bodies of a province under the two-level government (since 2025, after
# the departments were merged: Sở Khoa học và Công nghệ took over Sở Thông tin và Truyền
# thông, Sở Xây dựng took Giao thông vận tải, Sở Nông nghiệp và Môi trường took Tài nguyên
# và Môi trường). Code suffix, name ({province} = the province's name without "Tỉnh"),
# type. Used for a province that has no organizations file of its own (data/).
PROVINCE_BODIES = [
    ("UBND", "Ủy ban nhân dân tỉnh {province}", UnitType.PEOPLES_COMMITTEE),
    ("VPUBND", "Văn phòng Ủy ban nhân dân tỉnh", UnitType.DEPARTMENT),
    ("TTPVHCC", "Trung tâm Phục vụ hành chính công tỉnh", UnitType.DEPARTMENT),
    ("CA", "Công an tỉnh {province}", UnitType.POLICE),
    ("CA-PC06", "Phòng Cảnh sát Quản lý hành chính về trật tự xã hội", UnitType.POLICE),
    ("SKHCN", "Sở Khoa học và Công nghệ", UnitType.DEPARTMENT),
    ("SNV", "Sở Nội vụ", UnitType.DEPARTMENT),
    ("STP", "Sở Tư pháp", UnitType.DEPARTMENT),
    ("STC", "Sở Tài chính", UnitType.DEPARTMENT),
    ("SCT", "Sở Công Thương", UnitType.DEPARTMENT),
    ("SXD", "Sở Xây dựng", UnitType.DEPARTMENT),
    ("SNNMT", "Sở Nông nghiệp và Môi trường", UnitType.DEPARTMENT),
    ("SGDDT", "Sở Giáo dục và Đào tạo", UnitType.DEPARTMENT),
    ("SYT", "Sở Y tế", UnitType.DEPARTMENT),
    ("SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch", UnitType.DEPARTMENT),
    ("BQLKCN", "Ban Quản lý các Khu công nghiệp tỉnh", UnitType.DEPARTMENT),
    ("MTTQ", "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh", UnitType.MASS_ORGANIZATION),
    ("DTN", "Tỉnh Đoàn {province}", UnitType.MASS_ORGANIZATION),
    ("HLHPN", "Hội Liên hiệp Phụ nữ tỉnh", UnitType.MASS_ORGANIZATION),
    ("HCCB", "Hội Cựu chiến binh tỉnh", UnitType.MASS_ORGANIZATION),
    ("LDLD", "Liên đoàn Lao động tỉnh", UnitType.MASS_ORGANIZATION),
    ("BPTTH", "Báo và Phát thanh, Truyền hình {province}", UnitType.OTHER_ORGANIZATION),
]
# The department that leads digital transformation: the demo's agency focal point.
FOCAL_AGENCY = "SKHCN"
SCHOOL_EVERY = 3  # a provincial high school in every ward and one xã in this many
ORGANIZATION_HEADER = ["Mã đơn vị", "Tên đơn vị", "Loại", "Cấp", "Mã đơn vị hành chính"]


def _lower_first(name: str) -> str:
    return f"{name[0].lower()}{name[1:]}"


def short_name(unit: Unit) -> str:
    """The name without its type word: "Đạo Thạnh" for "Phường Đạo Thạnh"."""
    for word in ("Thị trấn ", "Đặc khu ", "Phường ", "Xã ", "Tỉnh ", "Thành phố "):
        if unit.name.startswith(word):
            return unit.name[len(word) :]
    return unit.name


def communes(province: Unit) -> list[Unit]:
    """The province's communes, in code order."""
    return list(
        Unit.objects.subtree(province)
        .filter(kind=Kind.TERRITORIAL, level=Level.COMMUNE)
        .order_by("gso_code", "code")
    )


def _predecessors(units: list[Unit]) -> dict[int, int]:
    """How many communes of an earlier tree each of `units` was formed from (0: none)."""
    return dict(
        Lineage.objects.filter(
            successor__in=units, source=Lineage.Source.GSO, predecessor__level=Level.COMMUNE
        )
        .values("successor_id")
        .annotate(n=Count("predecessor_id"))
        .values_list("successor_id", "n")
    )


def hamlet_names(commune: Unit, predecessors: int = 0) -> list[str]:
    """Hamlet names for `commune`, the same every time for the same unit: 5–12 for a
    commune of the 2023 tree, as many again for each commune a 2025 commune was formed from."""
    seed: int | str = int(commune.code) if commune.code.isdigit() else commune.code
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    count = sum(rng.randint(5, 12) for _ in range(max(predecessors, 1)))
    if commune.type in _URBAN:
        return [f"Khu phố {n}" for n in range(1, count + 1)]
    names: list[str] = []
    while len(names) < count:
        if rng.random() < 0.15:
            name = f"Ấp {len(names) + 1}"
        else:
            first, second = rng.choice(_FIRST), rng.choice(_SECOND)
            name = f"Ấp {first} {second}" if first != second else f"Ấp {first}"
        if name not in names:
            names.append(name)
    return names


def write_hamlets_csv(province: Unit, path: Path) -> int:
    """The hamlets of every commune of `province` (commune code as written, name)."""
    units = communes(province)
    merged = _predecessors(units)
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Mã xã", "Tên ấp/khu phố"])
        for commune in units:
            for name in hamlet_names(commune, merged.get(commune.pk, 0)):
                writer.writerow([commune.gso_code, name])
                rows += 1
    return rows


def write_local_organizations_csv(province: Unit, path: Path) -> int:
    """Police and People's Committee of every district- and commune-level unit."""
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(ORGANIZATION_HEADER)
        for unit in (
            Unit.objects.subtree(province)
            .territorial()
            .filter(level__in=[Level.DISTRICT, Level.COMMUNE])
            .order_by("path")
        ):
            level_word = "huyện" if unit.level == Level.DISTRICT else "xã"
            code, name = unit.gso_code, _lower_first(unit.name)
            writer.writerow([f"{code}-CA", f"Công an {name}", "cong_an", level_word, code])
            writer.writerow([f"{code}-UBND", f"Ủy ban nhân dân {name}", "ubnd", level_word, code])
            rows += 2
    return rows


def organizations_file(province: Unit) -> Path | None:
    """The province's own organizations file (data/organizations-<identity>.csv: the real
    departments, industrial zones and schools of Tiền Giang in 2023), if there is one."""
    path = DATA / f"organizations-{province.code}.csv"
    return path if path.exists() else None


def write_province_organizations_csv(province: Unit, path: Path) -> int:
    """For a province without a file of its own: its provincial bodies (PROVINCE_BODIES)
    and a provincial high school in every ward and in one xã of SCHOOL_EVERY."""
    place = short_name(province)
    code = province.gso_code
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(ORGANIZATION_HEADER)
        for suffix, name, kind in PROVINCE_BODIES:
            writer.writerow([f"{code}-{suffix}", name.format(province=place), kind, "tỉnh", code])
            rows += 1
        for k, commune in enumerate(communes(province)):
            if commune.type in _URBAN or k % SCHOOL_EVERY == 0:
                writer.writerow(
                    [
                        f"{code}-THPT-{commune.gso_code}",
                        f"Trường THPT {short_name(commune)}",
                        UnitType.SCHOOL,
                        "tỉnh",
                        commune.gso_code,
                    ]
                )
                rows += 1
    return rows
