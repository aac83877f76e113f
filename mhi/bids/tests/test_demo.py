"""The demo pipeline: loaded on the demo opportunities through the services, once."""

import pytest
from django.urls import reverse

from mhi.bids.demo import DEMO_BIDS, demo_bids_load
from mhi.bids.models import Bid, BidEvent, CapPlace


@pytest.fixture
def demo(db):
    from mhi.core.demo import demo_opportunities_load, demo_seed
    from mhi.directory.reference import reference_load

    reference_load()
    demo_seed()
    demo_opportunities_load()


def test_the_demo_pipeline_has_every_stage_but_outline(demo):
    assert demo_bids_load() == len(DEMO_BIDS) == 9
    stages = sorted(Bid.objects.values_list("stage", flat=True))
    assert stages == [
        "awarded",
        "eoi",
        "eoi",
        "full_application",
        "idea",
        "internal_selection",
        "submitted",
        "unsuccessful",
        "withdrawn",
    ]


def test_the_demo_awarded_bid_holds_its_places_and_its_value(demo):
    demo_bids_load()
    awarded = Bid.objects.get(stage="awarded")
    assert awarded.title == "Calm Classrooms: anxiety support in secondary schools"
    assert str(awarded.value_awarded) == "1180000.00"
    assert sorted(CapPlace.objects.filter(bid=awarded).values_list("scope", flat=True)) == [
        f"org:{awarded.lead_organisation_id}",
        "partnership",
    ]


def test_the_demo_teams_and_activity_are_recorded(demo):
    demo_bids_load()
    bid = Bid.objects.get(title="Deprescribing safely in care homes")
    assert list(bid.members.order_by("person__family_name").values_list("person__slug", "role")) == [
        ("daniel-mercer", "co_investigator"),
        ("gemma-price", "collaborator"),
        ("tomasz-wilk", "pi"),
    ]
    assert bid.partners.count() == 2
    assert BidEvent.objects.filter(bid=bid).exists()


def test_the_demo_loads_once(demo):
    demo_bids_load()
    assert demo_bids_load() == 0
    assert Bid.objects.count() == 9


def test_the_demo_researcher_sees_their_bids(client, demo):
    from mhi.accounts.models import User

    demo_bids_load()
    client.force_login(User.objects.get(email="researcher.nottingham@demo.example.org"))
    titles = [b.title for b in client.get(reverse("bids:mine")).context["page_obj"].object_list]
    assert sorted(titles) == ["Deprescribing safely in care homes", "Self-harm in young people: pathways from A&E"]
