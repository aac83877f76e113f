from django.apps import AppConfig


class ExpertiseConfig(AppConfig):
    name = "mhi.expertise"
    label = "expertise"
    verbose_name = "Expertise"

    def ready(self):
        from mhi.expertise.evidence import KIND, impact_case_documents
        from mhi.expertise.index import register_document_source, work_documents

        register_document_source("work", work_documents)
        register_document_source(KIND, impact_case_documents)
