"""Demo shared resources for `mhi demo`: a believable catalogue at the seven partner universities, with rates,
opening hours, induction requirements, a few inductions and bookings. The items are fictional (their IDs start
with DEMO-, their descriptions and pages say so); their owners are the real universities. Idempotent: a resource
whose (owner, ID) exists is left alone, and its inductions and bookings are made only with it.

Bookings are written directly (not through mhi.resources.booking) so the demo sends no emails; each is priced
with booking.quote at the booker's tier, on free slots inside opening hours, so the catalogue looks as the
product itself would have made it. Run after demo_seed (it needs the demo accounts)."""

import datetime
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from mhi.accounts.models import User
from mhi.core.audit import audit_save
from mhi.core.demo import DEMO_DOMAIN
from mhi.directory.models import Organisation
from mhi.resources import booking
from mhi.resources.models import (
    AccessPolicy,
    Booking,
    Closure,
    Induction,
    InductionClass,
    Rate,
    RateUnit,
    Resource,
    Tier,
    UniquipType,
)
from mhi.resources.search import resources_searchable

LONDON = zoneinfo.ZoneInfo(settings.TIME_ZONE)
SOURCE = "mhi demo"
FICTIONAL = "(Fictional: made up for the MHI Hub demo.)"

ASTON, BIRMINGHAM, KEELE = "university:10007759", "university:10006840", "university:10007767"
LEICESTER, LOUGHBOROUGH = "university:10007796", "university:10004113"
NOTTINGHAM, WARWICK = "university:10007154", "university:10007163"

WEEKDAYS = {str(d): [["09:00", "17:00"]] for d in range(1, 6)}
LONG_DAYS = {str(d): [["08:00", "20:00"]] for d in range(1, 6)} | {"6": [["09:00", "13:00"]]}
SPLIT_DAYS = {str(d): [["09:00", "12:30"], ["13:30", "17:00"]] for d in range(1, 6)}

# Induction classes the demo uses: (name, description, valid days).
DEMO_CLASSES = [
    (
        "Laser safety (confocal and multiphoton microscopes)",
        "Class 3B/4 laser safety and the microscope's interlocks.",
        730,
    ),
    ("MRI safety", "Screening, the magnet's safety zones and emergency procedures.", 365),
    ("Containment level 2 laboratory", "Working at CL2: biosafety cabinets, waste and spills.", 365),
    ("Flow cytometry", "Running and cleaning analysers and sorters; sample biosafety.", None),
]
LASER, MRI, CL2, FLOW = (name for name, _, _ in DEMO_CLASSES)

# (owner, ID, type, name, technique, department, building, site, description, maker, model, access policy,
#  rates [(tier, unit, amount)], opening hours, slot minutes, (min, max) minutes, instant?, induction class or
#  None, requires induction?, training requirement)
DEMO_RESOURCES = [
    (
        ASTON,
        "DEMO-AST-001",
        "equipment",
        "Confocal laser scanning microscope",
        "Confocal microscopy",
        "School of Optometry",
        "Main Building, level 4",
        "Aston Triangle",
        "An inverted confocal microscope with four laser lines, spectral detection and a stage-top incubator for live "
        "cell imaging of corneal and retinal tissue.",
        "Northfield Optics",
        "CLS-880",
        AccessPolicy.EXTERNAL_ACADEMIC,
        [
            (Tier.INTERNAL, RateUnit.HOUR, "28.00"),
            (Tier.PARTNER, RateUnit.HOUR, "35.00"),
            (Tier.EXTERNAL_ACADEMIC, RateUnit.HOUR, "52.00"),
            (Tier.COMMERCIAL, RateUnit.HOUR, "110.00"),
        ],
        WEEKDAYS,
        30,
        (60, 240),
        False,
        LASER,
        True,
        "A laser safety induction and a first session with the imaging team.",
    ),
    (
        ASTON,
        "DEMO-AST-002",
        "equipment",
        "Optical coherence tomography system",
        "Optical coherence tomography",
        "School of Optometry",
        "Vision Sciences Building",
        "Aston Triangle",
        "A research OCT for anterior and posterior eye imaging in volunteers and ex vivo tissue.",
        "Meridian Vision",
        "OCT-R2",
        AccessPolicy.PARTNER,
        [(Tier.INTERNAL, RateUnit.HOUR, "20.00"), (Tier.PARTNER, RateUnit.HOUR, "26.00")],
        SPLIT_DAYS,
        30,
        (30, 180),
        True,
        None,
        False,
        "Ethics approval for any work with volunteers.",
    ),
    (
        ASTON,
        "DEMO-AST-003",
        "facility",
        "Pharmaceutics formulation suite",
        "Formulation and tablet pressing",
        "Aston Pharmacy School",
        "Main Building, level 3",
        "Aston Triangle",
        "A suite for small-batch formulation: tablet press, spray dryer and dissolution testing.",
        "",
        "",
        AccessPolicy.COMMERCIAL,
        [
            (Tier.INTERNAL, RateUnit.DAY, "180.00"),
            (Tier.PARTNER, RateUnit.DAY, "240.00"),
            (Tier.EXTERNAL_ACADEMIC, RateUnit.DAY, "320.00"),
            (Tier.COMMERCIAL, RateUnit.DAY, "750.00"),
        ],
        WEEKDAYS,
        480,
        (480, 480),
        False,
        None,
        False,
        "",
    ),
    (
        BIRMINGHAM,
        "DEMO-BHM-001",
        "equipment",
        "Spectral flow cytometer",
        "Flow cytometry",
        "Institute of Immunology and Immunotherapy",
        "Institute of Biomedical Research",
        "Edgbaston",
        "A five-laser spectral analyser for panels of up to 40 colours, with a plate loader.",
        "Calder Biosystems",
        "Spectra 5L",
        AccessPolicy.EXTERNAL_ACADEMIC,
        [
            (Tier.INTERNAL, RateUnit.HOUR, "32.00"),
            (Tier.PARTNER, RateUnit.HOUR, "40.00"),
            (Tier.EXTERNAL_ACADEMIC, RateUnit.HOUR, "60.00"),
        ],
        LONG_DAYS,
        30,
        (30, 240),
        False,
        FLOW,
        True,
        "A flow cytometry induction with the core facility's staff.",
    ),
    (
        BIRMINGHAM,
        "DEMO-BHM-002",
        "equipment",
        "Cell sorter (containment level 2)",
        "Fluorescence-activated cell sorting",
        "Institute of Immunology and Immunotherapy",
        "Institute of Biomedical Research",
        "Edgbaston",
        "A four-way cell sorter inside a class II biosafety cabinet, for sorting human primary cells.",
        "Calder Biosystems",
        "SortPro",
        AccessPolicy.PARTNER,
        [(Tier.INTERNAL, RateUnit.HOUR, "55.00"), (Tier.PARTNER, RateUnit.HOUR, "70.00")],
        WEEKDAYS,
        60,
        (60, 240),
        False,
        CL2,
        True,
        "Operated by the facility's staff; you attend with your samples.",
    ),
    (
        BIRMINGHAM,
        "DEMO-BHM-003",
        "facility",
        "Genomics sequencing service",
        "Next-generation sequencing",
        "Institute of Cancer and Genomic Sciences",
        "Biosciences Building",
        "Edgbaston",
        "Library preparation and short-read sequencing, run by the genomics team; book a consultation slot.",
        "",
        "",
        AccessPolicy.COMMERCIAL,
        [
            (Tier.INTERNAL, RateUnit.SESSION, "0.00"),
            (Tier.PARTNER, RateUnit.SESSION, "0.00"),
            (Tier.EXTERNAL_ACADEMIC, RateUnit.SESSION, "50.00"),
            (Tier.COMMERCIAL, RateUnit.SESSION, "150.00"),
        ],
        WEEKDAYS,
        60,
        (60, 60),
        True,
        None,
        False,
        "",
    ),
    (
        KEELE,
        "DEMO-KEE-001",
        "equipment",
        "Gait analysis laboratory",
        "Motion capture",
        "School of Medicine",
        "David Weatherall Building",
        "Keele campus",
        "Twelve-camera motion capture with force plates and wireless EMG, for gait and falls research.",
        "Stride Systems",
        "MoCap 12",
        AccessPolicy.EXTERNAL_ACADEMIC,
        [
            (Tier.INTERNAL, RateUnit.HOUR, "25.00"),
            (Tier.PARTNER, RateUnit.HOUR, "30.00"),
            (Tier.EXTERNAL_ACADEMIC, RateUnit.HOUR, "45.00"),
        ],
        WEEKDAYS,
        60,
        (60, 240),
        False,
        None,
        False,
        "A briefing on the lab's participant safety procedures.",
    ),
    (
        KEELE,
        "DEMO-KEE-002",
        "equipment",
        "Bioreactor for tissue engineering",
        "Cell culture",
        "School of Pharmacy and Bioengineering",
        "Guy Hilton Research Centre",
        "Royal Stoke",
        "A perfusion bioreactor for engineered bone and cartilage constructs.",
        "Tern Bioprocess",
        "PB-4",
        AccessPolicy.PARTNER,
        [(Tier.INTERNAL, RateUnit.DAY, "60.00"), (Tier.PARTNER, RateUnit.DAY, "80.00")],
        {str(d): [["00:00", "24:00"]] for d in range(1, 8)},
        1440,
        (1440, 10080),
        False,
        CL2,
        True,
        "Containment level 2 training.",
    ),
    (
        LEICESTER,
        "DEMO-LEI-001",
        "equipment",
        "3T MRI scanner (research)",
        "Magnetic resonance imaging",
        "Department of Cardiovascular Sciences",
        "Glenfield Hospital imaging suite",
        "Glenfield",
        "A research 3T scanner with cardiac coils, for cardiovascular and metabolic studies in volunteers.",
        "Helix Medical",
        "3T Research",
        AccessPolicy.EXTERNAL_ACADEMIC,
        [
            (Tier.INTERNAL, RateUnit.HOUR, "350.00"),
            (Tier.PARTNER, RateUnit.HOUR, "420.00"),
            (Tier.EXTERNAL_ACADEMIC, RateUnit.HOUR, "520.00"),
            (Tier.COMMERCIAL, RateUnit.HOUR, "900.00"),
        ],
        LONG_DAYS,
        60,
        (60, 180),
        False,
        MRI,
        True,
        "MRI safety induction; scans are run by the radiographers.",
    ),
    (
        LEICESTER,
        "DEMO-LEI-002",
        "equipment",
        "Whole-body DEXA scanner",
        "Dual-energy X-ray absorptiometry",
        "Diabetes Research Centre",
        "Leicester General Hospital",
        "Leicester General",
        "Body composition and bone density for diabetes and obesity studies.",
        "Helix Medical",
        "DX-Body",
        AccessPolicy.PARTNER,
        [(Tier.INTERNAL, RateUnit.SESSION, "45.00"), (Tier.PARTNER, RateUnit.SESSION, "60.00")],
        WEEKDAYS,
        30,
        (30, 60),
        True,
        None,
        False,
        "Scans are run by the centre's radiographer.",
    ),
    (
        LOUGHBOROUGH,
        "DEMO-LBO-001",
        "facility",
        "Environmental chamber",
        "Exercise physiology",
        "School of Sport, Exercise and Health Sciences",
        "Sir John Beckwith Centre",
        "Loughborough campus",
        "A chamber from -20 °C to 50 °C and 20–95% humidity, with a treadmill and cycle ergometer.",
        "",
        "",
        AccessPolicy.COMMERCIAL,
        [
            (Tier.INTERNAL, RateUnit.HOUR, "40.00"),
            (Tier.PARTNER, RateUnit.HOUR, "55.00"),
            (Tier.EXTERNAL_ACADEMIC, RateUnit.HOUR, "75.00"),
            (Tier.COMMERCIAL, RateUnit.HOUR, "180.00"),
        ],
        WEEKDAYS,
        60,
        (60, 240),
        False,
        None,
        False,
        "A safety briefing and an exercise physiologist present.",
    ),
    (
        LOUGHBOROUGH,
        "DEMO-LBO-002",
        "equipment",
        "Metal 3D printer",
        "Additive manufacturing",
        "Wolfson School of Engineering",
        "Wolfson Building",
        "Loughborough campus",
        "Selective laser melting of titanium and cobalt-chrome, for implant and device prototypes.",
        "Forge Additive",
        "SLM 250",
        AccessPolicy.COMMERCIAL,
        [
            (Tier.INTERNAL, RateUnit.DAY, "300.00"),
            (Tier.PARTNER, RateUnit.DAY, "400.00"),
            (Tier.EXTERNAL_ACADEMIC, RateUnit.DAY, "500.00"),
            (Tier.COMMERCIAL, RateUnit.DAY, "1200.00"),
        ],
        WEEKDAYS,
        480,
        (480, 480),
        False,
        None,
        False,
        "Builds are run by the technicians from your files.",
    ),
    (
        NOTTINGHAM,
        "DEMO-NOT-001",
        "equipment",
        "Multiphoton microscope",
        "Multiphoton microscopy",
        "School of Medicine, Gastroenterology",
        "Queen's Medical Centre",
        "QMC",
        "An upright multiphoton microscope for deep imaging of intestinal tissue and organoids.",
        "Northfield Optics",
        "MP-2",
        AccessPolicy.EXTERNAL_ACADEMIC,
        [
            (Tier.INTERNAL, RateUnit.HOUR, "30.00"),
            (Tier.PARTNER, RateUnit.HOUR, "38.00"),
            (Tier.EXTERNAL_ACADEMIC, RateUnit.HOUR, "55.00"),
        ],
        WEEKDAYS,
        30,
        (60, 240),
        False,
        LASER,
        True,
        "A laser safety induction; an induction at another partner counts.",
    ),
    (
        NOTTINGHAM,
        "DEMO-NOT-002",
        "equipment",
        "Audiology test booth",
        "Audiometry",
        "Hearing Sciences",
        "Ropewalk House",
        "City centre",
        "A double-walled sound booth with a clinical audiometer and tympanometer.",
        "Quietline",
        "Booth 40",
        AccessPolicy.PARTNER,
        [(Tier.INTERNAL, RateUnit.HOUR, "15.00"), (Tier.PARTNER, RateUnit.HOUR, "20.00")],
        SPLIT_DAYS,
        30,
        (30, 120),
        True,
        None,
        False,
        "",
    ),
    (
        NOTTINGHAM,
        "DEMO-NOT-003",
        "equipment",
        "Mass spectrometer for proteomics",
        "Mass spectrometry",
        "School of Medicine",
        "Biodiscovery Institute",
        "University Park",
        "A high-resolution mass spectrometer with nano-LC for discovery proteomics.",
        "Ionic Instruments",
        "HR-Q",
        AccessPolicy.EXTERNAL_ACADEMIC,
        [
            (Tier.INTERNAL, RateUnit.SESSION, "120.00"),
            (Tier.PARTNER, RateUnit.SESSION, "150.00"),
            (Tier.EXTERNAL_ACADEMIC, RateUnit.SESSION, "220.00"),
        ],
        WEEKDAYS,
        480,
        (480, 480),
        False,
        None,
        False,
        "Samples are run by the facility; book a day.",
    ),
    (
        WARWICK,
        "DEMO-WAR-001",
        "equipment",
        "Transmission electron microscope",
        "Electron microscopy",
        "Warwick Medical School",
        "Gibbet Hill Campus",
        "Gibbet Hill",
        "A 120 kV TEM with a cryo holder, for cell ultrastructure and virus imaging.",
        "Kestrel Electron",
        "K-120",
        AccessPolicy.EXTERNAL_ACADEMIC,
        [
            (Tier.INTERNAL, RateUnit.HOUR, "45.00"),
            (Tier.PARTNER, RateUnit.HOUR, "55.00"),
            (Tier.EXTERNAL_ACADEMIC, RateUnit.HOUR, "80.00"),
        ],
        WEEKDAYS,
        60,
        (60, 240),
        False,
        None,
        True,
        "Two training sessions with the EM technician.",
    ),
    (
        WARWICK,
        "DEMO-WAR-002",
        "facility",
        "Clinical trials unit data room",
        "Secure data analysis",
        "Warwick Medical School",
        "Medical School Building",
        "Gibbet Hill",
        "A secure room with workstations for analysis of identifiable trial data.",
        "",
        "",
        AccessPolicy.OWN,
        [(Tier.INTERNAL, RateUnit.DAY, "0.00")],
        WEEKDAYS,
        240,
        (240, 480),
        False,
        None,
        False,
        "Information governance training within the last year.",
    ),
]

# Resources at another site than their university's main campus have their own place on the map.
DEMO_PLACES = {
    "DEMO-KEE-002": ("53.003600", "-2.213100"),  # Royal Stoke University Hospital
    "DEMO-LEI-001": ("52.654500", "-1.179000"),  # Glenfield Hospital
    "DEMO-LEI-002": ("52.625900", "-1.090300"),  # Leicester General Hospital
    "DEMO-NOT-001": ("52.943600", "-1.186000"),  # Queen's Medical Centre
}

# Bookings: (resource ID, booker's email, days ahead (a weekday is chosen on or after it), start "HH:MM", hours,
# status, purpose).
DEMO_BOOKINGS = [
    (
        "DEMO-AST-001",
        f"researcher.nottingham@{DEMO_DOMAIN}",
        3,
        "10:00",
        2,
        Booking.Status.CONFIRMED,
        "Live imaging of corneal epithelial cells",
    ),
    (
        "DEMO-AST-001",
        f"researcher.nottingham@{DEMO_DOMAIN}",
        10,
        "13:00",
        2,
        Booking.Status.REQUESTED,
        "Follow-up imaging",
    ),
    ("DEMO-AST-001", f"lead.leicester@{DEMO_DOMAIN}", 4, "09:00", 3, Booking.Status.CONFIRMED, "Pilot study"),
    (
        "DEMO-BHM-001",
        f"researcher.nottingham@{DEMO_DOMAIN}",
        6,
        "14:00",
        2,
        Booking.Status.CONFIRMED,
        "Immune panel on trial samples",
    ),
    (
        "DEMO-LEI-001",
        f"researcher.nottingham@{DEMO_DOMAIN}",
        8,
        "09:00",
        1,
        Booking.Status.REQUESTED,
        "Cardiac MRI of a volunteer",
    ),
    ("DEMO-NOT-002", f"lead.leicester@{DEMO_DOMAIN}", 5, "10:00", 1, Booking.Status.CONFIRMED, "Hearing screening"),
    (
        "DEMO-LBO-001",
        f"researcher.nottingham@{DEMO_DOMAIN}",
        -7,
        "10:00",
        2,
        Booking.Status.CONFIRMED,
        "Heat tolerance trial",
    ),
    ("DEMO-NOT-001", f"lead.leicester@{DEMO_DOMAIN}", -3, "10:00", 2, Booking.Status.CONFIRMED, "Organoid imaging"),
]


def _weekday_at(days: int, hhmm: str, *, today: datetime.date) -> datetime.datetime:
    """UK wall time `hhmm` on the first weekday `days` from today (or after), as aware UTC."""
    day = today + datetime.timedelta(days=days)
    while day.isoweekday() > 5:
        day += datetime.timedelta(days=1)
    hours, minutes = (int(p) for p in hhmm.split(":"))
    wall = datetime.datetime.combine(day, datetime.time(hours, minutes), tzinfo=LONDON)
    return wall.astimezone(datetime.UTC)


def _classes() -> dict[str, InductionClass]:
    classes = {}
    for name, description, valid_days in DEMO_CLASSES:
        classes[name], _ = InductionClass.objects.get_or_create(
            name=name, defaults={"description": description, "valid_days": valid_days}
        )
    return classes


def _contact(org: Organisation, department: str) -> dict:
    short = org.slug.split("-")[0] if org.slug else "facility"
    return {
        "contact_name": f"{department} facility team",
        "contact_email": f"facilities.{short}@{DEMO_DOMAIN}",
        "contact_telephone": "0121 000 0000",
    }


@transaction.atomic
def demo_resources_load(*, now: datetime.datetime | None = None) -> dict:
    """Create the demo catalogue, its inductions and bookings; returns counts of what was created."""
    now = now or timezone.now()
    today = now.astimezone(LONDON).date()
    orgs = {o.reference_key: o for o in Organisation.objects.filter(reference_key__startswith="university:")}
    missing = [
        key for key in (ASTON, BIRMINGHAM, KEELE, LEICESTER, LOUGHBOROUGH, NOTTINGHAM, WARWICK) if key not in orgs
    ]
    if missing:
        raise RuntimeError(f"Load the reference data first (mhi load-reference): {', '.join(missing)} missing")
    classes = _classes()
    admin_aston = User.objects.filter(email=f"admin.aston@{DEMO_DOMAIN}").first()
    created = {"resources": 0, "bookings": 0, "inductions": 0}
    made: dict[str, Resource] = {}
    for (
        owner, uid, kind, name, technique, department, building, site, description, maker, model, policy,
        rates, hours, slot, (shortest, longest), instant, induction_class, requires, training,
    ) in DEMO_RESOURCES:  # fmt: skip
        organisation = orgs[owner]
        if Resource.objects.filter(organisation=organisation, uniquip_id=uid).exists():
            continue
        resource = Resource(
            organisation=organisation,
            uniquip_id=uid,
            uniquip_type=UniquipType(kind),
            name=name,
            description=f"{description} {FICTIONAL}",
            technique=technique,
            department=department,
            building=building,
            site_location=site,
            manufacturer=maker,
            model_name=model,
            access_policy=policy,
            training_requirement=training,
            requires_induction=requires,
            induction_class=classes[induction_class] if induction_class else None,
            opening_hours=hours,
            slot_minutes=slot,
            min_duration_minutes=shortest,
            max_duration_minutes=longest,
            instant_booking=instant,
            lead_time_hours=24,
            horizon_days=90,
            cancellation_notice_hours=48,
            service_level="Self-service after induction" if requires else "Staff-assisted",
            **_contact(organisation, department),
        )
        if uid in DEMO_PLACES:
            resource.latitude, resource.longitude = (Decimal(v) for v in DEMO_PLACES[uid])
        audit_save(instance=resource, source=SOURCE)
        for tier, unit, amount in rates:
            audit_save(instance=Rate(resource=resource, tier=tier, unit=unit, amount=Decimal(amount)), source=SOURCE)
        if owner == ASTON and admin_aston is not None:
            resource.managers.add(admin_aston)
        made[uid] = resource
        created["resources"] += 1
    if "DEMO-WAR-001" in made:
        start = _weekday_at(12, "09:00", today=today)
        audit_save(
            instance=Closure(
                resource=made["DEMO-WAR-001"],
                kind=Closure.Kind.MAINTENANCE,
                start=start,
                end=start + datetime.timedelta(days=1),
                reason="Annual service by the manufacturer",
            ),
            source=SOURCE,
        )
    created["inductions"] += _inductions(made, classes, orgs, today=today)
    created["bookings"] += _bookings(made, today=today, now=now)
    if made:
        resources_searchable(ids=[r.pk for r in made.values()])
    return created


def _inductions(made: dict, classes: dict, orgs: dict, *, today: datetime.date) -> int:
    """The Nottingham researcher holds a laser safety induction from Nottingham (so Aston's confocal, in the same
    class, can be booked) and one on Birmingham's cytometer; the Leicester lead an expired one on the TEM."""
    researcher = User.objects.filter(email=f"researcher.nottingham@{DEMO_DOMAIN}").first()
    lead = User.objects.filter(email=f"lead.leicester@{DEMO_DOMAIN}").first()
    # (user, resource id or None for a class induction, class, institution, days ago, expired days ago, trainer)
    wanted = [
        (researcher, "DEMO-NOT-001", LASER, NOTTINGHAM, 120, None, "Imaging facility manager (demo)"),
        (researcher, "DEMO-BHM-001", None, BIRMINGHAM, 30, None, "Flow cytometry core (demo)"),
        (lead, "DEMO-AST-001", None, ASTON, 60, None, "Aston imaging team (demo)"),
        (lead, "DEMO-WAR-001", None, WARWICK, 800, 70, "EM technician (demo)"),
    ]
    count = 0
    for user, uid, induction_class, institution, days_ago, expired_ago, trainer in wanted:
        if user is None or uid not in made:
            continue
        Induction.objects.create(
            user=user,
            resource=None if induction_class else made[uid],
            induction_class=classes[induction_class] if induction_class else None,
            organisation=orgs[institution],
            date=today - datetime.timedelta(days=days_ago),
            expires=today - datetime.timedelta(days=expired_ago) if expired_ago is not None else None,
            trainer=trainer,
        )
        count += 1
    return count


def _bookings(made: dict, *, today: datetime.date, now: datetime.datetime) -> int:
    count = 0
    for uid, email, days, hhmm, hours, status, purpose in DEMO_BOOKINGS:
        resource = made.get(uid)
        user = User.objects.filter(email=email).first()
        if resource is None or user is None:
            continue
        start = _weekday_at(days, hhmm, today=today)
        end = start + datetime.timedelta(hours=hours)
        # Two demo bookings may land on the same weekday (a weekend moves to Monday): the later one moves on a
        # day, so confirmed bookings never overlap (the database would refuse it on PostgreSQL).
        while Booking.objects.filter(
            resource=resource, status=Booking.Status.CONFIRMED, start__lt=end, end__gt=start
        ).exists():
            days += 1
            start = _weekday_at(days, hhmm, today=today)
            end = start + datetime.timedelta(hours=hours)
        tier = booking.requester_tier(user=user, resource=resource) or Tier.EXTERNAL_ACADEMIC
        priced = booking.quote(resource=resource, tier=tier, start=start, end=end)
        organisation = next((m.organisation for m in user.memberships.all() if m.organisation_id), None)
        audit_save(
            instance=Booking(
                resource=resource,
                user=user,
                organisation=organisation,
                start=start,
                end=end,
                status=status,
                purpose=purpose,
                tier=tier,
                quote_amount=priced.amount,
                quote_note=priced.note[:300],
                decided_at=now if status == Booking.Status.CONFIRMED and not resource.instant_booking else None,
            ),
            source=SOURCE,
        )
        count += 1
    return count
