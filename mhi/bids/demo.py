"""Demo bids for `mhi demo`: a believable pipeline on the demo opportunities (mhi/core/demo.py), from ideas to
an award, with teams of the fictional demo people, partners, comments and the activity they leave. Written
through mhi.bids.services as the demo coordinator, so stages, cap places and the activity log are what the
product itself records. Idempotent: a bid whose title exists is left alone."""

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from mhi.bids import services
from mhi.bids.models import Bid, MemberRole, PartnerRole, Stage
from mhi.directory.models import Organisation, Person

MULTIMORBIDITY = "Demo call: multimorbidity in older people across the Midlands"
DEVICES = "Demo call: medical devices and diagnostics with industry"
CANCER = "Demo call: cancer early detection"
MENTAL_HEALTH = "Demo call: mental health of children and young people"

ASTON, BIRMINGHAM, KEELE = "university:10007759", "university:10006840", "university:10007767"
LEICESTER, LOUGHBOROUGH = "university:10007796", "university:10004113"
NOTTINGHAM, WARWICK = "university:10007154", "university:10007163"
UHB, NUH, COMPANY = "trust:RRK", "trust:RX1", "demo:midlands-medtech"

PI, CO_I, RESEARCHER_CO_I, COLLABORATOR = (
    MemberRole.PI,
    MemberRole.CO_INVESTIGATOR,
    MemberRole.RESEARCHER_CO_INVESTIGATOR,
    MemberRole.COLLABORATOR,
)

# Each bid: its opportunity, lead, team (person slug, role, organisation key), partners (organisation key,
# role, note), the stages it moves through (stage, reason) and the comments its team left.
DEMO_BIDS = [
    {
        "opportunity": MULTIMORBIDITY,
        "title": "FRAIL-PATH: joined-up care for frail older people after a fall",
        "lead": KEELE,
        "summary": "A trial of a shared falls-and-frailty pathway between general practice and hospital teams, "
        "using linked records to find older people at risk. (Fictional demo bid.)",
        "case": "Draft case for support: falls are the commonest reason older people with several long-term "
        "conditions are admitted. We will test whether a shared pathway reduces readmission at 12 months.",
        "themes": ["frailty and falls", "multimorbidity", "linked health records"],
        "value": "1450000",
        "team": [
            ("gareth-pryce", PI, KEELE),
            ("claire-dobson", CO_I, LEICESTER),
            ("naomi-clarke", CO_I, UHB),
            ("helen-marsh", COLLABORATOR, BIRMINGHAM),
        ],
        "partners": [
            (LEICESTER, PartnerRole.UNIVERSITY, "Diabetes and frailty cohorts"),
            (BIRMINGHAM, PartnerRole.UNIVERSITY, "Trial design"),
            (UHB, PartnerRole.NHS_TRUST, "Recruitment in the liver and elderly care units"),
        ],
        "stages": [
            (Stage.EOI, "Expression of interest sent to the partnership."),
            (Stage.INTERNAL_SELECTION, "One bid per institution on this call: the partnership panel decides."),
        ],
        "comments": ["The outline budget needs the trust's research costs before the panel meets."],
        "document": ("frail-path-outline.txt", "FRAIL-PATH outline (fictional demo document).\n"),
    },
    {
        "opportunity": MULTIMORBIDITY,
        "title": "Deprescribing safely in care homes",
        "lead": ASTON,
        "summary": "Pharmacist-led medicine reviews for care home residents taking ten or more medicines. "
        "(Fictional demo bid.)",
        "case": "Working notes: the intervention builds on our pharmaceutics group's adherence work.",
        "themes": ["polypharmacy", "multimorbidity"],
        "value": "980000",
        "team": [
            ("tomasz-wilk", PI, ASTON),
            ("daniel-mercer", CO_I, NOTTINGHAM),
            ("gemma-price", COLLABORATOR, NUH),
        ],
        "partners": [
            (NOTTINGHAM, PartnerRole.UNIVERSITY, "Gastroenterology and prescribing data"),
            (NUH, PartnerRole.NHS_TRUST, "Research delivery"),
        ],
        "stages": [(Stage.EOI, "Agreed at Aston's research committee.")],
        "comments": ["Daniel: can Nottingham's prescribing dataset cover care homes in the East Midlands?"],
    },
    {
        "opportunity": MULTIMORBIDITY,
        "title": "Linked records to predict multimorbidity in the Midlands",
        "lead": LEICESTER,
        "summary": "Using linked primary and secondary care records to predict who develops several long-term "
        "conditions. (Fictional demo bid.)",
        "case": "",
        "themes": ["linked health records", "multimorbidity"],
        "value": None,
        "team": [("imran-siddiqui", PI, LEICESTER)],
        "partners": [],
        "stages": [],
        "comments": [],
    },
    {
        "opportunity": DEVICES,
        "title": "HEART-WEAR: a wearable sensor for heart failure at home",
        "lead": LOUGHBOROUGH,
        "summary": "Taking a chest-worn sensor that warns of worsening heart failure towards an NHS evaluation. "
        "(Fictional demo bid.)",
        "case": "Confidential: the sensor's signal-processing method is the company's; see the NDA.",
        "themes": ["medical devices", "diagnostics"],
        "value": "640000",
        "team": [
            ("priya-kaur", PI, LOUGHBOROUGH),
            ("imran-siddiqui", CO_I, LEICESTER),
            ("yasmin-haddad", COLLABORATOR, COMPANY),
        ],
        "partners": [
            (COMPANY, PartnerRole.INDUSTRY, "The sensor and its data platform"),
            (LEICESTER, PartnerRole.UNIVERSITY, "Cardiology"),
            (UHB, PartnerRole.NHS_TRUST, "Clinical evaluation"),
        ],
        "stages": [
            (Stage.EOI, "No internal selection: the call has no caps."),
            (Stage.FULL_APPLICATION, "Invited to apply in full."),
        ],
        "comments": ["Final costings are due from the company on Friday."],
    },
    {
        "opportunity": DEVICES,
        "title": "A point-of-care test for diabetic eye disease",
        "lead": ASTON,
        "summary": "A hand-held retinal imaging test that optometrists can use in the high street. "
        "(Fictional demo bid.)",
        "case": "Draft: the prototype's sensitivity in our pilot was encouraging.",
        "themes": ["ophthalmology", "diagnostics", "medical devices"],
        "value": "420000",
        "team": [("amara-okafor", PI, ASTON), ("liam-gallagher", COLLABORATOR, COMPANY)],
        "partners": [(COMPANY, PartnerRole.INDUSTRY, "Manufacturing")],
        "stages": [
            (Stage.EOI, ""),
            (Stage.FULL_APPLICATION, "No caps on this call."),
            (Stage.SUBMITTED, "Submitted through the funder's portal."),
        ],
        "comments": [],
    },
    {
        "opportunity": CANCER,
        "title": "Blood biomarkers for earlier diagnosis of pancreatic cancer",
        "lead": BIRMINGHAM,
        "summary": "A study of circulating tumour DNA in people referred with vague abdominal symptoms. "
        "(Fictional demo bid.)",
        "case": "",
        "themes": ["cancer biomarkers", "genomics"],
        "value": "890000",
        "team": [("rajesh-nair", PI, BIRMINGHAM), ("naomi-clarke", CO_I, UHB)],
        "partners": [(UHB, PartnerRole.NHS_TRUST, "Referral pathway and samples")],
        "stages": [(Stage.EOI, "")],
        "comments": [],
    },
    {
        "opportunity": MENTAL_HEALTH,
        "title": "Calm Classrooms: anxiety support in secondary schools",
        "lead": WARWICK,
        "summary": "A school-based programme that teaches young people skills to manage anxiety, evaluated in "
        "40 Midlands schools. (Fictional demo bid.)",
        "case": "Full case for support as submitted.",
        "themes": ["mental health", "young people"],
        "value": "1250000",
        "team": [("rachel-stone", PI, WARWICK), ("owen-hughes", CO_I, LOUGHBOROUGH)],
        "partners": [(LOUGHBOROUGH, PartnerRole.UNIVERSITY, "Physical activity component")],
        "stages": [
            (Stage.EOI, ""),
            (Stage.INTERNAL_SELECTION, ""),
            (Stage.FULL_APPLICATION, "Selected by the partnership's panel."),
            (Stage.SUBMITTED, ""),
            (Stage.AWARDED, "Funded in full."),
        ],
        "value_awarded": "1180000",
        "comments": ["Congratulations to the team!"],
    },
    {
        "opportunity": MENTAL_HEALTH,
        "title": "Self-harm in young people: pathways from A&E",
        "lead": NOTTINGHAM,
        "summary": "Following young people who attend emergency departments after self-harm. (Fictional demo bid.)",
        "case": "",
        "themes": ["mental health", "young people"],
        "value": "760000",
        "team": [("femi-adeyemi", PI, NOTTINGHAM), ("daniel-mercer", CO_I, NOTTINGHAM)],
        "partners": [],
        "stages": [
            (Stage.EOI, ""),
            (Stage.INTERNAL_SELECTION, ""),
            (Stage.UNSUCCESSFUL, "Not selected: the panel ranked two other bids higher."),
        ],
        "comments": [],
    },
    {
        "opportunity": MENTAL_HEALTH,
        "title": "Digital CBT for teenagers on waiting lists",
        "lead": BIRMINGHAM,
        "summary": "An app-based course for young people waiting for mental health services. (Fictional demo bid.)",
        "case": "",
        "themes": ["mental health"],
        "value": "300000",
        "team": [("sophie-allen", PI, BIRMINGHAM)],
        "partners": [],
        "stages": [(Stage.WITHDRAWN, "The lead moved to another institution.")],
        "comments": [],
    },
]


def _coordinator():
    from mhi.accounts.models import User
    from mhi.core.demo import DEMO_DOMAIN

    return User.objects.get(email=f"coordinator@{DEMO_DOMAIN}")


def _money(value) -> Decimal | None:
    return Decimal(value) if value is not None else None


@transaction.atomic
def demo_bids_load() -> int:
    """Create the demo bids not there yet (by title); returns how many were created. Needs the demo people,
    accounts and opportunities (mhi.core.demo) first."""
    from mhi.opportunities.models import Opportunity

    actor = _coordinator()
    organisations = {o.reference_key: o for o in Organisation.objects.filter(reference_key__isnull=False)}
    people = {p.slug: p for p in Person.objects.filter(is_fictional=True)}
    opportunities = {o.title: o for o in Opportunity.objects.filter(title__in={s["opportunity"] for s in DEMO_BIDS})}
    created = 0
    for spec in DEMO_BIDS:
        if Bid.objects.filter(title=spec["title"]).exists() or spec["opportunity"] not in opportunities:
            continue
        lead_slug = spec["team"][0][0]
        bid = services.bid_create(
            actor=actor,
            opportunity=opportunities[spec["opportunity"]],
            title=spec["title"],
            lead_organisation=organisations[spec["lead"]],
            lead_person=people[lead_slug],
            summary=spec["summary"],
            case=spec["case"],
            themes=spec["themes"],
            value_requested=_money(spec["value"]),
            partners=[(organisations[key], role, note) for key, role, note in spec["partners"]],
            members=[(people[slug], role, organisations[key]) for slug, role, key in spec["team"]],
        )
        for stage, reason in spec["stages"]:
            awarded = _money(spec.get("value_awarded")) if stage == Stage.AWARDED else None
            bid = services.bid_transition(actor=actor, bid=bid, to_stage=stage, reason=reason, value_awarded=awarded)
        for text in spec["comments"]:
            services.comment_add(actor=actor, bid=bid, text=text)
        if spec.get("document"):
            name, content = spec["document"]
            upload = SimpleUploadedFile(name, content.encode(), content_type="text/plain")
            services.document_upload(actor=actor, bid=bid, uploaded_file=upload, description="Outline draft")
        created += 1
    return created
