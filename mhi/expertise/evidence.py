"""Institutional evidence: REF impact case studies, imported from the REF's CSV layout, indexed like any
document (by meaning and by words), and found for a text or listed for an organisation.

Case studies are public (the REF publishes them under CC BY 4.0), so every user may read them.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import QuerySet

from mhi.core.errors import DomainError
from mhi.core.imports import ImportProblems, csv_rows
from mhi.directory.models import Organisation
from mhi.expertise.models import ImpactCaseStudy

KIND = "impact_case"
EXERCISE = "REF2014"
REQUIRED = ["Case Study Id", "Institution", "Unit of Assessment", "Title", "Summary of the impact"]
REF_URL = "https://impact.ref.ac.uk/casestudies/CaseStudy.aspx?Id={id}"
FIELDS = {
    "unit_of_assessment": "Unit of Assessment",
    "title": "Title",
    "summary": "Summary of the impact",
    "underpinning_research": "Underpinning research",
    "details": "Details of the impact",
}


@dataclass
class ImpactImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        return text + (f", {len(self.skipped)} skipped" if self.skipped else "")


def _name_key(name: str) -> str:
    name = re.sub(r"\(.*?\)", " ", name.lower())
    name = re.sub(r"^the\s+", "", name.strip())
    return " ".join(re.findall(r"\w+", name))


def _organisation_for(row, *, by_ukprn: dict, by_name: dict) -> Organisation | None:
    ukprn = row.get("UKPRN")
    if ukprn:
        return by_ukprn.get(ukprn)
    institution = row.get("Institution")
    # "University of Warwick and Liverpool School of Tropical Medicine": a joint case study; each institution
    # named that the directory knows gets it.
    return by_name.get(_name_key(institution)) or by_name.get(_name_key(re.split(r"\s+and\s+", institution)[0]))


def impact_cases_import_file(*, path: Path, skip_unmatched: bool = False) -> ImpactImportReport:
    """Import REF impact case studies from a CSV in the REF's column names; all or nothing.

    An institution the directory does not know fails the file with the row named, unless `skip_unmatched`,
    when the row is left out and listed. A second import of the same file changes nothing.
    """
    problems = ImportProblems()
    organisations = list(Organisation.objects.all())
    by_ukprn = {o.ukprn: o for o in organisations if o.ukprn}
    by_name = {_name_key(o.name): o for o in organisations}
    report = ImpactImportReport()
    parsed = []
    for row in csv_rows(Path(path), required=REQUIRED, problems=problems):
        case_id = row.get("Case Study Id")
        if not case_id.isdigit():
            problems.add(row, "Case Study Id", f"“{case_id}” is not a case study number")
            continue
        for column in ("Title", "Summary of the impact"):
            if not row.get(column):
                problems.add(row, column, "is empty")
        organisation = _organisation_for(row, by_ukprn=by_ukprn, by_name=by_name)
        if organisation is None:
            where = f"UKPRN {row.get('UKPRN')}" if row.get("UKPRN") else f"“{row.get('Institution')}”"
            if skip_unmatched:
                report.skipped.append(f"row {row.number}: {where} is not an organisation in the directory")
                continue
            problems.add(row, "UKPRN" if row.get("UKPRN") else "Institution", f"{where} is not in the directory")
            continue
        funders = [f.strip() for f in row.get("Funders").split(";") if f.strip()]
        values = {name: row.get(column) for name, column in FIELDS.items()}
        values["institution_as_published"] = row.get("Institution")[:300]
        values["funders"] = funders
        values["source_url"] = REF_URL.format(id=case_id)
        parsed.append((case_id, organisation, values))
    problems.raise_if_any()
    with transaction.atomic():
        existing = {(c.case_study_id, c.organisation_id): c for c in ImpactCaseStudy.objects.filter(exercise=EXERCISE)}
        for case_id, organisation, values in parsed:
            case = existing.get((case_id, organisation.pk))
            if case is None:
                ImpactCaseStudy.objects.create(
                    exercise=EXERCISE, case_study_id=case_id, organisation=organisation, **values
                )
                report.created += 1
            elif any(getattr(case, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(case, k, v)
                case.save()
                report.updated += 1
            else:
                report.unchanged += 1
    if report.created or report.updated:
        from mhi.expertise.lexical_search import lexical_update

        lexical_update(kind=KIND, documents=impact_case_documents(), remove_missing=True)
    return report


def impact_case_documents():
    return (
        (c.pk, c.index_text) for c in ImpactCaseStudy.objects.only("id", "title", "summary", "underpinning_research")
    )


def impact_cases_index(*, embedder, progress=None):
    """Words (at once) then embeddings of every case study; only new or changed text is embedded."""
    from mhi.expertise.index import index_kind

    return index_kind(KIND, embedder=embedder, progress=progress)


# --- reads --------------------------------------------------------------------------------------------


@dataclass
class EvidenceHit:
    case: ImpactCaseStudy
    similarity: float | None
    snippet: str


def impact_cases_for_text(*, text: str, embedder, organisation=None, limit: int = 3) -> list[EvidenceHit]:
    """The case studies that best match a text (by meaning and words), optionally of one organisation."""
    from mhi.expertise.index import documents_for_text

    query = " ".join((text or "").split())
    if not query:
        return []
    ids = None
    if organisation is not None:
        ids = list(ImpactCaseStudy.objects.filter(organisation=organisation).values_list("pk", flat=True))
    hits = documents_for_text(kind=KIND, text=query, embedder=embedder, limit=limit, object_ids=ids)
    cases = ImpactCaseStudy.objects.select_related("organisation").in_bulk([h.object_id for h in hits])
    return [EvidenceHit(cases[h.object_id], h.similarity, h.snippet) for h in hits if h.object_id in cases]


def impact_cases_of(organisation) -> QuerySet[ImpactCaseStudy]:
    return ImpactCaseStudy.objects.filter(organisation=organisation).order_by("unit_of_assessment", "title")


def impact_cases_list(*, organisation_slug: str = "", unit: str = "") -> QuerySet[ImpactCaseStudy]:
    qs = ImpactCaseStudy.objects.select_related("organisation")
    if organisation_slug:
        qs = qs.filter(organisation__slug=organisation_slug)
    if unit:
        qs = qs.filter(unit_of_assessment=unit)
    return qs.order_by("organisation__name", "title")


def impact_case_get(pk: int) -> ImpactCaseStudy:
    try:
        return ImpactCaseStudy.objects.select_related("organisation").get(pk=pk)
    except ImpactCaseStudy.DoesNotExist:
        raise DomainError("No such impact case study.") from None
