"""Forms for studies: the list's filters, a study's fields, ClinicalTrials.gov import and planned sites."""

from django import forms
from django.forms.models import fields_for_model

from mhi.core.forms import GovukPlainForm
from mhi.studies.models import Phase, SponsorClass, Study, StudySiteStatus, StudyStatus
from mhi.studies.studies import EDITABLE_FIELDS, site_choices

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _blank(choices, label="Any"):
    return [("", label), *choices]


class StudyFilterForm(GovukPlainForm):
    q = forms.CharField(label="Words", required=False, max_length=200, help_text="Title, NCT number, sponsor, ...")
    condition = forms.CharField(label="Condition", required=False, max_length=120)
    phase = forms.ChoiceField(label="Phase", required=False, choices=_blank(Phase.choices))
    sponsor_class = forms.ChoiceField(label="Sponsor", required=False, choices=_blank(SponsorClass.choices))
    status = forms.ChoiceField(label="Status", required=False, choices=_blank(StudyStatus.choices))


_STUDY_FIELDS = fields_for_model(
    Study,
    fields=EDITABLE_FIELDS,
    widgets={
        "start_date": DATE,
        "end_date": DATE,
        "summary": forms.Textarea(attrs={"rows": 5}),
        "conditions": forms.Textarea(attrs={"rows": 3}),
        "eligibility_summary": forms.Textarea(attrs={"rows": 5}),
    },
    labels={"nct_id": "NCT number", "sponsor_class": "Sponsor class"},
    help_texts={
        "sponsor_class": "A commercial study is confidential: only coordinators, its owner and the sites invited "
        "to it or planned for it see it.",
    },
)
for _name in ("title",):
    _STUDY_FIELDS[_name].required = True
for _name in ("nct_id",):
    _STUDY_FIELDS[_name].required = False

StudyForm = type(
    "StudyForm",
    (GovukPlainForm,),
    {
        **_STUDY_FIELDS,
        "version": forms.IntegerField(widget=forms.HiddenInput, required=False),
        "__doc__": "A study's own fields (the service checks them again); `version` is the version edited from.",
        "__module__": __name__,
    },
)


def study_initial(study: Study) -> dict:
    initial = {name: getattr(study, name) for name in EDITABLE_FIELDS}
    initial["version"] = study.version
    return initial


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else single(data, initial)


class CtgovImportForm(GovukPlainForm):
    files = MultipleFileField(
        label="ClinicalTrials.gov files",
        help_text="One or more records: API v2 JSON, the classic FullStudiesResponse JSON or the legacy XML.",
    )
    update = forms.BooleanField(
        label="Update studies already in the hub",
        required=False,
        help_text="Without this, a file whose NCT number is already in the hub is refused.",
    )
    dry_run = forms.BooleanField(
        label="Check only (preview: nothing is saved)",
        required=False,
    )


class SiteAddForm(GovukPlainForm):
    site = forms.ModelChoiceField(
        label="Site", queryset=site_choices(), empty_label="Choose an NHS trust or research facility"
    )
    status = forms.ChoiceField(label="Status", choices=StudySiteStatus.choices, initial=StudySiteStatus.PLANNED)
    local_pi = forms.CharField(label="Local PI", required=False, max_length=200)
    target = forms.IntegerField(label="Recruitment target", required=False)
    monthly_target = forms.IntegerField(label="Monthly target", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = site_choices()


class SiteUpdateForm(GovukPlainForm):
    status = forms.ChoiceField(label="Status", choices=StudySiteStatus.choices)
    local_pi = forms.CharField(label="Local PI", required=False, max_length=200)
    target = forms.IntegerField(label="Recruitment target", required=False)
    monthly_target = forms.IntegerField(label="Monthly target", required=False)
    opened_on = forms.DateField(label="Opened on", required=False, widget=DATE)
    closed_on = forms.DateField(label="Closed on", required=False, widget=DATE)


class StudyStatusForm(GovukPlainForm):
    status = forms.ChoiceField(label="Study status", choices=StudyStatus.choices)
