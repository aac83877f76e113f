"""Booking at partnership scale: 5,000 resources with a year of bookings (about 500,000).

The catalogue: resources owned by the 7 partner universities (22/18/16/13/12/10/9% of them) over 20 techniques,
one in twenty a confocal microscope; Monday to Friday 09:00–17:00 in 30-minute slots; 70% take instant bookings.
Bookings: from nine months ago to three months ahead, each resource has on a weekday no booking (68%), one (25%) or
two (7%), 1 to 3 hours on slot boundaries, none overlapping; 85% confirmed, 10% requested, 5% cancelled. They are
written with bulk_create, so on PostgreSQL the exclusion constraint checks every row as it goes in.

Printed: how long the data took to write; p50/p95 of "free slots for this resource in the next two weeks"
(free_slots with for_booking=True on a random resource; target p95 ≤ 100 ms); p50/p95 of "which confocal
microscopes are free on Tuesday 10:00–12:00" (resources_free_between over the technique filter on one of the next
eight Tuesdays; target p95 ≤ 500 ms); bookings per second with 20 concurrent clients (threads, each with its own
connection, booking through booking_request on 200 instant-booking resources, so requests collide) with the
conflicts they met; and the double bookings, counted by a SQL self-join over every confirmed booking (must be 0).

Runs against DATABASE_URL when set, else a throwaway SQLite file (where the concurrent clients queue on SQLite's
one writer). The figures of issue 6 are for PostgreSQL:

    scripts/ci-postgres.sh --port 54342 -- .venv/bin/python bench/booking_bench.py
    .venv/bin/python bench/booking_bench.py [--resources 5000] [--days 365] [--samples 200] [--clients 20]
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TECHNIQUES = [
    "Confocal microscopy",
    "Electron microscopy",
    "Mass spectrometry",
    "Flow cytometry",
    "NMR spectroscopy",
    "X-ray crystallography",
    "Next-generation sequencing",
    "Light-sheet microscopy",
    "Cell sorting",
    "qPCR",
    "MRI",
    "PET-CT",
    "Atomic force microscopy",
    "Raman spectroscopy",
    "Cryo-EM",
    "Bioprinting",
    "High-content screening",
    "Proteomics",
    "Histology",
    "Gait analysis",
]
UNIVERSITY_SHARES = [0.22, 0.18, 0.16, 0.13, 0.12, 0.10, 0.09]
UTC = datetime.UTC


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def build(*, resources: int, days: int, rng: random.Random, now: datetime.datetime):
    from mhi.accounts.models import Membership, User
    from mhi.directory.models import Organisation, PartnerInstitution
    from mhi.resources.availability import LONDON
    from mhi.resources.models import Booking, Resource, Tier

    universities = Organisation.objects.bulk_create(
        [
            Organisation(name=f"Bench University {i + 1}", slug=f"bench-university-{i + 1}", kind="university")
            for i in range(7)
        ]
    )
    PartnerInstitution.objects.bulk_create([PartnerInstitution(organisation=o) for o in universities])
    users = User.objects.bulk_create(
        [User(email=f"bench-user-{i}@example.org", full_name=f"User {i}") for i in range(300)]
    )
    Membership.objects.bulk_create(
        [Membership(user=u, organisation=universities[i % 7], role="researcher") for i, u in enumerate(users)]
    )
    owners = rng.choices(range(7), weights=UNIVERSITY_SHARES, k=resources)
    rows = []
    for i in range(resources):
        technique = TECHNIQUES[0] if i % 20 == 0 else rng.choice(TECHNIQUES[1:])
        rows.append(
            Resource(
                organisation=universities[owners[i]],
                uniquip_id=f"BENCH-{i:05d}",
                name=f"{technique} {i}",
                technique=technique,
                instant_booking=rng.random() < 0.7,
                lead_time_hours=24,
                horizon_days=90,
            )
        )
    created = Resource.objects.bulk_create(rows, batch_size=2000)
    first_day = (now - datetime.timedelta(days=round(days * 0.75))).astimezone(LONDON).date()
    statuses = [Booking.Status.CONFIRMED] * 85 + [Booking.Status.REQUESTED] * 10 + [Booking.Status.CANCELLED] * 5
    total = 0
    for chunk_start in range(0, len(created), 250):
        batch = []
        for resource in created[chunk_start : chunk_start + 250]:
            for offset in range(days):
                day = first_day + datetime.timedelta(days=offset)
                if day.isoweekday() > 5:
                    continue
                draw = rng.random()
                count = 0 if draw < 0.68 else (1 if draw < 0.93 else 2)
                # Two bookings of a day: one in the morning, one in the afternoon, so they never overlap.
                for part in range(count):
                    length = rng.randint(2, 6)  # half hours
                    first_slot = part * 8 if count == 2 else 0
                    last_slot = (first_slot + 8 if count == 2 else 16) - length
                    slot = rng.randint(first_slot, last_slot)
                    start = datetime.datetime.combine(day, datetime.time(9), tzinfo=LONDON) + datetime.timedelta(
                        minutes=30 * slot
                    )
                    who = rng.randrange(len(users))  # user `who` is at university who % 7
                    batch.append(
                        Booking(
                            resource=resource,
                            user=users[who],
                            start=start.astimezone(UTC),
                            end=(start + datetime.timedelta(minutes=30 * length)).astimezone(UTC),
                            status=rng.choice(statuses),
                            tier=Tier.INTERNAL
                            if resource.organisation_id == universities[who % 7].pk
                            else Tier.PARTNER,
                        )
                    )
        Booking.objects.bulk_create(batch, batch_size=5000)
        total += len(batch)
    return created, users, total


def bench_free_slots(resources, *, samples: int, rng: random.Random, now) -> list[float]:
    from mhi.resources.availability import free_slots

    timings = []
    for resource in rng.sample(resources, min(samples, len(resources))):
        began = time.perf_counter()
        free_slots(resource=resource, start=now, end=now + datetime.timedelta(days=14), for_booking=True, now=now)
        timings.append(time.perf_counter() - began)
    return timings


def bench_free_between(*, samples: int, rng: random.Random, now) -> tuple[list[float], list[int]]:
    from mhi.resources.availability import LONDON, resources_free_between
    from mhi.resources.models import Resource

    today = now.astimezone(LONDON).date()
    tuesdays = [today + datetime.timedelta(days=(1 - today.weekday()) % 7 + 7 * w) for w in range(8)]
    timings, counts = [], []
    for _ in range(samples):
        day = rng.choice(tuesdays)
        start = datetime.datetime.combine(day, datetime.time(10), tzinfo=LONDON)
        began = time.perf_counter()
        found = list(
            resources_free_between(
                queryset=Resource.objects.filter(technique__iexact="confocal microscopy"),
                start=start,
                end=start + datetime.timedelta(hours=2),
            )
        )
        timings.append(time.perf_counter() - began)
        counts.append(len(found))
    return timings, counts


def bench_concurrent(resources, users, *, clients: int, attempts: int, seed: int, now) -> dict:
    from django.db import connections

    from mhi.accounts.models import User
    from mhi.core.errors import Conflict, DomainError
    from mhi.resources.availability import LONDON
    from mhi.resources.booking import booking_request

    hot = [r for r in resources if r.instant_booking][:200]
    owners = {r.organisation_id for r in hot}
    client_users = [u for u in users if u.pk][:clients]
    tally = {"booked": 0, "conflict": 0, "refused": 0, "error": 0}
    lock = threading.Lock()
    barrier = threading.Barrier(clients)
    today = now.astimezone(LONDON).date()

    def client(index: int) -> None:
        rng = random.Random(seed + index)
        user = User.objects.get(pk=client_users[index].pk)
        counts = dict.fromkeys(tally, 0)
        try:
            barrier.wait()
            for _ in range(attempts):
                resource = rng.choice(hot)
                day = today + datetime.timedelta(days=rng.randint(2, 30))
                while day.isoweekday() > 5:
                    day += datetime.timedelta(days=1)
                start = datetime.datetime.combine(day, datetime.time(9), tzinfo=LONDON) + datetime.timedelta(
                    minutes=30 * rng.randint(0, 14)
                )
                try:
                    booking_request(
                        user=user, resource=resource, start=start, end=start + datetime.timedelta(hours=1), now=now
                    )
                    counts["booked"] += 1
                except Conflict:
                    counts["conflict"] += 1
                except DomainError:
                    counts["refused"] += 1
                except Exception as error:  # reported, not hidden
                    counts["error"] += 1
                    print(f"  client {index}: {type(error).__name__}: {error}", file=sys.stderr)
        finally:
            connections.close_all()
            with lock:
                for key, value in counts.items():
                    tally[key] += value

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return {**tally, "elapsed": elapsed, "owners": len(owners), "hot": len(hot)}


def double_bookings() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM resources_booking a JOIN resources_booking b ON a.resource_id = b.resource_id "
            "AND a.id < b.id AND a.status = 'confirmed' AND b.status = 'confirmed' "
            'AND a.start < b."end" AND b.start < a."end"'
        )
        return cursor.fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--resources", type=int, default=5000)
    parser.add_argument("--days", type=int, default=365, help="days of bookings: 3/4 before today, 1/4 after")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--attempts", type=int, default=100, help="booking attempts per concurrent client")
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mhi-booking-bench-"))
    os.environ.setdefault("MHI_VAR_DIR", str(tmp))
    os.environ.setdefault("MHI_SQLITE_PATH", str(tmp / "bench.sqlite3"))
    os.environ.setdefault("MHI_TASKS_IMMEDIATE", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings

    # Mail goes nowhere: the bench times bookings, not the console.
    override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend").enable()
    call_command("migrate", verbosity=0, skip_checks=True)
    rng = random.Random(args.seed)
    now = datetime.datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    print(f"database: {connection.vendor}; {args.resources} resources, {args.days} days of bookings")

    began = time.perf_counter()
    resources, users, total = build(resources=args.resources, days=args.days, rng=rng, now=now)
    print(f"wrote {total:,} bookings in {time.perf_counter() - began:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    timings = bench_free_slots(resources, samples=args.samples, rng=rng, now=now)
    print(
        f"free slots, one resource, next two weeks: p50 {ms(percentile(timings, 0.5))}, "
        f"p95 {ms(percentile(timings, 0.95))} (target p95 ≤ 100 ms; {len(timings)} resources)"
    )
    timings, counts = bench_free_between(samples=args.samples, rng=rng, now=now)
    confocal = sum(1 for r in resources if r.technique == TECHNIQUES[0])
    print(
        f"confocal microscopes free Tue 10:00–12:00: p50 {ms(percentile(timings, 0.5))}, "
        f"p95 {ms(percentile(timings, 0.95))} (target p95 ≤ 500 ms; {statistics.median(counts):.0f} of {confocal} free)"
    )
    result = bench_concurrent(resources, users, clients=args.clients, attempts=args.attempts, seed=args.seed, now=now)
    attempts = args.clients * args.attempts
    print(
        f"{args.clients} concurrent clients, {attempts} requests on {result['hot']} resources: "
        f"{result['booked']} booked, {result['conflict']} conflicts, {result['refused']} refused, "
        f"{result['error']} errors in {result['elapsed']:.1f} s = {result['booked'] / result['elapsed']:.0f} bookings/s "
        f"({attempts / result['elapsed']:.0f} requests/s)"
    )
    print(f"double bookings (SQL self-join over every confirmed booking): {double_bookings()}")


if __name__ == "__main__":
    main()
