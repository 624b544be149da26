from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _search_index_after_migrate(using: str = "default", **_: Any) -> None:
    """Django rebuilds a SQLite table to alter it, dropping its triggers: put back
    whatever part of the full-text index a later migration removed."""
    from django.db import connections

    from .search import TABLE, search_index_ensure

    connection = connections[using]
    if TABLE in connection.introspection.table_names():
        search_index_ensure(connection)


class ResultsConfig(AppConfig):
    """Digitized results of resolved dossiers: store, search, once-only reuse."""

    name = "chiendich.results"
    verbose_name = _("Digitized results store")
    # `chiendich import results ZIP_OR_FOLDER` and the web job (core/management/commands/
    # import.py reads this): the import pipeline's declaration of the kind.
    import_kinds = {"results": "chiendich.results.importing.RESULTS_KIND"}

    def ready(self) -> None:
        post_migrate.connect(
            _search_index_after_migrate, sender=self, dispatch_uid="results-search-index"
        )
