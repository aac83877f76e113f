"""The library of past positions: the answers of responses that every partner signed off, searchable by meaning
and by words through the expertise index, and reusable in a new response with a link to where the text came from.

A document is the current AnswerVersion of a question of a locked or published response; its text is the question
followed by the answer. A user finds the published ones and the locked ones whose workspace they may open
(access.responses_visible_to), so a signed but unpublished position stays with its partners.

MIN_SIMILARITY is the floor for a match by meaning alone, as in mhi.resources.search (whose measurements with
all-MiniLM-L6-v2 put unrelated short texts below 0.30); an answer whose words match the query is always found.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q, QuerySet

from mhi.responses import access
from mhi.responses.models import AnswerVersion, Question, Response, ResponseStatus

KIND = "response_answer"
MIN_SIMILARITY = 0.30
SIGNED = (ResponseStatus.LOCKED, ResponseStatus.PUBLISHED)


def _current_answers() -> QuerySet[AnswerVersion]:
    """The current version of every answered question of a signed-off response."""
    return AnswerVersion.objects.filter(
        question__response__status__in=SIGNED, number=F("question__answer_version")
    ).exclude(text="")


def answer_match_text(version: AnswerVersion) -> str:
    return f"{version.question.text.strip()}\n{version.text.strip()}"


def answer_documents(queryset=None):
    """(id, text) of every past position: the document source "response_answer" of the expertise index."""
    qs = _current_answers() if queryset is None else queryset
    return (
        (v.pk, answer_match_text(v))
        for v in qs.select_related("question").only("pk", "text", "question__text").order_by("pk").iterator(2000)
    )


def answers_searchable(*, response: Response) -> None:
    """After a response was locked, published or unlocked: its answers findable by their words at once (in the
    caller's transaction) and by meaning once the index build that this queues has embedded them."""
    from mhi.expertise.lexical_search import lexical_remove, lexical_update

    ids = set(AnswerVersion.objects.filter(question__response=response).values_list("pk", flat=True))
    present = dict(answer_documents(_current_answers().filter(question__response=response)))
    if present:
        lexical_update(kind=KIND, documents=present.items())
    if ids - set(present):
        lexical_remove(kind=KIND, object_ids=ids - set(present))
    transaction.on_commit(_index_build_enqueue)


def _index_build_enqueue() -> None:
    from mhi.expertise.tasks import works_index_build

    works_index_build.enqueue()


def answers_visible_to(*, user) -> QuerySet[AnswerVersion]:
    """Past positions the user may read: published ones, and locked ones of workspaces they may open."""
    visible = Q(question__response__status=ResponseStatus.PUBLISHED)
    if access.signed_in(user):
        visible |= Q(question__response__in=access.responses_visible_to(user=user).filter(status__in=SIGNED))
    return _current_answers().filter(visible)


@dataclass(frozen=True)
class LibraryHit:
    version: AnswerVersion
    similarity: float | None
    snippet: str  # highlighted words (safe HTML) when the words matched

    @property
    def response(self) -> Response:
        return self.version.question.response


def library_search(*, user, q: str, limit: int = 20, embedder=None) -> list[LibraryHit]:
    """Past answers for a query, best first: by meaning (cosine ≥ MIN_SIMILARITY) or by their words."""
    from mhi.expertise.index import documents_for_text
    from mhi.resources.search import EmbedderWhenNeeded

    q = q.strip()
    if not q:
        return []
    allowed = list(answers_visible_to(user=user).values_list("pk", flat=True))
    if not allowed:
        return []
    hits = documents_for_text(
        kind=KIND, text=q, embedder=embedder or EmbedderWhenNeeded(), limit=limit, object_ids=allowed
    )
    wanted = [h for h in hits if h.snippet or (h.similarity is not None and h.similarity >= MIN_SIMILARITY)]
    versions = AnswerVersion.objects.select_related("question__response", "author").in_bulk(
        [h.object_id for h in wanted]
    )
    return [LibraryHit(versions[h.object_id], h.similarity, h.snippet) for h in wanted if h.object_id in versions]


def past_answer_for(*, user, version_id: int) -> AnswerVersion:
    """A past position the user may read, for reuse; Http404 otherwise."""
    from django.http import Http404

    version = answers_visible_to(user=user).select_related("question__response").filter(pk=version_id).first()
    if version is None:
        raise Http404("No such past answer.")
    return version


def answer_reuse(*, user, question: Question, version_id: int, base_version: int) -> AnswerVersion:
    """Put a past answer's text into a question's consolidated answer, as a new version that links to it. The
    usual rules of saving an answer apply (permission, the lock, the conflict check on `base_version`)."""
    from mhi.responses.drafting import answer_save

    source = past_answer_for(user=user, version_id=version_id)
    origin = source.question
    note = f"Reused from “{origin.response.title}”, Q{origin.number} (version {source.number})"
    return answer_save(
        user=user, question=question, text=source.text, base_version=base_version, note=note[:300], reused_from=source
    )
