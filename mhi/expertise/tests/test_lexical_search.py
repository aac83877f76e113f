"""The database's full-text index (SQLite FTS5 / PostgreSQL full text) and search that fuses it with meaning."""

import pytest

from mhi.expertise import index as semantic_index
from mhi.expertise.lexical_search import lexical_count, lexical_search, lexical_update, query_terms
from mhi.expertise.models import LexicalDocument, Work

pytestmark = pytest.mark.django_db


def _ids(hits):
    return [h.object_id for h in hits]


def test_words_are_found_with_stemming_and_ranked_by_how_many_match():
    lexical_update(
        kind="note",
        documents=[
            (1, "Asthma exacerbations in adults treated with inhaled corticosteroids"),
            (2, "Hip fracture surgery in older adults"),
            (3, "Severe asthma and hip fracture: a rare pairing"),
        ],
    )
    # "exacerbation" finds "exacerbations" (stemmed in both databases)
    assert _ids(lexical_search(kind="note", query="exacerbation")) == [1]
    # both words beat one word
    assert _ids(lexical_search(kind="note", query="asthma hip"))[0] == 3
    assert sorted(_ids(lexical_search(kind="note", query="asthma hip"))) == [1, 2, 3]
    assert lexical_count(kind="note", query="asthma hip") == 3
    assert lexical_search(kind="note", query="knee") == []


def test_snippets_mark_matched_words_and_escape_the_text():
    lexical_update(kind="note", documents=[(7, "Asthma <script>alert(1)</script> in children")])
    [hit] = lexical_search(kind="note", query="asthma")
    assert "<mark>Asthma</mark>" in hit.snippet
    assert "<script>" not in hit.snippet
    # SQLite keeps the tag as escaped text; PostgreSQL's headline parser drops tags. Either way it is inert.
    assert "alert(1)" in hit.snippet


def test_kinds_are_separate_and_restriction_to_ids_applies():
    lexical_update(kind="note", documents=[(1, "asthma in adults"), (2, "asthma in children")])
    lexical_update(kind="other", documents=[(1, "asthma everywhere")])
    assert sorted(_ids(lexical_search(kind="note", query="asthma"))) == [1, 2]
    assert _ids(lexical_search(kind="note", query="asthma", object_ids=[2])) == [2]
    assert lexical_search(kind="note", query="asthma", object_ids=[]) == []
    assert _ids(lexical_search(kind="other", query="asthma")) == [1]


def test_update_rewrites_only_changed_text_and_removes_missing_documents():
    first = lexical_update(kind="note", documents=[(1, "asthma"), (2, "copd")])
    assert (first.written, first.unchanged) == (2, 0)
    again = lexical_update(kind="note", documents=[(1, "asthma"), (2, "copd")])
    assert (again.written, again.unchanged) == (0, 2)
    changed = lexical_update(kind="note", documents=[(1, "bronchiectasis")], remove_missing=True)
    assert (changed.written, changed.removed) == (1, 1)
    assert lexical_search(kind="note", query="asthma") == []  # the old words left the full-text index too
    assert _ids(lexical_search(kind="note", query="bronchiectasis")) == [1]
    assert LexicalDocument.objects.filter(kind="note").count() == 1


@pytest.mark.parametrize(
    "query",
    ['"', "asthma OR", "NEAR(asthma", "*", "asthma AND NOT", "'; DROP TABLE x; --", "col:asthma", "^asthma"],
)
def test_query_syntax_in_user_text_is_only_words(query):
    lexical_update(kind="note", documents=[(1, "asthma in adults")])
    hits = lexical_search(kind="note", query=query)
    assert _ids(hits) == ([1] if "asthma" in query else [])


def test_query_terms_drop_stop_words_and_punctuation_and_keep_unicode():
    assert query_terms("The effect of Ångström-scale imaging, in vivo!") == [
        "effect",
        "ångström",
        "scale",
        "imaging",
        "vivo",
    ]
    assert query_terms("   ") == []
    assert len(query_terms(" ".join(f"word{i}" for i in range(100)))) == 32


def test_works_are_searchable_by_words_before_they_are_embedded(people):
    report = semantic_index.works_lexical_update()
    assert report.written == 4
    hip = Work.objects.get(title__startswith="Cemented")
    assert _ids(lexical_search(kind="work", query="hemiarthroplasty")) == [hip.pk]


def test_documents_for_text_fuses_meaning_and_words(indexed, embedder):
    # Indexed works have both an embedding and words; a query matching by meaning only still finds them.
    hits = semantic_index.documents_for_text(
        kind="work", text="broken hip in elderly people", embedder=embedder, limit=2
    )
    titles = [Work.objects.get(pk=h.object_id).title for h in hits]
    assert titles[0].startswith("Cemented versus uncemented hemiarthroplasty")
    assert hits[0].similarity is not None and hits[0].similarity > 0.3
    # A word the model does not know well, found by the full-text side
    [first, *_] = semantic_index.documents_for_text(kind="work", text="hemiarthroplasty", embedder=embedder)
    assert Work.objects.get(pk=first.object_id).title.startswith("Cemented")
    assert "<mark>" in first.snippet
