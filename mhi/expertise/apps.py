from django.apps import AppConfig


class ExpertiseConfig(AppConfig):
    name = "mhi.expertise"
    label = "expertise"
    verbose_name = "Expertise"
