"""One voice: joint responses to consultations (or free-standing position statements) drafted by the partners,
signed off by each partner's institution lead, exported and published.

The text of a response lives in versions: every save of a question's consolidated answer is an AnswerVersion,
every save of a partner's contribution a ContributionVersion. `Response.revision` counts edits to the answers;
an approval records the revision it approved, and an edit after it voids it (mhi.responses.signoff).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse


class ResponseKind(models.TextChoices):
    CONSULTATION = "consultation", "Consultation response"
    POSITION = "position", "Position statement"


class ResponseStatus(models.TextChoices):
    DRAFTING = "drafting", "Drafting"
    SIGN_OFF = "sign_off", "Final draft, in sign-off"
    LOCKED = "locked", "Signed off by every partner"
    PUBLISHED = "published", "Published"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Response(models.Model):
    """A joint response workspace."""

    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, choices=ResponseKind.choices, default=ResponseKind.CONSULTATION)
    opportunity = models.ForeignKey(
        "opportunities.Opportunity", null=True, blank=True, on_delete=models.SET_NULL, related_name="responses"
    )
    introduction = models.TextField(blank=True, help_text="Shown before the questions in the export.")
    deadline = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=ResponseStatus.choices, default=ResponseStatus.DRAFTING, db_index=True
    )
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="responses_coordinated"
    )
    revision = models.PositiveIntegerField(default=0, help_text="Raised by every edit to an answer or question.")
    final_revision = models.PositiveIntegerField(null=True, blank=True, help_text="The revision marked final.")
    reminder_days = models.CharField(max_length=60, default="7,2")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="responses_created"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=["locked", "published"]) | Q(locked_at__isnull=False),
                name="response_locked_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="response_published_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("responses:detail", args=[self.pk])

    @property
    def is_locked(self) -> bool:
        return self.status in (ResponseStatus.LOCKED, ResponseStatus.PUBLISHED)


class Signatory(models.Model):
    """A partner institution expected to sign the response."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="signatories")
    organisation = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation__name"]
        verbose_name_plural = "signatories"
        constraints = [models.UniqueConstraint(fields=["response", "organisation"], name="signatory_unique")]

    def __str__(self) -> str:
        return f"{self.organisation} on {self.response}"


class Question(models.Model):
    """A question of the response, with its optional word limit, its owner and its consolidated answer.

    `answer_version` is the number of the current AnswerVersion (0: not answered yet); a save names the version
    it started from and is refused with both texts when another save came first.
    """

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="questions")
    number = models.PositiveIntegerField()
    text = models.TextField()
    guidance = models.TextField(blank=True)
    word_limit = models.PositiveIntegerField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="questions_owned"
    )
    answer = models.TextField(blank=True, help_text="The current consolidated answer (copy of the latest version).")
    answer_version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["response", "number"]
        constraints = [
            models.UniqueConstraint(fields=["response", "number"], name="question_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="question_number_positive"),
            models.CheckConstraint(
                condition=Q(word_limit__isnull=True) | Q(word_limit__gte=1), name="question_word_limit_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Q{self.number}: {self.text[:60]}"


class AnswerVersion(models.Model):
    """One save of a question's consolidated answer."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    text = models.TextField(blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=300, blank=True)
    reused_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reused_by",
        help_text="The past answer this text was taken from (the library of past positions).",
    )
    response_revision = models.PositiveIntegerField(help_text="The response's revision this save made.")

    class Meta:
        ordering = ["question", "number"]
        constraints = [models.UniqueConstraint(fields=["question", "number"], name="answerversion_unique")]

    def __str__(self) -> str:
        return f"{self.question} v{self.number}"


class ContributionKind(models.TextChoices):
    EVIDENCE = "evidence", "Evidence"
    DRAFT = "draft", "Draft text"


class Contribution(models.Model):
    """A partner's evidence or draft text for a question; each save is a ContributionVersion."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="contributions")
    organisation = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=ContributionKind.choices, default=ContributionKind.DRAFT)
    text = models.TextField(help_text="The current text (copy of the latest version).")
    version = models.PositiveIntegerField(default=1)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["question", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.organisation} on {self.question}"


class ContributionVersion(models.Model):
    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contribution", "number"]
        constraints = [models.UniqueConstraint(fields=["contribution", "number"], name="contributionversion_unique")]

    def __str__(self) -> str:
        return f"{self.contribution} v{self.number}"


class Comment(models.Model):
    """A threaded comment on a question."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["question", "created_at", "id"]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.question}"


class Decision(models.TextChoices):
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"


class Approval(models.Model):
    """A partner institution lead's decision on the final draft at one revision.

    An approval stands while `voided_at` is empty; an edit to the answers after it voids it, recording who made
    the edit and when. Decisions are never deleted: they are the sign-off trail.
    """

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="approvals")
    organisation = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    comment = models.TextField(blank=True)
    revision = models.PositiveIntegerField(help_text="The response revision the decision was made on.")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    void_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["response", "decided_at", "id"]
        constraints = [
            # At most one standing decision per partner.
            models.UniqueConstraint(
                fields=["response", "organisation"], condition=Q(voided_at__isnull=True), name="approval_one_standing"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.get_decision_display()} (r{self.revision})"


class ResponseEvent(models.Model):
    """The response's trail: what happened, who did it and when."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    summary = models.CharField(max_length=500)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["response", "at", "id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.summary}"


class ResponseReminder(models.Model):
    """A deadline reminder sent to one user for one response; unique, so each is sent once."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="reminders")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "user", "days_before"], name="responsereminder_once"),
        ]

    def __str__(self) -> str:
        return f"Reminder {self.days_before} days before to {self.user}"
