"""Writes to bids: creating and editing them, their team and partners, stage moves with demand-management
places, documents and comments. Each write records the audit trail and a BidEvent for the team's activity log.

Two rules hold under concurrency because the database holds them:

- **Caps.** Passing internal selection for a capped opportunity takes a numbered CapPlace for the lead
  institution and one for the partnership. Each is taken by inserting numbers 1..cap in turn, each insert in its
  own savepoint; the unique (opportunity, scope, number) and the check 1 ≤ number ≤ cap refuse every number
  already taken, so however many approvals run at once, no more places than the cap can exist. Counting rows
  first would not be a guarantee: two transactions can both count 1 of 2 and both go ahead.
- **Edits.** `bid_update` names the version the editor started from; the bid row is locked and a stale version
  is refused with both versions (BidConflict), so nobody silently overwrites another's change.
"""

import datetime
import decimal
import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from mhi.bids import documents, selectors
from mhi.bids.models import (
    AFTER_SELECTION,
    TRANSITIONS,
    Bid,
    BidComment,
    BidDocument,
    BidEvent,
    BidMember,
    BidPartner,
    CapPlace,
    MemberRole,
    PartnerRole,
    Stage,
    StageChange,
)
from mhi.core.audit import audit_delete, audit_record, audit_save_or_refuse, audit_snapshot
from mhi.core.errors import Conflict, DomainError, PermissionDenied, domain_error_from_validation
from mhi.core.models import AuditEvent
from mhi.directory.models import Affiliation, Organisation, Person
from mhi.opportunities.models import money_words, themes_normalise, validate_themes

EDITABLE_FIELDS = (
    "title",
    "lead_organisation",
    "lead_person",
    "summary",
    "case",
    "themes",
    "value_requested",
    "value_awarded",
    "reminder_days",
)
# Organisations that may lead a bid; industry, charities and "other" take part as partners.
LEAD_ORGANISATION_KINDS = frozenset(
    {
        Organisation.Kind.UNIVERSITY,
        Organisation.Kind.NHS_TRUST,
        Organisation.Kind.ICB,
        Organisation.Kind.RESEARCH_INFRASTRUCTURE,
        Organisation.Kind.LOCAL_GOVERNMENT,
    }
)
# Partner roles that follow from an organisation's kind (bid_from_team_proposal).
PARTNER_ROLE_FOR_KIND = {
    Organisation.Kind.UNIVERSITY: PartnerRole.UNIVERSITY,
    Organisation.Kind.NHS_TRUST: PartnerRole.NHS_TRUST,
    Organisation.Kind.ICB: PartnerRole.NHS_TRUST,
    Organisation.Kind.INDUSTRY: PartnerRole.INDUSTRY,
    Organisation.Kind.LOCAL_GOVERNMENT: PartnerRole.LOCAL_GOVERNMENT,
    Organisation.Kind.CHARITY: PartnerRole.CHARITY,
}
MAX_REMINDER_DAYS = 365
MAX_COMMENT_LENGTH = 10_000
PENNY = decimal.Decimal("0.01")


class BidConflict(Conflict):
    """Someone else changed the bid since the editor loaded it. `current` and `submitted` hold the values of the
    edited fields (JSON-ready: foreign keys as ids, money as strings), `fields` those that differ."""

    def __init__(self, *, current: dict, submitted: dict, current_version: int, submitted_version: int, fields):
        self.current = current
        self.submitted = submitted
        self.current_version = current_version
        self.submitted_version = submitted_version
        self.fields = list(fields)
        names = ", ".join(Bid._meta.get_field(name).verbose_name for name in self.fields)
        super().__init__(
            f"Someone else changed this bid while you were editing it (you started from version "
            f"{submitted_version}; it is now version {current_version}). Their values differ from yours in: "
            f"{names}. Check both versions and save again.",
            field=self.fields[0] if self.fields else None,
        )


class CapExceeded(DomainError):
    """An opportunity's cap for an institution or the partnership has no place left."""


# --- helpers ---------------------------------------------------------------------------------------------------


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _permissions(actor, bid: Bid) -> selectors.BidPermissions:
    return selectors.bid_permissions(user=actor, bid=bid)


def _require_edit(actor, bid: Bid, what: str) -> None:
    perms = _permissions(actor, bid)
    if not perms.can_view:
        raise PermissionDenied("You cannot see this bid.")
    _require(
        perms.can_edit,
        f"Only the bid's PI, co-investigators, lead person and creator, admins of its lead organisation and "
        f"coordinators {what}.",
    )


def _actor(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _event(bid: Bid, kind: str, actor, message: str, **data) -> BidEvent:
    return BidEvent.objects.create(bid=bid, kind=kind, actor=_actor(actor), message=message[:500], data=data)


def _who(actor) -> str:
    actor = _actor(actor)
    if actor is None:
        return "the system"
    person = getattr(actor, "person", None)  # a user without a person raises AttributeError: None
    return str(person) if person else actor.email


def _save(instance, *, actor, fields: dict | None = None, source: str = "") -> bool:
    return audit_save_or_refuse(instance=instance, actor=actor, fields=fields, source=source)


def _plain(value):
    """A value as BidConflict and BidEvent data carry it."""
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


def _money(value, *, name: str, label: str) -> decimal.Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = decimal.Decimal(str(value).replace(",", "").replace("£", "").strip())
    except (decimal.InvalidOperation, ValueError):
        raise DomainError(f"The {label} must be an amount in pounds, like 250000.", field=name) from None
    if not amount.is_finite():
        raise DomainError(f"The {label} must be an amount in pounds, like 250000.", field=name)
    if amount < 0:
        raise DomainError(f"The {label} cannot be negative.", field=name)
    if amount >= decimal.Decimal("1e12"):
        raise DomainError(f"The {label} is too large; give it in pounds, like 250000.", field=name)
    return amount.quantize(PENNY)


def _organisation(value, *, name: str) -> Organisation | None:
    if value is None or isinstance(value, Organisation):
        return value
    found = Organisation.objects.filter(pk=value).first() if str(value).isdigit() else None
    if found is None:
        raise DomainError("Choose an organisation from the directory.", field=name)
    return found


def _person(value, *, name: str) -> Person | None:
    if value in (None, ""):
        return None
    if isinstance(value, Person):
        return value
    found = Person.objects.filter(pk=value).first() if str(value).isdigit() else None
    if found is None:
        raise DomainError("Choose a person from the directory.", field=name)
    return found


def _reminder_days(value) -> list[int]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [v for v in value.replace(" ", "").split(",") if v]
    try:
        days = [int(v) for v in value]
    except (TypeError, ValueError):
        raise DomainError(
            "Give reminder days as whole numbers of days before the deadline, like 14, 7, 1.", field="reminder_days"
        ) from None
    if any(d < 0 or d > MAX_REMINDER_DAYS for d in days):
        raise DomainError(
            f"Reminder days must be between 0 and {MAX_REMINDER_DAYS} days before the deadline.", field="reminder_days"
        )
    return sorted(set(days), reverse=True)


def _themes(value) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple):
        raise DomainError("Themes must be a list of short labels.", field="themes")
    themes = themes_normalise(list(value))
    try:
        validate_themes(themes)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="themes") from None
    return themes


def _lead_organisation_problem(organisation: Organisation | None, opportunity) -> str | None:
    if organisation is None:
        return "Choose the lead organisation."
    if organisation.kind not in LEAD_ORGANISATION_KINDS:
        return (
            f"{organisation.name} is {organisation.get_kind_display().lower()}, which cannot lead a bid; choose a "
            f"university, NHS trust or other public body as the lead and add {organisation.name} as a partner."
        )
    needs_partner = opportunity is not None and opportunity.lead_must_be_partner_university
    if needs_partner and not hasattr(organisation, "partnership"):
        return f"This call must be led by a partner university, and {organisation.name} is not one."
    return None


def _clean_fields(fields: dict, *, stage: str, opportunity) -> dict:
    """The editable fields given, checked and in the form they are stored in. Raises DomainError naming the
    first field that is wrong."""
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise DomainError(f"“{unknown[0]}” cannot be changed here.", field=unknown[0])
    clean = {}
    for name, value in fields.items():
        if name == "title":
            value = " ".join(str(value or "").split())
            if not value:
                raise DomainError("Enter the bid's title.", field="title")
            if len(value) > 300:
                raise DomainError(f"The title is {len(value)} characters; shorten it to 300.", field="title")
        elif name in ("summary", "case"):
            value = str(value or "").strip()
        elif name == "lead_organisation":
            value = _organisation(value, name=name)
            problem = _lead_organisation_problem(value, opportunity)
            if problem:
                raise DomainError(problem, field=name)
        elif name == "lead_person":
            value = _person(value, name=name)
        elif name == "themes":
            value = _themes(value)
        elif name == "value_requested":
            value = _money(value, name=name, label="value requested")
        elif name == "value_awarded":
            value = _money(value, name=name, label="value awarded")
            if value is not None and stage != Stage.AWARDED:
                raise DomainError(
                    f"A value awarded is recorded only once the bid is awarded; it is at {Stage(stage).label.lower()}.",
                    field=name,
                )
        elif name == "reminder_days":
            value = _reminder_days(value)
        clean[name] = value
    return clean


def _stored(bid: Bid, name: str):
    """The bid's current value of an editable field, comparable with a cleaned one."""
    if name in ("lead_organisation", "lead_person"):
        return getattr(bid, f"{name}_id")
    value = getattr(bid, name)
    if isinstance(value, decimal.Decimal):
        return value.quantize(PENNY)
    return value


def _comparable(name: str, value):
    if name in ("lead_organisation", "lead_person"):
        return value.pk if value is not None else None
    return value


def _primary_organisation(person: Person) -> Organisation | None:
    affiliation = (
        Affiliation.objects.filter(person=person)
        .select_related("organisation")
        .order_by("-is_primary", "end_date", "pk")
        .first()
    )
    return affiliation.organisation if affiliation else None


# --- creating and editing --------------------------------------------------------------------------------------


def _check_partner(bid_lead: Organisation, organisation, role: str, taken: set[int]) -> Organisation:
    organisation = _organisation(organisation, name="organisation")
    if organisation is None:
        raise DomainError("Choose the partner organisation.", field="organisation")
    if role not in PartnerRole.values:
        raise DomainError(
            f"“{role}” is not a partner role; choose one of {', '.join(PartnerRole.labels).lower()}.", field="role"
        )
    if organisation.pk == bid_lead.pk:
        raise DomainError(
            f"{organisation.name} leads this bid, so it is not added again as a partner.", field="organisation"
        )
    if organisation.pk in taken:
        raise DomainError(f"{organisation.name} is already a partner on this bid.", field="organisation")
    return organisation


def _check_member(person, role: str, *, on_team: dict[int, str], has_pi: Person | None) -> Person:
    person = _person(person, name="person")
    if person is None:
        raise DomainError("Choose the person to add to the team.", field="person")
    if role not in MemberRole.values:
        raise DomainError(
            f"“{role}” is not a team role; choose one of {', '.join(MemberRole.labels).lower()}.", field="role"
        )
    if person.pk in on_team:
        raise DomainError(
            f"{person} is already on the team, as {MemberRole(on_team[person.pk]).label.lower()}.", field="person"
        )
    if role == MemberRole.PI and has_pi is not None:
        raise DomainError(
            f"{has_pi} is already the principal investigator; a bid has one. Add {person} in another role, or "
            f"remove {has_pi} first.",
            field="role",
        )
    return person


def _member_save(member: BidMember, *, actor) -> None:
    """Save a new member; the one-PI and one-membership constraints, should a concurrent add win the race,
    become the same clear errors as the checks before."""
    try:
        with transaction.atomic():
            _save(member, actor=actor)
    except (IntegrityError, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.field not in (None, "bid", "person", "role"):
            raise
        if member.role == MemberRole.PI and member.bid.members.filter(role=MemberRole.PI).exists():
            pi = member.bid.members.select_related("person").get(role=MemberRole.PI).person
            raise DomainError(
                f"{pi} is already the principal investigator; a bid has one. Add {member.person} in another role.",
                field="role",
            ) from None
        if member.bid.members.filter(person=member.person).exists():
            raise DomainError(f"{member.person} is already on the team.", field="person") from None
        raise


@transaction.atomic
def bid_create(
    *,
    actor,
    opportunity,
    title,
    lead_organisation,
    lead_person=None,
    summary="",
    case="",
    themes=None,
    value_requested=None,
    reminder_days=None,
    team_proposal=None,
    partners=(),
    members=(),
) -> Bid:
    """A new bid at the idea stage. partners: [(Organisation, role, note)]; members: [(Person, role,
    Organisation or None — then the person's primary affiliation)]."""
    _require(
        selectors.user_may_create_bid(actor),
        "Only people with a role in the partnership start bids; industry and external partners join a bid's team.",
    )
    if opportunity is None:
        raise DomainError("Choose the opportunity the bid is for.", field="opportunity")
    fields = {
        "title": title,
        "lead_organisation": lead_organisation,
        "lead_person": lead_person,
        "summary": summary,
        "case": case,
        "themes": themes,
        "value_requested": value_requested,
    }
    if reminder_days is not None:
        fields["reminder_days"] = reminder_days
    clean = _clean_fields(fields, stage=Stage.IDEA, opportunity=opportunity)
    bid = Bid(
        opportunity=opportunity,
        stage=Stage.IDEA,
        stage_changed_at=timezone.now(),
        team_proposal=team_proposal,
        created_by=_actor(actor),
        **clean,
    )
    partner_rows, taken = [], set()
    for organisation, role, *rest in partners:
        organisation = _check_partner(clean["lead_organisation"], organisation, role, taken)
        taken.add(organisation.pk)
        partner_rows.append((organisation, role, (rest[0] if rest else "") or ""))
    member_rows, on_team, pi = [], {}, None
    for person, role, *rest in members:
        person = _check_member(person, role, on_team=on_team, has_pi=pi)
        on_team[person.pk] = role
        pi = person if role == MemberRole.PI else pi
        member_rows.append((person, role, _organisation(rest[0] if rest else None, name="organisation")))
    _save(bid, actor=actor)
    StageChange.objects.create(
        bid=bid, from_stage="", to_stage=Stage.IDEA, actor=_actor(actor), at=bid.stage_changed_at
    )
    for organisation, role, note in partner_rows:
        _save(BidPartner(bid=bid, organisation=organisation, role=role, note=note[:200]), actor=actor)
    for person, role, organisation in member_rows:
        member = BidMember(
            bid=bid, person=person, role=role, organisation=organisation or _primary_organisation(person)
        )
        _member_save(member, actor=actor)
    _event(
        bid,
        BidEvent.Kind.CREATED,
        actor,
        f"{_who(actor)} started the bid for “{opportunity.title}”",
        partners=[o.pk for o, _, _ in partner_rows],
        members=[p.pk for p, _, _ in member_rows],
    )
    return bid


@transaction.atomic
def bid_from_team_proposal(*, actor, proposal, title="", lead_organisation=None) -> Bid:
    """A bid started from a team the team builder proposed: its people join the team (the first, by the themes
    they cover, as PI; the others as co-investigators), their universities (other than the lead) as partners."""
    from mhi.opportunities.teams import team_proposal_order, team_proposals_visible_to

    if not team_proposals_visible_to(user=actor).filter(pk=proposal.pk).exists():
        raise PermissionDenied("You cannot use this team: it was kept by someone else.")
    if proposal.opportunity is None:
        raise DomainError(
            "This team was built for a call's text, not an opportunity in the hub; add the opportunity first and "
            "build the team for it.",
            field="opportunity",
        )
    people = team_proposal_order(proposal, list(proposal.members.all()))
    if not people:
        raise DomainError("This team has nobody in it.", field="team")
    organisations = {person.pk: _primary_organisation(person) for person in people}
    lead_person = people[0]
    lead = _organisation(lead_organisation, name="lead_organisation") or organisations[lead_person.pk]
    if lead is None:
        raise DomainError(
            f"{lead_person} has no affiliation in the directory; choose the lead organisation.",
            field="lead_organisation",
        )
    partners, seen = [], {lead.pk}
    for person in people:
        organisation = organisations[person.pk]
        if organisation is not None and organisation.pk not in seen and organisation.kind in PARTNER_ROLE_FOR_KIND:
            seen.add(organisation.pk)
            partners.append((organisation, PARTNER_ROLE_FOR_KIND[organisation.kind], ""))
    members = [
        (person, MemberRole.PI if i == 0 else MemberRole.CO_INVESTIGATOR, organisations[person.pk])
        for i, person in enumerate(people)
    ]
    return bid_create(
        actor=actor,
        opportunity=proposal.opportunity,
        title=title or proposal.opportunity.title,
        lead_organisation=lead,
        lead_person=lead_person,
        themes=list(proposal.themes or []),
        team_proposal=proposal,
        partners=partners,
        members=members,
    )


@transaction.atomic
def bid_update(*, actor, bid: Bid, version: int, fields: dict) -> Bid:
    """Change the bid's own fields, from the version the editor started from. A stale version that would change
    something is refused with BidConflict and nothing is written; identical values record nothing."""
    _require_edit(actor, bid, "change it")
    locked = (
        Bid.objects.select_for_update(of=("self",)).select_related("opportunity", "lead_organisation").get(pk=bid.pk)
    )
    clean = _clean_fields(dict(fields), stage=locked.stage, opportunity=locked.opportunity)
    differing = [name for name, value in clean.items() if _comparable(name, value) != _stored(locked, name)]
    if not differing:
        return locked
    if int(version) != locked.version:
        raise BidConflict(
            current={name: _plain(_stored(locked, name)) for name in clean},
            submitted={name: _plain(_comparable(name, value)) for name, value in clean.items()},
            current_version=locked.version,
            submitted_version=int(version),
            fields=differing,
        )
    if "lead_organisation" in differing and locked.cap_places.exclude(scope=selectors.PARTNERSHIP_SCOPE).exists():
        raise DomainError(
            f"This bid holds one of {locked.lead_organisation.name}'s places for the call, so its lead organisation "
            f"cannot change; withdraw it and start a new bid led by {clean['lead_organisation'].name}.",
            field="lead_organisation",
        )
    changes = {name: clean[name] for name in differing}
    _save(locked, actor=actor, fields={**changes, "version": locked.version + 1})
    labels = ", ".join(str(Bid._meta.get_field(name).verbose_name) for name in differing)
    _event(locked, BidEvent.Kind.UPDATED, actor, f"{_who(actor)} changed {labels}", fields=differing)
    _copy_state(locked, bid)
    return locked


def _copy_state(source: Bid, target: Bid) -> None:
    """Keep the caller's instance current, so a view that goes on using it sees the change."""
    if target is source:
        return
    for f in Bid._meta.concrete_fields:
        setattr(target, f.attname, getattr(source, f.attname))


# --- stages and caps -------------------------------------------------------------------------------------------


def _is_capped(opportunity) -> bool:
    return opportunity.cap_per_institution is not None or opportunity.cap_partnership is not None


def _places_words(cap: int) -> str:
    if cap == 0:
        return "has no places for this call"
    if cap == 1:
        return "has used its only place for this call"
    if cap == 2:
        return "has used both of its 2 places for this call"
    return f"has used all {cap} of its places for this call"


def _take_place(*, bid: Bid, scope: str, organisation: Organisation | None, cap: int, actor) -> CapPlace:
    """Take the first free numbered place 1..cap in `scope`, each try in its own savepoint: the database's
    unique and check constraints refuse a number another transaction holds, committed or not (PostgreSQL makes
    the second insert wait for the first to commit or roll back)."""
    held = CapPlace.objects.filter(bid=bid, scope=scope).first()
    if held is not None:
        return held
    for number in range(1, cap + 1):
        place = CapPlace(
            opportunity_id=bid.opportunity_id,
            scope=scope,
            organisation=organisation,
            number=number,
            cap=cap,
            bid=bid,
            taken_by=_actor(actor),
        )
        try:
            with transaction.atomic():
                place.save(force_insert=True)
        except IntegrityError:
            continue
        return place
    who = organisation.name if organisation is not None else "The partnership"
    raise CapExceeded(
        f"{who} {_places_words(cap)}: “{bid.title}” cannot pass internal selection until a bid holding a place "
        f"is withdrawn or unsuccessful.",
        field="stage",
    )


def _take_places(*, bid: Bid, actor) -> list[CapPlace]:
    opportunity = bid.opportunity
    places = []
    if opportunity.cap_per_institution is not None:
        places.append(
            _take_place(
                bid=bid,
                scope=selectors.org_scope(bid.lead_organisation_id),
                organisation=bid.lead_organisation,
                cap=opportunity.cap_per_institution,
                actor=actor,
            )
        )
    if opportunity.cap_partnership is not None:
        places.append(
            _take_place(
                bid=bid,
                scope=selectors.PARTNERSHIP_SCOPE,
                organisation=None,
                cap=opportunity.cap_partnership,
                actor=actor,
            )
        )
    return places


def _release_places(*, bid: Bid, actor) -> list[str]:
    released = []
    for place in CapPlace.objects.filter(bid=bid):
        released.append(place.scope)
        audit_delete(instance=place, actor=_actor(actor))
    return released


def _stage_label(stage: str) -> str:
    return Stage(stage).label.lower()


def _transition_refusal(bid: Bid, to_stage: str) -> str | None:
    allowed = TRANSITIONS[bid.stage]
    if to_stage not in allowed:
        if not allowed:
            return f"The bid is {_stage_label(bid.stage)}, a final stage; it cannot move to {_stage_label(to_stage)}."
        names = ", ".join(_stage_label(s) for s in allowed)
        return (
            f"A bid at {_stage_label(bid.stage)} cannot move to {_stage_label(to_stage)}; from "
            f"{_stage_label(bid.stage)} it can move to {names}."
        )
    if bid.stage == Stage.EOI and to_stage in AFTER_SELECTION and _is_capped(bid.opportunity):
        return (
            f"“{bid.opportunity.title}” limits how many bids each institution or the partnership may submit, so a "
            f"bid at {_stage_label(bid.stage)} must go through internal selection before {_stage_label(to_stage)}."
        )
    return None


@transaction.atomic
def bid_transition(*, actor, bid: Bid, to_stage, reason="", value_awarded=None) -> Bid:
    """Move the bid to another stage, only as TRANSITIONS allow. Leaving internal selection forwards takes the
    cap places (CapExceeded if either is full, and nothing is written); leaving for unsuccessful or withdrawn
    frees them. The bid row is locked, so two moves of one bid happen one after the other."""
    return _transition(actor=actor, bid=bid, to_stage=to_stage, reason=reason, value_awarded=value_awarded)


def _lock(bid: Bid) -> Bid:
    # Only the bid's row is locked (not the opportunity's): the caps are held by CapPlace's constraints.
    return Bid.objects.select_for_update(of=("self",)).select_related("opportunity", "lead_organisation").get(pk=bid.pk)


def _transition(*, actor, bid: Bid, to_stage, reason="", value_awarded=None, locked: Bid | None = None) -> Bid:
    _require_edit(actor, bid, "move it between stages")
    locked = locked or _lock(bid)
    if to_stage not in Stage.values:
        raise DomainError(
            f"“{to_stage}” is not a stage; choose one of {', '.join(_stage_label(s) for s in TRANSITIONS[locked.stage])}.",
            field="to_stage",
        )
    refusal = _transition_refusal(locked, to_stage)
    if refusal:
        raise DomainError(refusal, field="to_stage")
    leaving_selection = locked.stage == Stage.INTERNAL_SELECTION and to_stage in AFTER_SELECTION
    if locked.stage == Stage.INTERNAL_SELECTION and to_stage != Stage.WITHDRAWN:
        _require(
            _permissions(actor, locked).can_pass_selection,
            "Only coordinators and admins of the lead organisation decide internal selection.",
        )
    changes = {"stage": to_stage}
    if value_awarded not in (None, ""):
        if to_stage != Stage.AWARDED:
            raise DomainError(
                f"A value awarded is recorded only when the bid moves to awarded, not to {_stage_label(to_stage)}.",
                field="value_awarded",
            )
        changes["value_awarded"] = _money(value_awarded, name="value_awarded", label="value awarded")
    reason = str(reason or "").strip()
    now = timezone.now()
    from_stage = locked.stage
    places = []
    if leaving_selection and _is_capped(locked.opportunity):
        places = _take_places(bid=locked, actor=actor)
    released = []
    if to_stage in (Stage.UNSUCCESSFUL, Stage.WITHDRAWN):
        released = _release_places(bid=locked, actor=actor)
    _save(locked, actor=actor, fields={**changes, "stage_changed_at": now, "version": locked.version + 1})
    StageChange.objects.create(
        bid=locked, from_stage=from_stage, to_stage=to_stage, actor=_actor(actor), reason=reason, at=now
    )
    message = f"{_who(actor)} moved the bid from {_stage_label(from_stage)} to {_stage_label(to_stage)}"
    if changes.get("value_awarded") is not None:
        message += f", awarded {money_words(changes['value_awarded'])}"
    _event(
        locked,
        BidEvent.Kind.STAGE,
        actor,
        message + (f": {reason}" if reason else ""),
        from_stage=from_stage,
        to_stage=to_stage,
        reason=reason,
        places=[{"scope": p.scope, "number": p.number, "cap": p.cap} for p in places],
        released=released,
    )
    _copy_state(locked, bid)
    return locked


@transaction.atomic
def bid_pass_selection(*, actor, bid: Bid, reason="") -> Bid:
    """Internal selection → outline (when the opportunity has an outline deadline) or full application, taking
    the cap places. Coordinators and lead-organisation admins only."""
    if not _permissions(actor, bid).can_view:
        raise PermissionDenied("You cannot see this bid.")
    locked = _lock(bid)
    if locked.stage != Stage.INTERNAL_SELECTION:
        raise DomainError(
            f"Only a bid at internal selection can pass it; this one is at {_stage_label(locked.stage)}.",
            field="to_stage",
        )
    _require(
        _permissions(actor, locked).can_pass_selection,
        "Only coordinators and admins of the lead organisation decide internal selection.",
    )
    to_stage = Stage.OUTLINE if locked.opportunity.outline_deadline else Stage.FULL_APPLICATION
    return _transition(
        actor=actor, bid=bid, to_stage=to_stage, reason=reason or "Passed internal selection", locked=locked
    )


# --- partners and team -----------------------------------------------------------------------------------------


@transaction.atomic
def partner_add(*, actor, bid: Bid, organisation, role, note="") -> BidPartner:
    _require_edit(actor, bid, "change its partners")
    taken = set(bid.partners.values_list("organisation_id", flat=True))
    organisation = _check_partner(bid.lead_organisation, organisation, role, taken)
    partner = BidPartner(bid=bid, organisation=organisation, role=role, note=str(note or "").strip()[:200])
    try:
        with transaction.atomic():
            _save(partner, actor=actor)
    except (IntegrityError, DomainError):
        if bid.partners.filter(organisation=organisation).exists():
            raise DomainError(f"{organisation.name} is already a partner on this bid.", field="organisation") from None
        raise
    _event(
        bid,
        BidEvent.Kind.PARTNER,
        actor,
        f"{_who(actor)} added {organisation.name} as a partner ({PartnerRole(role).label.lower()})",
        organisation=organisation.pk,
        role=role,
    )
    return partner


@transaction.atomic
def partner_remove(*, actor, bid: Bid, partner_id) -> None:
    _require_edit(actor, bid, "change its partners")
    partner = bid.partners.select_related("organisation").filter(pk=partner_id).first()
    if partner is None:
        raise DomainError("That organisation is not a partner on this bid.", field="partner")
    name = partner.organisation.name
    audit_delete(instance=partner, actor=_actor(actor))
    _event(
        bid,
        BidEvent.Kind.PARTNER,
        actor,
        f"{_who(actor)} removed {name} as a partner",
        organisation=partner.organisation_id,
    )


@transaction.atomic
def member_add(*, actor, bid: Bid, person, role, organisation=None) -> BidMember:
    _require_edit(actor, bid, "change its team")
    on_team = dict(bid.members.values_list("person_id", "role"))
    pi_member = bid.members.select_related("person").filter(role=MemberRole.PI).first()
    person = _check_member(person, role, on_team=on_team, has_pi=pi_member.person if pi_member else None)
    organisation = _organisation(organisation, name="organisation") or _primary_organisation(person)
    member = BidMember(bid=bid, person=person, role=role, organisation=organisation)
    _member_save(member, actor=actor)
    _event(
        bid,
        BidEvent.Kind.MEMBER,
        actor,
        f"{_who(actor)} added {person} to the team as {MemberRole(role).label.lower()}",
        person=person.pk,
        role=role,
    )
    return member


@transaction.atomic
def member_remove(*, actor, bid: Bid, member_id) -> None:
    _require_edit(actor, bid, "change its team")
    member = bid.members.select_related("person").filter(pk=member_id).first()
    if member is None:
        raise DomainError("That person is not on this bid's team.", field="member")
    person = member.person
    audit_delete(instance=member, actor=_actor(actor))
    _event(bid, BidEvent.Kind.MEMBER, actor, f"{_who(actor)} removed {person} from the team", person=person.pk)


# --- documents and comments ------------------------------------------------------------------------------------


@transaction.atomic
def document_upload(*, actor, bid: Bid, uploaded_file, description="") -> BidDocument:
    """Store a confidential document, after its size, extension and content are checked (nothing is stored
    when they fail). Stored in the private storage under a random name."""
    _require_edit(actor, bid, "upload documents")
    description = str(description or "").strip()
    if len(description) > 300:
        raise DomainError(f"The description is {len(description)} characters; shorten it to 300.", field="description")
    checked = documents.document_check(uploaded_file)
    document = BidDocument(
        bid=bid,
        token=secrets.token_hex(16),
        original_name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        description=description,
        uploaded_by=_actor(actor),
    )
    uploaded_file.seek(0)
    document.file.save(checked.name, uploaded_file, save=False)
    try:
        try:
            document.full_clean()
        except ValidationError as exc:
            raise domain_error_from_validation(exc) from None
        document.save()
        _audit_document(document, AuditEvent.Action.CREATE, actor=actor)
        _event(
            bid,
            BidEvent.Kind.DOCUMENT,
            actor,
            f"{_who(actor)} uploaded “{checked.name}” ({documents.size_words(checked.size)})",
            document=document.pk,
        )
    except BaseException:
        document.file.delete(save=False)
        raise
    return document


def _audit_document(document: BidDocument, action: str, *, actor) -> None:
    before = audit_snapshot(document) if action == AuditEvent.Action.DELETE else None
    audit_record(instance=document, action=action, before=before, actor=actor)


def document_response(*, document: BidDocument):
    """The document as an attachment with safe headers (see documents.document_response)."""
    return documents.document_response(document=document)


@transaction.atomic
def document_delete(*, actor, bid: Bid, document_id) -> None:
    _require_edit(actor, bid, "delete documents")
    document = bid.documents.filter(pk=document_id).first()
    if document is None:
        raise DomainError("That document is not on this bid.", field="document")
    name, storage, original = document.file.name, document.file.storage, document.original_name
    _audit_document(document, AuditEvent.Action.DELETE, actor=actor)
    document.delete()
    _event(bid, BidEvent.Kind.DOCUMENT, actor, f"{_who(actor)} deleted “{original}”", document=document_id)
    # The file goes once the row's deletion is committed; a rollback keeps both.
    transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def comment_add(*, actor, bid: Bid, text) -> BidComment:
    perms = _permissions(actor, bid)
    if not perms.can_view:
        raise PermissionDenied("You cannot see this bid.")
    _require(perms.can_comment, "Reviewers read a bid without commenting on it; give feedback in your review.")
    text = str(text or "").strip()
    if not text:
        raise DomainError("Write the comment.", field="text")
    if len(text) > MAX_COMMENT_LENGTH:
        raise DomainError(
            f"The comment is {len(text):,} characters; shorten it to {MAX_COMMENT_LENGTH:,}.", field="text"
        )
    comment = BidComment(bid=bid, author=_actor(actor), text=text)
    _save(comment, actor=actor)
    _event(bid, BidEvent.Kind.COMMENT, actor, f"{_who(actor)} commented", comment=comment.pk)
    return comment
