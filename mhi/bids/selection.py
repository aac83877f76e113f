"""Internal selection rounds for capped calls: opening a round, assigning reviewers with conflict-of-interest
checks, scoring, ranked results, the decision (which moves the bids on) and what applicants are told.

Who may do what:
- Coordinators manage every round; an institution admin manages (and opens) the rounds of their institution.
- Assigned reviewers see their round and the entries they have no conflict with, and score those.
- Everyone else: the round does not exist (404).

Scores: a review's score is the weighted mean of (score / max score) over the criteria, as 0–100; an entry's score
is the mean over its reviews. Ties are broken by more reviews first, then the lower bid number.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from mhi.accounts.selectors import (
    memberships_of,
    user_admin_organisation_ids,
    user_is_coordinator,
    user_organisation_ids,
)
from mhi.bids.models import (
    Bid,
    BidEvent,
    BidMember,
    Review,
    ReviewConflict,
    RoundEntry,
    RoundReviewer,
    SelectionRound,
    Stage,
)
from mhi.core.audit import audit_delete, audit_save
from mhi.core.errors import DomainError, PermissionDenied
from mhi.directory.models import Affiliation, Person
from mhi.expertise.selectors import coauthors_within

MAX_CRITERIA = 10
MAX_SCORE_LIMIT = 100
TIE_RULE = (
    "Entries with the same score are ranked by the number of reviews (more first), then by bid number (lower first)."
)


# --- permissions --------------------------------------------------------------------------------------------


def user_may_open_rounds(user) -> bool:
    """Coordinators, and institution admins (for their own institution)."""
    return user_is_coordinator(user) or bool(user_admin_organisation_ids(user))


def round_manageable_by(*, user, round: SelectionRound) -> bool:
    if user_is_coordinator(user):
        return True
    return round.organisation_id is not None and round.organisation_id in user_admin_organisation_ids(user)


def reviewer_of(*, user, round: SelectionRound) -> RoundReviewer | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return RoundReviewer.objects.filter(round=round, user=user).first()


@dataclass(frozen=True)
class RoundPermissions:
    can_manage: bool
    reviewer: RoundReviewer | None

    @property
    def is_reviewer(self) -> bool:
        return self.reviewer is not None


def round_permissions(*, user, round: SelectionRound) -> RoundPermissions:
    return RoundPermissions(
        can_manage=round_manageable_by(user=user, round=round), reviewer=reviewer_of(user=user, round=round)
    )


def _require_manager(actor, round: SelectionRound) -> None:
    if not round_manageable_by(user=actor, round=round):
        raise PermissionDenied("Only coordinators, and admins of the round's institution, manage a selection round.")


def _require_open(round: SelectionRound, doing: str) -> None:
    if round.status != SelectionRound.Status.OPEN:
        raise DomainError(f"“{round.title}” has been decided: {doing} is no longer possible.")


# --- selectors ----------------------------------------------------------------------------------------------


def rounds_visible_to(*, user) -> QuerySet[SelectionRound]:
    qs = SelectionRound.objects.select_related("opportunity", "organisation")
    if user_is_coordinator(user):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    admin_ids = user_admin_organisation_ids(user)
    return qs.filter(Q(organisation_id__in=admin_ids) | Q(reviewers__user=user)).distinct()


def round_for(*, user, pk: int) -> SelectionRound:
    """The round, or Http404 unless the user manages it or reviews for it."""
    found = rounds_visible_to(user=user).filter(pk=pk).first()
    if found is None:
        raise Http404("No such selection round")
    return found


def entries_visible_to(*, user, round: SelectionRound) -> list[RoundEntry]:
    """Managers see every entry; a reviewer those they have no conflict with; anyone else none."""
    qs = round.entries.select_related("bid__lead_organisation", "bid__lead_person").order_by("bid_id")
    if round_manageable_by(user=user, round=round):
        return list(qs)
    reviewer = reviewer_of(user=user, round=round)
    if reviewer is None:
        return []
    return list(qs.exclude(conflicts__reviewer=reviewer))


def entry_for_review(*, user, round: SelectionRound, entry_id: int) -> RoundEntry:
    """An entry the user reviews: Http404 unless they may see it, PermissionDenied for a manager who is not a
    reviewer of it."""
    entry = next((e for e in entries_visible_to(user=user, round=round) if e.pk == entry_id), None)
    if entry is None:
        raise Http404("No such entry")
    if reviewer_of(user=user, round=round) is None:
        raise PermissionDenied("Only the round's reviewers score its entries.")
    return entry


def round_reviewers(*, round: SelectionRound) -> list[RoundReviewer]:
    """The reviewers with their conflicts (each conflict's entry and bid loaded) and how many reviews they gave."""
    return list(
        round.reviewers.select_related("user")
        .prefetch_related(
            Prefetch("conflicts", queryset=ReviewConflict.objects.select_related("entry__bid").order_by("entry_id"))
        )
        .prefetch_related("reviews")
    )


def review_of(*, reviewer: RoundReviewer | None, entry: RoundEntry) -> Review | None:
    if reviewer is None:
        return None
    return Review.objects.filter(reviewer=reviewer, entry=entry).first()


def reviewer_entries(*, reviewer: RoundReviewer) -> list[tuple[RoundEntry, Review | None]]:
    """A reviewer's entries (no conflict) with their review of each, if given."""
    reviews = {r.entry_id: r for r in reviewer.reviews.all()}
    entries = (
        reviewer.round.entries.exclude(conflicts__reviewer=reviewer)
        .select_related("bid__lead_organisation")
        .order_by("bid_id")
    )
    return [(entry, reviews.get(entry.pk)) for entry in entries]


def outcomes_for_bid(*, user, bid: Bid) -> list[RoundEntry]:
    """The decided rounds the bid was in, with the decision and the feedback, for those who may view the bid.
    Reviewers' individual scores are not part of it."""
    from mhi.bids import selectors as bid_selectors

    if not bid_selectors.bid_permissions(user=user, bid=bid).can_view:
        return []
    return list(
        RoundEntry.objects.filter(bid=bid, round__status=SelectionRound.Status.DECIDED)
        .select_related("round")
        .order_by("-round__decided_at", "-id")
    )


# --- criteria -----------------------------------------------------------------------------------------------


def _number(value) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def criteria_clean(criteria, *, numbers: list[int] | None = None) -> list[dict]:
    """The criteria as stored: [{"name", "weight", "max_score", "description"}]. Refused (naming the criterion and
    its field, as criteria.<n>.<field>, n from 0; `numbers` are the numbers a form shows) unless each has a name (unique), a weight greater than 0 and a
    maximum score that is a whole number of at least 1."""
    if not isinstance(criteria, list | tuple) or not criteria:
        raise DomainError("Give at least one criterion to score bids against.", field="criteria")
    if len(criteria) > MAX_CRITERIA:
        raise DomainError(f"A round has at most {MAX_CRITERIA} criteria.", field="criteria")
    cleaned, names = [], set()
    for i, raw in enumerate(criteria):
        raw = raw if isinstance(raw, dict) else {}
        name = " ".join(str(raw.get("name") or "").split())
        label = f"Criterion {numbers[i] if numbers else i + 1}" + (f" (“{name}”)" if name else "")
        if not name:
            raise DomainError(f"{label}: give it a name.", field=f"criteria.{i}.name")
        if len(name) > 100:
            raise DomainError(f"{label}: the name must be 100 characters or fewer.", field=f"criteria.{i}.name")
        if name.casefold() in names:
            raise DomainError(f"{label}: another criterion has the same name.", field=f"criteria.{i}.name")
        names.add(name.casefold())
        weight = _number(raw.get("weight"))
        if weight is None or weight <= 0:
            raise DomainError(f"{label}: the weight must be a number greater than 0.", field=f"criteria.{i}.weight")
        max_score = _number(raw.get("max_score"))
        if max_score is None or max_score != max_score.to_integral_value() or not 1 <= max_score <= MAX_SCORE_LIMIT:
            raise DomainError(
                f"{label}: the maximum score must be a whole number from 1 to {MAX_SCORE_LIMIT}.",
                field=f"criteria.{i}.max_score",
            )
        cleaned.append(
            {
                "name": name,
                # Whole weights stay whole (1, not 1.0); others are kept as given, to 2 decimal places.
                "weight": int(weight) if weight == weight.to_integral_value() else float(round(weight, 2)),
                "max_score": int(max_score),
                "description": str(raw.get("description") or "").strip()[:500],
            }
        )
    return cleaned


# --- opening a round ----------------------------------------------------------------------------------------


def opportunity_is_capped(opportunity) -> bool:
    return opportunity.cap_per_institution is not None or opportunity.cap_partnership is not None


def round_candidates(*, opportunity, organisation=None) -> QuerySet[Bid]:
    """The bids a new round would take: the opportunity's bids in internal selection (led by `organisation`
    when given) that are not in another open round."""
    qs = Bid.objects.filter(opportunity=opportunity, stage=Stage.INTERNAL_SELECTION)
    if organisation is not None:
        qs = qs.filter(lead_organisation=organisation)
    return qs.exclude(round_entries__round__status=SelectionRound.Status.OPEN).order_by("id")


@transaction.atomic
def round_open(
    *,
    actor,
    opportunity,
    title,
    organisation=None,
    criteria=None,
    reviews_due: datetime.datetime | None = None,
    coauthorship_years: int = 3,
) -> SelectionRound:
    if not (
        user_is_coordinator(actor)
        or (organisation is not None and organisation.pk in user_admin_organisation_ids(actor))
    ):
        if user_admin_organisation_ids(actor):
            raise PermissionDenied("Institution admins open rounds for their own institution only.")
        raise PermissionDenied("Only coordinators and institution admins open selection rounds.")
    title = " ".join(str(title or "").split())
    if not title:
        raise DomainError("Give the round a title, for example “NIHR PGfAR: Aston internal selection”.", field="title")
    if not opportunity_is_capped(opportunity):
        raise DomainError(
            f"“{opportunity.title}” has no cap on bids, so its bids need no internal selection round.",
            field="opportunity",
        )
    criteria = criteria_clean(criteria if criteria is not None else _default_criteria())
    if (
        isinstance(coauthorship_years, bool)
        or not isinstance(coauthorship_years, int)
        or not 1 <= coauthorship_years <= 50
    ):
        raise DomainError(
            "The co-authorship window must be a whole number of years from 1 to 50.", field="coauthorship_years"
        )
    if reviews_due is not None and reviews_due <= timezone.now():
        raise DomainError("The reviews due date must be in the future.", field="reviews_due")
    bids = list(round_candidates(opportunity=opportunity, organisation=organisation))
    if not bids:
        led = f" led by {organisation.name}" if organisation is not None else ""
        raise DomainError(
            f"No bids for “{opportunity.title}”{led} are in internal selection and outside other open rounds. "
            "Move bids to internal selection first.",
            field="opportunity",
        )
    round = SelectionRound(
        opportunity=opportunity,
        organisation=organisation,
        title=title,
        criteria=criteria,
        reviews_due=reviews_due,
        coauthorship_years=coauthorship_years,
        opened_by=actor,
    )
    audit_save(instance=round, actor=actor)
    for bid in bids:
        audit_save(instance=RoundEntry(round=round, bid=bid), actor=actor)
        BidEvent.objects.create(
            bid=bid,
            kind=BidEvent.Kind.SELECTION,
            actor=actor,
            message=f"Entered the internal selection round “{round.title}”",
            data={"round": round.pk},
        )
    return round


def _default_criteria() -> list[dict]:
    from mhi.bids.models import default_criteria

    return default_criteria()


# --- reviewers and conflicts of interest ----------------------------------------------------------------------


def _team(bid: Bid) -> tuple[dict[int, str], dict[int, Person]]:
    """The bid's team: {user id: how they are on it} and {person id: person} (lead person and members)."""
    users: dict[int, str] = {}
    people: dict[int, Person] = {}
    if bid.created_by_id:
        users[bid.created_by_id] = "created the bid"
    if bid.lead_person_id:
        people[bid.lead_person_id] = bid.lead_person
        if bid.lead_person.user_id:
            users[bid.lead_person.user_id] = "the bid's lead person"
    for member in bid.members.all():
        people[member.person_id] = member.person
        if member.person.user_id:
            users.setdefault(member.person.user_id, f"{member.get_role_display().lower()} on the bid")
    return users, people


def reviewer_conflicts(*, round: SelectionRound, user) -> list[tuple[RoundEntry, str, str]]:
    """The conflicts of interest the data shows between a (would-be) reviewer and the round's entries:
    (entry, source, detail), at most one per entry and source. Declared conflicts are not included."""
    entries = list(
        round.entries.select_related("bid__lead_organisation", "bid__lead_person", "bid__created_by")
        .prefetch_related(Prefetch("bid__members", queryset=BidMember.objects.select_related("person")))
        .order_by("bid_id")
    )
    person = Person.objects.filter(user=user).first()
    role_org_ids = user_organisation_ids(user)
    today = timezone.localdate()
    affiliated_org_ids = set()
    if person is not None:
        affiliated_org_ids = set(
            Affiliation.objects.filter(person=person)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
            .values_list("organisation_id", flat=True)
        )
    since_year = today.year - round.coauthorship_years
    coauthor_ids = coauthors_within(person_ids=[person.pk], since_year=since_year)[person.pk] if person else set()
    memberships = memberships_of(user)
    found = []
    for entry in entries:
        bid = entry.bid
        lead = bid.lead_organisation
        if lead.pk in role_org_ids:
            role = next(m for m in memberships if m.organisation_id == lead.pk).get_role_display()
            found.append(
                (entry, ReviewConflict.Source.SAME_INSTITUTION, f"{role} at {lead.name}, the lead organisation")
            )
        elif lead.pk in affiliated_org_ids:
            found.append(
                (entry, ReviewConflict.Source.SAME_INSTITUTION, f"Affiliated with {lead.name}, the lead organisation")
            )
        team_users, team_people = _team(bid)
        if user.pk in team_users:
            found.append((entry, ReviewConflict.Source.TEAM_MEMBER, f"On the bid's team: {team_users[user.pk]}"))
        coauthors = sorted(
            (p for pk, p in team_people.items() if pk in coauthor_ids), key=lambda p: (p.family_name, p.given_name)
        )
        if coauthors:
            names = ", ".join(p.display_name for p in coauthors)
            found.append(
                (
                    entry,
                    ReviewConflict.Source.COAUTHORSHIP,
                    f"Co-authored work published in {since_year} or later with {names}",
                )
            )
    return found


def _record_conflicts(*, actor, reviewer: RoundReviewer, found) -> list[ReviewConflict]:
    existing = set(ReviewConflict.objects.filter(reviewer=reviewer).values_list("entry_id", "source"))
    made = []
    for entry, source, detail in found:
        if (entry.pk, source) in existing:
            continue
        conflict = ReviewConflict(entry=entry, reviewer=reviewer, source=source, detail=detail[:500])
        audit_save(instance=conflict, actor=actor)
        made.append(conflict)
    return made


@transaction.atomic
def reviewer_assign(*, actor, round: SelectionRound, user) -> RoundReviewer:
    """Make `user` a reviewer of the round, recording the conflicts of interest found in the data."""
    _require_manager(actor, round)
    _require_open(round, "assigning reviewers")
    if user is None or not user.is_active:
        raise DomainError("Choose an active user to review.", field="user")
    if not (user_is_coordinator(user) or any(m.role != "external" for m in memberships_of(user))):
        raise DomainError(f"{user.email} has no role in the partnership, so cannot review its bids.", field="user")
    if RoundReviewer.objects.filter(round=round, user=user).exists():
        raise DomainError(f"{user.email} is already a reviewer of this round.", field="user")
    reviewer = RoundReviewer(round=round, user=user, assigned_by=actor)
    audit_save(instance=reviewer, actor=actor)
    _record_conflicts(actor=actor, reviewer=reviewer, found=reviewer_conflicts(round=round, user=user))
    return reviewer


@transaction.atomic
def reviewer_remove(*, actor, round: SelectionRound, reviewer_id: int) -> None:
    _require_manager(actor, round)
    _require_open(round, "removing reviewers")
    reviewer = RoundReviewer.objects.filter(round=round, pk=reviewer_id).first()
    if reviewer is None:
        raise Http404("No such reviewer")
    audit_delete(instance=reviewer, actor=actor)


@transaction.atomic
def reviewer_declare_conflict(*, actor, entry: RoundEntry, detail: str) -> ReviewConflict:
    """A reviewer says they may not review an entry. A review they gave it is withdrawn."""
    round = entry.round
    reviewer = reviewer_of(user=actor, round=round)
    if reviewer is None:
        raise PermissionDenied("Only the round's reviewers declare conflicts of interest.")
    _require_open(round, "declaring a conflict")
    detail = " ".join(str(detail or "").split())
    if not detail:
        raise DomainError(
            "Say what the conflict of interest is, for example “I supervised the PI's PhD”.", field="detail"
        )
    conflict = ReviewConflict.objects.filter(
        entry=entry, reviewer=reviewer, source=ReviewConflict.Source.DECLARED
    ).first()
    if conflict is None:
        conflict = ReviewConflict(entry=entry, reviewer=reviewer, source=ReviewConflict.Source.DECLARED)
    audit_save(instance=conflict, actor=actor, fields={"detail": detail[:500]})
    review = Review.objects.filter(entry=entry, reviewer=reviewer).first()
    if review is not None:
        audit_delete(instance=review, actor=actor)
    return conflict


# --- reviews ------------------------------------------------------------------------------------------------


def scores_clean(*, criteria: list[dict], scores) -> dict[str, int]:
    """{criterion name: whole number 0..max}, one for every criterion; refused naming the criterion (field
    scores.<name>)."""
    if not isinstance(scores, dict):
        raise DomainError("Give a score for each criterion.", field="scores")
    names = {c["name"] for c in criteria}
    unknown = sorted(set(scores) - names)
    if unknown:
        raise DomainError(f"“{unknown[0]}” is not a criterion of this round.", field="scores")
    cleaned = {}
    for criterion in criteria:
        name, top = criterion["name"], criterion["max_score"]
        value = scores.get(name)
        if value is None or value == "":
            raise DomainError(f"Give a score for “{name}”, from 0 to {top}.", field=f"scores.{name}")
        number = _number(value)
        if number is None or number != number.to_integral_value() or not 0 <= number <= top:
            raise DomainError(f"The score for “{name}” must be a whole number from 0 to {top}.", field=f"scores.{name}")
        cleaned[name] = int(number)
    return cleaned


def review_submit(*, actor, entry: RoundEntry, scores: dict, comment: str = "") -> Review:
    """Give (or change) the reviewer's scores for an entry, while the round is open."""
    reviewer = reviewer_of(user=actor, round=entry.round)
    if reviewer is None:
        raise PermissionDenied("Only the round's reviewers score its entries.")
    _require_open(entry.round, "reviewing")
    # The team may have changed since the reviewer was assigned: look again, and keep what is found even though
    # the review is then refused.
    with transaction.atomic():
        found = [f for f in reviewer_conflicts(round=entry.round, user=actor) if f[0].pk == entry.pk]
        _record_conflicts(actor=actor, reviewer=reviewer, found=found)
    conflict = ReviewConflict.objects.filter(entry=entry, reviewer=reviewer).first()
    if conflict is not None:
        raise PermissionDenied(
            f"You have a conflict of interest with this bid ({conflict.detail}), so cannot review it."
        )
    with transaction.atomic():
        round = SelectionRound.objects.select_for_update().get(pk=entry.round_id)
        _require_open(round, "reviewing")
        cleaned = scores_clean(criteria=round.criteria, scores=scores)
        review = Review.objects.filter(entry=entry, reviewer=reviewer).first() or Review(entry=entry, reviewer=reviewer)
        audit_save(instance=review, actor=actor, fields={"scores": cleaned, "comment": str(comment or "").strip()})
    return review


# --- results ------------------------------------------------------------------------------------------------


@dataclass
class CriterionMean:
    name: str
    max_score: int
    weight: float
    mean: float | None


@dataclass
class EntryResult:
    entry: RoundEntry
    score: float | None  # 0–100
    review_count: int
    criteria: list[CriterionMean] = field(default_factory=list)
    rank: int | None = None
    tie_note: str = ""
    exact: Fraction | None = None  # the score as an exact fraction, for ties

    @property
    def bid(self) -> Bid:
        return self.entry.bid


def review_score(*, criteria: list[dict], scores: dict) -> Fraction:
    """A review's weighted score, 0–100, exactly."""
    total_weight = sum(Fraction(str(c["weight"])) for c in criteria)
    weighted = sum(
        Fraction(str(c["weight"])) * Fraction(int(scores.get(c["name"], 0)), int(c["max_score"])) for c in criteria
    )
    return weighted / total_weight * 100


def round_results(*, round: SelectionRound) -> list[EntryResult]:
    """Every entry ranked by its mean weighted score (0–100), best first; entries with no reviews last, unranked.
    Ties: more reviews first, then the lower bid number (TIE_RULE), with a note on each tied entry."""
    criteria = round.criteria
    entries = list(
        round.entries.select_related("bid__lead_organisation").prefetch_related("reviews").order_by("bid_id")
    )
    results = []
    for entry in entries:
        reviews = list(entry.reviews.all())
        if reviews:
            exact = sum(review_score(criteria=criteria, scores=r.scores) for r in reviews) / len(reviews)
            means = [
                CriterionMean(
                    c["name"],
                    c["max_score"],
                    c["weight"],
                    round_to(sum(r.scores.get(c["name"], 0) for r in reviews) / len(reviews)),
                )
                for c in criteria
            ]
        else:
            exact = None
            means = [CriterionMean(c["name"], c["max_score"], c["weight"], None) for c in criteria]
        results.append(
            EntryResult(
                entry=entry,
                score=round_to(float(exact)) if exact is not None else None,
                review_count=len(reviews),
                criteria=means,
                exact=exact,
            )
        )
    results.sort(key=lambda r: (r.exact is None, -(r.exact or 0), -r.review_count, r.entry.bid_id))
    previous = None
    for position, result in enumerate(results, start=1):
        if result.exact is None:
            continue
        result.rank = position
        if previous is not None and previous.exact == result.exact:
            if previous.review_count != result.review_count:
                why = f"fewer reviews ({result.review_count} to {previous.review_count})"
            else:
                why = f"the same number of reviews and a higher bid number ({result.entry.bid_id} after {previous.entry.bid_id})"
            result.tie_note = f"Same score as “{previous.bid.title}”; ranked below it for {why}."
        previous = result
    return results


def round_to(value: float, places: int = 2) -> float:
    return round(value, places)


# --- the decision -------------------------------------------------------------------------------------------


@transaction.atomic
def round_decide(
    *, actor, round: SelectionRound, selected: list[int], rationale: str, feedback: dict[int, str] | None = None
) -> SelectionRound:
    """Record the decision, all or nothing: the selected entries (by entry id) pass internal selection (taking
    their cap places; a full cap refuses the whole decision with its message), the others become unsuccessful.
    Each entry keeps its rank and score and the feedback the applicants are told."""
    from mhi.bids import services as bid_services

    _require_manager(actor, round)
    round = SelectionRound.objects.select_for_update().get(pk=round.pk)
    _require_open(round, "deciding it again")
    rationale = str(rationale or "").strip()
    if not rationale:
        raise DomainError(
            "Say why the panel decided as it did; the rationale is kept with the decision.", field="rationale"
        )
    feedback = {int(k): str(v or "").strip() for k, v in (feedback or {}).items()}
    results = {r.entry.pk: r for r in round_results(round=round)}
    selected_ids = []
    for raw in selected:
        try:
            entry_id = int(raw)
        except (TypeError, ValueError):
            raise DomainError(f"“{raw}” is not an entry of this round.", field="selected") from None
        if entry_id not in results:
            raise DomainError(f"Entry {entry_id} is not in this round.", field="selected")
        if entry_id not in selected_ids:
            selected_ids.append(entry_id)
    for entry_id in feedback:
        if entry_id not in results:
            raise DomainError(f"Entry {entry_id} is not in this round.", field="feedback")
    ordered = sorted(results.values(), key=lambda r: (r.rank is None, r.rank or 0, r.entry.bid_id))
    for result in ordered:
        entry = result.entry
        bid = Bid.objects.get(pk=entry.bid_id)
        chosen = entry.pk in selected_ids
        if chosen:
            if bid.stage != Stage.INTERNAL_SELECTION:
                raise DomainError(
                    f"“{bid.title}” is no longer in internal selection (it is at {bid.get_stage_display()}), "
                    "so it cannot be selected.",
                    field="selected",
                )
            bid_services.bid_pass_selection(actor=actor, bid=bid, reason=f"Selected in {round.title}")
        elif bid.stage == Stage.INTERNAL_SELECTION:
            bid_services.bid_transition(
                actor=actor, bid=bid, to_stage=Stage.UNSUCCESSFUL, reason=f"Not selected in {round.title}"
            )
        # A bid that left internal selection during the round (withdrawn, say) is recorded as not selected as it is.
        decision = RoundEntry.Decision.SELECTED if chosen else RoundEntry.Decision.NOT_SELECTED
        audit_save(
            instance=entry,
            actor=actor,
            fields={
                "decision": decision,
                "rank": result.rank,
                "score": result.score,
                "feedback": feedback.get(entry.pk, ""),
            },
        )
        BidEvent.objects.create(
            bid=bid,
            kind=BidEvent.Kind.SELECTION,
            actor=actor,
            message=f"{'Selected' if chosen else 'Not selected'} in the internal selection round “{round.title}”",
            data={"round": round.pk, "entry": entry.pk, "decision": decision},
        )
    audit_save(
        instance=round,
        actor=actor,
        fields={
            "status": SelectionRound.Status.DECIDED,
            "rationale": rationale,
            "decided_by": actor,
            "decided_at": timezone.now(),
        },
    )
    return round
