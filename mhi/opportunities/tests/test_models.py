import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from mhi.opportunities.dates import LONDON, datetime_words, parse_london
from mhi.opportunities.models import CLOSING_SOON, Opportunity, Status, link_key, title_funder_key
from mhi.opportunities.tests.factories import OpportunityFactory

CLOSES = datetime.datetime(2026, 3, 31, 16, 0, tzinfo=LONDON)
OPENS = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=LONDON)
SECOND = datetime.timedelta(seconds=1)

pytestmark = pytest.mark.django_db  # full_clean checks the DB constraints with a query


def _opportunity(**fields) -> Opportunity:
    return Opportunity(title="A call", funder_name="NIHR", **fields)


def test_closing_soon_is_fourteen_days():
    assert datetime.timedelta(days=14) == CLOSING_SOON


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (OPENS - SECOND, Status.FORTHCOMING),
        (OPENS, Status.OPEN),
        (CLOSES - CLOSING_SOON - SECOND, Status.OPEN),
        (CLOSES - CLOSING_SOON, Status.CLOSING_SOON),
        (CLOSES - SECOND, Status.CLOSING_SOON),
        (CLOSES, Status.CLOSED),
        (CLOSES + datetime.timedelta(days=400), Status.CLOSED),
    ],
)
def test_status_at_the_boundaries(now, expected):
    assert _opportunity(opens_at=OPENS, closes_at=CLOSES).status_at(now) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (OPENS - SECOND, Status.FORTHCOMING),
        (OPENS, Status.OPEN),
        (CLOSES - CLOSING_SOON - SECOND, Status.OPEN),
        (CLOSES - CLOSING_SOON, Status.CLOSING_SOON),
        (CLOSES - SECOND, Status.CLOSING_SOON),
        (CLOSES, Status.CLOSED),
    ],
)
def test_the_database_derives_the_same_status_at_the_boundaries(db, now, expected):
    opportunity = OpportunityFactory(opens_at=OPENS, closes_at=CLOSES)
    assert list(Opportunity.objects.status_in([expected], now=now)) == [opportunity]
    others = [s for s in Status if s != expected]
    assert list(Opportunity.objects.status_in(others, now=now)) == []
    assert Opportunity.objects.with_status(now=now).get().status_value == expected


def test_without_dates_an_opportunity_is_open(db):
    now = datetime.datetime(2026, 2, 1, tzinfo=LONDON)
    assert _opportunity().status_at(now) == Status.OPEN
    OpportunityFactory(closes_at=None)
    assert Opportunity.objects.status_in([Status.OPEN], now=now).count() == 1


def test_a_forthcoming_call_that_closes_within_two_weeks_of_opening_is_forthcoming_until_it_opens():
    opportunity = _opportunity(opens_at=CLOSES - datetime.timedelta(days=3), closes_at=CLOSES)
    assert opportunity.status_at(CLOSES - datetime.timedelta(days=5)) == Status.FORTHCOMING
    assert opportunity.status_at(CLOSES - datetime.timedelta(days=2)) == Status.CLOSING_SOON


def test_list_order_is_closing_soon_open_forthcoming_then_closed_latest_first(db):
    now = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=LONDON)
    day = datetime.timedelta(days=1)
    old_closed = OpportunityFactory(title="old closed", closes_at=now - 30 * day)
    new_closed = OpportunityFactory(title="new closed", closes_at=now - day)
    forthcoming = OpportunityFactory(title="forthcoming", opens_at=now + day, closes_at=now + 90 * day)
    open_late = OpportunityFactory(title="open late", closes_at=now + 60 * day)
    open_early = OpportunityFactory(title="open early", closes_at=now + 20 * day)
    rolling = OpportunityFactory(title="rolling", closes_at=None)
    soon = OpportunityFactory(title="soon", closes_at=now + 3 * day)
    assert list(Opportunity.objects.in_list_order(now=now)) == [
        soon,
        open_early,
        open_late,
        rolling,
        forthcoming,
        new_closed,
        old_closed,
    ]


def test_dates_out_of_order_are_refused_naming_both_dates():
    opportunity = _opportunity(opens_at=datetime.datetime(2026, 3, 3, 16, 0, tzinfo=LONDON), closes_at=CLOSES)
    opportunity.eoi_deadline = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=LONDON)
    with pytest.raises(ValidationError) as caught:
        opportunity.full_clean()
    assert caught.value.message_dict == {
        "eoi_deadline": [
            "The internal expression-of-interest deadline (Sunday 1 March 2026, midday) is before the opening "
            "date (Tuesday 3 March 2026, 4pm)."
        ]
    }


def test_a_closing_date_before_the_outline_deadline_is_refused():
    opportunity = _opportunity(
        outline_deadline=datetime.datetime(2026, 4, 1, 16, 30, tzinfo=LONDON),
        closes_at=CLOSES,
    )
    with pytest.raises(ValidationError) as caught:
        opportunity.full_clean()
    assert caught.value.message_dict == {
        "closes_at": [
            "The closing date (Tuesday 31 March 2026, 4pm) is before the outline deadline "
            "(Wednesday 1 April 2026, 4:30pm)."
        ]
    }


def test_equal_dates_are_in_order():
    _opportunity(opens_at=CLOSES, eoi_deadline=CLOSES, outline_deadline=CLOSES, closes_at=CLOSES).full_clean()


def test_value_min_above_max_is_refused():
    opportunity = _opportunity(value_min=Decimal("500000"), value_max=Decimal("100000.50"))
    with pytest.raises(ValidationError) as caught:
        opportunity.full_clean()
    assert caught.value.message_dict == {
        "value_min": ["The minimum value £500,000 is more than the maximum value £100,000.50."]
    }


def test_the_database_refuses_dates_out_of_order(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Opportunity.objects.bulk_create([_opportunity(opens_at=CLOSES, closes_at=OPENS)])


def test_the_database_refuses_dates_out_of_order_when_a_middle_date_is_missing(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Opportunity.objects.bulk_create([_opportunity(eoi_deadline=CLOSES, closes_at=OPENS)])


def test_the_database_refuses_a_value_range_upside_down(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Opportunity.objects.bulk_create([_opportunity(value_min=Decimal(10), value_max=Decimal(9))])


def test_the_database_refuses_negative_caps(db):
    opportunity = OpportunityFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Opportunity.objects.filter(pk=opportunity.pk).update(cap_per_institution=-1)


def test_a_cap_of_none_means_no_cap_and_zero_is_allowed(db):
    opportunity = OpportunityFactory(cap_per_institution=0, cap_partnership=None)
    opportunity.full_clean()
    assert (opportunity.cap_per_institution, opportunity.cap_partnership) == (0, None)


def test_themes_are_trimmed_and_repeats_dropped_on_save(db):
    opportunity = OpportunityFactory(themes=["  Health  data ", "AI", "health data", ""])
    opportunity.refresh_from_db()
    assert opportunity.themes == ["Health data", "AI"]


def test_too_many_themes_are_refused():
    opportunity = _opportunity(themes=[f"theme {n}" for n in range(21)])
    with pytest.raises(ValidationError) as caught:
        opportunity.full_clean()
    assert caught.value.message_dict == {"themes": ["Give at most 20 themes (there are 21)."]}


def test_link_key_ignores_scheme_www_trailing_slash_fragment_and_tracking():
    assert link_key("https://www.Example.org/calls/60/?utm_source=rss&b=2&a=1#apply") == "example.org/calls/60?a=1&b=2"
    assert link_key("http://example.org/calls/60") == "example.org/calls/60"
    assert link_key("") == ""


def test_title_funder_key_ignores_case_accents_and_punctuation():
    assert title_funder_key("Research for Patient Benefit – Competition 60!", "NIHR") == (
        "research for patient benefit competition 60|nihr"
    )
    assert title_funder_key("Santé & care", "Fondation") == "sante and care|fondation"


def test_keys_are_stored_for_duplicate_lookups(db):
    opportunity = OpportunityFactory(title="Big Call", funder_name="UKRI", link="https://www.ukri.org/big/")
    opportunity.refresh_from_db()
    assert (opportunity.link_key, opportunity.title_funder_key) == ("ukri.org/big", "big call|ukri")


def test_value_words():
    assert _opportunity(value_min=Decimal(250000), value_max=Decimal(1500000)).value_words == "£250,000 to £1,500,000"
    assert _opportunity(value_max=Decimal(300000)).value_words == "up to £300,000"
    assert _opportunity(value_min=Decimal(5000)).value_words == "from £5,000"
    assert _opportunity().value_words == ""


def test_eligibility_in_words():
    opportunity = _opportunity(
        requires_nhs_partner=True,
        requires_industry_partner=True,
        requires_local_government_partner=True,
        lead_must_be_partner_university=True,
        min_partner_universities=3,
    )
    assert opportunity.eligibility == [
        "The lead must be a partner university",
        "At least 3 partner universities",
        "An NHS partner is required",
        "An industry partner is required",
        "A local government partner is required",
    ]
    assert _opportunity(min_partner_universities=1).eligibility == ["At least 1 partner university"]


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (datetime.datetime(2026, 3, 3, 16, 0, tzinfo=datetime.UTC), "Tuesday 3 March 2026, 4pm"),
        (datetime.datetime(2026, 7, 3, 15, 30, tzinfo=datetime.UTC), "Friday 3 July 2026, 4:30pm"),
        (datetime.datetime(2026, 7, 3, 11, 0, tzinfo=datetime.UTC), "Friday 3 July 2026, midday"),
        (datetime.datetime(2026, 7, 2, 23, 0, tzinfo=datetime.UTC), "Friday 3 July 2026, midnight"),
        (datetime.datetime(2026, 1, 1, 9, 5, tzinfo=datetime.UTC), "Thursday 1 January 2026, 9:05am"),
    ],
)
def test_datetimes_are_shown_in_london_time(value, words):
    assert datetime_words(value) == words


def test_a_date_alone_is_the_start_of_the_day_or_for_deadlines_its_end():
    assert parse_london("2026-07-03") == datetime.datetime(2026, 7, 3, 0, 0, tzinfo=LONDON)
    assert parse_london("2026-07-03", end_of_day=True) == datetime.datetime(2026, 7, 3, 23, 59, tzinfo=LONDON)
    assert parse_london("2026-07-03 16:00").utcoffset() == datetime.timedelta(hours=1)
    assert parse_london("2026-01-03 16:00").utcoffset() == datetime.timedelta(0)


def test_a_time_the_clocks_skip_is_refused():
    with pytest.raises(ValueError, match="does not exist or happens twice"):
        parse_london("2026-03-29 01:30")
    with pytest.raises(ValueError, match="does not exist or happens twice"):
        parse_london("2026-10-25 01:30")


def test_status_counts_in_one_query(db, django_assert_num_queries):
    from mhi.opportunities.selectors import opportunity_status_counts

    now = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=LONDON)
    OpportunityFactory(closes_at=now - SECOND)
    OpportunityFactory(closes_at=now + datetime.timedelta(days=2))
    OpportunityFactory(closes_at=now + datetime.timedelta(days=20))
    OpportunityFactory(closes_at=None)
    with django_assert_num_queries(1):
        counts = opportunity_status_counts(user=None, now=now)
    assert counts == {"forthcoming": 0, "open": 2, "closing_soon": 1, "closed": 1}


def test_duplicate_of_finds_by_link_first_then_title_and_funder(db):
    from mhi.opportunities.selectors import opportunity_duplicate_of

    by_link = OpportunityFactory(title="One", link="https://example.org/a")
    by_title = OpportunityFactory(title="Two", funder_name="UKRI")
    assert opportunity_duplicate_of(link="http://www.example.org/a/", title="Two", funder="UKRI") == by_link
    assert opportunity_duplicate_of(link="https://example.org/other", title="two", funder="ukri") == by_title
    assert opportunity_duplicate_of(link="", title="Two", funder="NIHR") is None
    assert opportunity_duplicate_of(link="", title="Two", funder="UKRI", exclude_pk=by_title.pk) is None
