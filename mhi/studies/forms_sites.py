"""Forms of the sites pages: the site search, a site's research profile, the infrastructure filter and the
prevalence upload."""

from django import forms

from mhi.core.forms import GovukModelForm, GovukPlainForm
from mhi.directory.models import Organisation
from mhi.studies.models import SITE_KINDS, SiteProfile
from mhi.studies.sites import PROFILE_FIELDS

KIND_CHOICES = [("", "Trusts and research infrastructure")] + [
    (value, label) for value, label in Organisation.Kind.choices if value in SITE_KINDS
]


class SiteFilterForm(GovukPlainForm):
    q = forms.CharField(label="Words in the name or town", required=False, max_length=200)
    specialty = forms.CharField(
        label="Specialty", required=False, max_length=200, help_text="For example “diabetes” or “respiratory”."
    )
    icb = forms.ChoiceField(label="Integrated care board", required=False)
    kind = forms.ChoiceField(label="Kind of site", required=False, choices=KIND_CHOICES)

    def __init__(self, *args, icbs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["icb"].choices = [("", "Any ICB")] + [(icb.ods_code, icb.name) for icb in icbs if icb.ods_code]


class SiteProfileForm(GovukModelForm):
    class Meta:
        model = SiteProfile
        fields = list(PROFILE_FIELDS)
        widgets = {
            "specialties": forms.Textarea(attrs={"rows": 6}),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }


class InfrastructureFilterForm(GovukPlainForm):
    type = forms.ChoiceField(label="Type", required=False)
    partner = forms.ChoiceField(label="Partner university", required=False)

    def __init__(self, *args, types=(), partners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [("", "Every type")] + list(types)
        self.fields["partner"].choices = [("", "Any university")] + [(p.slug, p.name) for p in partners]


class PrevalenceUploadForm(GovukPlainForm):
    file = forms.FileField(
        label="Prevalence CSV file",
        help_text="UTF-8 CSV with the columns condition_key, condition, area_code, area_name, percent, "
        "population_basis, year, source.",
    )
