"""Reports and completeness (read only) and communication activities in the REST API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from chiendich.accounts.roles import Action
from chiendich.api.schema import DayField, responses
from chiendich.api.scope import ScopedListCreateViewSet, ScopedReadOnlyViewSet, ScopedViewSetMixin
from chiendich.core import clock
from chiendich.units.models import Unit
from chiendich.units.selectors import unit_at

from .completeness import completeness
from .models import CommunicationActivity, Report, ReportState
from .selectors import SLUG, report_view, reports_readable
from .services import activity_record

REPORT_PARAMETER = OpenApiParameter(
    "report",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=SLUG.pattern,
    description=(
        "The report: its key in the plan, the responsible unit's code and the deadline "
        "(key.unit.yyyymmdd, e.g. vneid_weekly.82.20231016). Outside your scope: 404."
    ),
)


class ReportSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    id = serializers.CharField(source="slug", read_only=True)
    type = serializers.CharField(source="schedule.key", read_only=True)
    name = serializers.CharField(source="schedule.name", read_only=True)
    unit = serializers.CharField(source="unit.code", read_only=True)
    recipient_unit = serializers.CharField(source="recipient_unit.code", read_only=True)
    on_time = serializers.BooleanField(read_only=True)

    class Meta:
        model = Report
        fields = [
            "id", "type", "name", "unit", "recipient_unit", "data_from", "data_to",
            "deadline", "state", "submitted_on", "on_time",
        ]  # fmt: skip


class ReportDetailSerializer(ReportSerializer):
    content = serializers.SerializerMethodField()
    changes = serializers.SerializerMethodField()

    class Meta(ReportSerializer.Meta):
        fields = [
            *ReportSerializer.Meta.fields,
            "narrative_results", "narrative_difficulties", "narrative_proposals",
            "content", "changes",
        ]  # fmt: skip

    def get_content(self, report: Report) -> dict[str, Any]:
        """The numbers as submitted (a draft computed now for an open report)."""
        return self.context["view_of"](report).content.as_dict()

    def get_changes(self, report: Report) -> list[dict[str, Any]]:
        """Every number that differs between the submitted report and today's records."""
        return [c.__dict__ for c in self.context["view_of"](report).changes]


class ReportQuery(serializers.Serializer):  # type: ignore[type-arg]
    type = serializers.CharField(required=False, max_length=60, help_text="A report key.")
    state = serializers.ChoiceField(choices=ReportState.choices, required=False)
    unit = serializers.CharField(required=False, max_length=40, help_text="A unit's subtree.")
    due_by = DayField(required=False, help_text="Only reports due by this day.")


class CompletenessQuery(serializers.Serializer):  # type: ignore[type-arg]
    date = DayField(required=False, help_text="As of this day (default: the campaign's today).")
    unit = serializers.CharField(required=False, max_length=40, help_text="A unit's subtree.")


class RatesSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Expected, received and on-time reports; rates in % (null when none expected)."""

    expected = serializers.IntegerField()
    received = serializers.IntegerField()
    on_time = serializers.IntegerField()
    reporting_rate = serializers.FloatField(allow_null=True)
    on_time_rate = serializers.FloatField(allow_null=True)


class ReportViewSet(ScopedReadOnlyViewSet):
    """The reports the plan makes due, in the user's scope; `completeness` as of a day."""

    queryset = Report.objects.select_related("schedule", "unit", "recipient_unit", "plan").order_by(
        "deadline", "schedule__position", "unit__path"
    )
    serializer_class = ReportSerializer
    lookup_url_kwarg = "report"
    lookup_value_converter = "str"

    def narrow(self, queryset: Any) -> Any:
        if self.action != "list":
            return queryset
        query = ReportQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        if q.get("type"):
            queryset = queryset.filter(schedule__key=q["type"])
        if q.get("state"):
            queryset = queryset.filter(state=q["state"])
        if q.get("due_by"):
            queryset = queryset.filter(deadline__lte=q["due_by"])
        return self.subtree(queryset, q.get("unit"))

    def get_object(self) -> Report:
        match = SLUG.match(str(self.kwargs.get("report", "")))
        if match is None:
            raise Http404
        try:
            deadline = dt.datetime.strptime(match["day"], "%Y%m%d").date()  # noqa: DTZ007 - a calendar day
        except ValueError:
            raise Http404 from None
        # The read rule of the web pages (selectors.reports_readable): the user's own
        # reports and, once sent, the reports of the units above them.
        report = (
            reports_readable(self.request.user)  # type: ignore[arg-type]
            .filter(schedule__key=match["key"], unit__code=match["unit"], deadline=deadline)
            .order_by("-plan__issued_on")
            .first()
        )
        if report is None:
            raise Http404
        return report

    def get_serializer_class(self) -> Any:
        return ReportDetailSerializer if self.action == "retrieve" else ReportSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        cache: dict[int, Any] = {}
        context["view_of"] = lambda r: cache.setdefault(r.pk, report_view(r))
        return context

    @extend_schema(parameters=[ReportQuery], responses=responses(ReportSerializer(many=True), 400))
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(parameters=[REPORT_PARAMETER], responses=responses(ReportDetailSerializer, 404))
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)


class CompletenessView(ScopedViewSetMixin, generics.GenericAPIView):  # type: ignore[type-arg]
    """DHIS2 completeness of the user's reports: rates per type and unit, late and missing."""

    queryset = Report.objects.all()
    pagination_class = None  # type: ignore[assignment]  # one summary object, not a list

    @extend_schema(
        parameters=[CompletenessQuery],
        responses=responses(
            inline_serializer(
                "Completeness",
                {
                    "as_of": serializers.DateField(),
                    "overall": RatesSerializer(),
                    "by_type": serializers.DictField(child=RatesSerializer()),
                    "by_unit": serializers.DictField(child=RatesSerializer()),
                    "late": serializers.ListField(child=serializers.CharField()),
                    "missing": serializers.ListField(child=serializers.CharField()),
                },
            ),
            400,
        ),
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = CompletenessQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        reports = self.subtree(self.get_queryset(), query.validated_data.get("unit"))
        day = query.validated_data.get("date") or clock.today()
        return Response(completeness(reports, day).as_dict())


ACTIVITY_MAX = 10_000_000  # no unit reaches ten million people in a day


class ActivitySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    unit = serializers.CharField(source="unit.code", read_only=True)

    class Meta:
        model = CommunicationActivity
        fields = ["unit", "date", *CommunicationActivity.FIELDS, "note"]


class ActivityEntrySerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One unit's communication activities of one day; entering the day again replaces it."""

    unit = serializers.CharField(max_length=40, help_text="Code of one of your units.")
    date = DayField(help_text="The day (yyyy-mm-dd).")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        fields = super().get_fields()
        for name in CommunicationActivity.FIELDS:
            fields[name] = serializers.IntegerField(
                min_value=0, max_value=ACTIVITY_MAX, required=False, default=0
            )
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The unit code is read as of the activity's day (28249 is Phường 5 in 2023 and
        Phường Đạo Thạnh since 1/7/2025); a unit not in force that day takes none."""
        day: dt.date = attrs["date"]
        unit = unit_at(attrs["unit"], day, queryset=self.context["units"])
        if unit is None:
            raise serializers.ValidationError(
                {"unit": [_("No unit with this code in your scope.")]}
            )
        if not unit.is_valid_on(day):
            raise serializers.ValidationError(
                {"unit": [_("This unit was not in force on that day.")]}
            )
        return {**attrs, "unit": unit}


class ActivityQuery(serializers.Serializer):  # type: ignore[type-arg]
    unit = serializers.CharField(required=False, max_length=40, help_text="A unit's subtree.")


class ActivityViewSet(ScopedListCreateViewSet):
    """Communication activities (R11) of the user's units: list, and enter one day."""

    queryset = CommunicationActivity.objects.select_related("unit")
    serializer_class = ActivitySerializer
    parser_classes = [JSONParser]

    def narrow(self, queryset: Any) -> Any:
        query = ActivityQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return self.subtree(queryset, query.validated_data.get("unit")).order_by(
            "-date", "unit__path"
        )

    @extend_schema(
        parameters=[ActivityQuery], responses=responses(ActivitySerializer(many=True), 400)
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=ActivityEntrySerializer,
        responses=responses(ActivitySerializer, 400, status=201),
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        entry = ActivityEntrySerializer(
            data=request.data, context={"units": self.scoped(Unit, Action.CHANGE)}
        )
        entry.is_valid(raise_exception=True)
        data = entry.validated_data
        activity = activity_record(
            unit=data["unit"],
            date=data["date"],
            values={name: data[name] for name in CommunicationActivity.FIELDS},
            acting_user=request.user,  # type: ignore[arg-type]
            note=data["note"],
        )
        return Response(ActivitySerializer(activity).data, status=status.HTTP_201_CREATED)
