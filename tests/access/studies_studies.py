"""Access rules for the studies pages and API operations (merged into tests/test_permissions.py).

The scenario: an academic study owned by the researcher persona (Nottingham), visible to everyone signed in and
managed by the researcher and coordinators; and a commercial study owned by someone who is not a persona, with
University Hospitals Birmingham (the nhs_rd persona's site) as a planned site. The commercial study exists only
for coordinators and the nhs_rd persona (who sees it but may not change it: 403); for everyone else it does not
exist (404). Every persona holds a role at an organisation, so every one may add and import studies.
"""

import json

from tests.access.common import SIGNED_IN_200, only

MANAGES = only({"coordinator": 200, "researcher": 200}, default=403, anonymous=302)
COMMERCIAL_SEES = only({"coordinator": 200, "nhs_rd": 200}, default=404, anonymous=302)
COMMERCIAL_MANAGES = only({"coordinator": 200, "nhs_rd": 403}, default=404, anonymous=302)
API_SIGNED_IN = only({}, default=200, anonymous=401)
API_SIGNED_IN_201 = only({}, default=201, anonymous=401)
API_MANAGES = only({"coordinator": 200, "researcher": 200}, default=403, anonymous=401)
API_MANAGES_201 = only({"coordinator": 201, "researcher": 201}, default=403, anonymous=401)
API_COMMERCIAL_SEES = only({"coordinator": 200, "nhs_rd": 200}, default=404, anonymous=401)

V2_RECORD = json.dumps(
    {"protocolSection": {"identificationModule": {"nctId": "NCT09999999", "briefTitle": "An imported study"}}}
).encode()


def _academic(w):
    from mhi.studies.tests.factories import StudyFactory, StudySiteFactory

    study = StudyFactory(title="A trial of walking in type 2 diabetes", owner=w.users["researcher"])
    StudySiteFactory(study=study, site=w.uhb, status="planned")
    return study


def _commercial(w, *, planned=True):
    from mhi.accounts.tests.factories import UserFactory
    from mhi.studies.tests.factories import StudyFactory, StudySiteFactory

    study = StudyFactory(
        title="A confidential device study",
        sponsor_name="Acme Devices",
        sponsor_class="commercial",
        owner=UserFactory(email="sponsor@example.com"),
    )
    if planned:
        StudySiteFactory(study=study, site=w.uhb, status="planned")
    return study


def _pk(w):
    return {"pk": _academic(w).pk}


def _commercial_pk(w):
    return {"pk": _commercial(w).pk}


def _unplanned_pk(w):
    return {"pk": _commercial(w, planned=False).pk}


PAGES = {
    "studies:list": ("get", lambda w: _academic(w) and _commercial(w) and {}, SIGNED_IN_200),
    "studies:create": ("get", lambda w: {}, SIGNED_IN_200),
    "studies:import": ("get", lambda w: {}, SIGNED_IN_200),
    "studies:detail": ("get", _pk, SIGNED_IN_200),
    "studies:detail#commercial": ("get", _commercial_pk, COMMERCIAL_SEES),
    "studies:detail#commercial_no_site": (
        "get",
        _unplanned_pk,
        only({"coordinator": 200}, default=404, anonymous=302),
    ),
    "studies:edit": ("get", _pk, MANAGES),
    "studies:edit#commercial": ("get", _commercial_pk, COMMERCIAL_MANAGES),
    "studies:sites_manage": ("get", _pk, MANAGES),
    "studies:sites_manage#commercial": ("get", _commercial_pk, COMMERCIAL_MANAGES),
}


def _study_id(w):
    return {"study_id": _academic(w).pk}


def _bare_study_id(w):
    from mhi.studies.tests.factories import StudyFactory

    return {"study_id": StudyFactory(title="A study with no sites yet", owner=w.users["researcher"]).pk}


def _commercial_id(w):
    return {"study_id": _commercial(w).pk}


API_OPERATIONS = {
    ("GET", "/api/v1/studies"): (lambda w: _academic(w) and {}, None, API_SIGNED_IN),
    ("POST", "/api/v1/studies"): (lambda w: {}, {"title": "A new study", "conditions": ["Asthma"]}, API_SIGNED_IN_201),
    ("POST", "/api/v1/studies/import"): (lambda w: {}, {"files": ("NCT09999999.json", V2_RECORD)}, API_SIGNED_IN),
    ("GET", "/api/v1/studies/{study_id}"): (_commercial_id, None, API_COMMERCIAL_SEES),
    ("PUT", "/api/v1/studies/{study_id}"): (
        _study_id,
        {"title": "A trial of walking and cycling in type 2 diabetes", "version": 1},
        API_MANAGES,
    ),
    ("GET", "/api/v1/studies/{study_id}/sites"): (_commercial_id, None, API_COMMERCIAL_SEES),
    ("POST", "/api/v1/studies/{study_id}/sites"): (
        _bare_study_id,
        {"site": "uhb", "status": "planned", "target": 20},
        API_MANAGES_201,
    ),
    ("DELETE", "/api/v1/studies/{study_id}/sites/{site_id}"): (
        lambda w: {**_study_id(w), "site_id": w.uhb.pk},
        None,
        API_MANAGES,
    ),
}
