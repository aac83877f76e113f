"""Resources as documents of the expertise index: what text a resource is found by, and keeping its words and
embedding up to date after a write. The search itself is `selectors.resources_search`.

A resource's text is its name, technique, manufacturer and model, department and building, then its description:
short, telling parts first, because the sentence model reads only the first 128 word pieces (the words index reads
it all). Retired resources stay in the index; the search restricts to the public catalogue.

MIN_SIMILARITY decides which resources a query finds by meaning. `documents_for_text` ranks every embedded resource
by cosine, so without a floor every search would list the whole catalogue. Measured with all-MiniLM-L6-v2 on six
resource texts written as a catalogue gives them (a confocal microscope, an Orbitrap mass spectrometer, a 3T MRI
scanner, a TEM, a flow cytometer, a 3D printer) and nine queries: the intended resource scored 0.357–0.620
("cell sorting" → the flow cytometer 0.357, "proteomics" → the mass spectrometer 0.620, "microscope" → the confocal
0.547 and the TEM 0.407); unrelated pairs scored at most 0.293 ("fluorescence imaging of live cells" → the flow
cytometer), and "cake recipes" nothing above 0.04. So 0.30 keeps every intended match and little else. A resource
whose words match the query is found whatever its similarity (and before it is embedded).
"""

from django.db import transaction

from mhi.resources.models import Resource

KIND = "resource"
MIN_SIMILARITY = 0.30
_TEXT_FIELDS = (
    "id",
    "name",
    "technique",
    "manufacturer",
    "model_name",
    "department",
    "building",
    "description",
)


def resource_match_text(resource: Resource) -> str:
    maker = " ".join(p for p in (resource.manufacturer.strip(), resource.model_name.strip()) if p)
    parts = [
        resource.name,
        resource.technique,
        maker,
        resource.department,
        resource.building,
        resource.description,
    ]
    return "\n".join(p.strip() for p in parts if p and p.strip())


def resource_documents(queryset=None):
    """(id, text) of every resource, retired ones too: the document source "resource" of the expertise index."""
    qs = Resource.objects.all() if queryset is None else queryset
    return ((r.pk, resource_match_text(r)) for r in qs.only(*_TEXT_FIELDS).order_by("pk").iterator(2000))


def resources_searchable(*, ids=None) -> None:
    """After resources were added or changed: findable by their words at once (in the caller's transaction), and
    by meaning once the index build that this queues has embedded them. None brings every resource up to date."""
    from mhi.expertise.lexical_search import lexical_remove, lexical_update

    if ids is None:
        lexical_update(kind=KIND, documents=resource_documents(), remove_missing=True)
    else:
        wanted = set(ids)
        if not wanted:
            return
        present = dict(resource_documents(Resource.objects.filter(pk__in=wanted)))
        lexical_update(kind=KIND, documents=present.items())
        if wanted - set(present):
            lexical_remove(kind=KIND, object_ids=wanted - set(present))
    transaction.on_commit(_index_build_enqueue)


def _index_build_enqueue() -> None:
    from mhi.expertise.tasks import works_index_build

    works_index_build.enqueue()


class EmbedderWhenNeeded:
    """The sentence model, loaded the first time a query is embedded: a search of an index with no embedded
    resources (found by words only) never loads it."""

    def __init__(self, model=None):
        self._model = model

    def encode_query(self, text: str):
        if self._model is None:
            from mhi.expertise.engine.embedding import embedder

            self._model = embedder()
        return self._model.encode_query(text)
