"""The campaign's today: the real date, or the day a replayed campaign is at."""

import datetime as dt

import pytest
from django.utils import timezone

from chiendich.core import clock


def test_today_is_the_local_date_unless_fixed(settings) -> None:
    settings.CAMPAIGN_TODAY = ""
    assert clock.today() == timezone.localdate()
    settings.CAMPAIGN_TODAY = "2023-10-18"
    assert clock.today() == dt.date(2023, 10, 18)


@pytest.mark.django_db
def test_a_fixed_today_moves_the_future_for_every_check(settings, tien_giang) -> None:
    from chiendich.units.models import Unit
    from chiendich.vneid.models import Citizen, Source
    from chiendich.vneid.services import citizen_state_record

    settings.CAMPAIGN_TODAY = "2023-10-18"
    commune = Unit.objects.get(code="28249")
    citizen = Citizen.objects.create(
        id_number="082090000001",
        full_name="A",
        birth_date=dt.date(1990, 1, 1),
        sex="M",
        commune=commune,
        unit=commune,
    )
    assert citizen_state_record(
        citizen, state="activated_l1", date=dt.date(2023, 10, 18), source=Source.VISIT
    )
    with pytest.raises(ValueError, match="tương lai"):
        citizen_state_record(
            citizen, state="activated_l2", date=dt.date(2023, 10, 19), source=Source.VISIT
        )
