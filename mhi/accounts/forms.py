from django import forms

from mhi.core.forms import GovukPlainForm


class TokenCreateForm(GovukPlainForm):
    name = forms.CharField(
        label="Token name", max_length=100, help_text="What the token is for, for example “nightly import”"
    )


class InvitationForm(GovukPlainForm):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(label="Role")
    organisation = forms.ChoiceField(
        label="Organisation", required=False, help_text="Not needed for an MHI coordinator"
    )

    def __init__(self, *args, roles=(), organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = list(roles)
        self.fields["organisation"].choices = [("", "Choose an organisation")] + [
            (str(o.pk), o.name) for o in organisations
        ]
