"""Imports into the vneid app: police lists of citizens and their account states.

`citizens_import` is the service (CITIZENS_KIND, run by imports.pipeline); `citizen_template_xlsx` the downloadable
template; the columns and the accepted texts live in `cells`.
"""

from chiendich.core.tabular import default_errors_path

from .cells import CITIZEN_COLUMNS, STATUS_TEXTS
from .citizens import CITIZENS_KIND, citizens_import
from .report import CitizenImportReport
from .template import TEMPLATE_HEADERS, citizen_template_xlsx

__all__ = [
    "CITIZENS_KIND",
    "CITIZEN_COLUMNS",
    "STATUS_TEXTS",
    "TEMPLATE_HEADERS",
    "CitizenImportReport",
    "citizen_template_xlsx",
    "citizens_import",
    "default_errors_path",
]
