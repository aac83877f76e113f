"""Personas for permission tests, in the Healthchecks manner: one user per role, each at a known place.

    coordinator   MHI-wide coordinator (has TOTP)
    aston_admin   institution admin at Aston (has TOTP)
    leicester_lead institution lead at Leicester
    researcher    researcher at Nottingham, linked to the person "Daniel Mercer" (public profile)
    nhs_rd        NHS R&D at University Hospitals Birmingham
    external      industry partner at a company
Plus people: a public person at Aston, a private person at Aston ("hidden") and the researcher's person.
"""

from dataclasses import dataclass

from allauth.mfa.totp.internal.auth import TOTP

from mhi.accounts.models import Role
from mhi.accounts.services import api_token_create
from mhi.accounts.tests.factories import MembershipFactory, UserFactory
from mhi.directory.models import Organisation
from mhi.directory.tests.factories import AffiliationFactory, OrganisationFactory, PersonFactory

PERSONAS = ["anonymous", "coordinator", "aston_admin", "leicester_lead", "researcher", "nhs_rd", "external"]


@dataclass
class World:
    aston: Organisation
    leicester: Organisation
    nottingham: Organisation
    uhb: Organisation
    company: Organisation
    users: dict
    tokens: dict
    public_person: object
    hidden_person: object
    researcher_person: object


def _user(role, org, *, mfa=False, email):
    user = UserFactory(email=email)
    MembershipFactory(user=user, role=role, organisation=org)
    if mfa:
        TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    return user


def build_world() -> World:
    aston = OrganisationFactory(name="Aston University", slug="aston", kind="university", ukprn="10007759")
    leicester = OrganisationFactory(name="University of Leicester", slug="leicester", kind="university")
    nottingham = OrganisationFactory(name="University of Nottingham", slug="nottingham", kind="university")
    uhb = OrganisationFactory(name="University Hospitals Birmingham", slug="uhb", kind="nhs_trust", ods_code="RRK")
    company = OrganisationFactory(name="Acme Devices", slug="acme", kind="industry")
    users = {
        "anonymous": None,
        "coordinator": _user(Role.COORDINATOR, None, mfa=True, email="coordinator@example.org"),
        "aston_admin": _user(Role.INSTITUTION_ADMIN, aston, mfa=True, email="admin@aston.example.org"),
        "leicester_lead": _user(Role.INSTITUTION_LEAD, leicester, email="lead@leicester.example.org"),
        "researcher": _user(Role.RESEARCHER, nottingham, email="researcher@nottingham.example.org"),
        "nhs_rd": _user(Role.NHS_RD, uhb, email="rd@uhb.example.org"),
        "external": _user(Role.EXTERNAL, company, email="partner@acme.example.org"),
    }
    tokens = {name: api_token_create(user=u, name="tests")[1] for name, u in users.items() if u}
    public_person = AffiliationFactory(
        organisation=aston, person=PersonFactory(slug="public-person", given_name="Pat", family_name="Public")
    ).person
    hidden_person = AffiliationFactory(
        organisation=aston,
        person=PersonFactory(slug="hidden-person", given_name="Hid", family_name="Den", public_profile_consent=False),
    ).person
    researcher_person = AffiliationFactory(
        organisation=nottingham,
        person=PersonFactory(slug="daniel-mercer", given_name="Daniel", family_name="Mercer", user=users["researcher"]),
    ).person
    return World(
        aston, leicester, nottingham, uhb, company, users, tokens, public_person, hidden_person, researcher_person
    )


def client_for(client, world: World, persona: str):
    user = world.users[persona]
    if user is not None:
        client.force_login(user)
    return client
