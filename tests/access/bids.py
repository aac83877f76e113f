"""Access rules for mhi.bids pages (merged into tests/test_permissions.py). Internal selection rounds' pages
are in bids_selection.py.

The scenario: a bid led by Aston University for a call without caps. Its team is Pat Public (Aston, principal
investigator), the researcher persona's person Daniel Mercer (Nottingham, co-investigator) and Hid Den (Aston,
collaborator); University Hospitals Birmingham is a partner. So it is visible to the coordinator, Aston's admin
(the lead organisation's admin) and the researcher (on the team), who may all change it. Leicester's lead, the
NHS R&D user (staff at the partner trust, not its admin) and the industry partner do not know it exists (404).

"#collaborator": the same bid with the researcher only a collaborator: they read it but may not change it (403).
Documents download with HEAD here: the same view as GET, which the axe-core page test would try to open as a
page (it opens every GET rule).
"""

import hashlib

from tests.access.common import ADMINS, ALL_200, SIGNED_IN_200, only

SEES = only({"coordinator": 200, "aston_admin": 200, "researcher": 200}, default=404, anonymous=302)
CHANGES = only({"coordinator": 302, "aston_admin": 302, "researcher": 302}, default=404, anonymous=302)
READS_ONLY = {**SEES, "researcher": 403}


def _bid(w, *, researcher_role="co_investigator"):
    from mhi.bids.models import Bid, BidMember, BidPartner
    from mhi.opportunities.tests.factories import OpportunityFactory

    opportunity = OpportunityFactory(title="Research for Patient Benefit", created_by=w.users["coordinator"])
    bid = Bid.objects.create(
        opportunity=opportunity,
        title="Asthma self-management in adults",
        lead_organisation=w.aston,
        lead_person=w.public_person,
        summary="A trial of an app for adults with asthma.",
        case="Confidential case for support.",
        themes=["asthma"],
        created_by=w.users["coordinator"],
    )
    BidMember.objects.create(bid=bid, person=w.public_person, role="pi", organisation=w.aston)
    BidMember.objects.create(bid=bid, person=w.researcher_person, role=researcher_role, organisation=w.nottingham)
    BidMember.objects.create(bid=bid, person=w.hidden_person, role="collaborator", organisation=w.aston)
    BidPartner.objects.create(bid=bid, organisation=w.nottingham, role="university")
    BidPartner.objects.create(bid=bid, organisation=w.uhb, role="nhs_trust", note="Recruitment")
    return bid


def _pk(w):
    return {"pk": _bid(w).pk}


def _collaborator_pk(w):
    return {"pk": _bid(w, researcher_role="collaborator").pk}


def _document(w):
    from django.core.files.base import ContentFile

    from mhi.bids.models import BidDocument

    bid = _bid(w)
    content = b"Draft case for support\n"
    document = BidDocument(
        bid=bid,
        token="0123456789abcdef0123456789abcdef",
        original_name="case.txt",
        content_type="text/plain",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=w.users["coordinator"],
    )
    document.file.save("case.txt", ContentFile(content), save=True)
    return {"pk": bid.pk, "document_id": document.pk}


def _member(w):
    bid = _bid(w)
    return {"pk": bid.pk, "member_id": bid.members.get(person=w.hidden_person).pk}


def _partner(w):
    bid = _bid(w)
    return {"pk": bid.pk, "partner_id": bid.partners.get(organisation=w.uhb).pk}


def _opportunity(w):
    from mhi.opportunities.tests.factories import OpportunityFactory

    return {"opportunity_id": OpportunityFactory(cap_per_institution=1, cap_partnership=2).pk}


# name → (method, kwargs-builder, {persona: status})
PAGES: dict = {
    # The pipeline: everyone signed in, each seeing only the bids they may see (the list, board, reports and
    # files are filtered by the same selector; what each contains is tested in mhi/bids/tests).
    "bids:list": ("get", lambda w: _bid(w) and {}, SIGNED_IN_200),
    "bids:board": ("get", lambda w: _bid(w) and {}, SIGNED_IN_200),
    "bids:mine": ("get", lambda w: _bid(w) and {}, SIGNED_IN_200),
    "bids:export": ("get", lambda w: _bid(w) and {}, SIGNED_IN_200),
    "bids:pipeline": ("get", lambda w: _bid(w) and {}, SIGNED_IN_200),
    "bids:success": ("get", lambda w: _bid(w) and {}, SIGNED_IN_200),
    # Industry and external partners take part in bids but do not start them.
    "bids:create": ("get", lambda w: {}, {**SIGNED_IN_200, "external": 403}),
    # Awarded bids' summaries are public.
    "bids:awarded": ("get", lambda w: {}, ALL_200),
    # Cap use: coordinators and institution admins.
    "bids:caps": ("get", _opportunity, ADMINS),
    # One bid: its team, the lead organisation's admins and coordinators; nobody else knows it exists.
    "bids:detail": ("get", _pk, SEES),
    "bids:statement": ("get", _pk, SEES),
    "bids:documents": ("get", _pk, SEES),
    "bids:comments": ("get", _pk, SEES),
    # An empty comment: the page comes back with the form's error.
    "bids:comments#post": ("post", _pk, SEES),
    "bids:document": ("head", _document, SEES),
    "bids:document_delete": ("post", _document, CHANGES),
    "bids:edit": ("get", _pk, SEES),
    "bids:edit#collaborator": ("get", _collaborator_pk, READS_ONLY),
    "bids:transition": ("get", _pk, SEES),
    # An empty move: the page comes back with the form's error.
    "bids:transition#post": ("post", _pk, SEES),
    "bids:transition#collaborator": ("post", _collaborator_pk, READS_ONLY),
    "bids:team": ("get", _pk, SEES),
    "bids:team#collaborator": ("get", _collaborator_pk, READS_ONLY),
    "bids:member_remove": ("post", _member, CHANGES),
    "bids:partners": ("get", _pk, SEES),
    "bids:partner_remove": ("post", _partner, CHANGES),
    "bids:documents#collaborator": ("post", _collaborator_pk, READS_ONLY),
}
