import datetime

import factory
from django.utils import timezone

from mhi.opportunities.models import Opportunity, OpportunityFeed


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    title = factory.Sequence(lambda n: f"Opportunity {n}")
    funder_name = "NIHR"
    kind = Opportunity.Kind.FUNDING_CALL
    closes_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=60))


class OpportunityFeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OpportunityFeed

    name = factory.Sequence(lambda n: f"Feed {n}")
    url = "http://127.0.0.1:9/feed.xml"
    format = OpportunityFeed.Format.RSS
    funder_name = "NIHR"
