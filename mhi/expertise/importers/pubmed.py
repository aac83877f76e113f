"""PubMed XML (a PubmedArticleSet, as efetch and the annual baseline files give it), read one
PubmedArticle at a time with iterparse so a baseline file of 30,000 articles stays in bounded memory.

ElementTree does not fetch external DTDs or entities, and the expat it ships (2.4+) refuses
entity-expansion bombs, which is why the stdlib parser is safe enough here without defusedxml.
"""

import datetime
import re
import xml.etree.ElementTree as ET  # noqa: S405 - see the module docstring
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

SOURCE = "pubmed"
MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
MONTHS = {name: number for number, name in enumerate(MONTH_NAMES, start=1)}


def pubmed_records(path: Path) -> RecordStream:
    with open_binary(path) as handle:
        events = ET.iterparse(handle, events=("start", "end"))  # noqa: S314 - see the module docstring
        root = None
        number = 0
        try:
            for event, element in events:
                if root is None:
                    root = element
                    if element.tag != "PubmedArticleSet":
                        raise FileUnreadable(f"is not PubMed XML: its root element is <{element.tag}>", line=1)
                if event != "end" or element.tag not in ("PubmedArticle", "PubmedBookArticle"):
                    continue
                number += 1
                if element.tag == "PubmedArticle":
                    yield article_record(element, number)
                else:
                    pmid = element.findtext("BookDocument/PMID") or ""
                    yield WorkRecord(
                        label=f"PMID {pmid.strip()}" if pmid.strip() else f"article {number}",
                        source=SOURCE,
                        unsupported="a PubMed book or chapter record (PubmedBookArticle); only journal articles are imported",
                    )
                # Free what has been read so memory does not grow with the file.
                element.clear()
                root.clear()
        except ET.ParseError as exc:
            raise FileUnreadable(f"is not well-formed XML: {exc}", line=exc.position[0]) from exc


def _text(element) -> str:
    return clean_text("".join(element.itertext())) if element is not None else ""


def article_record(article, number: int) -> WorkRecord:
    citation = article.find("MedlineCitation")
    pmid = pmid_normalise(citation.findtext("PMID") if citation is not None else None)
    record = WorkRecord(label=f"PMID {pmid}" if pmid else f"article {number}", source=SOURCE, pmid=pmid)
    if citation is None:
        record.problems.append(("MedlineCitation", "has no MedlineCitation"))
        return record
    art = citation.find("Article")
    if art is None:
        record.problems.append(("Article", "has no Article"))
        return record
    title = _text(art.find("ArticleTitle"))
    # PubMed ends every title with a full stop that the published title does not have.
    record.title = title[:-1] if title.endswith(".") and not title.endswith("..") else title
    record.abstract = _abstract(art.find("Abstract"))
    journal = art.find("Journal")
    if journal is not None:
        record.venue = _text(journal.find("Title"))[:VENUE_MAX]
        pub_date = journal.find("JournalIssue/PubDate")
        if pub_date is not None:
            raw_year = pub_date.findtext("Year") or pub_date.findtext("MedlineDate")
            record.year, problem = year_from(raw_year and raw_year.strip())
            if problem:
                record.problems.append(("PubDate", problem))
            record.publication_date = _date(pub_date)
    article_date = art.find("ArticleDate")
    if article_date is not None:
        if record.year is None:
            record.year, _ = year_from((article_date.findtext("Year") or "").strip())
        record.publication_date = record.publication_date or _date(article_date)
    record.doi = _doi(article, art)
    record.work_type = clean_text(art.findtext("PublicationTypeList/PublicationType"))[:WORK_TYPE_MAX]
    record.mesh_terms = unique(_text(d) for d in citation.iterfind("MeshHeadingList/MeshHeading/DescriptorName"))
    # The model keeps PubMed's subject terms as its topics: MeSH headings, then the authors' keywords.
    record.topics = unique(record.mesh_terms + [_text(k) for k in citation.iterfind("KeywordList/Keyword")])
    authors = [a for a in art.iterfind("AuthorList/Author") if a.get("ValidYN", "Y") == "Y"]
    for position, author in enumerate(authors, start=1):
        record.authors.append(_author(author, position))
    return record


def _abstract(abstract) -> str:
    if abstract is None:
        return ""
    parts = []
    for part in abstract.iterfind("AbstractText"):
        text = _text(part)
        if not text:
            continue
        label = (part.get("Label") or "").strip()
        parts.append(f"{label}: {text}" if label else text)
    return "\n\n".join(parts)


def _date(element) -> datetime.date | None:
    year, month, day = (element.findtext(tag) or "" for tag in ("Year", "Month", "Day"))
    month = month.strip()
    month_number = MONTHS.get(month[:3].lower()) if not month.isdigit() else int(month)
    try:
        return datetime.date(int(year), month_number, int(day))
    except (TypeError, ValueError):
        return None


def _doi(article, art) -> str | None:
    # Only the article's own id list: PubmedData/ReferenceList holds the DOIs of the works it cites.
    for article_id in article.iterfind("PubmedData/ArticleIdList/ArticleId"):
        if article_id.get("IdType") == "doi" and (article_id.text or "").strip():
            return doi_normalise(article_id.text)
    for location in art.iterfind("ELocationID"):
        if location.get("EIdType") == "doi" and (location.text or "").strip():
            return doi_normalise(location.text)
    return None


def _author(author, position: int) -> AuthorRecord:
    family = _text(author.find("LastName"))
    given = _text(author.find("ForeName")) or _text(author.find("Initials"))
    collective = _text(author.find("CollectiveName"))
    name = " ".join(p for p in (given, family) if p) or collective
    orcid = ""
    for identifier in author.iterfind("Identifier"):
        if (identifier.get("Source") or "").upper() == "ORCID":
            orcid = orcid_or_blank(identifier.text)
            break
    affiliations = unique(_text(a) for a in author.iterfind("AffiliationInfo/Affiliation"))
    return AuthorRecord(
        position=position,
        raw_name=name[:RAW_NAME_MAX],
        family_name=family,
        given_name=given,
        orcid=orcid,
        raw_affiliation="; ".join(re.sub(r"\.$", "", a) for a in affiliations),
    )
