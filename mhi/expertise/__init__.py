"""Expertise: works and grants, their importers, the semantic index and ranking people for a text."""
