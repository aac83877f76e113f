from django.apps import AppConfig


class OpportunitiesConfig(AppConfig):
    name = "mhi.opportunities"
    label = "opportunities"
    verbose_name = "Opportunities"
