from django.apps import AppConfig


class StudiesConfig(AppConfig):
    name = "mhi.studies"
    label = "studies"
    verbose_name = "Patient-based research"
