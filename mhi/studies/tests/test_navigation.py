"""The navigation: a site's R&D users get their feasibility inbox; on it, only that entry is marked."""

import pytest
from django.urls import reverse

from mhi.accounts.tests.factories import MembershipFactory, UserFactory
from mhi.studies.tests.factories import TrustFactory

pytestmark = pytest.mark.django_db


def _labels(response, *, active=False):
    return [item["label"] for item in response.context["nav_items"] if item["active"] or not active]


def test_a_site_user_has_the_inbox_and_only_it_is_marked_on_it(client):
    user = UserFactory()
    MembershipFactory(user=user, role="nhs_rd", organisation=TrustFactory())
    client.force_login(user)

    inbox = client.get(reverse("studies:invites"))
    sites = client.get(reverse("studies:sites"))

    assert "Feasibility inbox" in _labels(inbox)
    assert _labels(inbox, active=True) == ["Feasibility inbox"]
    assert _labels(sites, active=True) == ["Studies"]


def test_others_have_no_inbox_and_anonymous_visitors_go_to_the_sites(client):
    client.force_login(UserFactory())
    signed_in = client.get(reverse("studies:sites"))
    client.logout()
    anonymous = client.get(reverse("studies:sites"))

    assert "Feasibility inbox" not in _labels(signed_in)
    studies = {item["label"]: item["href"] for item in anonymous.context["nav_items"]}
    assert studies["Studies"] == reverse("studies:sites")
    assert studies["Responses"] == reverse("responses:published")
