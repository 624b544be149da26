"""Middleware: the campaign's language, and the Content-Security-Policy.

Vietnamese unless the user chose otherwise.

Django's LocaleMiddleware follows the browser's Accept-Language, which would
show English to an officer whose phone came set up in English. The campaign's
language is Vietnamese; the language switch (a cookie) is the only way out.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class LanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.available = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


class ContentSecurityPolicyMiddleware:
    """Sends settings.CONTENT_SECURITY_POLICY on every response that has none.

    Django 5.2 has no CSP of its own (6.0 adds one); this is the whole of what we need:
    one fixed policy, since no page of ours has an inline script to allow by nonce.
    Paths under CONTENT_SECURITY_POLICY_INLINE_STYLE_PREFIXES (the admin, DRF's
    browsable API) also accept inline styles.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy: str = settings.CONTENT_SECURITY_POLICY
        self.relaxed = self.policy.replace(
            "style-src 'self'", "style-src 'self' 'unsafe-inline'", 1
        )
        self.prefixes = tuple(
            getattr(settings, "CONTENT_SECURITY_POLICY_INLINE_STYLE_PREFIXES", ())
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.policy and "Content-Security-Policy" not in response.headers:
            relaxed = self.prefixes and request.path.startswith(self.prefixes)
            response.headers["Content-Security-Policy"] = self.relaxed if relaxed else self.policy
        return response
