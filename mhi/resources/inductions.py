"""The induction passport: who is inducted on what, whether that satisfies a resource's requirement, the
equivalences admins declare between institutions, and the request-training flow.

An induction covers one resource or a class of equipment. It is valid from its date to its last day: the
induction's own `expires` (inclusive) if set, else `valid_days` days from its date for its class (for an
induction on one resource, the resource's class), else it does not expire.
"""

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from mhi.accounts.selectors import user_admin_organisation_ids, user_is_coordinator
from mhi.core.audit import audit_save
from mhi.core.errors import Conflict, DomainError, PermissionDenied
from mhi.resources.models import Induction, InductionClass, InductionEquivalence, Resource, TrainingRequest
from mhi.resources.selectors import user_may_manage_resource


def _uk_date(day: datetime.date) -> str:
    return f"{day.day} {day:%B %Y}"


def induction_last_day(induction: Induction, *, resource: Resource | None = None) -> datetime.date | None:
    """The last day the induction is valid, or None if it does not expire."""
    if induction.expires is not None:
        return induction.expires
    induction_class = induction.induction_class or (resource or induction.resource).induction_class
    if induction_class is None or induction_class.valid_days is None:
        return None
    return induction.date + datetime.timedelta(days=induction_class.valid_days - 1)


def _valid_on(induction: Induction, on: datetime.date, *, resource: Resource | None = None) -> bool:
    last = induction_last_day(induction, resource=resource)
    return induction.date <= on and (last is None or on <= last)


def induction_satisfied(*, user, resource: Resource, on: datetime.date) -> tuple[bool, str]:
    """(True, "") if the user may use the resource as far as inductions go on day `on`; else (False, why),
    naming what is missing and that they can ask for training."""
    if not resource.requires_induction:
        return True, ""
    what = f"an induction on {resource.name}"
    if resource.induction_class_id:
        what += f" or in “{resource.induction_class.name}”"
    ask = f"Ask {resource.name}'s managers for training on its page."
    if not getattr(user, "is_authenticated", False):
        return False, f"{resource.name} needs {what}. Sign in to see your induction passport. {ask}"

    own = Q(resource=resource)
    if resource.induction_class_id:
        own |= Q(induction_class_id=resource.induction_class_id)
    held = list(
        Induction.objects.filter(user=user)
        .filter(own)
        .select_related("induction_class", "resource__induction_class", "organisation")
    )
    if any(_valid_on(i, on, resource=resource) for i in held):
        return True, ""

    for_this = Q(resource=resource)
    if resource.induction_class_id:
        for_this |= Q(required_class_id=resource.induction_class_id)
    accepted = InductionEquivalence.objects.filter(for_this)
    pairs = set(accepted.values_list("accepted_class_id", "accepted_organisation_id"))
    if pairs:
        equivalent = Q()
        for class_id, organisation_id in pairs:
            equivalent |= Q(induction_class_id=class_id, organisation_id=organisation_id)
        candidates = Induction.objects.filter(user=user).filter(equivalent).select_related("induction_class")
        if any(_valid_on(i, on) for i in candidates):
            return True, ""

    expired = [i for i in held if induction_last_day(i, resource=resource) is not None and i.date <= on]
    if expired:
        last = max(induction_last_day(i, resource=resource) for i in expired)
        return False, f"{resource.name} needs {what}; yours expired on {_uk_date(last)}. {ask}"
    return False, f"{resource.name} needs {what}, and you have none. {ask}"


# --- recording inductions ---------------------------------------------------------------------------------


def user_may_record_induction(*, user, organisation, resource: Resource | None = None, induction_class=None) -> bool:
    """Coordinators; institution admins of the recording organisation; for an induction on a resource, whoever
    may manage it; for a class, the managers of that organisation's resources in the class."""
    if user_is_coordinator(user) or organisation.pk in user_admin_organisation_ids(user):
        return True
    if resource is not None:
        return user_may_manage_resource(user=user, resource=resource)
    return (
        getattr(user, "is_authenticated", False)
        and user.managed_resources.filter(organisation=organisation, induction_class=induction_class).exists()
    )


@transaction.atomic
def induction_record(
    *,
    actor,
    user,
    resource: Resource | None = None,
    induction_class: InductionClass | None = None,
    organisation,
    date: datetime.date,
    expires: datetime.date | None = None,
    trainer: str,
) -> Induction:
    """Record that `user` was inducted; closes their open training requests it answers as done."""
    if (resource is None) == (induction_class is None):
        raise DomainError("Record an induction on one resource or in one class of equipment.", field="resource")
    if resource is not None and resource.organisation_id != organisation.pk:
        raise DomainError(
            f"An induction on {resource.name} is given by its owner, {resource.organisation.name}.",
            field="organisation",
        )
    if not user_may_record_induction(
        user=actor, organisation=organisation, resource=resource, induction_class=induction_class
    ):
        raise PermissionDenied(f"You may not record inductions for {organisation.name}.")
    if not trainer.strip():
        raise DomainError("Say who gave the induction.", field="trainer")
    if date > timezone.localdate():
        raise DomainError("An induction is recorded once it has happened: the date is in the future.", field="date")
    if expires is not None and expires < date:
        raise DomainError("The induction cannot expire before its date.", field="expires")
    induction = Induction(
        user=user,
        resource=resource,
        induction_class=induction_class,
        organisation=organisation,
        date=date,
        expires=expires,
        trainer=trainer.strip(),
        recorded_by=actor,
    )
    audit_save(instance=induction, actor=actor)

    answered = TrainingRequest.objects.filter(
        user=user, status__in=[TrainingRequest.Status.OPEN, TrainingRequest.Status.SCHEDULED]
    )
    answered = (
        answered.filter(resource=resource) if resource else answered.filter(resource__induction_class=induction_class)
    )
    for request in answered:
        audit_save(
            instance=request,
            actor=actor,
            fields={
                "status": TrainingRequest.Status.DONE,
                "response": f"Induction recorded: {_uk_date(date)}, given by {induction.trainer}.",
            },
        )
    return induction


# --- equivalences -----------------------------------------------------------------------------------------


def user_may_declare_equivalence(*, user, resource: Resource | None = None) -> bool:
    """Coordinators for anything; an institution admin for their own organisation's resources (an equivalence for
    a whole class reaches every institution's resources, so it is the coordinators')."""
    if user_is_coordinator(user):
        return True
    return resource is not None and resource.organisation_id in user_admin_organisation_ids(user)


@transaction.atomic
def equivalence_declare(
    *,
    actor,
    accepted_class: InductionClass,
    accepted_organisation,
    resource: Resource | None = None,
    required_class: InductionClass | None = None,
    note: str = "",
) -> InductionEquivalence:
    """Declare that an induction in `accepted_class` given at `accepted_organisation` satisfies the requirement of
    `resource` (or of every resource in `required_class`)."""
    if (resource is None) == (required_class is None):
        raise DomainError("Declare an equivalence for one resource or for one class of equipment.", field="resource")
    if not user_may_declare_equivalence(user=actor, resource=resource):
        if resource is None:
            raise PermissionDenied("Only coordinators declare equivalences for a whole class of equipment.")
        raise PermissionDenied(f"Only coordinators and {resource.organisation.name}'s admins declare this.")
    same = InductionEquivalence.objects.filter(
        accepted_class=accepted_class,
        accepted_organisation=accepted_organisation,
        resource=resource,
        required_class=required_class,
    )
    if same.exists():
        raise Conflict(
            f"Inductions in “{accepted_class.name}” at {accepted_organisation.name} are already accepted for "
            f"{resource.name if resource else required_class.name}."
        )
    equivalence = InductionEquivalence(
        accepted_class=accepted_class,
        accepted_organisation=accepted_organisation,
        resource=resource,
        required_class=required_class,
        declared_by=actor,
        note=note.strip(),
    )
    audit_save(instance=equivalence, actor=actor)
    return equivalence


# --- training requests ------------------------------------------------------------------------------------

PENDING = (TrainingRequest.Status.OPEN, TrainingRequest.Status.SCHEDULED)


@transaction.atomic
def training_request(*, user, resource: Resource, note: str = "") -> TrainingRequest:
    """The user asks the resource's managers for training (one pending request per resource)."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Sign in to ask for training.")
    if TrainingRequest.objects.filter(user=user, resource=resource, status__in=PENDING).exists():
        raise Conflict(f"You have already asked for training on {resource.name}; its managers will reply.")
    request = TrainingRequest(user=user, resource=resource, note=note.strip())
    try:
        with transaction.atomic():
            audit_save(instance=request, actor=user)
    except IntegrityError:  # a second request at the same moment
        raise Conflict(f"You have already asked for training on {resource.name}; its managers will reply.") from None
    return request


RESPONSES = (TrainingRequest.Status.SCHEDULED, TrainingRequest.Status.DONE, TrainingRequest.Status.DECLINED)


@transaction.atomic
def training_request_respond(*, actor, request: TrainingRequest, status: str, response: str = "") -> TrainingRequest:
    """A manager of the resource answers: training scheduled (say when in `response`), done, or declined."""
    if not user_may_manage_resource(user=actor, resource=request.resource):
        raise PermissionDenied(f"Only {request.resource.name}'s managers answer training requests.")
    if status not in RESPONSES:
        raise DomainError("Answer with scheduled, done or declined.", field="status")
    if request.status not in PENDING:
        raise DomainError(f"This request is already {request.get_status_display().lower()}.", field="status")
    if status in (TrainingRequest.Status.SCHEDULED, TrainingRequest.Status.DECLINED) and not response.strip():
        what = "when and where the training is" if status == TrainingRequest.Status.SCHEDULED else "why"
        raise DomainError(f"Tell them {what}.", field="response")
    audit_save(instance=request, actor=actor, fields={"status": status, "response": response.strip()})
    return request


def training_requests_for(*, user):
    """Training requests the user may see: their own, and those on resources they may manage."""
    qs = TrainingRequest.objects.select_related("resource__organisation", "user")
    if user_is_coordinator(user):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    admin_of = user_admin_organisation_ids(user)
    return qs.filter(Q(user=user) | Q(resource__organisation_id__in=admin_of) | Q(resource__managers=user)).distinct()


# --- the passport -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PassportEntry:
    induction: Induction
    covers: str  # the resource's or the class's name
    last_day: datetime.date | None  # None: does not expire
    status: str  # "valid", "expired" or "not yet valid"


def passport_for(*, user, on: datetime.date | None = None) -> list[PassportEntry]:
    """The user's inductions, newest first, each with its status on `on` (default: today, UK time)."""
    if not getattr(user, "is_authenticated", False):
        return []
    on = on or timezone.localdate()
    entries = []
    for induction in Induction.objects.filter(user=user).select_related(
        "resource__organisation", "resource__induction_class", "induction_class", "organisation"
    ):
        last = induction_last_day(induction)
        if induction.date > on:
            status = "not yet valid"
        elif last is not None and on > last:
            status = "expired"
        else:
            status = "valid"
        covers = induction.resource.name if induction.resource_id else induction.induction_class.name
        entries.append(PassportEntry(induction=induction, covers=covers, last_day=last, status=status))
    return entries
