"""Numbers and dates as Vietnamese documents write them."""

import datetime as dt
from decimal import Decimal

from chiendich.core.numbers import vn_date, vn_number


def test_vn_number() -> None:
    assert vn_number(903203) == "903.203"
    assert vn_number(1234567) == "1.234.567"
    assert vn_number(Decimal("66.67")) == "66,67"
    assert vn_number(Decimal("70.00")) == "70,00"  # a rate keeps its two places
    assert vn_number(12.5) == "12,5"
    assert vn_number(70.0) == "70"
    assert vn_number(Decimal("-1234.5")) == "-1.234,5"
    assert vn_number(None) == "—" and vn_number(None, none="N/A") == "N/A"


def test_vn_date() -> None:
    assert vn_date("2023-08-20") == "20/08/2023" == vn_date(dt.date(2023, 8, 20))
    assert vn_date(None) == ""
