"""The feasibility loop: suggest sites for a study, send a feasibility request to chosen sites, let each site's
users answer the structured questionnaire, remind the sites that have not answered, compare the answers side by
side and close the request with the sites chosen (recorded as the study's selected sites).

Selectors (`suggest_sites`, `comparison`, `inbox_invites`, ...) never write. Services (`feasibility_request_create`,
`feasibility_answer`, `feasibility_close`) check permissions (mhi.studies.access), write inside one transaction,
record every change in the audit trail and queue their emails with `on_commit`, so nothing is sent for a write
that rolled back.

Reminders (`feasibility_reminders_run`, hourly; or `mhi send-feasibility-reminders`): for each open request and
each offset of its `reminder_days`, once today is within that many days of the deadline, each site that has not
answered is emailed once. The FeasibilityReminder row is inserted before the email is sent, in the same
transaction, so a second run (even one running at the same moment) fails on the unique row and sends nothing;
a failed send rolls the row back and the next run tries again. When several offsets are due at once (a request
sent 1 day before its deadline with offsets 7 and 2), only the nearest is sent: the others have passed.
"""

import datetime
import logging
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from mhi.accounts.models import Membership
from mhi.core.audit import audit_save_or_refuse
from mhi.core.errors import DomainError, PermissionDenied
from mhi.directory.models import Organisation
from mhi.studies import access
from mhi.studies.models import (
    SITE_KINDS,
    Answer,
    FeasibilityInvite,
    FeasibilityReminder,
    FeasibilityRequest,
    FeasibilityResponse,
    FeasibilityStatus,
    Interest,
    InviteStatus,
    SiteProfile,
    Study,
)

logger = logging.getLogger(__name__)
PREFIX = "[MHI Hub] "
MAX_REMINDER_DAY = 365
INTERESTED = (Interest.YES, Interest.MAYBE)

# Words too common to count as a specialty match on their own ("Heart disease" and "Kidney disease" share nothing).
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "or",
        "of",
        "the",
        "in",
        "on",
        "for",
        "with",
        "to",
        "by",
        "at",
        "from",
        "type",
        "types",
        "disease",
        "diseases",
        "disorder",
        "disorders",
        "condition",
        "conditions",
        "care",
        "medicine",
        "medical",
        "services",
        "service",
        "health",
        "chronic",
        "acute",
        "general",
        "adult",
        "adults",
        "child",
        "children",
        "patients",
        "patient",
        "people",
        "severe",
        "mild",
        "moderate",
        "early",
        "late",
        "stage",
        "primary",
        "secondary",
        "other",
    ]
)


def _today() -> datetime.date:
    return timezone.localdate()


def _actor(user):
    return user if getattr(user, "is_authenticated", False) else None


def _url(name: str, *args) -> str:
    """The site address of a page."""
    return settings.SITE_URL + reverse(name, args=args)


def _save(instance, *, user, fields: dict | None = None, source: str = "") -> bool:
    return audit_save_or_refuse(instance=instance, actor=user, fields=fields, source=source)


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


# ---------------------------------------------------------------------------------------------------------------
# Specialty matching and suggestions


def _normal(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", (text or "").lower()))


def _significant(text: str) -> set[str]:
    return {w for w in _normal(text).split() if len(w) >= 4 and w not in STOP_WORDS}


def specialty_matches(conditions: list[str], specialties: list[str]) -> list[str]:
    """The specialties (as the site writes them) that match one of the conditions, case-insensitively: one is
    a phrase inside the other in whole words ("Diabetes" in "Type 2 diabetes"), or they share a significant word
    ("Diabetic eye screening" and "Diabetic retinopathy")."""
    matched = []
    for specialty in specialties:
        s_norm = _normal(specialty)
        if not s_norm:
            continue
        for condition in conditions:
            c_norm = _normal(condition)
            if not c_norm:
                continue
            if (
                f" {s_norm} " in f" {c_norm} "
                or f" {c_norm} " in f" {s_norm} "
                or (_significant(specialty) & _significant(condition))
            ):
                matched.append(specialty.strip())
                break
    return matched


def site_specialties(site: Organisation) -> list[str]:
    """The site's research profile's specialties; for a site with no profile yet, its directory themes."""
    profile = _profile(site)
    if profile.pk is None:
        return [t.strip() for t in site.theme_list]
    return profile.specialty_list


def _profile(site: Organisation) -> SiteProfile:
    try:
        return site.site_profile
    except SiteProfile.DoesNotExist:
        return SiteProfile(organisation=site)


@dataclass
class Suggestion:
    """A site suggested for a study, with why in words."""

    site: Organisation
    specialties: list[str]  # the site's specialties that match the study's conditions
    eligible: int | None  # the reach estimate's eligible patients
    capacity: int | None  # the profile's new participants a month
    reasons: list[str] = field(default_factory=list)
    reach: object = None  # the ReachEstimate

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


def _reasons(specialties: list[str], eligible: int | None, capacity: int | None) -> list[str]:
    reasons = [f"Specialty: {', '.join(specialties)}" if specialties else "No specialty match"]
    reasons.append(f"reach {eligible:,} eligible" if eligible is not None else "reach not known")
    reasons.append(f"capacity {capacity:,} a month" if capacity is not None else "capacity not stated")
    return reasons


def suggest_sites(*, study: Study, limit: int = 20) -> list["Suggestion"]:
    """NHS trusts and research infrastructure ranked by how many of their specialties match the study's
    conditions, then by estimated reach (eligible patients, mhi.studies.reach), then by monthly capacity, then
    by name. A site is suggested when its specialties match or, failing that, when its reach is known and above
    nought; each suggestion says why ("Specialty: Diabetes; reach 20,416 eligible; capacity 10 a month")."""
    from mhi.studies.reach import reach_estimates

    sites = list(access.sites().select_related("icb", "site_profile").order_by("name"))
    conditions = study.condition_list
    estimates = reach_estimates(study=study, sites=sites)
    out = []
    for site in sites:
        matched = specialty_matches(conditions, site_specialties(site))
        estimate = estimates.get(site.pk)
        eligible = estimate.eligible if estimate is not None else None
        if not matched and not eligible:
            continue
        capacity = _profile(site).monthly_capacity
        out.append(
            Suggestion(
                site=site,
                specialties=matched,
                eligible=eligible,
                capacity=capacity,
                reasons=_reasons(matched, eligible, capacity),
                reach=estimate,
            )
        )
    out.sort(
        key=lambda s: (
            -len(s.specialties),
            -(s.eligible if s.eligible is not None else -1),
            -(s.capacity if s.capacity is not None else -1),
            s.site.name.lower(),
        )
    )
    return out[: max(0, limit)]


# ---------------------------------------------------------------------------------------------------------------
# Who is emailed at a site


def site_users(site: Organisation) -> list:
    """The active users with a site role (NHS R&D, institution admin) at the site, by email address."""
    memberships = Membership.objects.filter(
        organisation=site, role__in=access.SITE_ROLES, user__is_active=True
    ).select_related("user")
    users = {m.user.pk: m.user for m in memberships if m.user.email}
    return sorted(users.values(), key=lambda u: (u.email.lower(), u.pk))


def site_recipients(site: Organisation) -> list[str]:
    """The site's users' addresses; when it has none, its profile's R&D contact email; else nobody."""
    emails = [u.email for u in site_users(site)]
    if emails:
        return emails
    contact = _profile(site).rd_contact_email.strip()
    return [contact] if contact else []


def _send(*, template: str, subject: str, to: list[str], context: dict) -> bool:
    to = [address for address in to if address]
    if not to:
        return False
    EmailMessage(
        subject=PREFIX + subject,
        body=render_to_string(f"studies/email/feasibility_{template}.txt", context),
        to=to,
    ).send()
    return True


def _on_commit(send, **kwargs) -> None:
    def quietly():
        try:
            send(**kwargs)
        except Exception:  # the mail server's trouble is not the request's
            logger.exception("Could not send the feasibility email %s", kwargs.get("template"))

    transaction.on_commit(quietly)


def _invite_context(invite: FeasibilityInvite, **extra) -> dict:
    request = invite.request
    return {
        "invite": invite,
        "request": request,
        "study": request.study,
        "site": invite.site,
        "deadline": f"{request.deadline:%-d %B %Y}",
        "url": _url("studies:invite", invite.pk),
        **extra,
    }


# ---------------------------------------------------------------------------------------------------------------
# Sending a request


def parse_reminder_days(text: str) -> list[int]:
    """ "7,2" → [7, 2]: whole numbers of days before the deadline, largest first, without repeats. Empty: none."""
    days = set()
    for part in (text or "").split(","):
        value = part.strip()
        if not value:
            continue
        if not value.isdigit() or not 1 <= int(value) <= MAX_REMINDER_DAY:
            raise DomainError(
                f"Reminder days must be whole numbers of days before the deadline, from 1 to {MAX_REMINDER_DAY}, "
                f"separated by commas (for example 7,2); “{value}” is not.",
                field="reminder_days",
            )
        days.add(int(value))
    return sorted(days, reverse=True)


def _reminder_days_text(days: list[int]) -> str:
    return ",".join(str(d) for d in days)


def _sites(site_ids) -> list[Organisation]:
    """The sites named by id, in the order given without repeats; an organisation that is not a site, or an
    unknown id, is refused naming it."""
    ids = []
    for value in site_ids or []:
        value = getattr(value, "pk", value)
        if not str(value).strip().isdigit():
            raise DomainError(f"“{value}” is not a site in the directory.", field="sites")
        if int(value) not in ids:
            ids.append(int(value))
    if not ids:
        raise DomainError("Choose at least one site to send the request to.", field="sites")
    found = {o.pk: o for o in Organisation.objects.filter(pk__in=ids).select_related("site_profile")}
    out = []
    for pk in ids:
        site = found.get(pk)
        if site is None:
            raise DomainError(f"There is no organisation {pk} in the directory.", field="sites")
        if site.kind not in SITE_KINDS:
            raise DomainError(
                f"{site.name} is {site.get_kind_display().lower()}, not a site: a feasibility request goes to NHS "
                f"trusts and research infrastructure.",
                field="sites",
            )
        out.append(site)
    return out


@dataclass
class SendResult:
    request: FeasibilityRequest
    invites: list[FeasibilityInvite]
    recipients: dict[int, list[str]]  # invite id → addresses emailed
    unreachable: list[Organisation]  # sites with nobody to email


def feasibility_request_create(
    *,
    user,
    study: Study,
    site_ids,
    deadline: datetime.date,
    message: str = "",
    reminder_days: str = "7,2",
    source: str = "web",
    today: datetime.date | None = None,
) -> SendResult:
    """Send a feasibility request for the study to the sites: the request and one invite per site, in one
    transaction, audited; each site's users (or, failing them, its R&D contact) are emailed once it commits."""
    if not access.study_permissions(user=user, study=study).view:
        raise PermissionDenied("You cannot see this study.")
    if not access.may_manage_study(user, study):
        raise PermissionDenied("Only coordinators and the study's owner send feasibility requests for it.")
    today = today or _today()
    if deadline is None:
        raise DomainError("Give the deadline for answers.", field="deadline")
    if deadline <= today:
        raise DomainError(
            f"The deadline must be in the future (after {today:%-d %B %Y}); {deadline:%-d %B %Y} is not.",
            field="deadline",
        )
    days = parse_reminder_days(reminder_days)
    sites = _sites(site_ids)
    with transaction.atomic():
        request = FeasibilityRequest(
            study=study,
            deadline=deadline,
            message=(message or "").strip(),
            reminder_days=_reminder_days_text(days),
            created_by=_actor(user),
        )
        _save(request, user=user, source=source)
        invites, recipients, unreachable = [], {}, []
        for site in sites:
            invite = FeasibilityInvite(request=request, site=site)
            _save(invite, user=user, source=source)
            invites.append(invite)
            to = site_recipients(site)
            recipients[invite.pk] = to
            if not to:
                unreachable.append(site)
            else:
                _on_commit(
                    _send,
                    template="invite",
                    subject=f"Feasibility request: {study}, answer by {deadline:%-d %B %Y}",
                    to=to,
                    context=_invite_context(invite),
                )
    return SendResult(request=request, invites=invites, recipients=recipients, unreachable=unreachable)


# ---------------------------------------------------------------------------------------------------------------
# Answering


def answer_open(invite: FeasibilityInvite, *, today: datetime.date | None = None) -> tuple[bool, str]:
    """Whether the invite's answer may still be given or changed, and if not, why (in words)."""
    today = today or _today()
    request = invite.request
    if request.status == FeasibilityStatus.CLOSED:
        return False, "The request is closed, so answers can no longer be changed."
    if invite.status == InviteStatus.WITHDRAWN:
        return False, "This invite was withdrawn, so it can no longer be answered."
    if today > request.deadline:
        return False, f"The deadline ({request.deadline:%-d %B %Y}) has passed, so answers can no longer be changed."
    return (
        True,
        f"You can change your answers until the deadline, {request.deadline:%-d %B %Y}, or until the request is closed.",
    )


ANSWER_FIELDS = (
    "interest",
    "local_pi",
    "local_pi_email",
    "monthly_recruitment",
    "capacity",
    "capacity_note",
    "pharmacy",
    "imaging",
    "earliest_start",
    "comments",
)
FIELD_LABELS = {
    "interest": "Interest",
    "local_pi": "Local PI",
    "local_pi_email": "Local PI email",
    "monthly_recruitment": "Estimated participants a month",
    "capacity": "Capacity and capability",
    "capacity_note": "Capacity note",
    "pharmacy": "Pharmacy",
    "imaging": "Imaging",
    "earliest_start": "Earliest start",
    "comments": "Comments",
}


def _clean_answers(data: dict) -> dict:
    unknown = sorted(set(data) - set(ANSWER_FIELDS))
    if unknown:
        raise DomainError(f"Unknown field “{unknown[0]}”.", field=unknown[0])
    fields = {}
    interest = data.get("interest") or ""
    if interest not in Interest.values:
        raise DomainError("Say whether the site is interested: yes, maybe or no.", field="interest")
    fields["interest"] = interest
    monthly = data.get("monthly_recruitment")
    if monthly in (None, ""):
        fields["monthly_recruitment"] = None
    else:
        text = str(monthly).strip()
        if isinstance(monthly, bool) or not re.fullmatch(r"-?\d+", text) or int(text) < 0:
            raise DomainError(
                f"Estimated participants a month must be a whole number, 0 or more; “{text}” is not.",
                field="monthly_recruitment",
            )
        fields["monthly_recruitment"] = int(text)
    for name in ("capacity", "pharmacy", "imaging"):
        value = data.get(name) or ""
        if value and value not in Answer.values:
            choices = ", ".join(Answer.values)
            raise DomainError(f"{FIELD_LABELS[name]}: “{value}” is not one of {choices}.", field=name)
        fields[name] = value
    for name in ("local_pi", "local_pi_email", "capacity_note", "comments"):
        fields[name] = (data.get(name) or "").strip()
    start = data.get("earliest_start")
    if isinstance(start, str):
        try:
            start = datetime.date.fromisoformat(start) if start.strip() else None
        except ValueError:
            raise DomainError(
                f"Earliest start must be a date (YYYY-MM-DD); “{start}” is not.", field="earliest_start"
            ) from None
    fields["earliest_start"] = start
    return fields


def feasibility_answer(
    *, user, invite: FeasibilityInvite, data: dict, source: str = "web", today: datetime.date | None = None
) -> FeasibilityResponse:
    """Save the site's answers (all of ANSWER_FIELDS; missing ones are blank) and mark the invite answered.
    Only the invited site's own users answer, while the request is open and its deadline has not passed."""
    if not access.may_answer_invite(user, invite):
        raise PermissionDenied(f"Only the users of {invite.site.name} answer for it.")
    fields = _clean_answers(data)
    with transaction.atomic():
        invite = (
            FeasibilityInvite.objects.select_for_update().select_related("request__study", "site").get(pk=invite.pk)
        )
        open_, why = answer_open(invite, today=today)
        if not open_:
            raise DomainError(why)
        response = FeasibilityResponse.objects.filter(invite=invite).first()
        if response is None:
            response = FeasibilityResponse(invite=invite, answered_by=_actor(user), **fields)
            _save(response, user=user, source=source)
        else:
            _save(response, user=user, source=source, fields={**fields, "answered_by": _actor(user)})
        if invite.status != InviteStatus.ANSWERED:
            _save(invite, user=user, source=source, fields={"status": InviteStatus.ANSWERED})
    return response


# ---------------------------------------------------------------------------------------------------------------
# Reading: the inbox, the comparison


def inbox_invites(*, user):
    """The invites of the user's own sites, open requests first (soonest deadline first), then the rest."""
    site_ids = access.user_site_ids(user)
    if not site_ids:
        return FeasibilityInvite.objects.none()
    return (
        FeasibilityInvite.objects.filter(site_id__in=site_ids)
        .exclude(status=InviteStatus.WITHDRAWN)
        .select_related("request__study", "site", "response")
        .order_by("-request__status", "request__deadline", "site__name", "pk")  # open ("open" > "closed") first
    )


def requests_of(*, user, study: Study):
    return access.feasibility_requests_visible_to(user=user).filter(study=study).prefetch_related("invites")


def response_of(invite: FeasibilityInvite) -> FeasibilityResponse | None:
    try:
        return invite.response
    except FeasibilityResponse.DoesNotExist:
        return None


@dataclass
class ComparisonRow:
    invite: FeasibilityInvite
    site: Organisation
    response: FeasibilityResponse | None
    eligible: int | None
    reach: object
    profile_capacity: int | None
    reminders: list[FeasibilityReminder]

    @property
    def answered(self) -> bool:
        return self.response is not None

    @property
    def interested(self) -> bool:
        return self.response is not None and self.response.interest in INTERESTED

    @property
    def reminders_words(self) -> str:
        if not self.reminders:
            return "No reminders sent"
        days = ", ".join(f"{r.days_before} days before ({r.sent_at:%-d %b})" for r in self.reminders)
        return f"Reminders sent: {days}"


@dataclass
class Comparison:
    request: FeasibilityRequest
    rows: list[ComparisonRow]
    answered: int
    interested: int  # answered yes
    possibly: int  # answered maybe
    not_interested: int
    monthly_total: int  # sum of the estimated monthly recruitment of the sites interested or possibly interested


def comparison(request: FeasibilityRequest) -> Comparison:
    from mhi.studies.reach import reach_estimates

    invites = list(
        request.invites.exclude(status=InviteStatus.WITHDRAWN)
        .select_related("site__icb", "site__site_profile", "response")
        .prefetch_related("reminders")
        .order_by("site__name", "pk")
    )
    estimates = reach_estimates(study=request.study, sites=[i.site for i in invites])
    rows = []
    for invite in invites:
        estimate = estimates.get(invite.site_id)
        rows.append(
            ComparisonRow(
                invite=invite,
                site=invite.site,
                response=response_of(invite),
                eligible=estimate.eligible if estimate is not None else None,
                reach=estimate,
                profile_capacity=_profile(invite.site).monthly_capacity,
                reminders=sorted(invite.reminders.all(), key=lambda r: -r.days_before),
            )
        )
    answers = [r.response for r in rows if r.response is not None]
    return Comparison(
        request=request,
        rows=rows,
        answered=len(answers),
        interested=sum(1 for a in answers if a.interest == Interest.YES),
        possibly=sum(1 for a in answers if a.interest == Interest.MAYBE),
        not_interested=sum(1 for a in answers if a.interest == Interest.NO),
        monthly_total=sum(a.monthly_recruitment or 0 for a in answers if a.interest in INTERESTED),
    )


def choosable_invites(request: FeasibilityRequest):
    """The invites that may be chosen: answered with interest yes or maybe."""
    return (
        request.invites.filter(status=InviteStatus.ANSWERED, response__interest__in=INTERESTED)
        .select_related("site", "response")
        .order_by("site__name", "pk")
    )


# ---------------------------------------------------------------------------------------------------------------
# Closing


def feasibility_close(
    *, user, request: FeasibilityRequest, site_ids, decision_note: str = "", source: str = "web"
) -> FeasibilityRequest:
    """Close the request with the chosen sites (invited sites that answered yes or maybe; none is allowed):
    records `chosen` on their invites, adds them to the study as selected sites (mhi.studies.studies), and
    emails every invited site the outcome once it commits."""
    from mhi.studies.studies import study_sites_set

    study = request.study
    if not access.may_manage_study(user, study):
        raise PermissionDenied("Only coordinators and the study's owner close its feasibility requests.")
    ids = []
    for value in site_ids or []:
        value = getattr(value, "pk", value)
        if not str(value).strip().isdigit():
            raise DomainError(f"“{value}” is not a site of this request.", field="sites")
        if int(value) not in ids:
            ids.append(int(value))
    with transaction.atomic():
        request = FeasibilityRequest.objects.select_for_update().select_related("study").get(pk=request.pk)
        if request.status == FeasibilityStatus.CLOSED:
            raise DomainError("This request is already closed.")
        invites = {i.site_id: i for i in request.invites.select_related("site")}
        choosable = {i.site_id for i in choosable_invites(request)}
        for site_id in ids:
            invite = invites.get(site_id)
            if invite is None:
                name = Organisation.objects.filter(pk=site_id).values_list("name", flat=True).first()
                raise DomainError(f"{name or f'Site {site_id}'} was not invited to this request.", field="sites")
            if site_id not in choosable:
                raise DomainError(
                    f"{invite.site.name} did not answer that it is interested, so it cannot be chosen.",
                    field="sites",
                )
        for invite in invites.values():
            chosen = invite.site_id in ids
            if invite.chosen != chosen:
                _save(invite, user=user, source=source, fields={"chosen": chosen})
        _save(
            request,
            user=user,
            source=source,
            fields={
                "status": FeasibilityStatus.CLOSED,
                "closed_at": timezone.now(),
                "decision_note": (decision_note or "").strip(),
            },
        )
        if ids:
            study_sites_set(user=user, study=study, site_ids=ids, status="selected", chosen_from=request)
        for invite in invites.values():
            if invite.status == InviteStatus.WITHDRAWN:
                continue
            chosen = invite.site_id in ids
            _on_commit(
                _send,
                template="outcome",
                subject=f"Feasibility outcome: {study}: {'chosen' if chosen else 'not chosen this time'}",
                to=site_recipients(invite.site),
                context=_invite_context(invite, chosen=chosen, decision_note=request.decision_note),
            )
    return request


# ---------------------------------------------------------------------------------------------------------------
# Reminders


def _due_offset(request: FeasibilityRequest, today: datetime.date) -> int | None:
    """The nearest reminder offset whose day has come (today within that many days of the deadline), if any."""
    try:
        days = parse_reminder_days(request.reminder_days)
    except DomainError:
        return None
    due = [d for d in days if today >= request.deadline - datetime.timedelta(days=d)]
    return min(due) if due else None


def _remind(invite: FeasibilityInvite, days_before: int, today: datetime.date) -> bool:
    to = site_recipients(invite.site)
    if not to:
        return False
    try:
        with transaction.atomic():
            # The claim: a concurrent run inserting the same row fails here, before anything is sent.
            FeasibilityReminder.objects.create(invite=invite, days_before=days_before)
            left = (invite.request.deadline - today).days
            in_words = "today" if left <= 0 else ("tomorrow" if left == 1 else f"in {left} days")
            _send(
                template="reminder",
                subject=f"Reminder: feasibility for {invite.request.study}, answer by "
                f"{invite.request.deadline:%-d %B %Y}",
                to=to,
                context=_invite_context(invite, in_words=in_words),
            )
    except IntegrityError:
        return False
    return True


def feasibility_reminders_run(*, today: datetime.date | None = None) -> int:
    """Email every reminder due today to the sites that have not answered; returns how many were sent. Safe to
    run as often as you like: each (invite, offset) is sent once. A failed send is logged and stays due."""
    today = today or _today()
    sent = 0
    requests = FeasibilityRequest.objects.filter(status=FeasibilityStatus.OPEN, deadline__gte=today).select_related(
        "study"
    )
    for request in requests.order_by("pk"):
        offset = _due_offset(request, today)
        if offset is None:
            continue
        invites = (
            request.invites.filter(status=InviteStatus.SENT)
            .exclude(Q(reminders__days_before=offset))
            .select_related("site__site_profile", "request__study")
            .order_by("pk")
        )
        for invite in invites:
            try:
                sent += _remind(invite, offset, today)
            except Exception:
                logger.exception("The feasibility reminder for invite %s failed", invite.pk)
    return sent
