"""Forms for bids pages, in GOV.UK markup: the list's filters, creating and editing a bid (with the version it
was read at), moving it between stages, its team and partners, uploads and comments."""

from django import forms
from django.core.exceptions import ValidationError

from mhi.bids.models import Bid, MemberRole, PartnerRole, Stage
from mhi.core.forms import GovukPlainForm
from mhi.directory.models import Organisation
from mhi.opportunities.intake import theme_list
from mhi.opportunities.teams import people_resolve

PERSON_HINT = "Their name as the directory has it, or their profile address, for example naomi-clarke."
MAX_REMINDER_DAY = 365


def _organisations():
    return Organisation.objects.order_by("name")


class BidFilterForm(GovukPlainForm):
    q = forms.CharField(label="Search", required=False, help_text="Words in the title, summary or opportunity")
    stage = forms.ChoiceField(label="Stage", required=False, choices=[("", "Any stage"), *Stage.choices])
    institution = forms.TypedChoiceField(
        label="Institution", required=False, coerce=int, empty_value=None, help_text="Leading or a partner"
    )
    funder = forms.ChoiceField(label="Funder", required=False)
    theme = forms.ChoiceField(label="Theme", required=False)

    def __init__(self, *args, institutions=(), funders=(), themes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].choices = [("", "Any institution")] + [(o.pk, o.name) for o in institutions]
        self.fields["funder"].choices = [("", "Any funder")] + [(f, f) for f in funders]
        self.fields["theme"].choices = [("", "Any theme")] + [(t, t) for t in themes]


class PersonField(forms.CharField):
    """A person the user may see, named as the team builder names them (name, profile address or ORCID iD)."""

    def __init__(self, *args, user=None, **kwargs):
        kwargs.setdefault("help_text", PERSON_HINT)
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        people, problems = people_resolve(user=self.user, names=[value])
        if problems:
            raise ValidationError(problems[0])
        return people[0]


def _reminder_days(text: str) -> list[int]:
    days = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= MAX_REMINDER_DAY:
            raise ValidationError(
                f"“{part}” is not a number of days: give whole numbers from 1 to {MAX_REMINDER_DAY}, "
                "separated by commas, for example 14, 7, 1."
            )
        days.append(int(part))
    return sorted(set(days), reverse=True)


class BidFieldsForm(GovukPlainForm):
    """The bid's own fields (services.EDITABLE_FIELDS, less value awarded unless the bid is awarded)."""

    title = forms.CharField(label="Title", max_length=300)
    lead_organisation = forms.ModelChoiceField(
        label="Lead organisation", queryset=Organisation.objects.none(), empty_label="Choose the lead organisation"
    )
    lead_person = PersonField(label="Lead person", required=False, max_length=200)
    summary = forms.CharField(
        label="Non-confidential summary",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="May be published if the bid is awarded. Keep confidential detail for the case for support.",
    )
    case = forms.CharField(
        label="Case for support (confidential)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Only the team, coordinators and the admins of the bid's institutions can read it.",
    )
    themes = forms.CharField(
        label="Themes", required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="One theme per line"
    )
    value_requested = forms.DecimalField(
        label="Value requested (£)", required=False, min_value=0, max_digits=14, decimal_places=2
    )
    value_awarded = forms.DecimalField(
        label="Value awarded (£)", required=False, min_value=0, max_digits=14, decimal_places=2
    )
    reminder_days = forms.CharField(
        label="Reminders (days before each deadline)",
        required=False,
        help_text="The team is emailed this many days before each deadline, for example 14, 7, 1. Empty for none.",
    )

    def __init__(self, *args, user, with_value_awarded: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_organisation"].queryset = _organisations()
        self.fields["lead_person"].user = user
        if not with_value_awarded:
            del self.fields["value_awarded"]
        for name in ("value_requested", "value_awarded"):
            if name in self.fields:
                self.fields[name].widget.attrs["class"] += " govuk-input--width-10"
        self.fields["reminder_days"].widget.attrs["class"] += " govuk-input--width-10"

    def clean_themes(self):
        return theme_list(self.cleaned_data.get("themes") or "")

    def clean_reminder_days(self):
        return _reminder_days(self.cleaned_data.get("reminder_days") or "")

    @staticmethod
    def initial_for(bid: Bid) -> dict:
        return {
            "title": bid.title,
            "lead_organisation": bid.lead_organisation_id,
            "lead_person": bid.lead_person.slug if bid.lead_person else "",
            "summary": bid.summary,
            "case": bid.case,
            "themes": "\n".join(bid.themes or []),
            "value_requested": bid.value_requested,
            "value_awarded": bid.value_awarded,
            "reminder_days": ", ".join(str(d) for d in bid.reminder_days or []),
        }


class BidCreateForm(BidFieldsForm):
    opportunity = forms.ModelChoiceField(
        label="Opportunity", queryset=None, empty_label="Choose the opportunity", help_text="The call the bid is for"
    )
    field_order = ["opportunity"]

    def __init__(self, *args, opportunities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["opportunity"].queryset = opportunities


class BidEditForm(BidFieldsForm):
    # The version the editor started from: a save from an older one is a conflict, not an overwrite.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class BidFromTeamForm(GovukPlainForm):
    title = forms.CharField(
        label="Title", max_length=300, required=False, help_text="Leave empty to name the bid after the opportunity"
    )
    lead_organisation = forms.ModelChoiceField(
        label="Lead organisation",
        queryset=Organisation.objects.none(),
        required=False,
        empty_label="The lead person's organisation",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_organisation"].queryset = _organisations()


class TransitionForm(GovukPlainForm):
    to_stage = forms.ChoiceField(label="Move the bid to", widget=forms.RadioSelect)
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the bid moves: the team sees this in the activity log.",
    )
    value_awarded = forms.DecimalField(
        label="Value awarded (£)",
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text="Only when moving to awarded.",
    )

    def __init__(self, *args, stages, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Stage.choices)
        self.fields["to_stage"].choices = [(s, labels[s]) for s in stages]
        self.fields["value_awarded"].widget.attrs["class"] += " govuk-input--width-10"
        if Stage.AWARDED not in stages:
            del self.fields["value_awarded"]

    def clean(self):
        data = super().clean()
        if data.get("value_awarded") is not None and data.get("to_stage") != Stage.AWARDED:
            self.add_error("value_awarded", "Give a value awarded only when moving the bid to awarded.")
        return data


class MemberForm(GovukPlainForm):
    person = PersonField(label="Person", max_length=200)
    role = forms.ChoiceField(label="Role on the bid", choices=[("", "Choose a role"), *MemberRole.choices])
    organisation = forms.ModelChoiceField(
        label="Taking part for",
        queryset=Organisation.objects.none(),
        required=False,
        empty_label="Their primary organisation",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].user = user
        self.fields["organisation"].queryset = _organisations()


class PartnerForm(GovukPlainForm):
    organisation = forms.ModelChoiceField(
        label="Organisation", queryset=Organisation.objects.none(), empty_label="Choose an organisation"
    )
    role = forms.ChoiceField(label="Role", choices=[("", "Choose a role"), *PartnerRole.choices])
    note = forms.CharField(label="What they bring", required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = _organisations()


class DocumentForm(GovukPlainForm):
    file = forms.FileField(label="File", help_text="")
    description = forms.CharField(label="Description", required=False, max_length=300)

    def __init__(self, *args, max_bytes: int, extensions, **kwargs):
        super().__init__(*args, **kwargs)
        megabytes = max_bytes // (1024 * 1024)
        self.fields["file"].help_text = f"At most {megabytes} MB: {', '.join(e.upper() for e in extensions)}."
        self.fields["file"].widget.attrs["aria-describedby"] = "id_file-hint"


class CommentForm(GovukPlainForm):
    text = forms.CharField(label="Comment", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class SuccessRatesForm(GovukPlainForm):
    by = forms.ChoiceField(
        label="Group by",
        required=False,
        choices=[("funder", "Funder"), ("scheme", "Scheme"), ("institution", "Lead institution")],
    )
