from django.apps import AppConfig


class StudiesConfig(AppConfig):
    name = "mhi.studies"
    label = "studies"
    verbose_name = "Patient-based research"

    def ready(self):
        from mhi.core.schedule import register_periodic
        from mhi.studies.tasks import feasibility_reminders_send_run

        # The task works out which reminders are due (each request's own days before its deadline): this is only
        # how often it looks.
        register_periodic("feasibility_reminders", feasibility_reminders_send_run, every_minutes=60)
