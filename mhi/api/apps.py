from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "mhi.api"
    label = "api"
    verbose_name = "API"
