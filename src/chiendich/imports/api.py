"""REST API of web imports: list and upload jobs, read one (state, progress, reports),
confirm one. The same services and selectors as the pages, so the same scope
(another unit's job is 404), checks and audit events.

    GET   /api/imports/                 jobs of the user's units, newest first
    POST  /api/imports/                 multipart: kind, file[, unit] → 201, the check is queued
    GET   /api/imports/<uuid>/          the job
    PATCH /api/imports/<uuid>/          {"state": "confirmed"} confirms a checked job → 202
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from chiendich.accounts.models import User
from chiendich.units.models import Unit

from .kinds import kind_choices
from .models import ImportJob, JobState
from .selectors import job_get, job_progress, jobs_visible, upload_units
from .services import ImportJobError, job_confirm, job_upload


class ImportJobSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A job as the API shows it: no server paths, numbers masked in the reports."""

    id = serializers.UUIDField(source="uuid", read_only=True)
    unit = serializers.CharField(source="unit.code", read_only=True, default=None)
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True, default=None)
    confirmed_by = serializers.CharField(
        source="confirmed_by.username", read_only=True, default=None
    )
    progress = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "kind",
            "unit",
            "file_name",
            "size",
            "sha256",
            "state",
            "progress",
            "check_report",
            "import_report",
            "uploaded_by",
            "confirmed_by",
            "created_at",
            "checked_at",
            "confirmed_at",
            "finished_at",
            "batch_type",
            "batch_id",
        ]
        read_only_fields = fields

    def get_progress(self, job: ImportJob) -> dict[str, Any]:
        return job_progress(job)


class ImportUploadSerializer(serializers.Serializer):  # type: ignore[type-arg]
    kind = serializers.ChoiceField(choices=[])
    file = serializers.FileField()
    unit = serializers.CharField(required=False, help_text="code of one of your units")

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices(user)  # type: ignore[attr-defined]


class ImportConfirmSerializer(serializers.Serializer):  # type: ignore[type-arg]
    state = serializers.ChoiceField(choices=[JobState.CONFIRMED.value])


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - IsAuthenticated
    return user


class ImportJobList(generics.ListCreateAPIView):  # type: ignore[type-arg]
    """Jobs of the user's units; POST uploads a file and queues its dry-run check."""

    serializer_class = ImportJobSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[ImportJob]:
        return jobs_visible(self.request.user)

    @extend_schema(request=ImportUploadSerializer, responses={201: ImportJobSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = _user(request)
        if not user.can("change"):
            raise PermissionDenied
        upload = ImportUploadSerializer(data=request.data, user=user)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        unit: Unit | None = None
        if data.get("unit"):
            unit = upload_units(user).filter(code=data["unit"]).first()
            if unit is None:
                raise DRFValidationError({"unit": ["not one of your units"]})
        try:
            job = job_upload(
                acting_user=user,
                kind=data["kind"],
                file_name=data["file"].name or "",
                chunks=data["file"].chunks(),
                unit=unit,
            )
        except ImportJobError as exc:
            raise DRFValidationError({"file": [str(exc)]}) from exc
        return Response(ImportJobSerializer(job).data, status=status.HTTP_201_CREATED)


class ImportJobDetail(generics.RetrieveUpdateAPIView):  # type: ignore[type-arg]
    """One job; PATCH {"state": "confirmed"} confirms a checked job and queues its import."""

    serializer_class = ImportJobSerializer
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self) -> ImportJob:
        return job_get(self.request.user, self.kwargs["job"])

    @extend_schema(request=ImportConfirmSerializer, responses={202: ImportJobSerializer})
    def patch(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = _user(request)
        ImportConfirmSerializer(data=request.data).is_valid(raise_exception=True)
        job = job_get(user, self.kwargs["job"])
        if not jobs_visible(user, "change").filter(pk=job.pk).exists():
            raise PermissionDenied
        try:
            job = job_confirm(acting_user=user, job=job)
        except ImportJobError as exc:
            raise DRFValidationError({"state": [str(exc)]}) from exc
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
