"""Expressions of interest: made with a short note, changed, withdrawn; refused with why; seen by coordinators, the
person's institution admins and the person, by nobody else; on the pages and in the API."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from mhi.accounts.tests.factories import UserFactory
from mhi.core.errors import DomainError
from mhi.core.models import AuditEvent
from mhi.opportunities import matching
from mhi.opportunities.models import ExpressionOfInterest
from mhi.opportunities.tests.factories import OpportunityFactory
from tests.personas import PERSONAS

TOO_LONG = "x" * 1001
NOTE_TOO_LONG = "The note is 1,001 characters long; keep it to 1,000 or fewer."


@pytest.fixture
def call(db):
    return OpportunityFactory(title="Better care for adults with asthma and COPD")


@pytest.fixture
def interests(world, call):
    """Two expressions of interest in the call: the researcher's (Nottingham) and Pat Public's (Aston)."""
    pat = UserFactory(email="pat@aston.example.org")
    world.public_person.user = pat
    world.public_person.save()
    world.users["pat"] = pat
    return {
        "researcher": matching.interest_express(user=world.users["researcher"], opportunity=call, note="Asthma trials"),
        "pat": matching.interest_express(user=pat, opportunity=call, note="COPD rehabilitation"),
    }


def _expressed(client, call, note):
    return client.post(reverse("opportunities:interest", args=[call.pk]), {"note": note})


# --- making, changing, withdrawing ------------------------------------------------------------------------------


def test_a_person_expresses_interest_with_a_note(client, world, call):
    client.force_login(world.users["researcher"])
    response = _expressed(client, call, "  I run asthma trials in primary care.  ")
    assert response["Location"] == call.get_absolute_url() + "#interest"
    interest = ExpressionOfInterest.objects.get()
    assert (interest.opportunity, interest.user, interest.person, interest.note) == (
        call,
        world.users["researcher"],
        world.researcher_person,
        "I run asthma trials in primary care.",
    )
    assert list(interest.organisations.all()) == [world.nottingham]
    assert AuditEvent.objects.filter(object_repr=str(interest), action="create").count() == 1
    page = client.get(call.get_absolute_url()).content.decode()
    assert "with the note “I run asthma trials in primary care.”" in page
    assert "Withdraw my interest" in page


def test_expressing_interest_again_changes_the_note(world, call):
    user = world.users["researcher"]
    first = matching.interest_express(user=user, opportunity=call, note="Asthma")
    second = matching.interest_express(user=user, opportunity=call, note="Asthma and COPD")
    assert first.pk == second.pk
    assert list(ExpressionOfInterest.objects.values_list("note", flat=True)) == ["Asthma and COPD"]


def test_a_note_too_long_is_refused_naming_the_field(client, world, call):
    client.force_login(world.users["researcher"])
    response = _expressed(client, call, TOO_LONG)
    assert response.status_code == 200
    assert response.context["form"].errors == {"note": [NOTE_TOO_LONG]}
    body = response.content.decode()
    assert f'<a href="#id_note">A short note (optional): {NOTE_TOO_LONG}</a>' in body
    assert ExpressionOfInterest.objects.count() == 0


def test_a_note_of_exactly_the_limit_is_accepted(world, call):
    interest = matching.interest_express(user=world.users["researcher"], opportunity=call, note="x" * 1000)
    assert len(interest.note) == 1000


def test_an_account_without_a_person_is_told_why(client, world, call):
    client.force_login(world.users["aston_admin"])
    response = _expressed(client, call, "")
    assert response.context["form"].errors == {
        "__all__": [
            "Your account is not linked to a person in the directory, so interest cannot be recorded against your "
            "profile. Ask your institution's admin or an MHI coordinator to link it."
        ]
    }
    assert "Your account is not linked to a person" in client.get(call.get_absolute_url()).content.decode()
    assert ExpressionOfInterest.objects.count() == 0


def test_a_closed_opportunity_takes_no_more_interest(world, db):
    closed = OpportunityFactory(closes_at=timezone.now() - datetime.timedelta(days=2))
    with pytest.raises(DomainError) as refused:
        matching.interest_express(user=world.users["researcher"], opportunity=closed)
    assert refused.value.message.startswith("This opportunity closed on ")
    assert refused.value.message.endswith("; interest can no longer be expressed.")


def test_the_person_withdraws_their_own_interest(client, world, interests, call):
    client.force_login(world.users["researcher"])
    response = client.post(reverse("opportunities:interest_withdraw", args=[call.pk]))
    assert response["Location"] == call.get_absolute_url() + "#interest"
    assert list(ExpressionOfInterest.objects.values_list("note", flat=True)) == ["COPD rehabilitation"]
    assert client.post(reverse("opportunities:interest_withdraw", args=[call.pk])).status_code == 404


def test_anonymous_visitors_are_asked_to_sign_in(client, call):
    body = client.get(call.get_absolute_url()).content.decode()
    assert "to tell MHI you would like to be part of a bid for this opportunity." in body
    assert client.post(reverse("opportunities:interest", args=[call.pk]), {"note": "x"}).status_code == 302
    assert ExpressionOfInterest.objects.count() == 0


# --- who sees them ---------------------------------------------------------------------------------------------

# Coordinators all; Aston's admin Pat's (Pat is at Aston); the researcher their own; nobody else any.
VISIBLE = {
    "anonymous": set(),
    "coordinator": {"researcher", "pat"},
    "aston_admin": {"pat"},
    "leicester_lead": set(),
    "researcher": {"researcher"},
    "nhs_rd": set(),
    "external": set(),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_sees_the_interests_they_may(world, interests, call, persona):
    names = {interest.pk: name for name, interest in interests.items()}
    seen = matching.interests_for_opportunity(user=world.users[persona], opportunity=call)
    assert {names[i.pk] for i in seen} == VISIBLE[persona]


def test_pat_sees_their_own(world, interests, call):
    seen = matching.interests_visible_to(user=world.users["pat"])
    assert [i.note for i in seen] == ["COPD rehabilitation"]


def test_an_admin_sees_what_was_made_at_their_institution_even_after_the_person_moves(world, interests, call):
    world.public_person.affiliations.update(organisation=world.leicester)
    seen = matching.interests_for_opportunity(user=world.users["aston_admin"], opportunity=call)
    assert [i.note for i in seen] == ["COPD rehabilitation"]


def test_the_opportunity_page_lists_the_interests_the_user_may_see(client, world, interests, call):
    client.force_login(world.users["aston_admin"])
    body = client.get(call.get_absolute_url()).content.decode()
    assert "Others' expressions of interest that you can see" in body
    assert "COPD rehabilitation" in body
    assert "Asthma trials" not in body
    client.force_login(world.users["leicester_lead"])
    body = client.get(call.get_absolute_url()).content.decode()
    assert "COPD rehabilitation" not in body
    assert "Asthma trials" not in body


def test_the_interests_page_lists_them_across_opportunities(client, world, interests, call):
    other = OpportunityFactory(title="Recovery after hip fracture")
    matching.interest_express(user=world.users["pat"], opportunity=other, note="Falls")
    client.force_login(world.users["aston_admin"])
    response = client.get(reverse("opportunities:interests"))
    assert [(i.opportunity.title, i.note) for i in response.context["page_obj"]] == [
        ("Better care for adults with asthma and COPD", "COPD rehabilitation"),
        ("Recovery after hip fracture", "Falls"),
    ]
    assert "<caption" in response.content.decode()


def test_the_interests_page_uses_a_fixed_number_of_queries(client, world, interests, django_assert_num_queries):
    client.force_login(world.users["coordinator"])
    client.get(reverse("opportunities:interests"))  # warm the session and MFA checks
    for n in range(5):
        matching.interest_express(user=world.users["researcher"], opportunity=OpportunityFactory(), note=f"n{n}")
    # session, user, memberships, MFA authenticator, count, page, organisations prefetch
    with django_assert_num_queries(7):
        response = client.get(reverse("opportunities:interests"))
    assert len(response.context["page_obj"]) == 7


# --- API --------------------------------------------------------------------------------------------------


def _api(client, world, persona):
    return {"HTTP_AUTHORIZATION": f"Bearer {world.tokens[persona]}"}


def test_api_interest_is_expressed_changed_and_withdrawn(client, world, call):
    headers = _api(client, world, "researcher")
    url = f"/api/v1/opportunities/{call.pk}/interest"
    made = client.put(url, {"note": "Asthma trials"}, content_type="application/json", **headers)
    assert made.status_code == 200
    body = made.json()
    shown = ("opportunity", "opportunity_title", "person", "display_name", "organisations", "note")
    assert {k: body[k] for k in shown} == {
        "opportunity": call.pk,
        "opportunity_title": "Better care for adults with asthma and COPD",
        "person": "daniel-mercer",
        "display_name": "Daniel Mercer",
        "organisations": ["nottingham"],
        "note": "Asthma trials",
    }
    changed = client.put(url, {"note": "COPD too"}, content_type="application/json", **headers)
    assert (changed.json()["id"], changed.json()["note"]) == (body["id"], "COPD too")
    assert client.delete(url, **headers).json() == {"opportunity": call.pk, "withdrawn": True}
    assert client.delete(url, **headers).status_code == 404


def test_api_a_note_too_long_is_refused_naming_the_field(client, world, call):
    response = client.put(
        f"/api/v1/opportunities/{call.pk}/interest",
        {"note": TOO_LONG},
        content_type="application/json",
        **_api(client, world, "researcher"),
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"note": [NOTE_TOO_LONG]}


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "anonymous"])
def test_api_lists_the_interests_each_persona_may_see(client, world, interests, call, persona):
    names = {interest.pk: name for name, interest in interests.items()}
    response = client.get(f"/api/v1/opportunities/{call.pk}/interests", **_api(client, world, persona))
    assert {names[i["id"]] for i in response.json()} == VISIBLE[persona]
    listed = client.get("/api/v1/interests", **_api(client, world, persona)).json()
    assert {names[i["id"]] for i in listed["items"]} == VISIBLE[persona]
