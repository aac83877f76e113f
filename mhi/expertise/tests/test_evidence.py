"""REF impact case studies: import (all or nothing, matched to organisations), search, pages."""

import pytest
from django.urls import reverse

from mhi.core.errors import ImportFailed
from mhi.directory.tests.factories import OrganisationFactory
from mhi.expertise.evidence import impact_cases_for_text, impact_cases_import_file, impact_cases_index
from mhi.expertise.lexical_search import lexical_search
from mhi.expertise.models import ImpactCaseStudy

pytestmark = pytest.mark.django_db

HEADER = (
    "Case Study Id,Institution,UKPRN,Unit of Assessment,Title,Summary of the impact,Underpinning research,Funders\n"
)
ROWS = (
    "101,University of Testshire,10099991,Clinical Medicine,Better stroke thrombolysis,"
    '"Faster clot-busting treatment for stroke patients in the NHS.",Trials of thrombolysis.,mrc;wellcome\n'
    "102,The University of Otherton,,Public Health,School meals and obesity,"
    '"Healthier school meals reduced childhood obesity.",Cohort studies.,\n'
)


@pytest.fixture
def universities():
    return (
        OrganisationFactory(name="University of Testshire", ukprn="10099991", kind="university", slug="testshire"),
        OrganisationFactory(name="University of Otherton", kind="university", slug="otherton"),
    )


def _file(tmp_path, text):
    path = tmp_path / "cases.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_import_matches_by_ukprn_then_name_and_second_run_changes_nothing(tmp_path, universities):
    testshire, otherton = universities
    path = _file(tmp_path, HEADER + ROWS)
    report = impact_cases_import_file(path=path)
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    stroke = ImpactCaseStudy.objects.get(case_study_id="101")
    assert stroke.organisation == testshire
    assert stroke.funders == ["mrc", "wellcome"]
    assert stroke.source_url == "https://impact.ref.ac.uk/casestudies/CaseStudy.aspx?Id=101"
    assert ImpactCaseStudy.objects.get(case_study_id="102").organisation == otherton  # "The " dropped
    again = impact_cases_import_file(path=path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    # searchable by words at once, before any embedding
    assert [h.object_id for h in lexical_search(kind="impact_case", query="thrombolysis")] == [stroke.pk]


def test_unknown_institution_fails_the_file_naming_the_row_unless_skipped(tmp_path, universities):
    path = _file(tmp_path, HEADER + ROWS + "103,Nowhere College,,Clinical Medicine,A title,A summary,,\n")
    with pytest.raises(ImportFailed) as failed:
        impact_cases_import_file(path=path)
    assert [str(p) for p in failed.value.problems] == [
        "cases.csv, row 4, column “Institution”: “Nowhere College” is not in the directory"
    ]
    assert ImpactCaseStudy.objects.count() == 0
    report = impact_cases_import_file(path=path, skip_unmatched=True)
    assert report.created == 2
    assert report.skipped == ["row 4: “Nowhere College” is not an organisation in the directory"]


def test_empty_title_and_bad_id_are_named(tmp_path, universities):
    path = _file(
        tmp_path,
        HEADER + "x1,University of Testshire,,Clinical Medicine,T,S,,\n"
        "104,University of Testshire,,Clinical Medicine,,S,,\n",
    )
    with pytest.raises(ImportFailed) as failed:
        impact_cases_import_file(path=path)
    assert [str(p) for p in failed.value.problems] == [
        "cases.csv, row 2, column “Case Study Id”: “x1” is not a case study number",
        "cases.csv, row 3, column “Title”: is empty",
    ]


def test_cases_for_a_text_by_meaning_and_words(tmp_path, universities, embedder):
    impact_cases_import_file(path=_file(tmp_path, HEADER + ROWS))
    report = impact_cases_index(embedder=embedder)
    assert report.embedded == 2
    [best, *_] = impact_cases_for_text(text="treating acute ischaemic stroke quickly", embedder=embedder)
    assert best.case.title == "Better stroke thrombolysis"
    assert best.similarity > 0.3
    only_otherton = impact_cases_for_text(
        text="treating acute ischaemic stroke quickly", embedder=embedder, organisation=universities[1]
    )
    assert [h.case.title for h in only_otherton] == ["School meals and obesity"]
    assert impact_cases_for_text(text="   ", embedder=embedder) == []


def test_pages_list_show_and_find_page_shows_evidence(client, tmp_path, universities, indexed, embedder):
    impact_cases_import_file(path=_file(tmp_path, HEADER + ROWS))
    impact_cases_index(embedder=embedder)
    stroke = ImpactCaseStudy.objects.get(case_study_id="101")
    listing = client.get(reverse("expertise:impact_cases"), {"organisation": "testshire"})
    assert listing.status_code == 200
    assert [c.title for c in listing.context["page_obj"].object_list] == ["Better stroke thrombolysis"]
    detail = client.get(reverse("expertise:impact_case", args=[stroke.pk]))
    assert "Faster clot-busting treatment" in detail.content.decode()
    assert client.get(reverse("expertise:impact_case", args=[999999])).status_code == 404
    found = client.get(reverse("expertise:find"), {"q": "stroke thrombolysis"})
    assert [h.case.title for h in found.context["evidence"]][0] == "Better stroke thrombolysis"
    org_page = client.get(reverse("expertise:organisation", args=["testshire"]))
    assert [c.title for c in org_page.context["impact_cases"]] == ["Better stroke thrombolysis"]


def test_works_search_page_pages_through_full_text_results(client, indexed):
    from mhi.expertise.index import works_lexical_update

    works_lexical_update()
    response = client.get(reverse("expertise:works"), {"q": "hip fracture"})
    page = response.context["page_obj"]
    assert page.paginator.count == 1
    [(work, snippet, authors)] = page.object_list
    assert work.title.startswith("Cemented versus uncemented")
    assert "<mark>" in snippet
    assert [p.slug for p in authors] == ["bones"]
    empty = client.get(reverse("expertise:works"), {"q": "?!"})
    assert "has no words to search for" in empty.content.decode()
    none = client.get(reverse("expertise:works"), {"q": "zebrafish"})
    assert "No works have these words" in none.content.decode()


def test_api_works_search_and_impact_cases(client, tmp_path, universities, indexed, embedder):
    from mhi.expertise.index import works_lexical_update

    works_lexical_update()
    body = client.get("/api/v1/expertise/works", {"q": "knee arthroplasty"}).json()
    assert body["count"] == 1
    assert body["items"][0]["title"] == "Robotic-arm assisted knee replacement: a cohort study"
    assert body["items"][0]["authors"] == ["bones"]
    refused = client.get("/api/v1/expertise/works", {"q": "?!"})
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"] == {"q": ["Give at least one word (letters or numbers) to search for."]}

    impact_cases_import_file(path=_file(tmp_path, HEADER + ROWS))
    listed = client.get("/api/v1/expertise/impact-cases", {"organisation": "otherton"}).json()
    assert [c["title"] for c in listed] == ["School meals and obesity"]
    matched = client.get("/api/v1/expertise/impact-cases", {"q": "thrombolysis"}).json()
    assert matched[0]["title"] == "Better stroke thrombolysis"
    unknown = client.get("/api/v1/expertise/impact-cases", {"organisation": "nowhere"})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["fields"] == {"organisation": ["No organisation has the slug “nowhere”."]}
    missing = client.get("/api/v1/expertise/impact-cases/999999")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
