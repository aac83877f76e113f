"""Downloading and reading opportunity feeds: RSS 2.0, Atom and JSON, with the standard library only.

Formats
-------
- **RSS 2.0**: each `<item>` is one opportunity. `title`, `link`, `guid` (else the link is the id),
  `description` (the summary), `content:encoded` (the full text), `category` (themes, one per element).
- **Atom**: each `<entry>`. `title`, `link` (rel="alternate" or no rel), `id`, `summary`, `content`,
  `category term` (themes), `author/name` (the funder, when the feed sets none).
- **JSON**: either a list of objects whose keys are the CSV columns of docs/csv-formats.md ("title",
  "funder", "link", "closes", "themes" as a list, ..., and "id" or "external_id"), or a JSON Feed 1.1
  document whose `items` use `id`, `url`, `title`, `summary`, `content_text`/`content_html`, `tags` and
  `authors[0].name`, with the CSV columns in an `_opportunity` extension object (JSON Feed's way of adding
  fields): `{"id": "...", "url": "...", "title": "...", "_opportunity": {"closes": "2026-03-03 16:00"}}`.

RSS and Atom have no elements for deadlines, so their dates are read from the item's text where funders
write them: "Opening date: 5 February 2026 9:00am", "Closing date: 12 March 2026 4:00pm" (UK time), as
UKRI's funding finder does. An item's HTML is reduced to plain text.

XML is parsed with expat directly and refused if it has a document type declaration (DTD) or entities:
an untrusted feed cannot expand entities ("billion laughs") or reach for external files. (defusedxml is
not installed; this is the part of it that applies.)
"""

import datetime
import html
import ipaddress
import json
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml import ElementTree as defused_etree

from mhi.opportunities.dates import parse_london
from mhi.opportunities.intake import COLUMNS

FETCH_TIMEOUT_SECONDS = 15
MAX_FEED_BYTES = 5 * 1024 * 1024
MAX_ITEMS = 2000
USER_AGENT = "MHI Hub opportunity feeds"


class FeedProblem(Exception):
    """A feed could not be fetched or read; the message says why, for the feeds page."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class FeedItem:
    position: int  # 1-based, in the order the feed lists its items
    values: dict[str, Any] = field(default_factory=dict)  # CSV column → raw value, only those present

    @property
    def title(self) -> str:
        return str(self.values.get("title") or "").strip()


# --- downloading ---------------------------------------------------------------------------------------


def address_refusal(url: str) -> str | None:
    """Why a feed may not be fetched from this address, or None. Feeds are fetched by the server, so an address
    on a private, loopback or link-local network (the server's own services, a cloud metadata endpoint) is
    refused unless MHI_FEEDS_ALLOW_PRIVATE_ADDRESSES is set (tests serve feeds on 127.0.0.1)."""
    from django.conf import settings

    if getattr(settings, "MHI_FEEDS_ALLOW_PRIVATE_ADDRESSES", False):
        return None
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (socket.gaierror, UnicodeError):
        return f"The feed's server “{host}” could not be found."
    for address in sorted(addresses):
        ip = ipaddress.ip_address(address.split("%")[0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast:
            return f"The feed's address {host} ({ip}) is on a private network; only public addresses are fetched."
    return None


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to another public http(s) address."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urllib.parse.urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise FeedProblem("The feed redirected to an address that is not http:// or https://.")
        refusal = address_refusal(newurl)
        if refusal:
            raise FeedProblem("The feed redirected elsewhere. " + refusal)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener() -> urllib.request.OpenerDirector:
    """http and https only (no file:, ftp: or data:), following redirects between public addresses."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        _CheckedRedirects(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def feed_download(url: str, *, timeout: float = FETCH_TIMEOUT_SECONDS, max_bytes: int = MAX_FEED_BYTES) -> bytes:
    scheme = url.split(":", 1)[0].lower()
    if scheme not in ("http", "https"):
        raise FeedProblem(f"The address must start with http:// or https://, not {scheme}:.")
    refusal = address_refusal(url)
    if refusal:
        raise FeedProblem(refusal)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})  # noqa: S310
    try:
        with _opener().open(request, timeout=timeout) as response:
            data = response.read(max_bytes + 1)
    except urllib.error.HTTPError as exc:
        raise FeedProblem(f"The feed answered HTTP {exc.code} {exc.reason}.") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ConnectionRefusedError):
            raise FeedProblem("Could not connect to the feed's server: the connection was refused.") from None
        raise FeedProblem(f"Could not reach the feed: {reason}.") from None
    except TimeoutError:
        raise FeedProblem(f"The feed did not answer within {timeout:g} seconds.") from None
    except OSError as exc:
        raise FeedProblem(f"Could not read the feed: {exc}.") from None
    if len(data) > max_bytes:
        raise FeedProblem(f"The feed is larger than {max_bytes // (1024 * 1024)} MB, the most accepted.")
    if not data.strip():
        raise FeedProblem("The feed is empty.")
    return data


# --- reading -------------------------------------------------------------------------------------------


def feed_parse(data: bytes, *, format: str) -> list[FeedItem]:
    readers = {"rss": _rss_items, "atom": _atom_items, "json": _json_items}
    if format not in readers:
        raise FeedProblem(f"“{format}” is not a feed format; choose rss, atom or json.")
    items = readers[format](data)
    if len(items) > MAX_ITEMS:
        raise FeedProblem(f"The feed has {len(items)} items; at most {MAX_ITEMS} are read.")
    return items


def xml_parse_safely(data: bytes) -> Element:
    """Parse XML into an ElementTree element with defusedxml, refusing DTDs, entities and external references
    (a feed is untrusted input: no billion laughs, no reading local files)."""
    try:
        return defused_etree.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
        raise FeedProblem("The feed declares a document type (DTD) or entities, which are not accepted.") from None
    except ParseError as exc:
        line, column = exc.position
        message = str(exc).split(":")[0]
        raise FeedProblem(f"The feed is not well-formed XML: {message} at line {line}, column {column + 1}.") from None


class _TextOnly(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)

    def handle_starttag(self, tag, attrs):
        if tag in ("p", "br", "li", "div", "tr", "h1", "h2", "h3", "h4"):
            self.parts.append("\n")


def plain_text(value: str) -> str:
    """HTML reduced to text: tags removed, entities decoded, blank lines collapsed."""
    if not value:
        return ""
    if "<" not in value:
        text = html.unescape(value)
    else:
        stripper = _TextOnly()
        stripper.feed(value)
        stripper.close()
        text = "".join(stripper.parts)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line).strip()


_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
# "12 March 2026", then optionally a time with minutes ("4:00pm", "16:00") or an hour with am/pm ("4pm").
_DATE_WORDS = re.compile(
    rf"(\d{{1,2}})\s+({_MONTHS})\s+(\d{{4}})"
    r"(?:\s*(?:at|,)?\s*(\d{1,2})(?:[:.](\d{2})\s*(am|pm)?|\s*(am|pm)))?",
    re.I,
)
_LABELLED_DATES = {
    "opens": re.compile(r"(?:opening date|opens)\s*:\s*([^\n]+)", re.I),
    "closes": re.compile(r"(?:closing date|closes|deadline)\s*:\s*([^\n]+)", re.I),
}


def date_from_words(text: str, *, end_of_day: bool) -> datetime.datetime | None:
    """ "12 March 2026 4:00pm", "12 March 2026 at 16:00", "12 March 2026" or "2026-03-12" (UK time)."""
    text = text.strip()
    match = _DATE_WORDS.search(text)
    if match:
        day, month, year, hour, minute, meridiem, bare_meridiem = match.groups()
        month_number = _MONTHS.split("|").index(month.lower()) + 1
        day_text = f"{year}-{month_number:02d}-{int(day):02d}"
        if hour is None:
            return parse_london(day_text, end_of_day=end_of_day)
        hour_number, meridiem = int(hour), (meridiem or bare_meridiem or "").lower()
        if meridiem:
            hour_number = hour_number % 12 + (12 if meridiem == "pm" else 0)
        return parse_london(f"{day_text} {hour_number:02d}:{int(minute or 0):02d}")
    iso = re.search(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?", text)
    if iso:
        return parse_london(iso.group(0), end_of_day=end_of_day)
    return None


def _dates_in_text(text: str) -> dict[str, Any]:
    found = {}
    for column, pattern in _LABELLED_DATES.items():
        match = pattern.search(text)
        if not match:
            continue
        try:
            when = date_from_words(match.group(1), end_of_day=column == "closes")
        except ValueError:
            when = None
        if when is not None:
            found[column] = when.isoformat()
    return found


def _child_text(element: Element, tag: str) -> str:
    child = element.find(tag)
    return "".join(child.itertext()).strip() if child is not None else ""


def _xml_root(data: bytes, expected: set[str], what: str) -> Element:
    root = xml_parse_safely(data)
    if root.tag not in expected:
        raise FeedProblem(f"This is not {what}: its top element is <{root.tag.split('}')[-1]}>.")
    return root


CONTENT_NS = "{http://purl.org/rss/1.0/modules/content/}"
ATOM_NS = "{http://www.w3.org/2005/Atom}"


def _rss_items(data: bytes) -> list[FeedItem]:
    root = _xml_root(data, {"rss"}, "an RSS 2.0 feed")
    channel = root.find("channel")
    if channel is None:
        raise FeedProblem("This RSS feed has no <channel>.")
    items = []
    for position, item in enumerate(channel.findall("item"), start=1):
        summary = plain_text(_child_text(item, "description"))
        full_text = plain_text(_child_text(item, f"{CONTENT_NS}encoded"))
        link = _child_text(item, "link")
        values = {
            "title": plain_text(_child_text(item, "title")),
            "link": link,
            "external_id": _child_text(item, "guid") or link,
            "summary": summary,
            "themes": ["".join(c.itertext()).strip() for c in item.findall("category")],
        }
        if full_text:
            values["full_text"] = full_text
        values.update(_dates_in_text(f"{summary}\n{full_text}"))
        items.append(FeedItem(position, values))
    return items


def _atom_link(entry: Element) -> str:
    links = entry.findall(f"{ATOM_NS}link")
    for link in links:
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link.get("href").strip()
    return links[0].get("href", "").strip() if links else ""


def _atom_items(data: bytes) -> list[FeedItem]:
    root = _xml_root(data, {f"{ATOM_NS}feed"}, "an Atom feed")
    feed_author = _child_text(root, f"{ATOM_NS}author/{ATOM_NS}name")
    items = []
    for position, entry in enumerate(root.findall(f"{ATOM_NS}entry"), start=1):
        link = _atom_link(entry)
        summary = plain_text(_child_text(entry, f"{ATOM_NS}summary"))
        full_text = plain_text(_child_text(entry, f"{ATOM_NS}content"))
        values = {
            "title": plain_text(_child_text(entry, f"{ATOM_NS}title")),
            "link": link,
            "external_id": _child_text(entry, f"{ATOM_NS}id") or link,
            "summary": summary,
            "themes": [c.get("label") or c.get("term", "") for c in entry.findall(f"{ATOM_NS}category")],
        }
        if full_text:
            values["full_text"] = full_text
        author = _child_text(entry, f"{ATOM_NS}author/{ATOM_NS}name") or feed_author
        if author:
            values["funder"] = author
        values.update(_dates_in_text(f"{summary}\n{full_text}"))
        items.append(FeedItem(position, values))
    return items


def _json_items(data: bytes) -> list[FeedItem]:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise FeedProblem("The feed is not UTF-8 text.") from None
    except json.JSONDecodeError as exc:
        raise FeedProblem(f"The feed is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.") from None
    if isinstance(document, dict) and isinstance(document.get("items"), list):
        entries = document["items"]
    elif isinstance(document, list):
        entries = document
    else:
        raise FeedProblem("A JSON feed must be a list of objects, or a JSON Feed with an “items” list.")
    items = []
    for position, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise FeedProblem(f"Item {position} of the JSON feed is not an object.")
        items.append(FeedItem(position, _json_values(entry)))
    return items


def _json_values(entry: dict) -> dict[str, Any]:
    values: dict[str, Any] = {}
    # JSON Feed 1.1 names first; the product's own column names, and the _opportunity extension, win.
    if "url" in entry:
        values["link"] = entry["url"]
    if "id" in entry:
        values["external_id"] = str(entry["id"])
    if "content_text" in entry:
        values["full_text"] = entry["content_text"]
    elif "content_html" in entry:
        values["full_text"] = plain_text(str(entry["content_html"] or ""))
    if "tags" in entry:
        values["themes"] = entry["tags"]
    authors = entry.get("authors")
    if isinstance(authors, list) and authors and isinstance(authors[0], dict) and authors[0].get("name"):
        values["funder"] = authors[0]["name"]
    for source in (entry, entry.get("_opportunity") if isinstance(entry.get("_opportunity"), dict) else {}):
        for column in COLUMNS:
            if column in source:
                values[column] = source[column]
    if "summary" in values and isinstance(values["summary"], str) and "<" in values["summary"]:
        values["summary"] = plain_text(values["summary"])
    if not any(column in values for column in ("opens", "closes")):
        values.update(_dates_in_text(f"{values.get('summary') or ''}\n{values.get('full_text') or ''}"))
    return values
