from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """File imports from the web, run as background jobs with progress."""

    name = "chiendich.imports"
    verbose_name = "Nhập dữ liệu"
