"""Form: run site placement for a study. The limits are checked by the service (mhi.studies.placement), whose
refusals are shown at the field they name."""

from django import forms

from mhi.core.forms import GovukPlainForm
from mhi.studies.models import PlacementObjective
from mhi.studies.placement import DEFAULT_HORIZON, MAX_HORIZON


class PlacementForm(GovukPlainForm):
    objective = forms.ChoiceField(choices=PlacementObjective.choices, initial=PlacementObjective.SOONEST)
    max_sites = forms.IntegerField(
        label="Most sites",
        required=False,
        help_text="Needed for “at most N sites”; applies to any objective when given.",
    )
    budget = forms.DecimalField(
        label="Set-up budget (£)",
        required=False,
        max_digits=12,
        decimal_places=2,
        help_text="Needed for “within a budget” (the study's own budget when left empty); applies to any "
        "objective when given. Sites with no known set-up cost are left out under a budget.",
    )
    horizon_months = forms.IntegerField(
        label="Horizon (months)",
        initial=DEFAULT_HORIZON,
        help_text=f"How far ahead to look, from 1 to {MAX_HORIZON} months.",
    )
