"""The front door: enquiries from outside submitted, matched to people, routed by coordinators and tracked.

Services (`enquiry_submit`, `enquiry_route`, `enquiry_set_status`) are the only writes; selectors
(`enquiries_visible_to`, `enquiry_suggested_people`, `enquiry_public_matches`, `enquiry_response_times`)
are the reads. Equipment and facilities join the matches when the resources module arrives.
"""

import datetime
import statistics
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_tasks import task

from mhi.accounts.selectors import user_is_coordinator
from mhi.core.audit import audit_save
from mhi.core.errors import DomainError, PermissionDenied
from mhi.directory import selectors as directory_selectors
from mhi.expertise.engine.embedding import embedder
from mhi.expertise.index import loaded_index
from mhi.expertise.models import Enquiry, EnquiryEvent, EnquiryRouting
from mhi.expertise.selectors import ExpertResult, experts_for_text

Status = Enquiry.Status

RATE_LIMIT = 5  # submissions per address per window
RATE_WINDOW_SECONDS = 3600
THANKS_SALT = "mhi.enquiries.thanks"
THANKS_MAX_AGE_SECONDS = 7 * 24 * 3600

# Which statuses each status may move to. "new" is only ever the first status.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.NEW: (Status.ROUTED, Status.CLOSED),
    Status.ROUTED: (Status.ANSWERED, Status.CLOSED),
    Status.ANSWERED: (Status.CLOSED,),
    Status.CLOSED: (),
}

# The enquirer's answer is also written into the first ("new") event, so the trail shows it.
CONSENT_GIVEN_NOTE = "The enquirer agreed that the people it is routed to may contact them directly."
CONSENT_REFUSED_NOTE = "The enquirer asked to be put in touch through the MHI coordinators."


class EnquiryRateLimited(DomainError):
    status_code = 429

    def __init__(self, *, retry_at: datetime.datetime):
        self.retry_at = retry_at
        when = timezone.localtime(retry_at).strftime("%H:%M")
        super().__init__(
            f"You have sent {RATE_LIMIT} enquiries in the last hour, the most we accept from one address. "
            f"Try again after {when}."
        )

    @property
    def retry_after_seconds(self) -> int:
        return max(1, int((self.retry_at - timezone.now()).total_seconds()))


def enquiry_reference(enquiry: Enquiry) -> str:
    return f"ENQ-{enquiry.pk:05d}"


def enquiry_contact_consented(enquiry: Enquiry) -> bool:
    return enquiry.contact_consent


def enquiry_next_statuses(enquiry: Enquiry) -> tuple[str, ...]:
    return TRANSITIONS[enquiry.status]


# Rate limiting: a fixed one-hour window per address, counted in Django's cache (shared by every web
# process when the cache is). The window's start is kept beside the count to say when it ends.


def _rate_keys(ip: str) -> tuple[str, str]:
    return f"enquiries:rate:{ip}:count", f"enquiries:rate:{ip}:start"


def enquiry_rate_hit(*, ip: str) -> None:
    """Count one submission from `ip`; raises EnquiryRateLimited past the limit."""
    count_key, start_key = _rate_keys(ip or "unknown")
    cache.add(start_key, time.time(), RATE_WINDOW_SECONDS)
    cache.add(count_key, 0, RATE_WINDOW_SECONDS)
    try:
        count = cache.incr(count_key)
    except ValueError:  # the window ended between add and incr
        cache.set(count_key, 1, RATE_WINDOW_SECONDS)
        count = 1
    if count > RATE_LIMIT:
        started = cache.get(start_key) or time.time()
        retry_at = datetime.datetime.fromtimestamp(started + RATE_WINDOW_SECONDS, tz=datetime.UTC)
        raise EnquiryRateLimited(retry_at=retry_at)


def enquiry_rate_reset(*, ip: str) -> None:
    cache.delete_many(_rate_keys(ip or "unknown"))


def enquiry_thanks_token(enquiry: Enquiry | None) -> str:
    """The signed part of the thank-you page's address: only the submitter is sent there, so only they
    see the enquiry's reference and matches. None (a honeypot submission) signs 0, which shows neither."""
    return signing.dumps(enquiry.pk if enquiry else 0, salt=THANKS_SALT)


def enquiry_for_thanks_token(token: str) -> tuple[bool, Enquiry | None]:
    """(valid, enquiry) for a thank-you token; a valid token for nothing stored gives (True, None)."""
    try:
        pk = signing.loads(token, salt=THANKS_SALT, max_age=THANKS_MAX_AGE_SECONDS)
    except signing.BadSignature:
        return False, None
    if not pk:
        return True, None
    enquiry = Enquiry.objects.filter(pk=pk).first()
    return enquiry is not None, enquiry


@transaction.atomic
def enquiry_submit(
    *,
    ip: str,
    enquirer_kind: str,
    name: str,
    email: str,
    title: str,
    description: str,
    organisation_name: str = "",
    contact_consent: bool = False,
    honeypot: str = "",
) -> Enquiry | None:
    """Store a new enquiry and send the acknowledgement. A filled honeypot stores nothing and returns None,
    so the caller can answer as if it had worked. Every submission counts towards the address's limit."""
    enquiry_rate_hit(ip=ip)
    if honeypot.strip():
        return None
    enquiry = Enquiry(
        enquirer_kind=enquirer_kind,
        name=name.strip(),
        organisation_name=organisation_name.strip(),
        email=email.strip(),
        title=title.strip(),
        description=description.strip(),
        contact_consent=contact_consent,
    )
    audit_save(instance=enquiry, source="enquiry form")
    EnquiryEvent.objects.create(
        enquiry=enquiry, status=Status.NEW, note=CONSENT_GIVEN_NOTE if contact_consent else CONSENT_REFUSED_NOTE
    )
    transaction.on_commit(lambda: enquiry_send_acknowledgement.enqueue(enquiry_id=enquiry.pk))
    return enquiry


def _require_coordinator(user) -> None:
    if not user_is_coordinator(user):
        raise PermissionDenied("Only MHI coordinators triage enquiries.")


def _transition(*, actor, enquiry: Enquiry, status: str, note: str) -> None:
    if status not in TRANSITIONS[enquiry.status]:
        current = enquiry.get_status_display().lower()
        target = Status(status).label.lower() if status in Status.values else f"“{status}”"
        allowed = " or ".join(Status(s).label.lower() for s in TRANSITIONS[enquiry.status])
        then = f"; it can become {allowed}" if allowed else "; a closed enquiry stays closed"
        raise DomainError(f"An enquiry that is {current} cannot become {target}{then}.", field="status")
    now = timezone.now()
    fields = {"status": status}
    stamp = {Status.ROUTED: "routed_at", Status.ANSWERED: "answered_at", Status.CLOSED: "closed_at"}[status]
    if getattr(enquiry, stamp) is None:
        fields[stamp] = now
    audit_save(instance=enquiry, actor=actor, fields=fields)
    EnquiryEvent.objects.create(enquiry=enquiry, status=status, actor=actor, note=note.strip())


@transaction.atomic
def enquiry_route(*, actor, enquiry: Enquiry, people: list[str], note: str = "") -> list[EnquiryRouting]:
    """Send the enquiry to people (by profile slug): one routing each, an email each, and the status moves
    from new to routed. People it was already sent to are skipped."""
    _require_coordinator(actor)
    enquiry = Enquiry.objects.select_for_update().get(pk=enquiry.pk)
    if enquiry.status == Status.CLOSED:
        raise DomainError("This enquiry is closed, so it cannot be routed to anyone.", field="people")
    slugs = list(dict.fromkeys(s.strip() for s in people if s and s.strip()))
    if not slugs:
        raise DomainError("Choose at least one person to route the enquiry to.", field="people")
    found = {p.slug: p for p in directory_selectors.people_visible_to(user=actor).filter(slug__in=slugs)}
    unknown = [s for s in slugs if s not in found]
    if unknown:
        raise DomainError(f"No person with the profile address “{unknown[0]}”.", field="people")
    without_email = [str(p) for p in found.values() if not _contact_email(p)]
    if without_email:
        raise DomainError(
            f"{without_email[0]} has no email address in the directory, so the enquiry cannot be sent to them.",
            field="people",
        )
    already = set(enquiry.routings.values_list("person__slug", flat=True))
    routings = [
        EnquiryRouting.objects.create(enquiry=enquiry, person=found[slug], routed_by=actor, note=note.strip())
        for slug in slugs
        if slug not in already
    ]
    if not routings:
        raise DomainError("The enquiry was already sent to everyone chosen.", field="people")
    names = ", ".join(str(r.person) for r in routings)
    if enquiry.status == Status.NEW:
        _transition(actor=actor, enquiry=enquiry, status=Status.ROUTED, note=f"Routed to {names}. {note}".strip())
    else:
        EnquiryEvent.objects.create(
            enquiry=enquiry, status=enquiry.status, actor=actor, note=f"Also routed to {names}. {note}".strip()
        )
    for routing in routings:
        transaction.on_commit(lambda pk=routing.pk: enquiry_send_to_contact.enqueue(routing_id=pk))
    return routings


@transaction.atomic
def enquiry_set_status(*, actor, enquiry: Enquiry, status: str, note: str = "") -> Enquiry:
    _require_coordinator(actor)
    enquiry = Enquiry.objects.select_for_update().get(pk=enquiry.pk)
    _transition(actor=actor, enquiry=enquiry, status=status, note=note)
    return enquiry


# Reads


def enquiries_visible_to(*, user, status: str = "") -> QuerySet[Enquiry]:
    """Coordinators see every enquiry; nobody else sees any."""
    if not user_is_coordinator(user):
        return Enquiry.objects.none()
    qs = Enquiry.objects.order_by("-created_at", "-pk")
    if status:
        qs = qs.filter(status=status)
    return qs


def enquiry_get(*, user, enquiry_id: int) -> Enquiry:
    return enquiries_visible_to(user=user).get(pk=enquiry_id)


def enquiry_text(enquiry: Enquiry) -> str:
    return f"{enquiry.title}. {enquiry.description}"


def enquiry_suggested_people(*, user, enquiry: Enquiry, limit: int = 10) -> list[ExpertResult]:
    """People ranked for the enquiry among those `user` may see."""
    if loaded_index().size == 0:
        return []  # nothing to rank against, so the model is not loaded for nothing
    return experts_for_text(user=user, text=enquiry_text(enquiry), embedder=embedder(), limit=limit).results


def enquiry_public_matches(*, enquiry: Enquiry, limit: int = 5) -> list[ExpertResult]:
    """What the enquirer is shown: people ranked as an anonymous visitor sees them (public consent only),
    whoever is signed in."""
    return enquiry_suggested_people(user=AnonymousUser(), enquiry=enquiry, limit=limit)


def enquiry_routings(*, user, enquiry: Enquiry) -> QuerySet[EnquiryRouting]:
    return EnquiryRouting.objects.filter(enquiry__in=enquiries_visible_to(user=user), enquiry=enquiry).select_related(
        "person", "routed_by"
    )


def enquiry_events(*, user, enquiry: Enquiry) -> QuerySet[EnquiryEvent]:
    return EnquiryEvent.objects.filter(enquiry__in=enquiries_visible_to(user=user), enquiry=enquiry).select_related(
        "actor"
    )


def _hours(start: datetime.datetime, end: datetime.datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds() / 3600


def enquiry_hours_to_route(enquiry: Enquiry) -> float | None:
    return _hours(enquiry.created_at, enquiry.routed_at)


def enquiry_hours_to_answer(enquiry: Enquiry) -> float | None:
    return _hours(enquiry.created_at, enquiry.answered_at)


@dataclass(frozen=True)
class ResponseTimes:
    enquiries: int
    routed: int
    answered: int
    median_hours_to_route: float | None
    median_hours_to_answer: float | None


def enquiry_response_times(*, enquiries: QuerySet[Enquiry]) -> ResponseTimes:
    """Median hours from receipt to routing and to answer, over the enquiries given (a filtered list)."""
    rows = list(enquiries.values_list("created_at", "routed_at", "answered_at"))
    to_route = [h for created, routed, _ in rows if (h := _hours(created, routed)) is not None]
    to_answer = [h for created, _, answered in rows if (h := _hours(created, answered)) is not None]
    return ResponseTimes(
        enquiries=len(rows),
        routed=len(to_route),
        answered=len(to_answer),
        median_hours_to_route=statistics.median(to_route) if to_route else None,
        median_hours_to_answer=statistics.median(to_answer) if to_answer else None,
    )


# Emails, sent by tasks so a slow mail server never holds up the page. They live beside the services that
# enqueue them so the whole front door is in one module.


def _contact_email(person) -> str:
    return person.email or (person.user.email if person.user_id else "")


@task()
def enquiry_send_acknowledgement(*, enquiry_id: int) -> None:
    enquiry = Enquiry.objects.get(pk=enquiry_id)
    reference = enquiry_reference(enquiry)
    send_mail(
        subject=f"[MHI Hub] We have received your enquiry {reference}",
        message=(
            f"Dear {enquiry.name},\n\n"
            f"Thank you for your enquiry to Midlands Health Innovation, “{enquiry.title}”. "
            f"Its reference is {reference}.\n\n"
            "An MHI coordinator will read it and pass it to the people across the partnership best placed to "
            "help. Quote the reference if you write to us about it.\n\n"
            "MHI Hub"
        ),
        from_email=None,
        recipient_list=[enquiry.email],
    )


@task()
def enquiry_send_to_contact(*, routing_id: int) -> None:
    routing = EnquiryRouting.objects.select_related("enquiry", "person__user", "routed_by").get(pk=routing_id)
    enquiry, person = routing.enquiry, routing.person
    coordinator = routing.routed_by.email if routing.routed_by else settings.DEFAULT_FROM_EMAIL
    who = enquiry.name + (f" ({enquiry.organisation_name})" if enquiry.organisation_name else "")
    if enquiry_contact_consented(enquiry):
        contact = f"{enquiry.name} is happy to be contacted directly at {enquiry.email}."
    else:
        contact = (
            f"{enquiry.name} asked to be put in touch through MHI, so their contact details are not shared. "
            f"If you can help, reply to the MHI coordinator ({coordinator}) and they will put you in touch."
        )
    note = f"\nA note from the coordinator: {routing.note}\n" if routing.note else ""
    send_mail(
        subject=f"[MHI Hub] An enquiry for you: {enquiry.title} ({enquiry_reference(enquiry)})",
        message=(
            f"Dear {person.display_name},\n\n"
            f"MHI has received an enquiry from {who} (enquirer: {enquiry.get_enquirer_kind_display()}) that "
            "matches your expertise.\n\n"
            f"{enquiry.title}\n\n{enquiry.description}\n{note}\n{contact}\n\nMHI Hub"
        ),
        from_email=None,
        recipient_list=[_contact_email(person)],
    )
