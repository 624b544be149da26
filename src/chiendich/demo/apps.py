from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "chiendich.demo"
    label = "demo"
