"""What every operation's OpenAPI entry shares: the unit code parameter, the error
bodies, and the query-parameter checks that turn bad input into a 400."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from chiendich.core.inputs import FIRST_DAY, LAST_DAY  # the days the pages take too

# A unit code: a GSO code ("82", "815", "28249"), a hamlet's ("28249-01") or an
# organization's ("82-STP"). The importers refuse "/" and more than 40 characters.
CODE_PATTERN = r"^[^/]{1,40}$"

CODE_PARAMETER = OpenApiParameter(
    "code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=CODE_PATTERN,
    description=(
        "Unit: its key (e.g. 28249.2025, the identity every answer gives as `key`) or its "
        "code as written (GSO code of a province, district or commune, a hamlet's or an "
        "organization's code), read among the units in force today: since 1/7/2025 "
        "28249 is Phường Đạo Thạnh (key 28249.2025), before it Phường 5 (key 28249). "
        "A unit outside your scope answers 404, like a missing one."
    ),
)


class ErrorSerializer(serializers.Serializer):
    """Why a request was refused (401, 403, 404)."""

    detail = serializers.CharField()


# DRF's validation errors: one list of messages per field (or non_field_errors);
# a body that is not JSON answers {"detail": "..."} instead.
_FIELD_ERRORS = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}

ERRORS: dict[int, OpenApiResponse] = {
    400: OpenApiResponse(_FIELD_ERRORS, description="Invalid input, by field."),
    401: OpenApiResponse(ErrorSerializer, description="No or invalid token."),
    403: OpenApiResponse(ErrorSerializer, description="Your role may not do this."),
    404: OpenApiResponse(ErrorSerializer, description="No such object in your scope."),
}


def responses(ok: Any, *errors: int, status: int = 200) -> dict[int, Any]:
    """An operation's responses: `ok` under `status`, plus 401/403 and the given errors."""
    out: dict[int, Any] = {status: ok}
    for code in sorted({401, 403, *errors}):
        out[code] = ERRORS[code]
    return out


class DayField(serializers.DateField):
    """A calendar day, ISO 8601 (yyyy-mm-dd), between FIRST_DAY and LAST_DAY."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["iso-8601"])
        super().__init__(**kwargs)

    def to_internal_value(self, value: Any) -> dt.date:
        day: dt.date = super().to_internal_value(value)
        if not FIRST_DAY <= day <= LAST_DAY:
            raise serializers.ValidationError(
                _("The day must lie between %(first)s and %(last)s.")
                % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}
            )
        return day


class DayQuery(serializers.Serializer):
    """?date=yyyy-mm-dd; by default the last day that has counts."""

    date = DayField(
        required=False,
        help_text="Day to report on (yyyy-mm-dd); by default the last day with counts.",
    )


class WindowQuery(serializers.Serializer):
    """?from=yyyy-mm-dd&to=yyyy-mm-dd, both included; by default the plan's TTHC peak."""

    def get_fields(self) -> dict[str, serializers.Field]:
        # "from" is a Python keyword, so the fields cannot be class attributes.
        return {
            "from": DayField(
                required=False,
                help_text="First day counted (yyyy-mm-dd); by default the start of the "
                "plan's TTHC period.",
            ),
            "to": DayField(
                required=False,
                help_text="Last day counted (yyyy-mm-dd); by default the end of the plan's "
                "TTHC period.",
            ),
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("from"), attrs.get("to")
        if start and end and end < start:
            raise serializers.ValidationError({"to": [_("“to” must not be before “from”.")]})
        return attrs
