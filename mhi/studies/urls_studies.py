"""Pages: studies and ClinicalTrials.gov import."""

urlpatterns: list = []
