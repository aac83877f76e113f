"""Dates as the partnership writes them: in Europe/London, "Tuesday 3 March 2026, 4pm" (GOV.UK style)."""

import datetime
import re
from zoneinfo import ZoneInfo

from django.utils import timezone

# The partnership's clock, whatever TIME_ZONE a deployment sets.
LONDON = ZoneInfo("Europe/London")


def to_london(value: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(value, LONDON)


def time_words(value: datetime.time) -> str:
    """4pm, 4:30pm, midday, midnight."""
    if value.hour == 0 and value.minute == 0:
        return "midnight"
    if value.hour == 12 and value.minute == 0:
        return "midday"
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    return f"{hour}{suffix}" if value.minute == 0 else f"{hour}:{value.minute:02d}{suffix}"


def date_words(value: datetime.datetime | datetime.date) -> str:
    """1 March 2026 (the London date of an aware datetime)."""
    if isinstance(value, datetime.datetime):
        value = to_london(value).date()
    return f"{value.day} {value:%B %Y}"


def datetime_words(value: datetime.datetime | None) -> str:
    """Tuesday 3 March 2026, 4pm, in Europe/London."""
    if value is None:
        return ""
    local = to_london(value)
    return f"{local:%A} {local.day} {local:%B %Y}, {time_words(local.time())}"


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M")


def parse_london(value: str, *, end_of_day: bool = False) -> datetime.datetime:
    """A date or date and time written in Europe/London (or ISO 8601 with an offset) as an aware datetime.

    A date alone is midnight at the start of that day, or 11:59pm with `end_of_day` (how a deadline written
    as a day is meant: submissions are accepted on that day). Raises ValueError naming the problem.
    """
    text = value.strip()
    if not text:
        raise ValueError("is empty")
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            day = datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        clock = datetime.time(23, 59) if end_of_day else datetime.time(0, 0)
        return _aware(datetime.datetime.combine(day, clock), text)
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
        for fmt in _FORMATS:
            try:
                parsed = datetime.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        raise ValueError(f"“{text}” is not a date: write it as YYYY-MM-DD or YYYY-MM-DD HH:MM (UK time)")
    if parsed.tzinfo is not None:
        return parsed
    return _aware(parsed, text)


def _aware(naive: datetime.datetime, text: str) -> datetime.datetime:
    """Europe/London, refusing a time the clocks skip (spring) or repeat (autumn)."""
    aware = naive.replace(tzinfo=LONDON)
    round_trip = aware.astimezone(datetime.UTC).astimezone(LONDON).replace(tzinfo=None)
    if round_trip != naive or naive.replace(fold=1).replace(tzinfo=LONDON).utcoffset() != aware.utcoffset():
        raise ValueError(f"“{text}” does not exist or happens twice in UK time when the clocks change")
    return aware
