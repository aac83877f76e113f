"""OpenAlex works: a JSON Lines snapshot (one work per line, optionally gzipped), read one line at a time,
or one `/works` API page (`{"meta": ..., "results": [...]}`) or single work, which is small enough to load."""

import json
from pathlib import Path

from mhi.core.validators import ror_normalise
from mhi.expertise.importers.base import (
    RAW_NAME_MAX,
    VENUE_MAX,
    WORK_TYPE_MAX,
    AuthorRecord,
    FileUnreadable,
    RecordStream,
    WorkRecord,
    clean_text,
    date_from_iso,
    doi_normalise,
    open_text,
    orcid_or_blank,
    pmid_normalise,
    unique,
    year_from,
)

SOURCE = "openalex"
# Byline order is the list order; the stable sort only makes sure "first" leads and "last" closes.
POSITION_ORDER = {"first": 0, "middle": 1, "last": 2}


def openalex_records(path: Path) -> RecordStream:
    """One WorkRecord per work, whichever of the two forms the file is in."""
    with open_text(path) as handle:
        first_line = ""
        for line in handle:
            if line.strip():
                first_line = line
                break
        if not first_line:
            return
        try:
            first = json.loads(first_line)
        except json.JSONDecodeError:
            first = None
        if isinstance(first, dict) and "results" in first and "id" not in first:
            yield from _page_records(first)
            return
        if first is None and first_line.strip() in ("{", "["):
            # A pretty-printed page: its first line is not a whole work.
            handle.seek(0)
            try:
                page = json.load(handle)
            except json.JSONDecodeError as exc:
                raise FileUnreadable(f"is not valid JSON: {exc.msg} at line {exc.lineno}", line=exc.lineno) from exc
            if isinstance(page, dict) and "results" not in page:
                page = {"results": [page]}
            yield from _page_records(page if isinstance(page, dict) else {"results": page})
            return
        handle.seek(0)
        yield from _lines_records(handle)


def _lines_records(handle) -> RecordStream:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            work = json.loads(line)
        except json.JSONDecodeError as exc:
            yield WorkRecord(label=f"line {number}", source=SOURCE, problems=[("-", f"is not valid JSON: {exc.msg}")])
            continue
        yield _guarded(work, f"line {number}")


def _page_records(page: dict) -> RecordStream:
    results = page.get("results")
    if not isinstance(results, list):
        yield WorkRecord(label="results", source=SOURCE, problems=[("results", "is not a list of works")])
        return
    for number, work in enumerate(results, start=1):
        yield _guarded(work, f"result {number}")


def _guarded(work, label: str) -> WorkRecord:
    try:
        return work_record(work, label=label)
    except (AttributeError, TypeError, ValueError) as exc:
        # A field of the wrong JSON type (a list where OpenAlex has an object, ...): this record is bad, not the file.
        work_id = _short_id(work.get("id")) if isinstance(work, dict) and isinstance(work.get("id"), str) else None
        name = f"{label} ({work_id})" if work_id else label
        return WorkRecord(label=name, source=SOURCE, problems=[("-", f"is not shaped like an OpenAlex work ({exc})")])


def _short_id(value) -> str | None:
    if not value:
        return None
    return str(value).strip().rstrip("/").rsplit("/", 1)[-1].upper() or None


def abstract_from_inverted_index(index) -> str:
    """OpenAlex ships abstracts as {word: [positions]}; put each word back at its positions."""
    if not isinstance(index, dict):
        return ""
    # Positions are indexes into the abstract, so a list of that length takes each word straight to its
    # place (several times faster on 100,000 works than sorting (position, word) pairs).
    lengths = [max(positions) for positions in index.values() if positions]
    if not lengths:
        return ""
    words = [""] * (max(lengths) + 1)
    for word, positions in index.items():
        for position in positions or ():
            words[position] = word
    return " ".join(word for word in words if word).strip()


def work_record(work, *, label: str) -> WorkRecord:
    if not isinstance(work, dict):
        return WorkRecord(label=label, source=SOURCE, problems=[("-", "is not a JSON object")])
    openalex_id = _short_id(work.get("id"))
    record = WorkRecord(label=f"{label} ({openalex_id})" if openalex_id else label, source=SOURCE)
    ids = work.get("ids") or {}
    record.openalex_id = openalex_id
    record.doi = doi_normalise(work.get("doi") or ids.get("doi"))
    record.pmid = pmid_normalise(ids.get("pmid"))
    record.title = clean_text(work.get("title") or work.get("display_name"))
    record.year, problem = year_from(work.get("publication_year"))
    if problem:
        record.problems.append(("publication_year", problem))
    record.publication_date, problem = date_from_iso(work.get("publication_date"))
    if problem:
        record.problems.append(("publication_date", problem))
    source = (work.get("primary_location") or {}).get("source") or {}
    record.venue = clean_text(source.get("display_name"))[:VENUE_MAX]
    record.work_type = clean_text(work.get("type"))[:WORK_TYPE_MAX]
    # Topics replaced concepts in 2024; older snapshots only have concepts.
    topics = work.get("topics") or work.get("concepts") or []
    record.topics = unique(clean_text(t.get("display_name")) for t in topics if isinstance(t, dict))
    record.mesh_terms = unique(
        clean_text(m.get("descriptor_name")) for m in work.get("mesh") or [] if isinstance(m, dict)
    )
    record.abstract = abstract_from_inverted_index(work.get("abstract_inverted_index"))
    authorships = [a for a in work.get("authorships") or [] if isinstance(a, dict)]
    authorships.sort(key=lambda a: POSITION_ORDER.get(a.get("author_position"), 1))
    for position, authorship in enumerate(authorships, start=1):
        record.authors.append(_author(authorship, position))
    return record


def _author(authorship: dict, position: int) -> AuthorRecord:
    author = authorship.get("author") or {}
    display_name = clean_text(author.get("display_name"))
    raw_name = clean_text(authorship.get("raw_author_name")) or display_name
    rors = [
        ror_normalise(i["ror"]) for i in authorship.get("institutions") or [] if isinstance(i, dict) and i.get("ror")
    ]
    return AuthorRecord(
        position=position,
        raw_name=raw_name[:RAW_NAME_MAX],
        other_names=[display_name] if display_name and display_name != raw_name else [],
        orcid=orcid_or_blank(author.get("orcid")),
        raw_affiliation="; ".join(unique(clean_text(s) for s in authorship.get("raw_affiliation_strings") or [])),
        institution_rors=unique(rors),
    )
