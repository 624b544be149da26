from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VneidConfig(AppConfig):
    name = "chiendich.vneid"
    label = "vneid"
    verbose_name = _("VNeID accounts")
