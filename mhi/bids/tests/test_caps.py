"""Demand management holds under concurrent approvals: a database guarantee, not a count.

Many bids are passed through internal selection at the same moment, each from its own thread with its own
database connection (so its own transaction). However the approvals interleave, no more places than the cap
exist, and every approval beyond it is refused with CapExceeded. On PostgreSQL the threads really run at once
(a second insert of a place number waits for the first transaction, then fails the unique constraint and tries
the next number); on SQLite, transactions begin IMMEDIATE and queue on the write lock, and every approval after
the second finds numbers 1 and 2 taken by the constraint. The serial tests at the end show the constraints
themselves refuse a place beyond the cap, whatever the code above them does.

On SQLite these tests run on a file copy of the in-memory test database, as production runs it (tests/concurrency.py).
"""

import threading
from collections import Counter

import pytest
from django.db import IntegrityError, connection, transaction

from mhi.accounts.models import User
from mhi.bids import services
from mhi.bids.models import Bid, CapPlace, Stage
from mhi.bids.tests.factories import BidFactory
from mhi.directory.tests.factories import OrganisationFactory
from mhi.opportunities.tests.factories import OpportunityFactory
from tests.concurrency import file_database, thread_uses_file_database

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 12


@pytest.fixture(autouse=True)
def concurrent_database(tmp_path):
    """On SQLite, the test's database is a file copy of the in-memory test database (tests/concurrency.py)."""
    with file_database(tmp_path):
        yield


def _approve_at_once(bid_ids: list[int], actor_id: int) -> Counter:
    """Pass every bid through selection from its own thread, all released together; what each got."""
    results: list[str] = []
    lock = threading.Lock()
    ready = threading.Barrier(len(bid_ids))

    def approve(bid_id: int) -> None:
        outcome = "not run"
        thread_uses_file_database()
        try:
            actor = User.objects.get(pk=actor_id)
            bid = Bid.objects.select_related("opportunity", "lead_organisation").get(pk=bid_id)
            ready.wait(timeout=30)
            services.bid_pass_selection(actor=actor, bid=bid)
            outcome = "passed"
        except services.CapExceeded:
            outcome = "cap exceeded"
        except services.DomainError as exc:
            outcome = f"refused: {exc.message}"
        except Exception as exc:  # reported in the assertion, not lost in the thread
            outcome = f"error: {exc!r}"
        finally:
            connection.close()
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=approve, args=(pk,)) for pk in bid_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "an approval never finished"
    return Counter(results)


def _bids_in_selection(opportunity, organisations, per_organisation: int) -> list[int]:
    return [
        BidFactory(opportunity=opportunity, lead_organisation=org, stage=Stage.INTERNAL_SELECTION).pk
        for org in organisations
        for _ in range(per_organisation)
    ]


def test_many_approvals_at_once_take_exactly_the_institutions_cap(world):
    call = OpportunityFactory(cap_per_institution=2)
    bid_ids = _bids_in_selection(call, [world.aston], THREADS)

    results = _approve_at_once(bid_ids, world.users["coordinator"].pk)

    assert results == Counter({"passed": 2, "cap exceeded": THREADS - 2})
    places = CapPlace.objects.filter(opportunity=call)
    assert sorted(places.values_list("scope", "number")) == [(f"org:{world.aston.pk}", 1), (f"org:{world.aston.pk}", 2)]
    passed = Bid.objects.filter(opportunity=call, stage=Stage.FULL_APPLICATION)
    assert sorted(passed.values_list("pk", flat=True)) == sorted(places.values_list("bid", flat=True))
    assert Bid.objects.filter(opportunity=call, stage=Stage.INTERNAL_SELECTION).count() == THREADS - 2


def test_many_approvals_across_institutions_take_exactly_the_partnerships_cap(world):
    call = OpportunityFactory(cap_partnership=3)
    institutions = [world.aston, world.leicester, world.nottingham, world.uhb]
    bid_ids = _bids_in_selection(call, institutions, THREADS // len(institutions))

    results = _approve_at_once(bid_ids, world.users["coordinator"].pk)

    assert results == Counter({"passed": 3, "cap exceeded": THREADS - 3})
    assert sorted(CapPlace.objects.filter(opportunity=call).values_list("scope", "number")) == [
        ("partnership", 1),
        ("partnership", 2),
        ("partnership", 3),
    ]
    assert Bid.objects.filter(opportunity=call, stage=Stage.FULL_APPLICATION).count() == 3


def test_both_caps_hold_together_at_once(world):
    """Two per institution and three for the partnership, 3 bids from each of 4 institutions: exactly 3 pass,
    no institution more than 2, and every passed bid holds both its places (none left behind by a refusal)."""
    call = OpportunityFactory(cap_per_institution=2, cap_partnership=3)
    institutions = [world.aston, world.leicester, world.nottingham, world.uhb]
    bid_ids = _bids_in_selection(call, institutions, THREADS // len(institutions))

    results = _approve_at_once(bid_ids, world.users["coordinator"].pk)

    assert results == Counter({"passed": 3, "cap exceeded": THREADS - 3})
    passed = set(Bid.objects.filter(opportunity=call, stage=Stage.FULL_APPLICATION).values_list("pk", flat=True))
    assert len(passed) == 3
    places = list(CapPlace.objects.filter(opportunity=call))
    assert len(places) == 6
    assert {p.bid_id for p in places} == passed
    per_institution = Counter(p.scope for p in places if p.scope != "partnership")
    assert max(per_institution.values()) <= 2
    assert sum(per_institution.values()) == 3


def test_two_moves_of_one_bid_at_once_happen_one_after_the_other(world):
    call = OpportunityFactory(cap_per_institution=5)
    bid = BidFactory(opportunity=call, lead_organisation=world.aston, stage=Stage.INTERNAL_SELECTION)

    results = _approve_at_once([bid.pk, bid.pk], world.users["coordinator"].pk)

    assert results == Counter(
        {"passed": 1, "refused: Only a bid at internal selection can pass it; this one is at full application.": 1}
    )
    bid.refresh_from_db()
    assert (bid.stage, bid.version, bid.stage_changes.count()) == (Stage.FULL_APPLICATION, 2, 1)
    assert CapPlace.objects.filter(bid=bid).count() == 1


# --- the constraints themselves, one statement at a time ---------------------------------------------------------


def _place(bid, number, cap=2, scope=None):
    return CapPlace(
        opportunity=bid.opportunity,
        scope=scope or f"org:{bid.lead_organisation_id}",
        organisation=None if scope == "partnership" else bid.lead_organisation,
        number=number,
        cap=cap,
        bid=bid,
    )


def test_the_database_refuses_a_place_number_taken_twice(world):
    call = OpportunityFactory(cap_per_institution=2)
    first, second = (BidFactory(opportunity=call, lead_organisation=world.aston) for _ in range(2))
    _place(first, 1).save()

    with pytest.raises(IntegrityError), transaction.atomic():
        _place(second, 1).save()


def test_the_database_refuses_a_place_beyond_the_cap(world):
    bid = BidFactory(opportunity=OpportunityFactory(cap_per_institution=2), lead_organisation=world.aston)

    with pytest.raises(IntegrityError), transaction.atomic():
        _place(bid, 3).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        _place(bid, 0).save()


def test_the_database_refuses_a_second_place_of_one_scope_for_a_bid(world):
    bid = BidFactory(opportunity=OpportunityFactory(cap_partnership=5), lead_organisation=world.aston)
    _place(bid, 1, cap=5, scope="partnership").save()

    with pytest.raises(IntegrityError), transaction.atomic():
        _place(bid, 2, cap=5, scope="partnership").save()


def test_another_institutions_places_are_its_own(world):
    """The per-institution scope is the lead organisation: Leicester's first place is number 1 too."""
    call = OpportunityFactory(cap_per_institution=1)
    aston_bid = BidFactory(opportunity=call, lead_organisation=world.aston, stage=Stage.INTERNAL_SELECTION)
    leicester_bid = BidFactory(opportunity=call, lead_organisation=world.leicester, stage=Stage.INTERNAL_SELECTION)
    other = OrganisationFactory(name="Keele University")
    other_bid = BidFactory(opportunity=call, lead_organisation=other, stage=Stage.INTERNAL_SELECTION)

    for bid in (aston_bid, leicester_bid, other_bid):
        services.bid_pass_selection(actor=world.users["coordinator"], bid=bid)

    assert sorted(CapPlace.objects.values_list("organisation__name", "number")) == [
        ("Aston University", 1),
        ("Keele University", 1),
        ("University of Leicester", 1),
    ]
