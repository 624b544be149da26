"""The app's own middleware: the campaign's language, no NUL character in a
request, no copies of what a signed-in user was shown, and the
Content-Security-Policy."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse, QueryDict
from django.middleware.gzip import GZipMiddleware
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from .inputs import BadInput


class LanguageMiddleware:
    """Vietnamese unless the user chose otherwise.

    Django's LocaleMiddleware follows the browser's Accept-Language, which would
    show English to an officer whose phone came set up in English. The campaign's
    language is Vietnamese; the language switch (a cookie) is the only way out.
    """

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


class StaticGZipMiddleware(GZipMiddleware):
    """Static files (scripts, styles, the service worker's Workbox) sent gzipped.

    WhiteNoise serves them from the apps' folders as they are; at a phone's 400 kbit/s
    the field pages' 53 KB of scripts and styles cost about a second, 14 KB gzipped.
    Only static files: they are public and the same for everyone. Pages are never
    compressed here, since a compressed page holding a CSRF token leaks it to an
    attacker who can add text to it and measure its size (BREACH).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        super().__init__(get_response)
        self.prefix = "/" + settings.STATIC_URL.lstrip("/")

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if response.status_code != 200 or not request.path.startswith(self.prefix):
            return response  # a 206 range or a 304 is never recompressed
        return super().process_response(request, response)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _holds_nul(query: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in v for v in query.getlist(key)) for key in query)


class TextInputMiddleware:
    """Refuses a request whose address, query string or form holds a NUL character (400).

    PostgreSQL's text columns cannot hold one, so a lookup with it fails inside the
    database (a 500) wherever a parameter reaches a query; nobody types one. One
    check here instead of one per parameter. Under /api/ the answer is the API's
    error body ({"detail": ...}); elsewhere the 400 page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        posted = request.method == "POST" and request.content_type in FORM_TYPES
        if (
            "\x00" in request.path
            or _holds_nul(request.GET)
            or (posted and _holds_nul(request.POST))
        ):
            message = _("The request holds a NUL character, which no field may contain.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            raise BadInput(message)
        return self.get_response(request)


class NoStoreMiddleware:
    """`Cache-Control: no-store` (Django's never_cache headers) on every answer to a
    signed-in user, by session or by API token.

    Pages with unmasked ID numbers, worklists, lists, exports, error files and API
    answers hold personal data (Decree 13/2023/NĐ-CP); a copy left in a shared
    phone's or office PC's browser cache, or in a proxy, outlives the audit row of
    the view that showed it. Marking every signed-in answer, rather than listing
    the views that hold personal data, means a new page or download cannot forget
    it; what anonymous visitors get (the sign-in page, static files, which WhiteNoise
    serves before this runs) stays cacheable. An API token is read inside the view
    (DRF sets `request.user` then), so the check comes after the response.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
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
