"""Patient-based research: NHS sites' research profiles, clinical studies, feasibility requests to sites, the
prevalence table behind reach estimates, site placement runs and monthly recruitment.

A *site* is a directory Organisation of kind NHS trust or research infrastructure; its research profile is a
SiteProfile beside it. Single-row rules are DB constraints here; rules across rows are in the services.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

SITE_KINDS = ("nhs_trust", "research_infrastructure")


class SiteProfile(models.Model):
    """What a site offers research: specialties, facilities, delivery capacity and R&D contacts.

    Catchment is not stored: it is the site's ICB and that ICB's population (for research infrastructure, the
    ICB of its host trust), read from the directory.
    """

    organisation = models.OneToOneField(
        "directory.Organisation",
        on_delete=models.CASCADE,
        related_name="site_profile",
        limit_choices_to={"kind__in": SITE_KINDS},
    )
    specialties = models.TextField(blank=True, help_text="One specialty per line.")
    beds = models.PositiveIntegerField("research beds", null=True, blank=True)
    clinic_rooms = models.PositiveIntegerField(null=True, blank=True)
    has_imaging = models.BooleanField("imaging", default=False)
    imaging_note = models.CharField(max_length=300, blank=True, help_text="For example “3T MRI, CT, ultrasound”.")
    has_pharmacy = models.BooleanField("clinical trials pharmacy", default=False)
    has_laboratory = models.BooleanField("laboratories", default=False)
    laboratory_note = models.CharField(max_length=300, blank=True)
    monthly_capacity = models.PositiveIntegerField(
        "new participants a month", null=True, blank=True, help_text="How many new participants the site can take on."
    )
    setup_cost = models.DecimalField(
        "typical set-up cost (£)",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Used by site placement when a study has a budget.",
    )
    rd_contact_name = models.CharField("R&D contact", max_length=200, blank=True)
    rd_contact_email = models.EmailField("R&D contact email", blank=True)
    rd_contact_phone = models.CharField("R&D contact telephone", max_length=40, blank=True)
    notes = models.TextField(blank=True)
    is_demo = models.BooleanField(default=False, help_text="Filled in by `mhi demo` with fictional figures.")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["organisation__name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(setup_cost__isnull=True) | Q(setup_cost__gte=0), name="siteprofile_setup_cost_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"Research profile of {self.organisation}"

    @property
    def specialty_list(self) -> list[str]:
        return [line.strip() for line in self.specialties.splitlines() if line.strip()]


class Phase(models.TextChoices):
    NA = "na", "Not applicable"
    EARLY_1 = "early_1", "Early phase 1"
    PHASE_1 = "1", "Phase 1"
    PHASE_1_2 = "1_2", "Phase 1/2"
    PHASE_2 = "2", "Phase 2"
    PHASE_2_3 = "2_3", "Phase 2/3"
    PHASE_3 = "3", "Phase 3"
    PHASE_4 = "4", "Phase 4"


class StudyType(models.TextChoices):
    INTERVENTIONAL = "interventional", "Interventional"
    OBSERVATIONAL = "observational", "Observational"
    EXPANDED_ACCESS = "expanded_access", "Expanded access"
    OTHER = "other", "Other"


class SponsorClass(models.TextChoices):
    ACADEMIC = "academic", "Academic"
    NHS = "nhs", "NHS"
    COMMERCIAL = "commercial", "Commercial"
    OTHER = "other", "Other non-commercial"


class StudyStatus(models.TextChoices):
    SETUP = "setup", "In set-up"
    RECRUITING = "recruiting", "Recruiting"
    CLOSED = "closed", "Closed to recruitment"
    COMPLETED = "completed", "Completed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class StudySource(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    CTGOV_JSON = "ctgov_json", "ClinicalTrials.gov API v2 JSON"
    CTGOV_XML = "ctgov_xml", "ClinicalTrials.gov legacy XML"


class Study(models.Model):
    """A clinical study looking for, or running at, NHS sites.

    A commercial study (sponsor class commercial) is confidential: only coordinators, its owner and the users
    of sites invited to or planned for it may see it (mhi.studies.access).
    """

    title = models.CharField(max_length=500)
    acronym = models.CharField(max_length=60, blank=True)
    nct_id = models.CharField("NCT number", max_length=11, null=True, blank=True, unique=True)
    other_ids = models.CharField("other identifiers", max_length=300, blank=True, help_text="IRAS, ISRCTN, ...")
    summary = models.TextField(blank=True)
    conditions = models.TextField(blank=True, help_text="One condition per line.")
    phase = models.CharField(max_length=10, choices=Phase.choices, default=Phase.NA)
    study_type = models.CharField(max_length=20, choices=StudyType.choices, default=StudyType.INTERVENTIONAL)
    design = models.CharField(max_length=500, blank=True, help_text="Allocation, model, masking, ...")
    target_recruitment = models.PositiveIntegerField(null=True, blank=True)
    eligibility_summary = models.TextField(blank=True)
    eligibility_fraction = models.DecimalField(
        max_digits=6,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="Share of patients with the condition who would meet the criteria (0–1), for reach estimates.",
    )
    prevalence_condition = models.CharField(
        max_length=120, blank=True, help_text="The prevalence table's condition key used for reach estimates."
    )
    sponsor_name = models.CharField(max_length=300, blank=True)
    sponsor_class = models.CharField(max_length=20, choices=SponsorClass.choices, default=SponsorClass.ACADEMIC)
    chief_investigator = models.CharField(max_length=200, blank=True)
    chief_investigator_person = models.ForeignKey(
        "directory.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="studies_led"
    )
    start_date = models.DateField("planned start", null=True, blank=True)
    end_date = models.DateField("planned end of recruitment", null=True, blank=True)
    status = models.CharField(max_length=20, choices=StudyStatus.choices, default=StudyStatus.SETUP, db_index=True)
    budget = models.DecimalField(
        "site set-up budget (£)",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    source = models.CharField(max_length=20, choices=StudySource.choices, default=StudySource.MANUAL)
    source_sha256 = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the imported file.")
    is_demo = models.BooleanField(default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="studies_owned"
    )
    version = models.PositiveIntegerField(default=1, help_text="Raised by every edit (optimistic locking).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "studies"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="study_end_not_before_start",
            ),
            models.CheckConstraint(
                condition=Q(eligibility_fraction__isnull=True)
                | (Q(eligibility_fraction__gte=0) & Q(eligibility_fraction__lte=1)),
                name="study_eligibility_fraction_0_1",
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gte=0), name="study_budget_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.acronym or self.title

    def get_absolute_url(self) -> str:
        return reverse("studies:detail", args=[self.pk])

    @property
    def is_commercial(self) -> bool:
        return self.sponsor_class == SponsorClass.COMMERCIAL

    @property
    def condition_list(self) -> list[str]:
        return [line.strip() for line in self.conditions.splitlines() if line.strip()]


class StudySiteStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    SELECTED = "selected", "Selected"
    OPEN = "open", "Open to recruitment"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class StudySite(models.Model):
    """A site planned for, chosen for, or running a study, with its recruitment target."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="study_sites")
    site = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT, related_name="study_sites")
    status = models.CharField(max_length=20, choices=StudySiteStatus.choices, default=StudySiteStatus.PLANNED)
    local_pi = models.CharField("local PI", max_length=200, blank=True)
    target = models.PositiveIntegerField("recruitment target", null=True, blank=True)
    monthly_target = models.PositiveIntegerField(null=True, blank=True)
    opened_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    chosen_from = models.ForeignKey(
        "FeasibilityRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="chosen_sites"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["site__name"]
        constraints = [
            models.UniqueConstraint(fields=["study", "site"], name="studysite_unique"),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True)
                | Q(opened_on__isnull=True)
                | Q(closed_on__gte=models.F("opened_on")),
                name="studysite_closed_not_before_opened",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.study} at {self.site}"


class FeasibilityStatus(models.TextChoices):
    OPEN = "open", "Open for answers"
    CLOSED = "closed", "Closed"


class FeasibilityRequest(models.Model):
    """A request to chosen sites to say whether, and how well, they could run a study."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="feasibility_requests")
    deadline = models.DateField()
    message = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=FeasibilityStatus.choices, default=FeasibilityStatus.OPEN)
    reminder_days = models.CharField(
        max_length=60, default="7,2", help_text="Days before the deadline to remind sites that have not answered."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="feasibility_requests_sent"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True, help_text="Why the chosen sites were chosen.")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Feasibility for {self.study} (by {self.deadline:%d %b %Y})"


class InviteStatus(models.TextChoices):
    SENT = "sent", "Awaiting answer"
    ANSWERED = "answered", "Answered"
    WITHDRAWN = "withdrawn", "Withdrawn"


class FeasibilityInvite(models.Model):
    """One site's place in a feasibility request."""

    request = models.ForeignKey(FeasibilityRequest, on_delete=models.CASCADE, related_name="invites")
    site = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT, related_name="feasibility_invites")
    status = models.CharField(max_length=10, choices=InviteStatus.choices, default=InviteStatus.SENT)
    sent_at = models.DateTimeField(auto_now_add=True)
    chosen = models.BooleanField(default=False, help_text="Chosen to run the study when the request was closed.")

    class Meta:
        ordering = ["site__name"]
        constraints = [models.UniqueConstraint(fields=["request", "site"], name="feasibilityinvite_unique")]

    def __str__(self) -> str:
        return f"{self.site} for {self.request.study}"


class Answer(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    WITH_SUPPORT = "with_support", "Yes, with support"
    NOT_NEEDED = "not_needed", "Not needed for this study"


class Interest(models.TextChoices):
    YES = "yes", "Interested"
    MAYBE = "maybe", "Possibly"
    NO = "no", "Not interested"


class FeasibilityResponse(models.Model):
    """A site's answers to the structured questionnaire. Editable until the request closes."""

    invite = models.OneToOneField(FeasibilityInvite, on_delete=models.CASCADE, related_name="response")
    interest = models.CharField(max_length=10, choices=Interest.choices)
    local_pi = models.CharField("local PI", max_length=200, blank=True)
    local_pi_email = models.EmailField("local PI email", blank=True)
    monthly_recruitment = models.PositiveIntegerField("estimated participants a month", null=True, blank=True)
    capacity = models.CharField("capacity and capability", max_length=20, choices=Answer.choices, blank=True)
    capacity_note = models.TextField(blank=True)
    pharmacy = models.CharField(max_length=20, choices=Answer.choices, blank=True)
    imaging = models.CharField(max_length=20, choices=Answer.choices, blank=True)
    earliest_start = models.DateField(null=True, blank=True)
    comments = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="feasibility_answers"
    )
    answered_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["invite__site__name"]

    def __str__(self) -> str:
        return f"Answer from {self.invite.site}"


class FeasibilityReminder(models.Model):
    """A reminder sent to a site about an unanswered invite; unique, so each is sent once."""

    invite = models.ForeignKey(FeasibilityInvite, on_delete=models.CASCADE, related_name="reminders")
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invite", "days_before"], name="feasibilityreminder_once"),
        ]

    def __str__(self) -> str:
        return f"Reminder {self.days_before} days before to {self.invite}"


class PrevalenceFigure(models.Model):
    """The share of an area's population with a condition, loaded by admins from CSV.

    `area_code` is an ICB ODS code (for example QHL) or "ENG" for England as a whole; a site's reach uses its
    ICB's figure when there is one and England's otherwise.
    """

    condition_key = models.SlugField(max_length=120, help_text="For example “diabetes”, matched to a study's key.")
    condition = models.CharField(max_length=200, help_text="Name as shown, with its register definition.")
    area_code = models.CharField(max_length=12, help_text="ICB ODS code, or ENG for England.")
    area_name = models.CharField(max_length=200, blank=True)
    percent = models.DecimalField(
        max_digits=7, decimal_places=4, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    population_basis = models.CharField(max_length=100, blank=True, help_text="For example “aged 17 and over”.")
    year = models.CharField(max_length=20, blank=True, help_text="For example 2023-24.")
    source = models.CharField(max_length=500)
    indicative = models.BooleanField(default=False, help_text="A shipped default, not the area's own figure.")
    loaded_at = models.DateTimeField(auto_now=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["condition_key", "area_code"]
        constraints = [
            models.UniqueConstraint(fields=["condition_key", "area_code"], name="prevalence_unique"),
            models.CheckConstraint(condition=Q(percent__gte=0) & Q(percent__lte=100), name="prevalence_percent_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.condition} in {self.area_name or self.area_code}: {self.percent}%"


class PlacementObjective(models.TextChoices):
    SOONEST = "soonest", "Reach the target soonest"
    BUDGET = "budget", "Soonest within a budget"
    MAX_SITES = "max_sites", "Soonest with at most N sites"


class PlacementRun(models.Model):
    """One solve of the site placement problem, kept with its inputs and result so it can be shown again."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="placement_runs")
    objective = models.CharField(max_length=20, choices=PlacementObjective.choices, default=PlacementObjective.SOONEST)
    target = models.PositiveIntegerField()
    max_sites = models.PositiveIntegerField(null=True, blank=True)
    budget = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    horizon_months = models.PositiveIntegerField(default=60)
    candidates = models.JSONField(default=list, help_text="The sites considered, with rate, start, capacity and cost.")
    result = models.JSONField(default=dict, help_text="Chosen sites, completion month, curve and alternatives.")
    solver_status = models.CharField(max_length=30, blank=True)
    solve_seconds = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Placement for {self.study} ({self.created_at:%d %b %Y %H:%M})"


class RecruitmentSource(models.TextChoices):
    FORM = "form", "Form"
    CSV = "csv", "CSV upload"
    API = "api", "API"


class RecruitmentEntry(models.Model):
    """Participants recruited at one study site in one calendar month (`month` is the month's first day)."""

    study_site = models.ForeignKey(StudySite, on_delete=models.CASCADE, related_name="recruitment")
    month = models.DateField()
    recruited = models.PositiveIntegerField()
    source = models.CharField(max_length=10, choices=RecruitmentSource.choices, default=RecruitmentSource.FORM)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    entered_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["study_site", "month"]
        verbose_name_plural = "recruitment entries"
        constraints = [
            models.UniqueConstraint(fields=["study_site", "month"], name="recruitment_one_per_month"),
            models.CheckConstraint(condition=Q(recruited__gte=0), name="recruitment_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.study_site}: {self.recruited} in {self.month:%b %Y}"
