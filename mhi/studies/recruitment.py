"""Recruitment tracking: monthly recruitment per study site (recorded by form, API or an EDGE-like CSV upload),
measured against targets with a red/amber/green status and a forecast completion month.

Recording. A RecruitmentEntry is one site's participants in one calendar month (stored as the month's first
day). A count below zero, a month after the current month, a month before the site opened (when its opening
date is set) or after it closed, and a month already recorded are refused with the reason. A recorded month
changes only by an explicit correction (`recruitment_correct`), audited with the old and the new value. Site
users record for their own site; coordinators and the study's owner for every site (mhi.studies.access).
"Now" is `django.utils.timezone.localdate()`.

Measures (`study_recruitment_summary`), for each site and for the whole study:
- *months open*: whole months from the site's opening month (or, when no opening date is set, its first
  recorded month) to the end of the last complete month (the current month counts once it is over), or to its
  closing month.
- *recent rate*: the mean of the last three recorded months (fewer when fewer are recorded).
- *expected to date*: the monthly target × months open; with no monthly target, the target pro rata over the
  study's planned recruitment period (start_date to end_date, whole months, both ends counted) for the months
  of it that are over. For the whole study: the study's target (or, without one, the sum of the sites'
  targets) pro rata over the planned period; without planned dates, the sum of the sites' expected to date.
- *RAG*: recruited to date over expected to date: **green at 90% or more, amber from 70% to under 90%, red
  under 70%** (GREEN_AT and AMBER_AT). Not rated when nothing is expected yet or expected cannot be worked out.
- *forecast completion*: the month the target is reached at the recent rate, counting on from the later of the
  last recorded month and the last complete month; the study's rate is the sum of its recruiting sites' recent
  rates (closed and withdrawn sites recruit no more). Not forecastable, with the reason, when there is no
  target or no rate. Compared to the planned end of recruitment (study.end_date).

CSV upload (`recruitment_upload`): the per-site-month layout of an EDGE recruitment export, one row per site and
month, all or nothing; see CSV_COLUMNS and the upload page. `recruitment_csv` writes the same layout.
"""

import csv
import datetime
import io
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from mhi.core.audit import audit_record, audit_save
from mhi.core.errors import Conflict, DomainError, ImportFailed, PermissionDenied
from mhi.core.imports import CsvRow, ImportProblems
from mhi.core.models import AuditEvent
from mhi.studies import access
from mhi.studies.models import RecruitmentEntry, RecruitmentSource, Study, StudySite, StudySiteStatus

GREEN_AT = Decimal("0.90")  # recruited / expected at or above: green
# No site recruits this many in a month: a larger count is a typing slip (and would not fit the database's column).
MAX_A_MONTH = 100_000
AMBER_AT = Decimal("0.70")  # at or above (and under GREEN_AT): amber; under: red
RECENT_MONTHS = 3
ONE_PLACE = Decimal("0.1")
TWO_PLACES = Decimal("0.01")
RAG_LABELS = {"green": "Green: on track", "amber": "Amber: behind", "red": "Red: well behind"}
NOT_RECRUITING = (StudySiteStatus.CLOSED, StudySiteStatus.WITHDRAWN)

# --- months -------------------------------------------------------------------------------------------------


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_add(month: datetime.date, months: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def months_from(first: datetime.date, last: datetime.date) -> int:
    """Months from `first` to `last`, both counted (0 when last is before first)."""
    return max(0, (last.year - first.year) * 12 + last.month - first.month + 1)


def current_month() -> datetime.date:
    return month_start(timezone.localdate())


def month_label(month: datetime.date) -> str:
    return month.strftime("%B %Y")


_MONTH_FORMATS = (
    (re.compile(r"^(\d{4})-(\d{1,2})$"), lambda m: (int(m[1]), int(m[2]))),  # 2026-03
    (re.compile(r"^(\d{1,2})/(\d{4})$"), lambda m: (int(m[2]), int(m[1]))),  # 03/2026
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), lambda m: (int(m[1]), int(m[2]), int(m[3]))),  # 2026-03-01
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"), lambda m: (int(m[3]), int(m[2]), int(m[1]))),  # 01/03/2026
)


def month_parse(text: str) -> datetime.date:
    """The first of the month named by "YYYY-MM", "MM/YYYY", "YYYY-MM-DD" or "DD/MM/YYYY" (UK order)."""
    value = (text or "").strip()
    for pattern, parts in _MONTH_FORMATS:
        found = pattern.match(value)
        if found:
            numbers = parts(found)
            try:
                day = datetime.date(numbers[0], numbers[1], numbers[2] if len(numbers) == 3 else 1)
            except ValueError:
                break
            return month_start(day)
    raise DomainError(f"“{value}” is not a month: use YYYY-MM (for example 2026-03), MM/YYYY or a date.", field="month")


# --- recording ----------------------------------------------------------------------------------------------


def _check_permission(user, study_site: StudySite) -> None:
    if not access.may_record_recruitment(user, study_site):
        raise PermissionDenied(f"You may not record recruitment for {study_site.site.name}.")


def _check_count(recruited) -> int:
    if recruited is None or isinstance(recruited, bool) or not isinstance(recruited, int):
        raise DomainError("Recruited must be a whole number.", field="recruited")
    if recruited < 0:
        raise DomainError("Recruited must be 0 or more.", field="recruited")
    if recruited > MAX_A_MONTH:
        raise DomainError(f"Recruited must be at most {MAX_A_MONTH:,} in a month at one site.", field="recruited")
    return recruited


def recruitment_month_check(study_site: StudySite, month: datetime.date) -> datetime.date:
    """The month normalised to its first day, or DomainError naming why it cannot be recorded."""
    month = month_start(month)
    now = current_month()
    if month > now:
        raise DomainError(
            f"{month_label(month)} is in the future: recruitment can be recorded up to {month_label(now)}.",
            field="month",
        )
    opened = study_site.opened_on
    if opened and month < month_start(opened):
        raise DomainError(
            f"{month_label(month)} is before {study_site.site.name} opened ({opened:%-d %B %Y}).", field="month"
        )
    closed = study_site.closed_on
    if closed and month > month_start(closed):
        raise DomainError(
            f"{month_label(month)} is after {study_site.site.name} closed ({closed:%-d %B %Y}).", field="month"
        )
    return month


def _already_recorded(entry: RecruitmentEntry) -> Conflict:
    return Conflict(
        f"{month_label(entry.month)} is already recorded for {entry.study_site.site.name} "
        f"({entry.recruited} recruited); correct it instead of entering it again.",
        field="month",
    )


def recruitment_record(
    *, user, study_site: StudySite, month: datetime.date, recruited: int, source: str = RecruitmentSource.FORM
) -> RecruitmentEntry:
    """Record a site's recruitment for a month not yet recorded."""
    _check_permission(user, study_site)
    recruited = _check_count(recruited)
    month = recruitment_month_check(study_site, month)
    with transaction.atomic():
        existing = RecruitmentEntry.objects.filter(study_site=study_site, month=month).first()
        if existing is not None:
            existing.study_site = study_site
            raise _already_recorded(existing)
        entry = RecruitmentEntry(
            study_site=study_site, month=month, recruited=recruited, source=source, entered_by=_actor(user)
        )
        try:
            with transaction.atomic():
                entry.save()
        except IntegrityError:  # recorded by someone else since the check above
            existing = RecruitmentEntry.objects.get(study_site=study_site, month=month)
            raise _already_recorded(existing) from None
        audit_record(instance=entry, action=AuditEvent.Action.CREATE, actor=user, source=f"recruitment {source}")
    return entry


def recruitment_correct(
    *, user, entry: RecruitmentEntry, recruited: int, source: str = RecruitmentSource.FORM
) -> RecruitmentEntry:
    """Correct a recorded month's count; the audit trail keeps the old and the new value."""
    _check_permission(user, entry.study_site)
    recruited = _check_count(recruited)
    with transaction.atomic():
        locked = RecruitmentEntry.objects.select_for_update().get(pk=entry.pk)
        audit_save(
            instance=locked,
            actor=user,
            source=f"recruitment correction ({source})",
            fields={"recruited": recruited, "source": source, "entered_by": _actor(user)},
        )
    entry.refresh_from_db()
    return entry


def _actor(user):
    return user if getattr(user, "is_authenticated", False) else None


def study_site_for_recording(*, user, study: Study, site_id: int | None = None, ods_code: str = "") -> StudySite:
    """The study's site named by organisation id or ODS code, for the API and forms (DomainError naming `site`)."""
    qs = StudySite.objects.filter(study=study).select_related("site", "study")
    if site_id is not None:
        found = qs.filter(site_id=site_id).first()
        named = f"site {site_id}"
    elif ods_code.strip():
        found = qs.filter(site__ods_code__iexact=ods_code.strip()).first()
        named = f"the site with ODS code “{ods_code.strip()}”"
    else:
        raise DomainError("Name the site: its ODS code (site) or its id (site_id).", field="site")
    if found is None:
        raise DomainError(f"This study has no {named}.", field="site_id" if site_id is not None else "site")
    return found


def sites_recordable_by(*, user, study: Study) -> list[StudySite]:
    """The study's sites the user may record recruitment for."""
    perms = access.study_permissions(user=user, study=study)
    qs = StudySite.objects.filter(study=study).select_related("site", "study").order_by("site__name", "pk")
    if perms.record_any_site:
        return list(qs)
    return list(qs.filter(site_id__in=perms.record_recruitment_site_ids))


# --- the summary --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Forecast:
    month: datetime.date | None  # when the target is (or was) reached; None: not forecastable
    reason: str  # how it was worked out, or why it cannot be
    reached: bool = False  # the target is already reached
    planned_end: datetime.date | None = None  # the month recruitment is planned to end
    months_late: int | None = None  # forecast month after the planned end month (negative: early)

    @property
    def forecastable(self) -> bool:
        return self.month is not None

    @property
    def against_plan(self) -> str:
        if self.month is None or self.planned_end is None:
            return "No planned end date to compare with." if self.month is not None else ""
        if self.months_late > 0:
            return f"{self.months_late} month{'s' if self.months_late != 1 else ''} after the planned end."
        if self.months_late == 0:
            return "In the planned end month."
        return f"{-self.months_late} month{'s' if self.months_late != -1 else ''} before the planned end."


@dataclass(frozen=True)
class Rag:
    status: str | None  # "green", "amber", "red"; None: not rated
    ratio: Decimal | None  # recruited / expected
    reason: str = ""

    @property
    def label(self) -> str:
        return RAG_LABELS.get(self.status, "Not rated")

    @property
    def percent(self) -> Decimal | None:
        return None if self.ratio is None else (self.ratio * 100).quantize(ONE_PLACE, ROUND_HALF_UP)


@dataclass(frozen=True)
class SiteSummary:
    study_site: StudySite
    total: int
    target: int | None
    monthly_target: int | None
    months_open: int | None
    recent_rate: Decimal | None  # mean of the last (up to) three recorded months
    recent_months: int  # how many months the recent rate is over
    expected_to_date: Decimal | None
    expected_basis: str
    rag: Rag
    forecast: Forecast
    months: list[tuple[datetime.date, int]]  # (month, recruited), in month order

    @property
    def site(self):
        return self.study_site.site


@dataclass(frozen=True)
class CurvePoint:
    month: datetime.date
    recruited: int
    cumulative: int
    planned: Decimal | None  # the planned cumulative line (target pro rata over the planned period)


@dataclass(frozen=True)
class Summary:
    study: Study
    as_of: datetime.date
    sites: list[SiteSummary]
    total: int
    target: int | None
    target_basis: str
    recent_rate: Decimal | None
    expected_to_date: Decimal | None
    expected_basis: str
    rag: Rag
    forecast: Forecast
    curve: list[CurvePoint] = field(default_factory=list)
    green_at: Decimal = GREEN_AT
    amber_at: Decimal = AMBER_AT

    @property
    def green_percent(self) -> int:
        return int(self.green_at * 100)

    @property
    def amber_percent(self) -> int:
        return int(self.amber_at * 100)


def rag_for(total: int, expected: Decimal | None) -> Rag:
    if expected is None:
        return Rag(None, None, "Expected to date cannot be worked out (no monthly target, or no target and dates).")
    if expected <= 0:
        return Rag(None, None, "Nothing was expected yet.")
    ratio = Decimal(total) / expected
    status = "green" if ratio >= GREEN_AT else "amber" if ratio >= AMBER_AT else "red"
    return Rag(status, ratio)


def _planned_period(study: Study) -> tuple[datetime.date, datetime.date] | None:
    if study.start_date and study.end_date:
        return month_start(study.start_date), month_start(study.end_date)
    return None


def _pro_rata(target: int, study: Study, last_complete: datetime.date) -> tuple[Decimal, str] | None:
    period = _planned_period(study)
    if period is None:
        return None
    first, last = period
    planned = months_from(first, last)
    elapsed = min(planned, months_from(first, last_complete))
    expected = (Decimal(target) * elapsed / planned).quantize(TWO_PLACES, ROUND_HALF_UP)
    return expected, f"target {target} pro rata: {elapsed} of {planned} planned months over"


def _rate(months: list[tuple[datetime.date, int]]) -> tuple[Decimal | None, int]:
    recent = months[-RECENT_MONTHS:]
    if not recent:
        return None, 0
    return (Decimal(sum(n for _, n in recent)) / len(recent)).quantize(TWO_PLACES, ROUND_HALF_UP), len(recent)


def _forecast(
    *,
    target: int | None,
    months: list[tuple[datetime.date, int]],
    rate: Decimal | None,
    base: datetime.date,
    planned_end: datetime.date | None,
    rate_note: str,
    zero_note: str,
) -> Forecast:
    def against(month):
        late = None if planned_end is None else (month.year - planned_end.year) * 12 + month.month - planned_end.month
        return {"planned_end": planned_end, "months_late": late}

    if not target:
        return Forecast(None, "Not forecastable: no recruitment target is set.", planned_end=planned_end)
    cumulative = 0
    for month, recruited in months:
        cumulative += recruited
        if cumulative >= target:
            return Forecast(month, f"Target of {target} reached in {month_label(month)}.", True, **against(month))
    if rate is None:
        why = "no recruitment is recorded yet" if not months else "no site still recruiting has recorded any"
        return Forecast(None, f"Not forecastable: {why}.", planned_end=planned_end)
    if rate <= 0:
        return Forecast(None, f"Not forecastable: nobody was recruited in {zero_note}.", planned_end=planned_end)
    remaining = target - cumulative
    needed = math.ceil(Decimal(remaining) / rate)
    month = month_add(base, needed)
    reason = f"{remaining} more at {rate} a month ({rate_note}) from {month_label(base)}: {needed} more months."
    return Forecast(month, reason, **against(month))


def _site_summary(study_site: StudySite, months, *, study: Study, now: datetime.date) -> SiteSummary:
    last_complete = month_add(now, -1)
    total = sum(n for _, n in months)
    opened = month_start(study_site.opened_on) if study_site.opened_on else (months[0][0] if months else None)
    months_open = None
    if opened is not None:
        end = last_complete
        if study_site.closed_on:
            end = min(end, month_start(study_site.closed_on))
        months_open = months_from(opened, end)
    expected, basis = None, "No monthly target, and no target with planned dates."
    if study_site.monthly_target is not None and months_open is not None:
        expected = Decimal(study_site.monthly_target * months_open)
        basis = f"{study_site.monthly_target} a month × {months_open} months open"
    elif study_site.monthly_target is not None:
        basis = "Not open yet (no opening date or recruitment)."
    elif study_site.target is not None:
        found = _pro_rata(study_site.target, study, last_complete)
        if found is not None:
            expected, basis = found
    rate, recent = _rate(months)
    base = max(months[-1][0], last_complete) if months else last_complete
    planned = _planned_period(study)
    forecast = _forecast(
        target=study_site.target,
        months=months,
        rate=rate,
        base=base,
        planned_end=planned[1] if planned else None,
        rate_note=f"the mean of the last {recent} recorded month{'s' if recent != 1 else ''}",
        zero_note=f"the last {recent} recorded month{'s' if recent != 1 else ''}"
        if recent != 1
        else "the last recorded month",
    )
    return SiteSummary(
        study_site=study_site,
        total=total,
        target=study_site.target,
        monthly_target=study_site.monthly_target,
        months_open=months_open,
        recent_rate=rate,
        recent_months=recent,
        expected_to_date=expected,
        expected_basis=basis,
        rag=rag_for(total, expected),
        forecast=forecast,
        months=months,
    )


def study_recruitment_summary(study: Study) -> Summary:
    """Totals, RAG per site and for the study, forecasts and the cumulative curve (see the module docstring)."""
    now = current_month()
    last_complete = month_add(now, -1)
    study_sites = list(StudySite.objects.filter(study=study).select_related("site").order_by("site__name", "pk"))
    by_site: dict[int, list[tuple[datetime.date, int]]] = defaultdict(list)
    by_month: dict[datetime.date, int] = defaultdict(int)
    for study_site_id, month, recruited in (
        RecruitmentEntry.objects.filter(study_site__study=study)
        .order_by("month", "pk")
        .values_list("study_site_id", "month", "recruited")
    ):
        by_site[study_site_id].append((month, recruited))
        by_month[month] += recruited
    sites = [_site_summary(s, by_site[s.pk], study=study, now=now) for s in study_sites]
    total = sum(s.total for s in sites)

    site_targets = [s.target for s in sites if s.target is not None]
    if study.target_recruitment:
        target, target_basis = study.target_recruitment, "the study's target"
    elif site_targets:
        target, target_basis = sum(site_targets), "the sum of the sites' targets"
    else:
        target, target_basis = None, "no target set"

    expected, expected_basis = None, "No target with planned dates, and no site with an expected figure."
    found = _pro_rata(target, study, last_complete) if target else None
    if found is not None:
        expected, expected_basis = found
    else:
        site_expected = [s.expected_to_date for s in sites if s.expected_to_date is not None]
        if site_expected:
            expected = sum(site_expected, Decimal(0))
            expected_basis = f"the sum of {len(site_expected)} site{'s' if len(site_expected) != 1 else ''}' expected"

    recruiting = [s for s in sites if s.study_site.status not in NOT_RECRUITING and s.recent_rate is not None]
    rate = sum((s.recent_rate for s in recruiting), Decimal(0)) if recruiting else None
    months = sorted(by_month.items())
    base = max(months[-1][0], last_complete) if months else last_complete
    planned = _planned_period(study)
    forecast = _forecast(
        target=target,
        months=months,
        rate=rate,
        base=base,
        planned_end=planned[1] if planned else None,
        rate_note="the sum of the recruiting sites' recent rates",
        zero_note="the recruiting sites' last recorded months",
    )
    return Summary(
        study=study,
        as_of=timezone.localdate(),
        sites=sites,
        total=total,
        target=target,
        target_basis=target_basis,
        recent_rate=rate,
        expected_to_date=expected,
        expected_basis=expected_basis,
        rag=rag_for(total, expected),
        forecast=forecast,
        curve=_curve(by_month, target=target, study=study, now=now),
    )


def _curve(by_month: dict, *, target: int | None, study: Study, now: datetime.date) -> list[CurvePoint]:
    """Month by month from the planned start (or the first recorded month, if earlier) to the latest of the
    current month, the last recorded month and the planned end. The chart draws recruitment up to the current
    month only."""
    planned = _planned_period(study)
    starts = [m for m in (planned[0] if planned else None, min(by_month) if by_month else None) if m]
    if not starts:
        return []
    first = min(starts)
    ends = [m for m in (now, max(by_month) if by_month else None, planned[1] if planned else None) if m]
    last = max(ends)
    if months_from(first, last) > 240:  # twenty years is plenty for a chart
        last = month_add(first, 239)
    points, cumulative, month = [], 0, first
    while month <= last:
        recruited = by_month.get(month, 0)
        cumulative += recruited
        plan = None
        if planned and target:
            share = min(months_from(planned[0], month), months_from(*planned))
            plan = (Decimal(target) * share / months_from(*planned)).quantize(ONE_PLACE, ROUND_HALF_UP)
        points.append(CurvePoint(month, recruited, cumulative, plan))
        month = month_add(month, 1)
    return points


# --- the chart ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    y_max: int
    recruited_points: str  # SVG polyline points
    planned_points: str
    target_y: float | None
    y_ticks: list[tuple[float, int]]  # (y, value)
    x_ticks: list[tuple[float, str]]  # (x, label)


def recruitment_chart(summary: Summary, *, width: int = 640, height: int = 320) -> Chart | None:
    """Coordinates for the cumulative chart: recruited against the planned line and the target."""
    curve = summary.curve
    if not curve:
        return None
    left, top, right, bottom = 56, 16, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    now = current_month()
    highest = max([p.cumulative for p in curve] + [summary.target or 0] + [int(p.planned or 0) for p in curve])
    y_max = _nice_ceiling(max(highest, 1))
    step = plot_w / max(1, len(curve) - 1)

    def x(i):
        return round(left + i * step, 1)

    def y(value):
        return round(top + plot_h - float(value) / y_max * plot_h, 1)

    recruited = " ".join(f"{x(i)},{y(p.cumulative)}" for i, p in enumerate(curve) if p.month <= now)
    planned = " ".join(f"{x(i)},{y(p.planned)}" for i, p in enumerate(curve) if p.planned is not None)
    y_ticks = [(y(y_max * k / 4), int(y_max * k / 4)) for k in range(5)]
    every = max(1, math.ceil(len(curve) / 8))
    x_ticks = [(x(i), p.month.strftime("%b %Y")) for i, p in enumerate(curve) if i % every == 0]
    return Chart(
        width=width,
        height=height,
        left=left,
        top=top,
        plot_width=plot_w,
        plot_height=plot_h,
        y_max=y_max,
        recruited_points=recruited,
        planned_points=planned,
        target_y=y(summary.target) if summary.target else None,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
    )


def _nice_ceiling(value: int) -> int:
    """The top of the y axis: four ticks of 1, 2 or 5 × a power of ten, reaching `value`."""
    magnitude = 1
    while True:
        for step in (magnitude, 2 * magnitude, 5 * magnitude):
            if 4 * step >= value:
                return 4 * step
        magnitude *= 10


# --- CSV: the EDGE-like per-site-month layout -----------------------------------------------------------------

# Column → the header names accepted for it (compared case-insensitively, spaces and underscores alike).
CSV_COLUMNS = {
    "site_code": ("Site Code", "Site ODS Code", "ODS Code", "Organisation Code", "Org Code"),
    "site_name": ("Site Name", "Site", "Organisation", "Organisation Name"),
    "month": ("Month", "Recruitment Month", "Period", "Date"),
    "recruited": ("Recruited", "Participants", "Count", "Recruitment", "Participants Recruited"),
    "study": ("Study", "Study Title", "Study Short Title", "NCT", "NCT Number", "Study ID"),
}
CSV_HEADER = ["Study", "Site Code", "Site Name", "Month", "Recruited"]


def _key(header: str) -> str:
    return re.sub(r"[\s_]+", " ", (header or "").strip().lower())


def _columns(fieldnames: list[str]) -> dict[str, str]:
    """Our column → the file's header for it (the first accepted name found)."""
    present = {_key(name): name for name in fieldnames if name}
    found = {}
    for column, names in CSV_COLUMNS.items():
        for name in names:
            if _key(name) in present:
                found[column] = present[_key(name)]
                break
    return found


def _decode(data: bytes, *, file: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise ImportFailed([_problem(file, 0, "-", f"is neither UTF-8 nor Windows-1252 text: {exc}")]) from None


def _problem(file, row, column, message):
    from mhi.core.errors import RowProblem

    return RowProblem(file=file, row=row, column=column, message=message)


@dataclass
class UploadReport:
    file: str
    rows: int
    recorded: list[RecruitmentEntry] = field(default_factory=list)
    replaced: list[tuple[RecruitmentEntry, int]] = field(default_factory=list)  # (entry, old count)
    unchanged: list[RecruitmentEntry] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.recorded)} month{'s' if len(self.recorded) != 1 else ''} recorded, "
            f"{len(self.replaced)} replaced, {len(self.unchanged)} unchanged, from {self.rows} "
            f"row{'s' if self.rows != 1 else ''} of {self.file}."
        )


@dataclass
class _Planned:
    row: CsvRow
    study_site: StudySite
    month: datetime.date
    recruited: int
    existing: RecruitmentEntry | None


def _study_matches(study: Study, value: str) -> bool:
    value = value.strip().lower()
    names = {study.title.strip().lower(), (study.acronym or "").strip().lower(), (study.nct_id or "").lower()}
    return value in names - {""}


def recruitment_upload(*, user, study: Study, data: bytes, filename: str, replace: bool = False) -> UploadReport:
    """Record a file of site-months for `study`, all or nothing: ImportFailed lists every bad row and column.
    `replace` (study managers only) replaces months already recorded instead of refusing them."""
    perms = access.study_permissions(user=user, study=study)
    if not perms.view:
        raise PermissionDenied("You may not record recruitment for this study.")
    if replace and not perms.manage:
        raise PermissionDenied("Only the study's coordinators and owner may replace months already recorded.")
    if not perms.record_any_site and not perms.record_recruitment_site_ids:
        raise PermissionDenied("You may not record recruitment for any site of this study.")
    file = filename or "upload.csv"
    problems = ImportProblems()
    text = _decode(data, file=file)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        fieldnames = reader.fieldnames or []
        raw_rows = list(reader)
    except csv.Error as exc:
        raise ImportFailed([_problem(file, 0, "-", f"is not a readable CSV file: {exc}")]) from None
    columns = _columns(fieldnames)
    missing = []
    if "site_code" not in columns and "site_name" not in columns:
        missing.append("Site Code or Site Name")
    if "month" not in columns:
        missing.append("Month")
    if "recruited" not in columns:
        missing.append("Recruited (or Participants, Count)")
    if missing:
        problems.add(None, ", ".join(missing), "column missing from the header row", file=file)
        problems.raise_if_any()
    if not raw_rows:
        problems.add(None, "-", "has no rows under its header", file=file)
        problems.raise_if_any()

    study_sites = list(StudySite.objects.filter(study=study).select_related("site", "study"))
    by_code = {s.site.ods_code.upper(): s for s in study_sites if s.site.ods_code}
    by_name = {s.site.name.strip().lower(): s for s in study_sites}
    existing = {(e.study_site_id, e.month): e for e in RecruitmentEntry.objects.filter(study_site__study=study)}
    seen: dict[tuple[int, datetime.date], int] = {}
    planned: list[_Planned] = []
    for index, values in enumerate(raw_rows, start=2):
        row = CsvRow(file, index, values)
        if None in values:
            problems.add(row, "-", "this row has more cells than the header")
            continue
        if not any((v or "").strip() for v in values.values()):
            continue  # a blank line
        study_site = _row_site(row, columns, by_code, by_name, problems)
        if "study" in columns and row.get(columns["study"]) and not _study_matches(study, row.get(columns["study"])):
            problems.add(
                row,
                columns["study"],
                f"“{row.get(columns['study'])}” is not this study ({study.nct_id or study.title}).",
            )
        if study_site is not None and not access.may_record_recruitment(user, study_site):
            problems.add(row, _site_column(columns), f"You may not record recruitment for {study_site.site.name}.")
            study_site = None
        month = _row_month(row, columns, study_site, problems)
        recruited = _row_count(row, columns, problems)
        if study_site is None or month is None or recruited is None:
            continue
        key = (study_site.pk, month)
        if key in seen:
            problems.add(
                row,
                columns["month"],
                f"{study_site.site.name}, {month_label(month)} is also on row {seen[key]}: a month is entered once.",
            )
            continue
        seen[key] = row.number
        found = existing.get(key)
        if found is not None and not replace:
            problems.add(
                row,
                columns["month"],
                f"{month_label(month)} is already recorded for {study_site.site.name} ({found.recruited} recruited)."
                + (" Choose “replace existing months” to replace it." if perms.manage else ""),
            )
            continue
        planned.append(_Planned(row, study_site, month, recruited, found))
    problems.raise_if_any()
    if not planned:
        problems.add(None, "-", "has no rows under its header", file=file)
        problems.raise_if_any()

    report = UploadReport(file=file, rows=len(planned))
    try:
        with transaction.atomic():
            for item in planned:
                if item.existing is None:
                    report.recorded.append(
                        recruitment_record(
                            user=user,
                            study_site=item.study_site,
                            month=item.month,
                            recruited=item.recruited,
                            source=RecruitmentSource.CSV,
                        )
                    )
                elif item.existing.recruited == item.recruited:
                    report.unchanged.append(item.existing)
                else:
                    old = item.existing.recruited
                    item.existing.study_site = item.study_site
                    entry = recruitment_correct(
                        user=user, entry=item.existing, recruited=item.recruited, source=RecruitmentSource.CSV
                    )
                    report.replaced.append((entry, old))
    except DomainError as exc:  # a race with another writer: nothing of this file is kept
        if isinstance(exc, ImportFailed):
            raise
        raise ImportFailed([_problem(file, 0, exc.field or "-", exc.message)]) from None
    return report


def _site_column(columns: dict[str, str]) -> str:
    return columns.get("site_code") or columns["site_name"]


def _row_site(row, columns, by_code, by_name, problems) -> StudySite | None:
    from mhi.directory.models import Organisation

    code = row.get(columns["site_code"]).upper() if "site_code" in columns else ""
    name = row.get(columns["site_name"]) if "site_name" in columns else ""
    if code:
        if code in by_code:
            return by_code[code]
        known = access.sites().filter(ods_code__iexact=code).first()
        if known is None:
            problems.add(row, columns["site_code"], f"No site has the ODS code “{code}”.")
        else:
            problems.add(row, columns["site_code"], f"{known.name} ({code}) is not a site of this study.")
        return None
    if name:
        if name.lower() in by_name:
            return by_name[name.lower()]
        known = Organisation.objects.filter(Q(name__iexact=name), kind__in=("nhs_trust", "research_infrastructure"))
        if known.exists():
            problems.add(row, columns["site_name"], f"{name} is not a site of this study.")
        else:
            problems.add(row, columns["site_name"], f"No site is called “{name}”.")
        return None
    problems.add(row, _site_column(columns), "Name the site (its ODS code or its name).")
    return None


def _row_month(row, columns, study_site, problems) -> datetime.date | None:
    column = columns["month"]
    value = row.get(column)
    if not value:
        problems.add(row, column, "Give the month (YYYY-MM).")
        return None
    try:
        month = month_parse(value)
    except DomainError as exc:
        problems.add(row, column, exc.message)
        return None
    try:
        if study_site is not None:
            return recruitment_month_check(study_site, month)
        if month > current_month():
            raise DomainError(
                f"{month_label(month)} is in the future: recruitment can be recorded up to "
                f"{month_label(current_month())}."
            )
    except DomainError as exc:
        problems.add(row, column, exc.message)
        return None
    return month


def _row_count(row, columns, problems) -> int | None:
    column = columns["recruited"]
    value = row.get(column)
    if not re.fullmatch(r"[+-]?\d+", value or ""):
        problems.add(row, column, f"“{value}” is not a whole number." if value else "Give the number recruited.")
        return None
    number = int(value)
    if number < 0:
        problems.add(row, column, "Recruited must be 0 or more.")
        return None
    if number > MAX_A_MONTH:
        problems.add(row, column, f"Recruited must be at most {MAX_A_MONTH:,} in a month at one site.")
        return None
    return number


def recruitment_csv(study: Study) -> str:
    """The study's recruitment in the upload layout (one row per site and month), so it can be uploaded again."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    name = study.nct_id or study.title
    entries = (
        RecruitmentEntry.objects.filter(study_site__study=study)
        .select_related("study_site__site")
        .order_by("study_site__site__name", "study_site_id", "month")
    )
    for entry in entries:
        site = entry.study_site.site
        writer.writerow([name, site.ods_code or "", site.name, entry.month.strftime("%Y-%m"), entry.recruited])
    return buffer.getvalue()
