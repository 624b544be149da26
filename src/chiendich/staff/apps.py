from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "chiendich.staff"
    label = "staff"
    verbose_name = _("Staff compliance")
    # `chiendich import staff FILE` (core/management/commands/import.py reads this).
    # Declared for the import pipeline (imports.pipeline): service, template, label.
    import_kinds = {"staff": "chiendich.staff.importing.STAFF_KIND"}
