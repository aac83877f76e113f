from django.apps import AppConfig


class BidsConfig(AppConfig):
    name = "mhi.bids"
    label = "bids"
    verbose_name = "Bids"

    def ready(self):
        from mhi.bids.tasks import reminders_send_due_run
        from mhi.core.schedule import register_periodic

        # The task works out which reminders are due (each bid's own offsets before its deadline): this is only
        # how often it looks.
        register_periodic("bid_reminders", reminders_send_due_run, every_minutes=60)
