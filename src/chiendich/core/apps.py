from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "chiendich.core"
    label = "core"
