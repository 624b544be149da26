"""The one place that limits what a user may see: their units' subtrees.

After NetBox's RestrictedQuerySet: every model whose rows belong to a unit
uses a RestrictedQuerySet and names, in `scope_unit_field`, the path from the
row to its Unit ("" for Unit itself, "commune" for a citizen, ...). Views,
API viewsets, reports and exports call `.restrict(user, action)` and never
filter by scope themselves. A row outside the scope simply isn't in the
queryset, so fetching it answers 404, exactly like a row that doesn't exist.

A unit's subtree includes, back in time, the units of the earlier tree whose
territory it took over (Unit.successor_path): an officer of Phường Đạo Thạnh
sees the 2023 records of Phường 5, Phường 4 and Xã Đạo Thạnh. Never forward:
a user still bound to a dissolved unit sees nothing of what it became.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from .models import User


class RestrictedQuerySet(models.QuerySet):  # type: ignore[type-arg]
    def restrict(self, user: User | Any, action: str = "view") -> Self:
        """Rows of this queryset that `user` may `action`; none for anyone else."""
        from .roles import role_allows

        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        if not role_allows(user.role, action):
            return self.none()
        paths = user.scope_paths()
        if not paths:
            return self.none()
        field: str = self.model.scope_unit_field  # type: ignore[attr-defined]
        prefix = f"{field}__" if field else ""
        condition = Q()
        for path in paths:
            condition |= Q(**{f"{prefix}path__startswith": path})
            condition |= Q(**{f"{prefix}successor_path__startswith": path})
        return self.filter(condition)
