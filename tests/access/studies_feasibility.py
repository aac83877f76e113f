"""Access rules for the feasibility loop's pages and API operations (merged into tests/test_permissions.py).

The scenario: "DIAB-3", an academic study of type 2 diabetes owned by the researcher persona (Nottingham), has an
open feasibility request sent to University Hospitals Birmingham (the world's UHB, whose NHS R&D user is the
nhs_rd persona) and to another trust, "Shire Hospitals" (ODS RX1), with no persona. So:

- The request, its comparison, CSV and closing are for those who manage the study: the coordinator and the
  researcher (its owner). For everyone else the request does not exist (404): site users open their invite.
- Sending a request: the study is visible to every signed-in user (academic), so those who may not manage it
  are refused (403). "#commercial": a commercial study owned by someone else, to which UHB is not invited,
  exists only for the coordinator (404 for the rest).
- The inbox is everyone's (each sees their own sites' invites; an empty state for the rest).
- UHB's invite: nhs_rd answers it; the coordinator and the owner read it (a POST from them is 403); it does not
  exist for anyone else (404). "#other_site": Shire's invite does not exist for nhs_rd (404).
Non-HTML answers (the CSV) are checked with HEAD, so the axe-core page test leaves them out.
"""

import datetime

from tests.access.common import SIGNED_IN_200, only

MANAGERS = only({"coordinator": 200, "researcher": 200}, default=404, anonymous=302)
MANAGERS_302 = only({"coordinator": 302, "researcher": 302}, default=404, anonymous=302)
SEND = only({"coordinator": 200, "researcher": 200}, default=403, anonymous=302)
INVITE_SEES = only({"coordinator": 200, "researcher": 200, "nhs_rd": 200}, default=404, anonymous=302)
# An empty answer: nhs_rd sees the form again with the reasons (200); those who only read it may not answer.
INVITE_ANSWERS = only({"coordinator": 403, "researcher": 403, "nhs_rd": 200}, default=404, anonymous=302)

# Fixed ids, so API bodies fixed at import time can name them.
OTHER_SITE_ID = 880_301
DEADLINE = (datetime.date.today() + datetime.timedelta(days=21)).isoformat()


def _study(w, **fields):
    from mhi.studies.tests.factories import SiteProfileFactory, StudyFactory

    SiteProfileFactory(organisation=w.uhb, specialties="Diabetes\nCardiology", monthly_capacity=10)
    defaults = {"title": "Type 2 diabetes trial", "acronym": "DIAB-3", "owner": w.users["researcher"]}
    return StudyFactory(**{**defaults, **fields})


def _other_site():
    from mhi.studies.models import SiteProfile
    from mhi.studies.tests.factories import TrustFactory

    site = TrustFactory(pk=OTHER_SITE_ID, name="Shire Hospitals NHS Trust", slug="shire", ods_code="RX1")
    SiteProfile.objects.create(organisation=site, specialties="Diabetes", rd_contact_email="rd@shire.example.org")
    return site


def _request(w):
    from mhi.studies.tests.factories import FeasibilityInviteFactory, FeasibilityRequestFactory

    request = FeasibilityRequestFactory(study=_study(w), created_by=w.users["researcher"])
    FeasibilityInviteFactory(request=request, site=w.uhb)
    FeasibilityInviteFactory(request=request, site=_other_site())
    return request


def _request_pk(w):
    return {"pk": _request(w).pk}


def _study_pk(w):
    return {"pk": _study(w).pk}


def _commercial_study_pk(w):
    from mhi.accounts.tests.factories import UserFactory

    study = _study(w, sponsor_class="commercial", sponsor_name="Acme Pharma", owner=UserFactory())
    return {"pk": study.pk}


def _uhb_invite(w):
    return _request(w).invites.get(site=w.uhb)


def _uhb_invite_pk(w):
    return {"pk": _uhb_invite(w).pk}


def _other_invite_pk(w):
    return {"pk": _request(w).invites.get(site_id=OTHER_SITE_ID).pk}


PAGES = {
    "studies:feasibility_create": ("get", _study_pk, SEND),
    "studies:feasibility_create#commercial": (
        "get",
        _commercial_study_pk,
        only({"coordinator": 200}, default=404, anonymous=302),
    ),
    "studies:invites": ("get", lambda w: _request(w) and {}, SIGNED_IN_200),
    "studies:invite": ("get", _uhb_invite_pk, INVITE_SEES),
    "studies:invite#other_site": (
        "get",
        _other_invite_pk,
        only({"coordinator": 200, "researcher": 200}, default=404, anonymous=302),
    ),
    "studies:invite#answer": ("post", _uhb_invite_pk, INVITE_ANSWERS),
    "studies:feasibility": ("get", _request_pk, MANAGERS),
    "studies:feasibility_csv": ("head", _request_pk, MANAGERS),
    "studies:feasibility_close": ("get", _request_pk, MANAGERS),
    # An empty POST closes the request with no site chosen.
    "studies:feasibility_close#post": ("post", _request_pk, MANAGERS_302),
}

API_MANAGERS = only({"coordinator": 200, "researcher": 200}, default=404, anonymous=401)
API_MANAGE_STUDY = only({"coordinator": 200, "researcher": 200}, default=403, anonymous=401)

API_OPERATIONS = {
    ("POST", "/api/v1/studies/{study_id}/feasibility"): (
        lambda w: _other_site() and {"study_id": _study(w).pk},
        {"site_ids": [OTHER_SITE_ID], "deadline": DEADLINE, "message": "Could you?", "reminder_days": "7,2"},
        only({"coordinator": 201, "researcher": 201}, default=403, anonymous=401),
    ),
    ("GET", "/api/v1/studies/{study_id}/feasibility"): (
        lambda w: {"study_id": _request(w).study_id},
        None,
        API_MANAGE_STUDY,
    ),
    ("GET", "/api/v1/studies/{study_id}/site-suggestions"): (
        lambda w: {"study_id": _study(w).pk},
        None,
        API_MANAGE_STUDY,
    ),
    ("GET", "/api/v1/feasibility/{request_id}"): (lambda w: {"request_id": _request(w).pk}, None, API_MANAGERS),
    ("POST", "/api/v1/feasibility/{request_id}/close"): (
        lambda w: {"request_id": _request(w).pk},
        {"site_ids": [], "decision_note": "None suitable"},
        API_MANAGERS,
    ),
    ("GET", "/api/v1/feasibility/invites"): (
        lambda w: _request(w) and {},
        None,
        only({}, default=200, anonymous=401),
    ),
    ("GET", "/api/v1/feasibility/invites/{invite_id}"): (
        lambda w: {"invite_id": _uhb_invite(w).pk},
        None,
        only({"coordinator": 200, "researcher": 200, "nhs_rd": 200}, default=404, anonymous=401),
    ),
    ("PUT", "/api/v1/feasibility/invites/{invite_id}/response"): (
        lambda w: {"invite_id": _uhb_invite(w).pk},
        {"interest": "yes", "local_pi": "Dr Patel", "monthly_recruitment": 3},
        only({"coordinator": 403, "researcher": 403, "nhs_rd": 200}, default=404, anonymous=401),
    ),
}
