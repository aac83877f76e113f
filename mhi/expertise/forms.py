from django import forms

from mhi.core.forms import GovukPlainForm
from mhi.directory.models import Organisation, Person


class ExpertiseSearchForm(GovukPlainForm):
    q = forms.CharField(
        label="What expertise do you need?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="A few words, an abstract, or the text of a funding call",
    )
    organisation_kind = forms.ChoiceField(
        label="Kind of organisation",
        required=False,
        choices=[("", "Any"), *[(k, v) for k, v in Organisation.Kind.choices if k not in ("icb", "local_government")]],
    )
    person_kind = forms.ChoiceField(
        label="Kind of person", required=False, choices=[("", "Anyone"), *Person.Kind.choices]
    )
    partners_only = forms.BooleanField(label="Only people at MHI partner universities", required=False)
    active_years = forms.TypedChoiceField(
        label="Active in",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any time"), ("3", "The last 3 years"), ("5", "The last 5 years"), ("10", "The last 10 years")],
    )
