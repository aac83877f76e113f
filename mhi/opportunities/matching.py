"""Matching opportunities and people: opportunities as documents of the expertise index, the people best matched
to an opportunity, the opportunities that match a person's publications or a saved search, saved searches, and
expressions of interest (making, withdrawing, and who may see them).

How well two things match is the cosine between their unit embeddings (all-MiniLM-L6-v2, mhi.expertise.engine).
A person's profile is the normalised mean of their works' embeddings (`LoadedIndex.person_vectors`); an
opportunity's embedding is of `opportunity_match_text`; a saved search's is of its words.

MATCH_THRESHOLD decides what "matches them" means for the email digests (and the "strong match" mark on the
pages). It was set by measuring the demo data: the 144 real PubMed abstracts of data/demo/works.jsonl (6 for each
of 24 fictional people) against ten realistic call texts written in the funders' manner (NIHR EME on amblyopia,
RfPB on type 2 diabetes, HSDR on stroke care, MRC DPFS on liver cancer, NIHR PGfAR on antibiotic prescribing,
RfPB on major trauma, medical education, hearing loss, BHF on hypertension and CRUK on cancer trials), each
labelled by hand with the people whose works are on its topic:

- profile ↔ call: the 14 intended pairs 0.416–0.779 (median 0.637); the 226 other pairs median 0.182, 95th
  percentile 0.375, 99th 0.463. At 0.40 every intended pair is kept and 7 others pass (0.408–0.507), three of
  them people with a paper on the very topic (hearing loss, antibiotic prescribing, cancer trial accrual);
  at 0.45, 2 of the 14 intended pairs are lost.
- saved search ↔ call: searches of a few words ("stroke care and rehabilitation") 0.560–0.754 with their call;
  one word ("stroke", "antibiotics", "deafness") 0.421–0.621; the 90 other pairs median 0.084, 95th percentile
  0.245, highest 0.463 ("diabetes and cardiovascular risk" with the hypertension call, a real overlap); searches
  on topics no call is about (digital health, young people's mental health, air pollution, dementia) ≤ 0.279.

So one threshold, 0.40, serves both: it keeps every match we meant and lets through little that is not one.
"""

import datetime
from dataclasses import dataclass, field

import numpy as np
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from mhi.accounts.selectors import user_admin_organisation_ids, user_is_coordinator
from mhi.core.audit import audit_delete, audit_save
from mhi.core.errors import DomainError
from mhi.directory import selectors as directory_selectors
from mhi.directory.models import Person
from mhi.expertise.index import documents_for_text, kind_matrix, loaded_index
from mhi.expertise.models import Work
from mhi.expertise.selectors import ExpertRanking, MatchedWork, experts_for_text
from mhi.opportunities.dates import date_words
from mhi.opportunities.models import (
    ExpressionOfInterest,
    Kind,
    Opportunity,
    SavedSearch,
    Status,
)

KIND = "opportunity"
MATCH_THRESHOLD = 0.40
# What may still be applied for: matching never offers a closed opportunity.
LIVE = (Status.CLOSING_SOON, Status.OPEN, Status.FORTHCOMING)
MAX_SAVED_SEARCHES = 20


# --- opportunities in the index ------------------------------------------------------------------------------


def opportunity_match_text(opportunity: Opportunity) -> str:
    """What people and searches are matched against. Short, telling parts come first: the model reads only the
    first 128 word pieces, the words index reads it all."""
    parts = [
        opportunity.title,
        opportunity.scheme,
        opportunity.funder_name,
        "Themes: " + "; ".join(opportunity.themes) if opportunity.themes else "",
        opportunity.summary,
        opportunity.full_text,
    ]
    return "\n".join(p.strip() for p in parts if p and p.strip())


_TEXT_FIELDS = ("id", "title", "scheme", "funder_name", "themes", "summary", "full_text")


def opportunity_documents(queryset: QuerySet[Opportunity] | None = None):
    """(id, text) of every opportunity, closed ones too (a search restricts to live ones when it asks)."""
    qs = Opportunity.objects.all() if queryset is None else queryset
    return ((o.pk, opportunity_match_text(o)) for o in qs.only(*_TEXT_FIELDS).order_by("pk").iterator(2000))


def opportunities_searchable(*, ids=None) -> None:
    """After opportunities were added, changed or deleted: findable by their words at once (in the caller's
    transaction), and by meaning once the index build that this queues has embedded them.

    `ids` are the opportunities concerned (deleted ones leave the index); None brings every one up to date.
    The semantic index's version is not raised here: the words are read from the database at each search,
    and the build raises it when it has embedded something, so processes reload their matrices only then.
    """
    from mhi.expertise.lexical_search import lexical_remove, lexical_update

    if ids is None:
        lexical_update(kind=KIND, documents=opportunity_documents(), remove_missing=True)
    else:
        wanted = set(ids)
        if not wanted:
            return
        present = dict(opportunity_documents(Opportunity.objects.filter(pk__in=wanted)))
        lexical_update(kind=KIND, documents=present.items())
        if wanted - set(present):
            lexical_remove(kind=KIND, object_ids=wanted - set(present))
    transaction.on_commit(_index_build_enqueue)


def _index_build_enqueue() -> None:
    from mhi.expertise.tasks import works_index_build

    works_index_build.enqueue()


class EmbedderWhenNeeded:
    """The sentence-embedding model, loaded the first time a query is embedded: a page or digest that needs no
    embedding (no saved searches, an empty index) never loads it."""

    def __init__(self, model=None):
        self._model = model

    def encode_query(self, text: str):
        if self._model is None:
            from mhi.expertise.engine.embedding import embedder

            self._model = embedder()
        return self._model.encode_query(text)


def live_opportunities(
    *, now: datetime.datetime | None = None, kind: str = "", since: datetime.datetime | None = None
) -> QuerySet[Opportunity]:
    qs = Opportunity.objects.status_in(LIVE, now=now or timezone.now())
    if kind:
        qs = qs.filter(kind=kind)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    return qs


# --- matching ------------------------------------------------------------------------------------------------


def people_for_opportunity(*, user, opportunity: Opportunity, embedder, limit: int = 10) -> ExpertRanking:
    """The people (of those the user may see) whose works best match the opportunity, with why."""
    return experts_for_text(user=user, text=opportunity_match_text(opportunity), embedder=embedder, limit=limit)


@dataclass
class OpportunityMatch:
    opportunity: Opportunity
    similarity: float | None  # cosine; None when the opportunity is not embedded yet (found by its words)
    works: list[MatchedWork] = field(default_factory=list)  # the person's works closest to it
    snippet: str = ""  # the words that matched a search (safe HTML)

    @property
    def strong(self) -> bool:
        return self.similarity is not None and self.similarity >= MATCH_THRESHOLD


@dataclass
class PersonMatches:
    person: Person | None
    matches: list[OpportunityMatch]
    # Why there is nothing to show, in words a user can act on ("" when there are matches).
    empty_reason: str = ""


def person_of(user) -> Person | None:
    """The directory person linked to a signed-in user, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Person.objects.filter(user=user).first()


def opportunities_for_person(
    *, user, person: Person, limit: int = 20, now: datetime.datetime | None = None
) -> PersonMatches:
    """Open, closing-soon and forthcoming opportunities ranked by the cosine between the person's profile and
    each opportunity's embedding, each with the person's two works closest to it. Opportunities not embedded
    yet (just added; the index build is queued) join the ranking once they are."""
    if not directory_selectors.people_visible_to(user=user).filter(pk=person.pk).exists():
        raise PermissionDenied("You may not see this person's profile.")
    index = loaded_index()
    owner = index.owner_of(person.pk)
    if owner is None:
        return PersonMatches(
            person,
            [],
            f"{person.display_name} has no publications in MHI Hub yet, so there is nothing to match "
            "opportunities to. Publications are added by importing works (from OpenAlex, PubMed or a file) "
            "and claiming them; saved searches work without any.",
        )
    profile = index.person_vectors[owner]
    if not profile.any():
        return PersonMatches(
            person,
            [],
            f"{person.display_name}'s publications are still being indexed; matches appear once they are.",
        )
    live_ids = np.fromiter(live_opportunities(now=now).values_list("pk", flat=True), dtype=np.int64)
    matrix = kind_matrix(KIND)
    rows = np.flatnonzero(np.isin(matrix.object_ids, live_ids))
    if rows.size == 0:
        reason = (
            "No open or forthcoming opportunities have been indexed yet; they are matched a few minutes after "
            "they are added."
            if live_ids.size
            else "There are no open or forthcoming opportunities at the moment."
        )
        return PersonMatches(person, [], reason)
    sims = matrix.vectors[rows] @ profile
    best = rows[np.argsort(-sims, kind="stable")[:limit]]
    similarity = dict(zip(rows.tolist(), sims.tolist(), strict=True))
    opportunities = (
        Opportunity.objects.with_status(now=now)
        .select_related("funder_organisation")
        .in_bulk(matrix.object_ids[best].tolist())
    )
    # Why: the person's works closest to each opportunity.
    start, end = int(index.starts[owner]), int(index.starts[owner + 1])
    own_vectors, own_work_ids = index.vectors[start:end], index.work_ids[start:end]
    works = Work.objects.in_bulk(own_work_ids.tolist())
    matches = []
    for row in best.tolist():
        opportunity = opportunities.get(int(matrix.object_ids[row]))
        if opportunity is None:  # deleted since the index was built
            continue
        work_sims = own_vectors @ matrix.vectors[row]
        closest = [
            MatchedWork(works[int(own_work_ids[i])], float(work_sims[i]))
            for i in np.argsort(-work_sims, kind="stable")[:2].tolist()
            if int(own_work_ids[i]) in works
        ]
        matches.append(OpportunityMatch(opportunity, float(similarity[row]), closest))
    return PersonMatches(person, matches)


NOT_LINKED = (
    "Your account is not linked to a person in the directory, so there are no publications to match "
    "opportunities to. Ask your institution's admin or an MHI coordinator to link it. Saved searches find "
    "opportunities for you without it."
)


def opportunities_for_user(*, user, limit: int = 20, now: datetime.datetime | None = None) -> PersonMatches:
    """ "Opportunities for you": those that match the user's own profile."""
    person = person_of(user)
    if person is None:
        return PersonMatches(None, [], NOT_LINKED)
    return opportunities_for_person(user=user, person=person, limit=limit, now=now)


def opportunities_for_search(
    *,
    saved_search: SavedSearch,
    embedder,
    since: datetime.datetime | None = None,
    limit: int = 20,
    now: datetime.datetime | None = None,
) -> list[OpportunityMatch]:
    """Live opportunities (of the search's kind, added since `since` when given) for a saved search, by meaning
    and words fused by reciprocal rank: an opportunity is found by its words before it is embedded."""
    ids = list(live_opportunities(now=now, kind=saved_search.kind, since=since).values_list("pk", flat=True))
    if not ids:
        return []
    hits = documents_for_text(kind=KIND, text=saved_search.query, embedder=embedder, limit=limit, object_ids=ids)
    opportunities = (
        Opportunity.objects.with_status(now=now)
        .select_related("funder_organisation")
        .in_bulk([h.object_id for h in hits])
    )
    return [
        OpportunityMatch(opportunities[h.object_id], h.similarity, snippet=h.snippet)
        for h in hits
        if h.object_id in opportunities
    ]


# --- saved searches ------------------------------------------------------------------------------------------


def saved_searches_of(*, user) -> QuerySet[SavedSearch]:
    if not getattr(user, "is_authenticated", False):
        return SavedSearch.objects.none()
    return SavedSearch.objects.filter(user=user).order_by("name", "pk")


def saved_search_get(*, user, pk: int) -> SavedSearch:
    """One of the user's own saved searches (anyone else's does not exist for them)."""
    return saved_searches_of(user=user).get(pk=pk)


@dataclass
class SavedSearchMatches:
    saved_search: SavedSearch
    matches: list[OpportunityMatch]


def saved_searches_with_matches(*, user, embedder, limit: int = 5) -> list[SavedSearchMatches]:
    """Each of the user's saved searches with its best current matches."""
    return [
        SavedSearchMatches(s, opportunities_for_search(saved_search=s, embedder=embedder, limit=limit))
        for s in saved_searches_of(user=user)
    ]


def _saved_search_values(*, user, data: dict, exclude_pk: int | None = None) -> dict:
    name = " ".join(str(data.get("name", "")).split())
    query = str(data.get("query", "")).strip()
    kind = data.get("kind") or ""
    if not name:
        raise DomainError("Give the search a name, for example “Diabetes calls”.", field="name")
    if len(name) > 100:
        raise DomainError(f"The name is {len(name)} characters long; keep it to 100 or fewer.", field="name")
    if not query:
        raise DomainError("Say what you are looking for: a few words or a paragraph.", field="query")
    if len(query) > 2000:
        raise DomainError(f"The search is {len(query):,} characters long; keep it to 2,000 or fewer.", field="query")
    if kind and kind not in Kind.values:
        raise DomainError(
            f"“{kind}” is not a kind of opportunity; choose one of {', '.join(Kind.values)}.", field="kind"
        )
    clash = SavedSearch.objects.filter(user=user, name__iexact=name).exclude(pk=exclude_pk)
    if clash.exists():
        raise DomainError(f"You already have a saved search called “{name}”.", field="name")
    return {"name": name, "query": query, "kind": kind, "in_digest": bool(data.get("in_digest", True))}


@transaction.atomic
def saved_search_create(*, user, data: dict) -> SavedSearch:
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Sign in to save a search.")
    values = _saved_search_values(user=user, data=data)
    if SavedSearch.objects.filter(user=user).count() >= MAX_SAVED_SEARCHES:
        raise DomainError(
            f"You have {MAX_SAVED_SEARCHES} saved searches, the most there may be; delete one to add another."
        )
    return SavedSearch.objects.create(user=user, **values)


@transaction.atomic
def saved_search_update(*, user, saved_search: SavedSearch, data: dict) -> SavedSearch:
    """Change the fields given (the others stay as they are)."""
    if saved_search.user_id != getattr(user, "pk", None):
        raise PermissionDenied("Only its owner changes a saved search.")
    current = {"name": saved_search.name, "query": saved_search.query, "kind": saved_search.kind}
    current["in_digest"] = saved_search.in_digest
    values = _saved_search_values(user=user, data={**current, **data}, exclude_pk=saved_search.pk)
    for name, value in values.items():
        setattr(saved_search, name, value)
    saved_search.save()
    return saved_search


@transaction.atomic
def saved_search_delete(*, user, saved_search: SavedSearch) -> None:
    if saved_search.user_id != getattr(user, "pk", None):
        raise PermissionDenied("Only its owner deletes a saved search.")
    saved_search.delete()


# --- expressions of interest -----------------------------------------------------------------------------------


def interests_visible_to(*, user) -> QuerySet[ExpressionOfInterest]:
    """Coordinators see every expression of interest; an institution admin, those made by people affiliated with
    their institutions when they made them; everyone, their own."""
    qs = ExpressionOfInterest.objects.select_related("opportunity", "person", "user").prefetch_related("organisations")
    if user_is_coordinator(user):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    condition = Q(user=user) | Q(person__user=user)
    admin_organisations = user_admin_organisation_ids(user)
    if admin_organisations:
        condition |= Q(organisations__in=admin_organisations)
    return qs.filter(pk__in=ExpressionOfInterest.objects.filter(condition).values("pk"))


def user_oversees_interests(user) -> bool:
    """Coordinators and institution admins see others' expressions of interest; everyone else only their own."""
    return user_is_coordinator(user) or bool(user_admin_organisation_ids(user))


def interests_for_opportunity(*, user, opportunity: Opportunity) -> QuerySet[ExpressionOfInterest]:
    return interests_visible_to(user=user).filter(opportunity=opportunity).order_by("-created_at", "-pk")


def interest_of(*, user, opportunity: Opportunity) -> ExpressionOfInterest | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return ExpressionOfInterest.objects.filter(opportunity=opportunity, user=user).first()


def interest_refusal(*, user, opportunity: Opportunity, now: datetime.datetime | None = None) -> str:
    """Why the user may not express interest in the opportunity now, or "" when they may."""
    if not getattr(user, "is_authenticated", False):
        return "Sign in to express interest."
    if opportunity.status_at(now or timezone.now()) == Status.CLOSED:
        return f"This opportunity closed on {date_words(opportunity.closes_at)}; interest can no longer be expressed."
    if person_of(user) is None:
        return (
            "Your account is not linked to a person in the directory, so interest cannot be recorded against "
            "your profile. Ask your institution's admin or an MHI coordinator to link it."
        )
    return ""


@transaction.atomic
def interest_express(
    *, user, opportunity: Opportunity, note: str = "", now: datetime.datetime | None = None
) -> ExpressionOfInterest:
    """Record the user's interest in the opportunity with a short note, or change the note of the one they
    made before. The person's organisations are noted when it is made: their admins are the ones who see it."""
    note = (note or "").strip()
    if len(note) > ExpressionOfInterest.NOTE_MAX:
        raise DomainError(
            f"The note is {len(note):,} characters long; keep it to {ExpressionOfInterest.NOTE_MAX:,} or fewer.",
            field="note",
        )
    refusal = interest_refusal(user=user, opportunity=opportunity, now=now)
    if refusal:
        raise DomainError(refusal)
    existing = ExpressionOfInterest.objects.select_for_update().filter(opportunity=opportunity, user=user).first()
    if existing is not None:
        audit_save(instance=existing, actor=user, fields={"note": note})
        return existing
    person = person_of(user)
    interest = ExpressionOfInterest(opportunity=opportunity, user=user, person=person, note=note)
    audit_save(instance=interest, actor=user)
    interest.organisations.set(person.affiliations.values_list("organisation_id", flat=True))
    return interest


@transaction.atomic
def interest_withdraw(*, user, opportunity: Opportunity) -> bool:
    """Withdraw the user's own expression of interest; False when there was none."""
    interest = interest_of(user=user, opportunity=opportunity)
    if interest is None:
        return False
    audit_delete(instance=interest, actor=user)
    return True


@dataclass
class InterestPanel:
    """What the opportunity page shows about expressions of interest to this user."""

    own: ExpressionOfInterest | None
    others: list[ExpressionOfInterest]  # those the user may see, not their own
    refusal: str  # why they cannot express interest ("" when they can)
    signed_in: bool


def interest_panel(*, user, opportunity: Opportunity) -> InterestPanel:
    signed_in = getattr(user, "is_authenticated", False)
    if not signed_in:
        return InterestPanel(None, [], "Sign in to express interest.", False)
    own = interest_of(user=user, opportunity=opportunity)
    others = [i for i in interests_for_opportunity(user=user, opportunity=opportunity) if i.user_id != user.pk]
    return InterestPanel(own, others, interest_refusal(user=user, opportunity=opportunity), True)
