from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """Plan 383 section VII: expected reports, their workflow and completeness, emulation, communication activities."""

    name = "chiendich.reporting"
    verbose_name = "Báo cáo và thi đua"
