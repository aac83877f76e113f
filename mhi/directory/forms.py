from django import forms

from mhi.core.forms import GovukModelForm, GovukPlainForm
from mhi.core.validators import orcid_normalise
from mhi.directory.models import Organisation, Person


class OrganisationFilterForm(GovukPlainForm):
    q = forms.CharField(label="Search", required=False, help_text="Name, town, ODS code, UKPRN or theme")
    kind = forms.ChoiceField(label="Kind", required=False, choices=[("", "Any kind"), *Organisation.Kind.choices])
    region = forms.ChoiceField(
        label="Region", required=False, choices=[("", "Any region"), *Organisation.Region.choices]
    )
    icb = forms.ChoiceField(label="Integrated care board", required=False)

    def __init__(self, *args, icbs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["icb"].choices = [("", "Any ICB")] + [(i.ods_code, i.name) for i in icbs]


class PeopleFilterForm(GovukPlainForm):
    q = forms.CharField(label="Search", required=False, help_text="Name, department, job title or ORCID iD")
    kind = forms.ChoiceField(label="Kind", required=False, choices=[("", "Anyone"), *Person.Kind.choices])
    organisation = forms.ChoiceField(label="Organisation", required=False)

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [("", "Any organisation")] + [(o.slug, o.name) for o in organisations]


class PersonProfileForm(GovukModelForm):
    # Wider than the stored iD so a pasted https://orcid.org/... URL is accepted and normalised.
    orcid = forms.CharField(
        label="ORCID iD",
        max_length=60,
        required=False,
        help_text="16 digits in groups of four, for example 0000-0002-1825-0097",
    )

    class Meta:
        model = Person
        fields = ["title", "given_name", "family_name", "kind", "orcid", "email", "biography", "public_profile_consent"]
        labels = {"public_profile_consent": "Show my profile publicly"}
        help_texts = {
            "public_profile_consent": "Without this, only signed-in MHI colleagues who manage your institution can see your profile. Your email address is never shown publicly.",
        }

    def clean_orcid(self):
        value = self.cleaned_data["orcid"].strip()
        return orcid_normalise(value) if value else None
