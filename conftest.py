"""Test-suite environment, for every test under mhi/ and tests/.

What the tests need: background tasks run inline (MHI_TASKS_IMMEDIATE=1), static files come straight from
static/dist without a collectstatic manifest (MHI_PLAIN_STATIC=1), and nothing is written under ./var
(MHI_VAR_DIR is a temporary directory).

pytest-django imports config.settings *before* pytest reads any conftest.py, so the environment variables
set here only reach the settings module when something sets them earlier: `make test` does. For a bare
`pytest`, the same choices are applied below to the already-loaded settings with override_settings, which
also sends setting_changed so cached task backends and storages are rebuilt.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

_var_dir = None
if not os.environ.get("MHI_VAR_DIR"):
    _var_dir = tempfile.mkdtemp(prefix="mhi-test-var-")
    atexit.register(shutil.rmtree, _var_dir, ignore_errors=True)
    os.environ["MHI_VAR_DIR"] = _var_dir
os.environ.setdefault("MHI_TASKS_IMMEDIATE", "1")
os.environ.setdefault("MHI_PLAIN_STATIC", "1")


def _apply_test_settings() -> None:
    from django.conf import settings
    from django.test.utils import override_settings

    if not settings.configured:  # pragma: no cover - pytest-django always configures settings first
        return
    var_dir = Path(os.environ["MHI_VAR_DIR"])
    (var_dir / "static").mkdir(parents=True, exist_ok=True)  # whitenoise warns when STATIC_ROOT is missing
    overrides = {
        "MEDIA_ROOT": var_dir / "media",
        "MHI_PRIVATE_ROOT": var_dir / "private",
        "STATIC_ROOT": var_dir / "static",
        "TASKS": {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
        "WHITENOISE_USE_FINDERS": True,
        "STORAGES": {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        # The tests serve feeds on 127.0.0.1 (test_feeds.py checks the refusal with this off).
        "MHI_FEEDS_ALLOW_PRIVATE_ADDRESSES": True,
        # Hashing passwords at full strength makes every test that creates a user slow.
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    }
    # Only what differs, so a deliberate outside choice (for example a real task backend) is not undone.
    changed = {k: v for k, v in overrides.items() if getattr(settings, k, None) != v}
    if os.environ.get("MHI_TASKS_IMMEDIATE") not in {"1", "true", "yes", "on"}:
        changed.pop("TASKS", None)
    if changed:
        override_settings(**changed).enable()


_apply_test_settings()


@pytest.fixture
def world(db):
    """The permission personas and their organisations (tests/personas.py)."""
    from tests.personas import build_world

    return build_world()
