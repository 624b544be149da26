"""The app's cache: this process's memory in front of a folder every process of the
machine shares (the web server's workers, `chiendich db_worker`).

Django's default cache is a per-process memory cache: `chiendich serve` runs several
worker processes, and each computed the province's figures once for itself; the
worker that imports a file could not leave the figures it refreshed for the web
server to find. `TieredCache` reads its memory first (no system call), then the
shared folder (Django's FileBasedCache: one pickled file per key, written to a
temporary file and renamed), and keeps what it found there in its memory.

Only values that never change under one key belong here: the dashboard caches its
figures and pages under the version of the data they were computed from
(web/stored.py), so an entry a process keeps in memory cannot go stale; a new
version is a new key. `delete()` and `clear()` reach the shared folder and this
process's memory, not the memory of the other processes (which hold no entry
anyone can reach under an old version anyway).

What goes in: aggregate figures and the HTML of pages built from them, never
personal data (citizens' IDs, phone numbers, names), nor sessions. The folder is
created readable by its owner only (0700), like the database in the same folder.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.locmem import LocMemCache

MISSING = object()


class TieredCache(BaseCache):
    """LocMemCache (this process) in front of FileBasedCache (`LOCATION`, shared).

    OPTIONS: MAX_ENTRIES (the folder's, default 5000), LOCAL_MAX_ENTRIES (each
    process's memory, default 500), LOCAL_TIMEOUT (seconds an entry found in the
    folder stays in memory, default the cache's TIMEOUT)."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        options = dict(params.get("OPTIONS") or {})
        common: dict[str, Any] = {
            k: params[k]
            for k in ("TIMEOUT", "KEY_PREFIX", "VERSION", "KEY_FUNCTION")
            if k in params
        }
        self.shared = FileBasedCache(
            location, {**common, "OPTIONS": {"MAX_ENTRIES": options.get("MAX_ENTRIES", 5000)}}
        )
        self.local = LocMemCache(
            # One memory per location and process (LocMemCache shares by name).
            "tiered-" + hashlib.sha256(location.encode()).hexdigest()[:16],
            {
                **common,
                "TIMEOUT": options.get("LOCAL_TIMEOUT", params.get("TIMEOUT", 300)),
                "OPTIONS": {"MAX_ENTRIES": options.get("LOCAL_MAX_ENTRIES", 500)},
            },
        )

        # Keys are made by the two tiers themselves (same prefix, version and function).

        # Values cheap enough to compute again in each process, never written to the
        # folder (whose every write lists the folder to cull it): `process_cache()`.
        self.process = LocMemCache(
            "process-" + hashlib.sha256(location.encode()).hexdigest()[:16],
            {
                **common,
                "OPTIONS": {"MAX_ENTRIES": options.get("PROCESS_MAX_ENTRIES", 20000)},
            },
        )

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        found = self.local.get(key, MISSING, version)
        if found is not MISSING:
            return found
        found = self.shared.get(key, MISSING, version)
        if found is MISSING:
            return default
        self.local.set(key, found, version=version)
        return found

    def set(
        self,
        key: str,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,  # type: ignore[assignment]
        version: int | None = None,
    ) -> None:
        self.shared.set(key, value, timeout, version)
        self.local.set(key, value, timeout, version)

    def add(
        self,
        key: str,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,  # type: ignore[assignment]
        version: int | None = None,
    ) -> bool:
        if not self.shared.add(key, value, timeout, version):
            return False
        self.local.set(key, value, timeout, version)
        return True

    def touch(
        self,
        key: str,
        timeout: float | None = DEFAULT_TIMEOUT,  # type: ignore[assignment]
        version: int | None = None,
    ) -> bool:
        self.local.touch(key, timeout, version)
        return bool(self.shared.touch(key, timeout, version))

    def delete(self, key: str, version: int | None = None) -> bool:
        local = self.local.delete(key, version)
        return bool(self.shared.delete(key, version)) or local

    def has_key(self, key: str, version: int | None = None) -> bool:
        return self.local.has_key(key, version) or self.shared.has_key(key, version)

    def clear(self) -> None:
        self.local.clear()
        self.process.clear()
        self.shared.clear()

    def close(self, **kwargs: Any) -> None:
        self.shared.close(**kwargs)
        self.local.close(**kwargs)


def process_cache() -> BaseCache:
    """This process's memory (TieredCache.process; the default cache itself under any
    other backend): for values under a data version that each process can compute
    once for itself, where writing a file per value would cost more than it saves.
    Cleared with the default cache."""
    from django.core.cache import cache

    return getattr(cache, "process", cache)  # type: ignore[no-any-return]
