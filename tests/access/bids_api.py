"""Access rules for mhi.bids API operations (merged into tests/test_permissions.py).

The scenario: a bid for an uncapped NIHR call, led by Aston University (lead person: the public person at Aston),
created by the coordinator, with University Hospitals Birmingham as its NHS partner, and on its team the
researcher persona's person (Daniel Mercer, co-investigator) and the hidden person (collaborator).

- It exists for the coordinator, Aston's admin (lead institution) and the researcher (team): 200.
- For everyone else it does not exist: 404 for Leicester's lead, UHB's NHS R&D (a partner institution, but not
  its admin: only institution admins of partners see a bid) and the industry partner. Anonymous: 401.
- Passing internal selection (the transition rule's bid is in internal selection) is for coordinators and the
  lead institution's admins only: the researcher, on the team, gets 403.
- Cap use: coordinators and institution admins. Reports: anyone signed in (over the bids they may see).
  Awarded bids' summaries: everyone, signed in or not.
"""

from tests.access.common import only
from tests.personas import PERSONAS

# The bid's team and those who may see it; everyone else is told it does not exist.
TEAM = only({"coordinator": 200, "aston_admin": 200, "researcher": 200}, default=404, anonymous=401)
TEAM_201 = only({"coordinator": 201, "aston_admin": 201, "researcher": 201}, default=404, anonymous=401)
SIGNED_IN = only({}, default=200, anonymous=401)
# The opportunity that POST /bids starts a bid for (the body is fixed, so its id is too).
NEW_BID_OPPORTUNITY = 880_001


def _opportunity(**fields):
    from mhi.opportunities.tests.factories import OpportunityFactory

    return OpportunityFactory(title="Research for Patient Benefit", funder_name="NIHR", **fields)


def _bid(w, stage="idea"):
    from mhi.bids.models import Bid, BidMember, BidPartner

    bid = Bid.objects.create(
        opportunity=_opportunity(),
        title="Inhalers for all",
        lead_organisation=w.aston,
        lead_person=w.public_person,
        summary="Better inhaler technique for adults with asthma.",
        case="Confidential case for support.",
        stage=stage,
        created_by=w.users["coordinator"],
    )
    BidPartner.objects.create(bid=bid, organisation=w.uhb, role="nhs_trust", note="Recruits patients")
    BidMember.objects.create(bid=bid, person=w.researcher_person, role="co_investigator", organisation=w.nottingham)
    BidMember.objects.create(bid=bid, person=w.hidden_person, role="collaborator", organisation=w.aston)
    return bid


def _document(w):
    from django.core.files.base import ContentFile

    from mhi.bids.models import BidDocument

    bid = _bid(w)
    document = BidDocument(
        bid=bid,
        token="a" * 32,
        original_name="case.txt",
        content_type="text/plain",
        size=22,
        sha256="0" * 64,
        uploaded_by=w.users["coordinator"],
    )
    document.file.save("case.txt", ContentFile(b"Our case for support.\n"), save=True)
    return {"bid_id": bid.pk, "document_id": document.pk}


def _new_bid_opportunity(w):
    _opportunity(pk=NEW_BID_OPPORTUNITY)
    return {}


def _awarded(w):
    from mhi.bids.models import Bid

    bid = _bid(w)
    Bid.objects.filter(pk=bid.pk).update(stage="awarded")
    return {}


API_OPERATIONS = {
    # Lists are filtered: everyone signed in may ask, and sees the bids they may see.
    ("GET", "/api/v1/bids"): (lambda w: _bid(w) and {}, None, SIGNED_IN),
    # Anyone with a role in the partnership starts bids; industry partners do not.
    ("POST", "/api/v1/bids"): (
        _new_bid_opportunity,
        {"opportunity": NEW_BID_OPPORTUNITY, "title": "A new bid", "lead_organisation": "aston"},
        only({"external": 403}, default=201, anonymous=401),
    ),
    ("GET", "/api/v1/bids/{bid_id}"): (lambda w: {"bid_id": _bid(w).pk}, None, TEAM),
    ("PATCH", "/api/v1/bids/{bid_id}"): (
        lambda w: {"bid_id": _bid(w).pk},
        {"version": 1, "title": "Inhalers for everyone"},
        TEAM,
    ),
    ("POST", "/api/v1/bids/{bid_id}/transition"): (
        lambda w: {"bid_id": _bid(w, stage="internal_selection").pk},
        {"to_stage": "full_application", "reason": "Strong team"},
        only({"coordinator": 200, "aston_admin": 200, "researcher": 403}, default=404, anonymous=401),
    ),
    ("GET", "/api/v1/bids/{bid_id}/partners"): (lambda w: {"bid_id": _bid(w).pk}, None, TEAM),
    ("POST", "/api/v1/bids/{bid_id}/partners"): (
        lambda w: {"bid_id": _bid(w).pk},
        {"organisation": "leicester", "role": "university", "note": "Trials unit"},
        TEAM_201,
    ),
    ("DELETE", "/api/v1/bids/{bid_id}/partners/{partner_id}"): (
        lambda w: (lambda bid: {"bid_id": bid.pk, "partner_id": bid.partners.get().pk})(_bid(w)),
        None,
        TEAM,
    ),
    ("GET", "/api/v1/bids/{bid_id}/members"): (lambda w: {"bid_id": _bid(w).pk}, None, TEAM),
    ("POST", "/api/v1/bids/{bid_id}/members"): (
        lambda w: {"bid_id": _bid(w).pk},
        {"person": "public-person", "role": "collaborator", "organisation": "aston"},
        TEAM_201,
    ),
    ("DELETE", "/api/v1/bids/{bid_id}/members/{member_id}"): (
        lambda w: (lambda bid: {"bid_id": bid.pk, "member_id": bid.members.get(role="collaborator").pk})(_bid(w)),
        None,
        TEAM,
    ),
    ("GET", "/api/v1/bids/{bid_id}/documents"): (lambda w: {"bid_id": _bid(w).pk}, None, TEAM),
    ("POST", "/api/v1/bids/{bid_id}/documents"): (
        lambda w: {"bid_id": _bid(w).pk},
        {"file": ("case.txt", b"Our case for support.\n"), "description": "Case for support"},
        TEAM_201,
    ),
    ("GET", "/api/v1/bids/{bid_id}/documents/{document_id}"): (_document, None, TEAM),
    ("DELETE", "/api/v1/bids/{bid_id}/documents/{document_id}"): (_document, None, TEAM),
    ("GET", "/api/v1/bids/{bid_id}/comments"): (lambda w: {"bid_id": _bid(w).pk}, None, TEAM),
    ("POST", "/api/v1/bids/{bid_id}/comments"): (
        lambda w: {"bid_id": _bid(w).pk},
        {"text": "The costings need another look."},
        TEAM_201,
    ),
    ("GET", "/api/v1/bids/{bid_id}/events"): (lambda w: {"bid_id": _bid(w).pk}, None, TEAM),
    ("GET", "/api/v1/bids/{bid_id}/statements/team"): (lambda w: {"bid_id": _bid(w).pk}, None, TEAM),
    ("GET", "/api/v1/bids/{bid_id}/statements/facilities"): (lambda w: {"bid_id": _bid(w).pk}, None, TEAM),
    ("GET", "/api/v1/opportunities/{opportunity_id}/cap-use"): (
        lambda w: {"opportunity_id": _bid(w).opportunity_id},
        None,
        only({"coordinator": 200, "aston_admin": 200}, default=403, anonymous=401),
    ),
    ("GET", "/api/v1/bids/pipeline"): (lambda w: _bid(w) and {}, None, SIGNED_IN),
    ("GET", "/api/v1/bids/success-rates"): (lambda w: _bid(w) and {}, None, SIGNED_IN),
    ("GET", "/api/v1/bids/awarded"): (_awarded, None, dict.fromkeys(PERSONAS, 200)),
}
