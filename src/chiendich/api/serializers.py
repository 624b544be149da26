"""How the API shows units, progress, indicators and targets (reads).

Numbers are JSON numbers and rates have two decimals, as in KPI_JSON.md; a rate
without a denominator is null ("N/A"). No serializer here carries an ID or a
phone number.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from chiendich.plans.models import Measure
from chiendich.units.models import Kind, Level, Unit, UnitType


def _rate(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=12, decimal_places=2, coerce_to_string=False, allow_null=True, **kwargs
    )


# --- units --------------------------------------------------------------------------------------


class UnitSerializer(serializers.ModelSerializer):
    """A unit of the tree: code, name, what it is and where it hangs."""

    code = serializers.CharField(
        source="gso_code",
        help_text="The code as documents write it (GSO code); not unique across the trees "
        "before and after 1/7/2025: `valid_from`/`valid_to` say which.",
    )
    key = serializers.CharField(
        source="code", help_text="The unit's identity, for URLs: 28249 (2023 tree), 28249.2025."
    )
    kind = serializers.ChoiceField(choices=Kind.choices)
    type = serializers.ChoiceField(choices=UnitType.choices)
    level = serializers.ChoiceField(choices=Level.choices)
    parent_code = serializers.SerializerMethodField(
        help_text="Code (as written) of the parent unit; empty for a province."
    )

    class Meta:
        model = Unit
        fields = [
            "code",
            "key",
            "name",
            "kind",
            "type",
            "level",
            "parent_code",
            "valid_from",
            "valid_to",
        ]

    def get_parent_code(self, unit: Unit) -> str:
        parent = unit.parent
        return (parent.gso_code or parent.code) if parent else ""


class UnitDetailSerializer(UnitSerializer):
    """A unit with the children you may see (territorial units and organizations)."""

    ancestors = serializers.ListField(
        child=serializers.CharField(),
        source="ancestor_codes",
        help_text="Keys from the province down to the parent.",
    )
    children = serializers.SerializerMethodField()

    class Meta(UnitSerializer.Meta):
        fields = [*UnitSerializer.Meta.fields, "ancestors", "children"]

    @extend_schema_field(UnitSerializer(many=True))
    def get_children(self, unit: Unit) -> list[dict[str, Any]]:
        visible = self.context["children"]
        return UnitSerializer(visible, many=True).data


class UnitRefSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The code as written (GSO code).")
    key = serializers.CharField(help_text="The unit's identity (28249.2025).")
    name = serializers.CharField()
    level = serializers.ChoiceField(choices=Level.choices)
    type = serializers.ChoiceField(choices=UnitType.choices)


# --- VNeID progress ------------------------------------------------------------------------------


class ProgressSerializer(serializers.Serializer):
    """One unit's VNeID progress on a day (vneid.progress.Progress)."""

    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.ChoiceField(choices=Level.choices)
    citizens = serializers.IntegerField(source="counts.citizens")
    eligible = serializers.IntegerField(
        source="counts.eligible", help_text="Citizens aged 14+ not flagged not eligible."
    )
    not_eligible = serializers.IntegerField(source="counts.not_eligible")
    absent = serializers.IntegerField(source="counts.absent")
    not_registered = serializers.IntegerField(source="counts.not_registered")
    pending = serializers.IntegerField(source="counts.pending")
    approved = serializers.IntegerField(source="counts.approved")
    activated_l1 = serializers.IntegerField(source="counts.activated_l1")
    activated_l2 = serializers.IntegerField(source="counts.activated_l2")
    activated = serializers.IntegerField(help_text="activated_l1 + activated_l2.")
    new_activations = serializers.IntegerField(
        source="counts.new_activations", help_text="First activations on this day."
    )
    rate_of_eligible = _rate(help_text="activated / eligible x 100; null when eligible is 0.")
    target = serializers.IntegerField(
        allow_null=True, help_text="The unit's allocated activated-accounts target."
    )
    percent_of_target = _rate(help_text="activated / target x 100.")
    period_end = serializers.DateField(allow_null=True)
    activated_week_ago = serializers.IntegerField()
    recent_daily_pace = serializers.DecimalField(
        max_digits=12, decimal_places=1, coerce_to_string=False
    )
    needed_daily_pace = serializers.IntegerField(
        allow_null=True, help_text="Activations a day still needed to reach the target in time."
    )
    forecast_date = serializers.DateField(allow_null=True)
    forecast_note = serializers.ChoiceField(
        choices=[
            ("", "no target"),
            ("reached", "target reached"),
            ("on_pace", "on pace"),
            ("not_before_deadline", "not before the deadline"),
        ],
        allow_blank=True,
    )


class ProgressReportSerializer(serializers.Serializer):
    unit = UnitRefSerializer()
    date = serializers.DateField()
    counted = serializers.BooleanField(
        help_text="Whether counts exist for the day (if not, every count is 0)."
    )
    plan = serializers.CharField(allow_null=True, help_text="Code of the plan of the targets.")
    own = ProgressSerializer()
    children = ProgressSerializer(many=True, help_text="Territorial children in your scope.")


# --- TTHC indicators (the shape of KPI_JSON.md) ---------------------------------------------------


def _fraction() -> dict[str, serializers.Field]:
    return {
        "numerator": serializers.IntegerField(),
        "denominator": serializers.IntegerField(),
        "rate": serializers.FloatField(allow_null=True),
    }


_BREAKDOWN = inline_serializer(
    "IndicatorBreakdown",
    many=True,
    fields={
        "level": serializers.ChoiceField(choices=Level.choices),
        "unit_type": serializers.CharField(
            allow_null=True, help_text="For commune rows: xa, phuong or thi_tran."
        ),
        **_fraction(),
        "target": serializers.FloatField(allow_null=True),
        "met": serializers.BooleanField(allow_null=True),
    },
)

_INDICATORS = inline_serializer(
    "Indicator",
    many=True,
    fields={
        "key": serializers.CharField(),
        "name": serializers.CharField(),
        "variant": serializers.CharField(),
        "from": serializers.DateField(),
        "to": serializers.DateField(),
        "levels": serializers.ListField(
            child=serializers.CharField(), help_text="Receiving levels counted."
        ),
        **_fraction(),
        "target": serializers.FloatField(allow_null=True),
        "target_key": serializers.CharField(allow_null=True),
        "stretch": serializers.BooleanField(),
        "met": serializers.BooleanField(allow_null=True),
        "threshold": serializers.FloatField(allow_null=True),
        "pmax": serializers.FloatField(allow_null=True),
        "score": serializers.FloatField(allow_null=True),
        "forms": serializers.IntegerField(),
        "area": inline_serializer("IndicatorArea", _fraction()),
        "breakdown": _BREAKDOWN,
    },
)

KpiSerializer = inline_serializer(
    "UnitIndicators",
    {
        "unit": UnitRefSerializer(),
        "from": serializers.DateField(),
        "to": serializers.DateField(),
        "plan": serializers.CharField(allow_null=True),
        "indicators": _INDICATORS,
    },
)


# --- targets -------------------------------------------------------------------------------------


class PeriodRefSerializer(serializers.Serializer):
    key = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()


class TargetSerializer(serializers.Serializer):
    """A target of the plan set for the unit (by its level and type)."""

    key = serializers.CharField()
    section = serializers.CharField(help_text="Section of the plan, e.g. II.1.b.")
    indicator = serializers.CharField()
    name = serializers.CharField()
    value = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=False)
    measure = serializers.ChoiceField(choices=Measure.choices)
    period = PeriodRefSerializer(allow_null=True)
    applies_from = serializers.DateField(allow_null=True)
    stretch = serializers.BooleanField(source="is_stretch")
    note = serializers.CharField(allow_blank=True)


class AllocationSerializer(serializers.Serializer):
    """A unit's share of a count target (plans.TargetAllocation)."""

    code = serializers.CharField(source="unit.code")
    name = serializers.CharField(source="unit.name")
    value = serializers.IntegerField()
    basis = serializers.IntegerField(help_text="Eligible citizens when allocated.")
    is_override = serializers.BooleanField(help_text="Set by hand by an officer.")
    note = serializers.CharField(allow_blank=True)


class ChildAllocationSerializer(AllocationSerializer):
    daily_pace = serializers.IntegerField(
        allow_null=True, help_text="New activations a day needed over the whole period."
    )


class UnitTargetsSerializer(serializers.Serializer):
    unit = UnitRefSerializer()
    plan = serializers.CharField(allow_null=True)
    targets = TargetSerializer(many=True)
    allocation = AllocationSerializer(
        allow_null=True, help_text="The unit's share of the activated-accounts target."
    )
    children = ChildAllocationSerializer(many=True, help_text="Its children's shares in scope.")
