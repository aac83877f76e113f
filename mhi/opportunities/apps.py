from django.apps import AppConfig


class OpportunitiesConfig(AppConfig):
    name = "mhi.opportunities"
    label = "opportunities"
    verbose_name = "Opportunities"

    def ready(self):
        from mhi.core.schedule import register_periodic
        from mhi.expertise.index import register_document_source
        from mhi.opportunities.matching import KIND, opportunity_documents
        from mhi.opportunities.tasks import digests_send_due_run, feeds_fetch_due_run

        # Opportunities are documents of the expertise index: the index build embeds them beside the works, so
        # people, profiles and saved searches are matched to them (mhi.opportunities.matching).
        register_document_source(KIND, opportunity_documents)
        # Each task works out for itself what is due (a feed's own interval, a user's daily or weekly digest):
        # these are only how often they look.
        register_periodic("feeds", feeds_fetch_due_run, every_minutes=10)
        register_periodic("digests", digests_send_due_run, every_minutes=15)
