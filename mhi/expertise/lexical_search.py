"""Full-text search over documents of any kind, in the database: SQLite FTS5 or PostgreSQL full text.

`lexical_update` keeps a `LexicalDocument` per (kind, object id), rewritten only when its text changed (by
SHA-256, as the semantic index does); the database's own full-text index follows it (FTS5 through triggers,
PostgreSQL through a GIN expression index, both made by migration 0004). `lexical_search` ranks the documents
of one kind for a query — BM25 on SQLite, ts_rank_cd on PostgreSQL — with a highlighted snippet.

This is the index the product searches words with before (or without) embeddings: a work is findable by its
words as soon as it is imported. Queries are reduced to words, so no user text reaches the query syntax.
"""

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from mhi.expertise.models import LexicalDocument

BATCH = 1000
MAX_QUERY_TERMS = 32
# Markers the databases put around matched words in a snippet; the snippet is escaped, then they become <mark>.
_OPEN, _CLOSE = "\x02", "\x03"
_WORD = re.compile(r"[^\W_]{2,}", re.UNICODE)
# Words too common to help a full-text search (FTS5 has no stop list of its own): scikit-learn's English list,
# the one the TF-IDF side of the ranking uses.
STOP_WORDS = ENGLISH_STOP_WORDS


@dataclass
class LexicalReport:
    seen: int = 0
    written: int = 0
    unchanged: int = 0
    removed: int = 0


@dataclass(frozen=True)
class LexicalHit:
    object_id: int
    rank: float  # larger is better, on this query only
    snippet: SafeString


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def lexical_update(*, kind: str, documents: Iterable[tuple[int, str]], remove_missing: bool = False) -> LexicalReport:
    """Store the text of (object_id, text) pairs of one kind whose text is new or changed."""
    report = LexicalReport()
    known = dict(LexicalDocument.objects.filter(kind=kind).values_list("object_id", "content_hash"))
    seen: set[int] = set()
    pending: list[tuple[int, str, str]] = []

    def flush():
        if not pending:
            return
        with transaction.atomic():
            existing = {
                d.object_id: d for d in LexicalDocument.objects.filter(kind=kind, object_id__in=[p[0] for p in pending])
            }
            new, changed = [], []
            for object_id, text, digest in pending:
                doc = existing.get(object_id) or LexicalDocument(kind=kind, object_id=object_id)
                doc.text, doc.content_hash = text, digest
                (changed if doc.pk else new).append(doc)
            LexicalDocument.objects.bulk_create(new)
            LexicalDocument.objects.bulk_update(changed, ["text", "content_hash"])
        report.written += len(pending)
        pending.clear()

    for object_id, text in documents:
        report.seen += 1
        seen.add(object_id)
        digest = _digest(text)
        if known.get(object_id) == digest:
            report.unchanged += 1
            continue
        pending.append((object_id, text, digest))
        if len(pending) >= BATCH:
            flush()
    flush()
    if remove_missing:
        gone = list(set(known) - seen)
        for start in range(0, len(gone), BATCH):
            report.removed += LexicalDocument.objects.filter(
                kind=kind, object_id__in=gone[start : start + BATCH]
            ).delete()[0]
    return report


def lexical_remove(*, kind: str, object_ids: Iterable[int]) -> int:
    return LexicalDocument.objects.filter(kind=kind, object_id__in=list(object_ids)).delete()[0]


def query_terms(query: str) -> list[str]:
    """The distinct words of a query, lower-cased, without stop words, at most MAX_QUERY_TERMS."""
    terms: list[str] = []
    for word in _WORD.findall((query or "").lower()):
        if word not in STOP_WORDS and word not in terms:
            terms.append(word)
            if len(terms) == MAX_QUERY_TERMS:
                break
    return terms


def _highlight(snippet: str) -> SafeString:
    return mark_safe(escape(snippet).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>"))  # noqa: S308 - escaped


def lexical_search(
    *, kind: str, query: str, limit: int = 50, offset: int = 0, object_ids: Iterable[int] | None = None
) -> list[LexicalHit]:
    """Documents of `kind` containing any of the query's words, best first (more and rarer words rank higher).

    `object_ids` restricts the search to those documents (for example the ones a user may see).
    """
    terms = query_terms(query)
    if not terms:
        return []
    restrict = list(object_ids) if object_ids is not None else None
    if restrict is not None and not restrict:
        return []
    if connection.vendor == "postgresql":
        return _search_postgresql(kind, terms, limit, offset, restrict)
    return _search_sqlite(kind, terms, limit, offset, restrict)


def _search_sqlite(kind, terms, limit, offset, restrict) -> list[LexicalHit]:
    match = " OR ".join(f'"{t}"' for t in terms)  # each word quoted: a phrase of one token, never syntax
    sql = [
        "SELECT d.object_id, bm25(expertise_lexical_fts) AS score, "
        "snippet(expertise_lexical_fts, 0, %s, %s, '…', 16) "
        "FROM expertise_lexical_fts JOIN expertise_lexicaldocument d ON d.id = expertise_lexical_fts.rowid "
        "WHERE expertise_lexical_fts MATCH %s AND d.kind = %s"
    ]
    params: list = [_OPEN, _CLOSE, match, kind]
    if restrict is not None:
        sql.append(f"AND d.object_id IN ({', '.join(['%s'] * len(restrict))})")
        params += restrict
    sql.append("ORDER BY score, d.object_id LIMIT %s OFFSET %s")
    params += [limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(" ".join(sql), params)
        # bm25() is negative, more negative is better: turn it round so larger is better.
        return [LexicalHit(int(oid), -float(score), _highlight(snip)) for oid, score, snip in cursor.fetchall()]


def _search_postgresql(kind, terms, limit, offset, restrict) -> list[LexicalHit]:
    # Each word goes through plainto_tsquery (stemmed, stop words dropped, no syntax), then the words are ORed.
    tsquery = " || ".join(["plainto_tsquery('english', %s)"] * len(terms))
    sql = [
        f"WITH q AS (SELECT ({tsquery}) AS query) "  # noqa: S608 - only placeholders are formatted in
        "SELECT d.object_id, ts_rank_cd(to_tsvector('english', d.text), q.query) AS score, "
        "ts_headline('english', d.text, q.query, %s) "
        "FROM expertise_lexicaldocument d, q "
        "WHERE d.kind = %s AND to_tsvector('english', d.text) @@ q.query"
    ]
    params: list = [*terms, f"StartSel={_OPEN}, StopSel={_CLOSE}, MaxWords=30, MinWords=12, MaxFragments=2", kind]
    if restrict is not None:
        sql.append("AND d.object_id = ANY(%s)")
        params.append(restrict)
    sql.append("ORDER BY score DESC, d.object_id LIMIT %s OFFSET %s")
    params += [limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(" ".join(sql), params)
        return [LexicalHit(int(oid), float(score), _highlight(snip)) for oid, score, snip in cursor.fetchall()]


def lexical_count(*, kind: str, query: str) -> int:
    """How many documents of `kind` the query matches (for paging)."""
    terms = query_terms(query)
    if not terms:
        return 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tsquery = " || ".join(["plainto_tsquery('english', %s)"] * len(terms))
            cursor.execute(
                f"SELECT count(*) FROM expertise_lexicaldocument d "  # noqa: S608 - only placeholders formatted in
                f"WHERE d.kind = %s AND to_tsvector('english', d.text) @@ ({tsquery})",
                [kind, *terms],
            )
        else:
            cursor.execute(
                "SELECT count(*) FROM expertise_lexical_fts JOIN expertise_lexicaldocument d "
                "ON d.id = expertise_lexical_fts.rowid WHERE expertise_lexical_fts MATCH %s AND d.kind = %s",
                [" OR ".join(f'"{t}"' for t in terms), kind],
            )
        return int(cursor.fetchone()[0])
