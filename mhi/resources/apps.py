from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "mhi.resources"
    label = "resources"
    verbose_name = "Shared resources"

    def ready(self):
        from mhi.core.schedule import register_periodic
        from mhi.expertise.index import register_document_source
        from mhi.resources.search import KIND, resource_documents
        from mhi.resources.tasks import waitlist_expire_offers_run

        # Resources are documents of the expertise index: the index build embeds them beside the works, so the
        # catalogue's search finds equipment by meaning as well as by its words (mhi.resources.search).
        register_document_source(KIND, resource_documents)
        # A waitlist offer lasts a day; this looks for lapsed ones and passes the slot on.
        register_periodic("waitlist_offers", waitlist_expire_offers_run, every_minutes=15)
