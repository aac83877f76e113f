"""Organisations, people and how they relate. Single-row rules live here, backed by DB constraints."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from mhi.core import validators


class Organisation(models.Model):
    class Kind(models.TextChoices):
        UNIVERSITY = "university", "University"
        NHS_TRUST = "nhs_trust", "NHS trust"
        ICB = "icb", "Integrated care board"
        RESEARCH_INFRASTRUCTURE = "research_infrastructure", "Research infrastructure"
        INDUSTRY = "industry", "Industry"
        LOCAL_GOVERNMENT = "local_government", "Local government"
        CHARITY = "charity", "Charity"
        OTHER = "other", "Other organisation"

    class InfrastructureType(models.TextChoices):
        BRC = "brc", "Biomedical Research Centre"
        CRF = "crf", "Clinical Research Facility"
        ARC = "arc", "Applied Research Collaboration"
        RDN = "rdn", "Research delivery network"
        CRDC = "crdc", "Commercial research delivery centre"
        MEDTECH = "medtech", "MedTech / HealthTech centre"
        OTHER = "other", "Other research infrastructure"

    class Region(models.TextChoices):
        EAST_MIDLANDS = "east_midlands", "East Midlands"
        WEST_MIDLANDS = "west_midlands", "West Midlands"
        OTHER = "other", "Outside the Midlands"

    name = models.CharField(max_length=250)
    short_name = models.CharField(max_length=80, blank=True)
    slug = models.SlugField(max_length=120, unique=True)
    # The key `mhi load-reference` finds the row by ("trust:RRK", "university:10007759"); empty for
    # organisations added by hand.
    reference_key = models.CharField(max_length=150, null=True, blank=True, unique=True, editable=False)
    kind = models.CharField(max_length=30, choices=Kind.choices, db_index=True)
    infrastructure_type = models.CharField(max_length=20, choices=InfrastructureType.choices, blank=True)
    # The scheme as its funder names it, for example "Biomedical Research Centre (BRC)".
    scheme = models.CharField(max_length=120, blank=True)
    subtype = models.CharField(max_length=80, blank=True, help_text="For trusts: acute, mental health, ...")
    description = models.TextField(blank=True)
    themes = models.TextField(blank=True, help_text="One theme per line.")
    website = models.URLField(max_length=300, blank=True)

    ror_id = models.CharField(
        "ROR id", max_length=9, null=True, blank=True, unique=True, validators=[validators.validate_ror]
    )
    ukprn = models.CharField(
        "UKPRN", max_length=8, null=True, blank=True, unique=True, validators=[validators.validate_ukprn]
    )
    ods_code = models.CharField(
        "ODS code", max_length=6, null=True, blank=True, unique=True, validators=[validators.validate_ods_code]
    )
    ons_code = models.CharField("ONS code", max_length=9, null=True, blank=True, unique=True)
    companies_house_number = models.CharField(
        "Companies House number",
        max_length=8,
        null=True,
        blank=True,
        unique=True,
        validators=[validators.validate_companies_house_number],
    )

    address = models.CharField(max_length=300, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=8, blank=True, validators=[validators.validate_postcode])
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    region = models.CharField(max_length=20, choices=Region.choices, blank=True, db_index=True)
    icb = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members_of_icb",
        limit_choices_to={"kind": "icb"},
        verbose_name="ICB",
    )
    population = models.PositiveIntegerField(
        null=True, blank=True, help_text="Census 2021 usual residents (ICBs and local authorities)."
    )
    population_note = models.CharField(max_length=300, blank=True)
    years_active = models.CharField(max_length=200, blank=True)
    funding_note = models.CharField(max_length=300, blank=True)
    # Where the record came from and how far it was checked, as the reference data states it.
    source = models.CharField(max_length=300, blank=True)
    verification = models.CharField(max_length=400, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="research_infrastructure") | Q(infrastructure_type=""),
                name="org_infrastructure_type_only_for_infrastructure",
            ),
            models.CheckConstraint(
                condition=(Q(latitude__isnull=True) & Q(longitude__isnull=True))
                | (Q(latitude__gte=-90, latitude__lte=90) & Q(longitude__gte=-180, longitude__lte=180)),
                name="org_location_complete_and_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:organisation", args=[self.slug])

    def clean(self):
        # Identifiers are stored in their canonical forms so uniqueness means the same thing everywhere.
        if self.ror_id:
            self.ror_id = validators.ror_normalise(self.ror_id)
        if self.ods_code:
            self.ods_code = self.ods_code.strip().upper()
        if self.postcode:
            self.postcode = validators.postcode_normalise(self.postcode)
        if self.companies_house_number:
            self.companies_house_number = self.companies_house_number.strip().upper()
        for name in ("ror_id", "ukprn", "ods_code", "ons_code", "companies_house_number"):
            if getattr(self, name) == "":
                setattr(self, name, None)

    @property
    def ror_url(self) -> str:
        return f"https://ror.org/{self.ror_id}" if self.ror_id else ""

    @property
    def theme_list(self) -> list[str]:
        return [t for t in self.themes.splitlines() if t.strip()]

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class OrganisationRelation(models.Model):
    """`subject` is hosted by, or is a partner of, `target`: "NIHR Leicester BRC is hosted by UHL"."""

    class Kind(models.TextChoices):
        HOSTED_BY = "hosted_by", "Hosted by"
        PARTNER = "partner", "Partner"

    subject = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="relations_out")
    target = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="relations_in")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    note = models.CharField(max_length=200, blank=True, help_text="For example “academic lead”.")

    class Meta:
        ordering = ["kind", "target__name"]
        constraints = [
            models.UniqueConstraint(fields=["subject", "target", "kind"], name="org_relation_unique"),
            models.CheckConstraint(condition=~Q(subject=models.F("target")), name="org_relation_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} — {self.get_kind_display().lower()} — {self.target}"


class PartnerInstitution(models.Model):
    """A member university of the MHI partnership and its institutional lead, as MHI publishes them."""

    organisation = models.OneToOneField(
        Organisation,
        on_delete=models.PROTECT,
        related_name="partnership",
        limit_choices_to={"kind": "university"},
    )
    lead = models.ForeignKey(
        "Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="partnership_leads"
    )
    is_chair = models.BooleanField(default=False)
    joined = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["is_chair"], condition=Q(is_chair=True), name="partnership_one_chair"),
        ]

    def __str__(self) -> str:
        return str(self.organisation)


class Person(models.Model):
    class Kind(models.TextChoices):
        ACADEMIC = "academic", "Academic"
        CLINICIAN = "clinician", "NHS clinician"
        NHS_STAFF = "nhs_staff", "NHS research staff"
        INDUSTRY = "industry", "Industry"
        OTHER = "other", "Other"

    title = models.CharField(max_length=30, blank=True, help_text="Prof, Dr, Ms, ...")
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=120, unique=True)
    # Set for people that `mhi load-reference` maintains (the partnership's leads).
    reference_key = models.CharField(max_length=150, null=True, blank=True, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ACADEMIC, db_index=True)
    orcid = models.CharField(
        "ORCID iD", max_length=19, null=True, blank=True, unique=True, validators=[validators.validate_orcid]
    )
    email = models.EmailField(blank=True)
    biography = models.TextField(blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    # A profile is public (shown to anonymous visitors) only when the person has said yes.
    public_profile_consent = models.BooleanField(default=False)
    consent_recorded_at = models.DateTimeField(null=True, blank=True)
    # Demo people are fictional; their pages say so.
    is_fictional = models.BooleanField(default=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_name", "given_name"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.title, self.given_name, self.family_name) if part)

    def get_absolute_url(self) -> str:
        return reverse("directory:person", args=[self.slug])

    def clean(self):
        if self.orcid:
            self.orcid = validators.orcid_normalise(self.orcid)
        else:
            self.orcid = None

    @property
    def orcid_url(self) -> str:
        return f"https://orcid.org/{self.orcid}" if self.orcid else ""


class Affiliation(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="affiliations")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="affiliations")
    job_title = models.CharField(max_length=200, blank=True)
    department = models.CharField(max_length=200, blank=True)
    is_primary = models.BooleanField(default=False)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-is_primary", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "organisation", "department", "job_title"], name="affiliation_unique"
            ),
            models.UniqueConstraint(fields=["person"], condition=Q(is_primary=True), name="affiliation_one_primary"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="affiliation_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} at {self.organisation}"

    @property
    def is_current(self) -> bool:
        from django.utils import timezone

        return self.end_date is None or self.end_date >= timezone.localdate()
