"""Access rules for mhi.bids API operations (merged into tests/test_permissions.py)."""

API_OPERATIONS: dict = {}
