"""The semantic index: one stored embedding per document, and a compact in-memory matrix per process.

Documents are identified by (kind, object id). `index_documents` embeds only new or changed text (by the
SHA-256 of the text) and raises the index version; each process holds a `LoadedIndex` of the works and
reloads it when the version it loaded is no longer the current one.
"""

import hashlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from mhi.expertise.engine.embedding import DIMENSIONS, MODEL_NAME
from mhi.expertise.engine.lexical import LexicalIndex
from mhi.expertise.engine.ranking import owner_starts
from mhi.expertise.models import Authorship, IndexedDocument, IndexState, Work

BATCH = 256


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def index_version() -> int:
    return index_stamp()[0]


def index_stamp() -> tuple[int, object]:
    """The version and when it was raised: together they tell a process its matrix is stale (the time
    also tells apart two databases that reached the same version, as test databases do)."""
    state = IndexState.objects.filter(name="semantic").values_list("version", "updated_at").first()
    return state or (0, None)


def _bump_version() -> None:
    state, _ = IndexState.objects.get_or_create(name="semantic")
    IndexState.objects.filter(pk=state.pk).update(version=F("version") + 1, updated_at=timezone.now())


@dataclass
class IndexReport:
    seen: int = 0
    embedded: int = 0
    unchanged: int = 0
    removed: int = 0


def index_documents(
    *,
    kind: str,
    documents: Iterable[tuple[int, str]],
    embedder,
    progress: Callable[[IndexReport], None] | None = None,
    remove_missing: bool = False,
) -> IndexReport:
    """Embed (object_id, text) pairs of one kind whose text is new or changed since last time."""
    report = IndexReport()
    known = dict(IndexedDocument.objects.filter(kind=kind).values_list("object_id", "content_hash"))
    seen: set[int] = set()
    pending: list[tuple[int, str, str]] = []

    def flush():
        if not pending:
            return
        vectors = embedder.encode([text for _, text, _ in pending])
        with transaction.atomic():
            existing = {
                d.object_id: d for d in IndexedDocument.objects.filter(kind=kind, object_id__in=[p[0] for p in pending])
            }
            new, changed = [], []
            for (object_id, _, digest), vector in zip(pending, vectors, strict=True):
                doc = existing.get(object_id) or IndexedDocument(kind=kind, object_id=object_id)
                doc.content_hash, doc.model_name, doc.vector = digest, MODEL_NAME, vector.astype("<f4").tobytes()
                (changed if doc.pk else new).append(doc)
            IndexedDocument.objects.bulk_create(new)
            IndexedDocument.objects.bulk_update(changed, ["content_hash", "model_name", "vector", "updated_at"])
        report.embedded += len(pending)
        pending.clear()
        if progress:
            progress(report)

    for object_id, text in documents:
        report.seen += 1
        seen.add(object_id)
        digest = text_hash(text)
        if known.get(object_id) == digest:
            report.unchanged += 1
            continue
        pending.append((object_id, text, digest))
        if len(pending) >= BATCH:
            flush()
    flush()
    if remove_missing:
        gone = set(known) - seen
        if gone:
            report.removed = IndexedDocument.objects.filter(kind=kind, object_id__in=gone).delete()[0]
    if report.embedded or report.removed:
        _bump_version()
    if progress and not report.embedded:
        progress(report)  # nothing was flushed, so nothing was reported yet
    return report


def index_changed() -> None:
    """Tell every process to reload its matrix (for example after an import, before the works are embedded)."""
    _bump_version()


def works_index(*, embedder, progress=None) -> IndexReport:
    """The works' words (the full-text index, at once) and then their embeddings (the long part)."""
    return index_kind("work", embedder=embedder, progress=progress)


@dataclass
class LoadedIndex:
    """Everything a ranking needs, in arrays: one row per (work, matched author) pair."""

    version: tuple
    work_ids: np.ndarray  # work id of each row
    person_ids: np.ndarray  # person id of each row
    vectors: np.ndarray  # float32, one unit vector per row
    lexical: LexicalIndex | None
    lexical_rows: np.ndarray  # row of each indexed row in lexical.matrix
    people: np.ndarray  # distinct person ids; owner index = position here
    owner: np.ndarray  # owner index of each row
    years: np.ndarray  # publication year of each row (0 when unknown)

    @property
    def size(self) -> int:
        return int(self.work_ids.size)

    @cached_property
    def person_vectors(self) -> np.ndarray:
        """Each person's profile: the normalised mean of their works' vectors (row = owner index)."""
        sums = np.zeros((self.people.size, self.vectors.shape[1]), dtype=np.float32)
        np.add.at(sums, self.owner, self.vectors)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return sums / np.where(norms == 0, 1, norms)

    @cached_property
    def starts(self) -> np.ndarray:
        return owner_starts(self.owner, self.people.size)

    def owner_of(self, person_id: int) -> int | None:
        position = int(np.searchsorted(self.people, person_id))
        if position < self.people.size and self.people[position] == person_id:
            return position
        return None


def _load() -> LoadedIndex:
    version = index_stamp()
    vectors_by_work = {
        object_id: np.frombuffer(bytes(vector), dtype="<f4")
        for object_id, vector in IndexedDocument.objects.filter(kind="work").values_list("object_id", "vector")
    }
    # Every matched authorship, embedded or not: a work not embedded yet has a zero vector, so it is still
    # found by its words (the TF-IDF side) while the index catches up.
    pairs = list(
        Authorship.objects.filter(person__isnull=False)
        .values_list("work_id", "person_id")
        .distinct()
        .order_by("person_id", "work_id")  # rows grouped by person, as the ranking needs
    )
    work_ids = np.array([w for w, _ in pairs], dtype=np.int64)
    person_ids = np.array([p for _, p in pairs], dtype=np.int64)
    people, owner = np.unique(person_ids, return_inverse=True)
    zero = np.zeros(DIMENSIONS, dtype=np.float32)
    vectors = (
        np.stack([vectors_by_work.get(w, zero) for w in work_ids.tolist()])
        if pairs
        else np.zeros((0, DIMENSIONS), dtype=np.float32)
    )
    distinct_works = sorted(set(work_ids.tolist()))
    rows = {
        w: (t, a, y)
        for w, t, a, y in Work.objects.filter(pk__in=distinct_works).values_list("id", "title", "abstract", "year")
    }
    lexical = LexicalIndex([f"{rows[w][0]}. {rows[w][1]}" for w in distinct_works]) if distinct_works else None
    position = {w: i for i, w in enumerate(distinct_works)}
    lexical_rows = np.array([position[w] for w in work_ids.tolist()], dtype=np.int64)
    years = np.array([rows[w][2] or 0 for w in work_ids.tolist()], dtype=np.int32)
    return LoadedIndex(
        version, work_ids, person_ids, vectors, lexical, lexical_rows, people, owner.astype(np.int64), years
    )


_loaded: LoadedIndex | None = None
_lock = threading.Lock()


def loaded_index() -> LoadedIndex:
    """This process's index, reloaded when another process (or a task) has changed it."""
    global _loaded
    version = index_stamp()
    if version[1] is None:
        # No index state yet (nothing imported or indexed since the database was made): nothing to key a
        # cached matrix on, so read what is there now.
        return _load()
    if _loaded is None or _loaded.version != version:
        with _lock:
            if _loaded is None or _loaded.version != version:
                _loaded = _load()
    return _loaded


# --- documents of any kind: one matrix per kind, and search that joins meaning and words ------------------


@dataclass
class KindMatrix:
    version: tuple
    object_ids: np.ndarray  # sorted
    vectors: np.ndarray  # float32 unit vectors, one row per object id


_kind_matrices: dict[str, KindMatrix] = {}


def kind_matrix(kind: str) -> KindMatrix:
    """The embeddings of every document of one kind, held per process and reloaded when the index changes."""
    version = index_stamp()
    cached = _kind_matrices.get(kind)
    if cached is not None and cached.version == version and version[1] is not None:
        return cached
    rows = list(IndexedDocument.objects.filter(kind=kind).order_by("object_id").values_list("object_id", "vector"))
    matrix = KindMatrix(
        version,
        np.array([r[0] for r in rows], dtype=np.int64),
        np.stack([np.frombuffer(bytes(r[1]), dtype="<f4") for r in rows])
        if rows
        else np.zeros((0, DIMENSIONS), dtype=np.float32),
    )
    with _lock:
        _kind_matrices[kind] = matrix
    return matrix


# Reciprocal rank fusion: each list adds 1 / (RRF_K + rank). 60 is the constant of Cormack, Clarke and
# Büttcher (SIGIR 2009), used as is by the search engines that fuse lexical and vector results.
RRF_K = 60


@dataclass(frozen=True)
class DocumentHit:
    object_id: int
    score: float  # fused score: larger is better
    similarity: float | None  # cosine to the query, when the document is embedded
    snippet: str  # highlighted words, when the words matched (safe HTML)


def documents_for_text(
    *, kind: str, text: str, embedder, limit: int = 10, object_ids=None, pool: int = 100
) -> list[DocumentHit]:
    """Documents of `kind` for a text, by meaning (embedding cosine) and by words (the database's full-text
    index), fused by reciprocal rank. Documents not embedded yet are still found by their words.

    `object_ids`, when given, restricts the search (for example to what the user may see)."""
    from mhi.expertise.lexical_search import lexical_search

    allowed = None if object_ids is None else np.fromiter(object_ids, dtype=np.int64)
    fused: dict[int, float] = {}
    similarity: dict[int, float] = {}
    matrix = kind_matrix(kind)
    if matrix.object_ids.size:
        sims = matrix.vectors @ embedder.encode_query(text)
        candidates = np.arange(matrix.object_ids.size)
        if allowed is not None:
            candidates = candidates[np.isin(matrix.object_ids, allowed)]
        order = candidates[np.argsort(-sims[candidates], kind="stable")[:pool]]
        for rank, row in enumerate(order.tolist(), start=1):
            object_id = int(matrix.object_ids[row])
            fused[object_id] = 1.0 / (RRF_K + rank)
            similarity[object_id] = float(sims[row])
    snippets = {}
    hits = lexical_search(kind=kind, query=text, limit=pool, object_ids=None if allowed is None else allowed.tolist())
    for rank, hit in enumerate(hits, start=1):
        fused[hit.object_id] = fused.get(hit.object_id, 0.0) + 1.0 / (RRF_K + rank)
        snippets[hit.object_id] = hit.snippet
    best = sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [DocumentHit(oid, score, similarity.get(oid), snippets.get(oid, "")) for oid, score in best]


# --- every kind of document, indexed by one task ------------------------------------------------------------

# kind -> a function returning (object_id, text) pairs of every document of that kind. Apps register their
# kinds in AppConfig.ready() (works and impact case studies here; opportunities, equipment, ... in theirs).
DOCUMENT_SOURCES: dict[str, Callable[[], Iterable[tuple[int, str]]]] = {}


def register_document_source(kind: str, documents: Callable[[], Iterable[tuple[int, str]]]) -> None:
    DOCUMENT_SOURCES[kind] = documents


def index_kind(kind: str, *, embedder, progress=None, words_only: bool = False) -> IndexReport:
    """One kind's documents into the full-text index (at once) and then the semantic index."""
    from mhi.expertise.lexical_search import lexical_update

    lexical_update(kind=kind, documents=DOCUMENT_SOURCES[kind](), remove_missing=True)
    if words_only:
        return IndexReport()
    return index_documents(
        kind=kind, documents=DOCUMENT_SOURCES[kind](), embedder=embedder, progress=progress, remove_missing=True
    )


def index_all(*, embedder, progress=None) -> dict[str, IndexReport]:
    """Every registered kind: words first for all (so everything is searchable by words soonest), then
    embeddings, works first."""
    for kind in DOCUMENT_SOURCES:
        index_kind(kind, embedder=embedder, words_only=True)
    return {
        kind: index_documents(
            kind=kind,
            documents=documents(),
            embedder=embedder,
            progress=(lambda report, kind=kind: progress(kind, report)) if progress else None,
            remove_missing=True,
        )
        for kind, documents in DOCUMENT_SOURCES.items()
    }


def work_documents():
    return ((w.pk, w.index_text) for w in Work.objects.only("id", "title", "abstract").iterator(chunk_size=2000))


def works_lexical_update():
    from mhi.expertise.lexical_search import lexical_update

    return lexical_update(kind="work", documents=DOCUMENT_SOURCES["work"](), remove_missing=True)
