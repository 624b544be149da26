"""Sets the acting user for the change log for the length of a request."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .context import acting_as


class ActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # request.user is lazy; the change log reads it only when something is written.
        with acting_as(request.user, origin="web"):  # type: ignore[arg-type]
            return self.get_response(request)
