"""Importing one-stop exports of dossiers: `dossiers_import` is the service
(`chiendich import dossiers FILE`), `dossier_template_xlsx` the downloadable
template; the rules a row must pass are in `checks`, the columns and the texts
they accept in procedures/cells.py."""

from .checks import overdue_day
from .dossiers import (
    AUDIT_DOSSIERS_IMPORTED,
    WRITE_COLUMNS,
    DossierImportReport,
    IsoDates,
    default_errors_path,
    dossiers_import,
)
from .template import TEMPLATE_HEADERS, dossier_template_xlsx

__all__ = [
    "AUDIT_DOSSIERS_IMPORTED",
    "TEMPLATE_HEADERS",
    "WRITE_COLUMNS",
    "DossierImportReport",
    "IsoDates",
    "default_errors_path",
    "dossier_template_xlsx",
    "dossiers_import",
    "overdue_day",
]
