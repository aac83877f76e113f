from django.apps import AppConfig


class BidsConfig(AppConfig):
    name = "mhi.bids"
    label = "bids"
    verbose_name = "Bids"
