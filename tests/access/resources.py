"""Access rules for mhi.resources pages (merged into tests/test_permissions.py)."""

PAGES: dict = {}
