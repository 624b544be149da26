"""Numbers and dates as Vietnamese documents write them: 1.234.567,89 and dd/mm/yyyy.

For terminal output, files and messages; web pages use Django's localization.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal


def vn_number(value: int | float | Decimal | None, *, none: str = "—") -> str:
    """903203 -> "903.203"; Decimal("66.67") -> "66,67" (a Decimal keeps its places);
    `none` for a missing value (e.g. "N/A" for a rate without a denominator)."""
    if value is None:
        return none
    if isinstance(value, float):
        value = Decimal(repr(value)).normalize()
    if isinstance(value, Decimal):
        whole, _, fraction = f"{abs(value):f}".partition(".")
        sign = "-" if value < 0 else ""
        return sign + f"{int(whole):,}".replace(",", ".") + ("," + fraction if fraction else "")
    return f"{value:,}".replace(",", ".")


def vn_date(value: str | dt.date | None) -> str:
    """An ISO date (or a date) as dd/mm/yyyy; empty when absent."""
    if not value:
        return ""
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day:%d/%m/%Y}"
