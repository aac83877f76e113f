"""Grants: importing funders' project files (Gateway to Research), and the grants a person holds.

Like works, grants are not recorded in the audit trail: each grant says where it came from (`source`) and
when it last changed (`updated_at`), and the import's report says what one file changed.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from mhi.core.errors import DomainError, ImportFailed, RowProblem
from mhi.core.validators import orcid_normalise
from mhi.directory.models import Organisation, Person
from mhi.expertise.importers.base import FileUnreadable
from mhi.expertise.importers.gtr import GrantRecord, gtr_records
from mhi.expertise.models import Grant, GrantParticipant, ImportJob
from mhi.expertise.services import BATCH_SIZE, MAX_PROBLEMS, MAX_SKIPS_LISTED, PROGRESS_EVERY, ImportJobProgress

GRANT_READERS: dict[str, Callable[[Path], Iterator[GrantRecord]]] = {"gtr": gtr_records}
CONTENT_FIELDS = ("title", "value", "start_date", "end_date", "lead_organisation_id")


@dataclass
class GrantImportReport:
    file: str
    format: str
    records_seen: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # [{"record": "row 12 (AH/S004025/1)", "message": "..."}], the shape ImportJob.report keeps.
    skipped: list[dict] = field(default_factory=list)
    skipped_count: int = 0
    participants_written: int = 0
    # Of the rows written, those whose PI was found in the directory by ORCID iD, and those whose lead
    # organisation was found by name.
    pis_matched: int = 0
    lead_organisations_matched: int = 0

    def counters(self) -> dict:
        return {
            "records_seen": self.records_seen,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped_count,
        }

    def skip(self, record: GrantRecord, problems: list[tuple[str, str]]) -> None:
        self.skipped_count += 1
        if len(self.skipped) < MAX_SKIPS_LISTED:
            message = "; ".join(m if c == "-" else f"column “{c}”: {m}" for c, m in problems)
            self.skipped.append({"record": record.label, "message": message})

    def summary(self) -> str:
        return (
            f"{self.records_seen:,} rows: {self.created:,} created, {self.updated:,} updated, "
            f"{self.unchanged:,} unchanged, {self.skipped_count:,} skipped; {self.participants_written:,} "
            f"participants written; {self.pis_matched:,} principal investigators found by ORCID iD, "
            f"{self.lead_organisations_matched:,} lead organisations found by name"
        )


def grants_import_file(
    *,
    path: Path | str,
    format: str,
    skip_bad_records: bool = False,
    job: ImportJob | None = None,
    on_progress: Callable[[GrantImportReport], None] | None = None,
) -> GrantImportReport:
    """Import every project in the file as a grant with its principal investigator, all or nothing.

    Each row is checked (reference, funder and title present, dates that parse and are in order, a
    non-negative award, the PI's ORCID iD check digit). A bad row refuses the whole file with ImportFailed
    naming its file, row and column, and nothing is written; with `skip_bad_records` it is left out and
    listed in the report instead.

    A grant is found again by (funder, reference), so importing the same file twice changes nothing and a
    changed title is updated in place. A value the file leaves empty never clears a stored one (an end
    date or lead organisation set by hand stays), and a grant from another source only has its empty
    fields filled. The lead organisation is the directory organisation whose name is exactly the file's
    (ignoring case); the PI is the person with the PI's ORCID iD, and otherwise left unmatched.

    `job`'s counters and how far into the file the import has read are refreshed every PROGRESS_EVERY
    rows, as for works (see ImportJobProgress); `on_progress` is called at the same points.
    """
    path = Path(path)
    reader = GRANT_READERS.get(format)
    if reader is None:
        raise DomainError(
            f"“{format}” is not a grants format; choose one of {', '.join(GRANT_READERS)}.", field="format"
        )
    report = GrantImportReport(file=path.name, format=format)
    with ImportJobProgress(job, report, path=path) as progress:
        if not path.exists():
            raise ImportFailed([RowProblem(file=path.name, row=0, column="-", message=f"not found at {path}")])
        with transaction.atomic():
            _import_records(
                reader(path), report, skip_bad_records=skip_bad_records, progress=progress, on_progress=on_progress
            )
    return report


def _import_records(
    records: Iterable[GrantRecord], report: GrantImportReport, *, skip_bad_records, progress, on_progress
):
    writer = _GrantWriter(
        organisation_ids=_organisation_ids_by_name(), person_ids=_person_ids_by_orcid(), report=report
    )
    problems: list[RowProblem] = []
    batch: list[GrantRecord] = []
    first_row: dict[tuple[str, str], int] = {}
    try:
        for record in records:
            report.records_seen += 1
            found = list(record.problems)
            if not found:
                key = (record.funder, record.reference)
                if key in first_row:
                    found.append(
                        (
                            "ProjectReference",
                            f"{record.reference} is also on row {first_row[key]}; list each project once",
                        )
                    )
                else:
                    first_row[key] = record.row
            if found and skip_bad_records:
                report.skip(record, found)
            elif found:
                problems += [RowProblem(file=report.file, row=record.row, column=c, message=m) for c, m in found]
                if len(problems) >= MAX_PROBLEMS:
                    break
            elif not problems:
                # Once the file is refused nothing more is written; reading on finds its other problems.
                batch.append(record)
            # Written at each progress point too, so the job's counts are those of the rows read.
            if len(batch) >= BATCH_SIZE or report.records_seen % PROGRESS_EVERY == 0:
                writer.write(batch)
                batch.clear()
            if report.records_seen % PROGRESS_EVERY == 0:
                progress.update()
                if on_progress is not None:
                    on_progress(report)
        if not problems:
            writer.write(batch)
    except FileUnreadable as exc:
        problems.append(RowProblem(file=report.file, row=0, column="-", message=exc.message))
    if problems:
        raise ImportFailed(problems[:MAX_PROBLEMS])


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _organisation_ids_by_name() -> dict[str, int | None]:
    """Exact names, ignoring case and spacing; None for a name two organisations share, which is not guessed
    between. Nor is "University of X" taken for "X University": a near name is left for a person to link."""
    ids: dict[str, int | None] = {}
    for pk, name in Organisation.objects.values_list("pk", "name"):
        key = _name_key(name)
        ids[key] = None if key in ids else pk
    return ids


def _person_ids_by_orcid() -> dict[str, int]:
    people = Person.objects.exclude(orcid__isnull=True).exclude(orcid="").values_list("pk", "orcid")
    return {orcid_normalise(orcid): pk for pk, orcid in people}


def _empty(value) -> bool:
    return value is None or value == ""


@dataclass
class _GrantWriter:
    organisation_ids: dict[str, int | None]
    person_ids: dict[str, int]
    report: GrantImportReport

    def write(self, records: list[GrantRecord]) -> None:
        if not records:
            return
        query = Q(pk__in=[])
        for funder in {r.funder for r in records}:
            query |= Q(funder=funder, reference__in=[r.reference for r in records if r.funder == funder])
        stored = {(g.funder, g.reference): g for g in Grant.objects.filter(query)}
        stored_pis: dict[int, list[GrantParticipant]] = {}
        for participant in GrantParticipant.objects.filter(grant__in=stored.values(), role=GrantParticipant.Role.PI):
            stored_pis.setdefault(participant.grant_id, []).append(participant)

        to_create, to_update = [], []
        pis_for: list[tuple[Grant, GrantRecord]] = []
        for record in records:
            lead_id = self.organisation_ids.get(_name_key(record.lead_organisation_name))
            self.report.lead_organisations_matched += lead_id is not None
            self.report.pis_matched += any(p.orcid in self.person_ids for p in record.participants)
            grant = stored.get((record.funder, record.reference))
            if grant is None:
                grant = Grant(funder=record.funder, reference=record.reference, source=record.source)
                self._apply(grant, record, lead_id, same_source=True)
                to_create.append(grant)
                pis_for.append((grant, record))
                self.report.created += 1
                continue
            same_source = grant.source == record.source
            changed = self._apply(grant, record, lead_id, same_source=same_source)
            participants_changed = self._sync_pis(grant, record, stored_pis.get(grant.pk, []), lead_id, same_source)
            if changed:
                to_update.append(grant)
            if changed or participants_changed:
                self.report.updated += 1
            else:
                self.report.unchanged += 1
        if to_update:
            now = timezone.now()
            for grant in to_update:
                grant.updated_at = now
            Grant.objects.bulk_update(to_update, [*CONTENT_FIELDS, "updated_at"], batch_size=100)
        Grant.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
        participants = [
            self._participant(grant, participant, self.organisation_ids.get(_name_key(record.lead_organisation_name)))
            for grant, record in pis_for
            for participant in record.participants
        ]
        GrantParticipant.objects.bulk_create(participants, batch_size=BATCH_SIZE)
        self.report.participants_written += len(participants)

    def _apply(self, grant: Grant, record: GrantRecord, lead_id: int | None, *, same_source: bool) -> bool:
        changed = False
        incoming = {name: getattr(record, name) for name in CONTENT_FIELDS if name != "lead_organisation_id"}
        incoming["lead_organisation_id"] = lead_id
        for name, value in incoming.items():
            current = getattr(grant, name)
            if _empty(value) or value == current or not (same_source or _empty(current)):
                continue
            setattr(grant, name, value)
            changed = True
        return changed

    def _participant(self, grant: Grant, participant, organisation_id: int | None) -> GrantParticipant:
        return GrantParticipant(
            grant=grant,
            role=participant.role,
            raw_name=participant.raw_name,
            raw_organisation=participant.raw_organisation,
            person_id=self.person_ids.get(participant.orcid) if participant.orcid else None,
            organisation_id=organisation_id,
        )

    def _sync_pis(self, grant, record, stored: list[GrantParticipant], lead_id, same_source: bool) -> bool:
        """Bring the grant's PI in line with the file's; True when anything changed.

        A person or organisation linked by hand is kept when the file does not name one, and a grant from
        another source is only given a PI when it has none.
        """
        if not record.participants or (stored and not same_source):
            return False
        wanted = record.participants[0]
        current = next((p for p in stored if p.raw_name == wanted.raw_name), None)
        if current is None:
            GrantParticipant.objects.filter(pk__in=[p.pk for p in stored]).delete()
            self._participant(grant, wanted, lead_id).save()
            self.report.participants_written += 1
            return True
        updates = {}
        person_id = self.person_ids.get(wanted.orcid) if wanted.orcid else None
        if person_id is not None and person_id != current.person_id:
            updates["person_id"] = person_id
        if lead_id is not None and lead_id != current.organisation_id:
            updates["organisation_id"] = lead_id
        if wanted.raw_organisation and wanted.raw_organisation != current.raw_organisation:
            updates["raw_organisation"] = wanted.raw_organisation
        others = [p.pk for p in stored if p is not current]
        if others:
            GrantParticipant.objects.filter(pk__in=others).delete()
        if updates:
            GrantParticipant.objects.filter(pk=current.pk).update(**updates)
        return bool(updates or others)


def grants_of(person: Person) -> QuerySet[Grant]:
    """The grants the person holds any role on, newest first, with their lead organisations."""
    return Grant.objects.filter(participants__person=person).distinct().select_related("lead_organisation")
