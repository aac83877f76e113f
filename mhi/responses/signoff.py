"""Sign-off of a joint response: marking the draft final, each partner's decision, voiding decisions when the text
changes, locking, publishing, and the recorded ways back (reopen, unpublish, unlock).

The rules (docs/decisions/0009-response-sign-off.md):

- A manager (`access.response_permissions(...).manage`) marks a drafting response final when every question has
  an answer within its word limit and there is at least one signatory: status sign_off, `final_revision` =
  `revision`, and each signatory's institution leads are asked to decide.
- An institution lead decides for their signatory institution (approve, or request changes with a comment), on
  the revision they read: a decision on an older revision is refused (Conflict). A new decision replaces the
  institution's standing one, which is voided first ("replaced by a new decision"): at most one standing
  decision per institution (the partial unique constraint `approval_one_standing`).
- Any edit to the answers or questions voids every standing decision (`approvals_void`, called by the drafting
  and workspace services in the transaction that makes the edit). Decisions are voided, never deleted: they are
  the trail. A response in sign-off stays in sign-off; the leads decide again on the new text.
- When every signatory has a standing approval at the current revision the response locks, in the transaction of
  the last approval. Nothing changes a locked response; only a recorded `unlock` by a manager, with a reason,
  takes it back to drafting (voiding every approval).
- A locked response may be published (a public page) and unpublished back to locked.

Every operation runs in one transaction, is audited (mhi.core.audit) and adds a line to the response's trail
(mhi.responses.trail.event_record). Emails are queued for after the commit (mhi.responses.notifications).
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from mhi.accounts.models import Membership, Role
from mhi.core.audit import audit_record, audit_save, audit_snapshot
from mhi.core.errors import Conflict, DomainError, PermissionDenied
from mhi.core.models import AuditEvent
from mhi.directory.models import Organisation
from mhi.responses import library, notifications, trail
from mhi.responses.access import response_permissions
from mhi.responses.models import Approval, Decision, Response, ResponseStatus

SOURCE = "responses.signoff"
REPLACED = "replaced by a new decision"


# --- reading ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerState:
    """One signatory institution's sign-off state."""

    organisation: Organisation
    standing: Approval | None  # the institution's standing decision, or None
    leads: list = field(default_factory=list)  # its institution leads (active users)
    voided: list = field(default_factory=list)  # its voided decisions, oldest first
    revision: int = 0  # the response's current revision

    @property
    def approved(self) -> bool:
        """A standing approval of the current text."""
        return (
            self.standing is not None
            and self.standing.decision == Decision.APPROVED
            and self.standing.revision == self.revision
        )

    @property
    def state(self) -> str:
        """approved, changes_requested or waiting."""
        if self.standing is None:
            return "waiting"
        return self.standing.decision

    @property
    def state_label(self) -> str:
        return {
            "waiting": "Waiting for a decision",
            Decision.APPROVED: "Approved",
            Decision.CHANGES_REQUESTED: "Changes requested",
        }[self.state]


def person(user) -> str:
    if user is None:
        return "someone no longer registered"
    return user.full_name or user.email


def leads_by_organisation(organisation_ids) -> dict[int, list]:
    """{organisation id: [its active institution leads, by name]} for the given organisations."""
    ids = set(organisation_ids)
    found: dict[int, list] = {pk: [] for pk in ids}
    memberships = (
        Membership.objects.filter(role=Role.INSTITUTION_LEAD, organisation_id__in=ids, user__is_active=True)
        .select_related("user")
        .order_by("user__full_name", "user__email", "user_id")
    )
    for membership in memberships:
        found[membership.organisation_id].append(membership.user)
    return found


def signoff_state(response: Response) -> list[PartnerState]:
    """Each signatory, by name: its standing decision (or None), its leads and its voided decisions."""
    signatories = list(response.signatories.select_related("organisation").order_by("organisation__name"))
    org_ids = [s.organisation_id for s in signatories]
    approvals = list(
        Approval.objects.filter(response=response, organisation_id__in=org_ids)
        .select_related("decided_by", "voided_by")
        .order_by("decided_at", "id")
    )
    leads = leads_by_organisation(org_ids)
    states = []
    for signatory in signatories:
        mine = [a for a in approvals if a.organisation_id == signatory.organisation_id]
        standing = next((a for a in mine if a.voided_at is None), None)
        states.append(
            PartnerState(
                organisation=signatory.organisation,
                standing=standing,
                leads=leads.get(signatory.organisation_id, []),
                voided=[a for a in mine if a.voided_at is not None],
                revision=response.revision,
            )
        )
    return states


def _word_count(text: str) -> int:
    """Words as the answer editor counts them (mhi.responses.drafting.word_count)."""
    from mhi.responses.drafting import word_count

    return word_count(text)


def final_problems(response: Response) -> list[str]:
    """Why the response cannot be marked final yet: unanswered questions, answers over their limit, no
    signatories. Empty when it can."""
    problems = []
    questions = list(response.questions.order_by("number"))
    if not questions:
        problems.append("The response has no questions yet")
    for question in questions:
        if not question.answer.strip():
            problems.append(f"Q{question.number} has no answer yet")
            continue
        words = _word_count(question.answer)
        if question.word_limit is not None and words > question.word_limit:
            problems.append(f"Q{question.number} is {words} words; the limit is {question.word_limit}")
    if not response.signatories.exists():
        problems.append("No partner institutions are expected to sign; add the signatories first")
    return problems


# --- helpers ------------------------------------------------------------------------------------------------


def _locked_row(response: Response) -> Response:
    """The response re-read and locked for the rest of the transaction (decisions and edits queue behind it)."""
    fresh = Response.objects.select_for_update().get(pk=response.pk)
    for name in ("status", "revision", "final_revision", "locked_at", "published_at"):
        setattr(response, name, getattr(fresh, name))
    return fresh


def _require_manager(*, user, response: Response, doing: str) -> None:
    if not response_permissions(user=user, response=response).manage:
        raise PermissionDenied(f"Only the response's coordinator may {doing}.")


def _refuse_locked(response: Response) -> None:
    if response.is_locked:
        raise DomainError(
            "The response is locked: every partner signed it off. Nothing changes it unless a coordinator "
            "unlocks it, with a reason."
        )


def _set_status(*, response: Response, user, fields: dict) -> None:
    audit_save(instance=response, actor=user, source=SOURCE, fields=fields)


def _void(*, response: Response, actor, reason: str, approvals=None) -> list[Approval]:
    """Void the given standing decisions (default: all of the response's), one trail line each."""
    if approvals is None:
        approvals = list(
            Approval.objects.filter(response=response, voided_at__isnull=True)
            .select_related("organisation")
            .order_by("organisation__name", "id")
        )
    now = timezone.now()
    by = person(actor) if getattr(actor, "is_authenticated", False) else ""
    for approval in approvals:
        before = audit_snapshot(approval)
        approval.voided_at = now
        approval.voided_by = actor if getattr(actor, "is_authenticated", False) else None
        approval.void_reason = reason[:300]
        approval.save(update_fields=["voided_at", "voided_by", "void_reason"])
        audit_record(instance=approval, action=AuditEvent.Action.UPDATE, before=before, actor=actor, source=SOURCE)
        what = "Approval" if approval.decision == Decision.APPROVED else "Request for changes"
        trail.event_record(
            response=response,
            kind="approval_voided",
            actor=actor if by else None,
            summary=f"{what} by {approval.organisation.name} voided: {reason}",
            approval=approval.pk,
            organisation=approval.organisation.slug,
            decision=approval.decision,
            revision=approval.revision,
            reason=reason,
        )
    return approvals


# --- the interface other areas call -------------------------------------------------------------------------


def approvals_void(*, response: Response, actor, reason: str) -> int:
    """Void every standing decision on the response (approved or changes requested), because its text changed:
    one trail line each, and the leads concerned are told to look again. Returns how many were voided. The
    reason names what changed ("Q3 answer edited"); the editor's name is added when it does not say who.

    Call it inside the transaction that makes the edit. A locked response is refused (nothing edits it); a
    response in sign-off stays in sign-off (its leads decide again on the new text)."""
    if getattr(actor, "is_authenticated", False) and person(actor) not in reason:
        reason = f"{reason} by {person(actor)}"
    with transaction.atomic():
        _refuse_locked(response)
        voided = _void(response=response, actor=actor, reason=reason)
        if voided:
            notifications.notify_approvals_voided(response=response, approvals=voided, reason=reason)
    return len(voided)


# --- operations ---------------------------------------------------------------------------------------------


def mark_final(*, user, response: Response) -> Response:
    """Mark the draft final and ask each signatory's leads to decide."""
    _require_manager(user=user, response=response, doing="mark it final")
    with transaction.atomic():
        _locked_row(response)
        _refuse_locked(response)
        if response.status != ResponseStatus.DRAFTING:
            raise DomainError(
                f"Only a response in drafting can be marked final; this one is “{response.get_status_display()}”."
            )
        problems = final_problems(response)
        if problems:
            raise DomainError(". ".join(problems) + ".")
        # Nothing should stand in drafting; anything left over is not a decision on this final draft.
        _void(response=response, actor=user, reason=f"the draft was marked final again at r{response.revision}")
        _set_status(
            response=response,
            user=user,
            fields={"status": ResponseStatus.SIGN_OFF, "final_revision": response.revision},
        )
        names = list(response.signatories.order_by("organisation__name").values_list("organisation__name", flat=True))
        trail.event_record(
            response=response,
            kind="marked_final",
            actor=user,
            summary=f"Marked final at r{response.revision} by {person(user)}; sign-off asked of {', '.join(names)}",
            revision=response.revision,
        )
        notifications.notify_signoff_requested(response=response)
    return response


def decide(
    *, user, response: Response, organisation: Organisation, decision: str, comment: str, revision: int
) -> Approval:
    """An institution lead's decision for their signatory institution on the revision they read."""
    comment = (comment or "").strip()
    if decision not in Decision.values:
        raise DomainError("Choose whether to approve or to request changes.", field="decision")
    perms = response_permissions(user=user, response=response)
    if not response.signatories.filter(organisation=organisation).exists():
        raise PermissionDenied(f"{organisation.name} is not a signatory of this response.")
    if organisation.pk not in perms.sign_for:
        raise PermissionDenied(f"Only an institution lead of {organisation.name} may decide for it.")
    if decision == Decision.CHANGES_REQUESTED and not comment:
        raise DomainError("Say what needs to change: a comment is required when requesting changes.", field="comment")
    with transaction.atomic():
        _locked_row(response)
        _refuse_locked(response)
        if response.status != ResponseStatus.SIGN_OFF:
            raise DomainError(
                f"Decisions are taken on a final draft in sign-off; this response is “{response.get_status_display()}”."
            )
        if revision != response.revision:
            raise Conflict(
                f"The draft changed since you opened it (r{revision} → r{response.revision}); read it again.",
                field="revision",
            )
        replaced = list(Approval.objects.filter(response=response, organisation=organisation, voided_at__isnull=True))
        _void(response=response, actor=user, reason=REPLACED, approvals=replaced)
        approval = Approval(
            response=response,
            organisation=organisation,
            decision=decision,
            comment=comment,
            revision=response.revision,
            decided_by=user,
        )
        audit_save(instance=approval, actor=user, source=SOURCE)
        verb = "approved" if decision == Decision.APPROVED else "requested changes to"
        trail.event_record(
            response=response,
            kind="decision",
            actor=user,
            summary=f"{organisation.name} {verb} r{response.revision} ({person(user)})"
            + (f": {comment}" if comment else ""),
            approval=approval.pk,
            organisation=organisation.slug,
            decision=decision,
            revision=response.revision,
        )
        notifications.notify_decision(approval=approval)
        if decision == Decision.APPROVED and _every_partner_approved(response):
            _lock(response=response, user=user)
    return approval


def _every_partner_approved(response: Response) -> bool:
    needed = set(response.signatories.values_list("organisation_id", flat=True))
    approved = set(
        Approval.objects.filter(
            response=response, voided_at__isnull=True, decision=Decision.APPROVED, revision=response.revision
        ).values_list("organisation_id", flat=True)
    )
    return bool(needed) and needed <= approved


def _lock(*, response: Response, user) -> None:
    _set_status(response=response, user=user, fields={"status": ResponseStatus.LOCKED, "locked_at": timezone.now()})
    trail.event_record(
        response=response,
        kind="locked",
        actor=user,
        summary=f"Locked at r{response.revision}: every partner approved",
        revision=response.revision,
    )
    # Signed-off answers join the library of past positions.
    library.answers_searchable(response=response)
    notifications.notify_locked(response=response)


def reopen(*, user, response: Response) -> Response:
    """Take a response in sign-off back to drafting; its decisions are voided."""
    _require_manager(user=user, response=response, doing="reopen it for drafting")
    with transaction.atomic():
        _locked_row(response)
        _refuse_locked(response)
        if response.status != ResponseStatus.SIGN_OFF:
            raise DomainError(
                f"Only a response in sign-off can be reopened; this one is “{response.get_status_display()}”."
            )
        voided = _void(response=response, actor=user, reason=f"reopened for drafting by {person(user)}")
        if voided:
            notifications.notify_approvals_voided(
                response=response, approvals=voided, reason=f"reopened for drafting by {person(user)}"
            )
        _set_status(response=response, user=user, fields={"status": ResponseStatus.DRAFTING, "final_revision": None})
        trail.event_record(
            response=response,
            kind="reopened",
            actor=user,
            summary=f"Reopened for drafting by {person(user)}",
            revision=response.revision,
        )
    return response


def publish(*, user, response: Response) -> Response:
    """Put a locked response on its public page."""
    _require_manager(user=user, response=response, doing="publish it")
    with transaction.atomic():
        _locked_row(response)
        if response.status != ResponseStatus.LOCKED:
            raise DomainError(
                "Only a response signed off by every partner (locked) can be published; this one is "
                f"“{response.get_status_display()}”."
            )
        _set_status(
            response=response, user=user, fields={"status": ResponseStatus.PUBLISHED, "published_at": timezone.now()}
        )
        trail.event_record(response=response, kind="published", actor=user, summary=f"Published by {person(user)}")
    return response


def unpublish(*, user, response: Response) -> Response:
    """Take a published response off its public page (back to locked)."""
    _require_manager(user=user, response=response, doing="unpublish it")
    with transaction.atomic():
        _locked_row(response)
        if response.status != ResponseStatus.PUBLISHED:
            raise DomainError(f"The response is not published; it is “{response.get_status_display()}”.")
        _set_status(response=response, user=user, fields={"status": ResponseStatus.LOCKED, "published_at": None})
        trail.event_record(response=response, kind="unpublished", actor=user, summary=f"Unpublished by {person(user)}")
    return response


def unlock(*, user, response: Response, reason: str) -> Response:
    """The one way out of a lock: a manager, with a reason, takes a locked response back to drafting. Every
    approval is voided; the trail keeps them."""
    _require_manager(user=user, response=response, doing="unlock it")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give the reason for unlocking: it is kept in the trail.", field="reason")
    with transaction.atomic():
        _locked_row(response)
        if response.status == ResponseStatus.PUBLISHED:
            raise DomainError("The response is published: unpublish it before unlocking it.")
        if response.status != ResponseStatus.LOCKED:
            raise DomainError(f"The response is not locked; it is “{response.get_status_display()}”.")
        why = f"unlocked by {person(user)}: {reason}"
        voided = _void(response=response, actor=user, reason=why)
        if voided:
            notifications.notify_approvals_voided(response=response, approvals=voided, reason=why)
        _set_status(
            response=response,
            user=user,
            fields={"status": ResponseStatus.DRAFTING, "locked_at": None, "final_revision": None},
        )
        library.answers_searchable(response=response)  # no longer a signed-off position
        trail.event_record(
            response=response,
            kind="unlocked",
            actor=user,
            summary=f"Unlocked by {person(user)}: {reason}",
            revision=response.revision,
            reason=reason,
        )
    return response
