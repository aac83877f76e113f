"""Emails about joint responses: a question assigned to its owner, sign-off requested (to each signatory's
institution leads; the coordinator is told which partners have nobody to sign), a decision (to the coordinator),
decisions voided by an edit (to the leads concerned), the response locked (to the coordinator and the leads), and
deadline reminders.

Each email is plain text (templates/responses/email/<name>.txt) with an HTML alternative (the same text, laid out
by templates/responses/email/message.html). The `notify_*` functions are called inside the service's transaction
and send after it commits (`transaction.on_commit`), so nothing is sent for a change that rolled back; a failure
to send is logged, never raised: the sign-off stands whatever the mail server does.

Deadline reminders (`send_deadline_reminders_run`, hourly, or `mhi send-response-reminders`): for a response in
drafting or sign-off with a deadline that has not passed, for each of its `reminder_days` offsets, once the
deadline is that many days away or fewer: each question owner with unanswered questions, and in sign-off each
lead of a signatory that has not decided, is emailed once per (response, user, offset). The ResponseReminder row
is inserted before the email is sent, in the same transaction, so a second run at the same moment fails on that
insert (IntegrityError) and skips it; a failed send rolls the row back and the next run tries again. When several
offsets are due at once, one email is sent (for the nearest) and the others are recorded as passed.
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from mhi.directory.models import Organisation
from mhi.responses.models import Approval, Decision, Question, Response, ResponseReminder, ResponseStatus

logger = logging.getLogger(__name__)
PREFIX = "[MHI Hub] "


# --- sending ------------------------------------------------------------------------------------------------


def _on_commit(send, **kwargs) -> None:
    transaction.on_commit(lambda: _quietly(send, **kwargs))


def _quietly(send, **kwargs) -> None:
    try:
        send(**kwargs)
    except Exception:  # the mail server's trouble is not the response's
        logger.exception("Could not send the response email %s", send.__name__)


def _url(name: str, pk: int) -> str:
    return settings.SITE_URL + reverse(name, args=[pk])


def _name(user) -> str:
    return user.full_name or user.email


def _addresses(users) -> list[str]:
    seen, out = set(), []
    for user in users:
        if user is None or not user.is_active or not user.email:
            continue
        if user.email.lower() not in seen:
            seen.add(user.email.lower())
            out.append(user.email)
    return out


def message(*, template: str, subject: str, to: list[str], context: dict) -> EmailMultiAlternatives:
    text = render_to_string(f"responses/email/{template}.txt", context)
    html = render_to_string(
        "responses/email/message.html", {"subject": subject, "text": text, "url": context.get("url", "")}
    )
    email = EmailMultiAlternatives(subject=PREFIX + subject, body=text, to=to)
    email.attach_alternative(html, "text/html")
    return email


def _send(*, template: str, subject: str, to: list[str], context: dict) -> int:
    to = [address for address in to if address]
    if not to:
        return 0
    message(template=template, subject=subject, to=to, context=context).send()
    return 1


def coordinator_of(response: Response):
    """Whom the response's news goes to: its coordinator, or whoever created it."""
    return response.coordinator or response.created_by


def _response_context(response: Response, **extra) -> dict:
    return {
        "response": response,
        "deadline": f"{response.deadline:%-d %B %Y}" if response.deadline else "",
        "url": _url("responses:detail", response.pk),
        "signoff_url": _url("responses:signoff", response.pk),
        **extra,
    }


# --- the notifications --------------------------------------------------------------------------------------


def notify_assigned(*, question: Question, actor) -> None:
    """Tell a question's (new) owner it is theirs; nobody is told of a question they gave themselves."""
    _on_commit(_send_assigned, question_id=question.pk, actor_id=getattr(actor, "pk", None))


def _send_assigned(*, question_id: int, actor_id: int | None) -> None:
    question = Question.objects.select_related("response", "owner").filter(pk=question_id).first()
    if question is None or question.owner is None or question.owner_id == actor_id:
        return
    response = question.response
    context = _response_context(
        response,
        question=question,
        name=_name(question.owner),
        url=_url("responses:question", question.pk),
    )
    _send(
        template="assigned",
        subject=f"Q{question.number} of “{response.title}” is yours to answer",
        to=_addresses([question.owner]),
        context=context,
    )


def notify_signoff_requested(*, response: Response) -> None:
    """Ask each signatory's institution leads to decide; tell the coordinator which partners have nobody to."""
    _on_commit(_send_signoff_requested, response_id=response.pk)


def _send_signoff_requested(*, response_id: int) -> None:
    from mhi.responses.signoff import signoff_state

    response = Response.objects.select_related("coordinator", "created_by").get(pk=response_id)
    states = signoff_state(response)
    for state in states:
        for lead in state.leads:
            _send(
                template="signoff_requested",
                subject=f"Sign-off asked: “{response.title}” for {state.organisation.name}",
                to=_addresses([lead]),
                context=_response_context(response, name=_name(lead), organisation=state.organisation),
            )
    nobody = [state.organisation for state in states if not _addresses(state.leads)]
    if nobody:
        coordinator = coordinator_of(response)
        _send(
            template="nobody_to_sign",
            subject=f"Nobody to sign “{response.title}” for {', '.join(o.name for o in nobody)}",
            to=_addresses([coordinator]),
            context=_response_context(response, name=_name(coordinator) if coordinator else "", nobody=nobody),
        )


def notify_decision(*, approval: Approval) -> None:
    """Tell the coordinator what a partner decided."""
    _on_commit(_send_decision, approval_id=approval.pk)


def _send_decision(*, approval_id: int) -> None:
    approval = Approval.objects.select_related("response", "organisation", "decided_by").get(pk=approval_id)
    response = approval.response
    coordinator = coordinator_of(response)
    if coordinator is None:
        return
    verb = "approved" if approval.decision == Decision.APPROVED else "asks for changes to"
    _send(
        template="decision",
        subject=f"{approval.organisation.name} {verb} “{response.title}”",
        to=_addresses([coordinator]),
        context=_response_context(
            response,
            name=_name(coordinator),
            approval=approval,
            by=_name(approval.decided_by) if approval.decided_by else "",
            approved=approval.decision == Decision.APPROVED,
        ),
    )


def notify_approvals_voided(*, response: Response, approvals: list[Approval], reason: str) -> None:
    """Tell the leads of the institutions whose decisions were voided that they need to look again."""
    _on_commit(
        _send_approvals_voided,
        response_id=response.pk,
        organisation_ids=sorted({a.organisation_id for a in approvals}),
        reason=reason,
    )


def _send_approvals_voided(*, response_id: int, organisation_ids: list[int], reason: str) -> None:
    from mhi.responses.signoff import leads_by_organisation

    response = Response.objects.get(pk=response_id)
    leads = leads_by_organisation(organisation_ids)
    for organisation in Organisation.objects.filter(pk__in=organisation_ids).order_by("name"):
        for lead in leads.get(organisation.pk, []):
            _send(
                template="approvals_voided",
                subject=f"Look again: the decision on “{response.title}” for {organisation.name} was voided",
                to=_addresses([lead]),
                context=_response_context(
                    response,
                    name=_name(lead),
                    organisation=organisation,
                    reason=reason,
                    in_signoff=response.status == ResponseStatus.SIGN_OFF,
                ),
            )


def notify_locked(*, response: Response) -> None:
    """Tell the coordinator and every signatory's leads that the response is signed off and locked."""
    _on_commit(_send_locked, response_id=response.pk)


def _send_locked(*, response_id: int) -> None:
    from mhi.responses.signoff import signoff_state

    response = Response.objects.select_related("coordinator", "created_by").get(pk=response_id)
    states = signoff_state(response)
    people = [coordinator_of(response), *(lead for state in states for lead in state.leads)]
    for address in _addresses(people):
        _send(
            template="locked",
            subject=f"Signed off by every partner: “{response.title}”",
            to=[address],
            context=_response_context(response, partners=[s.organisation for s in states]),
        )


# --- deadline reminders -------------------------------------------------------------------------------------


def reminder_offsets(response: Response) -> list[int]:
    """The response's reminder days (comma-separated whole days, at least 1), largest first, without repeats;
    anything else in the field is ignored."""
    days = set()
    for part in (response.reminder_days or "").split(","):
        part = part.strip()
        if part.isdigit() and int(part) >= 1:
            days.add(int(part))
    return sorted(days, reverse=True)


@dataclass
class ReminderFor:
    """What one person is reminded of on one response."""

    user: object
    questions: list = field(default_factory=list)  # their unanswered questions
    organisations: list = field(default_factory=list)  # the signatories they have not decided for yet


def reminder_recipients(response: Response) -> list[ReminderFor]:
    """Owners of unanswered questions and, in sign-off, the leads of signatories without a standing decision;
    active users with an email address, by address."""
    from mhi.responses.signoff import signoff_state

    found: dict[int, ReminderFor] = {}
    for question in response.questions.select_related("owner").order_by("number"):
        if question.owner is not None and not question.answer.strip():
            found.setdefault(question.owner_id, ReminderFor(question.owner)).questions.append(question)
    if response.status == ResponseStatus.SIGN_OFF:
        for state in signoff_state(response):
            if state.standing is not None:
                continue
            for lead in state.leads:
                found.setdefault(lead.pk, ReminderFor(lead)).organisations.append(state.organisation)
    people = [r for r in found.values() if r.user.is_active and r.user.email]
    return sorted(people, key=lambda r: (r.user.email.lower(), r.user.pk))


def _days_words(days: int) -> str:
    if days <= 0:
        return "today"
    return "tomorrow" if days == 1 else f"in {days} days"


def reminder_message(*, response: Response, reminder: ReminderFor, today: datetime.date) -> EmailMultiAlternatives:
    days = (response.deadline - today).days
    context = _response_context(
        response,
        name=_name(reminder.user),
        questions=reminder.questions,
        organisations=reminder.organisations,
        in_words=_days_words(days),
    )
    return message(
        template="reminder",
        subject=f"The deadline for “{response.title}” is {response.deadline:%-d %B %Y} ({_days_words(days)})",
        to=[reminder.user.email],
        context=context,
    )


def _remind(*, response: Response, reminder: ReminderFor, due: list[int], today: datetime.date) -> bool:
    """Send one person's reminder for the nearest due offset, recording the others as passed; False when it was
    sent already (by this run's predecessor or a concurrent one)."""
    from mhi.responses import trail

    nearest, passed = min(due), [d for d in due if d != min(due)]
    try:
        with transaction.atomic():
            # The claim: a concurrent run inserting the same row fails here, before anything is sent.
            ResponseReminder.objects.create(response=response, user=reminder.user, days_before=nearest)
            ResponseReminder.objects.bulk_create(
                [ResponseReminder(response=response, user=reminder.user, days_before=d) for d in passed],
                ignore_conflicts=True,
            )
            reminder_message(response=response, reminder=reminder, today=today).send()
            what = [f"Q{q.number}" for q in reminder.questions] + [o.name for o in reminder.organisations]
            trail.event_record(
                response=response,
                kind="reminder_sent",
                actor=None,
                summary=f"Deadline reminder ({nearest} days before) sent to {_name(reminder.user)}: " + ", ".join(what),
                user=reminder.user.pk,
                days_before=nearest,
            )
    except IntegrityError:
        return False
    return True


def send_deadline_reminders_run(*, today: datetime.date | None = None) -> int:
    """Send every deadline reminder that is due today; returns how many emails were sent. A reminder whose
    email fails is logged and stays due for the next run; the others are still sent."""
    today = today or timezone.localdate()
    sent = 0
    responses = Response.objects.filter(
        status__in=[ResponseStatus.DRAFTING, ResponseStatus.SIGN_OFF], deadline__isnull=False, deadline__gte=today
    ).order_by("pk")
    for response in responses:
        offsets = reminder_offsets(response)
        due_now = [d for d in offsets if (response.deadline - today).days <= d]
        if not due_now:
            continue
        done: dict[int, set[int]] = {}
        for user_id, days in ResponseReminder.objects.filter(response=response).values_list("user_id", "days_before"):
            done.setdefault(user_id, set()).add(days)
        for reminder in reminder_recipients(response):
            due = [d for d in due_now if d not in done.get(reminder.user.pk, set())]
            if not due:
                continue
            try:
                sent += _remind(response=response, reminder=reminder, due=due, today=today)
            except Exception:
                logger.exception(
                    "The deadline reminder for response %s to user %s failed", response.pk, reminder.user.pk
                )
    return sent
