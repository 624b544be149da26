"""The app's own middleware: the campaign's language, and no copies of what a
signed-in user was shown."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import add_never_cache_headers


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
