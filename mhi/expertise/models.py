"""Works, authorships, grants, import jobs and the semantic index's stored embeddings."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from mhi.directory.models import Organisation, Person


class Work(models.Model):
    """A publication. DOI, PMID and OpenAlex id are each unique, so re-importing finds the same row."""

    class Source(models.TextChoices):
        OPENALEX = "openalex", "OpenAlex"
        PUBMED = "pubmed", "PubMed"
        JATS = "jats", "JATS"
        CSV = "csv", "CSV"
        MANUAL = "manual", "Entered by hand"

    title = models.TextField()
    abstract = models.TextField(blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    publication_date = models.DateField(null=True, blank=True)
    doi = models.CharField("DOI", max_length=255, null=True, blank=True, unique=True)
    pmid = models.CharField("PMID", max_length=20, null=True, blank=True, unique=True)
    openalex_id = models.CharField("OpenAlex id", max_length=20, null=True, blank=True, unique=True)
    venue = models.CharField(max_length=500, blank=True)
    work_type = models.CharField(max_length=50, blank=True)
    # Subject terms as the source gives them: OpenAlex topics/concepts, PubMed MeSH headings, JATS keywords.
    topics = models.JSONField(default=list, blank=True)
    mesh_terms = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year", "title"]
        indexes = [models.Index(fields=["year"], name="work_year_idx")]

    def __str__(self) -> str:
        return self.title[:120]

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def index_text(self) -> str:
        """What the semantic and lexical indexes read for this work."""
        return f"{self.title}. {self.abstract}".strip()


class Authorship(models.Model):
    """One author of a work as published, linked to a person when matched."""

    class Match(models.TextChoices):
        MATCHED = "matched", "Matched"
        REVIEW = "review", "Needs review"
        UNMATCHED = "unmatched", "Not in the directory"
        REJECTED = "rejected", "Rejected"

    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="authorships")
    position = models.PositiveSmallIntegerField(help_text="1 for the first author")
    raw_name = models.CharField(max_length=300)
    raw_affiliation = models.TextField(blank=True)
    orcid = models.CharField("ORCID iD as published", max_length=19, blank=True)
    institution_rors = models.JSONField(default=list, blank=True)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="authorships")
    match_status = models.CharField(max_length=20, choices=Match.choices, default=Match.UNMATCHED, db_index=True)
    # People an ambiguous authorship might be, for the review queue.
    candidates = models.ManyToManyField(Person, blank=True, related_name="authorship_candidacies")

    class Meta:
        ordering = ["work", "position"]
        constraints = [
            models.UniqueConstraint(fields=["work", "position"], name="authorship_work_position_unique"),
            models.CheckConstraint(
                condition=Q(match_status="matched", person__isnull=False) | ~Q(match_status="matched"),
                name="authorship_matched_has_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.raw_name} on {self.work}"


class AuthorshipDecision(models.Model):
    """A person's (or an admin's) decision on an ambiguous authorship: "this is me" or "this is not me".

    Kept apart from the authorship, keyed by the work and the author's name as published (folded), so a
    re-import that rewrites the work's author list applies the same decisions again instead of asking twice.
    """

    class Decision(models.TextChoices):
        CLAIMED = "claimed", "Claimed"
        REJECTED = "rejected", "Rejected"

    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="authorship_decisions")
    name_key = models.CharField(max_length=300, help_text="The author's name as published, folded")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="authorship_decisions")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["work", "name_key", "person"], name="authorship_decision_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.decision} “{self.name_key}” on work {self.work_id}"


class Grant(models.Model):
    funder = models.CharField(max_length=200)
    reference = models.CharField(max_length=100)
    title = models.TextField()
    abstract = models.TextField(blank=True)
    value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="GBP")
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    lead_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="grants_led"
    )
    source = models.CharField(max_length=20, blank=True, help_text="gtr, csv, manual")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start_date", "title"]
        constraints = [
            models.UniqueConstraint(fields=["funder", "reference"], name="grant_funder_reference_unique"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="grant_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.funder} {self.reference}: {self.title[:80]}"


class GrantParticipant(models.Model):
    class Role(models.TextChoices):
        PI = "pi", "Principal investigator"
        CO_I = "co_i", "Co-investigator"
        RESEARCHER_CO_I = "researcher_co_i", "Researcher co-investigator"
        OTHER = "other", "Other"

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="participants")
    role = models.CharField(max_length=20, choices=Role.choices)
    raw_name = models.CharField(max_length=300)
    raw_organisation = models.CharField(max_length=300, blank=True)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="grant_roles")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="grant_participants"
    )

    class Meta:
        ordering = ["grant", "role", "raw_name"]
        constraints = [
            models.UniqueConstraint(fields=["grant", "raw_name", "role"], name="grant_participant_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.raw_name} ({self.get_role_display()})"


class ImportJob(models.Model):
    """One file import, run as a task; its counters are the progress the page and the command show."""

    class Format(models.TextChoices):
        OPENALEX = "openalex", "OpenAlex JSON / JSON Lines"
        PUBMED = "pubmed", "PubMed XML"
        JATS = "jats", "JATS XML"
        GTR = "gtr", "Gateway to Research projects CSV"
        CSV = "csv", "Generic works CSV"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    format = models.CharField(max_length=20, choices=Format.choices)
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    skip_bad_records = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    records_seen = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    # Progress as a share of the file: bytes of the stored file read so far, of its size.
    bytes_total = models.PositiveBigIntegerField(default=0)
    bytes_read = models.PositiveBigIntegerField(default=0)
    # [{"record": "line 12" / "PMID 123", "message": "..."}]
    report = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_format_display()} import of {self.original_name}"


class IndexedDocument(models.Model):
    """One embedding per document of any kind (work, profile, and later equipment, studies, ...).

    `content_hash` is the SHA-256 of the text that was embedded, so only new or changed text is embedded
    again. The vector is stored as little-endian float32 bytes.
    """

    kind = models.CharField(max_length=30)
    object_id = models.PositiveBigIntegerField()
    content_hash = models.CharField(max_length=64)
    model_name = models.CharField(max_length=100)
    vector = models.BinaryField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="indexed_document_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"


class LexicalDocument(models.Model):
    """The words of one document of any kind, for full-text search beside the semantic index.

    On SQLite an FTS5 table (`expertise_lexical_fts`, external content, kept in step by triggers) indexes
    `text`; on PostgreSQL a GIN index on its English tsvector does. Both are made by migration 0004 and read
    by mhi.expertise.lexical_search.
    """

    kind = models.CharField(max_length=30)
    object_id = models.PositiveBigIntegerField()
    content_hash = models.CharField(max_length=64)
    text = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="lexical_document_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"


class ImpactCaseStudy(models.Model):
    """A REF impact case study: an institution's evidence of the difference its research made."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="impact_case_studies")
    exercise = models.CharField(max_length=10, default="REF2014")
    case_study_id = models.CharField("case study id", max_length=20)
    unit_of_assessment = models.CharField(max_length=200)
    title = models.TextField()
    summary = models.TextField(help_text="Summary of the impact")
    underpinning_research = models.TextField(blank=True)
    details = models.TextField("details of the impact", blank=True)
    institution_as_published = models.CharField(max_length=300, blank=True)
    funders = models.JSONField(default=list, blank=True)
    source_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "impact case studies"
        constraints = [
            models.UniqueConstraint(
                fields=["exercise", "case_study_id", "organisation"], name="impact_case_study_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.exercise} {self.case_study_id}: {self.title[:80]}"

    @property
    def index_text(self) -> str:
        return f"{self.title}. {self.summary} {self.underpinning_research}".strip()


class IndexState(models.Model):
    """The index's version, raised on every change so each process reloads its in-memory matrix."""

    name = models.CharField(max_length=30, unique=True, default="semantic")
    version = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Enquiry(models.Model):
    """The front door: a need described by someone outside (industry, NHS, public), routed by coordinators."""

    class EnquirerKind(models.TextChoices):
        INDUSTRY = "industry", "Industry"
        NHS = "nhs", "NHS"
        PUBLIC = "public", "Member of the public"
        ACADEMIC = "academic", "Academic"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        NEW = "new", "New"
        ROUTED = "routed", "Routed"
        ANSWERED = "answered", "Answered"
        CLOSED = "closed", "Closed"

    enquirer_kind = models.CharField(max_length=20, choices=EnquirerKind.choices)
    name = models.CharField(max_length=200)
    organisation_name = models.CharField(max_length=300, blank=True)
    email = models.EmailField()
    title = models.CharField(max_length=300)
    description = models.TextField()
    # Whether the people it is routed to may contact the enquirer directly; otherwise coordinators put them in touch.
    contact_consent = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    routed_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "enquiries"

    def __str__(self) -> str:
        return self.title


class EnquiryRouting(models.Model):
    """One contact an enquiry was sent to, by whom and when."""

    enquiry = models.ForeignKey(Enquiry, on_delete=models.CASCADE, related_name="routings")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="enquiry_routings")
    routed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    routed_at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["routed_at"]
        constraints = [models.UniqueConstraint(fields=["enquiry", "person"], name="enquiry_routing_unique")]

    def __str__(self) -> str:
        return f"{self.enquiry} → {self.person}"


class EnquiryEvent(models.Model):
    """The enquiry's trail: each status change and note, with who and when."""

    enquiry = models.ForeignKey(Enquiry, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=20, choices=Enquiry.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.enquiry}: {self.get_status_display()}"
