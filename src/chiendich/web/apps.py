from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "chiendich.web"
    label = "web"
