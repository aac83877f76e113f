import numpy as np
import pytest

from mhi.directory.tests.factories import PersonFactory
from mhi.expertise import index as semantic_index
from mhi.expertise.models import IndexedDocument, Work
from mhi.expertise.selectors import EmptyQuery, ExpertiseFilters, experts_for_text
from mhi.expertise.tests.conftest import ASTHMA, HIP, _work


def test_the_respiratory_clinician_ranks_first_for_an_asthma_question(indexed, embedder):
    ranking = experts_for_text(user=None, text="asthma attacks and steroid inhalers", embedder=embedder)
    assert [r.person.slug for r in ranking.results] == ["chest", "bones"]
    best = ranking.results[0]
    assert best.works[0].work.title == ASTHMA[0]
    assert best.works[0].similarity > best.works[1].similarity
    assert "asthma" in best.shared_terms
    assert ranking.results[0].score > ranking.results[1].score


def test_orthopaedic_question_ranks_the_surgeon_first(indexed, embedder):
    ranking = experts_for_text(user=None, text="hip fracture surgery in older people", embedder=embedder)
    assert ranking.results[0].person.slug == "bones"


def test_filters_keep_only_matching_people(indexed, embedder):
    only_trusts = ExpertiseFilters(organisation_kind="nhs_trust")
    ranking = experts_for_text(user=None, text="knee replacement", embedder=embedder, filters=only_trusts)
    assert [r.person.slug for r in ranking.results] == ["chest"]
    recent = ExpertiseFilters(active_years=3)
    ranking = experts_for_text(user=None, text="COPD rehabilitation", embedder=embedder, filters=recent)
    chest = next(r for r in ranking.results if r.person.slug == "chest")
    assert [w.work.title for w in chest.works] == [ASTHMA[0]]  # the 2012 COPD paper is too old


def test_people_without_public_consent_are_not_ranked_for_anonymous(indexed, embedder):
    indexed["chest"].public_profile_consent = False
    indexed["chest"].save()
    ranking = experts_for_text(user=None, text="asthma", embedder=embedder)
    assert [r.person.slug for r in ranking.results] == ["bones"]


def test_an_empty_query_is_refused_with_a_helpful_message(indexed, embedder):
    with pytest.raises(EmptyQuery, match="Describe the expertise you are looking for"):
        experts_for_text(user=None, text="   \n ", embedder=embedder)


def test_a_very_long_query_is_cut_safely(indexed, embedder):
    ranking = experts_for_text(user=None, text="asthma ✓ " * 5000, embedder=embedder)
    assert ranking.truncated is True
    assert len(ranking.query) == 4000
    assert ranking.results[0].person.slug == "chest"


def test_indexing_again_embeds_only_new_or_changed_text(indexed, embedder):
    version = semantic_index.index_version()
    report = semantic_index.works_index(embedder=embedder)
    assert (report.seen, report.embedded, report.unchanged) == (4, 0, 4)
    assert semantic_index.index_version() == version
    work = Work.objects.get(title=HIP[0])
    work.abstract += " Updated."
    work.save()
    report = semantic_index.works_index(embedder=embedder)
    assert (report.embedded, report.unchanged) == (1, 3)
    assert semantic_index.index_version() == version + 1


def test_stored_vectors_are_unit_length_float32(indexed):
    doc = IndexedDocument.objects.filter(kind="work").first()
    vector = np.frombuffer(bytes(doc.vector), dtype="<f4")
    assert vector.shape == (384,)
    assert float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-5)
    assert doc.model_name == "all-MiniLM-L6-v2"


def test_the_loaded_index_reloads_when_the_version_changes(indexed, embedder):
    first = semantic_index.loaded_index()
    assert semantic_index.loaded_index() is first
    extra = PersonFactory(slug="new")
    _work(extra, "Asthma biologics", "Monoclonal antibodies for severe eosinophilic asthma.")
    semantic_index.works_index(embedder=embedder)
    second = semantic_index.loaded_index()
    assert second is not first
    assert second.size == first.size + 1


def test_the_model_file_is_checked_against_its_pinned_hash(tmp_path):
    from mhi.expertise.engine.embedding import ModelIntegrityError, model_verify

    (tmp_path / "model.safetensors").write_bytes(b"not the model")
    with pytest.raises(ModelIntegrityError, match="refusing to load it"):
        model_verify(tmp_path)
    model_verify()  # the shipped file passes


def test_works_not_embedded_yet_are_found_by_their_words(people, embedder):
    from mhi.expertise.index import index_changed

    index_changed()
    ranking = experts_for_text(user=None, text="hemiarthroplasty", embedder=embedder)
    assert ranking.results[0].person.slug == "bones"
    assert IndexedDocument.objects.count() == 0
