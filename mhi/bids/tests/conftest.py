"""Bid tests write documents to a private root of their own, a temporary folder per test, never under the
checkout's var/ (the private storage reads MHI_PRIVATE_ROOT on every use)."""

import pytest
from django.test.utils import override_settings


@pytest.fixture(autouse=True)
def private_root(tmp_path):
    root = tmp_path / "private"
    with override_settings(MHI_PRIVATE_ROOT=root):
        yield root
