"""The kinds of file the web can import: those `chiendich import` knows.

The registry is the command's (core/management/commands/import.py and each
app's `import_kinds`); this module adds what a page needs: a translated
label, and whether the error file may hold personal data.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

from django.utils.module_loading import import_string

# The command module is named after a Python keyword: import it by name.
_command = importlib.import_module("chiendich.core.management.commands.import")

# Labels of kinds registered without a declaration (an app's `import_kinds` may still
# name a bare service); every kind of ours is declared and carries its own label.
LABELS: dict[str, Any] = {}
# Error files of these undeclared kinds hold no personal data; any other kind not
# declared for the pipeline (a declaration says it itself: the dossiers' and the
# catalogue's hold codes and names only) is treated as holding ID numbers.
WITHOUT_PERSONAL_DATA: frozenset[str] = frozenset()


def kinds() -> dict[str, Any]:
    """name -> ImportKind (service, template, help), every installed app's."""
    found: dict[str, Any] = _command.import_kinds()
    return found


def _label(name: str, spec: Any) -> str:
    declared = getattr(spec, "declared", None)
    if declared is not None and declared.label:
        return str(declared.label)
    return str(LABELS.get(name, spec.help if spec else name))


def kind_allowed(name: str, user: Any) -> bool:
    """Whether `user` may import this kind (a declaration may say who: the province's
    catalogue, only the system's administrators); None asks for every kind."""
    allowed = getattr(getattr(kinds().get(name), "declared", None), "allowed", None)
    return allowed is None or user is None or bool(allowed(user))


def kind_choices(user: Any = None) -> list[tuple[str, str]]:
    """(name, label) of the kinds `user` may import (every kind when None)."""
    return [
        (name, _label(name, spec))
        for name, spec in sorted(kinds().items())
        if kind_allowed(name, user)
    ]


def kind_label(name: str) -> str:
    return _label(name, kinds().get(name))


def kind_service(name: str) -> Callable[..., Any]:
    """The import function of `name`: service(path, *, dry_run, acting_user, progress,
    errors_path[, tree]) returning a report."""
    service: Callable[..., Any] = kinds()[name].load_service()
    return service


def kind_takes_tree(name: str) -> bool:
    """Whether the kind reads codes by date and maps them to a target tree (see
    imports.dated): the police-list, dossier and staff imports."""
    takes: bool = _command.takes_tree(kind_service(name))
    return takes


def kind_template(name: str, user: Any = None) -> bytes | None:
    """The kind's template as xlsx bytes, or None when it has none. A template that
    takes the downloading `user` places its example row in their own unit."""
    spec = kinds().get(name)
    if spec is None or not spec.template:
        return None
    make: Callable[..., bytes] = import_string(spec.template)
    if user is not None and "user" in inspect.signature(make).parameters:
        return make(user=user)
    return make()


def has_personal_data(name: str) -> bool:
    declared = getattr(kinds().get(name), "declared", None)
    if declared is not None:
        return bool(declared.personal_data)
    return name not in WITHOUT_PERSONAL_DATA


def kind_suffixes(name: str) -> tuple[str, ...]:
    """The file name endings a kind reads (.csv/.xlsx; .zip for digitized results)."""
    spec = kinds().get(name)
    return tuple(spec.suffixes) if spec is not None else ()


def all_suffixes() -> list[str]:
    return sorted({s for spec in kinds().values() for s in spec.suffixes})
