"""Access rules for the responses drafting pages and API operations (merged into tests/test_permissions.py)."""

PAGES: dict = {}
API_OPERATIONS: dict = {}
