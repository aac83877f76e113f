"""Shared resources: equipment and facilities in the Uniquip shape, their rates and booking rules, bookings,
waitlists and the induction passport.

Single-row rules live here, backed by DB constraints. No double booking is guaranteed by the database:
on PostgreSQL an exclusion constraint (migration 0002: no two confirmed bookings of one resource with
overlapping [start, end) ranges); on SQLite, whose transactions are IMMEDIATE (one writer at a time), the
booking service checks for overlaps inside the same transaction that writes the booking.
"""

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

# The Uniquip columns in the order of the Uniquip template, each with the Resource field it is stored in.
UNIQUIP_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Type", "uniquip_type"),
    ("ID", "uniquip_id"),
    ("Name", "name"),
    ("Description", "description"),
    ("Related Facility ID", "related_facility_id"),
    ("Technique", "technique"),
    ("Location", "location"),
    ("Contact Name", "contact_name"),
    ("Contact Telephone", "contact_telephone"),
    ("Contact URL", "contact_url"),
    ("Contact Email", "contact_email"),
    ("Secondary Contact Name", "secondary_contact_name"),
    ("Secondary Contact Telephone", "secondary_contact_telephone"),
    ("Secondary Contact URL", "secondary_contact_url"),
    ("Secondary Contact Email", "secondary_contact_email"),
    ("Photo", "photo"),
    ("Department", "department"),
    ("Site Location", "site_location"),
    ("Building", "building"),
    ("Service Level", "service_level"),
    ("Web Address", "web_address"),
)


class UniquipType(models.TextChoices):
    EQUIPMENT = "equipment", "Equipment"
    FACILITY = "facility", "Facility"


class AccessPolicy(models.TextChoices):
    """Who may book, widest last: each level includes those before it."""

    OWN = "own", "Own institution only"
    PARTNER = "partner", "Partner universities"
    EXTERNAL_ACADEMIC = "external_academic", "External academic"
    COMMERCIAL = "commercial", "Commercial"


ACCESS_ORDER = list(AccessPolicy.values)


class Tier(models.TextChoices):
    """The price tier a requester books at, from who they are relative to the resource's owner."""

    INTERNAL = "internal", "Internal"
    PARTNER = "partner", "Partner university"
    EXTERNAL_ACADEMIC = "external_academic", "External academic"
    COMMERCIAL = "commercial", "Commercial"


# The access level a tier needs.
TIER_NEEDS_ACCESS = {
    Tier.INTERNAL: AccessPolicy.OWN,
    Tier.PARTNER: AccessPolicy.PARTNER,
    Tier.EXTERNAL_ACADEMIC: AccessPolicy.EXTERNAL_ACADEMIC,
    Tier.COMMERCIAL: AccessPolicy.COMMERCIAL,
}


class RateUnit(models.TextChoices):
    HOUR = "hour", "per hour"
    DAY = "day", "per day"
    SESSION = "session", "per session"


class ResourceStatus(models.TextChoices):
    AVAILABLE = "available", "Available"
    MAINTENANCE = "maintenance", "In maintenance"
    RETIRED = "retired", "Retired"


class InductionClass(models.Model):
    """A class of equipment one induction covers, for example "Confocal microscopes (laser safety)"."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    # How long an induction in this class lasts, unless the induction says otherwise (empty: no expiry).
    valid_days = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "induction classes"

    def __str__(self) -> str:
        return self.name


def default_opening_hours() -> dict:
    """Monday to Friday 09:00–17:00. Keys are ISO weekdays 1..7 as strings, values [[start, end], ...] "HH:MM"."""
    return {str(day): [["09:00", "17:00"]] for day in range(1, 6)}


class Resource(models.Model):
    # --- Uniquip ---
    uniquip_type = models.CharField("type", max_length=20, choices=UniquipType.choices, default=UniquipType.EQUIPMENT)
    uniquip_id = models.CharField("ID", max_length=200, help_text="The owner's own id for the item (Uniquip ID)")
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    related_facility_id = models.CharField("related facility ID", max_length=200, blank=True)
    technique = models.CharField(max_length=300, blank=True)
    location = models.CharField(max_length=500, blank=True, help_text="Uniquip Location: a place name or URI")
    contact_name = models.CharField(max_length=200, blank=True)
    contact_telephone = models.CharField(max_length=100, blank=True)
    contact_url = models.CharField("contact URL", max_length=500, blank=True)
    contact_email = models.CharField(max_length=254, blank=True)
    secondary_contact_name = models.CharField(max_length=200, blank=True)
    secondary_contact_telephone = models.CharField(max_length=100, blank=True)
    secondary_contact_url = models.CharField("secondary contact URL", max_length=500, blank=True)
    secondary_contact_email = models.CharField(max_length=254, blank=True)
    photo = models.CharField(max_length=500, blank=True, help_text="URL of a photo")
    department = models.CharField(max_length=300, blank=True)
    site_location = models.CharField(max_length=300, blank=True)
    building = models.CharField(max_length=300, blank=True)
    service_level = models.CharField(max_length=300, blank=True)
    web_address = models.CharField(max_length=500, blank=True)

    # --- sharing ---
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="resources", verbose_name="owner"
    )
    manufacturer = models.CharField(max_length=200, blank=True)
    model_name = models.CharField("model", max_length=200, blank=True)
    access_policy = models.CharField(
        max_length=20,
        choices=AccessPolicy.choices,
        default=AccessPolicy.PARTNER,
        help_text="The widest group that may book; each includes the narrower ones",
    )
    training_requirement = models.TextField(blank=True, help_text="What a user must know or have done first")
    requires_induction = models.BooleanField(default=False)
    induction_class = models.ForeignKey(
        InductionClass,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resources",
        help_text="An induction in this class satisfies the requirement (as well as one for this resource)",
    )
    status = models.CharField(
        max_length=20, choices=ResourceStatus.choices, default=ResourceStatus.AVAILABLE, db_index=True
    )
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    managers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="managed_resources")

    # --- booking rules ---
    bookable = models.BooleanField(default=True)
    instant_booking = models.BooleanField(
        default=False, help_text="Bookings are confirmed at once; otherwise a manager approves each request"
    )
    opening_hours = models.JSONField(default=default_opening_hours, blank=True)
    slot_minutes = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(5), MaxValueValidator(1440)]
    )
    min_duration_minutes = models.PositiveIntegerField(default=30, validators=[MinValueValidator(1)])
    max_duration_minutes = models.PositiveIntegerField(default=8 * 60, validators=[MinValueValidator(1)])
    lead_time_hours = models.PositiveIntegerField(
        default=24, help_text="How long before its start a booking may be made"
    )
    horizon_days = models.PositiveIntegerField(default=90, help_text="How far ahead bookings may be made")
    cancellation_notice_hours = models.PositiveIntegerField(
        default=24, help_text="A booking may be cancelled by its requester up to this long before its start"
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "uniquip_id"], name="resource_uniquip_id_unique_per_owner"),
            models.CheckConstraint(
                condition=Q(min_duration_minutes__lte=F("max_duration_minutes")), name="resource_durations_in_order"
            ),
            models.CheckConstraint(
                condition=(Q(latitude__isnull=True) & Q(longitude__isnull=True))
                | (Q(latitude__gte=-90, latitude__lte=90) & Q(longitude__gte=-180, longitude__lte=180)),
                name="resource_location_complete_and_in_range",
            ),
            models.CheckConstraint(condition=Q(slot_minutes__gte=5), name="resource_slot_at_least_5_minutes"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("resources:detail", args=[self.pk])


class Rate(models.Model):
    """What one tier pays for the resource, per hour, day or session."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="rates")
    tier = models.CharField(max_length=20, choices=Tier.choices)
    unit = models.CharField(max_length=10, choices=RateUnit.choices, default=RateUnit.HOUR)
    amount = models.DecimalField("amount (£)", max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["resource", "tier"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "tier"], name="rate_one_per_tier"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="rate_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.resource}: {self.get_tier_display()} £{self.amount} {self.get_unit_display()}"


class Closure(models.Model):
    """A period the resource cannot be booked: maintenance or a blackout (holidays, shutdowns)."""

    class Kind(models.TextChoices):
        MAINTENANCE = "maintenance", "Maintenance"
        BLACKOUT = "blackout", "Blackout"

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="closures")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MAINTENANCE)
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["resource", "start", "end"], name="closure_resource_range")]
        constraints = [models.CheckConstraint(condition=Q(end__gt=F("start")), name="closure_end_after_start")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.resource} from {self.start:%d %b %Y %H:%M}"


class Booking(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        CONFIRMED = "confirmed", "Confirmed"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Cancelled"

    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="bookings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings")
    # The institution the requester books for (their tier is worked out from it).
    organisation = models.ForeignKey(
        "directory.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="bookings_made"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    purpose = models.CharField(max_length=300, blank=True)
    # The quote at booking time, at the requester's tier.
    tier = models.CharField(max_length=20, choices=Tier.choices)
    quote_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    quote_note = models.CharField(max_length=300, blank=True, help_text="How the quote was worked out")
    # Bookings made together as a recurring series share this id.
    series = models.UUIDField(null=True, blank=True, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["resource", "start"], name="booking_resource_start"),
            models.Index(fields=["resource", "status", "start", "end"], name="booking_resource_status_range"),
            models.Index(fields=["user", "start"], name="booking_user_start"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="booking_end_after_start"),
            models.CheckConstraint(
                condition=Q(quote_amount__isnull=True) | Q(quote_amount__gte=0), name="booking_quote_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.start:%d %b %Y %H:%M} ({self.get_status_display()})"

    @property
    def duration(self) -> datetime.timedelta:
        return self.end - self.start


class WaitlistEntry(models.Model):
    """Someone who wants a slot that is taken; offered it when it is freed."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        OFFERED = "offered", "Offered"
        BOOKED = "booked", "Booked"
        EXPIRED = "expired", "Expired"
        WITHDRAWN = "withdrawn", "Withdrawn"

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="waitlist")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_entries")
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.WAITING)
    offered_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(end__gt=F("start")), name="waitlist_end_after_start")]

    def __str__(self) -> str:
        return f"{self.user} waiting for {self.resource} {self.start:%d %b %Y %H:%M}"


# --- the induction passport ---------------------------------------------------------------------------------


class Induction(models.Model):
    """A user's induction on one resource or on a class of equipment."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inductions")
    resource = models.ForeignKey(Resource, null=True, blank=True, on_delete=models.CASCADE, related_name="inductions")
    induction_class = models.ForeignKey(
        InductionClass, null=True, blank=True, on_delete=models.CASCADE, related_name="inductions"
    )
    # Where the induction was given (the institution that recorded it).
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="inductions_given"
    )
    date = models.DateField()
    expires = models.DateField(null=True, blank=True)
    trainer = models.CharField(max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(resource__isnull=False) & Q(induction_class__isnull=True))
                | (Q(resource__isnull=True) & Q(induction_class__isnull=False)),
                name="induction_for_resource_or_class",
            ),
            models.CheckConstraint(
                condition=Q(expires__isnull=True) | Q(expires__gte=F("date")), name="induction_expires_after_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.resource or self.induction_class} ({self.date:%d %b %Y})"


class InductionEquivalence(models.Model):
    """An admin's declaration: an induction in `accepted_class` given at `accepted_organisation` satisfies the
    requirement of `resource` (or of every resource in `required_class`)."""

    accepted_class = models.ForeignKey(InductionClass, on_delete=models.CASCADE, related_name="accepted_for")
    accepted_organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The institution whose inductions are accepted",
    )
    resource = models.ForeignKey(Resource, null=True, blank=True, on_delete=models.CASCADE, related_name="equivalences")
    required_class = models.ForeignKey(
        InductionClass, null=True, blank=True, on_delete=models.CASCADE, related_name="satisfied_by"
    )
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    declared_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(resource__isnull=False) & Q(required_class__isnull=True))
                | (Q(resource__isnull=True) & Q(required_class__isnull=False)),
                name="equivalence_for_resource_or_class",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.accepted_class} at {self.accepted_organisation} satisfies {self.resource or self.required_class}"


class TrainingRequest(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        SCHEDULED = "scheduled", "Scheduled"
        DONE = "done", "Induction recorded"
        DECLINED = "declined", "Declined"

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="training_requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_requests")
    note = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    response = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "user"], condition=Q(status="open"), name="training_request_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} asks for training on {self.resource}"
