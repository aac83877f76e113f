"""Access rules for mhi.resources API operations (merged into tests/test_permissions.py)."""

API_OPERATIONS: dict = {}
