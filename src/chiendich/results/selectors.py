"""Reads of the results store, already scoped to the user: search, a result and its
versions and reuses, the once-only lookup (R6), and who may see ID numbers.

A result another unit owns is not in the user's queryset, so fetching it answers
404 exactly like one that does not exist. The subject's ID number is personal
data (Decree 13/2023/NĐ-CP): lists show it masked; a user whose role has
view_personal and whose units cover the issuing unit or the subject's commune
may unmask it, and each time that is audited by the view.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from chiendich.accounts.roles import Action
from chiendich.core import clock
from chiendich.procedures.models import Procedure

from .documents import looks_like_number, number_key
from .models import AcceptedEvidence, Result, ResultReuse, ResultType
from .search import match_condition, matching_ids

PAGE = 50


def mask_id(value: str) -> str:
    """082123456789 -> 082******789; an enterprise code keeps its first and last three."""
    if len(value) <= 6:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 6) + value[-3:]


def results_for_user(user: Any, action: str = Action.VIEW) -> QuerySet[Result]:
    return Result.objects.restrict(user, action).select_related(
        "unit", "subject_unit", "result_type", "procedure"
    )


def result_get(user: Any, ref: str, action: str = Action.VIEW) -> Result:
    """The result `ref` (its id) if `user` may see it; 404 exactly like a missing one."""
    if not ref.isascii() or not ref.isdigit() or len(ref) > 18:
        raise Http404
    result = results_for_user(user, action).filter(pk=int(ref)).first()
    if result is None:
        raise Http404
    return result


def personal_paths(user: Any) -> list[str] | None:
    """Unit paths under which `user` may see ID numbers; None means everywhere."""
    if not getattr(user, "is_authenticated", False) or not user.can(Action.VIEW_PERSONAL):
        return []
    if user.is_superuser:
        return None
    return list(user.scope_paths())


def may_see_personal(user: Any, result: Result, paths: list[str] | None | bool = False) -> bool:
    """Whether `user` may see the subject's ID number of `result`: their role shows ID
    numbers and their units cover the issuing unit or the subject's commune."""
    if paths is False:
        paths = personal_paths(user)
    if paths is None:
        return True
    assert isinstance(paths, list)  # noqa: S101 - narrowed for mypy
    places = [result.unit.path]
    if result.subject_unit is not None:
        places.append(result.subject_unit.path)
    return any(place.startswith(p) for place in places for p in paths)


@dataclass
class ShownResult:
    """A result as a list shows it: the ID number masked unless allowed and asked for."""

    result: Result
    subject_id: str
    unmasked: bool
    valid_today: bool


def shown(user: Any, results: list[Result], *, unmask: bool, day: dt.date) -> list[ShownResult]:
    paths = personal_paths(user)
    out = []
    for r in results:
        open_ = unmask and may_see_personal(user, r, paths)
        out.append(
            ShownResult(
                r, r.subject_id if open_ else mask_id(r.subject_id), open_, r.is_valid_on(day)
            )
        )
    return out


class Validity:
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"


def valid_on(day: dt.date) -> Q:
    """Results in force on `day`: not revoked by then, not expired (SQL)."""
    return (Q(revoked_on__isnull=True) | Q(revoked_on__gt=day)) & (
        Q(valid_until__isnull=True) | Q(valid_until__gte=day)
    )


@dataclass
class SearchFilters:
    query: str = ""
    result_type: ResultType | None = None
    procedure: Procedure | None = None
    issued_from: dt.date | None = None
    issued_to: dt.date | None = None
    validity: str = ""
    subject_id: str = ""
    needs_review: bool = False
    all_versions: bool = False


@dataclass
class SearchOutcome:
    exact: list[Result] = field(default_factory=list)  # number-and-symbol matches
    rows: list[Result] = field(default_factory=list)
    more: bool = False


def result_search(user: Any, f: SearchFilters, *, limit: int = PAGE) -> SearchOutcome:
    """Results the user may see matching every word of `f.query` (full text over title,
    number, type, agency, subject's name and the file's text; case, diacritics and đ
    ignored) and the metadata filters; newest digitized first. A query shaped like a
    number and symbol also finds that number exactly ("123/QĐ-UBND" = "123/qd-ubnd")."""
    today = clock.today()
    qs = results_for_user(user)
    if not f.all_versions:
        qs = qs.filter(is_current=True)
    if f.result_type is not None:
        qs = qs.filter(result_type=f.result_type)
    if f.procedure is not None:
        qs = qs.filter(procedure=f.procedure)
    if f.issued_from is not None:
        qs = qs.filter(issued_on__gte=f.issued_from)
    if f.issued_to is not None:
        qs = qs.filter(issued_on__lte=f.issued_to)
    if f.subject_id:
        qs = qs.filter(subject_id=f.subject_id.strip())
    if f.needs_review:
        qs = qs.filter(needs_review=True)
    if f.validity == Validity.VALID:
        qs = qs.filter(valid_on(today))
    elif f.validity == Validity.REVOKED:
        qs = qs.filter(revoked_on__lte=today)
    elif f.validity == Validity.EXPIRED:
        qs = qs.filter(valid_until__lt=today)
    out = SearchOutcome()
    if f.query and looks_like_number(f.query):
        out.exact = list(qs.filter(number_key=number_key(f.query)).order_by("-id")[:limit])
    exact_ids = {r.pk for r in out.exact}
    rows = (
        _matching_rows(user, qs, f.query, limit + 1)
        if f.query
        else list(qs.order_by("-id")[: limit + 1])
    )
    out.rows = [r for r in rows[:limit] if r.pk not in exact_ids]
    out.more = len(rows) > limit
    return out


PAGES = (200, 1_000, 5_000, 20_000)  # ids read from the index per round, growing


def _scope_codes(user: Any) -> list[str] | None:
    """The codes of the units whose subtrees `user` sees; None when unrestricted."""
    if getattr(user, "is_superuser", False) or not getattr(user, "is_authenticated", False):
        return None
    return [path.rstrip("/").rsplit("/", 1)[-1] for path in user.scope_paths()]


def _matching_rows(user: Any, qs: QuerySet[Result], query: str, wanted: int) -> list[Result]:
    """The newest `wanted` rows of `qs` whose text matches `query`.

    Pages of matching ids come from the index newest first, and `qs` (scope and
    filters) keeps those it allows; a broad query is answered from its first page.
    When filters keep few of the matches (a commune's officer, a rare result type),
    after ~26,000 ids the rest is left to the database in one statement."""
    rows: list[Result] = []
    below: int | None = None
    scope = _scope_codes(user)
    for size in PAGES:
        ids = matching_ids(query, below=below, limit=size, scope=scope)
        if ids is None:
            return []
        if ids:
            rows += list(qs.filter(pk__in=ids).order_by("-id")[: wanted - len(rows)])
        if len(rows) >= wanted or len(ids) < size:
            return rows
        below = ids[-1]
    condition = match_condition(query)
    if condition is None:
        return rows
    sql, params = condition
    rest = qs.filter(pk__lt=below).extra(where=[sql], params=params)  # noqa: S610 - our SQL
    return rows + list(rest.order_by("-id")[: wanted - len(rows)])


def versions_of(user: Any, result: Result) -> list[Result]:
    """Every version of `result`'s lineage the user may see, oldest first."""
    root_id = result.root_id or result.pk
    return list(
        results_for_user(user).filter(Q(pk=root_id) | Q(root_id=root_id)).order_by("version")
    )


def reuses_of(user: Any, result: Result) -> QuerySet[ResultReuse]:
    return (
        ResultReuse.objects.restrict(user)
        .filter(result=result)
        .select_related("procedure", "confirmed_by")
    )


def accepted_types(procedure: Procedure) -> set[int]:
    """Ids of the result types `procedure` accepts as evidence."""
    return set(
        AcceptedEvidence.objects.filter(procedure=procedure).values_list(
            "result_type_id", flat=True
        )
    )


def once_only_results(
    user: Any, subject_id: str, procedure: Procedure, day: dt.date | None = None
) -> list[Result]:
    """A citizen's (or enterprise's) results that satisfy `procedure` and are still
    valid on `day`: current version, type accepted by the procedure, not revoked, not
    expired; only those the user may see. Plain indexed SQL (subject_id, result_type),
    no full-text search."""
    day = day or clock.today()
    types = accepted_types(procedure)
    if not types or not subject_id:
        return []
    return list(
        results_for_user(user)
        .filter(subject_id=subject_id.strip(), result_type_id__in=types, is_current=True)
        .filter(valid_on(day))
        .order_by("-issued_on", "-id")
    )
