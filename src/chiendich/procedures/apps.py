from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "chiendich.procedures"
    label = "procedures"
    verbose_name = _("Administrative procedures")
    # `chiendich import dossiers FILE` (core/management/commands/import.py reads this).
    import_kinds = {
        "dossiers": {
            "service": "chiendich.procedures.importing.dossiers_import",
            "template": "chiendich.procedures.importing.dossier_template_xlsx",
            "help": "hồ sơ thủ tục hành chính xuất từ hệ thống một cửa",
        }
    }

    def ready(self) -> None:
        from chiendich.plans.checks import register_indicator_variants

        from .indicators import PLAN_VARIANTS

        # A plan file may pick one of these formulas per indicator (plans/checks.py).
        for key, variants in PLAN_VARIANTS.items():
            register_indicator_variants(key, variants)
