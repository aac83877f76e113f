"""The demo catalogue: fictional resources at the seven partner universities, bookable as the product would
have them, loaded once."""

import pytest

from mhi.resources.availability import window_containing
from mhi.resources.demo import DEMO_BOOKINGS, DEMO_RESOURCES, demo_resources_load
from mhi.resources.models import Booking, Induction, Rate, Resource


@pytest.fixture
def demo(db):
    from mhi.core.demo import demo_seed
    from mhi.directory.reference import reference_load

    reference_load()
    demo_seed()


def test_the_demo_catalogue_covers_the_seven_universities(demo):
    assert demo_resources_load() == {"resources": len(DEMO_RESOURCES), "bookings": len(DEMO_BOOKINGS), "inductions": 4}
    owners = set(Resource.objects.values_list("organisation__reference_key", flat=True))
    assert len(owners) == 7
    assert all(key.startswith("university:") for key in owners)


def test_the_demo_is_loaded_once(demo):
    demo_resources_load()
    assert demo_resources_load() == {"resources": 0, "bookings": 0, "inductions": 0}
    assert Resource.objects.count() == len(DEMO_RESOURCES)


def test_every_demo_resource_says_it_is_fictional_and_has_rates(demo):
    demo_resources_load()
    for resource in Resource.objects.all():
        assert resource.uniquip_id.startswith("DEMO-")
        assert resource.description.endswith("(Fictional: made up for the MHI Hub demo.)")
        assert Rate.objects.filter(resource=resource, tier="internal").exists()
    assert Resource.objects.filter(requires_induction=True).count() == 7


def test_demo_bookings_are_in_opening_hours_and_never_overlap(demo):
    demo_resources_load()
    bookings = list(Booking.objects.select_related("resource"))
    assert len(bookings) == len(DEMO_BOOKINGS)
    for b in bookings:
        assert window_containing(b.resource, b.start, b.end) is not None, b
        assert b.quote_amount is not None
        if b.status == "confirmed":
            clash = Booking.objects.filter(
                resource=b.resource, status="confirmed", start__lt=b.end, end__gt=b.start
            ).exclude(pk=b.pk)
            assert not clash.exists(), b


def test_the_demo_page_of_a_resource_says_it_is_fictional(demo, client):
    demo_resources_load()
    resource = Resource.objects.get(uniquip_id="DEMO-AST-001")
    page = client.get(resource.get_absolute_url()).content.decode()
    assert "This is a fictional resource made up for the demo." in page


def test_the_demo_researcher_is_inducted_by_class_for_the_confocal(demo):
    from django.utils import timezone

    from mhi.accounts.models import User
    from mhi.resources.inductions import induction_satisfied

    demo_resources_load()
    researcher = User.objects.get(email="researcher.nottingham@demo.example.org")
    confocal = Resource.objects.get(uniquip_id="DEMO-AST-001")
    assert induction_satisfied(user=researcher, resource=confocal, on=timezone.localdate())[0] is True
    assert Induction.objects.filter(user=researcher).count() == 2
