"""Access rules for mhi.bids pages (merged into tests/test_permissions.py)."""

PAGES: dict = {}
