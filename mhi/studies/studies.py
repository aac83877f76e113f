"""Studies and their planned sites: services (writes, audited, each in one transaction) and selectors (reads,
always through `access.studies_visible_to`).

Edits use optimistic locking on Study.version: `study_update` names the version the editor started from and
raises it with a conditional UPDATE (… SET version = version + 1 WHERE id = … AND version = <that version>), so
of two edits started from the same version only one can pass, however they interleave; the other is refused with
StudyConflict carrying both versions, and nothing of it is written.
"""

import datetime
import decimal
import re
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, Q, QuerySet

from mhi.core.audit import audit_delete, audit_save_or_refuse
from mhi.core.errors import Conflict, DomainError, PermissionDenied
from mhi.directory.models import Organisation
from mhi.studies import access
from mhi.studies.models import (
    FeasibilityRequest,
    Phase,
    SponsorClass,
    Study,
    StudySite,
    StudySiteStatus,
    StudySource,
    StudyStatus,
    StudyType,
)

EDITABLE_FIELDS = (
    "title",
    "acronym",
    "nct_id",
    "other_ids",
    "summary",
    "conditions",
    "phase",
    "study_type",
    "design",
    "target_recruitment",
    "eligibility_summary",
    "eligibility_fraction",
    "prevalence_condition",
    "sponsor_name",
    "sponsor_class",
    "chief_investigator",
    "start_date",
    "end_date",
    "status",
    "budget",
)
# Set by imports and the demo, not by the edit form.
SYSTEM_FIELDS = ("source", "source_sha256", "is_demo")
SITE_FIELDS = ("status", "local_pi", "target", "monthly_target", "opened_on", "closed_on")
NCT_RE = re.compile(r"^NCT\d{8}$")
PENNY = decimal.Decimal("0.01")
# A site moves forward along this order when it is set again (planned → selected); it never moves back here.
_SITE_RANK = {StudySiteStatus.PLANNED: 0, StudySiteStatus.SELECTED: 1}


class StudyConflict(Conflict):
    """Someone else changed the study since the editor loaded it. `current` and `submitted` hold the edited
    fields' values (JSON-ready), `fields` those that differ."""

    def __init__(self, *, current: dict, submitted: dict, current_version: int, submitted_version: int, fields):
        self.current = current
        self.submitted = submitted
        self.current_version = current_version
        self.submitted_version = submitted_version
        self.fields = list(fields)
        names = ", ".join(str(Study._meta.get_field(name).verbose_name) for name in self.fields)
        super().__init__(
            f"Someone else changed this study while you were editing it (you started from version "
            f"{submitted_version}; it is now version {current_version}). Their values differ from yours in: "
            f"{names}. Check both versions and save again.",
            field=self.fields[0] if self.fields else None,
        )


# --- helpers ----------------------------------------------------------------------------------------------------


def _actor(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _save(instance, *, actor, fields: dict | None = None, source: str = "") -> bool:
    return audit_save_or_refuse(instance=instance, actor=actor, fields=fields, source=source)


def _require_manage(user, study: Study) -> None:
    if not access.study_permissions(user=user, study=study).view:
        raise PermissionDenied("You cannot see this study.")
    if not access.may_manage_study(user, study):
        raise PermissionDenied("Only coordinators and the study's owner change a study and its sites.")


def _plain(value):
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _site(value) -> Organisation:
    """A directory organisation that is a site (NHS trust or research infrastructure), or DomainError."""
    if isinstance(value, Organisation):
        value = value.pk
    pk = int(value) if str(value).strip().isdigit() else None
    site = access.sites().filter(pk=pk).first() if pk else None
    if site is not None:
        return site
    other = Organisation.objects.filter(pk=pk).first() if pk else None
    if other is not None:
        raise DomainError(
            f"{other.name} is {other.get_kind_display().lower()}; a study site must be an NHS trust or a research "
            f"infrastructure organisation.",
            field="site",
        )
    raise DomainError("Choose a site from the directory (an NHS trust or research infrastructure).", field="site")


def _whole(value, *, name: str, label: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value).replace(",", "").strip())
    except (TypeError, ValueError):
        raise DomainError(f"The {label} must be a whole number, like 120.", field=name) from None
    if number < 0:
        raise DomainError(f"The {label} cannot be negative.", field=name)
    return number


def _date(value, *, name: str, label: str) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise DomainError(f"The {label} must be a date, like 2027-03-01.", field=name) from None


def _choice(value, choices, *, name: str, label: str) -> str:
    if value not in choices.values:
        raise DomainError(
            f"“{value}” is not a {label}; choose one of {', '.join(str(c) for c in choices.labels).lower()}.",
            field=name,
        )
    return value


def _clean_fields(fields: dict, *, allowed=EDITABLE_FIELDS) -> dict:
    """The fields given, checked and in stored form; DomainError naming the first wrong field."""
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise DomainError(f"“{unknown[0]}” cannot be changed here.", field=unknown[0])
    clean = {}
    for name, value in fields.items():
        if name == "title":
            value = " ".join(str(value or "").split())
            if not value:
                raise DomainError("Enter the study's title.", field="title")
            if len(value) > 500:
                raise DomainError(f"The title is {len(value)} characters; shorten it to 500.", field="title")
        elif name == "nct_id":
            value = (str(value or "")).strip().upper() or None
            if value and not NCT_RE.match(value):
                raise DomainError(f"“{value}” is not an NCT number (NCT followed by 8 digits).", field="nct_id")
        elif name in ("acronym", "other_ids", "design", "sponsor_name", "chief_investigator", "prevalence_condition"):
            value = " ".join(str(value or "").split())
        elif name in ("summary", "eligibility_summary"):
            value = str(value or "").strip()
        elif name == "conditions":
            if isinstance(value, list | tuple):
                value = "\n".join(str(v) for v in value)
            value = "\n".join(line.strip() for line in str(value or "").splitlines() if line.strip())
        elif name == "phase":
            value = _choice(value, Phase, name=name, label="phase")
        elif name == "study_type":
            value = _choice(value, StudyType, name=name, label="study type")
        elif name == "sponsor_class":
            value = _choice(value, SponsorClass, name=name, label="sponsor class")
        elif name == "status":
            value = _choice(value, StudyStatus, name=name, label="study status")
        elif name == "source":
            value = _choice(value, StudySource, name=name, label="source")
        elif name == "target_recruitment":
            value = _whole(value, name=name, label="target recruitment")
        elif name in ("start_date", "end_date"):
            value = _date(value, name=name, label="planned start" if name == "start_date" else "planned end")
        elif name == "eligibility_fraction":
            value = _fraction(value)
        elif name == "budget":
            value = _money(value)
        clean[name] = value
    return clean


def _fraction(value) -> decimal.Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = decimal.Decimal(str(value).strip())
    except decimal.InvalidOperation:
        raise DomainError(
            "The eligibility fraction must be a number between 0 and 1, like 0.25.", field="eligibility_fraction"
        ) from None
    if not number.is_finite() or number < 0 or number > 1:
        raise DomainError("The eligibility fraction must be between 0 and 1, like 0.25.", field="eligibility_fraction")
    return number.quantize(decimal.Decimal("0.00001"))


def _money(value) -> decimal.Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = decimal.Decimal(str(value).replace(",", "").replace("£", "").strip())
    except decimal.InvalidOperation:
        raise DomainError("The budget must be an amount in pounds, like 25000.", field="budget") from None
    if not amount.is_finite():
        raise DomainError("The budget must be an amount in pounds, like 25000.", field="budget")
    if amount < 0:
        raise DomainError("The budget cannot be negative.", field="budget")
    if amount >= decimal.Decimal("1e10"):
        raise DomainError("The budget is too large; give it in pounds, like 25000.", field="budget")
    return amount.quantize(PENNY)


def _check_whole(values: dict, *, study: Study | None = None) -> None:
    """Rules across fields: the end not before the start, an NCT number used once."""
    start = values.get("start_date", getattr(study, "start_date", None))
    end = values.get("end_date", getattr(study, "end_date", None))
    if start and end and end < start:
        raise DomainError(
            f"The planned end of recruitment ({end:%d %B %Y}) is before the planned start ({start:%d %B %Y}).",
            field="end_date",
        )
    nct_id = values.get("nct_id")
    if nct_id:
        other = Study.objects.filter(nct_id=nct_id).exclude(pk=getattr(study, "pk", None)).first()
        if other is not None:
            raise DomainError(f"{nct_id} is already the NCT number of another study in the hub.", field="nct_id")


def _stored(study: Study, name: str):
    value = getattr(study, name)
    if name == "budget" and value is not None:
        return decimal.Decimal(value).quantize(PENNY)
    if name == "eligibility_fraction" and value is not None:
        return decimal.Decimal(value).quantize(decimal.Decimal("0.00001"))
    return value


# --- studies ----------------------------------------------------------------------------------------------------


@transaction.atomic
def study_create(*, user, fields: dict, source: str = "") -> Study:
    """A new study owned by `user`. `fields`: any of EDITABLE_FIELDS (and, from imports, SYSTEM_FIELDS)."""
    if not access.may_create_study(user):
        raise PermissionDenied("Only coordinators and members of an organisation in the hub add studies.")
    clean = _clean_fields(dict(fields), allowed=EDITABLE_FIELDS + SYSTEM_FIELDS)
    if "title" not in clean:
        raise DomainError("Enter the study's title.", field="title")
    _check_whole(clean)
    study = Study(owner=_actor(user), **clean)
    _save(study, actor=user, source=source)
    return study


@transaction.atomic
def study_update(*, user, study: Study, version: int, fields: dict, source: str = "") -> Study:
    """Change the study's fields from the version the editor started from. Nothing differs: nothing is written.
    A stale version is refused with StudyConflict; otherwise the version is raised by a conditional UPDATE, so
    a concurrent edit from the same version fails even if it passed the check above at the same moment."""
    _require_manage(user, study)
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise DomainError("Give the version you started from (a whole number).", field="version") from None
    current = Study.objects.get(pk=study.pk)
    clean = _clean_fields(dict(fields), allowed=EDITABLE_FIELDS + SYSTEM_FIELDS)
    differing = [name for name, value in clean.items() if value != _stored(current, name)]
    if not differing:
        return current
    bumped = Study.objects.filter(pk=study.pk, version=version).update(version=F("version") + 1)
    if bumped != 1:
        current = Study.objects.get(pk=study.pk)
        raise StudyConflict(
            current={name: _plain(_stored(current, name)) for name in clean},
            submitted={name: _plain(value) for name, value in clean.items()},
            current_version=current.version,
            submitted_version=version,
            fields=[name for name, value in clean.items() if value != _stored(current, name)] or differing,
        )
    _check_whole(clean, study=current)
    current = Study.objects.get(pk=study.pk)  # its version now raised
    _save(current, actor=user, fields={name: clean[name] for name in differing}, source=source)
    _copy_state(current, study)
    return current


def _copy_state(source: Study, target: Study) -> None:
    if target is source:
        return
    for f in Study._meta.concrete_fields:
        setattr(target, f.attname, getattr(source, f.attname))


@transaction.atomic
def study_status_set(*, user, study: Study, status: str) -> Study:
    """Move the study to another status (one deliberate action: no version is asked; the version is raised)."""
    _require_manage(user, study)
    status = _choice(status, StudyStatus, name="status", label="study status")
    current = Study.objects.select_for_update().get(pk=study.pk)
    if current.status == status:
        return current
    _save(current, actor=user, fields={"status": status, "version": current.version + 1})
    _copy_state(current, study)
    return current


# --- planned sites ----------------------------------------------------------------------------------------------


@transaction.atomic
def study_sites_set(
    *,
    user,
    study: Study,
    site_ids,
    status: str = StudySiteStatus.SELECTED,
    chosen_from: FeasibilityRequest | None = None,
) -> list[StudySite]:
    """Add the sites to the study (one StudySite each, audited) and return their rows, in the order given.

    A site already on the study keeps its row: a planned site moves to selected when `status` is selected (a site
    already selected, open, closed or withdrawn keeps its status), and it records `chosen_from` if it had none.
    """
    _require_manage(user, study)
    status = _choice(status, StudySiteStatus, name="status", label="site status")
    if chosen_from is not None and chosen_from.study_id != study.pk:
        raise DomainError("The feasibility request is for another study.", field="chosen_from")
    ids: list[int] = []
    for value in site_ids:
        site = _site(value)
        if site.pk not in ids:
            ids.append(site.pk)
    existing = {row.site_id: row for row in StudySite.objects.select_for_update().filter(study=study, site_id__in=ids)}
    rows = []
    for site_id in ids:
        row = existing.get(site_id)
        if row is None:
            row = StudySite(study=study, site_id=site_id, status=status, chosen_from=chosen_from)
            _save(row, actor=user)
        else:
            changes = {}
            old_rank, new_rank = _SITE_RANK.get(row.status), _SITE_RANK.get(status)
            if old_rank is not None and new_rank is not None and new_rank > old_rank:
                changes["status"] = status
            if chosen_from is not None and row.chosen_from_id is None:
                changes["chosen_from"] = chosen_from
            if changes:
                _save(row, actor=user, fields=changes)
        rows.append(row)
    return rows


def _clean_site_fields(fields: dict, *, row: StudySite | None = None) -> dict:
    unknown = sorted(set(fields) - set(SITE_FIELDS))
    if unknown:
        raise DomainError(f"“{unknown[0]}” cannot be changed here.", field=unknown[0])
    clean = {}
    for name, value in fields.items():
        if name == "status":
            value = _choice(value, StudySiteStatus, name=name, label="site status")
        elif name == "local_pi":
            value = " ".join(str(value or "").split())
            if len(value) > 200:
                raise DomainError("The local PI's name is too long; shorten it to 200 characters.", field=name)
        elif name == "target":
            value = _whole(value, name=name, label="recruitment target")
        elif name == "monthly_target":
            value = _whole(value, name=name, label="monthly target")
        elif name in ("opened_on", "closed_on"):
            value = _date(value, name=name, label="opening date" if name == "opened_on" else "closing date")
        clean[name] = value
    opened = clean.get("opened_on", getattr(row, "opened_on", None))
    closed = clean.get("closed_on", getattr(row, "closed_on", None))
    if opened and closed and closed < opened:
        raise DomainError(
            f"The site cannot close ({closed:%d %B %Y}) before it opened ({opened:%d %B %Y}).", field="closed_on"
        )
    return clean


@transaction.atomic
def study_site_add(*, user, study: Study, site, **fields) -> StudySite:
    """Plan one site for the study, with its status (planned unless given), local PI and targets."""
    _require_manage(user, study)
    site = _site(site)
    clean = _clean_site_fields(fields)
    if StudySite.objects.filter(study=study, site=site).exists():
        raise DomainError(f"{site.name} is already a site of this study.", field="site")
    row = StudySite(study=study, site=site, **clean)
    _save(row, actor=user)
    return row


@transaction.atomic
def study_site_update(*, user, study_site: StudySite, fields: dict) -> StudySite:
    _require_manage(user, study_site.study)
    row = StudySite.objects.select_for_update().get(pk=study_site.pk)
    clean = _clean_site_fields(dict(fields), row=row)
    _save(row, actor=user, fields=clean)
    return row


@transaction.atomic
def study_site_remove(*, user, study_site: StudySite) -> None:
    """Take a site off the study. One with recruitment recorded stays (mark it closed or withdrawn instead)."""
    _require_manage(user, study_site.study)
    row = StudySite.objects.select_for_update().select_related("site").get(pk=study_site.pk)
    if row.recruitment.exists():
        raise DomainError(
            f"{row.site.name} has recruitment recorded for this study, so it stays; mark it closed or withdrawn "
            f"instead.",
            field="site",
        )
    audit_delete(instance=row, actor=_actor(user))


# --- selectors --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StudyFilters:
    q: str = ""
    condition: str = ""
    phase: str = ""
    sponsor_class: str = ""
    status: str = ""


def studies_search(*, user, filters: StudyFilters | None = None) -> QuerySet[Study]:
    """The studies the user may see, filtered: words (title, acronym, NCT number, summary, sponsor, chief
    investigator), a condition (part of a line), phase, sponsor class and status. Newest first, with site counts."""
    filters = filters or StudyFilters()
    qs = access.studies_visible_to(user=user)
    for word in filters.q.split()[:10]:
        qs = qs.filter(
            Q(title__icontains=word)
            | Q(acronym__icontains=word)
            | Q(nct_id__icontains=word)
            | Q(summary__icontains=word)
            | Q(sponsor_name__icontains=word)
            | Q(chief_investigator__icontains=word)
            | Q(conditions__icontains=word)
        )
    if filters.condition.strip():
        qs = qs.filter(conditions__icontains=filters.condition.strip())
    if filters.phase:
        qs = qs.filter(phase=_choice(filters.phase, Phase, name="phase", label="phase"))
    if filters.sponsor_class:
        qs = qs.filter(
            sponsor_class=_choice(filters.sponsor_class, SponsorClass, name="sponsor_class", label="sponsor class")
        )
    if filters.status:
        qs = qs.filter(status=_choice(filters.status, StudyStatus, name="status", label="study status"))
    return qs.annotate(site_count=Count("study_sites")).order_by("-created_at", "-id")


def study_sites_of(study: Study) -> QuerySet[StudySite]:
    return StudySite.objects.filter(study=study).select_related("site", "chosen_from").order_by("site__name")


def study_site_for(*, study: Study, pk) -> StudySite:
    from django.http import Http404

    row = study_sites_of(study).filter(pk=pk).first() if str(pk).isdigit() else None
    if row is None:
        raise Http404("No such site on this study.")
    return row


def site_choices() -> QuerySet[Organisation]:
    return access.sites().order_by("name")


def study_conditions_known(*, user) -> list[str]:
    """Conditions named by the studies the user may see, for the list's filter."""
    seen = set()
    for text in access.studies_visible_to(user=user).values_list("conditions", flat=True)[:2000]:
        for line in text.splitlines():
            if line.strip():
                seen.add(line.strip())
    return sorted(seen, key=str.lower)
