"""Forms for matching: saved searches, digest settings and expressions of interest, in GOV.UK markup. The rules
(unique names, the note's length) are checked by the services, so the page and the API give the same message."""

from django import forms

from mhi.core.forms import GovukModelForm, GovukPlainForm
from mhi.opportunities.models import DigestFrequency, ExpressionOfInterest, Kind, SavedSearch


class SavedSearchForm(GovukModelForm):
    kind = forms.ChoiceField(label="Only this kind", choices=[("", "Any kind"), *Kind.choices], required=False)

    class Meta:
        model = SavedSearch
        fields = ["name", "query", "kind", "in_digest"]
        labels = {"name": "Name", "query": "What you are looking for", "in_digest": "Include in my digest"}
        help_texts = {
            "name": "For you to tell your searches apart, for example “Diabetes calls”.",
            "query": "A few words or a paragraph, such as the abstract of your next study. Opportunities are "
            "matched by meaning as well as by these words.",
            "in_digest": "Email me opportunities that match this search, as often as my digest settings say.",
        }
        widgets = {"query": forms.Textarea(attrs={"rows": 4})}


class DigestSettingsForm(GovukPlainForm):
    frequency = forms.ChoiceField(
        label="How often", choices=DigestFrequency.choices, widget=forms.RadioSelect, initial=DigestFrequency.NEVER
    )
    include_profile_matches = forms.BooleanField(
        label="Include opportunities that match my publications",
        required=False,
        help_text="As well as those that match my saved searches.",
    )


class InterestForm(GovukPlainForm):
    note = forms.CharField(
        label="A short note (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=f"What you would bring to a bid, or who you would like to work with; up to "
        f"{ExpressionOfInterest.NOTE_MAX:,} characters. MHI coordinators and your institution's admins see it.",
    )
