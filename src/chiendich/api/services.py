"""Writes of the API app: issuing and revoking a user's API token, audited."""

from __future__ import annotations

from django.db import transaction
from rest_framework.authtoken.models import Token

from chiendich.accounts.models import AuditEvent, User
from chiendich.accounts.services import audit_event_record


@transaction.atomic
def api_token_rotate(*, user: User, acting_user: User | None = None, note: str = "") -> str:
    """Give `user` a new API token, replacing any they had (which stops working at once).

    Returns the token; it is shown once and never written to the audit log,
    which records only that a token was issued, to whom and by whom.
    """
    if not user.is_active:
        raise ValueError("the user is not active")
    replaced = Token.objects.filter(user=user).delete()[0] > 0
    token = Token.objects.create(user=user)
    audit_event_record(
        AuditEvent.Type.API_TOKEN_ISSUED,
        user=acting_user,
        obj=user,
        username=user.username,
        replaced=replaced,
        note=note,
    )
    return str(token.key)


@transaction.atomic
def api_token_revoke(*, user: User, acting_user: User | None = None) -> bool:
    """Delete `user`'s API token; False when they had none. Audited."""
    revoked = Token.objects.filter(user=user).delete()[0] > 0
    if revoked:
        audit_event_record(
            AuditEvent.Type.API_TOKEN_REVOKED, user=acting_user, obj=user, username=user.username
        )
    return revoked
