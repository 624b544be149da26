"""Who is acting right now, for the change log.

Views get it from ActorMiddleware; services and commands that act for a user
say so with `acting_as(user)`. A contextvar, so threads and async tasks each
keep their own.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import User

_actor: contextvars.ContextVar[Any] = contextvars.ContextVar("chiendich_actor", default=None)
_origin: contextvars.ContextVar[str] = contextvars.ContextVar("chiendich_origin", default="system")


def current_actor() -> User | None:
    user = _actor.get()
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def current_origin() -> str:
    return _origin.get()


@contextmanager
def acting_as(user: User | None, origin: str = "system") -> Iterator[None]:
    """Attribute every logged change inside the block to `user`, coming from `origin`."""
    token = _actor.set(user)
    origin_token = _origin.set(origin)
    try:
        yield
    finally:
        _actor.reset(token)
        _origin.reset(origin_token)
