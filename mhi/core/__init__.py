"""Cross-cutting pieces: audit trail, identifier validators, import framework, UI helpers."""
