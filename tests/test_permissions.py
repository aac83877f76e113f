"""Every URL pattern and every API operation, checked for every persona.

Add a page or an API operation and this test fails until its expected access is written down here.
Statuses: 200 ok, 302 redirect (to sign in, or after a POST), 403 forbidden, 404 hidden, 401 no credentials.
"""

import datetime

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from mhi.accounts.models import Invitation, token_hash
from mhi.api.api import api
from tests.access import bids as bids_access
from tests.access import bids_api as bids_api_access
from tests.access import bids_selection as bids_selection_access
from tests.access import resources as resources_access
from tests.access import resources_api as resources_api_access
from tests.access import responses_drafting as responses_drafting_access
from tests.access import responses_export as responses_export_access
from tests.access import responses_signoff as responses_signoff_access
from tests.access import responses_workspace as responses_workspace_access
from tests.access import studies_feasibility as studies_feasibility_access
from tests.access import studies_placement as studies_placement_access
from tests.access import studies_recruitment as studies_recruitment_access
from tests.access import studies_sites as studies_sites_access
from tests.access import studies_studies as studies_studies_access
from tests.access.common import ADMINS, ALL_200, COORDINATOR_ONLY, SIGNED_IN_200
from tests.personas import PERSONAS, client_for


def _invitation(world, email="new@aston.example.org"):
    inv = Invitation.objects.create(
        email=email,
        role="researcher",
        organisation=world.aston,
        key_hash=token_hash("the-key"),
        invited_by=world.users["aston_admin"],
        expires_at=timezone.now() + datetime.timedelta(days=3),
    )
    return inv


def _import_job(world):
    from mhi.expertise.models import ImportJob

    return ImportJob.objects.create(
        format="openalex",
        file="imports/works.jsonl",
        original_name="works.jsonl",
        created_by=world.users["aston_admin"],
    )


def _impact_case(w):
    from mhi.expertise.models import ImpactCaseStudy

    return ImpactCaseStudy.objects.create(
        organisation=w.aston, case_study_id="1", unit_of_assessment="Clinical Medicine", title="T", summary="S"
    )


def _enquiry(w):
    from mhi.expertise.models import Enquiry, EnquiryEvent

    enquiry = Enquiry.objects.create(
        enquirer_kind="industry",
        name="Jo Bloggs",
        organisation_name="Acme Devices",
        email="jo@acme.example.com",
        title="Testing a wearable heart sensor",
        description="We need clinicians to help test a wearable heart sensor with heart failure patients.",
    )
    EnquiryEvent.objects.create(enquiry=enquiry, status="new")
    return enquiry


def _enquiry_thanks(w):
    from mhi.expertise.enquiries import enquiry_thanks_token

    return {"token": enquiry_thanks_token(_enquiry(w))}


def _enquiry_rate_reset(w):
    # Every persona posts from 127.0.0.1, more often than the per-address limit allows.
    from mhi.expertise.enquiries import enquiry_rate_reset

    enquiry_rate_reset(ip="127.0.0.1")
    return {}


# name → (method, kwargs-builder, {persona: status})
PAGES = {
    "home": ("get", lambda w: {}, ALL_200),
    "healthz": ("get", lambda w: {}, ALL_200),
    "directory:organisations": ("get", lambda w: {}, ALL_200),
    "directory:organisation": ("get", lambda w: {"slug": "aston"}, ALL_200),
    "directory:organisation_history": ("get", lambda w: {"slug": "aston"}, COORDINATOR_ONLY),
    "directory:people": ("get", lambda w: {}, ALL_200),
    "directory:partnership": ("get", lambda w: {}, ALL_200),
    "directory:map": ("get", lambda w: {}, ALL_200),
    "directory:person": ("get", lambda w: {"slug": "public-person"}, ALL_200),
    # A person without public consent, at Aston: coordinators and Aston's admin only.
    "directory:person#hidden": (
        "get",
        lambda w: {"slug": "hidden-person"},
        {**dict.fromkeys(PERSONAS, 404), "coordinator": 200, "aston_admin": 200},
    ),
    # The researcher's own profile: the researcher and coordinators may edit.
    "directory:person_edit": (
        "get",
        lambda w: {"slug": "daniel-mercer"},
        {**dict.fromkeys(PERSONAS, 403), "anonymous": 302, "coordinator": 200, "researcher": 200},
    ),
    "expertise:find": ("get", lambda w: {}, ALL_200),
    "expertise:export": ("get", lambda w: {}, ALL_200),
    "expertise:person": ("get", lambda w: {"slug": "public-person"}, ALL_200),
    "expertise:organisation": ("get", lambda w: {"slug": "aston"}, ALL_200),
    "expertise:imports": ("get", lambda w: {}, ADMINS),
    # Aston's admin's import: theirs and coordinators' to see; it does not exist for anyone else.
    "expertise:import_job": (
        "get",
        lambda w: {"job_id": _import_job(w).pk},
        {**dict.fromkeys(PERSONAS, 404), "anonymous": 302, "coordinator": 200, "aston_admin": 200},
    ),
    # Everyone signed in has a review queue (their own candidacies; empty for most).
    "expertise:review": ("get", lambda w: {}, SIGNED_IN_200),
    # Works and REF impact case studies are published documents: everyone may search and read them.
    "expertise:works": ("get", lambda w: {}, ALL_200),
    "expertise:impact_cases": ("get", lambda w: {}, ALL_200),
    "expertise:impact_case": ("get", lambda w: {"pk": _impact_case(w).pk}, ALL_200),
    "expertise:person#hidden": (
        "get",
        lambda w: {"slug": "hidden-person"},
        {**dict.fromkeys(PERSONAS, 404), "coordinator": 200, "aston_admin": 200},
    ),
    "accounts:tokens": ("get", lambda w: {}, SIGNED_IN_200),
    # Revoking the researcher's token: only the researcher; for others it does not exist.
    "accounts:token_revoke": (
        "post",
        lambda w: {"token_id": w.users["researcher"].api_tokens.get().pk},
        {**dict.fromkeys(PERSONAS, 404), "anonymous": 302, "researcher": 302},
    ),
    "accounts:invitations": ("get", lambda w: {}, ADMINS),
    "accounts:invitation_revoke": (
        "post",
        lambda w: {"invitation_id": _invitation(w).pk},
        {**dict.fromkeys(PERSONAS, 404), "anonymous": 302, "coordinator": 302, "aston_admin": 302},
    ),
    # The invitation link: anyone may open it; a signed-in user with another email is refused.
    "accounts:invitation_open": (
        "get",
        lambda w: _invitation(w) and {"key": "the-key"},
        {**dict.fromkeys(PERSONAS, 403), "anonymous": 200},
    ),
    # The front door: anyone may ask; the thank-you page is reached by the signed link its redirect gives.
    "enquiries:new": ("get", lambda w: {}, ALL_200),
    "enquiries:thanks": ("get", _enquiry_thanks, ALL_200),
    "enquiries:list": ("get", lambda w: {}, COORDINATOR_ONLY),
    "enquiries:detail": ("get", lambda w: {"enquiry_id": _enquiry(w).pk}, COORDINATOR_ONLY),
    # An empty POST: coordinators get the page back with the form's errors (200).
    "enquiries:route": ("post", lambda w: {"enquiry_id": _enquiry(w).pk}, COORDINATOR_ONLY),
    "enquiries:status": ("post", lambda w: {"enquiry_id": _enquiry(w).pk}, COORDINATOR_ONLY),
    "api-1.0.0:openapi-json": ("get", lambda w: {}, ALL_200),
    "api-1.0.0:openapi-view": ("get", lambda w: {}, ALL_200),
    # /api/ itself lists nothing: every persona gets the JSON 404.
    "api-1.0.0:api-root": ("get", lambda w: {}, dict.fromkeys(PERSONAS, 404)),
    "admin:index": ("get", lambda w: {}, {**dict.fromkeys(PERSONAS, 302), "coordinator": 200}),
    # --- opportunities ---
    # Public calls: everyone sees the list (and its CSV download) and each one. Coordinators and institution
    # admins add and import; coordinators change any, an institution admin those they added; feeds are
    # coordinators' only.
    "opportunities:list": ("get", lambda w: {}, ALL_200),
    "opportunities:detail": ("get", lambda w: {"pk": _opportunity(w).pk}, ALL_200),
    "opportunities:create": ("get", lambda w: {}, ADMINS),
    "opportunities:import": ("get", lambda w: {}, ADMINS),
    "opportunities:edit": ("get", lambda w: {"pk": _opportunity(w).pk}, COORDINATOR_ONLY),
    "opportunities:edit#own": ("get", lambda w: {"pk": _opportunity(w, by="aston_admin").pk}, ADMINS),
    "opportunities:delete": ("get", lambda w: {"pk": _opportunity(w).pk}, COORDINATOR_ONLY),
    "opportunities:feeds": ("get", lambda w: {}, COORDINATOR_ONLY),
    "opportunities:feed_create": ("get", lambda w: {}, COORDINATOR_ONLY),
    "opportunities:feed": ("get", lambda w: {"pk": _opportunity_feed(w).pk}, COORDINATOR_ONLY),
    # The feed's address is a closed port on 127.0.0.1: the coordinator's fetch fails at once and is logged.
    "opportunities:feed_fetch": (
        "post",
        lambda w: {"pk": _opportunity_feed(w).pk},
        {**dict.fromkeys(PERSONAS, 403), "anonymous": 302, "coordinator": 302},
    ),
    "opportunities:feed_delete": (
        "post",
        lambda w: {"pk": _opportunity_feed(w).pk},
        {**dict.fromkeys(PERSONAS, 403), "anonymous": 302, "coordinator": 302},
    ),
    # The team builder: anyone with a role in the partnership builds (industry partners do not). Keeping with
    # no token sends the builder back with the reason. A kept team: its creator, coordinators and the admins
    # of its members' institutions.
    "opportunities:team": ("get", lambda w: {"pk": _opportunity(w).pk}, {**SIGNED_IN_200, "external": 403}),
    "opportunities:team_for_text": ("get", lambda w: {}, {**SIGNED_IN_200, "external": 403}),
    "opportunities:team_keep": ("post", lambda w: {}, {**dict.fromkeys(PERSONAS, 302), "external": 403}),
    "opportunities:team_proposal": (
        "get",
        lambda w: {"pk": _team_proposal(w).pk},
        {**dict.fromkeys(PERSONAS, 404), "anonymous": 302, "coordinator": 200, "aston_admin": 200, "researcher": 200},
    ),
    # Matching. Best-matched people: anyone (each sees the people they may see). Opportunities for you, saved
    # searches, digest settings and expressions of interest: anyone signed in, each their own (coordinators and
    # institution admins also see others' interests); a saved search exists only for its owner. The unsubscribe
    # link needs no sign-in (it is signed). The interest page says why when someone cannot express interest;
    # withdrawing is for whoever expressed it.
    "opportunities:people": ("get", lambda w: {"pk": _opportunity(w).pk}, ALL_200),
    "opportunities:for_you": ("get", lambda w: {}, SIGNED_IN_200),
    "opportunities:searches": ("get", lambda w: {}, SIGNED_IN_200),
    "opportunities:search_create": ("get", lambda w: {}, SIGNED_IN_200),
    "opportunities:search": (
        "get",
        lambda w: {"pk": _saved_search(w).pk},
        {**dict.fromkeys(PERSONAS, 404), "anonymous": 302, "researcher": 200},
    ),
    "opportunities:search_delete": (
        "get",
        lambda w: {"pk": _saved_search(w).pk},
        {**dict.fromkeys(PERSONAS, 404), "anonymous": 302, "researcher": 200},
    ),
    "opportunities:digest": ("get", lambda w: {}, SIGNED_IN_200),
    "opportunities:unsubscribe": ("get", lambda w: {"token": _unsubscribe_token(w)}, ALL_200),
    "opportunities:unsubscribe#post": ("post", lambda w: {"token": _unsubscribe_token(w)}, ALL_200),
    "opportunities:interest": ("get", lambda w: {"pk": _opportunity(w).pk}, SIGNED_IN_200),
    "opportunities:interest_withdraw": (
        "post",
        lambda w: {"pk": _interest(w).opportunity_id},
        {**dict.fromkeys(PERSONAS, 404), "anonymous": 302, "researcher": 302},
    ),
    "opportunities:interests": ("get", lambda w: {}, SIGNED_IN_200),
    # --- end opportunities ---
}
PAGES.update(bids_access.PAGES)
PAGES.update(bids_selection_access.PAGES)
PAGES.update(resources_access.PAGES)
PAGES.update(studies_sites_access.PAGES)
PAGES.update(studies_studies_access.PAGES)
PAGES.update(studies_feasibility_access.PAGES)
PAGES.update(studies_placement_access.PAGES)
PAGES.update(studies_recruitment_access.PAGES)
PAGES.update(responses_workspace_access.PAGES)
PAGES.update(responses_drafting_access.PAGES)
PAGES.update(responses_signoff_access.PAGES)
PAGES.update(responses_export_access.PAGES)


# --- opportunities --- (builders for the entries above and in API_OPERATIONS)
def _opportunity(w, by="coordinator"):
    from mhi.opportunities.tests.factories import OpportunityFactory

    return OpportunityFactory(title="Research for Patient Benefit", created_by=w.users[by])


def _opportunity_feed(w):
    from mhi.opportunities.tests.factories import OpportunityFeedFactory

    return OpportunityFeedFactory(name="NIHR funding", url="http://127.0.0.1:9/feed.xml")


def FEEDS_ONLY(status):  # noqa: N802 - reads as a constant beside ALL_200
    return {**dict.fromkeys(PERSONAS, 403), "anonymous": 401, "coordinator": status}


def _team_proposal(w):
    """A team the researcher kept, of the public person at Aston."""
    from mhi.opportunities.models import TeamProposal

    person = w.public_person
    proposal = TeamProposal.objects.create(
        brief="Asthma in adults",
        themes=["asthma"],
        constraints={"team_size": 1},
        coverage=[{"theme": "asthma", "person": person.pk, "similarity": 0.5, "similarities": {str(person.pk): 0.5}}],
        objective=0.52,
        solver_status="optimal",
        created_by=w.users["researcher"],
    )
    proposal.members.set([person])
    return proposal


def _saved_search(w):
    from mhi.opportunities.models import SavedSearch

    return SavedSearch.objects.create(user=w.users["researcher"], name="Asthma", query="asthma in adults")


def _unsubscribe_token(w):
    from mhi.opportunities.digests import digest_unsubscribe_token

    return digest_unsubscribe_token(user=w.users["researcher"])


def _interest(w):
    """The researcher's expression of interest (Daniel Mercer, Nottingham) in an opportunity."""
    from mhi.opportunities.matching import interest_express

    return interest_express(user=w.users["researcher"], opportunity=_opportunity(w), note="Asthma trials")


# --- end opportunities ---

# Third-party URL groups whose access is set by their package and tested in their own tests here:
# allauth's account pages (test_accounts.py) and the Django admin's model pages (test_admin.py).
THIRD_PARTY_PREFIXES = ("allauth.", "django.contrib.admin.")


def _walk(resolver, namespace=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, ns)
        elif isinstance(entry, URLPattern):
            yield namespace, f"{namespace}{entry.name}" if entry.name else None, entry


def test_every_url_pattern_has_an_access_rule():
    names = {key.split("#")[0] for key in PAGES}
    missing = []
    for namespace, name, pattern in _walk(get_resolver()):
        module = getattr(pattern.callback, "__module__", "")
        if module.startswith(THIRD_PARTY_PREFIXES) or namespace.startswith("admin:"):
            continue
        if (name or "").startswith("api-1.0.0:") and str(pattern.pattern).startswith("v1/"):
            continue  # API operations: test_every_api_operation_has_an_access_rule covers them
        if name not in names:
            missing.append(f"{name} ({pattern.pattern})")
    assert missing == [], f"URL patterns with no access rule in PAGES: {missing}"


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", list(PAGES))
def test_page_access(client, world, key, persona):
    method, kwargs, expected = PAGES[key]
    url = reverse(key.split("#")[0], kwargs=kwargs(world))
    client = client_for(client, world, persona)
    response = getattr(client, method)(url)
    assert response.status_code == expected[persona], f"{persona} {method.upper()} {url}"
    if expected[persona] == 302 and persona == "anonymous" and not key.startswith("admin:"):
        assert response["Location"].startswith(reverse("account_login"))


def _api_invitation(w):
    return _invitation(w).pk


# (method, path template) → (path kwargs builder, body, {persona: status})
API_OPERATIONS = {
    ("GET", "/api/v1/organisations"): (lambda w: {}, None, ALL_200),
    ("GET", "/api/v1/organisations/{slug}"): (lambda w: {"slug": "aston"}, None, ALL_200),
    ("GET", "/api/v1/people"): (lambda w: {}, None, ALL_200),
    ("GET", "/api/v1/people/{slug}"): (
        lambda w: {"slug": "hidden-person"},
        None,
        {**dict.fromkeys(PERSONAS, 404), "coordinator": 200, "aston_admin": 200},
    ),
    ("GET", "/api/v1/partnership"): (lambda w: {}, None, ALL_200),
    ("GET", "/api/v1/figures"): (lambda w: {}, None, ALL_200),
    # Everyone may ask; each sees only the people they may see (tests in mhi/expertise/tests).
    ("GET", "/api/v1/expertise/people"): (lambda w: {}, {"q": "asthma"}, ALL_200),
    ("GET", "/api/v1/expertise/works"): (lambda w: {}, {"q": "asthma"}, ALL_200),
    ("GET", "/api/v1/expertise/impact-cases"): (lambda w: {}, None, ALL_200),
    ("GET", "/api/v1/expertise/impact-cases/{case_id}"): (lambda w: {"case_id": _impact_case(w).pk}, None, ALL_200),
    ("POST", "/api/v1/imports"): (
        lambda w: {},
        {"format": "openalex", "file": ("works.jsonl", b'{"id": "W1", "title": "T", "publication_year": 2020}\n')},
        {**dict.fromkeys(PERSONAS, 403), "anonymous": 401, "coordinator": 202, "aston_admin": 202},
    ),
    ("GET", "/api/v1/imports/{job_id}"): (
        lambda w: {"job_id": _import_job(w).pk},
        None,
        {**dict.fromkeys(PERSONAS, 404), "anonymous": 401, "coordinator": 200, "aston_admin": 200},
    ),
    ("GET", "/api/v1/me"): (lambda w: {}, None, {**ALL_200, "anonymous": 401}),
    ("GET", "/api/v1/tokens"): (lambda w: {}, None, {**ALL_200, "anonymous": 401}),
    ("POST", "/api/v1/tokens"): (lambda w: {}, {"name": "script"}, {**dict.fromkeys(PERSONAS, 201), "anonymous": 401}),
    ("DELETE", "/api/v1/tokens/{token_id}"): (
        lambda w: {"token_id": w.users["researcher"].api_tokens.get().pk},
        None,
        {**dict.fromkeys(PERSONAS, 404), "anonymous": 401, "researcher": 200},
    ),
    ("GET", "/api/v1/invitations"): (
        lambda w: {},
        None,
        {**dict.fromkeys(PERSONAS, 403), "anonymous": 401, "coordinator": 200, "aston_admin": 200},
    ),
    ("POST", "/api/v1/invitations"): (
        lambda w: {},
        {"email": "someone@aston.example.org", "role": "researcher", "organisation": "aston"},
        {**dict.fromkeys(PERSONAS, 403), "anonymous": 401, "coordinator": 201, "aston_admin": 201},
    ),
    ("DELETE", "/api/v1/invitations/{invitation_id}"): (
        lambda w: {"invitation_id": _api_invitation(w)},
        None,
        {**dict.fromkeys(PERSONAS, 404), "anonymous": 401, "coordinator": 200, "aston_admin": 200},
    ),
    # Anyone may send an enquiry; only coordinators see them, and for other signed-in users they do not exist.
    ("POST", "/api/v1/enquiries"): (
        _enquiry_rate_reset,
        {
            "enquirer_kind": "industry",
            "name": "Jo Bloggs",
            "email": "jo@acme.example.com",
            "title": "Testing a wearable heart sensor",
            "description": "We need clinicians to help test a wearable heart sensor with heart failure patients.",
        },
        dict.fromkeys(PERSONAS, 201),
    ),
    ("GET", "/api/v1/enquiries"): (
        lambda w: {},
        None,
        {**dict.fromkeys(PERSONAS, 403), "anonymous": 401, "coordinator": 200},
    ),
    ("GET", "/api/v1/enquiries/{enquiry_id}"): (
        lambda w: {"enquiry_id": _enquiry(w).pk},
        None,
        {**dict.fromkeys(PERSONAS, 404), "anonymous": 401, "coordinator": 200},
    ),
    ("POST", "/api/v1/enquiries/{enquiry_id}/route"): (
        lambda w: {"enquiry_id": _enquiry(w).pk},
        {"people": ["public-person"]},
        {**dict.fromkeys(PERSONAS, 404), "anonymous": 401, "coordinator": 200},
    ),
    ("POST", "/api/v1/enquiries/{enquiry_id}/status"): (
        lambda w: {"enquiry_id": _enquiry(w).pk},
        {"status": "closed"},
        {**dict.fromkeys(PERSONAS, 404), "anonymous": 401, "coordinator": 200},
    ),
    # --- opportunities ---
    # Feeds are coordinators' business only.
    ("GET", "/api/v1/opportunity-feeds"): (lambda w: {}, None, FEEDS_ONLY(200)),
    ("POST", "/api/v1/opportunity-feeds"): (
        lambda w: {},
        {"name": "Funder", "url": "http://127.0.0.1:9/feed.xml"},
        FEEDS_ONLY(201),
    ),
    ("GET", "/api/v1/opportunity-feeds/{feed_id}"): (
        lambda w: {"feed_id": _opportunity_feed(w).pk},
        None,
        FEEDS_ONLY(200),
    ),
    ("PATCH", "/api/v1/opportunity-feeds/{feed_id}"): (
        lambda w: {"feed_id": _opportunity_feed(w).pk},
        {"active": False},
        FEEDS_ONLY(200),
    ),
    ("DELETE", "/api/v1/opportunity-feeds/{feed_id}"): (
        lambda w: {"feed_id": _opportunity_feed(w).pk},
        None,
        FEEDS_ONLY(200),
    ),
    ("POST", "/api/v1/opportunity-feeds/{feed_id}/fetch"): (
        lambda w: {"feed_id": _opportunity_feed(w).pk},
        None,
        FEEDS_ONLY(202),
    ),
    ("GET", "/api/v1/opportunity-feeds/{feed_id}/fetches"): (
        lambda w: {"feed_id": _opportunity_feed(w).pk},
        None,
        FEEDS_ONLY(200),
    ),
    ("GET", "/api/v1/opportunities"): (lambda w: {}, None, ALL_200),
    ("GET", "/api/v1/opportunities/{opportunity_id}"): (
        lambda w: {"opportunity_id": _opportunity(w).pk},
        None,
        ALL_200,
    ),
    ("POST", "/api/v1/opportunities"): (
        lambda w: {},
        {"title": "Healthy ageing partnership awards", "funder_name": "UKRI"},
        {**dict.fromkeys(PERSONAS, 403), "anonymous": 401, "coordinator": 201, "aston_admin": 201},
    ),
    ("PATCH", "/api/v1/opportunities/{opportunity_id}"): (
        lambda w: {"opportunity_id": _opportunity(w).pk},
        {"scheme": "Round 2"},
        {**dict.fromkeys(PERSONAS, 403), "anonymous": 401, "coordinator": 200},
    ),
    ("DELETE", "/api/v1/opportunities/{opportunity_id}"): (
        lambda w: {"opportunity_id": _opportunity(w).pk},
        None,
        {**dict.fromkeys(PERSONAS, 403), "anonymous": 401, "coordinator": 200},
    ),
    # The world has no works, so those who may build are told why no team can be made (422); a made-up token
    # cannot be kept (422).
    ("POST", "/api/v1/teams/build"): (
        lambda w: {},
        {"brief": "Asthma in adults", "themes": ["asthma"]},
        {**dict.fromkeys(PERSONAS, 422), "anonymous": 401, "external": 403},
    ),
    ("POST", "/api/v1/teams"): (
        lambda w: {},
        {"token": "not-a-token"},
        {**dict.fromkeys(PERSONAS, 422), "anonymous": 401, "external": 403},
    ),
    ("GET", "/api/v1/teams/{proposal_id}"): (
        lambda w: {"proposal_id": _team_proposal(w).pk},
        None,
        {**dict.fromkeys(PERSONAS, 404), "anonymous": 401, "coordinator": 200, "aston_admin": 200, "researcher": 200},
    ),
    # Matching: matched people for anyone; the rest needs signing in and is each user's own. The researcher's saved
    # search and interest do not exist for anyone else; those with no person in the directory cannot express
    # interest (422, with why).
    ("GET", "/api/v1/opportunities/{opportunity_id}/people"): (
        lambda w: {"opportunity_id": _opportunity(w).pk},
        None,
        ALL_200,
    ),
    ("GET", "/api/v1/me/opportunities"): (lambda w: {}, None, {**ALL_200, "anonymous": 401}),
    ("GET", "/api/v1/saved-searches"): (lambda w: {}, None, {**ALL_200, "anonymous": 401}),
    ("POST", "/api/v1/saved-searches"): (
        lambda w: {},
        {"name": "Asthma", "query": "asthma in adults"},
        {**dict.fromkeys(PERSONAS, 201), "anonymous": 401},
    ),
    ("GET", "/api/v1/saved-searches/{search_id}"): (
        lambda w: {"search_id": _saved_search(w).pk},
        None,
        {**dict.fromkeys(PERSONAS, 404), "anonymous": 401, "researcher": 200},
    ),
    ("PATCH", "/api/v1/saved-searches/{search_id}"): (
        lambda w: {"search_id": _saved_search(w).pk},
        {"in_digest": False},
        {**dict.fromkeys(PERSONAS, 404), "anonymous": 401, "researcher": 200},
    ),
    ("DELETE", "/api/v1/saved-searches/{search_id}"): (
        lambda w: {"search_id": _saved_search(w).pk},
        None,
        {**dict.fromkeys(PERSONAS, 404), "anonymous": 401, "researcher": 200},
    ),
    ("GET", "/api/v1/opportunities/{opportunity_id}/interests"): (
        lambda w: {"opportunity_id": _interest(w).opportunity_id},
        None,
        {**ALL_200, "anonymous": 401},
    ),
    ("PUT", "/api/v1/opportunities/{opportunity_id}/interest"): (
        lambda w: {"opportunity_id": _opportunity(w).pk},
        {"note": "Asthma trials"},
        {**dict.fromkeys(PERSONAS, 422), "anonymous": 401, "researcher": 200},
    ),
    ("DELETE", "/api/v1/opportunities/{opportunity_id}/interest"): (
        lambda w: {"opportunity_id": _interest(w).opportunity_id},
        None,
        {**dict.fromkeys(PERSONAS, 404), "anonymous": 401, "researcher": 200},
    ),
    ("GET", "/api/v1/interests"): (lambda w: {}, None, {**ALL_200, "anonymous": 401}),
    ("GET", "/api/v1/me/digest"): (lambda w: {}, None, {**ALL_200, "anonymous": 401}),
    ("PUT", "/api/v1/me/digest"): (lambda w: {}, {"frequency": "weekly"}, {**ALL_200, "anonymous": 401}),
    # --- end opportunities ---
}
API_OPERATIONS.update(bids_api_access.API_OPERATIONS)
API_OPERATIONS.update(bids_selection_access.API_OPERATIONS)
API_OPERATIONS.update(resources_api_access.API_OPERATIONS)
API_OPERATIONS.update(studies_sites_access.API_OPERATIONS)
API_OPERATIONS.update(studies_studies_access.API_OPERATIONS)
API_OPERATIONS.update(studies_feasibility_access.API_OPERATIONS)
API_OPERATIONS.update(studies_placement_access.API_OPERATIONS)
API_OPERATIONS.update(studies_recruitment_access.API_OPERATIONS)
API_OPERATIONS.update(responses_workspace_access.API_OPERATIONS)
API_OPERATIONS.update(responses_drafting_access.API_OPERATIONS)
API_OPERATIONS.update(responses_signoff_access.API_OPERATIONS)
API_OPERATIONS.update(responses_export_access.API_OPERATIONS)


def _multipart(body: dict) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {k: SimpleUploadedFile(*v) if isinstance(v, tuple) else v for k, v in body.items()}


def test_every_api_operation_has_an_access_rule():
    schema = api.get_openapi_schema()
    operations = {
        (method.upper(), "/api" + path if not path.startswith("/api") else path)
        for path, methods in schema["paths"].items()
        for method in methods
    }
    assert operations == set(API_OPERATIONS), (
        f"missing rules: {sorted(operations - set(API_OPERATIONS))}; stale rules: {sorted(set(API_OPERATIONS) - operations)}"
    )


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", list(API_OPERATIONS), ids=lambda op: f"{op[0]} {op[1]}")
def test_api_access(client, world, operation, persona):
    method, template = operation
    kwargs, body, expected = API_OPERATIONS[operation]
    path = template.format(**kwargs(world))
    headers = {}
    if persona != "anonymous":
        headers["Authorization"] = f"Bearer {world.tokens[persona]}"
    call = getattr(client, method.lower())
    if body and any(isinstance(v, tuple) for v in body.values()):  # (name, bytes) values make a multipart upload
        response = call(path, data=_multipart(body), headers=headers)
    elif body:
        response = call(path, data=body, content_type="application/json", headers=headers)
    else:
        response = call(path, headers=headers)
    assert response.status_code == expected[persona], response.content
    if response.status_code < 400 and response.get("Content-Disposition", "").startswith("attachment"):
        return  # a download (a bid's document): the file itself, not JSON
    assert response["Content-Type"].startswith("application/json")
    if response.status_code >= 400:
        assert set(response.json()) == {"error"}
        assert set(response.json()["error"]) == {"status", "code", "message", "fields"}
