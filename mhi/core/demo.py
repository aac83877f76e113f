"""Demo data for `mhi demo`: fictional people (their pages say so) at the real partnership's
organisations, and one demo account per role. Idempotent: running it again changes nothing."""

import json
import time
from dataclasses import dataclass
from pathlib import Path

from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.db import transaction
from django.utils.text import slugify

from mhi.accounts.models import Membership, Role, User
from mhi.accounts.services import membership_grant
from mhi.core.audit import audit_save
from mhi.directory.models import Affiliation, Organisation, Person

DEMO_DOMAIN = "demo.example.org"
DEMO_PASSWORD = "mhi-demo-password"
SOURCE = "mhi demo"

# (given, family, title, kind, organisation reference key, department, job title, public profile?)
DEMO_PEOPLE = [
    ("Amara", "Okafor", "Dr", "academic", "university:10007759", "School of Optometry", "Senior Lecturer", True),
    (
        "Tomasz",
        "Wilk",
        "Prof",
        "academic",
        "university:10007759",
        "Aston Pharmacy School",
        "Professor of Pharmaceutics",
        True,
    ),
    (
        "Helen",
        "Marsh",
        "Dr",
        "academic",
        "university:10006840",
        "Institute of Immunology and Immunotherapy",
        "Reader",
        True,
    ),
    (
        "Rajesh",
        "Nair",
        "Prof",
        "academic",
        "university:10006840",
        "Institute of Cancer and Genomic Sciences",
        "Professor of Oncology",
        True,
    ),
    (
        "Sophie",
        "Allen",
        "Dr",
        "academic",
        "university:10006840",
        "Institute of Inflammation and Ageing",
        "Research Fellow",
        False,
    ),
    (
        "Gareth",
        "Pryce",
        "Prof",
        "academic",
        "university:10007767",
        "School of Medicine",
        "Professor of Primary Care",
        True,
    ),
    (
        "Lucy",
        "Fenwick",
        "Dr",
        "academic",
        "university:10007767",
        "School of Pharmacy and Bioengineering",
        "Lecturer",
        False,
    ),
    (
        "Imran",
        "Siddiqui",
        "Prof",
        "academic",
        "university:10007796",
        "Department of Cardiovascular Sciences",
        "Professor of Cardiology",
        True,
    ),
    (
        "Claire",
        "Dobson",
        "Dr",
        "academic",
        "university:10007796",
        "Diabetes Research Centre",
        "Associate Professor",
        True,
    ),
    (
        "Owen",
        "Hughes",
        "Dr",
        "academic",
        "university:10004113",
        "School of Sport, Exercise and Health Sciences",
        "Senior Lecturer",
        True,
    ),
    (
        "Priya",
        "Kaur",
        "Prof",
        "academic",
        "university:10004113",
        "Wolfson School of Engineering",
        "Professor of Medical Devices",
        True,
    ),
    (
        "Daniel",
        "Mercer",
        "Dr",
        "academic",
        "university:10007154",
        "School of Medicine, Gastroenterology",
        "Clinical Associate Professor",
        True,
    ),
    ("Femi", "Adeyemi", "Dr", "academic", "university:10007154", "Hearing Sciences", "Research Fellow", False),
    (
        "Rachel",
        "Stone",
        "Prof",
        "academic",
        "university:10007163",
        "Warwick Medical School",
        "Professor of Health Sciences",
        True,
    ),
    ("Josiah", "Carberry", "Dr", "academic", "university:10007163", "Warwick Medical School", "Honorary Fellow", True),
    ("Naomi", "Clarke", "Dr", "clinician", "trust:RRK", "Liver Unit", "Consultant Hepatologist", True),
    ("Marcus", "Bell", "Mr", "clinician", "trust:RRK", "Trauma and Orthopaedics", "Consultant Surgeon", False),
    ("Aisha", "Rahman", "Dr", "clinician", "trust:RWE", "Respiratory Medicine", "Consultant Physician", True),
    ("Peter", "Lowe", "Dr", "clinician", "trust:RX1", "Audiology", "Clinical Scientist", True),
    ("Gemma", "Price", "Ms", "nhs_staff", "trust:RX1", "Research and Innovation", "Research Delivery Manager", True),
    ("Victor", "Osei", "Dr", "clinician", "trust:RJE", "Stroke Medicine", "Consultant Stroke Physician", True),
    ("Hannah", "Reid", "Ms", "nhs_staff", "trust:RRK", "Research and Development", "R&D Manager", False),
    (
        "Liam",
        "Gallagher",
        "Mr",
        "industry",
        "demo:midlands-medtech",
        "Product Development",
        "Head of Clinical Affairs",
        True,
    ),
    ("Yasmin", "Haddad", "Dr", "industry", "demo:midlands-medtech", "Data Science", "Principal Data Scientist", True),
]

# Josiah Carberry is ORCID's own fictional test person; his iD is safe to show.
DEMO_ORCIDS = {("Josiah", "Carberry"): "0000-0002-1825-0097"}


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: str
    organisation_key: str | None
    person: tuple[str, str] | None
    description: str

    @property
    def needs_mfa(self) -> bool:
        return self.role in (Role.COORDINATOR, Role.INSTITUTION_ADMIN)


DEMO_ACCOUNTS = [
    DemoAccount(f"coordinator@{DEMO_DOMAIN}", Role.COORDINATOR, None, None, "MHI coordinator (partnership-wide)"),
    DemoAccount(
        f"admin.aston@{DEMO_DOMAIN}", Role.INSTITUTION_ADMIN, "university:10007759", None, "Institution admin, Aston"
    ),
    DemoAccount(
        f"lead.leicester@{DEMO_DOMAIN}",
        Role.INSTITUTION_LEAD,
        "university:10007796",
        None,
        "Institution lead, Leicester",
    ),
    DemoAccount(
        f"researcher.nottingham@{DEMO_DOMAIN}",
        Role.RESEARCHER,
        "university:10007154",
        ("Daniel", "Mercer"),
        "Researcher, Nottingham (Dr Daniel Mercer)",
    ),
    DemoAccount(f"rd.uhb@{DEMO_DOMAIN}", Role.NHS_RD, "trust:RRK", ("Hannah", "Reid"), "NHS R&D, UHB"),
    DemoAccount(
        f"partner@{DEMO_DOMAIN}", Role.EXTERNAL, "demo:midlands-medtech", ("Liam", "Gallagher"), "Industry partner"
    ),
]

# Fixed demo secrets (base32) so `mhi demo-code` can print the current sign-in code.
DEMO_TOTP_SECRETS = {
    f"coordinator@{DEMO_DOMAIN}": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    f"admin.aston@{DEMO_DOMAIN}": "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU",
}


def _demo_company() -> Organisation:
    org = Organisation.objects.filter(reference_key="demo:midlands-medtech").first()
    if org is None:
        org = Organisation(reference_key="demo:midlands-medtech", slug="midlands-medtech-demo")
        audit_save(
            instance=org,
            source=SOURCE,
            fields={
                "name": "Midlands MedTech (fictional demo company)",
                "kind": Organisation.Kind.INDUSTRY,
                "town": "Nottingham",
                "region": Organisation.Region.EAST_MIDLANDS,
                "description": "A fictional company for the demo. It does not exist.",
                "source": SOURCE,
            },
        )
    return org


@transaction.atomic
def demo_seed() -> dict:
    """Create the demo people and accounts; returns counts of what was created."""
    if not Organisation.objects.filter(reference_key="university:10007759").exists():
        raise RuntimeError("Load the reference data first: mhi load-reference")
    _demo_company()
    orgs = {o.reference_key: o for o in Organisation.objects.filter(reference_key__isnull=False)}
    created = {"people": 0, "accounts": 0}
    for given, family, title, kind, org_key, department, job_title, public in DEMO_PEOPLE:
        slug = slugify(f"{given} {family}")
        person = Person.objects.filter(slug=slug).first()
        if person is None:
            person = Person(slug=slug)
            audit_save(
                instance=person,
                source=SOURCE,
                fields={
                    "given_name": given,
                    "family_name": family,
                    "title": title,
                    "kind": kind,
                    "is_fictional": True,
                    "public_profile_consent": public,
                    "orcid": DEMO_ORCIDS.get((given, family)),
                    "email": f"{given}.{family}@{DEMO_DOMAIN}".lower(),
                    "biography": f"{given} {family} is a fictional person created for the MHI Hub demo.",
                },
            )
            created["people"] += 1
        if not Affiliation.objects.filter(person=person, organisation=orgs[org_key]).exists():
            affiliation = Affiliation(
                person=person, organisation=orgs[org_key], department=department, job_title=job_title, is_primary=True
            )
            audit_save(instance=affiliation, source=SOURCE)
    for account in DEMO_ACCOUNTS:
        user = User.objects.filter(email=account.email).first()
        if user is None:
            user = User.objects.create_user(email=account.email, password=DEMO_PASSWORD, full_name=account.description)
            created["accounts"] += 1
        EmailAddress.objects.get_or_create(user=user, email=account.email, defaults={"verified": True, "primary": True})
        organisation = orgs[account.organisation_key] if account.organisation_key else None
        if not Membership.objects.filter(user=user, role=account.role, organisation=organisation).exists():
            membership_grant(actor=None, user=user, role=account.role, organisation=organisation, source=SOURCE)
        if account.person:
            person = Person.objects.filter(slug=slugify(" ".join(account.person)), user__isnull=True).first()
            if person is not None:
                audit_save(instance=person, source=SOURCE, fields={"user": user})
        if account.needs_mfa and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, DEMO_TOTP_SECRETS[account.email])
    return created


DEMO_WORKS = Path(__file__).resolve().parents[2] / "data" / "demo" / "works.jsonl"


@transaction.atomic
def demo_works_load() -> int:
    """Attach the demo works (real abstracts, data/demo/SOURCES.md) to the fictional people; returns how many
    works were created. Works are found again by PMID, so a second run creates none."""
    from mhi.expertise.models import Authorship, Work

    people = {p.display_name.split(" ", 1)[1]: p for p in Person.objects.filter(is_fictional=True)}
    created = 0
    for line in DEMO_WORKS.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        work, made = Work.objects.get_or_create(
            pmid=record["pmid"],
            defaults={
                "title": record["title"],
                "abstract": record["abstract"],
                "year": record["year"],
                "mesh_terms": record["mesh"],
                "source": Work.Source.PUBMED,
            },
        )
        created += made
        person = people.get(record["person"])
        if made and person is not None:
            Authorship.objects.create(
                work=work, position=1, raw_name=record["person"], person=person, match_status="matched"
            )
    return created


DEMO_IMPACT_CASES = Path(__file__).resolve().parents[2] / "data" / "demo" / "ref2014_impact_cases.csv"


def demo_impact_cases_load() -> str:
    """The seven universities' REF2014 impact case studies (real, CC BY 4.0; data/demo/SOURCES.md)."""
    from mhi.expertise.evidence import impact_cases_import_file

    return impact_cases_import_file(path=DEMO_IMPACT_CASES).summary()


def demo_totp_code(email: str) -> str:
    """The current sign-in code of a demo account with MFA (demo accounts only)."""
    if email not in DEMO_TOTP_SECRETS:
        raise ValueError(f"{email} is not a demo account with two-factor authentication.")
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(DEMO_TOTP_SECRETS[email], counter))


# Demo opportunities: fictional calls of the kinds funders publish (made up for the demo; the pages say so),
# with dates relative to today so the demo always has open, closing-soon, forthcoming and closed ones.
DEMO_OPPORTUNITIES = [
    {
        "kind": "funding_call",
        "title": "Demo call: multimorbidity in older people across the Midlands",
        "funder_name": "Demo Health Research Fund",
        "scheme": "Regional partnership awards",
        "summary": "Collaborative research on managing multiple long-term conditions in older people, with NHS "
        "partners, using routinely collected data and trials of new models of care.",
        "full_text": "Applications must bring together at least three universities and an NHS trust. We expect "
        "work on frailty, polypharmacy, falls and hip fracture, cardiovascular disease and diabetes in older "
        "adults, and the use of linked primary and secondary care records.",
        "themes": ["multimorbidity", "frailty and falls", "polypharmacy", "linked health records"],
        "days": (-20, 10, None, 35),
        "value": (500_000, 2_000_000),
        "flags": {"requires_nhs_partner": True, "min_partner_universities": 3, "lead_must_be_partner_university": True},
        "caps": (1, 2),
    },
    {
        "kind": "funding_call",
        "title": "Demo call: medical devices and diagnostics with industry",
        "funder_name": "Demo Innovation Agency",
        "scheme": "Collaborative R&D",
        "summary": "Industry-academic projects that take a medical device or diagnostic test towards the clinic.",
        "full_text": "Projects must be led by or include a UK company. Topics include wearable sensors, point-of-care "
        "diagnostics, imaging, ophthalmic devices and drug delivery systems, with clinical evaluation in the NHS.",
        "themes": ["medical devices", "diagnostics", "ophthalmology", "drug delivery"],
        "days": (-5, None, None, 10),
        "value": (100_000, 750_000),
        "flags": {"requires_industry_partner": True, "requires_nhs_partner": True, "min_partner_universities": 1},
        "caps": (None, None),
    },
    {
        "kind": "funding_call",
        "title": "Demo call: cancer early detection",
        "funder_name": "Demo Cancer Charity",
        "scheme": "Early detection project awards",
        "summary": "Research into detecting cancer earlier: biomarkers, screening, genomics and primary care.",
        "full_text": "We fund projects on blood-based biomarkers, genomic risk, screening uptake and the diagnosis "
        "of cancer in primary care. Partnerships with NHS trusts are encouraged.",
        "themes": ["cancer biomarkers", "screening", "genomics"],
        "days": (15, 45, 75, 120),
        "value": (None, 1_000_000),
        "flags": {"min_partner_universities": 2},
        "caps": (2, None),
    },
    {
        "kind": "consultation",
        "title": "Demo consultation: the future of clinical research delivery",
        "funder_name": "Demo Department of Health",
        "scheme": "",
        "summary": "Views on how clinical research is delivered in the NHS: site set-up, recruitment, workforce "
        "and the use of data to find participants.",
        "full_text": "Questions cover study set-up times, recruitment to time and target, research capacity in "
        "trusts, and digital tools to identify eligible patients.",
        "themes": ["clinical research delivery", "recruitment", "research workforce"],
        "days": (-10, None, None, 25),
        "value": (None, None),
        "flags": {},
        "caps": (None, None),
    },
    {
        "kind": "partnering",
        "title": "Demo partnering request: AI for stroke imaging",
        "funder_name": "Midlands MedTech (fictional demo company)",
        "scheme": "",
        "summary": "A company seeks clinical and academic partners to evaluate an AI tool that reads CT scans of "
        "people with suspected stroke.",
        "full_text": "We are looking for stroke physicians, radiologists and machine learning researchers to "
        "validate the tool on NHS imaging data and design a prospective study.",
        "themes": ["stroke", "medical imaging", "machine learning"],
        "days": (-30, None, None, 60),
        "value": (None, None),
        "flags": {"requires_nhs_partner": True},
        "caps": (None, None),
    },
    {
        "kind": "funding_call",
        "title": "Demo call: mental health of children and young people",
        "funder_name": "Demo Health Research Fund",
        "scheme": "Programme grants",
        "summary": "A closed call kept to show how closed opportunities look.",
        "full_text": "Research on anxiety, depression and self-harm in young people, in schools and the NHS.",
        "themes": ["mental health", "young people"],
        "days": (-90, -60, None, -14),
        "value": (1_000_000, 3_000_000),
        "flags": {"min_partner_universities": 2},
        "caps": (1, 3),
    },
]


def demo_opportunities_load(*, now=None) -> int:
    """Create the demo opportunities not there yet (by title); returns how many were created. Dates are set
    from `now`, so a closed one is made directly (the form would refuse a past closing date)."""
    import datetime

    from django.utils import timezone

    from mhi.opportunities.models import Opportunity

    now = now or timezone.now()
    coordinator = User.objects.get(email=f"coordinator@{DEMO_DOMAIN}")
    created = 0
    for spec in DEMO_OPPORTUNITIES:
        if Opportunity.objects.filter(title=spec["title"]).exists():
            continue
        opens, eoi, outline, closes = (
            None
            if d is None
            else (now + datetime.timedelta(days=d)).replace(hour=16, minute=0, second=0, microsecond=0)
            for d in spec["days"]
        )
        opportunity = Opportunity(
            kind=spec["kind"],
            title=spec["title"],
            funder_name=spec["funder_name"],
            scheme=spec["scheme"],
            summary=spec["summary"] + " (Fictional: made up for the MHI Hub demo.)",
            full_text=spec["full_text"],
            themes=spec["themes"],
            opens_at=opens,
            eoi_deadline=eoi,
            outline_deadline=outline,
            closes_at=closes,
            value_min=spec["value"][0],
            value_max=spec["value"][1],
            cap_per_institution=spec["caps"][0],
            cap_partnership=spec["caps"][1],
            created_by=coordinator,
            **spec["flags"],
        )
        opportunity.full_clean()
        audit_save(instance=opportunity, actor=coordinator, source=SOURCE)
        created += 1
    return created
