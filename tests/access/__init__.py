"""Access rules for the permission matrix (tests/test_permissions.py), one module per app that has many.

Each module defines PAGES and API_OPERATIONS in the same shapes as the matrix and is merged into it, so
a new app's pages are written down beside each other without every change touching one long file.
"""
