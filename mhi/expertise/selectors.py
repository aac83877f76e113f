"""Reads of expertise, filtered by what the user may see: ranking people for a text, a person's works."""

from dataclasses import dataclass, field

import numpy as np
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from mhi.directory import selectors as directory_selectors
from mhi.directory.models import Person
from mhi.expertise.engine.embedding import MAX_QUERY_CHARS
from mhi.expertise.engine.ranking import LEXICAL_WEIGHT, best_works, owner_starts, top_people
from mhi.expertise.index import loaded_index
from mhi.expertise.models import Authorship, Work


class EmptyQuery(ValueError):
    pass


@dataclass(frozen=True)
class ExpertiseFilters:
    organisation: str = ""  # organisation slug
    organisation_kind: str = ""  # university, nhs_trust, industry, ...
    partners_only: bool = False
    person_kind: str = ""  # academic, clinician, nhs_staff, industry
    active_years: int | None = None  # only works from the last N years count


@dataclass
class MatchedWork:
    work: Work
    similarity: float


@dataclass
class ExpertResult:
    person: Person
    score: float
    works: list[MatchedWork] = field(default_factory=list)
    shared_terms: list[str] = field(default_factory=list)


@dataclass
class ExpertRanking:
    query: str
    total: int
    results: list[ExpertResult]
    truncated: bool


def _candidates(*, user, filters: ExpertiseFilters) -> QuerySet[Person]:
    qs = directory_selectors.people_visible_to(user=user)
    if filters.organisation:
        qs = qs.filter(affiliations__organisation__slug=filters.organisation)
    if filters.organisation_kind:
        qs = qs.filter(affiliations__organisation__kind=filters.organisation_kind)
    if filters.partners_only:
        qs = qs.filter(affiliations__organisation__partnership__isnull=False)
    if filters.person_kind:
        qs = qs.filter(kind=filters.person_kind)
    return qs


def experts_for_text(
    *, user, text: str, embedder, filters: ExpertiseFilters = ExpertiseFilters(), offset: int = 0, limit: int = 20
) -> ExpertRanking:
    """People ranked by how well their works match `text`, with why (best works, shared terms)."""
    query = " ".join((text or "").split())
    if not query:
        raise EmptyQuery("Describe the expertise you are looking for: a few words, an abstract or a call's text.")
    truncated = len(query) > MAX_QUERY_CHARS
    query = query[:MAX_QUERY_CHARS]
    index = loaded_index()
    if index.size == 0:
        return ExpertRanking(query, 0, [], truncated)
    similarities = index.vectors @ embedder.encode_query(query)
    lexical = index.lexical.similarities(query)
    similarities = similarities + LEXICAL_WEIGHT * lexical[index.lexical_rows]

    rows = np.ones(index.size, dtype=bool)
    if filters.active_years:
        rows &= index.years >= timezone.localdate().year - filters.active_years + 1
    owner = index.owner[rows]
    allowed_ids = np.fromiter(_candidates(user=user, filters=filters).values_list("id", flat=True).distinct(), np.int64)
    allowed = np.isin(index.people, allowed_ids)
    total = int((allowed & (np.bincount(owner, minlength=index.people.size) > 0)).sum())
    ranked, scores = top_people(
        similarities[rows], owner, owner_starts(owner, index.people.size), k=offset + limit, allowed=allowed
    )
    page, scores = ranked[offset:], scores[offset:]

    people = {
        p.pk: p
        for p in Person.objects.filter(pk__in=index.people[page].tolist()).prefetch_related(
            "affiliations__organisation"
        )
    }
    starts = index.starts
    page_rows = {o: np.arange(starts[o], starts[o + 1])[rows[starts[o] : starts[o + 1]]] for o in page.tolist()}
    works = Work.objects.in_bulk([int(index.work_ids[r]) for o in page.tolist() for r in page_rows[o]])
    results = []
    for o, score in zip(page.tolist(), scores.tolist(), strict=True):
        matches = best_works(similarities, page_rows[o], limit=3)
        matched = [MatchedWork(works[int(index.work_ids[m.work_index])], m.similarity) for m in matches]
        terms = index.lexical.shared_terms(query, " ".join(m.work.index_text for m in matched))
        results.append(ExpertResult(people[int(index.people[o])], float(score), matched, terms))
    return ExpertRanking(query, total, results, truncated)


def works_of(*, user, person: Person) -> QuerySet[Work]:
    return Work.objects.filter(authorships__person=person).distinct().order_by("-year", "title")


@dataclass
class Colleague:
    person: Person
    similarity: float | None = None
    shared_works: int = 0


@dataclass
class PersonExpertise:
    person: Person
    works: QuerySet[Work]
    topics: list[tuple[str, int]]
    coauthors: list[Colleague]
    similar: list[Colleague]
    potential_collaborators: list[Colleague]


# MeSH "check tags": who was studied, not what about; they would top every clinician's topics.
MESH_CHECK_TAGS = frozenset(
    [
        "Humans",
        "Animals",
        "Male",
        "Female",
        "Adult",
        "Aged",
        "Adolescent",
        "Child",
        "Infant",
        "Pregnancy",
        "Mice",
        "Rats",
    ]
    + ["Middle Aged", "Aged, 80 and over", "Young Adult", "Child, Preschool", "Infant, Newborn"]
)


def _topics(works: QuerySet[Work], *, limit: int = 15) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for topics, mesh in works.values_list("topics", "mesh_terms"):
        for term in {*(topics or []), *(mesh or [])} - MESH_CHECK_TAGS:
            counts[term] = counts.get(term, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]


def person_expertise(*, user, person: Person, limit: int = 8) -> PersonExpertise:
    """A profile's expertise: works, topics, co-authors, similar people and potential collaborators (strong
    similarity, never co-authored, at none of the person's organisations), all among people the user may see."""
    works = works_of(user=user, person=person)
    visible = directory_selectors.people_visible_to(user=user)
    shared = (
        Person.objects.filter(pk__in=visible.values("pk"), authorships__work__authorships__person=person)
        .exclude(pk=person.pk)
        .annotate(n=models.Count("authorships__work", distinct=True))
        .order_by("-n", "family_name")
    )
    coauthors = [Colleague(p, shared_works=p.n) for p in shared[:50]]
    similar, collaborators = [], []
    index = loaded_index()
    owner = index.owner_of(person.pk)
    if owner is not None:
        sims = index.person_vectors @ index.person_vectors[owner]
        sims[owner] = -np.inf
        order = np.argsort(-sims)[:200]
        candidates = {
            p.pk: p for p in visible.filter(pk__in=index.people[order].tolist()).prefetch_related("affiliations")
        }
        own_orgs = set(person.affiliations.values_list("organisation_id", flat=True))
        coauthor_ids = set(
            Person.objects.filter(authorships__work__authorships__person=person).values_list("pk", flat=True)
        )
        for position in order.tolist():
            other = candidates.get(int(index.people[position]))
            if other is None:
                continue
            colleague = Colleague(other, similarity=float(sims[position]))
            if len(similar) < limit:
                similar.append(colleague)
            other_orgs = {a.organisation_id for a in other.affiliations.all()}
            if len(collaborators) < limit and other.pk not in coauthor_ids and not (own_orgs & other_orgs):
                collaborators.append(colleague)
    return PersonExpertise(person, works, _topics(works), coauthors, similar, collaborators)


def authorships_to_review(*, user) -> QuerySet:
    """Ambiguous authorships the user may decide: all for coordinators; for institution admins those with a
    candidate at their institutions; for anyone else those where they are a candidate."""
    from mhi.accounts.selectors import user_admin_organisation_ids, user_is_coordinator
    from mhi.expertise.models import Authorship

    qs = Authorship.objects.filter(match_status=Authorship.Match.REVIEW).select_related("work")
    if user_is_coordinator(user):
        pass
    elif not getattr(user, "is_authenticated", False):
        return qs.none()
    else:
        admin_orgs = user_admin_organisation_ids(user)
        qs = qs.filter(
            models.Q(candidates__user=user) | models.Q(candidates__affiliations__organisation_id__in=admin_orgs)
        ).distinct()
    return qs.prefetch_related("candidates__affiliations__organisation").order_by("work__title", "position")


@dataclass
class OrganisationExpertise:
    organisation: object
    people: list[tuple[Person, int]]  # (person, number of works), most published first
    topics: list[tuple[str, int]]
    works_by_year: list[tuple[int, int]]
    works_total: int


def organisation_expertise(*, user, organisation) -> OrganisationExpertise:
    """What an organisation's people (those the user may see) work on, from their works."""
    people = (
        directory_selectors.people_visible_to(user=user)
        .filter(affiliations__organisation=organisation)
        .annotate(n_works=models.Count("authorships__work", distinct=True))
        .filter(n_works__gt=0)
        .order_by("-n_works", "family_name")
        .distinct()
    )
    works = Work.objects.filter(authorships__person__in=people.values("pk")).distinct()
    by_year = (
        works.exclude(year__isnull=True).values("year").annotate(n=models.Count("id", distinct=True)).order_by("year")
    )
    return OrganisationExpertise(
        organisation=organisation,
        people=[(p, p.n_works) for p in people[:25]],
        topics=_topics(works, limit=20),
        works_by_year=[(row["year"], row["n"]) for row in by_year],
        works_total=works.count(),
    )


class WorksSearch:
    """A lazily paged full-text search of works, shaped like a sequence so Django's Paginator can page it:
    only the page asked for is read from the full-text index."""

    def __init__(self, *, user, query: str):
        self.user, self.query = user, query

    def count(self) -> int:
        from mhi.expertise.lexical_search import lexical_count

        return lexical_count(kind="work", query=self.query)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item: slice) -> list[tuple[Work, str, list[Person]]]:
        from mhi.expertise.lexical_search import lexical_search

        start, stop = item.start or 0, item.stop
        hits = lexical_search(kind="work", query=self.query, offset=start, limit=stop - start)
        works = Work.objects.in_bulk([h.object_id for h in hits])
        visible = set(
            directory_selectors.people_visible_to(user=self.user)
            .filter(authorships__work__in=list(works))
            .values_list("pk", flat=True)
        )
        authors = {}
        for authorship in (
            Authorship.objects.filter(work__in=list(works), person__in=visible)
            .select_related("person")
            .order_by("position")
        ):
            authors.setdefault(authorship.work_id, []).append(authorship.person)
        return [(works[h.object_id], h.snippet, authors.get(h.object_id, [])) for h in hits if h.object_id in works]


def works_search(*, user, query: str) -> WorksSearch:
    """Works with any of the query's words, ranked by the database's full-text index (BM25 / ts_rank), with the
    matched authors the user may see."""
    return WorksSearch(user=user, query=query)


def people_theme_similarities(
    *, user, themes: list[str], embedder, filters: ExpertiseFilters | None = None
) -> tuple[list[Person], np.ndarray]:
    """How well each person the user may see matches each theme, for the team builder: the people with works
    (in id order) and a float32 matrix of people × themes.

    A person's similarity to a theme is `people_scores` (the decayed mean of their best works) over their
    works' embedding cosines to the theme. Unlike `experts_for_text` there is no TF-IDF term: the values stay
    cosine-like (about -0.2 to 1), which is what the team engine's constants assume (a "match" is 0.2 or
    more; 0.02 a partner university). All themes are scored at once, as one matrix product."""
    from mhi.expertise.engine.ranking import people_scores

    filters = filters or ExpertiseFilters()
    labels = [" ".join(str(t).split()) for t in themes]
    index = loaded_index()
    nothing = ([], np.zeros((0, len(labels)), dtype=np.float32))
    if not labels or index.size == 0:
        return nothing
    allowed_ids = np.fromiter(_candidates(user=user, filters=filters).values_list("id", flat=True).distinct(), np.int64)
    rows = np.isin(index.people, allowed_ids)[index.owner]
    if filters.active_years:
        rows &= index.years >= timezone.localdate().year - filters.active_years + 1
    if not rows.any():
        return nothing
    theme_vectors = embedder.encode(labels)  # one unit vector per theme
    similarities = index.vectors[rows] @ theme_vectors.T  # works × themes
    # Every (person, theme) pair scored in one call: pair p * T + t owns work rows' column t.
    n_themes = len(labels)
    owner = index.owner[rows]
    pair_owner = (owner[:, None] * n_themes + np.arange(n_themes)[None, :]).ravel()
    scores = people_scores(similarities.ravel(), pair_owner, index.people.size * n_themes)
    scores = scores.reshape(index.people.size, n_themes)
    present = np.unique(owner)  # people with at least one (recent enough) work
    people = Person.objects.in_bulk(index.people[present].tolist())
    kept = [o for o in present.tolist() if int(index.people[o]) in people]
    return [people[int(index.people[o])] for o in kept], scores[kept].astype(np.float32)


def coauthors_within(*, person_ids, since_year: int) -> dict[int, set[int]]:
    """For each of `person_ids`, the other people in the directory they co-authored a work with, published in
    `since_year` or later (works with no year are left out: their date is unknown). Conflict-of-interest checks
    read this, so it is not filtered by what a user may see."""
    person_ids = list(person_ids)
    found: dict[int, set[int]] = {pk: set() for pk in person_ids}
    if not person_ids:
        return found
    works = Authorship.objects.filter(
        person_id__in=person_ids, match_status=Authorship.Match.MATCHED, work__year__gte=since_year
    ).values("work_id")
    pairs = Authorship.objects.filter(
        work_id__in=works, match_status=Authorship.Match.MATCHED, person__isnull=False
    ).values_list("work_id", "person_id")
    authors_of: dict[int, set[int]] = {}
    for work_id, person_id in pairs:
        authors_of.setdefault(work_id, set()).add(person_id)
    for authors in authors_of.values():
        for pk in authors & found.keys():
            found[pk] |= authors - {pk}
    return found
