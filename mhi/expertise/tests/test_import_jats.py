import shutil
from pathlib import Path

import pytest

from mhi.core.errors import ImportFailed
from mhi.expertise.models import Authorship, Work
from mhi.expertise.services import works_import_file

JATS = Path(__file__).parent / "data" / "jats"
PONE = JATS / "journal.pone.0146913.xml"
PMED = JATS / "journal.pmed.0030520.xml"


def _copy_with(tmp_path, source: Path, old: str, new: str, name: str | None = None) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text
    target = tmp_path / (name or source.name)
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def test_it_imports_a_folder_of_plos_articles(db):
    report = works_import_file(path=JATS, format="jats")
    assert (report.records_seen, report.created, report.skipped) == (3, 3, [])
    work = Work.objects.get(doi="10.1371/journal.pone.0146913")
    assert work.title == (
        "Reproducibility of Brain Morphometry from Short-Term Repeat Clinical MRI Examinations: A Retrospective Study"
    )
    assert (work.year, str(work.publication_date), work.venue, work.work_type, work.source) == (
        2016,
        "2016-01-26",
        "PLOS ONE",
        "research-article",
        "jats",
    )
    assert [p.split(":")[0] for p in work.abstract.split("\n\n")] == [
        "Purpose",
        "Materials and Methods",
        "Results",
        "Conclusions",
    ]
    assert work.abstract.startswith("Purpose: To assess the inter session reproducibility of automatic segmented MRI")
    # PLOS articles have no <kwd>; their subject areas stand in, each once.
    assert work.topics[:4] == [
        "Medicine and health sciences",
        "Diagnostic medicine",
        "Diagnostic radiology",
        "Magnetic resonance imaging",
    ]
    assert len(work.topics) == 21


def test_authors_get_their_orcids_and_linked_affiliations_but_editors_are_left_out(db):
    works_import_file(path=PONE, format="jats")
    authorships = list(Authorship.objects.order_by("position"))
    assert [a.raw_name for a in authorships] == [
        "Chung-Yi Yang",
        "Hon-Man Liu",
        "Shan-Kai Chen",
        "Ya-Fang Chen",
        "Chung-Wei Lee",
        "Lee-Ren Yeh",
    ]
    assert authorships[0].orcid == "0000-0003-1697-8823"
    assert authorships[0].raw_affiliation == (
        "Department of Medical Imaging, E-Da Hospital, I-Shou University, Kaohsiung, Taiwan; "
        "Department of Medical Imaging, National Taiwan University Hospital and National Taiwan University College "
        "of Medicine. Taipei, Taiwan"
    )
    assert authorships[2].raw_affiliation == (
        "Center for Dynamical Biomarkers and Translational Medicine, National Central University, Chungli, Taiwan"
    )
    assert {a.match_status for a in authorships} == {"unmatched"}


def test_affiliation_text_split_across_elements_is_joined_without_its_label(db):
    works_import_file(path=PMED, format="jats")
    work = Work.objects.get()
    assert work.abstract.startswith("Background: Inappropriate activation of the renin–angiotensin system")
    first = work.authorships.get(position=1)
    assert (first.raw_name, first.raw_affiliation) == (
        "Norma C Serrano",
        "Universidad Autónoma de Bucaramanga, Bucaramanga, Colombia",
    )
    assert work.authorships.count() == 10


def test_an_article_with_only_a_summary_abstract_uses_it(db):
    works_import_file(path=JATS / "journal.pmed.0030132.xml", format="jats")
    work = Work.objects.get()
    assert work.abstract.startswith("Lexchin examines how Pfizer transformed sildenafil")
    assert list(work.authorships.values_list("raw_name", "raw_affiliation")) == [("Joel Lexchin", "")]


def test_keywords_are_the_topics_when_the_article_has_them(db, tmp_path):
    path = _copy_with(
        tmp_path,
        PONE,
        "</title-group>",
        '</title-group><kwd-group kwd-group-type="author"><kwd>brain morphometry</kwd><kwd>MRI</kwd></kwd-group>',
    )
    works_import_file(path=path, format="jats")
    assert Work.objects.get().topics == ["brain morphometry", "MRI"]


def test_an_article_without_a_doi_or_pmid_is_refused_naming_it(db, tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(PMED, folder)
    _copy_with(folder, PONE, '<article-id pub-id-type="doi">10.1371/journal.pone.0146913</article-id>', "")
    with pytest.raises(ImportFailed) as caught:
        works_import_file(path=folder, format="jats")
    assert str(caught.value) == (
        "articles, article 2 (journal.pone.0146913.xml): has no DOI, PMID or OpenAlex id, so a second import "
        "could not find it again"
    )
    assert (Work.objects.count(), Authorship.objects.count()) == (0, 0)


def test_skip_mode_leaves_out_an_unreadable_file_in_a_folder(db, tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(PMED, folder)
    _copy_with(folder, PONE, "</article-title>", "</article-titel>")
    report = works_import_file(path=folder, format="jats", skip_bad_records=True)
    assert report.skipped == [
        {
            "record": "article 2 (journal.pone.0146913.xml)",
            "message": "is not well-formed XML: mismatched tag: line 27, column 125",
        }
    ]
    assert list(Work.objects.values_list("doi", flat=True)) == ["10.1371/journal.pmed.0030520"]


def test_a_second_import_changes_nothing_and_a_new_title_updates(db, tmp_path):
    works_import_file(path=JATS, format="jats")
    assert works_import_file(path=JATS, format="jats").unchanged == 3
    path = _copy_with(tmp_path, PMED, "Evidence of Small-Study Bias", "Evidence of Small-Study Bias (corrected)")
    report = works_import_file(path=path, format="jats")
    assert (report.created, report.updated) == (0, 1)
    assert Work.objects.get(doi="10.1371/journal.pmed.0030520").title.endswith("Small-Study Bias (corrected)")
    assert (Work.objects.count(), Authorship.objects.count()) == (3, 17)
