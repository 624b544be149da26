from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UnitsConfig(AppConfig):
    name = "chiendich.units"
    label = "units"
    verbose_name = _("Units")
    import_kinds = {
        "hamlets": "chiendich.units.importing.HAMLETS_KIND",
        "organizations": "chiendich.units.importing.ORGANIZATIONS_KIND",
    }
