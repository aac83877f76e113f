"""Forms of the feasibility loop: sending a request (sites by specialty, ICB or suggestion; deadline, message,
reminder days), the site's questionnaire, and closing a request with the sites chosen.

The checks that are rules of the domain (a deadline in the future, reminder days as whole numbers, a
non-negative monthly recruitment) are the service's (mhi.studies.feasibility); the forms make the same check
first so the message appears at its field, with the same words.
"""

import datetime

from django import forms
from django.utils import timezone

from mhi.core.errors import DomainError
from mhi.core.forms import GovukPlainForm
from mhi.studies import feasibility
from mhi.studies.models import Answer, Interest


class SiteIdsField(forms.Field):
    """The ids of ticked sites (checkboxes named alike, rendered by the template); checked by the service."""

    widget = forms.CheckboxSelectMultiple

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        return [str(v).strip() for v in value if str(v).strip()]


class FeasibilityRequestForm(GovukPlainForm):
    specialty = forms.CharField(label="Specialty", required=False, max_length=120, help_text="For example diabetes.")
    icb = forms.ChoiceField(label="Integrated care board", required=False)
    q = forms.CharField(label="Name, town or ODS code", required=False, max_length=120)
    sites = SiteIdsField(label="Sites", required=False)
    deadline = forms.DateField(
        label="Deadline for answers",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Sites can answer until the end of this day. It must be in the future.",
        error_messages={"required": "Give the deadline for answers.", "invalid": "Give the deadline as a date."},
    )
    message = forms.CharField(
        label="Message to the sites",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )
    reminder_days = forms.CharField(
        label="Reminder days",
        required=False,
        initial="7,2",
        max_length=60,
        help_text="Days before the deadline to remind the sites that have not answered, separated by commas.",
    )

    def __init__(self, *args, icb_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["icb"].choices = [("", "Any ICB"), *icb_choices]
        self.fields["deadline"].widget.attrs["min"] = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        today = timezone.localdate()
        if deadline <= today:
            raise forms.ValidationError(
                f"The deadline must be in the future (after {today:%-d %B %Y}); {deadline:%-d %B %Y} is not."
            )
        return deadline

    def clean_reminder_days(self):
        value = self.cleaned_data["reminder_days"]
        try:
            days = feasibility.parse_reminder_days(value)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None
        return ",".join(str(d) for d in days)


ANSWER_CHOICES = [("", "Not answered"), *Answer.choices]


class FeasibilityAnswerForm(GovukPlainForm):
    interest = forms.ChoiceField(
        label="Is your site interested in taking part?",
        choices=Interest.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the site is interested: yes, maybe or no."},
    )
    local_pi = forms.CharField(label="Local PI", required=False, max_length=200)
    local_pi_email = forms.EmailField(label="Local PI email", required=False)
    monthly_recruitment = forms.CharField(
        label="Estimated participants a month",
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-5"}),
        help_text="A whole number, 0 or more.",
    )
    capacity = forms.ChoiceField(label="Capacity and capability", choices=ANSWER_CHOICES, required=False)
    capacity_note = forms.CharField(
        label="Capacity and capability note", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    pharmacy = forms.ChoiceField(label="Clinical trials pharmacy", choices=ANSWER_CHOICES, required=False)
    imaging = forms.ChoiceField(label="Imaging", choices=ANSWER_CHOICES, required=False)
    earliest_start = forms.DateField(
        label="Earliest start",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Give the earliest start as a date."},
    )
    comments = forms.CharField(label="Comments", required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def clean_monthly_recruitment(self):
        value = self.cleaned_data["monthly_recruitment"].strip()
        if not value:
            return None
        try:
            cleaned = feasibility._clean_answers({"interest": Interest.YES, "monthly_recruitment": value})
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None
        return cleaned["monthly_recruitment"]

    def answers(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in feasibility.ANSWER_FIELDS}


class FeasibilityCloseForm(GovukPlainForm):
    sites = SiteIdsField(label="Sites chosen", required=False)
    decision_note = forms.CharField(
        label="Decision note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Why these sites were chosen. The sites are told the outcome.",
    )
