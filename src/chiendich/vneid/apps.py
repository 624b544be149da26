from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VneidConfig(AppConfig):
    name = "chiendich.vneid"
    label = "vneid"
    verbose_name = _("VNeID accounts")
    # `chiendich import citizens FILE` (core/management/commands/import.py reads this).
    # Declared for the import pipeline (imports.pipeline): service, template, label.
    import_kinds = {"citizens": "chiendich.vneid.importing.CITIZENS_KIND"}
