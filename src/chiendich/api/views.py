"""The REST API's viewsets. Each parses its input, calls a selector or a service and
serializes; the scope comes from ScopedViewSetMixin (scope.py), never from here."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from chiendich.accounts.roles import Action
from chiendich.core import clock
from chiendich.field.inbox import PendingConflictError, drain_after, visit_submit
from chiendich.field.models import Outcome, Visit
from chiendich.field.selectors import hamlets_for, recording_days
from chiendich.field.services import VisitConflictError
from chiendich.procedures.models import FORM_FIELDS, AggregateForm
from chiendich.procedures.services import aggregate_form_submit
from chiendich.units.models import Kind, Level, Unit
from chiendich.vneid.models import AccountState, Citizen

from . import selectors
from .personal import UNMASK_PARAMETER, personal_viewed, unmask_asked
from .schema import CODE_PARAMETER, DayField, DayQuery, WindowQuery, responses
from .scope import ScopedListCreateViewSet, ScopedListViewSet, ScopedReadOnlyViewSet
from .serializers import (
    KpiSerializer,
    ProgressReportSerializer,
    UnitDetailSerializer,
    UnitSerializer,
    UnitTargetsSerializer,
)
from .serializers_writes import (
    AggregateFormSerializer,
    AggregateFormSubmitSerializer,
    CitizenSerializer,
    VisitCreateSerializer,
    VisitSerializer,
)


def _query(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """Query parameters checked by `serializer_class`; 400 naming each bad one."""
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


class UnitQuery(serializers.Serializer):
    parent = serializers.CharField(
        required=False, max_length=40, help_text="Only the children of this unit code."
    )
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)


class SubtreeQuery(serializers.Serializer):
    unit = serializers.CharField(
        required=False, max_length=40, help_text="Only rows in this unit's subtree (a code)."
    )


class VisitQuery(SubtreeQuery):
    day = DayField(required=False, help_text="Only visits of this day (yyyy-mm-dd).")
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False)


class CitizenQuery(serializers.Serializer):
    unit = serializers.CharField(
        max_length=40,
        help_text="Code of a hamlet or commune: its citizens (one place at a time, as a "
        "team works).",
    )
    state = serializers.ChoiceField(choices=AccountState.choices, required=False)
    household = serializers.CharField(required=False, max_length=30, help_text="Household code.")


class FormQuery(SubtreeQuery):
    report_key = serializers.CharField(required=False, max_length=60)


# --- units ---------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Units in your scope",
        parameters=[UnitQuery],
        responses=responses(UnitSerializer(many=True), 400),
    ),
    retrieve=extend_schema(
        summary="A unit and its children",
        parameters=[CODE_PARAMETER],
        responses=responses(UnitDetailSerializer, 404),
    ),
)
class UnitViewSet(ScopedReadOnlyViewSet):
    """The unit tree: your units and everything below them."""

    queryset = Unit.objects.all()
    serializer_class = UnitSerializer
    lookup_field = "code"
    lookup_value_converter = "str"

    def narrow(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action != "list":
            return queryset
        query = _query(UnitQuery, self.request)
        if query.get("parent"):
            parent = self.unit_named(query["parent"])
            queryset = queryset.filter(parent=parent) if parent else queryset.none()
        if query.get("level"):
            queryset = queryset.filter(level=query["level"])
        if query.get("kind"):
            queryset = queryset.filter(kind=query["kind"])
        return queryset.order_by("path")

    def get_object(self) -> Any:
        """The unit the URL names: its key, or its code as written, read as of today."""
        unit = self.unit_named(str(self.kwargs.get("code", "")))
        if unit is None:
            raise Http404
        self.check_object_permissions(self.request, unit)
        return unit

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        unit = self.get_object()
        children = self.scoped(Unit).filter(parent=unit).order_by("kind", "code")
        return Response(UnitDetailSerializer(unit, context={"children": children}).data)

    @extend_schema(
        summary="VNeID progress of a unit and its children on a day",
        parameters=[CODE_PARAMETER, DayQuery],
        responses=responses(ProgressReportSerializer, 400, 404),
    )
    @action(detail=True, url_path="progress")
    def progress(self, request: Request, code: str) -> Response:
        """Activated accounts (level 1, 2), eligible citizens, rate, target, % of target,
        new that day, pace needed and forecast: what the unit's page shows."""
        unit = self.get_object()
        day = _query(DayQuery, request).get("date") or selectors.default_day()
        report = selectors.unit_progress(unit, self.scoped(Unit), day)
        return Response(ProgressReportSerializer(report).data)

    @extend_schema(
        summary="TTHC indicators of a unit over a window",
        description="Every indicator of Plan 383 II.1.b–đ with numerator, denominator, rate, "
        "target, met and score; the keys are those of procedures/KPI_JSON.md.",
        parameters=[CODE_PARAMETER, WindowQuery],
        responses=responses(KpiSerializer, 400, 404),
    )
    @action(detail=True, url_path="indicators")
    def indicators(self, request: Request, code: str) -> Response:
        unit = self.get_object()
        query = _query(WindowQuery, request)
        start, end = selectors.indicators_window(unit, query.get("from"), query.get("to"))
        if end < start:
            raise ValidationError({"to": [_("“to” must not be before “from”.")]})
        return Response(selectors.unit_indicators(unit, start, end))

    @extend_schema(
        summary="Targets of a unit and its children's shares",
        parameters=[CODE_PARAMETER],
        responses=responses(UnitTargetsSerializer, 404),
    )
    @action(detail=True, url_path="targets")
    def targets(self, request: Request, code: str) -> Response:
        unit = self.get_object()
        return Response(UnitTargetsSerializer(selectors.unit_targets(unit, self.scoped(Unit))).data)


# --- door-to-door --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Citizens to visit (ID and phone masked unless ?hien=1)",
        parameters=[CitizenQuery, UNMASK_PARAMETER],
        responses=responses(CitizenSerializer(many=True), 400),
    ),
)
class CitizenViewSet(ScopedListViewSet):
    """Citizens of the hamlets you work in, with the id an outcome is recorded for.
    A volunteer sees only the hamlets of their teams, as on /thuc-dia/."""

    queryset = Citizen.objects.select_related("unit", "household")
    serializer_class = CitizenSerializer

    def narrow(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        query = _query(CitizenQuery, self.request)
        queryset = queryset.filter(unit__in=hamlets_for(self.request.user))
        queryset = self.subtree(queryset, query.get("unit"))
        if query.get("state"):
            queryset = queryset.filter(state=query["state"])
        if query.get("household"):
            queryset = queryset.filter(household__code=query["household"])
        return queryset.order_by("unit__path", "household__code", "id")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The page of citizens; with ?hien=1, the numbers of those whose hamlet the
        user may see personal data in are shown, and the answer is audited."""
        queryset = self.get_queryset()
        page = self.paginate_queryset(queryset)
        rows: list[Citizen] = list(page if page is not None else queryset)
        shown: set[int] = set()
        if unmask_asked(request):
            shown = set(
                self.scoped(Unit, Action.VIEW_PERSONAL)
                .filter(pk__in={c.unit_id for c in rows})
                .values_list("pk", flat=True)
            )
        data = CitizenSerializer(rows, many=True, context={"unmasked_units": shown}).data
        people = [c for c in rows if c.unit_id in shown]
        personal_viewed(
            request,
            page="api:citizen-list",
            people=len(people),
            unit=people[0].unit if len({c.unit_id for c in people}) == 1 else None,
            citizens=[c.pk for c in people],
        )
        return self.get_paginated_response(data) if page is not None else Response(data)


class PendingVisitSerializer(serializers.Serializer):
    """An outcome accepted while the database was busy (202): it is written within
    moments under this client_id; GET /api/visits/ shows it then."""

    client_id = serializers.UUIDField()
    status = serializers.CharField(help_text='Always "pending".')
    detail = serializers.CharField()


@extend_schema_view(
    list=extend_schema(
        summary="Outcomes recorded at the door",
        parameters=[VisitQuery],
        responses=responses(VisitSerializer(many=True), 400),
    ),
    create=extend_schema(
        summary="Record an outcome at a citizen's door",
        description="Same rules as the /thuc-dia/ page: only citizens of hamlets you work "
        "in (a volunteer: the hamlets of their teams); the account event, flags and the "
        "hamlet's daily counts are updated at once. When the database stays busy past "
        "a few seconds (an import merging), the outcome is checked, accepted and "
        "answered 202: it is written within moments, once, under its client_id (the "
        "phone's, or one the server made, given in the answer).",
        request=VisitCreateSerializer,
        responses={
            **responses(VisitSerializer, 400, status=201),
            200: OpenApiResponse(
                VisitSerializer, description="Already stored under this client_id."
            ),
            202: OpenApiResponse(
                PendingVisitSerializer,
                description="Received while the database was busy; being written.",
            ),
            409: OpenApiResponse(description="This client_id is stored for a different outcome."),
        },
    ),
)
class VisitViewSet(ScopedListCreateViewSet):
    """Door-to-door outcomes (field.Visit)."""

    queryset = Visit.objects.select_related("citizen", "unit", "household", "team", "recorded_by")
    serializer_class = VisitSerializer
    parser_classes = [JSONParser]

    def narrow(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        query = _query(VisitQuery, self.request)
        queryset = self.subtree(queryset, query.get("unit"))
        if query.get("day"):
            queryset = queryset.filter(day=query["day"])
        if query.get("outcome"):
            queryset = queryset.filter(outcome=query["outcome"])
        return queryset

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = request.user
        citizens = self.scoped(Citizen, Action.CHANGE).filter(
            unit__in=hamlets_for(user, Action.CHANGE)
        )
        entry = VisitCreateSerializer(data=request.data, context={"citizens": citizens})
        entry.is_valid(raise_exception=True)
        data = entry.validated_data
        citizen: Citizen = data["citizen"]
        today = clock.today()
        day = data.get("day") or today
        if day != today and day not in recording_days(user, citizen.unit, today):
            raise ValidationError(
                {"day": [_("You may record outcomes for today or a past day of the peak.")]}
            )
        client_id = str(data["client_id"]) if data.get("client_id") else None
        try:
            submitted = visit_submit(
                citizen,
                outcome=data["outcome"],
                day=day,
                acting_user=user,  # RoleAllows: signed in
                reason=data["reason"] if data["outcome"] == Outcome.NOT_ELIGIBLE else "",
                note=data["note"].strip(),
                client_id=client_id,
                recorded_on_phone=data.get("recorded_on_phone"),
            )
        except (VisitConflictError, PendingConflictError) as exc:
            stored = getattr(exc, "stored", None)
            return Response(
                {
                    "detail": _(
                        "This phone id is already stored for a different outcome; "
                        "make a new id for a new outcome."
                    ),
                    "stored": VisitSerializer(self.get_queryset().get(pk=stored.pk)).data
                    if stored is not None
                    else None,
                },
                status=status.HTTP_409_CONFLICT,
            )
        if submitted.visit is None:
            return drain_after(
                Response(
                    PendingVisitSerializer(
                        {
                            "client_id": submitted.client_id,
                            "status": "pending",
                            "detail": _("Received; being written. It is stored within moments."),
                        }
                    ).data,
                    status=status.HTTP_202_ACCEPTED,
                )
            )
        visit = self.get_queryset().get(pk=submitted.visit.pk)
        answer = Response(
            VisitSerializer(visit).data,
            status=status.HTTP_201_CREATED if submitted.status == 201 else status.HTTP_200_OK,
        )
        return drain_after(answer)  # once it is sent: write outcomes that wait, if any


# --- aggregate forms -----------------------------------------------------------------------------

# The service's error keys, as the API's body names them.
_FORM_ERROR_KEYS = {NON_FIELD_ERRORS: "non_field_errors", "report": "report_key"}


@extend_schema_view(
    list=extend_schema(
        summary="Aggregate TTHC forms in your scope",
        parameters=[FormQuery],
        responses=responses(AggregateFormSerializer(many=True), 400),
    ),
    create=extend_schema(
        summary="Enter or replace a unit's aggregate form for a batch",
        description="For units whose one-stop system cannot export dossiers (Plan 383 "
        "VII.2.b). 201 when the form is new, 200 when it replaced the unit's form for "
        "that batch. A part larger than its whole, or a unit that already has imported "
        "dossiers in the batch's window, answers 400 naming the field.",
        request=AggregateFormSubmitSerializer,
        responses={
            **responses(AggregateFormSerializer, 400, status=201),
            200: AggregateFormSerializer,
        },
    ),
)
class AggregateFormViewSet(ScopedListCreateViewSet):
    """Aggregate forms (procedures.AggregateForm)."""

    queryset = AggregateForm.objects.select_related("unit", "submitted_by")
    serializer_class = AggregateFormSerializer
    parser_classes = [JSONParser]

    def narrow(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        query = _query(FormQuery, self.request)
        queryset = self.subtree(queryset, query.get("unit"))
        if query.get("report_key"):
            queryset = queryset.filter(report_key=query["report_key"])
        return queryset.order_by("data_from", "unit__path", "id")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        entry = AggregateFormSubmitSerializer(
            data=request.data, context={"units": self.scoped(Unit, Action.CHANGE)}
        )
        entry.is_valid(raise_exception=True)
        data = entry.validated_data
        unit: Unit = data["unit"]
        existed = AggregateForm.objects.filter(unit=unit, report_key=data["report_key"]).exists()
        try:
            form = aggregate_form_submit(
                unit=unit,
                report_key=data["report_key"],
                values={name: data[name] for name in FORM_FIELDS},
                acting_user=request.user,
                note=data["note"],
            )
        except DjangoValidationError as exc:
            raise ValidationError(
                {_FORM_ERROR_KEYS.get(k, k): v for k, v in exc.message_dict.items()}
            ) from exc
        form = self.get_queryset().get(pk=form.pk)
        return Response(
            AggregateFormSerializer(form).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )
