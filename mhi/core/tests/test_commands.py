"""The `mhi` command, `mhi demo` and the task worker."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from mhi.accounts.models import Membership, User
from mhi.core.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_PEOPLE, demo_seed, demo_totp_code
from mhi.core.models import AuditEvent
from mhi.directory.models import Person

ROOT = Path(__file__).resolve().parents[3]


def test_mhi_accepts_dashed_command_names(tmp_path):
    env = {**os.environ, "MHI_VAR_DIR": str(tmp_path)}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "mhi.cli", "load-reference", "--help"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "Load universities, NHS trusts, ICBs" in result.stdout


def test_demo_prepares_data_and_prints_the_logins(db):
    out = StringIO()
    call_command("demo", "--no-serve", stdout=out)
    text = out.getvalue()
    assert "MHI Hub is starting at http://127.0.0.1:8000/" in text
    assert f"password for all: {DEMO_PASSWORD}" in text
    for account in DEMO_ACCOUNTS:
        assert account.email in text
    assert Person.objects.filter(is_fictional=True).count() == len(DEMO_PEOPLE)
    assert User.objects.count() == len(DEMO_ACCOUNTS)
    coordinator = User.objects.get(email="coordinator@demo.example.org")
    assert coordinator.check_password(DEMO_PASSWORD)
    assert Membership.objects.get(user=coordinator).role == "coordinator"
    # Every demo record went through the audit trail: 24 people, 24 affiliations, the company, 6 roles,
    # 3 people linked to their accounts and 6 opportunities (the other modules' own demo data is counted by their
    # tests).
    core_events = AuditEvent.objects.filter(source="mhi demo").exclude(
        content_type__app_label__in=["bids", "resources", "studies", "responses"]
    )
    assert core_events.count() == 24 + 24 + 1 + 6 + 3 + 6
    assert "Demo bids ready (9 created)." in text
    assert "Demo equipment and facilities ready (17 resources, 8 bookings and 4 inductions created)." in text
    assert (
        "Demo studies ready (4 studies, 10 site profiles, 1 feasibility request and 18 recruitment months created)."
        in text
    )
    assert "Demo joint responses ready (2 created)." in text
    assert "REF2014 impact case studies of the seven universities: 103 created" in text
    from mhi.opportunities.models import Opportunity

    statuses = sorted(o.status for o in Opportunity.objects.all())
    assert statuses == ["closed", "closing_soon", "forthcoming", "open", "open", "open"]


def test_demo_twice_changes_nothing(db):
    call_command("demo", "--no-serve", stdout=StringIO())
    assert demo_seed() == {"people": 0, "accounts": 0}
    assert Membership.objects.count() == len(DEMO_ACCOUNTS)
    from mhi.core.demo import demo_impact_cases_load, demo_opportunities_load

    assert demo_opportunities_load() == 0
    assert demo_impact_cases_load() == "0 created, 0 updated, 103 unchanged"


def test_demo_code_is_the_current_totp_of_a_demo_account(db):
    call_command("demo", "--no-serve", stdout=StringIO())
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    code = demo_totp_code("coordinator@demo.example.org")
    totp = TOTP(Authenticator.objects.get(user__email="coordinator@demo.example.org", type="totp"))
    assert totp.validate_code(code) is True


def test_demo_code_refuses_other_accounts(db):
    with pytest.raises(CommandError, match="is not a demo account with two-factor authentication"):
        call_command("demo_code", "someone@example.org")


# The worker closes database connections between tasks, as it should, so this test commits for real.
@pytest.mark.django_db(transaction=True)
@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
def test_worker_runs_queued_tasks(world):
    from mhi.accounts.services import invitation_create

    invitation_create(
        inviter=world.users["aston_admin"],
        email="queued@aston.example.org",
        role="researcher",
        organisation=world.aston,
    )
    assert mail.outbox == []  # queued, not sent
    call_command("worker", "--batch", stdout=StringIO(), stderr=StringIO())
    assert [m.to for m in mail.outbox] == [["queued@aston.example.org"]]
