"""The web's rule for personal data, in the API: ID and phone numbers are masked
(082******789) unless the request asks for them with `?hien=1` (the web's word)
and the user's role shows them (view_personal) and their units cover the citizen
(Decree 13/2023/NĐ-CP). Each answer that shows at least one is audited as
`personal_data_viewed`, origin "api", like the pages (field:household,
results:detail). Whose units cover whom stays the selectors' business
(field.selectors.may_see_personal, results.selectors.may_see_personal); this
module only reads the parameter, documents it and writes the audit row.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request

from chiendich.accounts.context import acting_as
from chiendich.accounts.models import AuditEvent
from chiendich.accounts.services import audit_event_record

UNMASK = "hien"

UNMASK_PARAMETER = OpenApiParameter(
    UNMASK,
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=False,
    enum=["1"],
    description=(
        "`1` shows ID and phone numbers in full, as `?hien=1` does on the pages: only for "
        "a role that may see personal data (police, agency focal points, volunteers in "
        "their teams' hamlets, the administrator) and only for citizens your units "
        "cover; every answer that shows one is written to the audit log "
        "(personal_data_viewed). Without it, or for anyone else, they are masked "
        "(082******789) or null."
    ),
)


def unmask_asked(request: Request) -> bool:
    """Whether the request asks to see ID and phone numbers (`?hien=1`)."""
    return request.query_params.get(UNMASK) == "1"


def client_ip(request: Request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def personal_viewed(
    request: Request,
    *,
    page: str,
    people: int,
    unit: Any = None,
    obj: Model | None = None,
    **detail: Any,
) -> None:
    """Audit an answer that showed `people` citizens' numbers in full (none: no row)."""
    if people <= 0:
        return
    with acting_as(request.user, origin="api"):  # type: ignore[arg-type]
        audit_event_record(
            AuditEvent.Type.PERSONAL_DATA_VIEWED,
            user=request.user,  # type: ignore[arg-type]
            unit=unit,
            obj=obj,
            ip_address=client_ip(request),
            page=page,
            people=people,
            **detail,
        )
