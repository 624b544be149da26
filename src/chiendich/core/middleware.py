"""Vietnamese unless the user chose otherwise; no NUL character in a request.

Django's LocaleMiddleware follows the browser's Accept-Language, which would
show English to an officer whose phone came set up in English. The campaign's
language is Vietnamese; the language switch (a cookie) is the only way out.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.utils import translation
from django.utils.translation import gettext as _

from .inputs import BadInput


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
