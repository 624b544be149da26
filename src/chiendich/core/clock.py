"""The campaign's "today".

Normally the local date. A demo that replays the 2023 campaign sets
CHIENDICH_TODAY (yyyy-mm-dd) so that an outcome recorded from a phone lands on
a day the campaign counts, and "no date in the future" means the same to every
check. Everything that asks for today asks here.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone


def today() -> dt.date:
    fixed = getattr(settings, "CAMPAIGN_TODAY", "")
    return dt.date.fromisoformat(fixed) if fixed else timezone.localdate()
