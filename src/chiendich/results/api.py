"""REST endpoints of the results store for the one-stop system (R6, R12).

The same selectors and services as the pages, so the same scope (restrict) and
the same audit: a once-only lookup and a confirmed reuse each leave an event,
with origin "api". ID numbers are masked unless the caller asks with ?hien=1, their
role shows them and their units cover the result; each answer that shows one is
audited (api/personal.py, the pages' rule).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chiendich.accounts.context import acting_as
from chiendich.accounts.models import AuditEvent
from chiendich.accounts.services import audit_event_record
from chiendich.api.personal import UNMASK_PARAMETER, personal_viewed, unmask_asked
from chiendich.core import clock
from chiendich.procedures.models import Procedure

from .models import Result
from .selectors import (
    SearchFilters,
    mask_id,
    may_see_personal,
    once_only_results,
    personal_paths,
    result_get,
    result_search,
)
from .services import ResultError, result_reuse_confirm


class ResultSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A result's metadata; `subject_id` masked unless the caller may see it."""

    unit = serializers.CharField(source="unit.code")
    unit_name = serializers.CharField(source="unit.name")
    result_type = serializers.CharField(source="result_type.code")
    procedure = serializers.CharField(source="procedure.code", allow_null=True)
    subject_id = serializers.SerializerMethodField()
    valid = serializers.SerializerMethodField()

    class Meta:
        model = Result
        fields = [
            "id",
            "number_symbol",
            "issued_on",
            "title",
            "unit",
            "unit_name",
            "result_type",
            "procedure",
            "subject_kind",
            "subject_id",
            "subject_name",
            "valid_until",
            "revoked_on",
            "valid",
            "source_dossier_code",
            "sha256",
            "version",
            "is_current",
            "needs_review",
        ]

    def get_subject_id(self, obj: Result) -> str:
        return (
            obj.subject_id
            if obj.pk in self.context.get("unmasked", ())
            else mask_id(obj.subject_id)
        )

    def get_valid(self, obj: Result) -> bool:
        return obj.is_valid_on(clock.today())


def _shown(request: Request, results: list[Result], page: str) -> dict[str, Any]:
    """The serializer context: which of `results` show their subject's ID number in full
    (asked with ?hien=1 and allowed), the answer audited when any does."""
    unmasked: set[int] = set()
    if unmask_asked(request):
        paths = personal_paths(request.user)
        unmasked = {r.pk for r in results if may_see_personal(request.user, r, paths)}
    if unmasked:
        one = results[0] if len(results) == 1 else None
        personal_viewed(
            request,
            page=page,
            people=len(unmasked),
            unit=one.unit if one else None,
            obj=one,
            results=sorted(unmasked),
        )
    return {"unmasked": unmasked}


class SearchView(APIView):
    """Full-text and metadata search, as the search page."""

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="words, case and diacritics ignored"),
            OpenApiParameter("subject_id", str),
            UNMASK_PARAMETER,
        ],
        responses=ResultSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = SearchFilters(
            query=request.query_params.get("q", ""),
            subject_id=request.query_params.get("subject_id", ""),
        )
        outcome = result_search(request.user, filters)
        if filters.subject_id:
            with acting_as(request.user, origin="api"):  # type: ignore[arg-type]
                audit_event_record(
                    AuditEvent.Type.RESULT_LOOKUP,
                    user=request.user,  # type: ignore[arg-type]
                    page="api:results-search",
                    subject_id=filters.subject_id,
                )
        rows = [*outcome.exact, *outcome.rows]
        return Response(
            {
                "more": outcome.more,
                "results": ResultSerializer(
                    rows, many=True, context=_shown(request, rows, "api:results-search")
                ).data,
            }
        )


class DetailView(APIView):
    @extend_schema(parameters=[UNMASK_PARAMETER], responses=ResultSerializer)
    def get(self, request: Request, result: str) -> Response:
        item = result_get(request.user, result)
        context = _shown(request, [item], "api:results-detail")
        return Response(ResultSerializer(item, context=context).data)


def _procedure(code: str) -> Procedure:
    found = Procedure.objects.filter(code=code).first()
    if found is None:
        raise serializers.ValidationError({"procedure": f"unknown procedure {code!r}"})
    return found


class OnceOnlyView(APIView):
    """A citizen's still-valid results a procedure accepts (R6); the lookup is audited."""

    @extend_schema(
        parameters=[
            OpenApiParameter("subject_id", str, required=True),
            OpenApiParameter("procedure", str, required=True, description="procedure code"),
        ],
        responses=ResultSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        subject_id = request.query_params.get("subject_id", "").strip()
        if not subject_id:
            raise serializers.ValidationError({"subject_id": "required"})
        procedure = _procedure(request.query_params.get("procedure", ""))
        found = once_only_results(request.user, subject_id, procedure)
        with acting_as(request.user, origin="api"):  # type: ignore[arg-type]
            audit_event_record(
                AuditEvent.Type.RESULT_LOOKUP,
                user=request.user,  # type: ignore[arg-type]
                page="api:results-once-only",
                subject_id=subject_id,
                procedure=procedure.code,
                found=[r.pk for r in found],
            )
        # The caller typed the ID number: showing it back discloses nothing new, and the
        # lookup itself is audited above.
        data = ResultSerializer(found, many=True, context={"unmasked": {r.pk for r in found}}).data
        return Response({"subject_id": subject_id, "procedure": procedure.code, "results": data})


class ReuseSerializer(serializers.Serializer):  # type: ignore[type-arg]
    result = serializers.IntegerField()
    dossier_code = serializers.CharField(max_length=60)
    procedure = serializers.CharField(max_length=40)


class ReuseView(APIView):
    """Confirm that a dossier reuses a result; logged and audited like the page."""

    @extend_schema(request=ReuseSerializer, responses={201: ReuseSerializer})
    def post(self, request: Request) -> Response:
        incoming = ReuseSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        d = incoming.validated_data
        try:
            item = result_get(request.user, str(d["result"]))
        except Http404:
            raise
        procedure = _procedure(d["procedure"])
        with acting_as(request.user, origin="api"):  # type: ignore[arg-type]
            try:
                reuse = result_reuse_confirm(
                    acting_user=request.user,  # type: ignore[arg-type]
                    result=item,
                    dossier_code=d["dossier_code"],
                    procedure=procedure,
                    origin="api",
                )
            except ResultError as exc:
                return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(
            {
                "id": reuse.pk,
                "result": item.pk,
                "dossier_code": reuse.dossier_code,
                "procedure": procedure.code,
                "confirmed_at": reuse.confirmed_at,
            },
            status=status.HTTP_201_CREATED,
        )
