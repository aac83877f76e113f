from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mhi.directory.models import Organisation
from mhi.directory.tests.factories import AffiliationFactory, OrganisationFactory, PersonFactory
from mhi.expertise.importers.matching import name_fold, name_key, name_keys_from_full_name
from mhi.expertise.models import Authorship
from mhi.expertise.services import works_import_file

DATA = Path(__file__).parent / "data"
PAGE = DATA / "openalex_page.json"  # "The state of OA" (9 authors) and bibliometrix (2)
SNAPSHOT = DATA / "openalex_works.jsonl"


def _person_at(ror: str, given: str, family: str, **fields):
    """A person affiliated with the organisation that has this ROR id (created when new)."""
    organisation = Organisation.objects.filter(ror_id=ror).first() or OrganisationFactory(ror_id=ror)
    person = PersonFactory(given_name=given, family_name=family, **fields)
    AffiliationFactory(organisation=organisation, person=person)
    return person


def _authorship(raw_name: str) -> Authorship:
    return Authorship.objects.get(raw_name=raw_name)


def test_names_are_folded_to_letters_without_accents_or_punctuation():
    assert name_fold("Clutton‐Brock") == "clutton brock"
    assert name_fold("Gísladóttir") == "gisladottir"
    assert name_fold("Łucja O'Brien-Ødegård") == "lucja o brien odegard"
    assert name_key("van Breugel", "Michiel") == ("vanbreugel", "m")
    assert name_key("", "Michiel") is None


def test_a_full_name_is_read_every_way_its_family_name_could_be_split():
    assert name_keys_from_full_name("Yolanda Kakabadse Navarro") == {("kakabadsenavarro", "y"), ("navarro", "y")}
    assert name_keys_from_full_name("Harvey, Celia A.") == {("harvey", "c")}
    assert name_keys_from_full_name("Madonna") == set()


def test_an_orcid_in_the_directory_matches_wherever_the_author_was(db):
    piwowar = PersonFactory(given_name="Heather", family_name="Piwowar", orcid="0000-0003-1613-5981")
    report = works_import_file(path=PAGE, format="openalex")
    authorship = _authorship("Heather Piwowar")
    assert (authorship.match_status, authorship.person, list(authorship.candidates.all())) == ("matched", piwowar, [])
    assert (report.matched, report.review, report.unmatched) == (1, 0, 10)


def test_an_orcid_matches_in_pubmed_files_too(db):
    piwowar = PersonFactory(given_name="Heather", family_name="Piwowar", orcid="0000-0003-1613-5981")
    works_import_file(path=DATA / "pubmed_articles.xml", format="pubmed")
    assert _authorship("Heather Piwowar").person == piwowar


def test_one_person_with_the_name_at_the_authors_institution_is_a_match(db):
    priem = _person_at("05ppvf150", "Jason", "Priem")
    works_import_file(path=PAGE, format="openalex")
    assert (_authorship("Jason Priem").match_status, _authorship("Jason Priem").person) == ("matched", priem)


def test_accents_initials_and_hyphens_do_not_stop_a_match(db):
    lariviere = _person_at("0161xgx34", "Vincent", "Lariviere")
    gisladottir = _person_at("01db6h964", "Guðrún", "Gísladóttir")
    clutton_brock = _person_at("013meh722", "Tim", "Clutton-Brock")
    works_import_file(path=PAGE, format="openalex")
    works_import_file(path=SNAPSHOT, format="openalex")
    assert _authorship("Vincent Larivière").person == lariviere
    assert _authorship("G. Gisladottir").person == gisladottir
    assert _authorship("Tim Clutton‐Brock").person == clutton_brock


def test_two_people_who_could_be_the_author_go_to_review(db):
    jevin = _person_at("00cvxb145", "Jevin", "West")
    jane = _person_at("00cvxb145", "Jane", "West")
    report = works_import_file(path=PAGE, format="openalex")
    authorship = _authorship("Jevin West")
    assert (authorship.match_status, authorship.person) == ("review", None)
    assert set(authorship.candidates.all()) == {jevin, jane}
    assert report.review == 1


def test_the_same_name_elsewhere_or_with_another_orcid_is_not_a_match(db):
    _person_at("013meh722", "Jason", "Priem")  # Cambridge, not Impactstory
    _person_at("05ppvf150", "Heather", "Piwowar", orcid="0000-0002-1825-0097")
    works_import_file(path=PAGE, format="openalex")
    assert (_authorship("Jason Priem").match_status, _authorship("Jason Priem").person) == ("unmatched", None)
    assert (_authorship("Heather Piwowar").match_status, _authorship("Heather Piwowar").person) == ("unmatched", None)


@pytest.mark.parametrize("people", [2, 40])
def test_the_directory_is_read_once_per_import_not_once_per_author(db, people):
    for n in range(people):
        _person_at("00cvxb145", f"Given{n}", f"Family{n}")
    with CaptureQueriesContext(connection) as queries:
        works_import_file(path=PAGE, format="openalex")
    directory_reads = [q["sql"] for q in queries if '"directory_' in q["sql"]]
    assert len(directory_reads) == 2  # people with ORCID iDs, then affiliations with ROR ids


def _page_with_changed_author_list(tmp_path) -> Path:
    """The same file, with the last author of the work Jevin West is on dropped: a changed author list."""
    import json

    page = json.loads(PAGE.read_text(encoding="utf-8"))
    for work in page["results"]:
        names = [a.get("raw_author_name") for a in work["authorships"]]
        if "Jevin West" in names and names[-1] != "Jevin West":
            work["authorships"] = work["authorships"][:-1]
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page), encoding="utf-8")
    return path


def _user_for(person):
    from mhi.accounts.models import User

    person.user = User.objects.create_user(email=f"{person.slug}@example.org", password="x")
    person.save()
    return person.user


def test_a_claim_survives_a_reimport_that_rewrites_the_author_list(db, tmp_path):
    from mhi.expertise.services import authorship_claim

    jevin = _person_at("00cvxb145", "Jevin", "West")
    _person_at("00cvxb145", "Jane", "West")
    works_import_file(path=PAGE, format="openalex")
    authorship_claim(actor=_user_for(jevin), authorship=_authorship("Jevin West"), person=jevin)
    before = Authorship.objects.filter(work=_authorship("Jevin West").work).count()
    report = works_import_file(path=_page_with_changed_author_list(tmp_path), format="openalex")
    after = _authorship("Jevin West")
    assert Authorship.objects.filter(work=after.work).count() == before - 1  # the list was rewritten
    assert (after.match_status, after.person) == ("matched", jevin)
    assert list(after.candidates.all()) == []
    assert report.review == 0


def test_a_rejection_survives_a_reimport_and_the_other_candidate_stays_asked(db, tmp_path):
    from mhi.expertise.models import AuthorshipDecision
    from mhi.expertise.services import authorship_reject

    jevin = _person_at("00cvxb145", "Jevin", "West")
    jane = _person_at("00cvxb145", "Jane", "West")
    works_import_file(path=PAGE, format="openalex")
    authorship_reject(actor=_user_for(jane), authorship=_authorship("Jevin West"), person=jane)
    decision = AuthorshipDecision.objects.get()
    assert (decision.name_key, decision.person, decision.decision) == ("jevin west", jane, "rejected")
    works_import_file(path=_page_with_changed_author_list(tmp_path), format="openalex")
    after = _authorship("Jevin West")
    assert after.match_status == "review"
    assert list(after.candidates.all()) == [jevin]
