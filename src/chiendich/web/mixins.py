"""Base views: every page that shows a row goes through the user's scope."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import QuerySet
from django.views.generic import DetailView


class ScopedObjectView(LoginRequiredMixin, DetailView):  # type: ignore[type-arg]
    """A detail page of a scoped model, looked up by `code`.

    The queryset is restricted before the lookup, so another unit's object
    answers 404 exactly like one that doesn't exist (Zulip's access_*_by_id).
    """

    slug_field = "code"
    slug_url_kwarg = "code"
    action = "view"

    def get_queryset(self) -> QuerySet[Any]:
        return self.model._default_manager.restrict(self.request.user, self.action)  # type: ignore[attr-defined,union-attr]
