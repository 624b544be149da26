"""Pages of a list: ?limit= and ?offset=, bounded so that no number reaches the database
larger than it can hold (an unbounded ?limit=10**30 would fail inside SQLite)."""

from __future__ import annotations

from typing import Any

from rest_framework.pagination import LimitOffsetPagination, _positive_int
from rest_framework.request import Request

MAX_LIMIT = 1000
MAX_OFFSET = 10**9


class ApiPagination(LimitOffsetPagination):
    """LimitOffsetPagination with a ceiling on both numbers (100 rows by default)."""

    max_limit = MAX_LIMIT

    def get_offset(self, request: Request) -> int:
        try:
            return _positive_int(request.query_params[self.offset_query_param], cutoff=MAX_OFFSET)
        except (KeyError, ValueError):
            return 0

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: (1, MAX_LIMIT),
            self.offset_query_param: (0, MAX_OFFSET),
        }
        for parameter in parameters:
            low, high = bounds[parameter["name"]]
            parameter["schema"].update(minimum=low, maximum=high)
            parameter["description"] += f" ({low}–{high}; larger values are capped.)"
        return parameters
