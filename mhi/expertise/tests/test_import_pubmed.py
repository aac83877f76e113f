from pathlib import Path

import pytest

from mhi.core.errors import ImportFailed
from mhi.expertise.models import Authorship, Work
from mhi.expertise.services import works_import_file

DATA = Path(__file__).parent / "data"
ARTICLES = DATA / "pubmed_articles.xml"

# Shaped like an efetch record; the content is the real PubMedQA record 9488747 with edge cases added.
EDGE_CASES = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2024//EN"
  "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_240101.dtd">
<PubmedArticleSet>
  <PubmedArticle>
    <MedlineCitation Status="MEDLINE" Owner="NLM">
      <PMID Version="1">9488747</PMID>
      <Article PubModel="Print">
        <Journal>
          <JournalIssue CitedMedium="Print"><PubDate><MedlineDate>1997 Dec-1998 Jan</MedlineDate></PubDate></JournalIssue>
          <Title>Archives de pediatrie</Title>
        </Journal>
        <ArticleTitle>Syncope during bathing in infants, a pediatric form of <i>water-induced</i> urticaria?</ArticleTitle>
        <Abstract><AbstractText>Apparent life-threatening events in infants are a difficult problem.</AbstractText>
          <CopyrightInformation>Not part of the abstract.</CopyrightInformation></Abstract>
        <AuthorList CompleteYN="Y">
          <Author ValidYN="Y"><LastName>Nowak</LastName><ForeName>Łucja</ForeName>
            <Identifier Source="ORCID">https://orcid.org/0000-0003-1613-5981</Identifier></Author>
          <Author ValidYN="Y"><CollectiveName>MHI Paediatric Study Group</CollectiveName></Author>
          <Author ValidYN="N"><LastName>Withdrawn</LastName><ForeName>Name</ForeName></Author>
          <Author ValidYN="Y"><LastName>Smith</LastName><Initials>JA</Initials>
            <Identifier Source="ORCID">not-an-orcid</Identifier></Author>
        </AuthorList>
        <CommentsCorrectionsList><CommentsCorrections RefType="Cites"><PMID>111</PMID></CommentsCorrections>
        </CommentsCorrectionsList>
      </Article>
    </MedlineCitation>
    <PubmedData>
      <ArticleIdList><ArticleId IdType="pubmed">9488747</ArticleId></ArticleIdList>
      <ReferenceList><Reference><Citation>A cited work.</Citation>
        <ArticleIdList><ArticleId IdType="doi">10.1000/cited.work</ArticleId></ArticleIdList></Reference></ReferenceList>
    </PubmedData>
  </PubmedArticle>
  <PubmedBookArticle>
    <BookDocument><PMID Version="1">20301295</PMID><ArticleTitle>A book chapter</ArticleTitle></BookDocument>
  </PubmedBookArticle>
</PubmedArticleSet>
"""


def _write(tmp_path, text, name="pubmed.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_it_imports_every_article_with_its_fields(db):
    report = works_import_file(path=ARTICLES, format="pubmed")
    assert (report.records_seen, report.created, report.skipped) == (5, 5, [])
    oa = Work.objects.get(pmid="29456894")
    # PubMed's closing full stop is not part of the title.
    assert oa.title == "The state of OA: a large-scale analysis of the prevalence and impact of Open Access articles"
    assert (oa.doi, oa.year, str(oa.publication_date), oa.venue, oa.work_type, oa.source) == (
        "10.7717/peerj.4375",
        2018,
        "2018-02-13",
        "PeerJ",
        "Journal Article",
        "pubmed",
    )
    assert oa.abstract.startswith("Despite growing interest in Open Access (OA) to scholarly literature,")


def test_structured_abstracts_keep_their_labels_and_mesh_headings_are_listed(db):
    works_import_file(path=ARTICLES, format="pubmed")
    work = Work.objects.get(pmid="21645374")
    parts = work.abstract.split("\n\n")
    assert [p.split(":")[0] for p in parts] == ["BACKGROUND", "RESULTS"]
    assert parts[0].startswith("BACKGROUND: Programmed cell death (PCD) is the regulated death of cells")
    assert work.mesh_terms == ["Alismataceae", "Apoptosis", "Cell Differentiation", "Mitochondria", "Plant Leaves"]
    assert work.topics == work.mesh_terms
    assert (work.doi, work.year, work.venue) == (None, 2011, "")


def test_authors_keep_their_order_orcids_and_affiliations(db):
    works_import_file(path=ARTICLES, format="pubmed")
    authorships = list(Authorship.objects.filter(work__pmid="15721479").order_by("position"))
    assert [a.raw_name for a in authorships] == [
        "Don J Melnick",
        "Yolanda Kakabadse Navarro",
        "Jeffrey McNeely",
        "Guido Schmidt-Traub",
        "Robin R Sears",
    ]
    assert [a.orcid for a in authorships] == [
        "",
        "",
        "0000-0002-7683-6467",
        "0000-0002-3946-5230",
        "0000-0002-8925-1441",
    ]
    assert authorships[1].raw_affiliation == "Fundación Futuro Latinoamericano, PO Box 17 17-558, Quito, Ecuador"
    lariviere = Authorship.objects.get(work__pmid="29456894", position=3)
    assert lariviere.raw_affiliation == (
        "Observatoire des Sciences et des Technologies (OST), Centre Interuniversitaire de Recherche sur la Science "
        "et la Technologie (CIRST), Université du Québec à Montréal, Montréal, QC, Canada; École de bibliothéconomie "
        "et des sciences de l’information, Université de Montréal, Montréal, QC, Canada"
    )
    assert Authorship.objects.count() == 14


def test_medline_dates_collective_names_and_the_articles_own_ids(db, tmp_path):
    report = works_import_file(path=_write(tmp_path, EDGE_CASES), format="pubmed")
    assert (report.records_seen, report.created) == (2, 1)
    assert report.skipped == [
        {
            "record": "PMID 20301295",
            "message": "a PubMed book or chapter record (PubmedBookArticle); only journal articles are imported",
        }
    ]
    work = Work.objects.get()
    assert (work.pmid, work.year, work.publication_date, work.venue) == ("9488747", 1997, None, "Archives de pediatrie")
    assert work.title == "Syncope during bathing in infants, a pediatric form of water-induced urticaria?"
    assert work.abstract == "Apparent life-threatening events in infants are a difficult problem."
    # The DOI in the reference list belongs to a cited work, not to this one.
    assert work.doi is None
    assert list(work.authorships.values_list("position", "raw_name", "orcid")) == [
        (1, "Łucja Nowak", "0000-0003-1613-5981"),
        (2, "MHI Paediatric Study Group", ""),
        (3, "JA Smith", ""),
    ]


def test_a_doi_only_in_the_elocation_id_is_found(db, tmp_path):
    text = EDGE_CASES.replace(
        "<Abstract>", '<ELocationID EIdType="doi" ValidYN="Y">10.1016/S0929-693X(97)86401-1</ELocationID><Abstract>'
    )
    works_import_file(path=_write(tmp_path, text), format="pubmed")
    assert Work.objects.get().doi == "10.1016/s0929-693x(97)86401-1"


def test_a_bad_pmid_refuses_the_file_naming_it(db, tmp_path):
    text = ARTICLES.read_text(encoding="utf-8").replace(
        '<PMID Version="1">16418930</PMID>', '<PMID Version="1">16418930a</PMID>'
    )
    with pytest.raises(ImportFailed) as caught:
        works_import_file(path=_write(tmp_path, text), format="pubmed")
    assert str(caught.value) == "pubmed.xml, PMID 16418930a: PMID “16418930a” is not a PubMed id (expected digits only)"
    assert (Work.objects.count(), Authorship.objects.count()) == (0, 0)


def test_skip_mode_leaves_out_an_article_without_a_title(db, tmp_path):
    text = ARTICLES.read_text(encoding="utf-8").replace(
        "<ArticleTitle>Do mitochondria play a role in remodelling lace plant leaves during programmed cell death?"
        "</ArticleTitle>",
        "<ArticleTitle></ArticleTitle>",
    )
    report = works_import_file(path=_write(tmp_path, text), format="pubmed", skip_bad_records=True)
    assert report.skipped == [{"record": "PMID 21645374", "message": "has no title"}]
    assert Work.objects.count() == 4


def test_broken_xml_refuses_the_file_even_in_skip_mode(db, tmp_path):
    # The last article is broken, after four good ones.
    head, tail = ARTICLES.read_text(encoding="utf-8").rsplit("</ArticleTitle>", 1)
    text = f"{head}</ArticleTitl>{tail}"
    with pytest.raises(ImportFailed) as caught:
        works_import_file(path=_write(tmp_path, text), format="pubmed", skip_bad_records=True)
    assert str(caught.value) == "pubmed.xml: is not well-formed XML: mismatched tag: line 358, column 103"
    assert Work.objects.count() == 0


def test_a_second_import_changes_nothing(db):
    works_import_file(path=ARTICLES, format="pubmed")
    report = works_import_file(path=ARTICLES, format="pubmed")
    assert (report.created, report.updated, report.unchanged) == (0, 0, 5)
    assert (Work.objects.count(), Authorship.objects.count()) == (5, 14)


def test_pubmed_fills_gaps_in_an_openalex_work_but_keeps_its_authors(db):
    works_import_file(path=DATA / "openalex_page.json", format="openalex")
    work = Work.objects.get(openalex_id="W2741809807")
    authorship_ids = list(work.authorships.values_list("id", flat=True))
    report = works_import_file(path=ARTICLES, format="pubmed")
    # Found by DOI; the same title, abstract, venue and date, so nothing to change.
    assert (report.created, report.updated, report.unchanged) == (4, 0, 1)
    work.refresh_from_db()
    assert (work.source, work.work_type, work.pmid) == ("openalex", "article", "29456894")
    assert list(work.authorships.values_list("id", flat=True)) == authorship_ids
    assert work.authorships.get(position=1).institution_rors == ["05ppvf150"]
    assert Work.objects.count() == 6


def test_openalex_authors_with_institutions_take_over_from_pubmed_authors(db):
    works_import_file(path=ARTICLES, format="pubmed")
    report = works_import_file(path=DATA / "openalex_page.json", format="openalex")
    assert (report.created, report.updated) == (1, 1)
    work = Work.objects.get(doi="10.7717/peerj.4375")
    assert (work.source, work.openalex_id, work.work_type) == ("openalex", "W2741809807", "article")
    assert work.authorships.get(position=1).institution_rors == ["05ppvf150"]
    again = [
        works_import_file(path=p, format=f)
        for p, f in ((ARTICLES, "pubmed"), (DATA / "openalex_page.json", "openalex"))
    ]
    assert [(r.created, r.updated) for r in again] == [(0, 0), (0, 0)]


def test_a_file_that_is_not_pubmed_is_refused(db):
    with pytest.raises(ImportFailed) as caught:
        works_import_file(path=DATA / "jats" / "journal.pmed.0030132.xml", format="pubmed")
    assert str(caught.value) == "journal.pmed.0030132.xml: is not PubMed XML: its root element is <article>"
