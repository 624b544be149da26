"""The demo's yearly dossier volumes, time limits, fees and days off (procedures.simulate).

Figures for a province the size of Tiền Giang (VOLUME_BASIS citizens aged 14+) at
scale 1.0, by procedure of the demo catalogue (data/danh-muc-tthc-demo.csv); a plan's
population basis scales them. Rounded from common knowledge of how busy one-stop
desks are, not from a statistics source: they only shape the demo.
"""

from __future__ import annotations

import datetime as dt

from chiendich.units.models import Level

from .models import OnlineLevel

# The volumes below are a year's for a province of this many citizens aged 14+ (Tiền
# Giang's size); a plan's population basis scales them.
VOLUME_BASIS = 1_400_000
# Dossiers a year at scale 1.0, by procedure and level of the receiving unit. Codes
# whose unit is not in the tree (tax office, electricity, social insurance...) are absent.
VOLUME: dict[str, dict[str, int]] = {
    Level.PROVINCE: {
        "MP.CA.01": 38_000,
        "MP.CA.02": 4_000,
        "MP.CA.08": 16_000,
        "MP.CA.09": 9_000,
        "MP.CA.10": 2_000,
        "MP.CA.11": 5_000,
        "MP.TP.04": 12_000,
        "MP.GT.01": 21_000,
        "MP.GT.02": 1_000,
        "MP.GT.03": 4_000,
        "MP.TN.01": 14_000,
        "MP.TN.03": 5_000,
        "MP.TN.04": 300,
        "MP.GD.02": 2_000,
        "MP.GD.03": 1_200,
        "MP.GD.01": 3_000,
        "MP.CT.02": 200,
        "MP.CT.03": 1_000,
        "MP.NV.01": 150,
        "MP.NV.02": 800,
        "MP.TT.01": 100,
        "MP.TT.02": 80,
        "MP.TC.02": 1_000,
        "MP.KC.01": 1_100,
    },  # fmt: skip
    Level.DISTRICT: {
        "MP.CA.01": 60_000,
        "MP.CA.02": 5_000,
        "MP.CA.09": 38_000,
        "MP.CA.10": 3_000,
        "MP.CA.11": 9_000,
        "MP.TN.01": 38_000,
        "MP.TN.02": 8_000,
        "MP.TN.03": 10_000,
        "MP.KH.02": 10_000,
        "MP.TP.05": 3_000,
        "MP.TP.07": 2_000,
        "MP.TP.08": 18_000,
        "MP.TP.09": 6_000,
        "MP.TP.10": 6_000,
        "MP.TP.11": 300,
        "MP.XD.01": 6_000,
        "MP.CT.01": 1_000,
        "MP.CT.03": 1_000,
        "MP.GD.02": 1_000,
        "MP.LD.02": 800,
        "MP.LD.03": 1_500,
        "MP.NV.02": 500,
        "MP.TC.02": 500,
        "MP.UB.01": 200,
    },  # fmt: skip
    Level.COMMUNE: {
        "MP.TP.08": 130_000,
        "MP.TP.09": 20_000,
        "MP.TP.10": 15_000,
        "MP.TP.01": 24_000,
        "MP.TP.02": 10_000,
        "MP.TP.03": 8_000,
        "MP.TP.05": 15_000,
        "MP.TP.06": 12_000,
        "MP.TP.07": 3_000,
        "MP.CA.03": 20_000,
        "MP.CA.04": 15_000,
        "MP.CA.05": 35_000,
        "MP.CA.06": 2_000,
        "MP.CA.07": 5_000,
        "MP.CA.12": 8_000,
        "MP.CA.02": 3_000,
        "MP.LD.02": 1_500,
        "MP.LD.03": 2_500,
        "MP.UB.01": 600,
        "MP.UB.02": 300,
    },  # fmt: skip
}
# Promised processing time in days (the procedures' legal time limits, rounded).
DAYS_ALLOWED = {
    "MP.CA.01": 7, "MP.CA.02": 3, "MP.CA.03": 7, "MP.CA.04": 3, "MP.CA.05": 1,
    "MP.CA.06": 1, "MP.CA.07": 2, "MP.CA.08": 8, "MP.CA.09": 2, "MP.CA.10": 2,
    "MP.CA.11": 1, "MP.CA.12": 1, "MP.TP.01": 1, "MP.TP.02": 1, "MP.TP.03": 5,
    "MP.TP.04": 10, "MP.TP.05": 1, "MP.TP.06": 3, "MP.TP.07": 3, "MP.TP.08": 1,
    "MP.TP.09": 1, "MP.TP.10": 2, "MP.TP.11": 15, "MP.GT.01": 5, "MP.GT.02": 5,
    "MP.GT.03": 10, "MP.TN.01": 10, "MP.TN.02": 30, "MP.TN.03": 7, "MP.TN.04": 30,
    "MP.KH.02": 3, "MP.XD.01": 15, "MP.GD.01": 15, "MP.GD.02": 1, "MP.GD.03": 3,
}  # fmt: skip
FEE = {
    "MP.CA.01": 30_000, "MP.CA.03": 20_000, "MP.CA.04": 15_000, "MP.CA.08": 200_000,
    "MP.CA.09": 150_000, "MP.CA.11": 500_000, "MP.TP.03": 30_000, "MP.TP.04": 200_000,
    "MP.TP.05": 8_000, "MP.TP.06": 15_000, "MP.TP.07": 15_000, "MP.TP.08": 6_000,
    "MP.TP.09": 10_000, "MP.TP.10": 50_000, "MP.TP.11": 50_000, "MP.GT.01": 135_000,
    "MP.GT.02": 135_000, "MP.GT.03": 135_000, "MP.TN.01": 100_000, "MP.TN.02": 300_000,
    "MP.TN.03": 100_000, "MP.TN.04": 500_000, "MP.KH.02": 100_000, "MP.XD.01": 75_000,
    "MP.CT.01": 1_200_000, "MP.CT.02": 1_200_000, "MP.CT.03": 1_000_000,
    "MP.GD.02": 20_000, "MP.TT.01": 500_000, "MP.TT.02": 500_000, "MP.KC.01": 600_000,
}  # fmt: skip
EXEMPT_SHARE = {"MP.TP.03": 0.6}  # marriage registration is often exempt
DEFAULT_EXEMPT = 0.06
ONLINE_PULL = {
    OnlineLevel.NONE.value: 0.0,
    OnlineLevel.PARTIAL.value: 0.8,
    OnlineLevel.FULL.value: 1.2,
}


def _days_off(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]


# Public holidays with the days off the government announced (Tết, Hùng Kings, 30/4-1/5,
# 2/9 and the days moved beside them), by year; another year gets the fixed solar days.
# They only thin the demo's daily volumes: the offices are closed.
HOLIDAYS_BY_YEAR = {
    2023: {
        *_days_off(dt.date(2023, 1, 20), dt.date(2023, 1, 26)),  # Tết Quý Mão
        *_days_off(dt.date(2023, 4, 29), dt.date(2023, 5, 3)),
        dt.date(2023, 9, 1), dt.date(2023, 9, 2), dt.date(2023, 9, 4),
    },
    2026: {
        dt.date(2026, 1, 1),
        *_days_off(dt.date(2026, 2, 14), dt.date(2026, 2, 22)),  # Tết Bính Ngọ
        dt.date(2026, 4, 27),  # Hùng Kings (10/3 lunar fell on Sunday 26/4)
        *_days_off(dt.date(2026, 4, 30), dt.date(2026, 5, 3)),
        dt.date(2026, 9, 1), dt.date(2026, 9, 2),
    },
}  # fmt: skip


def holidays(year: int) -> set[dt.date]:
    fixed = {dt.date(year, 1, 1), dt.date(year, 4, 30), dt.date(year, 5, 1), dt.date(year, 9, 2)}
    return HOLIDAYS_BY_YEAR.get(year, fixed)
