"""Reads of citizens' records, always through the user's scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .models import AccountEvent, AccountState, Citizen


def citizens_for(user: Any, action: str = "view") -> Any:
    """Citizens `user` may see: those living in the user's units."""
    return Citizen.objects.restrict(user, action)


def state_on(citizen: Citizen, day: dt.date) -> str:
    """The citizen's account state on `day`, from the event history."""
    event = (
        AccountEvent.objects.filter(citizen=citizen, date__lte=day)
        .order_by("-date", "-id")
        .values_list("state", flat=True)
        .first()
    )
    return event or AccountState.NOT_REGISTERED
