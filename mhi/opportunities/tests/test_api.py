import datetime

import pytest
from django.utils import timezone

from mhi.core.models import AuditEvent
from mhi.directory.tests.factories import OrganisationFactory
from mhi.opportunities.dates import LONDON
from mhi.opportunities.models import Opportunity
from mhi.opportunities.tests.factories import OpportunityFactory

URL = "/api/v1/opportunities"
DAY = datetime.timedelta(days=1)


def _auth(world, persona):
    return {"Authorization": f"Bearer {world.tokens[persona]}"}


@pytest.fixture
def listed(db):
    now = timezone.now()
    return {
        "soon": OpportunityFactory(title="Closing soon call", closes_at=now + 3 * DAY, themes=["AI"]),
        "open": OpportunityFactory(title="Open consultation", kind="consultation", closes_at=now + 60 * DAY),
        "closed": OpportunityFactory(title="Closed call", closes_at=now - DAY),
    }


def test_anyone_lists_opportunities_with_a_count(client, listed):
    body = client.get(URL, {"limit": 2}).json()
    assert body["count"] == 3
    assert [(o["title"], o["status"]) for o in body["items"]] == [
        ("Closing soon call", "closing_soon"),
        ("Open consultation", "open"),
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "consultation"}, ["Open consultation"]),
        ({"status": ["closed", "closing_soon"]}, ["Closing soon call", "Closed call"]),
        ({"theme": "ai"}, ["Closing soon call"]),
        ({"q": "consultation"}, ["Open consultation"]),
        ({"funder": "NIHR", "status": "open"}, ["Open consultation"]),
    ],
)
def test_list_filters(client, listed, params, expected):
    assert [o["title"] for o in client.get(URL, params).json()["items"]] == expected


def test_list_query_count_does_not_grow_with_rows(client, db, django_assert_max_num_queries):
    for _ in range(20):
        OpportunityFactory()
    with django_assert_max_num_queries(2):
        assert client.get(URL, {"limit": 20}).json()["count"] == 20


def test_a_bad_status_is_a_422_naming_the_field(client, db):
    response = client.get(URL, {"status": "someday"})
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["status.0"]


def test_detail_has_every_field(client, db):
    funder = OrganisationFactory(slug="nihr", kind="other")
    opportunity = OpportunityFactory(
        title="Call",
        funder_organisation=funder,
        full_text="The call.",
        closes_at=datetime.datetime(2099, 7, 3, 16, 0, tzinfo=LONDON),
        value_max=300000,
        requires_nhs_partner=True,
        cap_partnership=3,
    )
    body = client.get(f"{URL}/{opportunity.pk}").json()
    assert body["funder_organisation"] == "nihr"
    assert body["closes_at"] == "2099-07-03T15:00:00Z"
    assert body["value_max"] == "300000.00"
    assert body["eligibility"] == {
        "requires_nhs_partner": True,
        "requires_industry_partner": False,
        "requires_local_government_partner": False,
        "lead_must_be_partner_university": False,
        "min_partner_universities": 0,
    }
    assert (body["cap_per_institution"], body["cap_partnership"]) == (None, 3)
    assert (body["full_text"], body["source"], body["url"]) == (
        "The call.",
        "manual",
        f"/opportunities/{opportunity.pk}/",
    )


def test_an_unknown_opportunity_is_a_json_404(client, db):
    assert client.get(f"{URL}/999").json() == {
        "error": {"status": 404, "code": "not_found", "message": "No opportunity 999.", "fields": {}}
    }


def test_an_institution_admin_creates_one(client, world):
    payload = {
        "title": "New call",
        "funder_name": "UKRI",
        "funder_organisation": "aston",
        "themes": ["AI", "ai", "health data"],
        "closes_at": "2099-07-03T16:00",
        "value_min": "1000",
        "value_max": 5000,
        "requires_industry_partner": True,
        "cap_per_institution": 2,
    }
    response = client.post(URL, payload, content_type="application/json", headers=_auth(world, "aston_admin"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["title"], body["themes"], body["funder_organisation"]) == ("New call", ["AI", "health data"], "aston")
    # A time without an offset is UK time.
    assert body["closes_at"] == "2099-07-03T15:00:00Z"
    opportunity = Opportunity.objects.get()
    assert (opportunity.created_by, opportunity.cap_per_institution) == (world.users["aston_admin"], 2)
    assert AuditEvent.objects.get().action == "create"


def test_create_refuses_a_past_closing_date_with_the_message(client, world):
    payload = {"title": "Late", "funder_name": "UKRI", "closes_at": "2020-03-01T16:00:00Z"}
    response = client.post(URL, payload, content_type="application/json", headers=_auth(world, "coordinator"))
    assert response.status_code == 422
    assert response.json()["error"] == {
        "status": 422,
        "code": "validation_error",
        "message": "The closing date 1 March 2020 is in the past.",
        "fields": {"closes_at": ["The closing date 1 March 2020 is in the past."]},
    }


def test_create_refuses_dates_out_of_order_and_a_value_range_upside_down(client, world):
    payload = {
        "title": "Odd",
        "funder_name": "UKRI",
        "opens_at": "2099-03-03T16:00:00Z",
        "closes_at": "2099-03-01T16:00:00Z",
        "value_min": 10,
        "value_max": 5,
    }
    response = client.post(URL, payload, content_type="application/json", headers=_auth(world, "coordinator"))
    assert response.json()["error"]["fields"] == {
        "closes_at": [
            "The closing date (Sunday 1 March 2099, 4pm) is before the opening date (Tuesday 3 March 2099, 4pm)."
        ],
        "value_min": ["The minimum value £10 is more than the maximum value £5."],
    }


def test_create_needs_a_title_and_funder(client, world):
    response = client.post(URL, {}, content_type="application/json", headers=_auth(world, "coordinator"))
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "title": ["This field is required."],
        "funder_name": ["This field is required."],
    }


def test_create_refuses_an_unknown_funder_organisation(client, world):
    payload = {"title": "Call", "funder_name": "UKRI", "funder_organisation": "nowhere"}
    response = client.post(URL, payload, content_type="application/json", headers=_auth(world, "coordinator"))
    assert response.json()["error"]["fields"] == {"funder_organisation": ["No organisation “nowhere”."]}


def test_a_researcher_may_not_create(client, world):
    payload = {"title": "Call", "funder_name": "UKRI"}
    response = client.post(URL, payload, content_type="application/json", headers=_auth(world, "researcher"))
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "Only coordinators and institution admins add opportunities."


def test_patch_changes_only_what_is_sent(client, world):
    opportunity = OpportunityFactory(title="Call", cap_per_institution=1, themes=["AI"])
    response = client.patch(
        f"{URL}/{opportunity.pk}",
        {"cap_partnership": 4, "themes": ["AI", "robotics"]},
        content_type="application/json",
        headers=_auth(world, "coordinator"),
    )
    assert response.status_code == 200, response.content
    opportunity.refresh_from_db()
    assert (opportunity.title, opportunity.cap_per_institution, opportunity.cap_partnership) == ("Call", 1, 4)
    assert opportunity.themes == ["AI", "robotics"]
    assert AuditEvent.objects.get().changes == {"cap_partnership": [None, 4], "themes": [["AI"], ["AI", "robotics"]]}


def test_patch_may_keep_a_closing_date_that_has_passed(client, world):
    opportunity = OpportunityFactory(closes_at=timezone.now() - DAY)
    response = client.patch(
        f"{URL}/{opportunity.pk}",
        {"scheme": "Round 2"},
        content_type="application/json",
        headers=_auth(world, "coordinator"),
    )
    assert response.status_code == 200
    assert response.json()["status"] == "closed"


def test_patch_null_clears_a_cap(client, world):
    opportunity = OpportunityFactory(cap_per_institution=1)
    client.patch(
        f"{URL}/{opportunity.pk}",
        {"cap_per_institution": None},
        content_type="application/json",
        headers=_auth(world, "coordinator"),
    )
    opportunity.refresh_from_db()
    assert opportunity.cap_per_institution is None


def test_an_institution_admin_may_not_change_what_others_added(client, world):
    opportunity = OpportunityFactory()
    response = client.patch(
        f"{URL}/{opportunity.pk}",
        {"title": "Mine"},
        content_type="application/json",
        headers=_auth(world, "aston_admin"),
    )
    assert response.status_code == 403


def test_delete(client, world):
    opportunity = OpportunityFactory(title="Gone")
    response = client.delete(f"{URL}/{opportunity.pk}", headers=_auth(world, "coordinator"))
    assert response.json() == {"id": opportunity.pk, "title": "Gone", "deleted": True}
    assert Opportunity.objects.count() == 0
    assert AuditEvent.objects.get().action == "delete"


def test_anonymous_may_not_write(client, db):
    opportunity = OpportunityFactory()
    assert client.post(URL, {"title": "x"}, content_type="application/json").status_code == 401
    assert client.delete(f"{URL}/{opportunity.pk}").status_code == 401
