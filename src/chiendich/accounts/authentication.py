"""The API's token authentication: DRF's token, refused while its user may not sign in.

DRF already refuses the token of an inactive user. A user locked out by
django-axes (too many failed sign-ins) could still call the API with a token
issued before: the lockout is meant to stop whoever is guessing the password,
and a token is the same account's key. So the token is refused while the
lockout holds, by axes' own rule (AXES_LOCKOUT_PARAMETERS: the username from
this address), and works again when it ends or an administrator resets it.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token …`, refused for an inactive or locked-out user (401)."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        found = super().authenticate(request)  # refuses an inactive user's token
        if found is None:
            return None
        user, token = found
        credentials = {"username": user.get_username()}
        if AxesProxyHandler.is_locked(request._request, credentials):
            raise exceptions.AuthenticationFailed(
                _("This account is locked after too many failed sign-ins.")
            )
        return user, token
