"""The one base every API viewset stands on: scope, role, and who is acting.

As in NetBox's API, the scope is applied here and never per endpoint: a
viewset names its model's queryset and `get_queryset` returns it already
passed through `restrict(user, action)`, so `get_object()` on another unit's
row raises 404 exactly like a missing row. Reads need the role's `view`
action, writes its `change` action; objects a write names in its body are
looked up through `scoped()` too, so naming another unit's citizen reads the
same as naming one that does not exist.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from django.db.models import Model, QuerySet
from django.http import Http404
from rest_framework import permissions, viewsets
from rest_framework.request import Request
from rest_framework.views import APIView

from chiendich.accounts.context import acting_as
from chiendich.accounts.restrict import RestrictedQuerySet
from chiendich.accounts.roles import Action

from .pagination import ApiPagination

ORIGIN = "api"  # what the change log and audit events record as where a write came from


def action_for(method: str) -> str:
    """The role action a request needs: reading is `view`, anything else `change`."""
    return Action.VIEW if method in permissions.SAFE_METHODS else Action.CHANGE


class RoleAllows(permissions.BasePermission):
    """Signed in, active, and the role may do what the method asks (view or change).

    Where is the queryset's business (restrict); this is only the what, so a
    viewer's write answers 403 before any body is read.
    """

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return bool(user.can(action_for(request.method or "GET")))


class ScopedViewSetMixin:
    """Restricts every queryset of a viewset to the user's units.

    Subclasses set `queryset` (a RestrictedQuerySet) and may narrow it in
    `narrow()`; they never override `get_queryset`, so no endpoint can forget
    the scope. Writes run inside `acting_as(user, origin="api")`, because DRF
    authenticates a token inside the view, after ActorMiddleware has run.
    """

    request: Request
    queryset: QuerySet[Any] | None
    permission_classes = [RoleAllows]
    pagination_class = ApiPagination

    def scope_action(self) -> str:
        return action_for(self.request.method or "GET")

    def scoped(self, model_or_queryset: type[Model] | QuerySet[Any], action: str = "") -> Any:
        """`model_or_queryset` restricted to what the user may `action` (default: by method)."""
        queryset = (
            model_or_queryset
            if isinstance(model_or_queryset, QuerySet)
            else model_or_queryset._default_manager.all()
        )
        if not isinstance(queryset, RestrictedQuerySet):
            raise TypeError(f"{queryset.model.__name__} has no restrict(): it cannot be scoped")
        return queryset.restrict(self.request.user, action or self.scope_action())

    def get_queryset(self) -> QuerySet[Any]:
        assert self.queryset is not None, f"{type(self).__name__} must set `queryset`"  # noqa: S101
        return self.narrow(self.scoped(self.queryset.all()))

    def narrow(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """Filters of one endpoint on top of the scope (query parameters, a role's rule)."""
        return queryset

    def subtree(self, queryset: QuerySet[Any], code: str | None) -> QuerySet[Any]:
        """Rows of `queryset` in the subtree of unit `code` (a list's ?unit= filter): none
        when the unit is outside the scope, the same as for a code that does not exist."""
        if not code:
            return queryset

        unit = self.unit_named(code)
        if unit is None:
            return queryset.none()
        from chiendich.units.selectors import in_territory

        field = queryset.model.scope_unit_field
        return in_territory(queryset, unit, field)

    def unit_named(self, code: str) -> Any:
        """The unit in scope a request names: by key, or by its code read as of today."""
        from chiendich.core import clock
        from chiendich.units.models import Unit
        from chiendich.units.selectors import unit_at

        if "\x00" in code:
            return None
        return unit_at(code, clock.today(), queryset=self.scoped(Unit, Action.VIEW))

    def get_object(self) -> Any:
        # PostgreSQL refuses NUL in a string: such a code names nothing, so 404.
        value = str(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, ""))  # type: ignore[attr-defined]
        if "\x00" in value:
            raise Http404
        return super().get_object()  # type: ignore[misc]

    def get_serializer_context(self) -> dict[str, Any]:
        context: dict[str, Any] = super().get_serializer_context()  # type: ignore[misc]
        context["scoped"] = self.scoped
        return context

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        with ExitStack() as stack:
            self._actor_stack = stack
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]  # authenticates
        self._actor_stack.enter_context(acting_as(request.user, origin=ORIGIN))


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """List and retrieve, inside the user's scope."""


class ScopedListViewSet(
    ScopedViewSetMixin,
    viewsets.mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """List inside the user's scope."""


class ScopedListCreateViewSet(
    ScopedViewSetMixin,
    viewsets.mixins.ListModelMixin,
    viewsets.mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """List inside the user's scope, and create through a service."""
