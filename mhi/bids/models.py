"""Bids: applications for opportunities, their teams, stages, documents, demand-management places and
internal selection rounds.

Single-row rules live here, backed by DB constraints. Two rules span rows and are guaranteed by the database:

- **Caps** (demand management). A bid that passes internal selection for a capped opportunity holds a numbered
  `CapPlace` for its lead institution and one for the partnership. (opportunity, scope, number) is unique and
  1 ≤ number ≤ cap is checked, so however many approvals run at once no more places than the cap can exist.
- **Edits** never silently overwrite each other: `Bid.version` rises with every change, and a write names the
  version it started from (services.bid_update).
"""

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from mhi.bids.storage import private_storage


class Stage(models.TextChoices):
    IDEA = "idea", "Idea"
    EOI = "eoi", "Expression of interest"
    INTERNAL_SELECTION = "internal_selection", "Internal selection"
    OUTLINE = "outline", "Outline"
    FULL_APPLICATION = "full_application", "Full application"
    SUBMITTED = "submitted", "Submitted"
    AWARDED = "awarded", "Awarded"
    UNSUCCESSFUL = "unsuccessful", "Unsuccessful"
    WITHDRAWN = "withdrawn", "Withdrawn"


# The pipeline in order (board columns, reports).
STAGE_ORDER = list(Stage.values)
OUTCOME_STAGES = frozenset({Stage.AWARDED, Stage.UNSUCCESSFUL, Stage.WITHDRAWN})
# Stages a bid has passed internal selection in: it holds its cap places while here.
AFTER_SELECTION = frozenset({Stage.OUTLINE, Stage.FULL_APPLICATION, Stage.SUBMITTED, Stage.AWARDED})

# Where a bid may go from each stage. Leaving expression of interest for outline or full application skips
# internal selection, which is allowed only when the opportunity has no caps (services.bid_transition).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Stage.IDEA: (Stage.EOI, Stage.WITHDRAWN),
    Stage.EOI: (Stage.INTERNAL_SELECTION, Stage.OUTLINE, Stage.FULL_APPLICATION, Stage.WITHDRAWN),
    Stage.INTERNAL_SELECTION: (Stage.OUTLINE, Stage.FULL_APPLICATION, Stage.UNSUCCESSFUL, Stage.WITHDRAWN),
    Stage.OUTLINE: (Stage.FULL_APPLICATION, Stage.UNSUCCESSFUL, Stage.WITHDRAWN),
    Stage.FULL_APPLICATION: (Stage.SUBMITTED, Stage.WITHDRAWN),
    Stage.SUBMITTED: (Stage.AWARDED, Stage.UNSUCCESSFUL, Stage.WITHDRAWN),
    Stage.AWARDED: (),
    Stage.UNSUCCESSFUL: (),
    Stage.WITHDRAWN: (),
}

# The opportunity date each stage works towards (the deadline shown and reminded).
STAGE_DEADLINE_FIELD = {
    Stage.IDEA: "eoi_deadline",
    Stage.EOI: "eoi_deadline",
    Stage.INTERNAL_SELECTION: "outline_deadline",
    Stage.OUTLINE: "outline_deadline",
    Stage.FULL_APPLICATION: "closes_at",
}


class PartnerRole(models.TextChoices):
    UNIVERSITY = "university", "University"
    NHS_TRUST = "nhs_trust", "NHS trust"
    INDUSTRY = "industry", "Industry"
    LOCAL_GOVERNMENT = "local_government", "Local government"
    CHARITY = "charity", "Charity"
    OTHER = "other", "Other partner"


class MemberRole(models.TextChoices):
    PI = "pi", "Principal investigator"
    CO_INVESTIGATOR = "co_investigator", "Co-investigator"
    RESEARCHER_CO_INVESTIGATOR = "researcher_co_investigator", "Researcher co-investigator"
    COLLABORATOR = "collaborator", "Collaborator"


def default_reminder_days() -> list[int]:
    return list(getattr(settings, "MHI_BID_REMINDER_DAYS", [14, 7, 1]))


class Bid(models.Model):
    Stage = Stage

    opportunity = models.ForeignKey("opportunities.Opportunity", on_delete=models.PROTECT, related_name="bids")
    title = models.CharField(max_length=300)
    lead_organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="bids_led", verbose_name="lead organisation"
    )
    lead_person = models.ForeignKey(
        "directory.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bids_led",
        verbose_name="lead person",
    )
    summary = models.TextField(
        "non-confidential summary", blank=True, help_text="May be published if the bid is awarded."
    )
    case = models.TextField("case for support (confidential)", blank=True)
    themes = models.JSONField(default=list, blank=True)
    stage = models.CharField(max_length=30, choices=Stage.choices, default=Stage.IDEA, db_index=True)
    stage_changed_at = models.DateTimeField(null=True, blank=True)
    value_requested = models.DecimalField(
        "value requested (£)",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    value_awarded = models.DecimalField(
        "value awarded (£)",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    # Days before each deadline that the team is reminded (empty: no reminders).
    reminder_days = models.JSONField(default=default_reminder_days, blank=True)
    # The team builder's proposal the bid was started from, if any.
    team_proposal = models.ForeignKey(
        "opportunities.TeamProposal", null=True, blank=True, on_delete=models.SET_NULL, related_name="bids"
    )
    # Optimistic locking: rises by one with every change to the bid's own fields.
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="bids_created"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(value_requested__isnull=True) | Q(value_requested__gte=0))
                & (Q(value_awarded__isnull=True) | Q(value_awarded__gte=0)),
                name="bid_values_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(value_awarded__isnull=True) | Q(stage="awarded"),
                name="bid_awarded_value_only_when_awarded",
            ),
            models.CheckConstraint(condition=Q(stage__in=STAGE_ORDER), name="bid_stage_valid"),
            models.CheckConstraint(condition=Q(version__gte=1), name="bid_version_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("bids:detail", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        return self.stage in OUTCOME_STAGES

    def allowed_next_stages(self) -> tuple[str, ...]:
        return TRANSITIONS[self.stage]

    @property
    def deadline_field(self) -> str | None:
        return STAGE_DEADLINE_FIELD.get(self.stage)

    def deadline(self) -> datetime.datetime | None:
        """The opportunity's date this stage works towards."""
        name = self.deadline_field
        return getattr(self.opportunity, name) if name else None

    def is_overdue(self, now: datetime.datetime) -> bool:
        deadline = self.deadline()
        return deadline is not None and deadline <= now and not self.is_closed


class BidPartner(models.Model):
    """A partner organisation of the bid (the lead organisation is not repeated here)."""

    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="partners")
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="bid_partnerships"
    )
    role = models.CharField(max_length=20, choices=PartnerRole.choices)
    note = models.CharField(max_length=200, blank=True, help_text="What the partner brings")

    class Meta:
        ordering = ["organisation__name"]
        constraints = [models.UniqueConstraint(fields=["bid", "organisation"], name="bid_partner_unique")]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_role_display()}) on {self.bid}"


class BidMember(models.Model):
    """A person on the bid's team, with their role and the organisation they take part for."""

    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey("directory.Person", on_delete=models.PROTECT, related_name="bid_memberships")
    role = models.CharField(max_length=30, choices=MemberRole.choices)
    organisation = models.ForeignKey(
        "directory.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["role", "person__family_name"]
        constraints = [
            models.UniqueConstraint(fields=["bid", "person"], name="bid_member_unique"),
            models.UniqueConstraint(fields=["bid"], condition=Q(role="pi"), name="bid_one_pi"),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()}) on {self.bid}"


def bid_document_path(instance, filename: str) -> str:
    # The stored name is never the uploaded one: the original is kept in `original_name`.
    return f"bids/{instance.bid_id}/{instance.sha256[:16]}-{instance.token}"


class BidDocument(models.Model):
    """A confidential upload, stored in the private storage (outside the web root), served as an attachment."""

    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=bid_document_path, storage=private_storage, max_length=300)
    token = models.CharField(max_length=32, editable=False)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.original_name


class BidComment(models.Model):
    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.bid}"


class BidEvent(models.Model):
    """The bid's activity log, as its team reads it: what happened, who did it and when."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        STAGE = "stage", "Stage changed"
        PARTNER = "partner", "Partners changed"
        MEMBER = "member", "Team changed"
        DOCUMENT = "document", "Document"
        COMMENT = "comment", "Comment"
        SELECTION = "selection", "Internal selection"
        REMINDER = "reminder", "Reminder sent"

    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.CharField(max_length=500)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return self.message


class StageChange(models.Model):
    """One move between stages: who, when, why. Success rates over time are read from these."""

    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=30, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=30, choices=Stage.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.bid}: {self.from_stage or 'new'} → {self.to_stage}"


class CapPlace(models.Model):
    """One of an opportunity's limited places, held by a bid that passed internal selection.

    scope is "partnership" or "org:<organisation id>" (the lead institution). The unique numbers and the check
    1 ≤ number ≤ cap are what make the caps hold under concurrent approvals.
    """

    opportunity = models.ForeignKey("opportunities.Opportunity", on_delete=models.CASCADE, related_name="cap_places")
    scope = models.CharField(max_length=40)
    organisation = models.ForeignKey(
        "directory.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    number = models.PositiveSmallIntegerField()
    cap = models.PositiveSmallIntegerField(help_text="The cap when the place was taken")
    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="cap_places")
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    taken_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["opportunity", "scope", "number"]
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "scope", "number"], name="cap_place_number_unique"),
            models.UniqueConstraint(fields=["bid", "scope"], name="cap_place_one_per_bid_and_scope"),
            models.CheckConstraint(
                condition=Q(number__gte=1) & Q(number__lte=F("cap")), name="cap_place_number_within_cap"
            ),
            models.CheckConstraint(
                condition=(Q(scope="partnership") & Q(organisation__isnull=True))
                | (~Q(scope="partnership") & Q(organisation__isnull=False)),
                name="cap_place_scope_matches_organisation",
            ),
        ]

    def __str__(self) -> str:
        return f"Place {self.number} of {self.cap} ({self.scope}) for {self.bid}"


class ReminderDelivery(models.Model):
    """A deadline reminder sent, so each (bid, deadline, offset) is sent once."""

    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="reminders_sent")
    deadline_field = models.CharField(max_length=30)
    deadline = models.DateTimeField()
    days_before = models.PositiveSmallIntegerField()
    recipients = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["bid", "deadline_field", "deadline", "days_before"], name="reminder_sent_once"
            )
        ]

    def __str__(self) -> str:
        return f"Reminder {self.days_before} days before {self.deadline_field} of {self.bid}"


# --- internal selection -------------------------------------------------------------------------------------


def default_criteria() -> list[dict]:
    return [
        {"name": "Quality of the idea", "weight": 1, "max_score": 5},
        {"name": "Fit to the call", "weight": 1, "max_score": 5},
        {"name": "Strength of the team", "weight": 1, "max_score": 5},
    ]


class SelectionRound(models.Model):
    """An internal competition for a capped call: reviewers score the bids, a coordinator decides."""

    class Status(models.TextChoices):
        OPEN = "open", "Open for reviews"
        DECIDED = "decided", "Decided"

    opportunity = models.ForeignKey(
        "opportunities.Opportunity", on_delete=models.PROTECT, related_name="selection_rounds"
    )
    # An institution's own round, or a partnership-wide round (empty).
    organisation = models.ForeignKey(
        "directory.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="selection_rounds"
    )
    title = models.CharField(max_length=300)
    # [{"name": str, "weight": number > 0, "max_score": int ≥ 1, "description": str}]
    criteria = models.JSONField(default=default_criteria)
    reviews_due = models.DateTimeField(null=True, blank=True)
    # Co-authorship within this many years is a conflict of interest.
    coauthorship_years = models.PositiveSmallIntegerField(default=3, validators=[MaxValueValidator(50)])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    rationale = models.TextField(blank=True, help_text="Why the panel decided as it did")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | (Q(decided_at__isnull=False)), name="selection_round_decided_has_date"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("bids:round", args=[self.pk])


class RoundEntry(models.Model):
    """A bid in a selection round, and the round's decision on it."""

    class Decision(models.TextChoices):
        PENDING = "pending", "Not decided"
        SELECTED = "selected", "Selected"
        NOT_SELECTED = "not_selected", "Not selected"

    round = models.ForeignKey(SelectionRound, on_delete=models.CASCADE, related_name="entries")
    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="round_entries")
    decision = models.CharField(max_length=20, choices=Decision.choices, default=Decision.PENDING)
    rank = models.PositiveSmallIntegerField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True, help_text="Mean weighted score, 0–100")
    feedback = models.TextField(blank=True, help_text="What the applicants are told")

    class Meta:
        ordering = ["rank", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "bid"], name="round_entry_unique")]

    def __str__(self) -> str:
        return f"{self.bid} in {self.round}"


class RoundReviewer(models.Model):
    round = models.ForeignKey(SelectionRound, on_delete=models.CASCADE, related_name="reviewers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="selection_reviews")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__email"]
        constraints = [models.UniqueConstraint(fields=["round", "user"], name="round_reviewer_unique")]

    def __str__(self) -> str:
        return f"{self.user} reviews {self.round}"


class ReviewConflict(models.Model):
    """A reviewer who may not review an entry, and why (found automatically or declared)."""

    class Source(models.TextChoices):
        SAME_INSTITUTION = "same_institution", "Same institution as the lead"
        COAUTHORSHIP = "coauthorship", "Recent co-authorship with the team"
        TEAM_MEMBER = "team_member", "On the bid's team"
        DECLARED = "declared", "Declared by the reviewer"

    entry = models.ForeignKey(RoundEntry, on_delete=models.CASCADE, related_name="conflicts")
    reviewer = models.ForeignKey(RoundReviewer, on_delete=models.CASCADE, related_name="conflicts")
    source = models.CharField(max_length=20, choices=Source.choices)
    detail = models.CharField(max_length=500)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entry", "reviewer", "source"], name="review_conflict_unique")]

    def __str__(self) -> str:
        return f"{self.reviewer.user} may not review {self.entry.bid}: {self.detail}"


class Review(models.Model):
    """A reviewer's scores for one entry against the round's criteria."""

    entry = models.ForeignKey(RoundEntry, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(RoundReviewer, on_delete=models.CASCADE, related_name="reviews")
    # {criterion name: integer score 0..max_score}
    scores = models.JSONField(default=dict)
    comment = models.TextField(blank=True)
    submitted_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["entry", "reviewer"]
        constraints = [models.UniqueConstraint(fields=["entry", "reviewer"], name="review_one_per_reviewer")]

    def __str__(self) -> str:
        return f"Review of {self.entry.bid} by {self.reviewer.user}"
