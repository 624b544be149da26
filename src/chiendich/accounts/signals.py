"""Sign-ins and failed sign-ins go to the audit trail."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from .models import AuditEvent, User
from .services import audit_event_record


def _ip(request: HttpRequest | None) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


@receiver(user_logged_in, dispatch_uid="chiendich-audit-login")
def _logged_in(sender: Any, request: HttpRequest, user: User, **_: Any) -> None:
    audit_event_record(AuditEvent.Type.LOGIN, user=user, ip_address=_ip(request))


@receiver(user_login_failed, dispatch_uid="chiendich-audit-login-failed")
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **_: Any
) -> None:
    audit_event_record(
        AuditEvent.Type.LOGIN_FAILED,
        user=None,
        ip_address=_ip(request),
        username=str(credentials.get("username", ""))[:150],
    )
