"""The front door: submitting an enquiry (honeypot, rate limit, validation, matches shown), coordinators'
routing and status changes, response times, and who may see what, on the pages and in the API."""

import datetime
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mhi.core.errors import DomainError, PermissionDenied
from mhi.expertise import enquiries
from mhi.expertise.models import Enquiry, EnquiryEvent, EnquiryRouting
from tests.personas import PERSONAS, client_for

FORM = {
    "enquirer_kind": "industry",
    "name": "Jo Bloggs",
    "organisation_name": "Acme Devices",
    "email": "jo@acme.example.com",
    "title": "Robotic knee replacement outcomes",
    "description": "We make a robotic arm for knee arthroplasty and want surgeons to evaluate revision rates.",
    "contact_consent": "on",
}
API_BODY = {**FORM, "contact_consent": True}
EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _post(client, data=None, ip="192.0.2.1", **headers):
    return client.post(reverse("enquiries:new"), data or FORM, REMOTE_ADDR=ip, **headers)


def _enquiry(*, consent=True, ip="192.0.2.1", **fields) -> Enquiry:
    data = {
        "enquirer_kind": "industry",
        "name": "Jo Bloggs",
        "organisation_name": "Acme Devices",
        "email": "jo@acme.example.com",
        "title": "Robotic knee replacement outcomes",
        "description": FORM["description"],
        **fields,
    }
    return enquiries.enquiry_submit(ip=ip, contact_consent=consent, **data)


# Submitting


def test_it_stores_the_enquiry_with_its_first_event_and_acknowledges_it(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client)
    enquiry = Enquiry.objects.get()
    assert response.status_code == 302
    # The token is signed with a timestamp, so it is compared by what it signs, not as text.
    prefix = reverse("enquiries:thanks", args=["TOKEN"]).removesuffix("TOKEN/")
    assert response["Location"].startswith(prefix)
    token = response["Location"].removeprefix(prefix).rstrip("/")
    assert enquiries.enquiry_for_thanks_token(token) == (True, enquiry)
    assert (enquiry.enquirer_kind, enquiry.name, enquiry.organisation_name, enquiry.email, enquiry.status) == (
        "industry",
        "Jo Bloggs",
        "Acme Devices",
        "jo@acme.example.com",
        "new",
    )
    assert list(enquiry.events.values_list("status", "note", "actor")) == [("new", enquiries.CONSENT_GIVEN_NOTE, None)]
    assert enquiries.enquiry_contact_consented(enquiry) is True
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["jo@acme.example.com"]
    reference = f"ENQ-{enquiry.pk:05d}"
    assert mail.outbox[0].subject == f"[MHI Hub] We have received your enquiry {reference}"
    assert "“Robotic knee replacement outcomes”" in mail.outbox[0].body


def test_it_records_a_refusal_to_be_contacted_directly(client, db):
    _post(client, {**FORM, "contact_consent": ""})
    enquiry = Enquiry.objects.get()
    assert list(enquiry.events.values_list("note", flat=True)) == [enquiries.CONSENT_REFUSED_NOTE]
    assert enquiries.enquiry_contact_consented(enquiry) is False


def test_the_thank_you_page_shows_the_reference(client, db):
    response = _post(client, follow=True)
    enquiry = Enquiry.objects.get()
    body = response.content.decode()
    assert response.status_code == 200
    assert "Enquiry received" in body
    assert f"<strong>ENQ-{enquiry.pk:05d}</strong>" in body


def test_a_filled_honeypot_stores_nothing_and_looks_like_success(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, {**FORM, "website": "http://cheap-pills.example"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[0][1] == 302
    assert "Enquiry received" in response.content.decode()
    assert Enquiry.objects.count() == 0
    assert EnquiryEvent.objects.count() == 0
    assert mail.outbox == []


def test_the_honeypot_is_hidden_out_of_the_tab_order_and_labelled(client, db):
    body = client.get(reverse("enquiries:new")).content.decode()
    assert '<label class="govuk-label govuk-label--s" for="id_website">Leave this empty</label>' in body
    field = re.search(r"<input[^>]*name=\"website\"[^>]*>", body).group(0)
    assert 'autocomplete="off"' in field
    assert 'tabindex="-1"' in field
    assert body.index('<div class="govuk-visually-hidden">') < body.index('name="website"')


def test_the_sixth_submission_in_an_hour_from_one_address_is_refused(client, db):
    statuses = [_post(client).status_code for _ in range(6)]
    assert statuses == [302, 302, 302, 302, 302, 429]
    assert Enquiry.objects.count() == 5
    refused = _post(client)
    assert refused.status_code == 429
    assert "You have sent 5 enquiries in the last hour" in refused.content.decode()
    assert "Try again after" in refused.content.decode()
    assert 0 < int(refused["Retry-After"]) <= 3600
    # Another address is not held back.
    assert _post(client, ip="192.0.2.99").status_code == 302


def test_invalid_submissions_do_not_count_towards_the_limit(client, db):
    for _ in range(6):
        assert _post(client, {**FORM, "name": ""}).status_code == 200
    assert _post(client).status_code == 302


def test_validation_messages_name_each_field(client, db):
    response = _post(client, {"description": "Too short"})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "enquirer_kind": ["Select who you are enquiring as"],
        "name": ["Enter your name"],
        "email": ["Enter your email address"],
        "title": ["Enter what your enquiry is about"],
        "description": ["Description must be at least 30 characters"],
    }
    body = response.content.decode()
    assert '<a href="#id_name">Your name: Enter your name</a>' in body
    assert Enquiry.objects.count() == 0


def test_description_is_limited_to_5000_characters_and_email_checked(client, db):
    response = _post(client, {**FORM, "description": "x" * 5001, "email": "jo.example.com"})
    assert response.context["form"].errors == {
        "email": ["Enter an email address in the correct format, like name@example.com"],
        "description": ["Description must be 5,000 characters or fewer"],
    }


def test_a_description_padded_with_spaces_must_still_be_30_characters(client, db):
    response = _post(client, {**FORM, "description": "short" + " " * 40})
    assert response.context["form"].errors == {"description": ["Description must be at least 30 characters"]}


def test_the_thank_you_page_lists_only_consenting_people_without_contact_details(client, indexed):
    indexed["chest"].public_profile_consent = False
    indexed["chest"].save()
    response = _post(client, {**FORM, "title": "Knee and hip surgery", "description": FORM["description"]}, follow=True)
    assert [r.person.slug for r in response.context["matches"]] == ["bones"]
    body = response.content.decode()
    assert indexed["bones"].display_name in body
    assert f'href="{indexed["bones"].get_absolute_url()}"' in body
    assert indexed["chest"].display_name not in body
    assert EMAIL_ADDRESS.findall(body) == []


def test_the_thank_you_page_shows_the_anonymous_view_even_to_a_coordinator(client, world, indexed):
    indexed["chest"].public_profile_consent = False
    indexed["chest"].save()
    client.force_login(world.users["coordinator"])
    response = _post(client, {**FORM, "description": "Asthma exacerbations and COPD rehabilitation after admission"})
    response = client.get(response["Location"])
    assert [r.person.slug for r in response.context["matches"]] == ["bones"]


def test_the_thank_you_page_lists_the_top_five_people(client, people, embedder):
    from mhi.directory.tests.factories import PersonFactory
    from mhi.expertise import index as semantic_index
    from mhi.expertise.tests.conftest import KNEE, _work

    for n in range(5):
        _work(PersonFactory(slug=f"knee-{n}"), f"{KNEE[0]} ({n})", KNEE[1])
    semantic_index.works_index(embedder=embedder)
    response = _post(client, follow=True)
    assert len(response.context["matches"]) == 5
    assert response.content.decode().count('<a class="govuk-link" href="/directory/people/') == 5


def test_a_tampered_thank_you_link_is_not_found(client, db):
    assert client.get(reverse("enquiries:thanks", args=["42:forged:link"])).status_code == 404


# Routing


def test_routing_emails_each_contact_with_the_enquirers_email_when_they_consented(
    world, django_capture_on_commit_callbacks
):
    enquiry = _enquiry(consent=True)
    with django_capture_on_commit_callbacks(execute=True):
        routings = enquiries.enquiry_route(
            actor=world.users["coordinator"],
            enquiry=enquiry,
            people=["public-person", "daniel-mercer"],
            note="Both work on knees.",
        )
    enquiry.refresh_from_db()
    assert [(r.person.slug, r.routed_by, r.note) for r in routings] == [
        ("public-person", world.users["coordinator"], "Both work on knees."),
        ("daniel-mercer", world.users["coordinator"], "Both work on knees."),
    ]
    assert enquiry.status == "routed"
    assert enquiry.routed_at is not None
    assert [m.to for m in mail.outbox] == [[world.public_person.email], [world.researcher_person.email]]
    body = mail.outbox[0].body
    assert (
        mail.outbox[0].subject
        == f"[MHI Hub] An enquiry for you: Robotic knee replacement outcomes (ENQ-{enquiry.pk:05d})"
    )
    assert FORM["description"] in body
    assert "Jo Bloggs is happy to be contacted directly at jo@acme.example.com." in body
    assert "A note from the coordinator: Both work on knees." in body
    event = enquiry.events.last()
    assert (event.status, event.actor, event.note) == (
        "routed",
        world.users["coordinator"],
        "Routed to Pat Public, Daniel Mercer. Both work on knees.",
    )


def test_routing_keeps_the_enquirers_email_back_without_consent(world, django_capture_on_commit_callbacks):
    enquiry = _enquiry(consent=False)
    with django_capture_on_commit_callbacks(execute=True):
        enquiries.enquiry_route(actor=world.users["coordinator"], enquiry=enquiry, people=["public-person"])
    body = mail.outbox[0].body
    assert "jo@acme.example.com" not in body
    assert (
        "Jo Bloggs asked to be put in touch through MHI, so their contact details are not shared. If you can help, "
        "reply to the MHI coordinator (coordinator@example.org) and they will put you in touch."
    ) in body


def test_routing_again_adds_people_without_moving_the_routed_time(world):
    enquiry = _enquiry()
    enquiries.enquiry_route(actor=world.users["coordinator"], enquiry=enquiry, people=["public-person"])
    first = Enquiry.objects.get().routed_at
    enquiries.enquiry_route(
        actor=world.users["coordinator"], enquiry=enquiry, people=["public-person", "daniel-mercer"]
    )
    enquiry.refresh_from_db()
    assert enquiry.routed_at == first
    assert list(enquiry.routings.values_list("person__slug", flat=True)) == ["public-person", "daniel-mercer"]
    assert enquiry.events.last().note == "Also routed to Daniel Mercer."


@pytest.mark.parametrize(
    ("people", "message"),
    [
        ([], "Choose at least one person to route the enquiry to."),
        (["nobody-here"], "No person with the profile address “nobody-here”."),
    ],
)
def test_routing_refuses_bad_choices(world, people, message):
    with pytest.raises(DomainError) as exc:
        enquiries.enquiry_route(actor=world.users["coordinator"], enquiry=_enquiry(), people=people)
    assert (exc.value.message, exc.value.field) == (message, "people")
    assert EnquiryRouting.objects.count() == 0


def test_routing_refuses_a_person_without_an_email_address(world):
    world.public_person.email = ""
    world.public_person.save()
    with pytest.raises(DomainError) as exc:
        enquiries.enquiry_route(actor=world.users["coordinator"], enquiry=_enquiry(), people=["public-person"])
    assert (
        exc.value.message == "Pat Public has no email address in the directory, so the enquiry cannot be sent to them."
    )


def test_only_coordinators_may_route(world):
    with pytest.raises(PermissionDenied):
        enquiries.enquiry_route(actor=world.users["aston_admin"], enquiry=_enquiry(), people=["public-person"])


def test_the_detail_page_routes_to_the_chosen_people(client, world, django_capture_on_commit_callbacks):
    enquiry = _enquiry()
    client.force_login(world.users["coordinator"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("enquiries:route", args=[enquiry.pk]),
            {"route-other_people": "public-person, /directory/people/daniel-mercer/", "route-note": ""},
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("enquiries:detail", args=[enquiry.pk])
    assert list(enquiry.routings.values_list("person__slug", flat=True)) == ["public-person", "daniel-mercer"]
    assert len(mail.outbox) == 2


def test_the_detail_page_explains_a_routing_error_on_the_field(client, world):
    enquiry = _enquiry()
    client.force_login(world.users["coordinator"])
    response = client.post(reverse("enquiries:route", args=[enquiry.pk]), {"route-other_people": "nobody-here"})
    assert response.status_code == 200
    assert response.context["route_form"].errors == {"people": ["No person with the profile address “nobody-here”."]}


# Status


def test_status_moves_along_and_stamps_each_time(world):
    coordinator = world.users["coordinator"]
    enquiry = _enquiry()
    enquiry = enquiries.enquiry_set_status(actor=coordinator, enquiry=enquiry, status="routed", note="By phone")
    assert (enquiry.status, enquiry.answered_at, enquiry.closed_at) == ("routed", None, None)
    assert enquiry.routed_at is not None
    enquiry = enquiries.enquiry_set_status(actor=coordinator, enquiry=enquiry, status="answered")
    assert enquiry.status == "answered"
    assert enquiry.answered_at >= enquiry.routed_at
    enquiry = enquiries.enquiry_set_status(actor=coordinator, enquiry=enquiry, status="closed", note="Done")
    assert enquiry.status == "closed"
    assert enquiry.closed_at >= enquiry.answered_at
    assert list(enquiry.events.values_list("status", "note")) == [
        ("new", enquiries.CONSENT_GIVEN_NOTE),
        ("routed", "By phone"),
        ("answered", ""),
        ("closed", "Done"),
    ]


def test_a_new_enquiry_may_be_closed_straight_away(world):
    enquiry = enquiries.enquiry_set_status(actor=world.users["coordinator"], enquiry=_enquiry(), status="closed")
    assert (enquiry.status, enquiry.routed_at, enquiry.answered_at) == ("closed", None, None)
    assert enquiry.closed_at is not None


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ([], "answered", "An enquiry that is new cannot become answered; it can become routed or closed."),
        (["routed"], "new", "An enquiry that is routed cannot become new; it can become answered or closed."),
        (["routed", "answered"], "routed", "An enquiry that is answered cannot become routed; it can become closed."),
        (["closed"], "routed", "An enquiry that is closed cannot become routed; a closed enquiry stays closed."),
        ([], "bogus", "An enquiry that is new cannot become “bogus”; it can become routed or closed."),
    ],
)
def test_a_bad_transition_is_refused_with_what_is_allowed(world, path, status, message):
    coordinator = world.users["coordinator"]
    enquiry = _enquiry()
    for step in path:
        enquiry = enquiries.enquiry_set_status(actor=coordinator, enquiry=enquiry, status=step)
    events = enquiry.events.count()
    with pytest.raises(DomainError) as exc:
        enquiries.enquiry_set_status(actor=coordinator, enquiry=enquiry, status=status)
    assert (exc.value.message, exc.value.field) == (message, "status")
    assert Enquiry.objects.get().status == (path[-1] if path else "new")
    assert enquiry.events.count() == events


def test_routing_a_closed_enquiry_is_refused(world):
    enquiry = enquiries.enquiry_set_status(actor=world.users["coordinator"], enquiry=_enquiry(), status="closed")
    with pytest.raises(DomainError) as exc:
        enquiries.enquiry_route(actor=world.users["coordinator"], enquiry=enquiry, people=["public-person"])
    assert exc.value.message == "This enquiry is closed, so it cannot be routed to anyone."


def test_the_status_form_shows_a_stale_transition_as_a_field_error(client, world):
    enquiry = _enquiry()
    client.force_login(world.users["coordinator"])
    response = client.post(reverse("enquiries:status", args=[enquiry.pk]), {"status-status": "answered"})
    assert response.status_code == 200
    assert response.context["status_form"].errors == {
        "status": ["An enquiry that is new cannot become answered; it can become routed or closed."]
    }
    ok = client.post(reverse("enquiries:status", args=[enquiry.pk]), {"status-status": "closed", "status-note": "Spam"})
    assert ok.status_code == 302
    assert Enquiry.objects.get().status == "closed"


# Response times


def _timed(created, routed_after=None, answered_after=None, status="new"):
    enquiry = _enquiry(ip=f"198.51.100.{Enquiry.objects.count()}")
    hour = datetime.timedelta(hours=1)
    Enquiry.objects.filter(pk=enquiry.pk).update(
        created_at=created,
        routed_at=created + routed_after * hour if routed_after is not None else None,
        answered_at=created + answered_after * hour if answered_after is not None else None,
        status=status,
    )
    return enquiry


def test_response_time_medians_are_exact(db):
    start = datetime.datetime(2025, 3, 3, 9, 0, tzinfo=datetime.UTC)
    _timed(start, routed_after=2, status="routed")
    _timed(start, routed_after=4, answered_after=5, status="answered")
    _timed(start, routed_after=10, answered_after=8, status="answered")
    _timed(start, routed_after=0.5, answered_after=30, status="closed")
    _timed(start)
    times = enquiries.enquiry_response_times(enquiries=Enquiry.objects.all())
    assert times == enquiries.ResponseTimes(
        enquiries=5, routed=4, answered=3, median_hours_to_route=3.0, median_hours_to_answer=8.0
    )
    answered = enquiries.enquiry_response_times(enquiries=Enquiry.objects.filter(status="answered"))
    assert (answered.median_hours_to_route, answered.median_hours_to_answer) == (7.0, 6.5)
    assert enquiries.enquiry_response_times(enquiries=Enquiry.objects.filter(status="new")) == (
        enquiries.ResponseTimes(
            enquiries=1, routed=0, answered=0, median_hours_to_route=None, median_hours_to_answer=None
        )
    )


def test_the_list_filters_by_status_and_summarises_its_response_times(client, world):
    start = timezone.now() - datetime.timedelta(days=2)
    _timed(start, routed_after=2, status="routed")
    _timed(start, routed_after=6, status="routed")
    _timed(start)
    client.force_login(world.users["coordinator"])
    response = client.get(reverse("enquiries:list"), {"status": "routed"})
    assert [row[0].status for row in response.context["rows"]] == ["routed", "routed"]
    assert response.context["times"].median_hours_to_route == 4.0
    body = response.content.decode()
    assert "4.0 hours, over 2 routed" in body
    assert "None answered yet" in body


def test_the_list_page_makes_the_same_number_of_queries_for_more_enquiries(client, world):
    client.force_login(world.users["coordinator"])
    for _ in range(2):
        _enquiry(ip="203.0.113.1")
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("enquiries:list"))
    cache.clear()
    for _ in range(5):
        _enquiry(ip="203.0.113.2")
    with CaptureQueriesContext(connection) as more:
        response = client.get(reverse("enquiries:list"))
    assert len(response.context["rows"]) == 7
    assert len(more) == len(few)


# Who may see what


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_coordinators_see_the_triage_pages(client, world, persona):
    enquiry = _enquiry()
    client = client_for(client, world, persona)
    statuses = [
        client.get(reverse("enquiries:list")).status_code,
        client.get(reverse("enquiries:detail", args=[enquiry.pk])).status_code,
        client.post(reverse("enquiries:status", args=[enquiry.pk]), {"status-status": "closed"}).status_code,
    ]
    expected = {"anonymous": [302, 302, 302], "coordinator": [200, 200, 302]}.get(persona, [403, 403, 403])
    assert statuses == expected
    assert Enquiry.objects.get().status == ("closed" if persona == "coordinator" else "new")


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_coordinators_see_enquiries_in_the_api(client, world, persona):
    enquiry = _enquiry()
    headers = {"Authorization": f"Bearer {world.tokens[persona]}"} if persona != "anonymous" else {}
    listed = client.get("/api/v1/enquiries", headers=headers)
    read = client.get(f"/api/v1/enquiries/{enquiry.pk}", headers=headers)
    expected = {"anonymous": (401, 401), "coordinator": (200, 200)}.get(persona, (403, 404))
    assert (listed.status_code, read.status_code) == expected
    if persona == "coordinator":
        assert listed.json()["count"] == 1
        assert read.json()["email"] == "jo@acme.example.com"
        assert read.json()["contact_consent"] is True
    else:
        assert "jo@acme.example.com" not in listed.content.decode() + read.content.decode()


def test_the_triage_selector_gives_nobody_else_any_enquiry(world):
    _enquiry()
    assert [enquiries.enquiries_visible_to(user=world.users[p]).count() if world.users[p] else 0 for p in PERSONAS] == [
        0,
        1,
        0,
        0,
        0,
        0,
        0,
    ]


# The API


def test_api_accepts_an_anonymous_enquiry(client, indexed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/enquiries", API_BODY, content_type="application/json")
    enquiry = Enquiry.objects.get()
    assert response.status_code == 201
    assert response.json() == {
        "reference": f"ENQ-{enquiry.pk:05d}",
        "people": [
            {
                "person": "bones",
                "display_name": indexed["bones"].display_name,
                "organisations": [indexed["bones"].affiliations.get().organisation.name],
                "url": indexed["bones"].get_absolute_url(),
            },
            {
                "person": "chest",
                "display_name": indexed["chest"].display_name,
                "organisations": [indexed["chest"].affiliations.get().organisation.name],
                "url": indexed["chest"].get_absolute_url(),
            },
        ],
    }
    assert enquiries.enquiry_contact_consented(enquiry) is True
    assert [m.to for m in mail.outbox] == [["jo@acme.example.com"]]


def test_api_validation_names_the_fields_in_the_one_error_format(client, db):
    response = client.post(
        "/api/v1/enquiries", {**API_BODY, "name": "", "description": "Too short"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "name": ["Enter your name"],
        "description": ["Description must be at least 30 characters"],
    }
    assert Enquiry.objects.count() == 0


def test_api_honeypot_stores_nothing(client, db):
    response = client.post("/api/v1/enquiries", {**API_BODY, "website": "spam"}, content_type="application/json")
    assert (response.status_code, response.json()) == (201, {"reference": None, "people": []})
    assert Enquiry.objects.count() == 0


def test_api_rate_limits_one_address(client, db):
    statuses = [
        client.post("/api/v1/enquiries", API_BODY, content_type="application/json").status_code for _ in range(6)
    ]
    assert statuses == [201, 201, 201, 201, 201, 429]
    refused = client.post("/api/v1/enquiries", API_BODY, content_type="application/json")
    assert refused.json()["error"]["code"] == "rate_limited"
    assert refused.json()["error"]["message"].startswith("You have sent 5 enquiries in the last hour")


def test_api_routes_and_changes_status(client, world, django_capture_on_commit_callbacks):
    enquiry = _enquiry(consent=False)
    headers = {"Authorization": f"Bearer {world.tokens['coordinator']}"}
    with django_capture_on_commit_callbacks(execute=True):
        routed = client.post(
            f"/api/v1/enquiries/{enquiry.pk}/route",
            {"people": ["public-person"], "note": "Knees"},
            content_type="application/json",
            headers=headers,
        )
    assert routed.status_code == 200
    assert routed.json()["status"] == "routed"
    assert [(r["person"], r["routed_by"], r["note"]) for r in routed.json()["routings"]] == [
        ("public-person", "coordinator@example.org", "Knees")
    ]
    assert [m.to for m in mail.outbox] == [[world.public_person.email]]
    bad = client.post(
        f"/api/v1/enquiries/{enquiry.pk}/status", {"status": "new"}, content_type="application/json", headers=headers
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"] == {
        "status": ["An enquiry that is routed cannot become new; it can become answered or closed."]
    }
    answered = client.post(
        f"/api/v1/enquiries/{enquiry.pk}/status",
        {"status": "answered"},
        content_type="application/json",
        headers=headers,
    )
    assert answered.json()["status"] == "answered"
    assert answered.json()["hours_to_answer"] >= 0


def test_behind_the_proxy_the_forwarded_address_is_rate_limited(settings, rf):
    from mhi.core.views import client_ip

    settings.MHI_BEHIND_PROXY = True
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", REMOTE_ADDR="127.0.0.1")
    assert client_ip(request) == "203.0.113.9"
    settings.MHI_BEHIND_PROXY = False
    assert client_ip(request) == "127.0.0.1"
