from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "chiendich.staff"
    label = "staff"
    verbose_name = _("Staff compliance")
    # `chiendich import staff FILE` (core/management/commands/import.py reads this).
    import_kinds = {
        "staff": {
            "service": "chiendich.staff.importing.staff_import",
            "template": "chiendich.staff.importing.staff_template_xlsx",
            "help": "danh sách cán bộ, công chức, viên chức, giáo viên, công nhân của cơ quan",
        }
    }
