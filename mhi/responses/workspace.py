"""The response workspace: creating and editing a response, its signatories, and its questions (typed, pasted,
imported, edited, owned, reordered, deleted). Services and the selectors the workspace pages need.

Rules:
- Only coordinators create a response (`access.may_create_response`); only its managers
  (`access.response_permissions(...).manage`) change it. Refusals are `mhi.core.errors.PermissionDenied`.
- Nothing changes a locked (or published) response, nor a withdrawn one: every service refuses with the reason.
- A response answers a consultation (an opportunity of kind consultation: its title and closing date are the
  defaults) or is a free-standing position statement. Its deadline is not in the past.
- Signatories are partner institutions: organisations of kind university. Anything else is refused by name.
- A question's owner is one of the response's contributors: its coordinator, or a user with a role other than
  external at one of its signatory institutions. Setting an owner tells them (notifications.notify_assigned).
- Questions are numbered 1..n in order, always; a question is deleted only while it has no answer and no
  contributions.
- Every write is audited (mhi.core.audit) and recorded in the response's trail (trail.event_record). A change to
  what the partners sign (a question's text or word limit, a question added, removed or moved) raises the
  response's revision and voids every standing sign-off decision (signoff.approvals_void).
"""

import datetime
import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Case, Max, Q, QuerySet, Value, When
from django.utils import timezone

from mhi.accounts.models import Membership, Role
from mhi.core.audit import audit_delete, audit_record, audit_save_or_refuse, audit_snapshot
from mhi.core.errors import DomainError, ImportFailed, PermissionDenied
from mhi.core.models import AuditEvent
from mhi.directory.models import Organisation
from mhi.opportunities.models import Kind as OpportunityKind
from mhi.opportunities.models import Opportunity
from mhi.responses import access, question_import, trail
from mhi.responses.models import Question, Response, ResponseKind, ResponseStatus, Signatory

SOURCE = "responses.workspace"
TITLE_MAX = Response._meta.get_field("title").max_length
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --- reading ------------------------------------------------------------------------------------------------


def signatory_choices() -> QuerySet[Organisation]:
    """The institutions that may sign: universities, the partnership's members first, then by name."""
    partner_first = Case(When(partnership__isnull=False, then=Value(0)), default=Value(1))
    return (
        Organisation.objects.filter(kind=Organisation.Kind.UNIVERSITY)
        .annotate(partner_first=partner_first)
        .order_by("partner_first", "name")
    )


def partner_institutions() -> QuerySet[Organisation]:
    """The partnership's member universities (the directory's PartnerInstitution rows)."""
    return Organisation.objects.filter(kind=Organisation.Kind.UNIVERSITY, partnership__isnull=False).order_by("name")


def consultations() -> QuerySet[Opportunity]:
    return Opportunity.objects.filter(kind=OpportunityKind.CONSULTATION).order_by("-closes_at", "title")


def coordinator_choices() -> QuerySet:
    """Who may be named a response's coordinator: active users with a role in the partnership (not external)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, memberships__isnull=False)
        .exclude(memberships__role=Role.EXTERNAL)
        .distinct()
        .order_by("full_name", "email")
    )


def contributors_of(response: Response) -> QuerySet:
    """The users who may own a question: the coordinator, and members (any role but external) of a signatory."""
    organisation_ids = response.signatories.values("organisation_id")
    members = Membership.objects.filter(organisation_id__in=organisation_ids).exclude(role=Role.EXTERNAL)
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(pk=response.coordinator_id) | Q(pk__in=members.values("user_id")))
        .distinct()
        .order_by("full_name", "email")
    )


def word_count(text: str) -> int:
    """Words as the answer editor counts them (mhi.responses.drafting.word_count)."""
    from mhi.responses.drafting import word_count as drafting_word_count

    return drafting_word_count(text or "")


@dataclass
class QuestionRow:
    question: Question
    words: int
    over_limit: bool
    answered: bool
    contributions: int

    @property
    def deletable(self) -> bool:
        return not self.answered and not self.contributions


def question_rows(response: Response) -> list[QuestionRow]:
    from django.db.models import Count

    rows = []
    questions = response.questions.select_related("owner").annotate(n_contributions=Count("contributions"))
    for question in questions.order_by("number"):
        words = word_count(question.answer)
        rows.append(
            QuestionRow(
                question=question,
                words=words,
                over_limit=question.word_limit is not None and words > question.word_limit,
                answered=question.answer_version > 0 and bool(question.answer.strip()),
                contributions=question.n_contributions,
            )
        )
    return rows


def days_left(response: Response, *, today: datetime.date | None = None) -> int | None:
    if response.deadline is None:
        return None
    return (response.deadline - (today or timezone.localdate())).days


# --- checks -------------------------------------------------------------------------------------------------


def _require_manager(*, user, response: Response) -> None:
    if not access.response_permissions(user=user, response=response).manage:
        raise PermissionDenied("Only the response's coordinator, or an MHI coordinator, may change it.")


def refuse_closed(response: Response) -> None:
    """Nothing changes a locked, published or withdrawn response."""
    if response.status == ResponseStatus.PUBLISHED:
        raise DomainError("The response is published: it is signed off and locked, and nothing in it can change.")
    if response.is_locked:
        raise DomainError(
            "The response is locked: every partner signed it off, and nothing in it can change unless a coordinator "
            "unlocks it."
        )
    if response.status == ResponseStatus.WITHDRAWN:
        raise DomainError("The response was withdrawn: nothing in it can change.")


def _fresh_for_update(response: Response) -> Response:
    """Re-read the response's status under a row lock, so a sign-off that locks it meanwhile is seen."""
    fresh = Response.objects.select_for_update().get(pk=response.pk)
    response.status, response.revision = fresh.status, fresh.revision
    return response


def _editable(*, user, response: Response) -> Response:
    _require_manager(user=user, response=response)
    _fresh_for_update(response)
    refuse_closed(response)
    return response


def _text(value, *, field: str, label: str, required: bool = False, max_length: int | None = None) -> str:
    text = "" if value is None else str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    if _CONTROL.search(text):
        raise DomainError(f"{label} contains a control character, which cannot be stored; remove it.", field=field)
    if required and not text:
        raise DomainError(f"Enter the {label.lower()}.", field=field)
    if max_length and len(text) > max_length:
        raise DomainError(f"{label} is {len(text)} characters; the most is {max_length}.", field=field)
    return text


def _deadline(
    value, *, field: str = "deadline", today: datetime.date | None = None, allow_past: bool = False
) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if not isinstance(value, datetime.date):
        try:
            value = datetime.date.fromisoformat(str(value))
        except ValueError:
            raise DomainError(f"“{value}” is not a date: write it as YYYY-MM-DD.", field=field) from None
    today = today or timezone.localdate()
    if value < today and not allow_past:
        raise DomainError(f"The deadline {value:%-d %B %Y} has passed: choose today or a later day.", field=field)
    return value


def _word_limit(value, *, field: str = "word_limit") -> int | None:
    limit, problem = question_import.word_limit_value(value)
    if problem:
        raise DomainError(f"Word limit: {problem}.", field=field)
    return limit


def _coordinator(value, *, field: str = "coordinator"):
    if value is None:
        return None
    user = value
    if not isinstance(value, get_user_model()):
        user = get_user_model().objects.filter(email__iexact=str(value).strip()).first()
        if user is None:
            raise DomainError(f"Nobody with the address “{value}” has an account.", field=field)
    if not user.is_active:
        raise DomainError(f"{user} cannot coordinate the response: their account is closed.", field=field)
    if not coordinator_choices().filter(pk=user.pk).exists():
        raise DomainError(
            f"{user} cannot coordinate the response: they have no role at a partner organisation.", field=field
        )
    return user


def _signatory_organisations(values, *, field: str = "signatories") -> list[Organisation]:
    """Organisations (or their slugs or ids) that may sign: universities; anything else refused by name."""
    found: list[Organisation] = []
    for value in values or []:
        if isinstance(value, Organisation):
            organisation = value
        elif isinstance(value, int):
            organisation = Organisation.objects.filter(pk=value).first()
        else:
            organisation = Organisation.objects.filter(slug=str(value).strip()).first()
        if organisation is None:
            raise DomainError(f"There is no organisation “{value}” in the directory.", field=field)
        if organisation.kind != Organisation.Kind.UNIVERSITY:
            raise DomainError(
                f"{organisation.name} cannot sign: signatories are partner institutions (universities), and it is "
                f"{organisation.get_kind_display().lower()}.",
                field=field,
            )
        if organisation not in found:
            found.append(organisation)
    return found


def _owner(value, *, response: Response, field: str = "owner"):
    if value in (None, ""):
        return None
    user = value
    if not isinstance(value, get_user_model()):
        user = get_user_model().objects.filter(email__iexact=str(value).strip(), is_active=True).first()
        if user is None:
            raise DomainError(f"Nobody with the address “{value}” has an account.", field=field)
    if not contributors_of(response).filter(pk=user.pk).exists():
        raise DomainError(
            f"{user} cannot own a question: owners are the response's coordinator or members of its signatory "
            f"institutions.",
            field=field,
        )
    return user


def _changed(*, response: Response, user, reason: str) -> None:
    """What the partners sign changed: raise the revision and void the standing decisions."""
    from mhi.responses.signoff import approvals_void

    trail.revision_bump(response=response)
    approvals_void(response=response, actor=user, reason=reason)


def _notify_owner(*, question: Question, user) -> None:
    from mhi.responses.notifications import notify_assigned

    notify_assigned(question=question, actor=user)


def _save(instance, *, user, fields: dict | None = None) -> bool:
    return audit_save_or_refuse(instance=instance, actor=user, source=SOURCE, fields=fields)


# --- responses ----------------------------------------------------------------------------------------------


def response_create(
    *,
    user,
    title: str = "",
    kind: str | None = None,
    opportunity: Opportunity | None = None,
    introduction: str = "",
    deadline=None,
    coordinator=None,
    signatories=(),
    today: datetime.date | None = None,
) -> Response:
    """A new response, in drafting. From a consultation, its title ("Response to …") and closing date are the
    defaults and the response links to it; without one it is a position statement."""
    if not access.may_create_response(user):
        raise PermissionDenied("Only MHI coordinators start joint responses.")
    if opportunity is not None and opportunity.kind != OpportunityKind.CONSULTATION:
        raise DomainError(
            f"“{opportunity.title}” is a {opportunity.get_kind_display().lower()}, not a consultation: a joint "
            f"response answers a consultation, or is a position statement.",
            field="opportunity",
        )
    kind = kind or (ResponseKind.CONSULTATION if opportunity is not None else ResponseKind.POSITION)
    if kind not in ResponseKind.values:
        raise DomainError(f"“{kind}” is not a kind of response: use consultation or position.", field="kind")
    if kind == ResponseKind.CONSULTATION and opportunity is None:
        raise DomainError(
            "Choose the consultation this responds to, or make it a position statement.", field="opportunity"
        )
    if kind == ResponseKind.POSITION:
        opportunity = None
    title = _text(title, field="title", label="Title", max_length=TITLE_MAX)
    if not title and opportunity is not None:
        title = f"Response to {opportunity.title}"[:TITLE_MAX]
    if not title:
        raise DomainError("Enter the title.", field="title")
    if deadline in (None, "") and opportunity is not None and opportunity.closes_at is not None:
        closes = timezone.localtime(opportunity.closes_at).date()
        if closes >= (today or timezone.localdate()):
            deadline = closes
    deadline = _deadline(deadline, today=today)
    coordinator = _coordinator(coordinator) if coordinator is not None else user
    organisations = _signatory_organisations(signatories)
    introduction = _text(introduction, field="introduction", label="Introduction")
    with transaction.atomic():
        response = Response(
            title=title,
            kind=kind,
            opportunity=opportunity,
            introduction=introduction,
            deadline=deadline,
            coordinator=coordinator,
            created_by=user,
        )
        _save(response, user=user)
        for organisation in organisations:
            _save(Signatory(response=response, organisation=organisation), user=user)
        trail.event_record(
            response=response,
            kind="response_created",
            actor=user,
            summary=f"{response.get_kind_display()} “{response.title}” started",
            opportunity=opportunity.pk if opportunity else None,
            signatories=[o.slug for o in organisations],
        )
    return response


RESPONSE_FIELDS = ("title", "introduction", "deadline", "coordinator", "signatories")


def response_update(*, user, response: Response, today: datetime.date | None = None, **fields) -> Response:
    """Change the title, introduction, deadline, coordinator or signatories (the list given replaces them)."""
    unknown = [name for name in fields if name not in RESPONSE_FIELDS]
    if unknown:
        raise DomainError(f"“{unknown[0]}” is not something a response's workspace changes.", field=unknown[0])
    with transaction.atomic():
        _editable(user=user, response=response)
        values = {}
        if "title" in fields:
            values["title"] = _text(fields["title"], field="title", label="Title", required=True, max_length=TITLE_MAX)
        if "introduction" in fields:
            values["introduction"] = _text(fields["introduction"], field="introduction", label="Introduction")
        if "deadline" in fields:
            # An unchanged deadline that has meanwhile passed may stay; a new one may not be in the past.
            new = _deadline(fields["deadline"], allow_past=True)
            values["deadline"] = new if new == response.deadline else _deadline(new, today=today)
        if "coordinator" in fields:
            coordinator = _coordinator(fields["coordinator"])
            if coordinator is None:
                raise DomainError("Choose the response's coordinator.", field="coordinator")
            values["coordinator"] = coordinator
        changed = _save(response, user=user, fields=values) if values else False
        summary = [name for name in values if changed]
        if "signatories" in fields:
            added, removed = _signatories_set(user=user, response=response, organisations=fields["signatories"])
            if added or removed:
                summary.append("signatories")
                trail.event_record(
                    response=response,
                    kind="signatories_changed",
                    actor=user,
                    summary=_signatories_summary(added, removed),
                    added=[o.slug for o in added],
                    removed=[o.slug for o in removed],
                )
                _changed(response=response, user=user, reason="the signatories changed")
        if changed:
            trail.event_record(
                response=response,
                kind="response_edited",
                actor=user,
                summary=f"Changed the {', '.join(n for n in values)}",
                fields=list(values),
            )
    return response


def _signatories_summary(added, removed) -> str:
    parts = []
    if added:
        parts.append("Added " + ", ".join(o.name for o in added))
    if removed:
        parts.append("removed " + ", ".join(o.name for o in removed))
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + " as signatories"


def _signatories_set(*, user, response: Response, organisations) -> tuple[list, list]:
    wanted = _signatory_organisations(organisations)
    wanted_ids = {o.pk for o in wanted}
    current = {s.organisation_id: s for s in response.signatories.select_related("organisation")}
    removed = []
    for organisation_id, signatory in current.items():
        if organisation_id not in wanted_ids:
            # Its decisions stay in the trail (voided with the others below); it simply no longer signs.
            removed.append(signatory.organisation)
            audit_delete(instance=signatory, actor=user, source=SOURCE)
    added = []
    for organisation in wanted:
        if organisation.pk not in current:
            _save(Signatory(response=response, organisation=organisation), user=user)
            added.append(organisation)
    return added, removed


# --- questions ----------------------------------------------------------------------------------------------


def _next_number(response: Response) -> int:
    return (response.questions.aggregate(n=Max("number"))["n"] or 0) + 1


def _question_values(*, response: Response, text, word_limit, guidance, owner, field_prefix: str = "") -> dict:
    return {
        "text": _text(text, field=f"{field_prefix}text", label="Question", required=True),
        "word_limit": _word_limit(word_limit, field=f"{field_prefix}word_limit"),
        "guidance": _text(guidance, field=f"{field_prefix}guidance", label="Guidance"),
        "owner": _owner(owner, response=response, field=f"{field_prefix}owner"),
    }


def question_add(*, user, response: Response, text, word_limit=None, guidance: str = "", owner=None) -> Question:
    """Add a question at the end."""
    with transaction.atomic():
        _editable(user=user, response=response)
        values = _question_values(response=response, text=text, word_limit=word_limit, guidance=guidance, owner=owner)
        question = Question(response=response, number=_next_number(response), **values)
        _save(question, user=user)
        trail.event_record(
            response=response,
            kind="question_added",
            actor=user,
            summary=f"Added Q{question.number}: {question.text[:200]}",
            question=question.pk,
        )
        _changed(response=response, user=user, reason=f"Q{question.number} was added")
        if question.owner_id:
            _notify_owner(question=question, user=user)
    return question


def _append(*, user, response: Response, parsed: list, how: str) -> list[Question]:
    """Write parsed questions after the existing ones, all or none (owners checked first)."""
    problems = []
    owners = {}
    for index, item in enumerate(parsed):
        if item.owner_email:
            try:
                owners[index] = _owner(item.owner_email, response=response)
            except DomainError as exc:
                problems.append(item.problem(exc.message.rstrip("."), column="owner"))
        if len(item.text) > 10_000:
            problems.append(item.problem("the question is longer than 10,000 characters", column="question"))
    if problems:
        raise ImportFailed(problems)
    start = _next_number(response)
    created = []
    for index, item in enumerate(parsed):
        question = Question(
            response=response,
            number=start + index,
            text=item.text,
            word_limit=item.word_limit,
            guidance=item.guidance,
            owner=owners.get(index),
        )
        _save(question, user=user)
        created.append(question)
    if created:
        numbers = f"Q{created[0].number}" if len(created) == 1 else f"Q{created[0].number}–Q{created[-1].number}"
        trail.event_record(
            response=response,
            kind="questions_imported",
            actor=user,
            summary=f"Added {len(created)} question{'s' if len(created) != 1 else ''} ({numbers}) {how}",
            questions=[q.pk for q in created],
        )
        _changed(response=response, user=user, reason=f"{numbers} {'was' if len(created) == 1 else 'were'} added")
        for question in created:
            if question.owner_id:
                _notify_owner(question=question, user=user)
    return created


def questions_paste(*, user, response: Response, text: str) -> list[Question]:
    """Add the questions of a pasted list (question_import.parse_pasted), after the existing ones; all or none."""
    with transaction.atomic():
        _editable(user=user, response=response)
        parsed = question_import.parse_pasted(text)
        return _append(user=user, response=response, parsed=parsed, how="from a pasted list")


def questions_import(*, user, response: Response, content: bytes | None = None, filename: str = "", text=None):
    """Add the questions of an uploaded .docx or .csv file (or of pasted `text`); all or none."""
    with transaction.atomic():
        _editable(user=user, response=response)
        if content is None:
            if text is None:
                raise DomainError("Upload a .docx or .csv file, or paste the questions.", field="file")
            parsed = question_import.parse_pasted(text)
            how = "from a pasted list"
        else:
            parsed = question_import.parse_upload(content=content, filename=filename)
            how = f"from {filename}"
        return _append(user=user, response=response, parsed=parsed, how=how)


QUESTION_FIELDS = ("text", "word_limit", "guidance", "owner")


def question_update(*, user, question: Question, **fields) -> Question:
    """Change a question's text, word limit, guidance or owner. Text or limit: a new revision."""
    unknown = [name for name in fields if name not in QUESTION_FIELDS]
    if unknown:
        raise DomainError(f"“{unknown[0]}” is not something a question has.", field=unknown[0])
    response = question.response
    with transaction.atomic():
        _editable(user=user, response=response)
        values = {}
        if "text" in fields:
            values["text"] = _text(fields["text"], field="text", label="Question", required=True)
        if "word_limit" in fields:
            values["word_limit"] = _word_limit(fields["word_limit"])
        if "guidance" in fields:
            values["guidance"] = _text(fields["guidance"], field="guidance", label="Guidance")
        if "owner" in fields:
            values["owner"] = _owner(fields["owner"], response=response)
        before = audit_snapshot(Question.objects.get(pk=question.pk))
        if not _save(question, user=user, fields=values):
            return question
        changed = [
            name for name in values if before.get(Question._meta.get_field(name).attname) != _attr(question, name)
        ]
        trail.event_record(
            response=response,
            kind="question_edited",
            actor=user,
            summary=f"Changed Q{question.number}'s {', '.join(n.replace('_', ' ') for n in changed)}",
            question=question.pk,
            fields=changed,
        )
        if {"text", "word_limit"} & set(changed):
            what = " and ".join(n.replace("_", " ") for n in changed if n in ("text", "word_limit"))
            _changed(response=response, user=user, reason=f"Q{question.number}'s {what} changed")
        if "owner" in changed and question.owner_id:
            _notify_owner(question=question, user=user)
    return question


def _attr(question: Question, name: str):
    return getattr(question, Question._meta.get_field(name).attname)


def questions_set_owners_and_limits(*, user, response: Response, values: dict[int, dict]) -> int:
    """Several questions' owners and word limits at once ({question id: {"owner": …, "word_limit": …}});
    all or none. Returns how many questions changed."""
    with transaction.atomic():
        _editable(user=user, response=response)
        questions = {q.pk: q for q in response.questions.all()}
        changed = 0
        for pk, fields in values.items():
            question = questions.get(pk)
            if question is None:
                raise DomainError(f"Question {pk} is not one of this response's.")
            question.response = response
            before = (question.owner_id, question.word_limit)
            try:
                question_update(user=user, question=question, **fields)
            except DomainError as exc:
                raise DomainError(f"Q{question.number}: {exc.message}", field=f"{exc.field}_{pk}") from exc
            changed += before != (question.owner_id, question.word_limit)
    return changed


def question_delete(*, user, question: Question) -> None:
    """Delete a question that has no answer and no contributions; the ones after it move up."""
    response = question.response
    with transaction.atomic():
        _editable(user=user, response=response)
        if question.answer_version > 0:
            raise DomainError(f"Q{question.number} has an answer, so it cannot be deleted; edit its text instead.")
        if question.contributions.exists():
            raise DomainError(
                f"Q{question.number} has contributions from partners, so it cannot be deleted; edit its text instead."
            )
        number, text = question.number, question.text
        audit_delete(instance=question, actor=user, source=SOURCE)
        _renumber(user=user, response=response, order=list(response.questions.order_by("number")))
        trail.event_record(
            response=response,
            kind="question_deleted",
            actor=user,
            summary=f"Deleted Q{number}: {text[:200]}",
            number=number,
        )
        _changed(response=response, user=user, reason=f"Q{number} was deleted")


def _renumber(*, user, response: Response, order: list[Question]) -> bool:
    """Number the questions 1..n in the order given, in two steps (past the highest number first, so the unique
    (response, number) constraint holds at every step). Each moved question is audited once. Returns whether
    any number changed."""
    befores = {q.pk: audit_snapshot(q) for q in order}
    targets = {q.pk: index for index, q in enumerate(order, start=1)}
    moving = [q for q in order if q.number != targets[q.pk]]
    if not moving:
        return False
    top = (response.questions.aggregate(n=Max("number"))["n"] or 0) + 1
    for offset, question in enumerate(moving):
        Question.objects.filter(pk=question.pk).update(number=top + offset)
    for question in moving:
        Question.objects.filter(pk=question.pk).update(number=targets[question.pk])
        question.number = targets[question.pk]
        audit_record(
            instance=question, action=AuditEvent.Action.UPDATE, before=befores[question.pk], actor=user, source=SOURCE
        )
    return True


def questions_reorder(*, user, response: Response, order: list[int]) -> list[Question]:
    """Put the questions in the order given (every question's id, once)."""
    with transaction.atomic():
        _editable(user=user, response=response)
        questions = {q.pk: q for q in response.questions.order_by("number")}
        ids = [int(pk) for pk in order]
        if sorted(ids) != sorted(questions) or len(set(ids)) != len(ids):
            raise DomainError(
                "Give every question of the response once, in the new order "
                f"(it has {len(questions)} question{'s' if len(questions) != 1 else ''}).",
                field="order",
            )
        before = [questions[pk].number for pk in ids]
        if _renumber(user=user, response=response, order=[questions[pk] for pk in ids]):
            trail.event_record(
                response=response,
                kind="questions_reordered",
                actor=user,
                summary="Reordered the questions: " + ", ".join(f"Q{n}" for n in before) + f" are now Q1–Q{len(ids)}",
                order=ids,
            )
            _changed(response=response, user=user, reason="the questions were reordered")
        return [questions[pk] for pk in ids]


def question_move(*, user, question: Question, to: int) -> list[Question]:
    """Move one question to position `to` (1..n); the others keep their order."""
    response = question.response
    ids = list(response.questions.order_by("number").values_list("pk", flat=True))
    if not isinstance(to, int) or isinstance(to, bool) or not 1 <= to <= len(ids):
        raise DomainError(f"“{to}” is not a position: use 1 to {len(ids)}.", field="number")
    ids.remove(question.pk)
    ids.insert(to - 1, question.pk)
    return questions_reorder(user=user, response=response, order=ids)
