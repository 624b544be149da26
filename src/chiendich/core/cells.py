"""Reading cells of officers' spreadsheets: dates as Vietnam writes them.

Shared by every import (police lists, one-stop exports, staff lists), so a date
that one import accepts the others accept too.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache


class CellError(ValueError):
    """A cell that cannot be read; the message is for the officer, in Vietnamese."""


_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01, counting Excel's fake 29/02/1900
_MAX_SERIAL = 2_958_465  # 9999-12-31
_DATE_PARTS = re.compile(r"[/.\-]")
_SERIAL = re.compile(r"\d{1,7}(\.\d+)?")


@cache
def parse_date(text: str) -> dt.date:
    """dd/mm/yyyy (also d/m/yyyy, with - or .), yyyy-mm-dd (a time part is ignored),
    or an Excel serial day number ("45170" = 01/09/2023).

    Day first, as Vietnam writes dates: "01/09/2023" is 1 September.
    """
    head = text.split(" ", 1)[0].split("T", 1)[0]
    if _SERIAL.fullmatch(head):
        serial = int(float(head))
        if serial == 60:
            raise CellError("ngày 29/02/1900 không tồn tại")
        if not 1 <= serial <= _MAX_SERIAL:
            raise CellError("số ngày kiểu Excel không hợp lệ")
        return _EXCEL_EPOCH + dt.timedelta(days=serial if serial > 60 else serial + 1)
    parts = _DATE_PARTS.split(head)
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts):
        raise CellError("ngày không đúng dạng dd/mm/yyyy hoặc yyyy-mm-dd")
    if len(parts[0]) == 4:
        year, month, day = (int(p) for p in parts)
    elif len(parts[2]) == 4 and len(parts[0]) <= 2 and len(parts[1]) <= 2:
        day, month, year = (int(p) for p in parts)
    else:
        raise CellError("ngày không đúng dạng dd/mm/yyyy (năm phải có 4 chữ số)")
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise CellError("ngày không tồn tại") from exc
