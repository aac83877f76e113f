"""Access rules for the studies recruitment pages and API operations (merged into tests/test_permissions.py)."""

PAGES: dict = {}
API_OPERATIONS: dict = {}
