"""Access rules for the studies sites pages and API operations (merged into tests/test_permissions.py).

The scenario: University Hospitals Birmingham (the nhs_rd persona's trust, ODS RRK) is in NHS Birmingham and
Solihull ICB (QHL, population 1,361,100) and hosts the NIHR Birmingham BRC; it has a research profile. England's
diabetes prevalence is loaded. A non-commercial diabetes study plans UHB; a commercial one too.

- Sites, their profiles, the infrastructure directory and the prevalence table are public (200 for everyone).
- Editing UHB's profile: its own users (nhs_rd) and coordinators; Aston's admin is an institution admin elsewhere
  (403), the rest 403; anonymous visitors sign in (302). Aston University is not a site: 404 for everyone
  signed in (checked with HEAD: the axe-core page test opens only GET rules, as someone who gets 200).
- Loading prevalence: coordinators and institution admins (Aston's admin); the rest 403.
- Reach: whoever may see the study — every signed-in persona for the academic study; for the commercial one,
  coordinators and UHB's users (planned there); for the rest it does not exist (404).
"""

from tests.access.common import only
from tests.personas import PERSONAS

ALL_200 = dict.fromkeys(PERSONAS, 200)
EDITORS = only({"coordinator": 200, "nhs_rd": 200}, default=403, anonymous=302)
EDITORS_SAVE = only({"coordinator": 302, "nhs_rd": 302}, default=403, anonymous=302)
LOADERS = only({"coordinator": 200, "aston_admin": 200}, default=403, anonymous=302)
SIGNED_IN = only({}, default=200, anonymous=302)
COMMERCIAL = only({"coordinator": 200, "nhs_rd": 200}, default=404, anonymous=302)

API_EDITORS = only({"coordinator": 200, "nhs_rd": 200}, default=403, anonymous=401)
API_LOADERS = only({"coordinator": 200, "aston_admin": 200}, default=403, anonymous=401)
API_SIGNED_IN = only({}, default=200, anonymous=401)
API_COMMERCIAL = only({"coordinator": 200, "nhs_rd": 200}, default=404, anonymous=401)

PROFILE_BODY = {
    "specialties": ["Diabetes", "Cardiology"],
    "beds": 12,
    "clinic_rooms": 6,
    "has_imaging": True,
    "has_pharmacy": True,
    "monthly_capacity": 20,
    "rd_contact_name": "R&D office",
    "rd_contact_email": "rd@uhb.example.org",
}
PREVALENCE_CSV = (
    b"condition_key,condition,area_code,area_name,percent,population_basis,year,source\n"
    b"asthma,Asthma (test),ENG,England,6.5,all ages,test,Access-rule test figure\n"
)


def _site(w):
    from mhi.directory.models import OrganisationRelation
    from mhi.directory.tests.factories import OrganisationFactory
    from mhi.studies.tests.factories import PrevalenceFigureFactory, SiteProfileFactory

    icb = OrganisationFactory(
        kind="icb",
        name="NHS Birmingham and Solihull Integrated Care Board",
        slug="bsol-icb",
        ods_code="QHL",
        population=1361100,
        population_note="DERIVED: sum of ONS Census 2021 first-release LA usual-resident counts",
    )
    w.uhb.icb = icb
    w.uhb.save()
    brc = OrganisationFactory(
        kind="research_infrastructure",
        infrastructure_type="brc",
        name="NIHR Birmingham Biomedical Research Centre",
        slug="birmingham-brc",
        themes="inflammation\nheart disease",
    )
    OrganisationRelation.objects.create(subject=brc, target=w.uhb, kind="hosted_by")
    OrganisationRelation.objects.create(subject=brc, target=w.aston, kind="partner")
    SiteProfileFactory(organisation=w.uhb, specialties="Diabetes\nCardiology", monthly_capacity=15)
    PrevalenceFigureFactory()
    return w.uhb


def _slug(w):
    return {"slug": _site(w).slug}


def _study(w, **fields):
    from mhi.studies.tests.factories import StudyFactory, StudySiteFactory

    study = StudyFactory(eligibility_fraction="0.2", **fields)
    StudySiteFactory(study=study, site=_site(w), status="planned")
    return study


def _study_pk(w):
    return {"pk": _study(w).pk}


def _commercial_pk(w):
    return {"pk": _study(w, sponsor_class="commercial", sponsor_name="Acme Pharma").pk}


PAGES = {
    "studies:sites": ("get", lambda w: _site(w) and {}, ALL_200),
    "studies:site": ("get", _slug, ALL_200),
    "studies:site#brc": ("get", lambda w: _site(w) and {"slug": "birmingham-brc"}, ALL_200),
    "studies:site#not_a_site": ("head", lambda w: {"slug": "aston"}, dict.fromkeys(PERSONAS, 404)),
    "studies:site_edit": ("get", _slug, EDITORS),
    # An empty form is a valid (blank) profile: the editors are sent back to the site's page.
    "studies:site_edit#save": ("post", _slug, EDITORS_SAVE),
    "studies:site_edit#not_a_site": (
        "head",
        lambda w: {"slug": "aston"},
        only({}, default=404, anonymous=302),
    ),
    "studies:infrastructure": ("get", lambda w: _site(w) and {}, ALL_200),
    "studies:prevalence": ("get", lambda w: _site(w) and {}, ALL_200),
    "studies:prevalence_upload": ("get", lambda w: {}, LOADERS),
    "studies:reach": ("get", _study_pk, SIGNED_IN),
    "studies:reach#commercial": ("get", _commercial_pk, COMMERCIAL),
}

API_OPERATIONS = {
    ("GET", "/api/v1/sites"): (lambda w: _site(w) and {}, None, ALL_200),
    ("GET", "/api/v1/sites/{slug}"): (_slug, None, ALL_200),
    ("PUT", "/api/v1/sites/{slug}/profile"): (_slug, PROFILE_BODY, API_EDITORS),
    ("GET", "/api/v1/infrastructure"): (lambda w: _site(w) and {}, None, ALL_200),
    ("GET", "/api/v1/prevalence"): (lambda w: _site(w) and {}, None, ALL_200),
    ("POST", "/api/v1/prevalence"): (lambda w: {}, {"file": ("prevalence.csv", PREVALENCE_CSV)}, API_LOADERS),
    ("GET", "/api/v1/studies/{study_id}/reach"): (lambda w: {"study_id": _study(w).pk}, None, API_SIGNED_IN),
}
