"""Forms for recruitment tracking: record (or correct) one site's month, and upload a CSV of site-months."""

from django import forms

from mhi.core.forms import GovukPlainForm

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class SiteChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        code = f" ({obj.site.ods_code})" if obj.site.ods_code else ""
        return f"{obj.site.name}{code}"


class RecruitmentRecordForm(GovukPlainForm):
    """`study_sites`: the sites the user may record for (the only choices offered)."""

    study_site = SiteChoiceField(label="Site", queryset=None, empty_label=None)
    month = forms.CharField(
        label="Month",
        max_length=10,
        help_text="As YYYY-MM, for example 2026-03. The current month or earlier.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    # No minimum here: the service refuses a negative count with its own message.
    recruited = forms.IntegerField(
        label="Participants recruited", widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    correct = forms.BooleanField(
        label="This corrects a month already recorded",
        required=False,
        help_text="Replaces the recorded count; the change is kept in the audit trail.",
    )

    def __init__(self, *args, study_sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["study_site"].queryset = study_sites
        self.fields["recruited"].widget.attrs["class"] += " govuk-input--width-5"
        self.fields["month"].widget.attrs["class"] += " govuk-input--width-10"


class RecruitmentUploadForm(GovukPlainForm):
    file = forms.FileField(label="CSV file", help_text="One row per site and month; at most 5 MB.")
    replace = forms.BooleanField(
        label="Replace existing months",
        required=False,
        help_text="Months already recorded take the file's count instead of being refused.",
    )

    def __init__(self, *args, may_replace: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_replace:
            del self.fields["replace"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB.")
        return upload
