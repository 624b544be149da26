from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "chiendich.plans"
    label = "plans"
