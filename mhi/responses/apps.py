from django.apps import AppConfig


class ResponsesConfig(AppConfig):
    name = "mhi.responses"
    label = "responses"
    verbose_name = "Joint responses"
