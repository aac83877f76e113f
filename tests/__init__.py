"""Cross-cutting tests: browser (e2e) and accessibility checks. App tests live beside each app in mhi/."""
