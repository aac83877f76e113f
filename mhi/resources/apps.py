from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "mhi.resources"
    label = "resources"
    verbose_name = "Shared resources"
