"""Writes for works and authorships: importing publication files (OpenAlex, PubMed, JATS).

Works and authorships are not recorded in the audit trail. One OpenAlex file can hold 100,000 works and
several times as many authorships; an audit event per row would outgrow the works themselves, and each
work already says where it came from (`source`) and when it last changed (`updated_at`). The ImportJob is
the record of who imported what, when, and what it changed.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone

from mhi.core.errors import DomainError, ImportFailed, PermissionDenied
from mhi.core.imports import ReadPosition
from mhi.expertise.importers import READERS
from mhi.expertise.importers.base import FileUnreadable, RecordProblem, WorkRecord, record_problems
from mhi.expertise.importers.matching import AuthorMatch, AuthorMatcher, name_fold
from mhi.expertise.models import Authorship, AuthorshipDecision, ImportJob, Work

# Records written per round trip, and how often the job's counters are refreshed.
BATCH_SIZE = 500
PROGRESS_EVERY = 500
# A refused file reports this many problems at most, so a wholly wrong file does not produce a huge message;
# a skipping import counts every skipped record but lists only the first MAX_SKIPS_LISTED.
MAX_PROBLEMS = 100
MAX_SKIPS_LISTED = 1000

# Found again by these, strongest first.
IDENTIFIERS = ("openalex_id", "doi", "pmid")
IDENTIFIER_NAMES = {"openalex_id": "OpenAlex id", "doi": "DOI", "pmid": "PMID"}
CONTENT_FIELDS = ("title", "abstract", "year", "publication_date", "venue", "work_type", "topics", "mesh_terms")


@dataclass
class ImportReport:
    file: str
    format: str
    records_seen: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # [{"record": "line 12 (W123)", "message": "..."}], the shape ImportJob.report keeps.
    skipped: list[dict] = field(default_factory=list)
    skipped_count: int = 0
    authorships_written: int = 0
    matched: int = 0
    review: int = 0
    unmatched: int = 0

    def counters(self) -> dict:
        return {
            "records_seen": self.records_seen,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped_count,
        }

    def skip(self, record: WorkRecord, message: str) -> None:
        self.skipped_count += 1
        if len(self.skipped) < MAX_SKIPS_LISTED:
            self.skipped.append({"record": record.label, "message": message})

    def summary(self) -> str:
        return (
            f"{self.records_seen:,} records: {self.created:,} created, {self.updated:,} updated, "
            f"{self.unchanged:,} unchanged, {self.skipped_count:,} skipped; {self.authorships_written:,} authorships "
            f"written ({self.matched:,} matched, {self.review:,} to review, {self.unmatched:,} not in the directory)"
        )


def works_import_file(
    *,
    path: Path | str,
    format: str,
    skip_bad_records: bool = False,
    job: ImportJob | None = None,
    actor=None,
    on_progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Import every work in the file, all or nothing, and match its authors to the directory.

    Each record is checked (title, plausible year, DOI and PMID shapes, an identifier to find it again by).
    A bad record refuses the whole file with ImportFailed naming the record, and nothing is written;
    with `skip_bad_records` it is left out and listed in the report instead.

    A work is found again by OpenAlex id, then DOI, then PMID, so importing the same file twice changes
    nothing. A record from the work's own source updates it in place; a record from another source only
    fills what is empty, and brings authors only to a work that has none, so a PubMed file never replaces
    OpenAlex's authors and their institutions. The exception: authors with institution ROR ids (OpenAlex)
    take over from authors without, and their source becomes the work's. Authorships are replaced only
    when the author list changed, and are then matched again.

    `job`'s counters and how far into the file the import has read are refreshed every PROGRESS_EVERY
    records (see ImportJobProgress for when other connections see them); `on_progress` is called at the
    same points for a caller in this process (the command line). `actor` becomes the job's `created_by`
    when it has none.
    """
    path = Path(path)
    reader = READERS.get(format)
    if reader is None:
        raise DomainError(f"“{format}” is not a works format; choose one of {', '.join(READERS)}.", field="format")
    report = ImportReport(file=path.name, format=format)
    with ImportJobProgress(job, report, path=path, actor=actor) as progress:
        if not path.exists():
            raise ImportFailed([RecordProblem(file=path.name, record="", column="-", message=f"not found at {path}")])
        with transaction.atomic():
            _import_records(
                reader(path), report, skip_bad_records=skip_bad_records, progress=progress, on_progress=on_progress
            )
    return report


def _import_records(records: Iterable[WorkRecord], report: ImportReport, *, skip_bad_records, progress, on_progress):
    writer = _BatchWriter(matcher=AuthorMatcher.from_directory(), report=report)
    problems: list[RecordProblem] = []
    batch: list[WorkRecord] = []

    def flush():
        for record, message in writer.write(batch):
            if skip_bad_records:
                report.skip(record, message)
            else:
                problems.append(RecordProblem(file=report.file, record=record.label, column="-", message=message))
        batch.clear()

    try:
        for record in records:
            report.records_seen += 1
            found = [] if record.unsupported else record_problems(record)
            if record.unsupported:
                report.skip(record, record.unsupported)
            elif found and skip_bad_records:
                report.skip(record, "; ".join(m for _, m in found))
            elif found:
                problems += [
                    RecordProblem(file=report.file, record=record.label, column=c, message=m) for c, m in found
                ]
                if len(problems) >= MAX_PROBLEMS:
                    break
            elif not problems:
                # Once the file is refused nothing more is written; reading on finds its other problems.
                batch.append(record)
            if len(batch) >= BATCH_SIZE or report.records_seen % PROGRESS_EVERY == 0:
                flush()
                if report.records_seen % PROGRESS_EVERY == 0:
                    progress.update()
                    if on_progress is not None:
                        on_progress(report)
        if not problems:
            flush()
    except FileUnreadable as exc:
        problems.append(RecordProblem(file=report.file, record="", column="-", message=exc.message))
    if problems:
        raise ImportFailed(problems[:MAX_PROBLEMS])


class _WorkIndex:
    """The works a batch touches, by each identifier, including those the batch is about to create."""

    def __init__(self, works: Iterable[Work]):
        self.by = {name: {} for name in IDENTIFIERS}
        for work in works:
            self.add(work)

    def add(self, work: Work) -> None:
        for name in IDENTIFIERS:
            value = getattr(work, name)
            if value:
                self.by[name][value] = work

    def find(self, record: WorkRecord) -> tuple[Work | None, str]:
        for name in IDENTIFIERS:
            value = getattr(record, name)
            if value and value in self.by[name]:
                return self.by[name][value], name
        return None, ""

    def conflict(self, work: Work, matched_by: str, record: WorkRecord) -> str:
        """Why the record cannot be applied to the work it matched, or ""."""
        for name in IDENTIFIERS:
            value = getattr(record, name)
            if not value:
                continue
            holder = self.by[name].get(value)
            if holder is not None and holder is not work:
                return (
                    f"its {IDENTIFIER_NAMES[matched_by]} is on one work ({_describe(work)}) and its "
                    f"{IDENTIFIER_NAMES[name]} {value} on another ({_describe(holder)}); they cannot both be this record"
                )
            current = getattr(work, name)
            if current and current != value and IDENTIFIERS.index(name) < IDENTIFIERS.index(matched_by):
                return (
                    f"its {IDENTIFIER_NAMES[matched_by]} matches a work whose {IDENTIFIER_NAMES[name]} is "
                    f"{current}, not {value}"
                )
        return ""

    def rekey(self, work: Work, name: str, old: str | None, new: str) -> None:
        if old and self.by[name].get(old) is work:
            del self.by[name][old]
        self.by[name][new] = work


def _describe(work: Work) -> str:
    if work.pk is None:
        return "a work earlier in this file"
    return next((f"{IDENTIFIER_NAMES[n]} {getattr(work, n)}" for n in IDENTIFIERS if getattr(work, n)), f"#{work.pk}")


def _empty(value) -> bool:
    return value is None or value == "" or value == []


def _authors_signature(authors) -> tuple:
    return tuple(a.signature() for a in authors)


def _has_rors(signature: tuple) -> bool:
    return any(author[-1] for author in signature)


@dataclass
class _BatchWriter:
    matcher: AuthorMatcher
    report: ImportReport

    def write(self, records: list[WorkRecord]) -> list[tuple[WorkRecord, str]]:
        """Create or update the batch's works and their authorships; returns the records that conflict
        with works already stored, with the reason."""
        if not records:
            return []
        wanted = {name: {getattr(r, name) for r in records if getattr(r, name)} for name in IDENTIFIERS}
        query = Q(pk__in=[])
        for name, values in wanted.items():
            if values:
                query |= Q(**{f"{name}__in": values})
        index = _WorkIndex(Work.objects.filter(query))
        stored_ids = {w.pk for by in index.by.values() for w in by.values()}
        stored_authors: dict[int, list[tuple]] = {}
        rows = Authorship.objects.filter(work_id__in=stored_ids).order_by("work_id", "position")
        for work_id, *signature in rows.values_list(
            "work_id", "position", "raw_name", "orcid", "raw_affiliation", "institution_rors"
        ):
            signature[-1] = tuple(signature[-1] or ())
            stored_authors.setdefault(work_id, []).append(tuple(signature))

        conflicts, to_create, to_update = [], [], {}
        authors_for: dict[int, tuple[Work, list]] = {}  # keyed by id(work): new works have no pk yet
        replaced: set[int] = set()
        for record in records:
            work, matched_by = index.find(record)
            if work is None:
                work = Work(source=record.source, **{n: getattr(record, n) for n in CONTENT_FIELDS + IDENTIFIERS})
                index.add(work)
                to_create.append(work)
                if record.authors:
                    authors_for[id(work)] = (work, record.authors)
                self.report.created += 1
                continue
            problem = index.conflict(work, matched_by, record)
            if problem:
                conflicts.append((record, problem))
                continue
            if id(work) in authors_for:
                current = _authors_signature(authors_for[id(work)][1])
            else:
                current = tuple(stored_authors.get(work.pk, ()))
            incoming = _authors_signature(record.authors)
            took_over = False
            if work.source != record.source and _has_rors(incoming) and not _has_rors(current):
                # Authors with their institutions' ROR ids (OpenAlex) are worth more than authors without:
                # their source becomes the work's, so later imports from it keep the work up to date.
                work.source = record.source
                took_over = True
            same_source = work.source == record.source
            changed = self._apply(work, record, index, same_source=same_source) or took_over
            authors_changed = False
            if record.authors and current != incoming and (not current or same_source):
                authors_for[id(work)] = (work, record.authors)
                authors_changed = True
                if work.pk is not None:
                    replaced.add(work.pk)
            if work.pk is not None and changed:
                to_update[work.pk] = work
            if changed or authors_changed:
                self.report.updated += 1
            else:
                self.report.unchanged += 1

        if to_update:
            now = timezone.now()
            for work in to_update.values():
                work.updated_at = now
            Work.objects.bulk_update(
                list(to_update.values()), [*CONTENT_FIELDS, *IDENTIFIERS, "source", "updated_at"], batch_size=100
            )
        # Updates first: an identifier moved off one work can then go onto a new one.
        Work.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
        if replaced:
            Authorship.objects.filter(work_id__in=replaced).delete()
        self._write_authorships(authors_for.values())
        return conflicts

    def _apply(self, work: Work, record: WorkRecord, index: _WorkIndex, *, same_source: bool) -> bool:
        changed = False
        for name in CONTENT_FIELDS:
            value, current = getattr(record, name), getattr(work, name)
            if _empty(value) or value == current or not (same_source or _empty(current)):
                continue
            setattr(work, name, value)
            changed = True
        for name in IDENTIFIERS:
            value, current = getattr(record, name), getattr(work, name)
            if value and value != current:
                # conflict() has already refused a change to an identifier stronger than the match.
                setattr(work, name, value)
                index.rekey(work, name, current, value)
                changed = True
        return changed

    def _write_authorships(self, works_and_authors) -> None:
        works_and_authors = list(works_and_authors)
        decisions = _decisions_for([work.pk for work, _ in works_and_authors if work.pk is not None])
        authorships, candidates = [], []
        for work, authors in works_and_authors:
            for author in authors:
                match = self.matcher.match(author)
                if work.pk is not None:
                    match = _apply_decisions(match, decisions.get((work.pk, name_fold(author.raw_name))))
                authorship = Authorship(
                    work=work,
                    position=author.position,
                    raw_name=author.raw_name,
                    raw_affiliation=author.raw_affiliation,
                    orcid=author.orcid,
                    institution_rors=author.institution_rors,
                    person_id=match.person_id,
                    match_status=match.status,
                )
                authorships.append(authorship)
                candidates.append(match.candidate_ids)
                if match.status == Authorship.Match.MATCHED:
                    self.report.matched += 1
                elif match.status == Authorship.Match.REVIEW:
                    self.report.review += 1
                else:
                    self.report.unmatched += 1
        Authorship.objects.bulk_create(authorships, batch_size=BATCH_SIZE)
        self.report.authorships_written += len(authorships)
        through = Authorship.candidates.through
        through.objects.bulk_create(
            [
                through(authorship_id=authorship.pk, person_id=person_id)
                for authorship, people in zip(authorships, candidates, strict=True)
                for person_id in people
            ],
            batch_size=BATCH_SIZE,
        )


def _decisions_for(work_ids: list[int]) -> dict[tuple[int, str], dict]:
    """People's earlier decisions on these works' authorships: {(work, folded name): {"claimed", "rejected"}}."""
    found: dict[tuple[int, str], dict] = {}
    for work_id, key, person_id, decision in AuthorshipDecision.objects.filter(work_id__in=work_ids).values_list(
        "work_id", "name_key", "person_id", "decision"
    ):
        entry = found.setdefault((work_id, key), {"claimed": None, "rejected": set()})
        if decision == AuthorshipDecision.Decision.CLAIMED:
            entry["claimed"] = person_id
        else:
            entry["rejected"].add(person_id)
    return found


def _apply_decisions(match: AuthorMatch, decisions: dict | None) -> AuthorMatch:
    """A re-imported author list asks nobody twice: a claim stands, and a person who said "not me" is not
    matched or asked again."""
    if not decisions:
        return match
    if decisions["claimed"] is not None:
        return AuthorMatch(Authorship.Match.MATCHED, decisions["claimed"], [])
    rejected = decisions["rejected"]
    if match.status == Authorship.Match.MATCHED and match.person_id in rejected:
        return AuthorMatch(Authorship.Match.REJECTED)
    if match.status == Authorship.Match.REVIEW:
        remaining = [p for p in match.candidate_ids if p not in rejected]
        return (
            AuthorMatch(Authorship.Match.REVIEW, None, remaining)
            if remaining
            else AuthorMatch(Authorship.Match.REJECTED)
        )
    return match


def _record_decision(*, actor, authorship: Authorship, person, decision: str) -> None:
    AuthorshipDecision.objects.update_or_create(
        work_id=authorship.work_id,
        name_key=name_fold(authorship.raw_name)[:300],
        person=person,
        defaults={"decision": decision, "decided_by": actor if getattr(actor, "is_authenticated", False) else None},
    )


class ImportJobProgress:
    """A file import's ImportJob from start to finish, around the import:

        with ImportJobProgress(job, report, path=path) as progress:
            ...  # read and write, calling progress.update() every PROGRESS_EVERY records

    Entering marks the job running with the file's size as `bytes_total`; `update()` writes the report's
    counters and how far into the file the reader is (`bytes_read`); leaving marks it done with the report's
    skipped records, or failed with the problems of the ImportFailed (or other error) that ended it. With
    no job it does nothing. `report` is an ImportReport or a GrantImportReport: anything with `file`,
    `counters()` and `skipped`.

    The counters are written while the import's transaction is still open. On PostgreSQL they go through a
    connection of their own, which commits at once, so a page polling the job sees them (the job row is
    committed before the import starts and the import never touches it). SQLite allows one writer at a
    time, and a caller that already holds a transaction would not let another connection see the job; there
    the counters are written in the import's own transaction and are seen when it commits.
    """

    def __init__(self, job: ImportJob | None, report, *, path: Path, actor=None):
        self.job, self.report, self.path, self.actor = job, report, path, actor
        self.read = ReadPosition()
        self.side = None

    def __enter__(self) -> "ImportJobProgress":
        if self.job is not None:
            self._started()
            if connection.vendor == "postgresql" and not connection.in_atomic_block:
                self.side = connections.create_connection(DEFAULT_DB_ALIAS)
        self.read.__enter__()
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        try:
            if isinstance(exc, ImportFailed):
                self._finished(problems=exc.problems)
            elif isinstance(exc, Exception):
                self._finished(problems=[RecordProblem(file=self.report.file, record="", column="-", message=str(exc))])
            elif exc is None:
                self._finished()
        finally:
            if self.side is not None:
                self.side.close()
            self.read.__exit__(exc_type, exc, traceback)

    def update(self) -> None:
        if self.job is None:
            return
        fields = self.report.counters() | {"bytes_read": self.read.bytes_read}
        if self.side is None:
            ImportJob.objects.filter(pk=self.job.pk).update(**fields)
            return
        quote = self.side.ops.quote_name
        assignments = ", ".join(f"{quote(name)} = %s" for name in fields)
        sql = f"UPDATE {quote(ImportJob._meta.db_table)} SET {assignments} WHERE {quote('id')} = %s"  # noqa: S608 - names are ours
        with self.side.cursor() as cursor:
            cursor.execute(sql, [*fields.values(), self.job.pk])

    def _started(self) -> None:
        fields = {"status": ImportJob.Status.RUNNING, "started_at": timezone.now(), "finished_at": None, "error": ""}
        fields |= {"records_seen": 0, "created": 0, "updated": 0, "unchanged": 0, "skipped": 0, "report": []}
        # A JATS folder has no one size; its job shows counts without a percentage.
        fields |= {"bytes_total": self.path.stat().st_size if self.path.is_file() else 0, "bytes_read": 0}
        if self.job.created_by_id is None and getattr(self.actor, "is_authenticated", False):
            fields["created_by"] = self.actor
        self._save(fields)

    def _finished(self, *, problems: list | None = None) -> None:
        if self.job is None:
            return
        fields = {"finished_at": timezone.now(), "bytes_read": self.read.bytes_read} | self.report.counters()
        if problems is None:
            fields |= {"status": ImportJob.Status.DONE, "report": self.report.skipped, "error": ""}
        else:
            # Nothing was written, so nothing was created or updated, however far the reading got.
            fields |= {"status": ImportJob.Status.FAILED, "created": 0, "updated": 0, "unchanged": 0}
            fields |= {"report": [_problem_listed(p) for p in problems], "error": str(problems[0])}
            if len(problems) > 1:
                fields["error"] += f" (and {len(problems) - 1} more problems)"
        self._save(fields)

    def _save(self, fields: dict) -> None:
        ImportJob.objects.filter(pk=self.job.pk).update(**fields)
        for name, value in fields.items():
            setattr(self.job, name, value)


def _problem_listed(problem) -> dict:
    """A problem as the job's report lists it: {"record": "line 2 (W123)" or "row 4", "message": ...}."""
    if isinstance(problem, RecordProblem):
        return {"record": problem.record, "message": problem.message}
    # A CSV row's problem (grants) names its column in the message, as a skipped row's does.
    message = problem.message if problem.column == "-" else f"column “{problem.column}”: {problem.message}"
    return {"record": f"row {problem.row}" if problem.row else "", "message": message}


def _may_decide(user, authorship: Authorship, person) -> bool:
    """Coordinators decide any authorship; institution admins for candidates at their institutions; a person
    for themselves."""
    from mhi.accounts.selectors import user_admin_organisation_ids, user_is_coordinator

    if user_is_coordinator(user):
        return True
    if person is not None and person.user_id == getattr(user, "id", None):
        return True
    admin_orgs = user_admin_organisation_ids(user)
    return person is not None and person.affiliations.filter(organisation_id__in=admin_orgs).exists()


@transaction.atomic
def authorship_claim(*, actor, authorship: Authorship, person) -> Authorship:
    """Settle an ambiguous authorship: it is this person's."""
    authorship = Authorship.objects.select_for_update().get(pk=authorship.pk)
    if authorship.match_status != Authorship.Match.REVIEW:
        raise DomainError("This authorship has already been decided.")
    if not authorship.candidates.filter(pk=person.pk).exists():
        raise DomainError(f"{person} is not one of the people this authorship might be.", field="person")
    if not _may_decide(actor, authorship, person):
        raise PermissionDenied(f"You cannot decide authorships for {person}.")
    authorship.person, authorship.match_status = person, Authorship.Match.MATCHED
    authorship.save(update_fields=["person", "match_status"])
    authorship.candidates.clear()
    _record_decision(actor=actor, authorship=authorship, person=person, decision=AuthorshipDecision.Decision.CLAIMED)
    return authorship


@transaction.atomic
def authorship_reject(*, actor, authorship: Authorship, person) -> Authorship:
    """One candidate says this is not them; with no candidates left the authorship is rejected."""
    authorship = Authorship.objects.select_for_update().get(pk=authorship.pk)
    if authorship.match_status != Authorship.Match.REVIEW:
        raise DomainError("This authorship has already been decided.")
    if not _may_decide(actor, authorship, person):
        raise PermissionDenied(f"You cannot decide authorships for {person}.")
    authorship.candidates.remove(person)
    _record_decision(actor=actor, authorship=authorship, person=person, decision=AuthorshipDecision.Decision.REJECTED)
    if not authorship.candidates.exists():
        authorship.match_status = Authorship.Match.REJECTED
        authorship.save(update_fields=["match_status"])
    return authorship
