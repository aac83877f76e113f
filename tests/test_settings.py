"""Settings come from the environment with safe defaults; production settings pass `check --deploy`."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def _run_mhi(args, env_extra, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MHI_", "DATABASE_URL"))}
    env.update({"MHI_VAR_DIR": str(tmp_path), **env_extra})
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "mhi.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    result = _run_mhi(
        ["check", "--deploy", "--fail-level", "WARNING"],
        {"MHI_SECRET_KEY": secrets.token_urlsafe(50), "MHI_HTTPS": "1", "MHI_ALLOWED_HOSTS": "hub.example.org"},
        tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_flags_the_demo_defaults(tmp_path):
    result = _run_mhi(["check", "--deploy", "--fail-level", "WARNING"], {}, tmp_path)
    assert result.returncode == 1
    assert "security.W004" in result.stderr  # no HSTS without MHI_HTTPS


def test_secret_key_is_generated_once_and_kept_private(tmp_path):
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    first = _run_mhi(["shell", "--no-imports", "-c", code], {}, tmp_path)
    second = _run_mhi(["shell", "--no-imports", "-c", code], {}, tmp_path)
    assert first.stdout.strip() == second.stdout.strip() == (tmp_path / "secret_key").read_text().strip()
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_database_url_selects_postgresql(tmp_path):
    code = (
        "from django.conf import settings; d = settings.DATABASES['default']; print(d['ENGINE'], d['NAME'], d['HOST'])"
    )
    result = _run_mhi(
        ["shell", "--no-imports", "-c", code], {"DATABASE_URL": "postgres://mhi:pw@db.internal:5432/mhi_hub"}, tmp_path
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "mhi_hub", "db.internal"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite pragmas only apply to the SQLite backend")
def test_sqlite_runs_in_wal_mode_with_immediate_transactions_and_a_busy_timeout(tmp_path):
    code = (
        "from django.db import connection\n"
        "c = connection.cursor()\n"
        "print(c.execute('PRAGMA journal_mode').fetchone()[0], c.execute('PRAGMA busy_timeout').fetchone()[0],"
        " c.execute('PRAGMA foreign_keys').fetchone()[0])\n"
        "print(connection.settings_dict['OPTIONS']['transaction_mode'])"
    )
    result = _run_mhi(["shell", "--no-imports", "-c", code], {}, tmp_path)
    assert result.stdout.split() == ["wal", "20000", "1", "IMMEDIATE"], result.stderr


def test_email_is_console_by_default_and_smtp_when_configured(tmp_path):
    code = "from django.conf import settings; print(settings.EMAIL_BACKEND)"
    assert (
        _run_mhi(["shell", "--no-imports", "-c", code], {}, tmp_path).stdout.strip()
        == "django.core.mail.backends.console.EmailBackend"
    )
    smtp = _run_mhi(["shell", "--no-imports", "-c", code], {"MHI_EMAIL_HOST": "smtp.example.org"}, tmp_path)
    assert smtp.stdout.strip() == "django.core.mail.backends.smtp.EmailBackend"


def test_tests_run_tasks_inline():
    assert settings.TASKS["default"]["BACKEND"] == "django_tasks.backends.immediate.ImmediateBackend"
