"""Template filters for opportunities: dates in UK time as GOV.UK writes them, status tags, money."""

from django import template

from mhi.opportunities.dates import date_words, datetime_words, to_london
from mhi.opportunities.models import Status, money_words

register = template.Library()

_TAG_COLOURS = {
    Status.FORTHCOMING: "govuk-tag--blue",
    Status.OPEN: "govuk-tag--green",
    Status.CLOSING_SOON: "govuk-tag--orange",
    Status.CLOSED: "govuk-tag--grey",
}


@register.filter
def london(value) -> str:
    """Tuesday 3 March 2026, 4pm"""
    return datetime_words(value) if value else ""


@register.filter
def london_date(value) -> str:
    """3 March 2026"""
    return date_words(value) if value else ""


@register.filter
def london_iso(value) -> str:
    """2026-03-03T16:00:00+00:00, for <time datetime>"""
    return to_london(value).isoformat() if value else ""


@register.filter
def status_tag_class(status: str) -> str:
    return _TAG_COLOURS.get(status, "govuk-tag--grey")


@register.filter
def status_label(status: str) -> str:
    try:
        return Status(status).label
    except ValueError:
        return status


@register.filter
def pounds(value) -> str:
    return money_words(value)
