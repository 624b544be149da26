"""Signing out: the session ends on the server, and the browser is told to forget
everything this site kept on it (issue 13: personal data on the phone)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse


class SignOutView(auth_views.LogoutView):
    """Django's LogoutView, plus `Clear-Site-Data: "cache", "storage"`: the
    volunteer app's IndexedDB lists and queue, its caches and its service worker are
    wiped by the browser itself, whichever page the user signs out from. Browsers honour
    the header on HTTPS and on localhost; the door-to-door page's own script also wipes
    its storage when its sign-out button is used (field/static/field/field.js)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache", "storage"'
        return response
