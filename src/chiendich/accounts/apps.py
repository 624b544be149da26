from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "chiendich.accounts"
    label = "accounts"
    verbose_name = _("Users and audit")

    def ready(self) -> None:
        from . import audit, signals  # noqa: F401  (signals registers receivers)

        audit.connect_change_logging()
