"""What the API writes: door-to-door outcomes and aggregate forms, and the citizens an
outcome is recorded for (IDs and phones masked).

Objects named in a body are looked up through the viewset's `scoped()` (the
`citizens` / `units` querysets handed in the serializer context), so another
unit's citizen or unit reads "does not exist", exactly like a missing one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from chiendich.core import clock
from chiendich.field.models import Outcome, Visit
from chiendich.field.selectors import mask_id, mask_phone
from chiendich.imports.report import mask_numbers
from chiendich.procedures.models import FORM_FIELDS, AggregateForm
from chiendich.procedures.services import (
    FORM_LABELS,
    FORM_MAX,
    aggregate_form_clean,
    batch_report,
)
from chiendich.units.models import Unit, UnitQuerySet
from chiendich.units.selectors import unit_at
from chiendich.vneid.models import AccountState, Citizen, NotEligibleReason

from .schema import DayField

MAX_ID = 2**63 - 1  # the largest primary key either database stores


class CitizenSerializer(serializers.ModelSerializer):
    """A citizen to visit. The ID and phone numbers are masked (Decree 13/2023); in
    full only in `id_number` and `phone`, for the citizens whose unit is in the
    context's `unmasked_units` (the view puts there those ?hien=1 may show)."""

    id_number_masked = serializers.SerializerMethodField()
    phone_masked = serializers.SerializerMethodField()
    id_number = serializers.SerializerMethodField(
        help_text="In full with ?hien=1 for a user who may see it; otherwise null."
    )
    phone = serializers.SerializerMethodField(
        help_text="In full with ?hien=1 for a user who may see it; otherwise null."
    )
    household = serializers.CharField(source="household.code", allow_null=True, default=None)
    unit = serializers.CharField(source="unit.code", help_text="Hamlet (or commune) code.")
    state = serializers.ChoiceField(choices=AccountState.choices)

    class Meta:
        model = Citizen
        fields = [
            "id",
            "full_name",
            "id_number_masked",
            "phone_masked",
            "id_number",
            "phone",
            "household",
            "unit",
            "state",
            "state_date",
        ]

    def get_id_number_masked(self, citizen: Citizen) -> str:
        return mask_id(citizen.id_number)

    def get_phone_masked(self, citizen: Citizen) -> str:
        return mask_phone(citizen.phone)

    def _unmasked(self, citizen: Citizen) -> bool:
        return citizen.unit_id in self.context.get("unmasked_units", ())

    def get_id_number(self, citizen: Citizen) -> str | None:
        return citizen.id_number if self._unmasked(citizen) else None

    def get_phone(self, citizen: Citizen) -> str | None:
        return citizen.phone if self._unmasked(citizen) else None


class VisitSerializer(serializers.ModelSerializer):
    """One outcome recorded at a door. The note is free text a volunteer typed: any ID
    or phone number in it is masked (the citizen's own are on /api/citizens/)."""

    citizen = serializers.IntegerField(source="citizen_id")
    citizen_state = serializers.CharField(
        source="citizen.state", help_text="The citizen's account state now (see Citizen.state)."
    )
    unit = serializers.CharField(source="unit.code", help_text="Hamlet code.")
    household = serializers.CharField(source="household.code", allow_null=True, default=None)
    team = serializers.CharField(source="team.name", allow_null=True, default=None)
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    reason = serializers.ChoiceField(choices=NotEligibleReason.choices, allow_blank=True)
    recorded_by = serializers.CharField(
        source="recorded_by.username", allow_null=True, default=None
    )
    note = serializers.SerializerMethodField(help_text="ID and phone numbers masked.")

    class Meta:
        model = Visit
        fields = [
            "id",
            "citizen",
            "citizen_state",
            "unit",
            "household",
            "team",
            "outcome",
            "reason",
            "note",
            "day",
            "recorded_by",
            "recorded_at",
            "client_id",
            "recorded_on_phone",
            "applied",
        ]

    def get_note(self, visit: Visit) -> str:
        return mask_numbers(visit.note)


class VisitCreateSerializer(serializers.Serializer):
    """An outcome to record, as on the /thuc-dia/ page."""

    citizen = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="Citizen id (from /api/citizens/)."
    )
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    reason = serializers.ChoiceField(
        choices=NotEligibleReason.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when the outcome is not_eligible.",
    )
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    day = DayField(
        required=False,
        help_text="Day of the visit (yyyy-mm-dd): today by default; an officer may give an "
        "earlier day of the VNeID peak, a volunteer only today.",
    )
    client_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A UUID the phone made when the outcome was tapped. The same id sent "
        "again answers 200 with the stored visit; with a different outcome, 409.",
    )
    recorded_on_phone = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When the outcome was tapped, by the phone's clock (ISO 8601). Bounded by "
        "the server's clock; the person's state follows the visit that happened last.",
    )

    def validate_citizen(self, value: int) -> Citizen:
        citizen = self.context["citizens"].filter(pk=value).first()
        if citizen is None:
            raise serializers.ValidationError(_("No citizen with this id in your hamlets."))
        return citizen

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["outcome"] == Outcome.NOT_ELIGIBLE and not attrs.get("reason"):
            raise serializers.ValidationError(
                {"reason": [_("Give the reason the citizen is not eligible.")]}
            )
        return attrs


class AggregateFormSerializer(serializers.ModelSerializer):
    """A unit's counts for one reporting batch (Plan 383 VII.2.b)."""

    unit = serializers.CharField(source="unit.code")
    submitted_by = serializers.CharField(
        source="submitted_by.username", allow_null=True, default=None
    )

    class Meta:
        model = AggregateForm
        fields = [
            "id",
            "unit",
            "report_key",
            "data_from",
            "data_to",
            *FORM_FIELDS,
            "note",
            "submitted_by",
            "submitted_at",
        ]


class AggregateFormSubmitSerializer(serializers.Serializer):
    """A form to create or replace: the unit, the batch report's key, the eight counts."""

    unit = serializers.CharField(max_length=40, help_text="Code of the unit the form is for.")
    report_key = serializers.CharField(
        max_length=60, help_text="Key of the plan's batch report, e.g. tthc_batch_1."
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for name in FORM_FIELDS:
            fields[name] = serializers.IntegerField(
                min_value=0, max_value=FORM_MAX, help_text=FORM_LABELS[name]
            )
        return fields

    def to_internal_value(self, data: Any) -> Any:
        """Every problem at once: the fields' own checks, plus the service's check that
        no part exceeds its whole for the counts that are numbers (the page's messages)."""
        try:
            values = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not isinstance(data, Mapping) or not isinstance(exc.detail, dict):
                raise
            errors = dict(exc.detail)
        else:
            errors, data = {}, values
        try:
            aggregate_form_clean({name: data.get(name) for name in FORM_FIELDS})
        except DjangoValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, messages)
        if errors:
            raise serializers.ValidationError(errors)
        return values

    def validate_unit(self, value: str) -> Unit:
        report_key = (
            self.initial_data.get("report_key") if isinstance(self.initial_data, Mapping) else None
        )
        unit = form_unit(self.context["units"], value, str(report_key or ""))
        if unit is None:
            raise serializers.ValidationError(_("No unit with this code in your scope."))
        return unit


def form_unit(units: UnitQuerySet, code: str, report_key: str) -> Unit | None:
    """The unit a form's code names, read as of the form's data window: among the units
    the code has named (28249: Phường 5 until 30/6/2025, Phường Đạo Thạnh since), the
    one whose plan has the batch `report_key` with a window it was in force for, trying
    the unit in force today first; else the unit the code names today."""
    today = clock.today()
    candidates = list(units.filter(Q(code=code) | Q(gso_code=code)))
    if len(candidates) < 2:
        return candidates[0] if candidates else None
    # Today's unit first, then the latest to start.
    candidates.sort(
        key=lambda u: (not u.is_valid_on(today), -(u.valid_from or dt.date.min).toordinal())
    )
    for unit in candidates:
        try:
            report = batch_report(unit, report_key)
        except DjangoValidationError:
            continue
        assert report.data_from is not None and report.data_to is not None  # noqa: S101
        if unit.is_valid_on(report.data_from) and unit.is_valid_on(report.data_to):
            return unit
    return unit_at(code, today, queryset=units) or candidates[0]
