"""Forms of the front door: the public enquiry form and the coordinators' routing and status forms."""

from django import forms

from mhi.core.forms import GovukPlainForm
from mhi.expertise.models import Enquiry

DESCRIPTION_MIN = 30
DESCRIPTION_MAX = 5000


class EnquiryForm(GovukPlainForm):
    """Every message names its field, so the error summary and the API read well on their own."""

    enquirer_kind = forms.ChoiceField(
        label="Who are you enquiring as?",
        choices=[("", "Choose one"), *Enquiry.EnquirerKind.choices],
        error_messages={
            "required": "Select who you are enquiring as",
            "invalid_choice": "Select who you are enquiring as from the list",
        },
    )
    name = forms.CharField(
        label="Your name",
        max_length=200,
        error_messages={
            "required": "Enter your name",
            "max_length": "Your name must be 200 characters or fewer",
        },
    )
    organisation_name = forms.CharField(
        label="Organisation (optional)",
        max_length=300,
        required=False,
        error_messages={"max_length": "Organisation must be 300 characters or fewer"},
    )
    email = forms.EmailField(
        label="Email address",
        help_text="We send an acknowledgement here and use it to reply.",
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
    )
    title = forms.CharField(
        label="What is your enquiry about?",
        help_text="A short title, for example “Testing a wearable sensor with heart failure patients”.",
        max_length=300,
        error_messages={
            "required": "Enter what your enquiry is about",
            "max_length": "What your enquiry is about must be 300 characters or fewer",
        },
    )
    description = forms.CharField(
        label="Describe what you need",
        help_text=(
            f"Between {DESCRIPTION_MIN} and {DESCRIPTION_MAX:,} characters: the problem, the expertise, equipment "
            "or patients you need, and any timescales."
        ),
        min_length=DESCRIPTION_MIN,
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={
            "required": "Enter a description of what you need",
            "min_length": f"Description must be at least {DESCRIPTION_MIN} characters",
            "max_length": f"Description must be {DESCRIPTION_MAX:,} characters or fewer",
        },
    )
    contact_consent = forms.BooleanField(
        label="The people MHI passes my enquiry to may contact me directly",
        help_text="If you leave this unticked, an MHI coordinator puts you in touch and your email is not shared.",
        required=False,
    )
    # The honeypot: hidden from sight and from the tab order; people leave it empty, form-filling bots don't.
    website = forms.CharField(
        label="Leave this empty",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean_description(self):
        description = self.cleaned_data["description"].strip()
        if len(description) < DESCRIPTION_MIN:
            raise forms.ValidationError(self.fields["description"].error_messages["min_length"], code="min_length")
        return description


class StatusField(forms.ChoiceField):
    """Offers the statuses the enquiry may move to, but accepts any status, so a move that another
    coordinator made impossible meanwhile gets the service's explanation rather than "not a valid choice"."""

    def valid_value(self, value):
        return value in Enquiry.Status.values


class EnquiryStatusForm(GovukPlainForm):
    status = StatusField(
        label="New status",
        error_messages={"required": "Select the new status", "invalid_choice": "Select the new status from the list"},
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "Note must be 2,000 characters or fewer"},
    )

    def __init__(self, *args, next_statuses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(s, Enquiry.Status(s).label) for s in next_statuses]


class EnquiryRouteForm(GovukPlainForm):
    people = forms.MultipleChoiceField(
        label="Suggested people",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Select people from the suggestions"},
    )
    other_people = forms.CharField(
        label="Other people (optional)",
        help_text="Their profile addresses, for example daniel-mercer, one per line or separated by commas.",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    note = forms.CharField(
        label="Note to the contacts (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "Note must be 2,000 characters or fewer"},
    )

    def __init__(self, *args, suggestions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].choices = [(p.slug, p.display_name) for p in suggestions]

    def clean(self):
        data = super().clean()
        # A pasted profile URL works as well as its slug.
        other = [t.rstrip("/").rsplit("/", 1)[-1] for t in (data.get("other_people") or "").replace(",", " ").split()]
        data["slugs"] = [*data.get("people", []), *other]
        if not data["slugs"] and "people" not in self.errors:
            self.add_error("people", "Choose at least one person to route the enquiry to")
        return data


class EnquiryFilterForm(GovukPlainForm):
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "All statuses"), *Enquiry.Status.choices],
        error_messages={"invalid_choice": "Select a status from the list"},
    )
