from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "mhi.core"
    label = "core"
    verbose_name = "Core"
