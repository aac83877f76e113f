"""Factories for bids. They write rows directly (no services, no audit): for arranging a test's world. Tests of
the rules themselves go through mhi.bids.services."""

import hashlib
import secrets

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from mhi.bids.models import (
    Bid,
    BidComment,
    BidDocument,
    BidEvent,
    BidMember,
    BidPartner,
    CapPlace,
    MemberRole,
    PartnerRole,
    ReviewConflict,
    RoundEntry,
    RoundReviewer,
    SelectionRound,
    Stage,
    StageChange,
)
from mhi.directory.tests.factories import OrganisationFactory, PersonFactory
from mhi.opportunities.tests.factories import OpportunityFactory


class BidFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bid

    opportunity = factory.SubFactory(OpportunityFactory)
    title = factory.Sequence(lambda n: f"Bid {n}")
    lead_organisation = factory.SubFactory(OrganisationFactory)
    stage = Stage.IDEA
    stage_changed_at = factory.LazyFunction(timezone.now)


class BidPartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BidPartner

    bid = factory.SubFactory(BidFactory)
    organisation = factory.SubFactory(OrganisationFactory, kind="nhs_trust")
    role = PartnerRole.NHS_TRUST


class BidMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BidMember

    bid = factory.SubFactory(BidFactory)
    person = factory.SubFactory(PersonFactory)
    role = MemberRole.CO_INVESTIGATOR


class BidCommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BidComment

    bid = factory.SubFactory(BidFactory)
    text = factory.Sequence(lambda n: f"Comment {n}")


class BidEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BidEvent

    bid = factory.SubFactory(BidFactory)
    kind = BidEvent.Kind.UPDATED
    message = factory.Sequence(lambda n: f"Event {n}")


class StageChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StageChange

    bid = factory.SubFactory(BidFactory)
    from_stage = Stage.IDEA
    to_stage = Stage.EOI
    at = factory.LazyFunction(timezone.now)


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class BidDocumentFactory(factory.django.DjangoModelFactory):
    """A stored PDF (written to the private storage, which the bids conftest points at a temporary folder)."""

    class Meta:
        model = BidDocument
        exclude = ["content"]

    bid = factory.SubFactory(BidFactory)
    content = PDF_BYTES
    token = factory.LazyFunction(lambda: secrets.token_hex(16))
    original_name = factory.Sequence(lambda n: f"case-for-support-{n}.pdf")
    content_type = "application/pdf"
    size = factory.LazyAttribute(lambda d: len(d.content))
    sha256 = factory.LazyAttribute(lambda d: hashlib.sha256(d.content).hexdigest())
    file = factory.LazyAttribute(lambda d: ContentFile(d.content, name=d.original_name))


class CapPlaceFactory(factory.django.DjangoModelFactory):
    """A place held by `bid` for its lead institution (pass scope="partnership", organisation=None for the other)."""

    class Meta:
        model = CapPlace

    bid = factory.SubFactory(BidFactory, stage=Stage.OUTLINE)
    opportunity = factory.LazyAttribute(lambda p: p.bid.opportunity)
    organisation = factory.LazyAttribute(lambda p: p.bid.lead_organisation)
    scope = factory.LazyAttribute(lambda p: f"org:{p.organisation.pk}" if p.organisation else "partnership")
    number = 1
    cap = 2


class SelectionRoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SelectionRound

    opportunity = factory.SubFactory(OpportunityFactory, cap_per_institution=2)
    title = factory.Sequence(lambda n: f"Selection round {n}")


class RoundEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoundEntry

    round = factory.SubFactory(SelectionRoundFactory)
    bid = factory.SubFactory(
        BidFactory, opportunity=factory.SelfAttribute("..round.opportunity"), stage=Stage.INTERNAL_SELECTION
    )


class RoundReviewerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoundReviewer

    round = factory.SubFactory(SelectionRoundFactory)
    user = factory.SubFactory("mhi.accounts.tests.factories.UserFactory")


class ReviewConflictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewConflict

    entry = factory.SubFactory(RoundEntryFactory)
    reviewer = factory.SubFactory(RoundReviewerFactory, round=factory.SelfAttribute("..entry.round"))
    source = ReviewConflict.Source.DECLARED
    detail = "Declared by the reviewer"
