"""Row ids past 999 must reach the page unlocalized: "1234567", never "1.234.567"."""

from __future__ import annotations

import datetime as dt
import re

from django.test import Client
from django.urls import reverse

from chiendich.field.models import Visit
from chiendich.vneid.models import AccountState, Citizen, Source
from chiendich.vneid.services import citizen_state_record

from .conftest import HAMLET_A


def test_a_citizen_with_a_large_id_can_be_recorded_from_the_page(field) -> None:
    household = field.people["approved"].household
    citizen = Citizen.objects.create(
        id=1_234_567,
        id_number="082199000777",
        full_name="Người Số Lớn",
        birth_date=dt.date(1990, 1, 1),
        sex="M",
        commune=household.commune,
        unit=household.unit,
        household=household,
    )
    citizen_state_record(
        citizen,
        state=AccountState.APPROVED,
        date=field.today - dt.timedelta(days=5),
        source=Source.POLICE_LIST,
    )
    client = Client()
    client.force_login(field.volunteer)
    url = reverse("field:hamlet", args=[HAMLET_A])
    html = client.get(url, {"ho": household.code}).content.decode()
    assert 'id="c1234567"' in html
    values = re.findall(r'name="citizen" value="([^"]+)"', html)
    assert "1234567" in values and all(v.isdigit() for v in values)
    client.post(url, {"citizen": "1234567", "outcome": "activated_l1"})
    assert Visit.objects.filter(citizen=citizen, outcome="activated_l1").exists()
