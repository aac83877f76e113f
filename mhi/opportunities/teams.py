"""The team builder around the engine: candidates and their fit to a call's themes from the expertise index,
solved by engine/teams.py, and the teams users keep to start a bid with (the bids module takes them on).

Reads (selectors) and the one write (`team_proposal_keep`, audited) live together here because they share
what a candidate is:
- organisation: the organisation of their primary current affiliation (the first current one if none is
  primary); they count for a partner university when that organisation is in the partnership;
- NHS: a clinician or NHS research staff, or affiliated with an NHS trust or integrated care board;
- industry: an industry person, or affiliated with a company;
- live bids: 0 for everyone until the bids module (issue 5) records who is in which live bid.

A result is carried from the page that showed it to the "Keep" button (and from the API's build to its keep)
as a signed token, so the team kept is exactly the team shown: re-solving could return another of several
equally good teams.
"""

import dataclasses
import datetime
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
from django.core import signing
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from mhi.accounts.selectors import user_admin_organisation_ids, user_is_coordinator, user_is_partnership_insider
from mhi.core.audit import audit_save
from mhi.core.errors import DomainError
from mhi.core.errors import PermissionDenied as DomainPermissionDenied
from mhi.directory import selectors as directory_selectors
from mhi.directory.models import Affiliation, Organisation, Person
from mhi.opportunities.engine.teams import (
    Candidate,
    TeamChoice,
    TeamInfeasible,
    TeamProblem,
    TeamResult,
    ThemeCover,
    solve,
)
from mhi.opportunities.models import Opportunity, TeamProposal, themes_normalise

DEFAULT_TEAM_SIZE = 6
MAX_TEAM_SIZE = 20
THEMES_SUGGESTED = 8
# A kept team must be kept within a day of being built: the people's works, and so the best team, change.
KEEP_MAX_AGE = datetime.timedelta(days=1)
_TOKEN_SALT = "mhi.opportunities.teams.result"

NHS_PERSON_KINDS = frozenset({Person.Kind.CLINICIAN, Person.Kind.NHS_STAFF})
NHS_ORGANISATION_KINDS = frozenset({Organisation.Kind.NHS_TRUST, Organisation.Kind.ICB})


class TeamNotKept(DomainError):
    """The team shown could not be kept (a stale or altered token, someone since removed)."""


# --- who may ------------------------------------------------------------------------------------------------


def user_may_build_teams(user) -> bool:
    """Anyone in the partnership with a role (researchers, NHS R&D, leads, admins, coordinators). Industry and
    external partners are not: a team is a view across every institution's people."""
    return user_is_partnership_insider(user)


def team_proposals_visible_to(*, user) -> QuerySet[TeamProposal]:
    """Coordinators see every kept team; others the teams they kept and, for institution admins, those with
    a member at their institutions."""
    qs = TeamProposal.objects.select_related("opportunity", "created_by")
    if user_is_coordinator(user):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    visible = Q(created_by=user)
    admin_orgs = user_admin_organisation_ids(user)
    if admin_orgs:
        visible |= Q(pk__in=TeamProposal.objects.filter(members__affiliations__organisation_id__in=admin_orgs))
    return qs.filter(visible)


def team_proposal_get(*, user, pk: int) -> TeamProposal:
    return team_proposals_visible_to(user=user).get(pk=pk)


# --- themes -------------------------------------------------------------------------------------------------

# Words of a call's wording rather than its subject (what it funds, who may apply, with which partners: the
# partners are constraints, not themes): never a theme, and where a phrase breaks.
_CALL_WORDS = """
    across address addressing aim aims applicant applicants application applications apply applying approach
    approaches area areas available award awarded awards based bid bids budget call calls collaboration
    collaborations collaborative cost costs deadline deadlines deliver delivery eligible eligibility encourage
    encouraged ensure expected fund funded funder funders funding funds grant grants include includes including
    industrial industry institution institutions invite invited lead leads led million month months new nhs novel
    objective objectives opportunity opportunities organisation organisations outline outlines partner partners
    partnership partnerships programme programmes project projects proposal proposals require required requires
    research researcher researchers scheme schemes submission submissions submit support supported supports team
    teams total university universities use used uses using value via week weeks welcome within work working year
    years
"""
CALL_WORDS = frozenset(_CALL_WORDS.split())
_STOP = frozenset(ENGLISH_STOP_WORDS) | CALL_WORDS
_CHUNKS = re.compile(r"[^\w\s'’-]|_|\s-\s|\n")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def _word_key(word: str) -> str:
    return re.sub(r"['’]s$", "", word.lower())


def _is_content(word: str) -> bool:
    if not _WORD.fullmatch(word) or _word_key(word) in _STOP:
        return False
    return len(word) >= 3 or (len(word) == 2 and word.isupper())  # "AI", "MS": acronyms count


def _word_weights():
    """How distinctive each word is in the works corpus (its TF-IDF idf), or None when nothing is indexed."""
    from mhi.expertise.index import loaded_index

    lexical = loaded_index().lexical
    if lexical is None:
        return None
    vocabulary, idf = lexical.vectorizer.vocabulary_, lexical.vectorizer.idf_
    return vocabulary, idf, float(np.median(idf))


def themes_from_text(text: str, limit: int = THEMES_SUGGESTED) -> list[str]:
    """Key phrases of a call's text, as themes for the team builder to start from (the user edits them).

    A phrase is a run of up to three content words between stop words, a call's own wording ("applicants",
    "funding", ...) and punctuation; a longer run gives its pairs of neighbouring words. A phrase scores how
    often it occurs times the sum of its words' idf in the works corpus, so a word no work uses (the call's
    boilerplate) adds nothing, and a word every abstract uses adds little; an acronym the corpus does not
    know counts as a typical word. Phrases whose words are all in one already chosen, or that contain all
    the words of one, are left out. Without indexed works every content word weighs 1."""
    weights = _word_weights()

    def weight(word: str) -> float:
        if weights is None:
            return 1.0
        vocabulary, idf, typical = weights
        key = _word_key(word)
        if key in vocabulary:
            return float(idf[vocabulary[key]])
        return typical if word.isupper() else 0.0

    counts: Counter[tuple[str, ...]] = Counter()
    spellings: dict[tuple[str, ...], Counter[str]] = {}
    first_seen: dict[tuple[str, ...], int] = {}
    for chunk in _CHUNKS.split(text or ""):
        run: list[str] = []
        for word in [*(w.strip("'’-") for w in chunk.split()), ""]:  # "" ends the last run
            if word and _is_content(word):
                run.append(word)
                continue
            phrases = [run] if len(run) <= 3 else [run[i : i + 2] for i in range(len(run) - 1)]
            for phrase in phrases if run else []:
                key = tuple(_word_key(w) for w in phrase)
                counts[key] += 1
                spellings.setdefault(key, Counter())[" ".join(phrase)] += 1
                first_seen.setdefault(key, len(first_seen))
            run = []
    scored = []
    for key, count in counts.items():
        # The commonest spelling; of equally common ones the least capitalised ("heart failure", not the
        # "Heart failure" that starts a sentence).
        spelling = min(spellings[key].items(), key=lambda item: (-item[1], sum(c.isupper() for c in item[0])))[0]
        score = count * sum(weight(w) for w in spelling.split())
        if score > 0:
            scored.append((-score, first_seen[key], key, spelling))
    chosen: list[tuple[set[str], str]] = []
    for _, _, key, spelling in sorted(scored):
        words = {w.removesuffix("s") for w in key}
        if any(words <= taken or taken <= words for taken, _ in chosen):
            continue
        chosen.append((words, spelling))
        if len(chosen) == limit:
            break
    return [spelling for _, spelling in chosen]


def opportunity_text(opportunity: Opportunity) -> str:
    return "\n".join(part for part in (opportunity.title, opportunity.summary, opportunity.full_text) if part)


def team_defaults(*, opportunity: Opportunity | None = None, brief: str = "") -> dict:
    """The builder's starting constraints: the opportunity's own requirements and themes (or themes taken
    from its text, or from the pasted brief, when it has none)."""
    if opportunity is None:
        return {
            "themes": themes_from_text(brief) if brief.strip() else [],
            "team_size": DEFAULT_TEAM_SIZE,
            "min_partner_universities": 0,
            "require_nhs": False,
            "require_industry": False,
        }
    return {
        "themes": list(opportunity.themes) or themes_from_text(opportunity_text(opportunity)),
        "team_size": DEFAULT_TEAM_SIZE,
        "min_partner_universities": opportunity.min_partner_universities,
        "require_nhs": opportunity.requires_nhs_partner,
        "require_industry": opportunity.requires_industry_partner,
    }


# --- candidates ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamMember:
    """What the builder knows of a person: for the engine's Candidate and for showing the team."""

    person: Person
    organisation: Organisation | None
    is_partner_university: bool
    is_nhs: bool
    is_industry: bool
    live_bids: int = 0  # issue 5 (bids) supplies it; nobody is in a live bid until then

    @property
    def counts_as(self) -> list[str]:
        flags = [
            (self.is_partner_university, "partner university"),
            (self.is_nhs, "NHS"),
            (self.is_industry, "industry"),
        ]
        return [words for flag, words in flags if flag]

    def candidate(self) -> Candidate:
        return Candidate(
            key=self.person.pk,
            name=self.person.display_name,
            organisation_key=self.organisation.pk if self.organisation else None,
            is_partner_university=self.is_partner_university,
            is_nhs=self.is_nhs,
            is_industry=self.is_industry,
            live_bids=self.live_bids,
        )


def team_members_of(people: list[Person]) -> dict[int, TeamMember]:
    """Each person's organisation and kinds, from their current affiliations, in one query."""
    today = timezone.localdate()
    affiliations: dict[int, list[Affiliation]] = {}
    for affiliation in (
        Affiliation.objects.filter(person__in=[p.pk for p in people])
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("organisation__partnership")
        .order_by("person_id", "-is_primary", "organisation__name", "pk")
    ):
        affiliations.setdefault(affiliation.person_id, []).append(affiliation)
    members = {}
    for person in people:
        own = affiliations.get(person.pk, [])
        organisation = own[0].organisation if own else None
        kinds = {a.organisation.kind for a in own}
        members[person.pk] = TeamMember(
            person=person,
            organisation=organisation,
            is_partner_university=organisation is not None and hasattr(organisation, "partnership"),
            is_nhs=person.kind in NHS_PERSON_KINDS or bool(kinds & NHS_ORGANISATION_KINDS),
            is_industry=person.kind == Person.Kind.INDUSTRY or Organisation.Kind.INDUSTRY in kinds,
        )
    return members


def team_people(*, keys) -> dict[int, TeamMember]:
    """The people of one or more teams (person ids), for showing them."""
    return team_members_of(list(Person.objects.filter(pk__in=list(keys))))


def people_resolve(*, user, names: list[str], slugs_only: bool = False) -> tuple[list[Person], list[str]]:
    """People the user may see named by `names`: each a profile address (slug), an ORCID iD or, unless
    `slugs_only`, a full name as the directory has it ("Naomi Clarke" or "Dr Naomi Clarke"). Returns the
    people found and a sentence for each name that matched no one, or more than one person."""
    visible = directory_selectors.people_visible_to(user=user)
    found: dict[int, Person] = {}
    problems = []
    for raw in names:
        name = " ".join(raw.split())
        if not name:
            continue
        matches = list(visible.filter(Q(slug=name.lower()) | Q(orcid=name)))
        if not matches and not slugs_only:
            matches = _by_full_name(visible, name)
        if len(matches) == 1:
            found.setdefault(matches[0].pk, matches[0])
        elif not matches:
            problems.append(f"No one you can see is called or has the profile address “{name}”")
        else:
            choices = ", ".join(p.slug for p in matches[:5])
            problems.append(f"More than one person is called “{name}”: give the profile address ({choices})")
    return list(found.values()), problems


def people_named(*, user, ids) -> list[Person]:
    """The people with these ids that the user may see, by name."""
    return list(directory_selectors.people_visible_to(user=user).filter(pk__in=list(ids)).order_by("family_name"))


def _by_full_name(visible: QuerySet[Person], name: str) -> list[Person]:
    words = name.split()
    if len(words) < 2:
        return []
    candidates = visible.filter(family_name__iexact=words[-1])
    wanted = name.lower()
    return [p for p in candidates if wanted in (f"{p.given_name} {p.family_name}".lower(), p.display_name.lower())]


# --- building -------------------------------------------------------------------------------------------------


def team_build(
    *,
    user,
    opportunity: Opportunity | None = None,
    brief: str = "",
    themes: list[str] | None = None,
    team_size: int = DEFAULT_TEAM_SIZE,
    min_partner_universities: int | None = None,
    require_nhs: bool | None = None,
    require_industry: bool | None = None,
    include=(),
    exclude=(),
    max_live_bids: int | None = None,
    embedder,
    alternatives: int = 3,
    time_limit: float = 2.0,
) -> TeamResult:
    """The best team of people the user may see for the themes, and the next-best `alternatives`.

    Constraints left as None come from the opportunity (its themes, or themes taken from its text; its
    minimum of partner universities, NHS and industry requirements), or are none for a pasted brief.
    `include` and `exclude` are person ids. Someone included who has no works is still a candidate, with no
    evidence for any theme. Raises TeamInfeasible with every reason no team can be made."""
    defaults = team_defaults(opportunity=opportunity, brief=brief)
    themes = themes_normalise(defaults["themes"] if themes is None else themes)
    if not themes:
        raise TeamInfeasible(["Give at least one theme for the team to cover"])
    if not 1 <= team_size <= MAX_TEAM_SIZE:
        raise TeamInfeasible([f"The team size must be between 1 and {MAX_TEAM_SIZE}, not {team_size}"])
    from mhi.expertise.selectors import people_theme_similarities

    people, similarity = people_theme_similarities(user=user, themes=themes, embedder=embedder)
    have = {p.pk for p in people}
    without_works = list(
        directory_selectors.people_visible_to(user=user).filter(pk__in=[pk for pk in include if pk not in have])
    )
    if without_works:
        people = [*people, *without_works]
        similarity = np.vstack([similarity, np.zeros((len(without_works), len(themes)), dtype=similarity.dtype)])
    members = team_members_of(people)
    problem = TeamProblem(
        candidates=[members[p.pk].candidate() for p in people],
        themes=themes,
        similarity=similarity,
        team_size=team_size,
        min_partner_universities=(
            defaults["min_partner_universities"] if min_partner_universities is None else min_partner_universities
        ),
        require_nhs=defaults["require_nhs"] if require_nhs is None else require_nhs,
        require_industry=defaults["require_industry"] if require_industry is None else require_industry,
        include=include,
        exclude=exclude,
        max_live_bids=max_live_bids,
    )
    return solve(problem, time_limit=time_limit, alternatives=alternatives)


# --- carrying a result to the Keep button -------------------------------------------------------------------


@dataclass(frozen=True)
class BuiltTeam:
    """A result as shown to a user, with what it was built for and under which constraints."""

    result: TeamResult
    opportunity_id: int | None
    brief: str
    constraints: dict


def _choice_from(data: dict) -> TeamChoice:
    return TeamChoice(
        **{
            **data,
            "members": tuple(data["members"]),
            "coverage": tuple(ThemeCover(**c) for c in data["coverage"]),
            "table": tuple(tuple(row) for row in data["table"]),
            "swapped_out": tuple(data["swapped_out"]),
            "swapped_in": tuple(data["swapped_in"]),
        }
    )


def team_result_token(
    *, user, result: TeamResult, opportunity: Opportunity | None, brief: str, constraints: dict
) -> str:
    """A signed, compressed copy of the result for its Keep button; only `user` can keep it, within a day."""
    payload = {
        "user": user.pk,
        "opportunity": opportunity.pk if opportunity else None,
        "brief": brief,
        "constraints": constraints,
        "result": dataclasses.asdict(result),
    }
    return signing.dumps(payload, salt=_TOKEN_SALT, compress=True)


def team_result_from_token(*, user, token: str) -> BuiltTeam:
    try:
        payload = signing.loads(token, salt=_TOKEN_SALT, max_age=KEEP_MAX_AGE)
    except signing.SignatureExpired:
        raise TeamNotKept("This team was built more than a day ago; build it again to keep it.") from None
    except signing.BadSignature:
        raise TeamNotKept("This team cannot be kept: build it again and press Keep on the result.") from None
    if payload["user"] != user.pk:
        raise TeamNotKept("This team was built by someone else; build it yourself to keep it.")
    data = payload["result"]
    result = TeamResult(
        **{
            **data,
            "best": _choice_from(data["best"]),
            "alternatives": tuple(_choice_from(a) for a in data["alternatives"]),
            "themes": tuple(data["themes"]),
            "warnings": tuple(data["warnings"]),
        }
    )
    return BuiltTeam(result, payload["opportunity"], payload["brief"], payload["constraints"])


def team_proposal_keep_from_token(*, actor, token: str, choice: int = 0) -> TeamProposal:
    """Keep the team a user was shown (the page's or the API's build gave them `token`)."""
    built = team_result_from_token(user=actor, token=token)
    opportunity = None
    if built.opportunity_id is not None:
        opportunity = Opportunity.objects.filter(pk=built.opportunity_id).first()
        if opportunity is None:
            raise TeamNotKept("The opportunity this team was built for has been deleted.")
    return team_proposal_keep(
        actor=actor,
        result=built.result,
        choice=choice,
        opportunity=opportunity,
        brief=built.brief,
        constraints=built.constraints,
    )


# --- keeping ------------------------------------------------------------------------------------------------


def team_choice(result: TeamResult, choice: int) -> TeamChoice:
    """0 is the best team, 1, 2, ... the alternatives in order."""
    if choice == 0:
        return result.best
    if 1 <= choice <= len(result.alternatives):
        return result.alternatives[choice - 1]
    raise TeamNotKept(f"There is no alternative {choice}; this result has {len(result.alternatives)}.", field="choice")


@transaction.atomic
def team_proposal_keep(
    *,
    actor,
    result: TeamResult,
    choice: int = 0,
    opportunity: Opportunity | None = None,
    brief: str = "",
    constraints: dict | None = None,
) -> TeamProposal:
    """Keep one team of a result (the best, or alternative `choice`) to start a bid with."""
    if not user_may_build_teams(actor):
        raise DomainPermissionDenied("Only people with a role in the partnership keep teams.")
    chosen = team_choice(result, choice)
    people = list(Person.objects.filter(pk__in=chosen.members))
    if len(people) != len(chosen.members):
        raise TeamNotKept("Someone in this team has since left the directory; build the team again.")
    if opportunity is None and not brief.strip():
        raise TeamNotKept("A team is kept for an opportunity or for a call's text.", field="brief")
    members = chosen.members
    proposal = TeamProposal(
        opportunity=opportunity,
        brief="" if opportunity else brief,
        themes=list(result.themes),
        constraints={**(constraints or {}), "choice": choice},
        coverage=[
            {
                "theme": cover.theme,
                "person": cover.member,
                "similarity": round(cover.similarity, 4),
                "similarities": {str(k): round(row[j], 4) for j, k in enumerate(members)},
            }
            for cover, row in zip(chosen.coverage, chosen.table, strict=True)
        ],
        objective=chosen.objective,
        solver_status=chosen.status,
        gap=chosen.gap or 0.0,
        created_by=actor,
    )
    audit_save(instance=proposal, actor=actor, source="team builder")
    proposal.members.set(people)
    return proposal


def team_proposal_order(proposal: TeamProposal, members) -> list:
    """Members in the engine's column order: by the first theme each covers, then by id."""
    first = {}
    for t, entry in enumerate(proposal.coverage):
        if entry.get("person") is not None:
            first.setdefault(entry["person"], t)
    return sorted(members, key=lambda m: (first.get(m.pk, len(proposal.coverage)), m.pk))
