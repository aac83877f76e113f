"""Importing studies from ClinicalTrials.gov files: the API v2 JSON (`protocolSection…`), the classic
`FullStudiesResponse` JSON and the legacy XML (`clinical_study`, read with defusedxml).

Each file is read into the same plain record (`CtgovRecord`), then written as a Study with its UK locations as
planned StudySite rows. What is mapped, and the assumptions made:

- title: the brief title (the official title when there is none); acronym; NCT number; other identifiers (the
  organisation's study id and the secondary ids); summary (the brief summary); conditions (one a line).
- phase: every CT.gov spelling ("PHASE1"/"Phase 1", "PHASE1, PHASE2"/"Phase 1/Phase 2", "EARLY_PHASE1"/"Early
  Phase 1"/"Phase 0", "NA"/"N/A"/"Not Applicable"); no phase given is "not applicable".
- design: allocation, intervention (or observational) model and masking in CT.gov's words.
- target recruitment: the enrolment count; whether it was anticipated (ESTIMATED/Anticipated) or actual is
  reported in the result.
- eligibility summary: ages and sex, then the criteria text with blank runs squeezed, cut at
  ELIGIBILITY_MAX characters.
- sponsor: the lead sponsor's name; its class INDUSTRY → commercial; NIH, FED, OTHER_GOV (U.S. Fed, NIH) →
  other non-commercial; OTHER, NETWORK, INDIV and anything else → academic. CT.gov's OTHER covers universities,
  hospitals and charities alike, so "academic" is an assumption, stated in the result.
- chief investigator: the first overall official.
- dates: start and completion ("2019-03", "2019-03-15", "March 2019", "March 15, 2019"); a month without a day
  is the month's first day for the start and its last day for the completion. No completion date: the primary
  completion date.
- planned sites: each UK location matched to a directory site (NHS trust or research infrastructure) by its
  normalised name, or by a short table of the Midlands trusts' main hospitals (name and city both match). A UK
  facility that matches nothing is listed as unmatched; nothing is guessed.

A file that is not JSON or XML, has the wrong root, has no NCT number, has a date or phase that cannot be read,
or names an NCT number already in the hub (unless updating) is refused with the file and field named. A batch is
imported all or nothing, in one transaction.
"""

import calendar
import datetime
import hashlib
import json
import re
from dataclasses import dataclass, field
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException
from django.db import transaction

from mhi.core.errors import DomainError, ImportFailed, PermissionDenied, RowProblem
from mhi.studies import access
from mhi.studies.models import (
    Phase,
    SponsorClass,
    Study,
    StudySite,
    StudySiteStatus,
    StudySource,
    StudyStatus,
    StudyType,
)

ELIGIBILITY_MAX = 3000
SUMMARY_MAX = 5000
MAX_FILE_BYTES = 5 * 1024 * 1024
NCT_RE = re.compile(r"^NCT\d{8}$")
UK = "united kingdom"
SOURCE = "ClinicalTrials.gov import"


class FileProblem(RowProblem):
    """A problem with one file's field (CT.gov files have no rows)."""

    def __init__(self, *, file: str, column: str, message: str):
        super().__init__(file=file, row=0, column=column, message=message)

    def __str__(self) -> str:
        if self.column:
            return f"{self.file}, field “{self.column}”: {self.message}"
        return f"{self.file}: {self.message}"


@dataclass
class Location:
    facility: str
    city: str
    country: str


@dataclass
class CtgovRecord:
    """One file's study, read and checked but not saved."""

    file: str
    source: str  # StudySource
    sha256: str
    fields: dict  # Study field values
    enrollment_type: str  # "anticipated", "actual" or ""
    locations: list[Location]
    notes: list[str] = field(default_factory=list)

    @property
    def nct_id(self) -> str:
        return self.fields["nct_id"]

    @property
    def uk_locations(self) -> list[Location]:
        return [loc for loc in self.locations if loc.country.strip().lower() == UK]


@dataclass
class SiteMatch:
    facility: str
    city: str
    site: object | None  # Organisation
    how: str  # "name", "hospital" or ""


@dataclass
class ImportedStudy:
    file: str
    study: Study
    created: bool
    enrollment_type: str
    matched: list[SiteMatch]
    unmatched: list[SiteMatch]
    sites_added: int
    notes: list[str]

    @property
    def enrollment_words(self) -> str:
        if self.study.target_recruitment is None:
            return "no enrolment given"
        kind = {"anticipated": "anticipated", "actual": "actual"}.get(self.enrollment_type, "type not stated")
        return f"{self.study.target_recruitment} ({kind})"


@dataclass
class CtgovImportResult:
    studies: list[ImportedStudy]
    dry_run: bool = False

    @property
    def created(self) -> list[ImportedStudy]:
        return [s for s in self.studies if s.created]

    @property
    def updated(self) -> list[ImportedStudy]:
        return [s for s in self.studies if not s.created]

    @property
    def unmatched(self) -> list[tuple[ImportedStudy, SiteMatch]]:
        return [(s, m) for s in self.studies for m in s.unmatched]


# --- small readers ---------------------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    return " ".join(str(value).split())


def _paragraphs(value, limit: int) -> str:
    """Text with its lines' indentation removed and runs of blank lines squeezed, cut at `limit` characters."""
    if not value:
        return ""
    lines = [line.strip() for line in str(value).replace("\r\n", "\n").split("\n")]
    out, blank = [], False
    for line in lines:
        if not line:
            blank = bool(out)
            continue
        if blank:
            out.append("")
        blank = False
        out.append(line)
    text = "\n".join(out)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def _cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _words(value: str) -> str:
    """A CT.gov enum (RANDOMIZED, PARALLEL, SINGLE_GROUP) or phrase in plain words, first letter capital."""
    value = _text(value).replace("_", " ")
    if value.isupper():
        value = value.lower()
    return value[:1].upper() + value[1:] if value else ""


DATE_FORMATS = [
    ("%Y-%m-%d", False),
    ("%Y-%m", True),
    ("%B %d, %Y", False),
    ("%B %Y", True),
    ("%b %d, %Y", False),
    ("%b %Y", True),
]


def parse_ctgov_date(value: str, *, end: bool = False) -> datetime.date:
    """A CT.gov date: "2019-03-15", "2019-03", "March 15, 2019" or "March 2019". A month without a day is the
    month's first day, or its last when `end`. ValueError if it is none of these."""
    value = _text(value)
    for fmt, month_only in DATE_FORMATS:
        try:
            parsed = datetime.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        if month_only and end:
            parsed = parsed.replace(day=calendar.monthrange(parsed.year, parsed.month)[1])
        return parsed
    raise ValueError(value)


# Every CT.gov spelling of a single phase, normalised (upper case, no spaces, "/" and "_" removed).
_PHASE_WORDS = {
    "EARLYPHASE1": 0.5,
    "PHASE0": 0.5,
    "PHASE1": 1,
    "PHASE2": 2,
    "PHASE3": 3,
    "PHASE4": 4,
    "NA": None,
    "NOTAPPLICABLE": None,
}
_PHASE_SETS = {
    (): Phase.NA,
    (0.5,): Phase.EARLY_1,
    (1,): Phase.PHASE_1,
    (1, 2): Phase.PHASE_1_2,
    (2,): Phase.PHASE_2,
    (2, 3): Phase.PHASE_2_3,
    (3,): Phase.PHASE_3,
    (4,): Phase.PHASE_4,
}


def phase_from_ctgov(values: list[str]) -> str:
    """models.Phase for CT.gov's phase list or phrase ("PHASE1", ["PHASE1","PHASE2"], "Phase 1/Phase 2", "N/A",
    "Not Applicable", "Early Phase 1"). ValueError for a spelling that is none of these."""
    parts = []
    for value in values:
        for piece in re.split(r"[/,]| and ", str(value)):
            key = re.sub(r"[\s_\-]", "", piece).upper()
            if not key:
                continue
            if key not in _PHASE_WORDS:
                if key == "N" or key == "A":  # "N/A" split on "/"
                    continue
                raise ValueError(value)
            number = _PHASE_WORDS[key]
            if number is not None:
                parts.append(number)
    phase = _PHASE_SETS.get(tuple(sorted(set(parts))))
    if phase is None:
        raise ValueError(", ".join(values))
    return phase


SPONSOR_CLASSES = {
    "INDUSTRY": SponsorClass.COMMERCIAL,
    "NIH": SponsorClass.OTHER,
    "FED": SponsorClass.OTHER,
    "U.S. FED": SponsorClass.OTHER,
    "OTHER_GOV": SponsorClass.OTHER,
    "OTHER GOV": SponsorClass.OTHER,
}
SPONSOR_ASSUMPTION = (
    "ClinicalTrials.gov gives the lead sponsor's class as “{raw}”, which covers universities, hospitals and "
    "charities alike; it is recorded as academic."
)


def sponsor_class_from_ctgov(raw: str) -> tuple[str, str]:
    """(models.SponsorClass, an assumption in words or "") for CT.gov's lead sponsor class."""
    key = _text(raw).upper()
    if key in SPONSOR_CLASSES:
        return SPONSOR_CLASSES[key], ""
    return SponsorClass.ACADEMIC, SPONSOR_ASSUMPTION.format(raw=_text(raw) or "not given")


_STUDY_TYPES = {
    "INTERVENTIONAL": StudyType.INTERVENTIONAL,
    "OBSERVATIONAL": StudyType.OBSERVATIONAL,
    "EXPANDED ACCESS": StudyType.EXPANDED_ACCESS,
    "EXPANDED_ACCESS": StudyType.EXPANDED_ACCESS,
}
_STATUSES = {
    "NOT YET RECRUITING": StudyStatus.SETUP,
    "RECRUITING": StudyStatus.RECRUITING,
    "ENROLLING BY INVITATION": StudyStatus.RECRUITING,
    "ACTIVE, NOT RECRUITING": StudyStatus.CLOSED,
    "ACTIVE NOT RECRUITING": StudyStatus.CLOSED,
    "SUSPENDED": StudyStatus.CLOSED,
    "TERMINATED": StudyStatus.CLOSED,
    "COMPLETED": StudyStatus.COMPLETED,
    "WITHDRAWN": StudyStatus.WITHDRAWN,
}


def _study_type(raw: str) -> str:
    key = _text(raw).upper().split("[")[0].strip()
    return _STUDY_TYPES.get(key, StudyType.OTHER if key else StudyType.INTERVENTIONAL)


def _status(raw: str) -> str:
    return _STATUSES.get(_text(raw).upper().replace("_", " "), StudyStatus.SETUP)


# --- the three formats, read into one shape ---------------------------------------------------------------------


@dataclass
class _Raw:
    """A file's values before checking; `where` names each value's field in the file, for messages."""

    values: dict
    where: dict


def _get(data, *path):
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _read_v2(study: dict) -> _Raw:
    ps = study["protocolSection"]
    ident, status = ps.get("identificationModule") or {}, ps.get("statusModule") or {}
    sponsor = _get(ps, "sponsorCollaboratorsModule", "leadSponsor") or {}
    design = ps.get("designModule") or {}
    info = design.get("designInfo") or {}
    elig = ps.get("eligibilityModule") or {}
    contacts = ps.get("contactsLocationsModule") or {}
    p = "protocolSection."
    return _Raw(
        values={
            "nct_id": ident.get("nctId"),
            "brief_title": ident.get("briefTitle"),
            "official_title": ident.get("officialTitle"),
            "acronym": ident.get("acronym"),
            "ids": [_get(ident, "orgStudyIdInfo", "id")] + [i.get("id") for i in _list(ident.get("secondaryIdInfos"))],
            "summary": _get(ps, "descriptionModule", "briefSummary"),
            "conditions": _list(_get(ps, "conditionsModule", "conditions")),
            "phases": _list(design.get("phases")),
            "study_type": design.get("studyType"),
            "allocation": info.get("allocation"),
            "model": info.get("interventionModel") or info.get("observationalModel"),
            "masking": _get(info, "maskingInfo", "masking"),
            "enrollment": _get(design, "enrollmentInfo", "count"),
            "enrollment_type": _get(design, "enrollmentInfo", "type"),
            "criteria": elig.get("eligibilityCriteria"),
            "min_age": elig.get("minimumAge"),
            "max_age": elig.get("maximumAge"),
            "sex": elig.get("sex"),
            "sponsor_name": sponsor.get("name"),
            "sponsor_class": sponsor.get("class"),
            "official": next((o.get("name") for o in _list(contacts.get("overallOfficials")) if o.get("name")), None),
            "start": _get(status, "startDateStruct", "date"),
            "completion": _get(status, "completionDateStruct", "date"),
            "primary_completion": _get(status, "primaryCompletionDateStruct", "date"),
            "overall_status": status.get("overallStatus"),
            "locations": [
                Location(_text(loc.get("facility")), _text(loc.get("city")), _text(loc.get("country")))
                for loc in _list(contacts.get("locations"))
            ],
        },
        where={
            "nct_id": p + "identificationModule.nctId",
            "title": p + "identificationModule.briefTitle",
            "phase": p + "designModule.phases",
            "enrollment": p + "designModule.enrollmentInfo.count",
            "start": p + "statusModule.startDateStruct.date",
            "completion": p + "statusModule.completionDateStruct.date",
            "primary_completion": p + "statusModule.primaryCompletionDateStruct.date",
        },
    )


def _read_classic(study: dict) -> _Raw:
    ps = study["ProtocolSection"]
    ident, status = ps.get("IdentificationModule") or {}, ps.get("StatusModule") or {}
    sponsor = _get(ps, "SponsorCollaboratorsModule", "LeadSponsor") or {}
    design = ps.get("DesignModule") or {}
    info = design.get("DesignInfo") or {}
    elig = ps.get("EligibilityModule") or {}
    contacts = ps.get("ContactsLocationsModule") or {}
    secondary = _list(_get(ident, "SecondaryIdInfoList", "SecondaryIdInfo"))
    officials = _list(_get(contacts, "OverallOfficialList", "OverallOfficial"))
    return _Raw(
        values={
            "nct_id": ident.get("NCTId"),
            "brief_title": ident.get("BriefTitle"),
            "official_title": ident.get("OfficialTitle"),
            "acronym": ident.get("Acronym"),
            "ids": [_get(ident, "OrgStudyIdInfo", "OrgStudyId")] + [i.get("SecondaryId") for i in secondary],
            "summary": _get(ps, "DescriptionModule", "BriefSummary"),
            "conditions": _list(_get(ps, "ConditionsModule", "ConditionList", "Condition")),
            "phases": _list(_get(design, "PhaseList", "Phase")),
            "study_type": design.get("StudyType"),
            "allocation": info.get("DesignAllocation"),
            "model": info.get("DesignInterventionModel") or info.get("DesignObservationalModel"),
            "masking": _get(info, "DesignMaskingInfo", "DesignMasking"),
            "enrollment": _get(design, "EnrollmentInfo", "EnrollmentCount"),
            "enrollment_type": _get(design, "EnrollmentInfo", "EnrollmentType"),
            "criteria": elig.get("EligibilityCriteria"),
            "min_age": elig.get("MinimumAge"),
            "max_age": elig.get("MaximumAge"),
            "sex": elig.get("Gender"),
            "sponsor_name": sponsor.get("LeadSponsorName"),
            "sponsor_class": sponsor.get("LeadSponsorClass"),
            "official": next((o.get("OverallOfficialName") for o in officials if o.get("OverallOfficialName")), None),
            "start": _get(status, "StartDateStruct", "StartDate"),
            "completion": _get(status, "CompletionDateStruct", "CompletionDate"),
            "primary_completion": _get(status, "PrimaryCompletionDateStruct", "PrimaryCompletionDate"),
            "overall_status": status.get("OverallStatus"),
            "locations": [
                Location(
                    _text(loc.get("LocationFacility")),
                    _text(loc.get("LocationCity")),
                    _text(loc.get("LocationCountry")),
                )
                for loc in _list(_get(contacts, "LocationList", "Location"))
            ],
        },
        where={
            "nct_id": "IdentificationModule.NCTId",
            "title": "IdentificationModule.BriefTitle",
            "phase": "DesignModule.PhaseList.Phase",
            "enrollment": "DesignModule.EnrollmentInfo.EnrollmentCount",
            "start": "StatusModule.StartDateStruct.StartDate",
            "completion": "StatusModule.CompletionDateStruct.CompletionDate",
            "primary_completion": "StatusModule.PrimaryCompletionDateStruct.PrimaryCompletionDate",
        },
    )


def _read_xml(root) -> _Raw:
    def t(path):
        node = root.find(path)
        return node.text if node is not None else None

    enrollment = root.find("enrollment")
    officials = [_text(o.findtext("last_name")) for o in root.findall("overall_official")]
    return _Raw(
        values={
            "nct_id": _text(t("id_info/nct_id")),
            "brief_title": t("brief_title"),
            "official_title": t("official_title"),
            "acronym": t("acronym"),
            "ids": [t("id_info/org_study_id")] + [n.text for n in root.findall("id_info/secondary_id")],
            "summary": t("brief_summary/textblock"),
            "conditions": [n.text for n in root.findall("condition")],
            "phases": [t("phase")] if t("phase") else [],
            "study_type": t("study_type"),
            "allocation": t("study_design_info/allocation"),
            "model": t("study_design_info/intervention_model") or t("study_design_info/observational_model"),
            "masking": t("study_design_info/masking"),
            "enrollment": enrollment.text if enrollment is not None else None,
            "enrollment_type": enrollment.get("type") if enrollment is not None else None,
            "criteria": t("eligibility/criteria/textblock"),
            "min_age": t("eligibility/minimum_age"),
            "max_age": t("eligibility/maximum_age"),
            "sex": t("eligibility/gender"),
            "sponsor_name": t("sponsors/lead_sponsor/agency"),
            "sponsor_class": t("sponsors/lead_sponsor/agency_class"),
            "official": next((o for o in officials if o), None),
            "start": t("start_date"),
            "completion": t("completion_date"),
            "primary_completion": t("primary_completion_date"),
            "overall_status": t("overall_status"),
            "locations": [
                Location(
                    _text(loc.findtext("facility/name")),
                    _text(loc.findtext("facility/address/city")),
                    _text(loc.findtext("facility/address/country")),
                )
                for loc in root.findall("location")
            ],
        },
        where={
            "nct_id": "id_info/nct_id",
            "title": "brief_title",
            "phase": "phase",
            "enrollment": "enrollment",
            "start": "start_date",
            "completion": "completion_date",
            "primary_completion": "primary_completion_date",
        },
    )


def _read(data: bytes, filename: str) -> tuple[_Raw, str]:
    """The file's raw values and its StudySource; ImportFailed naming the file when it is no CT.gov record."""

    def refuse(message, column=""):
        raise ImportFailed([FileProblem(file=filename, column=column, message=message)])

    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        try:
            doc = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:
            refuse(f"The file is not valid JSON ({exc}).")
        if isinstance(doc, dict) and isinstance(doc.get("protocolSection"), dict):
            return _read_v2(doc), StudySource.CTGOV_JSON
        if isinstance(doc, dict) and isinstance(doc.get("FullStudiesResponse"), dict):
            studies = _list(doc["FullStudiesResponse"].get("FullStudies"))
            if len(studies) != 1 or not isinstance(_get(studies[0], "Study", "ProtocolSection"), dict):
                refuse(
                    f"A FullStudiesResponse file must hold exactly one study; this one holds {len(studies)}.",
                    "FullStudiesResponse.FullStudies",
                )
            return _read_classic(studies[0]["Study"]), StudySource.CTGOV_JSON
        if isinstance(doc, dict) and isinstance(doc.get("studies"), list):
            refuse(
                "This is a list of studies from the API's search; save each study as its own file "
                "(GET /api/v2/studies/{nctId}).",
                "studies",
            )
        refuse(
            "This JSON is not a ClinicalTrials.gov study: it has neither “protocolSection” (API v2) nor "
            "“FullStudiesResponse” (the classic API).",
        )
    if head == b"<":
        try:
            root = DefusedET.fromstring(data)
        except DefusedXmlException:
            refuse("The XML uses entities or a DTD, which are not accepted.")
        except ParseError as exc:
            refuse(f"The file is not well-formed XML ({exc}).")
        if root.tag != "clinical_study":
            refuse(f"The XML's root element is <{root.tag}>; a ClinicalTrials.gov record's is <clinical_study>.")
        return _read_xml(root), StudySource.CTGOV_XML
    refuse("The file is neither JSON nor XML; upload a ClinicalTrials.gov record (API v2 JSON or the legacy XML).")
    raise AssertionError("unreachable")


def ctgov_parse(data: bytes, *, filename: str) -> CtgovRecord:
    """Read and check one file. ImportFailed (every problem, each naming the file and field) when it is bad."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportFailed(
            [FileProblem(file=filename, column="", message=f"The file is larger than {MAX_FILE_BYTES // 1048576} MB.")]
        )
    raw, source = _read(data, filename)
    v, where = raw.values, raw.where
    problems: list[RowProblem] = []

    def problem(key, message):
        problems.append(FileProblem(file=filename, column=where.get(key, key), message=message))

    nct_id = _text(v["nct_id"]).upper()
    if not nct_id:
        problem("nct_id", "There is no NCT number; a ClinicalTrials.gov record must have one.")
    elif not NCT_RE.match(nct_id):
        problem("nct_id", f"“{nct_id}” is not an NCT number (NCT followed by 8 digits).")
    title = _text(v["brief_title"]) or _text(v["official_title"])
    if not title:
        problem("title", "The study has no title (neither a brief nor an official title).")
    try:
        phase = phase_from_ctgov([p for p in v["phases"] if p])
    except ValueError as exc:
        phase = Phase.NA
        problem("phase", f"“{exc}” is not a ClinicalTrials.gov phase.")
    enrollment = None
    if v["enrollment"] not in (None, ""):
        try:
            enrollment = int(str(v["enrollment"]).strip())
            if enrollment < 0:
                raise ValueError
        except ValueError:
            problem("enrollment", f"“{v['enrollment']}” is not a number of participants.")
    dates = {}
    for key, end in (("start", False), ("completion", True), ("primary_completion", True)):
        if v[key] in (None, ""):
            dates[key] = None
            continue
        try:
            dates[key] = parse_ctgov_date(v[key], end=end)
        except ValueError:
            dates[key] = None
            problem(
                key,
                f"“{_text(v[key])}” is not a date ClinicalTrials.gov writes (like 2019-03, 2019-03-15, March 2019 "
                f"or March 15, 2019).",
            )
    end_date = dates["completion"] or dates["primary_completion"]
    if dates["start"] and end_date and end_date < dates["start"]:
        problem("completion", f"The completion date {end_date:%d %B %Y} is before the start {dates['start']:%d %B %Y}.")
    if problems:
        raise ImportFailed(problems)

    notes = []
    sponsor_class, assumption = sponsor_class_from_ctgov(v["sponsor_class"] or "")
    if assumption:
        notes.append(assumption)
    if dates["completion"] is None and dates["primary_completion"] is not None:
        notes.append("There is no completion date; the primary completion date is used as the planned end.")
    design = "; ".join(
        f"{label}: {_words(value)}"
        for label, value in (("Allocation", v["allocation"]), ("Model", v["model"]), ("Masking", v["masking"]))
        if _text(value)
    )
    ages = _age_words(v["min_age"], v["max_age"])
    sex = _words(v["sex"] or "")
    who = " ".join(part for part in (f"Ages: {ages}." if ages else "", f"Sex: {sex}." if sex else "") if part)
    criteria = _paragraphs(v["criteria"], ELIGIBILITY_MAX)
    eligibility = "\n\n".join(part for part in (who, criteria) if part)
    ids = []
    for other in v["ids"]:
        other = _text(other)
        if other and other != nct_id and other not in ids:
            ids.append(other)
    enrollment_type = _text(v["enrollment_type"]).upper()
    enrollment_type = {"ESTIMATED": "anticipated", "ANTICIPATED": "anticipated", "ACTUAL": "actual"}.get(
        enrollment_type, ""
    )
    fields = {
        "title": _cut(title, 500),
        "acronym": _cut(_text(v["acronym"]), 60),
        "nct_id": nct_id,
        "other_ids": _cut("; ".join(ids), 300),
        "summary": _paragraphs(v["summary"], SUMMARY_MAX),
        "conditions": "\n".join(_cut(_text(c), 200) for c in v["conditions"] if _text(c)),
        "phase": phase,
        "study_type": _study_type(v["study_type"] or ""),
        "design": _cut(design, 500),
        "target_recruitment": enrollment,
        "eligibility_summary": eligibility,
        "sponsor_name": _cut(_text(v["sponsor_name"]), 300),
        "sponsor_class": sponsor_class,
        "chief_investigator": _cut(_text(v["official"]), 200),
        "start_date": dates["start"],
        "end_date": end_date,
        "status": _status(v["overall_status"] or ""),
        "source": source,
        "source_sha256": hashlib.sha256(data).hexdigest(),
    }
    return CtgovRecord(
        file=filename,
        source=source,
        sha256=fields["source_sha256"],
        fields=fields,
        enrollment_type=enrollment_type,
        locations=v["locations"],
        notes=notes,
    )


def _age_words(minimum, maximum) -> str:
    def age(value):
        value = _text(value)
        return "" if value.upper() in ("", "N/A", "NA") else value.lower()

    low, high = age(minimum), age(maximum)
    if low and high:
        return f"{low} to {high}"
    if low:
        return f"{low} and over"
    if high:
        return f"up to {high}"
    return ""


# --- matching UK locations to directory sites -------------------------------------------------------------------

_DROP_WORDS = {"the", "nhs", "foundation", "trust", "ft"}

# The main hospitals of the Midlands trusts in the directory: (hospital, city) → the trust's ODS code. A facility
# matches only when both its normalised name and its city match, so a "Queen Elizabeth Hospital" elsewhere (King's
# Lynn, Gateshead, Woolwich) matches nothing.
HOSPITALS = {
    ("queen elizabeth hospital", "birmingham"): "RRK",
    ("queen elizabeth hospital birmingham", "birmingham"): "RRK",
    ("heartlands hospital", "birmingham"): "RRK",
    ("birmingham heartlands hospital", "birmingham"): "RRK",
    ("good hope hospital", "sutton coldfield"): "RRK",
    ("solihull hospital", "solihull"): "RRK",
    ("nottingham city hospital", "nottingham"): "RX1",
    ("city hospital", "nottingham"): "RX1",
    ("queens medical centre", "nottingham"): "RX1",
    ("leicester royal infirmary", "leicester"): "RWE",
    ("glenfield hospital", "leicester"): "RWE",
    ("leicester general hospital", "leicester"): "RWE",
    ("royal derby hospital", "derby"): "RTG",
    ("royal stoke university hospital", "stoke on trent"): "RJE",
    ("university hospital coventry", "coventry"): "RKB",
    ("new cross hospital", "wolverhampton"): "RL4",
    ("russells hall hospital", "dudley"): "RNA",
    ("birmingham childrens hospital", "birmingham"): "RQ3",
    ("birmingham womens hospital", "birmingham"): "RQ3",
    ("city hospital", "birmingham"): "RXK",
    ("sandwell general hospital", "west bromwich"): "RXK",
    ("lincoln county hospital", "lincoln"): "RWD",
    ("worcestershire royal hospital", "worcester"): "RWP",
    ("royal shrewsbury hospital", "shrewsbury"): "RXW",
    ("hereford county hospital", "hereford"): "RLQ",
    ("kings mill hospital", "sutton in ashfield"): "RK5",
    ("manor hospital", "walsall"): "RBK",
    ("walsall manor hospital", "walsall"): "RBK",
    ("warwick hospital", "warwick"): "RJC",
}


def normalise_name(value: str) -> str:
    """A facility or organisation name for comparison: lower case, no leading site number ("1605 - "), "&" as
    "and", no punctuation, without "the", "NHS", "foundation" and "trust"."""
    value = re.sub(r"^\s*\d+\s*[-–:]\s*", "", value or "").lower().replace("&", " and ")
    value = re.sub(r"[^\w\s]", "", value.replace("-", " "))
    return " ".join(word for word in value.split() if word not in _DROP_WORDS)


def _city(value: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", (value or "").lower().replace("-", " ")).split())


class SiteMatcher:
    """Matches UK facilities to the directory's sites. Built once per import (one query)."""

    def __init__(self):
        self.by_name: dict[str, list] = {}
        self.by_ods: dict[str, object] = {}
        for site in access.sites():
            for name in {normalise_name(site.name), normalise_name(site.short_name)} - {""}:
                self.by_name.setdefault(name, []).append(site)
            if site.ods_code:
                self.by_ods[site.ods_code.upper()] = site

    def match(self, location: Location) -> SiteMatch:
        name, city = normalise_name(location.facility), _city(location.city)
        found = self.by_name.get(name, []) if name else []
        if len(found) == 1:
            return SiteMatch(location.facility, location.city, found[0], "name")
        ods = HOSPITALS.get((name, city))
        if ods and ods in self.by_ods:
            return SiteMatch(location.facility, location.city, self.by_ods[ods], "hospital")
        return SiteMatch(location.facility, location.city, None, "")


# --- importing -------------------------------------------------------------------------------------------------


def ctgov_read_files(files) -> list[CtgovRecord]:
    """Parse every file; ImportFailed with the problems of all of them when any is bad. `files`: (name, bytes)."""
    records, problems, seen = [], [], {}
    for name, data in files:
        try:
            record = ctgov_parse(data, filename=name)
        except ImportFailed as exc:
            problems.extend(exc.problems)
            continue
        if record.nct_id in seen:
            problems.append(
                FileProblem(
                    file=name,
                    column="NCT number",
                    message=f"{record.nct_id} is also in {seen[record.nct_id]}; upload each study once.",
                )
            )
            continue
        seen[record.nct_id] = name
        records.append(record)
    if problems:
        raise ImportFailed(problems)
    return records


class _DryRun(Exception):
    pass


def ctgov_import(*, user, files, update: bool = False, dry_run: bool = False) -> CtgovImportResult:
    """Import ClinicalTrials.gov files, all or nothing. `files`: [(file name, bytes)]. A study whose NCT number is
    already in the hub is refused unless `update` (then its fields are replaced from the file, if the user
    manages it, and matched sites not yet on it are added as planned). `dry_run` checks and matches everything,
    then writes nothing."""
    if not access.may_create_study(user):
        raise PermissionDenied("Only coordinators and members of an organisation in the hub add studies.")
    files = list(files)
    if not files:
        raise DomainError("Choose one or more ClinicalTrials.gov files to import.", field="files")
    records = ctgov_read_files(files)
    try:
        with transaction.atomic():
            result = _write(user=user, records=records, update=update)
            if dry_run:
                raise _DryRun
    except _DryRun:
        result.dry_run = True
    return result


def _write(*, user, records: list[CtgovRecord], update: bool) -> CtgovImportResult:
    from mhi.studies import studies as study_services

    existing = {s.nct_id: s for s in Study.objects.select_for_update().filter(nct_id__in=[r.nct_id for r in records])}
    problems = []
    for record in records:
        study = existing.get(record.nct_id)
        if study is None:
            continue
        if not update:
            problems.append(
                FileProblem(
                    file=record.file,
                    column="NCT number",
                    message=f"{record.nct_id} is already in the hub (“{study}”); choose to update existing studies "
                    f"to replace it from this file.",
                )
            )
        elif not access.may_manage_study(user, study):
            problems.append(
                FileProblem(
                    file=record.file,
                    column="NCT number",
                    message=f"{record.nct_id} is already in the hub and only coordinators and its owner may update it.",
                )
            )
    if problems:
        raise ImportFailed(problems)
    matcher = SiteMatcher()
    out = []
    for record in records:
        matches = [matcher.match(loc) for loc in record.uk_locations]
        matched = [m for m in matches if m.site is not None]
        unmatched = [m for m in matches if m.site is None]
        study = existing.get(record.nct_id)
        created = study is None
        if created:
            study = study_services.study_create(user=user, fields=record.fields, source=SOURCE)
        else:
            study = study_services.study_update(
                user=user, study=study, version=study.version, fields=record.fields, source=SOURCE
            )
        site_ids = list(dict.fromkeys(m.site.pk for m in matched))
        before = set(StudySite.objects.filter(study=study).values_list("site_id", flat=True))
        if site_ids:
            study_services.study_sites_set(user=user, study=study, site_ids=site_ids, status=StudySiteStatus.PLANNED)
        added = len(set(site_ids) - before)
        out.append(
            ImportedStudy(
                file=record.file,
                study=study,
                created=created,
                enrollment_type=record.enrollment_type,
                matched=matched,
                unmatched=unmatched,
                sites_added=added,
                notes=record.notes,
            )
        )
    return CtgovImportResult(studies=out)
