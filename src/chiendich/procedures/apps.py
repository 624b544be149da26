from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "chiendich.procedures"
    label = "procedures"
    verbose_name = _("Administrative procedures")
    # `chiendich import dossiers FILE` (core/management/commands/import.py reads this).
    # Declared for the import pipeline (imports.pipeline): service, template, label.
    import_kinds = {
        "dossiers": "chiendich.procedures.importing.dossiers.DOSSIERS_KIND",
        "catalogue": "chiendich.procedures.importing.catalogue.CATALOGUE_KIND",
    }

    def ready(self) -> None:
        from chiendich.plans.checks import register_indicator_variants

        from .indicators import PLAN_VARIANTS

        # A plan file may pick one of these formulas per indicator (plans/checks.py).
        for key, variants in PLAN_VARIANTS.items():
            register_indicator_variants(key, variants)
