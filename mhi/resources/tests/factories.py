"""Factories for the shared-resources tests. Other areas' tests build on these: add a missing one at the end,
with a comment saying whose it is."""

import datetime
import decimal

import factory
from django.utils import timezone

from mhi.accounts.tests.factories import UserFactory
from mhi.directory.tests.factories import OrganisationFactory
from mhi.resources.models import (
    Booking,
    Closure,
    Induction,
    InductionClass,
    Rate,
    RateUnit,
    Resource,
    Tier,
)


def _next_hour(days: int) -> datetime.datetime:
    """A whole hour `days` from now, in UTC."""
    return (timezone.now() + datetime.timedelta(days=days)).replace(minute=0, second=0, microsecond=0)


class InductionClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InductionClass
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Induction class {n}")


class ResourceFactory(factory.django.DjangoModelFactory):
    """A bookable piece of equipment. `managers=[user, ...]` adds managers."""

    class Meta:
        model = Resource
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    uniquip_id = factory.Sequence(lambda n: f"EQ-{n:04d}")
    name = factory.Sequence(lambda n: f"Resource {n}")

    @factory.post_generation
    def managers(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.managers.add(*extracted)


class RateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rate

    resource = factory.SubFactory(ResourceFactory)
    tier = Tier.INTERNAL
    unit = RateUnit.HOUR
    amount = decimal.Decimal("10.00")


class ClosureFactory(factory.django.DjangoModelFactory):
    """A maintenance closure from tomorrow for a day."""

    class Meta:
        model = Closure

    resource = factory.SubFactory(ResourceFactory)
    kind = Closure.Kind.MAINTENANCE
    start = factory.LazyFunction(lambda: _next_hour(1))
    end = factory.LazyAttribute(lambda c: c.start + datetime.timedelta(days=1))
    reason = "Service visit"


class BookingFactory(factory.django.DjangoModelFactory):
    """A requested one-hour booking a week from now, at the internal tier."""

    class Meta:
        model = Booking

    resource = factory.SubFactory(ResourceFactory)
    user = factory.SubFactory(UserFactory)
    start = factory.LazyFunction(lambda: _next_hour(7))
    end = factory.LazyAttribute(lambda b: b.start + datetime.timedelta(hours=1))
    status = Booking.Status.REQUESTED
    tier = Tier.INTERNAL


class InductionFactory(factory.django.DjangoModelFactory):
    """An induction on a resource, given today at the resource's owner, with no expiry."""

    class Meta:
        model = Induction

    user = factory.SubFactory(UserFactory)
    resource = factory.SubFactory(ResourceFactory)
    induction_class = None
    organisation = factory.LazyAttribute(
        lambda i: i.resource.organisation if i.resource is not None else OrganisationFactory()
    )
    date = factory.LazyFunction(timezone.localdate)
    trainer = "Sam Trainer"
