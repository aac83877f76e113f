"""Accounts, roles per organisation, invitations and personal API tokens."""
