"""Forms of the sign-off pages: a lead's decision, and a coordinator's reason for unlocking."""

from django import forms

from mhi.core.forms import GovukPlainForm
from mhi.responses.models import Decision


class DecisionForm(GovukPlainForm):
    """Approve or request changes, for one signatory institution, on the revision the lead read."""

    organisation = forms.ChoiceField(label="Deciding for", choices=())
    decision = forms.ChoiceField(
        label="Your decision",
        choices=[(Decision.APPROVED, "Approve this final draft"), (Decision.CHANGES_REQUESTED, "Request changes")],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="Comment",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Required when you request changes: say what needs to change and where.",
    )
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [(o.slug, o.name) for o in organisations]
        if len(organisations) == 1:
            self.fields["organisation"].widget = forms.HiddenInput(attrs={"class": ""})
            self.fields["organisation"].initial = organisations[0].slug
        self.fields["decision"].widget.attrs["class"] = "govuk-radios__input"


class UnlockForm(GovukPlainForm):
    reason = forms.CharField(
        label="Why unlock it",
        max_length=250,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the trail. Every approval is voided and the response goes back to drafting.",
    )
