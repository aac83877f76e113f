"""Opportunities (funding calls, consultations, partnering requests and tenders) and the feeds they come from.

Single-row rules live here, backed by DB constraints. An opportunity's status is derived from its dates, in
Python (`status_at`) and in SQL (`Opportunity.objects.status_in(...)`), with the same boundaries.
"""

import datetime
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from mhi.opportunities.dates import date_words, datetime_words

# "Closing soon" from this long before the closing time until it closes.
CLOSING_SOON = datetime.timedelta(days=14)

MAX_THEMES = 20
MAX_THEME_LENGTH = 80


class Status(models.TextChoices):
    FORTHCOMING = "forthcoming", "Forthcoming"
    OPEN = "open", "Open"
    CLOSING_SOON = "closing_soon", "Closing soon"
    CLOSED = "closed", "Closed"


# The order lists show them in: what needs action first.
STATUS_RANK = {Status.CLOSING_SOON: 0, Status.OPEN: 1, Status.FORTHCOMING: 2, Status.CLOSED: 3}


def status_q(status: str, *, now: datetime.datetime) -> Q:
    """The rows with `status` at `now`, as a filter; the same boundaries as Opportunity.status_at."""
    started = Q(opens_at__isnull=True) | Q(opens_at__lte=now)
    not_closed = Q(closes_at__isnull=True) | Q(closes_at__gt=now)
    soon = now + CLOSING_SOON
    if status == Status.CLOSED:
        return Q(closes_at__lte=now)
    if status == Status.FORTHCOMING:
        return Q(opens_at__gt=now) & not_closed
    if status == Status.CLOSING_SOON:
        return started & Q(closes_at__gt=now, closes_at__lte=soon)
    if status == Status.OPEN:
        return started & (Q(closes_at__isnull=True) | Q(closes_at__gt=soon))
    raise ValueError(f"“{status}” is not a status; choose one of {', '.join(Status.values)}")


class OpportunityQuerySet(models.QuerySet):
    def status_in(self, statuses, *, now: datetime.datetime | None = None):
        now = now or timezone.now()
        condition = Q(pk__in=[])
        for status in statuses:
            condition |= status_q(status, now=now)
        return self.filter(condition)

    def with_status(self, *, now: datetime.datetime | None = None):
        """Annotates `status_value` and `status_rank`, computed by the database."""
        now = now or timezone.now()
        whens = [When(status_q(s, now=now), then=Value(s.value)) for s in Status]
        ranks = [When(status_q(s, now=now), then=Value(STATUS_RANK[s])) for s in Status]
        return self.annotate(
            status_value=Case(*whens, output_field=models.CharField()),
            status_rank=Case(*ranks, output_field=models.IntegerField()),
        )

    def in_list_order(self, *, now: datetime.datetime | None = None):
        """Closing soon, then open, then forthcoming, each soonest closing first; closed last, latest first."""
        now = now or timezone.now()
        closed_at = Case(When(closes_at__lte=now, then=F("closes_at")), output_field=models.DateTimeField())
        return self.with_status(now=now).order_by(
            "status_rank", closed_at.desc(nulls_last=True), F("closes_at").asc(nulls_last=True), "title", "id"
        )


def _words_key(text: str) -> str:
    """Lower case, accents and punctuation removed, single spaces: how titles and funders are compared."""
    folded = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    folded = folded.replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", folded).split())


def title_funder_key(title: str, funder: str) -> str:
    return f"{_words_key(title)}|{_words_key(funder)}"[:600]


def link_key(url: str) -> str:
    """A link as compared for duplicates: scheme, "www.", fragment, trailing slash and utm_ tracking dropped."""
    if not url:
        return ""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    try:
        port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    except ValueError:  # a port that is not a number: compare the link as written
        port = ""
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if not k.lower().startswith("utm_")))
    path = parts.path.rstrip("/")
    return f"{host}{port}{path}{'?' + query if query else ''}"[:600]


def themes_normalise(themes) -> list[str]:
    """Themes as short labels: trimmed, single-spaced, no repeats (ignoring case), in the order given."""
    seen, result = set(), []
    for theme in themes or []:
        label = " ".join(str(theme).split())
        if label and label.lower() not in seen:
            seen.add(label.lower())
            result.append(label)
    return result


def validate_themes(value) -> None:
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ValidationError("Themes must be a list of short labels.", code="themes_type")
    if len(value) > MAX_THEMES:
        raise ValidationError(f"Give at most {MAX_THEMES} themes (there are {len(value)}).", code="themes_count")
    for theme in value:
        if len(theme) > MAX_THEME_LENGTH:
            raise ValidationError(
                f"The theme “{theme[:40]}…” is longer than {MAX_THEME_LENGTH} characters; themes are short labels.",
                code="themes_length",
            )


class Kind(models.TextChoices):
    FUNDING_CALL = "funding_call", "Funding call"
    CONSULTATION = "consultation", "Consultation"
    PARTNERING = "partnering", "Partnering request or tender"


class Source(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    CSV = "csv", "CSV import"
    FEED = "feed", "Feed"


# The dates in the order they must come, with the words messages use for them.
DATE_FIELDS = (
    ("opens_at", "opening date"),
    ("eoi_deadline", "internal expression-of-interest deadline"),
    ("outline_deadline", "outline deadline"),
    ("closes_at", "closing date"),
)


def _dates_in_order() -> Q:
    condition = Q()
    names = [name for name, _ in DATE_FIELDS]
    for i, earlier in enumerate(names):
        for later in names[i + 1 :]:
            condition &= (
                Q(**{f"{earlier}__isnull": True}) | Q(**{f"{later}__isnull": True}) | Q(**{f"{later}__gte": F(earlier)})
            )
    return condition


class Opportunity(models.Model):
    Kind = Kind
    Source = Source
    Status = Status

    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.FUNDING_CALL, db_index=True)
    title = models.CharField(max_length=300)
    funder_name = models.CharField(
        "funder or issuer", max_length=200, help_text="As the call names it, for example “NIHR” or “Innovate UK”."
    )
    funder_organisation = models.ForeignKey(
        "directory.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities_issued",
        verbose_name="funder in the directory",
    )
    scheme = models.CharField(max_length=200, blank=True, help_text="For example “Research for Patient Benefit”.")
    summary = models.TextField(blank=True)
    full_text = models.TextField(blank=True, help_text="The call text, for matching people to it.")
    link = models.URLField(max_length=500, blank=True, help_text="The call's page on the funder's site.")
    themes = models.JSONField(default=list, blank=True, validators=[validate_themes])

    opens_at = models.DateTimeField("opens", null=True, blank=True)
    eoi_deadline = models.DateTimeField("internal expression-of-interest deadline", null=True, blank=True)
    outline_deadline = models.DateTimeField("outline deadline", null=True, blank=True)
    closes_at = models.DateTimeField("closes", null=True, blank=True, db_index=True)

    value_min = models.DecimalField(
        "minimum value (£)", max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    value_max = models.DecimalField(
        "maximum value (£)", max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )

    requires_nhs_partner = models.BooleanField("NHS partner required", default=False)
    requires_industry_partner = models.BooleanField("industry partner required", default=False)
    requires_local_government_partner = models.BooleanField("local government partner required", default=False)
    lead_must_be_partner_university = models.BooleanField("lead must be a partner university", default=False)
    min_partner_universities = models.PositiveSmallIntegerField(
        "minimum number of partner universities", default=0, validators=[MaxValueValidator(50)]
    )

    # Demand management: how many bids the funder accepts. Empty means no cap.
    cap_per_institution = models.PositiveSmallIntegerField("bids per institution", null=True, blank=True)
    cap_partnership = models.PositiveSmallIntegerField("bids for the whole partnership", null=True, blank=True)

    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    feed = models.ForeignKey(
        "OpportunityFeed", null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )
    # The feed's own id for the item (RSS guid, Atom id, JSON id) or an id given in a CSV file.
    external_id = models.CharField(max_length=500, blank=True)

    # How duplicates are found: by link, or by title and funder (see link_key and title_funder_key).
    link_key = models.CharField(max_length=600, blank=True, editable=False, db_index=True)
    title_funder_key = models.CharField(max_length=600, blank=True, editable=False, db_index=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OpportunityQuerySet.as_manager()

    class Meta:
        ordering = ["closes_at", "title"]
        verbose_name_plural = "opportunities"
        constraints = [
            models.CheckConstraint(condition=_dates_in_order(), name="opportunity_dates_in_order"),
            models.CheckConstraint(
                condition=Q(value_min__isnull=True) | Q(value_max__isnull=True) | Q(value_max__gte=F("value_min")),
                name="opportunity_value_range_in_order",
            ),
            models.CheckConstraint(
                condition=(Q(value_min__isnull=True) | Q(value_min__gte=0))
                & (Q(value_max__isnull=True) | Q(value_max__gte=0)),
                name="opportunity_value_not_negative",
            ),
            models.CheckConstraint(
                condition=(Q(cap_per_institution__isnull=True) | Q(cap_per_institution__gte=0))
                & (Q(cap_partnership__isnull=True) | Q(cap_partnership__gte=0))
                & Q(min_partner_universities__gte=0),
                name="opportunity_caps_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(source="feed") | Q(feed__isnull=True), name="opportunity_feed_only_for_feed_source"
            ),
            models.UniqueConstraint(
                fields=["feed", "external_id"],
                condition=Q(feed__isnull=False) & ~Q(external_id=""),
                name="opportunity_feed_item_unique",
                violation_error_message="This feed already has an item with this id.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("opportunities:detail", args=[self.pk])

    def save(self, *args, **kwargs):
        self.themes = themes_normalise(self.themes)
        self.link_key = link_key(self.link)
        self.title_funder_key = title_funder_key(self.title, self.funder_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "link_key", "title_funder_key", "themes"}
        super().save(*args, **kwargs)

    def clean(self):
        self.themes = themes_normalise(self.themes) if isinstance(self.themes, list) else self.themes
        errors: dict[str, list[str]] = {}
        for problem_field, message in date_order_problems(self):
            errors.setdefault(problem_field, []).append(message)
        if self.value_min is not None and self.value_max is not None and self.value_min > self.value_max:
            errors.setdefault("value_min", []).append(
                f"The minimum value {money_words(self.value_min)} is more than the maximum value "
                f"{money_words(self.value_max)}."
            )
        if errors:
            raise ValidationError(errors)

    def status_at(self, now: datetime.datetime) -> str:
        if self.closes_at is not None and now >= self.closes_at:
            return Status.CLOSED
        if self.opens_at is not None and now < self.opens_at:
            return Status.FORTHCOMING
        if self.closes_at is not None and now >= self.closes_at - CLOSING_SOON:
            return Status.CLOSING_SOON
        return Status.OPEN

    @property
    def status(self) -> str:
        # A list annotated by with_status() already has it from the database, at the same `now`.
        annotated = getattr(self, "status_value", None)
        return annotated or self.status_at(timezone.now())

    @property
    def status_label(self) -> str:
        return Status(self.status).label

    @property
    def key_dates(self) -> list[tuple[str, datetime.datetime]]:
        return [(label, getattr(self, name)) for name, label in DATE_FIELDS if getattr(self, name) is not None]

    @property
    def value_words(self) -> str:
        if self.value_min is not None and self.value_max is not None:
            if self.value_min == self.value_max:
                return money_words(self.value_max)
            return f"{money_words(self.value_min)} to {money_words(self.value_max)}"
        if self.value_max is not None:
            return f"up to {money_words(self.value_max)}"
        if self.value_min is not None:
            return f"from {money_words(self.value_min)}"
        return ""

    @property
    def eligibility(self) -> list[str]:
        """The eligibility rules in words, for pages and exports."""
        rules = []
        if self.lead_must_be_partner_university:
            rules.append("The lead must be a partner university")
        if self.min_partner_universities:
            n = self.min_partner_universities
            rules.append(f"At least {n} partner universit{'y' if n == 1 else 'ies'}")
        if self.requires_nhs_partner:
            rules.append("An NHS partner is required")
        if self.requires_industry_partner:
            rules.append("An industry partner is required")
        if self.requires_local_government_partner:
            rules.append("A local government partner is required")
        return rules


def money_words(value) -> str:
    """£250,000 (pence shown only when there are some)."""
    if value is None:
        return ""
    return f"£{value:,.2f}" if value % 1 else f"£{value:,.0f}"


def date_order_problems(obj) -> list[tuple[str, str]]:
    """(field, message) for each date that comes before an earlier one; the message names both dates."""
    problems = []
    for i, (later, later_label) in enumerate(DATE_FIELDS):
        later_value = getattr(obj, later)
        if later_value is None:
            continue
        for earlier, earlier_label in reversed(DATE_FIELDS[:i]):
            earlier_value = getattr(obj, earlier)
            if earlier_value is not None and later_value < earlier_value:
                problems.append(
                    (
                        later,
                        f"The {later_label} ({datetime_words(later_value)}) is before the {earlier_label} "
                        f"({datetime_words(earlier_value)}).",
                    )
                )
                break
    return problems


def closing_in_past_problem(closes_at: datetime.datetime | None, *, now: datetime.datetime) -> str | None:
    """The message refusing a new opportunity that has already closed, or None."""
    if closes_at is None or closes_at > now:
        return None
    when = date_words(closes_at)
    if date_words(now) == when:
        when = datetime_words(closes_at).split(" ", 1)[1]  # today: say the time too
    return f"The closing date {when} is in the past."


class OpportunityFeed(models.Model):
    """A feed of opportunities that a coordinator set up, fetched on a schedule by `mhi fetch-feeds`."""

    class Format(models.TextChoices):
        RSS = "rss", "RSS 2.0"
        ATOM = "atom", "Atom"
        JSON = "json", "JSON (a list of objects, or JSON Feed 1.1)"

    class FetchStatus(models.TextChoices):
        NEVER = "never", "Not fetched yet"
        OK = "ok", "Fetched"
        FAILED = "failed", "Failed"

    name = models.CharField(max_length=200)
    url = models.URLField("address", max_length=500, help_text="An http:// or https:// address.")
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.RSS)
    default_kind = models.CharField(
        "kind of opportunity", max_length=20, choices=Kind.choices, default=Kind.FUNDING_CALL
    )
    funder_name = models.CharField(
        "funder or issuer",
        max_length=200,
        blank=True,
        help_text="Given to items that do not name their own funder, for example “NIHR”.",
    )
    funder_organisation = models.ForeignKey(
        "directory.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="funder in the directory",
    )
    active = models.BooleanField(default=True, help_text="Only active feeds are fetched on the schedule.")
    fetch_interval_minutes = models.PositiveIntegerField(
        "fetch every (minutes)", default=360, validators=[MinValueValidator(15), MaxValueValidator(60 * 24 * 30)]
    )

    last_fetched_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_status = models.CharField(
        max_length=10, choices=FetchStatus.choices, default=FetchStatus.NEVER, editable=False
    )
    last_error = models.TextField(blank=True, editable=False)
    last_created = models.PositiveIntegerField(default=0, editable=False)
    last_updated = models.PositiveIntegerField(default=0, editable=False)
    last_unchanged = models.PositiveIntegerField(default=0, editable=False)
    last_duplicates = models.PositiveIntegerField(default=0, editable=False)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(fetch_interval_minutes__gte=15), name="feed_interval_at_least_15_min"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("opportunities:feed", args=[self.pk])

    def clean(self):
        scheme = urlsplit(self.url or "").scheme.lower()
        if self.url and scheme not in ("http", "https"):
            raise ValidationError({"url": f"A feed address must start with http:// or https://, not {scheme}:."})

    def is_due(self, now: datetime.datetime) -> bool:
        if not self.active:
            return False
        if self.last_fetched_at is None:
            return True
        return now >= self.last_fetched_at + datetime.timedelta(minutes=self.fetch_interval_minutes)


class FeedFetch(models.Model):
    """One fetch of a feed: when, what came of it and, when it failed, why."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        OK = "ok", "Fetched"
        FAILED = "failed", "Failed"

    feed = models.ForeignKey(OpportunityFeed, on_delete=models.CASCADE, related_name="fetches")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    items = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    # New items that had already closed: not added.
    skipped = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True) | Q(finished_at__gte=F("started_at")),
                name="feed_fetch_finished_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.feed} at {self.started_at:%Y-%m-%d %H:%M}"


# --- telling the right people: saved searches, digests, expressions of interest ----------------------------


class DigestFrequency(models.TextChoices):
    NEVER = "never", "Never"
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"


class SavedSearch(models.Model):
    """Words a user wants opportunities matched to (by meaning and words), for their list and digest."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="opportunity_searches")
    name = models.CharField(max_length=100)
    query = models.TextField(max_length=2000, help_text="What you are looking for: a few words or a paragraph.")
    kind = models.CharField("only this kind", max_length=20, choices=Kind.choices, blank=True)
    in_digest = models.BooleanField("include in my digest", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "saved searches"
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_search_name_unique")]

    def __str__(self) -> str:
        return self.name


class DigestSubscription(models.Model):
    """A user's choice of email digest of matching opportunities; unsubscribing sets it to never."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="opportunity_digest")
    frequency = models.CharField(max_length=10, choices=DigestFrequency.choices, default=DigestFrequency.NEVER)
    include_profile_matches = models.BooleanField("include opportunities that match my publications", default=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.get_frequency_display()})"


class DigestDelivery(models.Model):
    """One digest sent: what it held, so the same opportunity is never sent to the same user twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)
    opportunities = models.ManyToManyField(Opportunity, related_name="+")

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"Digest to {self.user} at {self.sent_at:%Y-%m-%d %H:%M}"


class ExpressionOfInterest(models.Model):
    """ "I would like to be part of a bid for this", with a short note; seen by coordinators and the
    person's institution admins."""

    NOTE_MAX = 1000

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="expressions_of_interest")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(
        "directory.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="expressions_of_interest"
    )
    # The organisations whose admins see it: the person's affiliations when it was made.
    organisations = models.ManyToManyField("directory.Organisation", blank=True, related_name="+")
    note = models.TextField(max_length=NOTE_MAX, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "expressions of interest"
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "user"],
                name="expression_of_interest_unique",
                violation_error_message="You have already expressed interest in this opportunity.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.opportunity}"


# --- proposing the team -------------------------------------------------------------------------------------


class TeamProposal(models.Model):
    """A team the team builder proposed and a user kept, to start a bid with (the bids module takes it on)."""

    opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.CASCADE, related_name="team_proposals"
    )
    brief = models.TextField(blank=True, help_text="The pasted text, when the team is not for an opportunity")
    themes = models.JSONField(default=list)
    constraints = models.JSONField(default=dict, help_text="The constraints the team was solved under")
    members = models.ManyToManyField("directory.Person", related_name="team_proposals")
    # [{"theme": ..., "person": id, "similarity": ...}]: who covers which theme, as solved
    coverage = models.JSONField(default=list)
    objective = models.FloatField()
    solver_status = models.CharField(max_length=20)
    gap = models.FloatField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opportunity__isnull=False) | ~Q(brief=""), name="team_proposal_for_something"
            )
        ]

    def __str__(self) -> str:
        return f"Team for {self.opportunity or 'a brief'} ({self.created_at:%d %b %Y})"
