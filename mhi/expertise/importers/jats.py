"""JATS XML as PLOS (and PubMed Central) publish it: one <article> per file. A path may also be a folder of
such files, or one file wrapping several <article> elements; each article is read and freed in turn.

Only the front matter is used: title, abstract, dates, journal, DOI/PMID, keywords, authors and their
affiliations. ElementTree does not fetch the DTD or external entities (see importers/pubmed.py).
"""

import datetime
import xml.etree.ElementTree as ET  # noqa: S405 - see importers/pubmed.py
from pathlib import Path

from mhi.expertise.importers.base import (
    RAW_NAME_MAX,
    VENUE_MAX,
    WORK_TYPE_MAX,
    AuthorRecord,
    FileUnreadable,
    RecordStream,
    WorkRecord,
    clean_text,
    doi_normalise,
    open_binary,
    orcid_or_blank,
    pmid_normalise,
    unique,
    year_from,
)

SOURCE = "jats"
# Which publication date gives the year, best first; PLOS has "epub" and often "ppub"/"collection".
PUB_DATE_PREFERENCE = ("epub", "pub", "ppub", "collection", "epub-ppub")


def jats_records(path: Path) -> RecordStream:
    if path.is_dir():
        for number, file in enumerate(sorted(p for p in path.iterdir() if p.suffix.lower() in (".xml", ".nxml")), 1):
            label = f"article {number} ({file.name})"
            try:
                yield from _file_records(file, label=label)
            except FileUnreadable as exc:
                # In a folder one unreadable file is one bad record; the other files can still be read.
                yield WorkRecord(label=label, source=SOURCE, problems=[("-", exc.message)])
        return
    yield from _file_records(path)


def _file_records(path: Path, *, label: str = "") -> RecordStream:
    with open_binary(path) as handle:
        events = ET.iterparse(handle, events=("start", "end"))  # noqa: S314 - see importers/pubmed.py
        root = None
        count = 0
        try:
            for event, element in events:
                if root is None:
                    root = element
                    if element.tag not in ("article", "articles", "pmc-articleset", "records"):
                        raise FileUnreadable(f"is not JATS XML: its root element is <{element.tag}>", line=1)
                if event != "end" or element.tag != "article":
                    continue
                count += 1
                yield article_record(element, label=label or f"article {count}")
                if element is not root:
                    element.clear()
                    root.clear()
        except ET.ParseError as exc:
            raise FileUnreadable(f"is not well-formed XML: {exc}", line=exc.position[0]) from exc


def _text(element) -> str:
    return clean_text("".join(element.itertext())) if element is not None else ""


def _text_without_label(element) -> str:
    """An <aff>'s words without its <label> ("1") or footnote marks."""
    pieces = [element.text or ""]
    for child in element:
        if child.tag not in ("label", "sup"):
            pieces.append("".join(child.itertext()))
        pieces.append(child.tail or "")
    return clean_text("".join(pieces)).lstrip(",; ")


def article_record(article, *, label: str) -> WorkRecord:
    meta = article.find("front/article-meta")
    if meta is None:
        return WorkRecord(label=label, source=SOURCE, problems=[("article-meta", "has no <front>/<article-meta>")])
    ids = {(i.get("pub-id-type") or ""): (i.text or "").strip() for i in meta.iterfind("article-id")}
    record = WorkRecord(label=label, source=SOURCE)
    record.doi = doi_normalise(ids.get("doi"))
    record.pmid = pmid_normalise(ids.get("pmid"))
    if record.doi and not label.endswith(")"):
        record.label = f"{label} ({record.doi})"
    record.title = _text(meta.find("title-group/article-title"))
    record.abstract = _abstract(meta)
    record.year, record.publication_date, problem = _pub_date(meta)
    if problem:
        record.problems.append(("pub-date", problem))
    record.venue = _text(article.find("front/journal-meta/journal-title-group/journal-title"))
    record.venue = (record.venue or _text(article.find("front/journal-meta/journal-title")))[:VENUE_MAX]
    record.work_type = (article.get("article-type") or "")[:WORK_TYPE_MAX]
    record.topics = unique(_text(k) for k in meta.iterfind("kwd-group/kwd"))
    if not record.topics:
        # PLOS articles carry no <kwd>; their subject areas are the nearest thing.
        record.topics = unique(
            _text(subject)
            for group in meta.iterfind("article-categories/subj-group")
            if group.get("subj-group-type") != "heading"
            for subject in group.iter("subject")
        )
    record.authors = _authors(meta)
    return record


def _abstract(meta) -> str:
    abstracts = list(meta.iterfind("abstract"))
    # The article's own abstract has no type; "summary", "toc" and "editor" ones are extra.
    chosen = next((a for a in abstracts if not a.get("abstract-type")), abstracts[0] if abstracts else None)
    if chosen is None:
        return ""
    parts = []
    for child in chosen:
        if child.tag == "sec":
            heading = _text(child.find("title"))
            body = " ".join(_text(p) for p in child.iter("p"))
            parts.append(f"{heading}: {body}" if heading else body)
        elif child.tag == "p":
            parts.append(_text(child))
    return "\n\n".join(p for p in parts if p)


def _pub_date(meta) -> tuple[int | None, datetime.date | None, str]:
    dates = {(d.get("pub-type") or d.get("date-type") or ""): d for d in meta.iterfind("pub-date")}
    chosen = next((dates[k] for k in PUB_DATE_PREFERENCE if k in dates), next(iter(dates.values()), None))
    if chosen is None:
        return None, None, ""
    year, problem = year_from((chosen.findtext("year") or "").strip())
    try:
        day = datetime.date(year, int(chosen.findtext("month")), int(chosen.findtext("day")))
    except (TypeError, ValueError):
        day = None
    return year, day, problem


def _authors(meta) -> list[AuthorRecord]:
    affiliations = {a.get("id"): _text_without_label(a) for a in meta.iter("aff") if a.get("id")}
    everyone = [c for group in meta.iterfind("contrib-group") for c in group.iterfind("contrib")]
    contribs = [c for c in everyone if c.get("contrib-type") == "author"]
    editors_affs = {rid for c in everyone if c.get("contrib-type") != "author" for rid in _aff_ids(c)}
    # With a single affiliation some articles name it once and link no author to it.
    author_affs = [key for key in affiliations if key not in editors_affs]
    linked = any(_aff_ids(c) for c in contribs)
    shared = affiliations[author_affs[0]] if not linked and len(author_affs) == 1 else ""
    authors = []
    for position, contrib in enumerate(contribs, start=1):
        family = _text(contrib.find("name/surname"))
        given = _text(contrib.find("name/given-names"))
        name = (
            " ".join(p for p in (given, family) if p)
            or _text(contrib.find("collab"))
            or _text(contrib.find("string-name"))
        )
        orcid = ""
        for contrib_id in contrib.iterfind("contrib-id"):
            if contrib_id.get("contrib-id-type") == "orcid":
                orcid = orcid_or_blank(contrib_id.text)
        texts = [affiliations[rid] for rid in _aff_ids(contrib) if rid in affiliations]
        texts += [_text_without_label(a) for a in contrib.iterfind("aff")]
        authors.append(
            AuthorRecord(
                position=position,
                raw_name=name[:RAW_NAME_MAX],
                family_name=family,
                given_name=given,
                orcid=orcid,
                raw_affiliation="; ".join(unique(texts)) or shared,
            )
        )
    return authors


def _aff_ids(contrib) -> list[str]:
    return [rid for x in contrib.iterfind("xref") if x.get("ref-type") == "aff" for rid in (x.get("rid") or "").split()]
