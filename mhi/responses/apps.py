from django.apps import AppConfig


class ResponsesConfig(AppConfig):
    name = "mhi.responses"
    label = "responses"
    verbose_name = "Joint responses"

    def ready(self):
        from mhi.core.schedule import register_periodic
        from mhi.expertise.index import register_document_source
        from mhi.responses.library import KIND, answer_documents
        from mhi.responses.tasks import response_reminders_send_run

        # Deadline reminders: the task works out which are due (each response's own days before its deadline).
        register_periodic("response_reminders", response_reminders_send_run, every_minutes=60)

        # Signed-off answers are documents of the expertise index: the library of past positions finds them by
        # meaning as well as by their words (mhi.responses.library).
        register_document_source(KIND, answer_documents)
