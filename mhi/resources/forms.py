"""Forms for the shared-resources pages: catalogue filters, booking, managing a resource (details, booking rules,
rates, closures), import and export, inductions, equivalences, training requests and report periods. GOV.UK
markup through GovukForm; every date and time is entered and shown in UK time (Europe/London)."""

import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from mhi.accounts.models import User
from mhi.core.forms import GovukModelForm, GovukPlainForm
from mhi.directory.models import Organisation
from mhi.resources.models import (
    Closure,
    InductionClass,
    RateUnit,
    Resource,
    Tier,
    TrainingRequest,
    UniquipType,
)

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
TIME_HINT = "UK time. For 3 March 2026 at 2pm: 03/03/2026 14:00."
DAYS = [(1, "Monday"), (2, "Tuesday"), (3, "Wednesday"), (4, "Thursday"), (5, "Friday"), (6, "Saturday"), (7, "Sunday")]


def _datetime_field(label: str, *, required: bool = True, help_text: str = TIME_HINT) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text=help_text,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )


def _date_field(label: str, *, required: bool = True, help_text: str = "For example 31/03/2026") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


# --- the catalogue -------------------------------------------------------------------------------------------


class ResourceFilterForm(GovukPlainForm):
    q = forms.CharField(
        label="Search", required=False, help_text="What you want to do or measure, for example “live cell imaging”"
    )
    technique = forms.ChoiceField(label="Technique", required=False)
    institution = forms.TypedChoiceField(label="Institution", required=False, coerce=int, empty_value=None)
    site = forms.ChoiceField(label="Site", required=False)
    tier = forms.ChoiceField(
        label="Who may book",
        required=False,
        choices=[("", "Anyone listed"), *Tier.choices],
        help_text="Resources open to bookers of this kind",
    )
    max_price = forms.DecimalField(
        label="Highest price (£)",
        required=False,
        min_value=0,
        decimal_places=2,
        help_text="At the tier chosen above (internal if none), per hour, day or session",
    )
    uniquip_type = forms.ChoiceField(label="Type", required=False, choices=[("", "Equipment and facilities")])

    def __init__(self, *args, techniques=(), institutions=(), sites=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["technique"].choices = [("", "Any technique")] + [(t, t) for t in techniques]
        self.fields["institution"].choices = [("", "Any institution")] + [(o.pk, o.name) for o in institutions]
        self.fields["site"].choices = [("", "Any site")] + [(s, s) for s in sites]
        self.fields["uniquip_type"].choices = [("", "Equipment and facilities"), *UniquipType.choices]
        self.fields["max_price"].widget.attrs["class"] += " govuk-input--width-5"
        for name in ("technique", "institution", "site", "uniquip_type", "tier"):
            self.fields[name].widget.attrs["class"] += " govuk-!-width-full"


# --- booking -------------------------------------------------------------------------------------------------


class BookingForm(GovukPlainForm):
    """A booking request: one slot, or the same slot repeated daily or weekly."""

    start = _datetime_field("Start")
    end = _datetime_field("End")
    purpose = forms.CharField(
        label="Purpose", required=False, max_length=300, help_text="What you will use it for, in a line"
    )
    repeat = forms.ChoiceField(
        label="Repeat",
        required=False,
        choices=[("", "Once"), ("day", "Every day"), ("week", "Every week")],
        help_text="A repeated booking is made whole or not at all",
    )
    count = forms.IntegerField(
        label="How many times", required=False, min_value=2, max_value=52, help_text="Including the first, 2 to 52"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["count"].widget.attrs["class"] += " govuk-input--width-3"

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end <= start:
            self.add_error("end", "The end must be after the start.")
        if cleaned.get("repeat") and not cleaned.get("count"):
            self.add_error("count", "Say how many times the booking repeats.")
        return cleaned


class WaitlistForm(GovukPlainForm):
    start = _datetime_field("Start")
    end = _datetime_field("End")


class DecisionForm(GovukPlainForm):
    note = forms.CharField(
        label="Note to the requester", required=False, max_length=500, help_text="Sent with the decision"
    )


# --- managing a resource -------------------------------------------------------------------------------------

# The fields of the details form, handed to services.resource_update.
RESOURCE_DETAIL_FIELDS = [
    "name",
    "uniquip_type",
    "uniquip_id",
    "description",
    "technique",
    "manufacturer",
    "model_name",
    "status",
    "access_policy",
    "training_requirement",
    "requires_induction",
    "induction_class",
    "related_facility_id",
    "department",
    "site_location",
    "building",
    "location",
    "latitude",
    "longitude",
    "service_level",
    "web_address",
    "photo",
    "contact_name",
    "contact_email",
    "contact_telephone",
    "contact_url",
    "secondary_contact_name",
    "secondary_contact_email",
    "secondary_contact_telephone",
    "secondary_contact_url",
]

RULE_FIELDS = [
    "bookable",
    "instant_booking",
    "slot_minutes",
    "min_duration_minutes",
    "max_duration_minutes",
    "lead_time_hours",
    "horizon_days",
    "cancellation_notice_hours",
]


class ResourceForm(GovukModelForm):
    class Meta:
        model = Resource
        fields = RESOURCE_DETAIL_FIELDS
        labels = {
            "uniquip_type": "Type",
            "uniquip_id": "Your ID for it",
            "model_name": "Model",
            "access_policy": "Who may book",
            "requires_induction": "Bookers must be inducted first",
            "related_facility_id": "Related facility ID",
            "site_location": "Site",
            "photo": "Photo address",
            "web_address": "Web page",
            "contact_url": "Contact web page",
            "secondary_contact_url": "Secondary contact web page",
        }
        help_texts = {
            "uniquip_id": "The Uniquip ID: unique among your institution's resources",
            "latitude": "For the map, for example 52.486",
            "longitude": "For the map, for example -1.890",
            "photo": "The address (URL) of a photo, https://…",
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "training_requirement": forms.Textarea(attrs={"rows": 3}),
            "location": forms.TextInput(),
        }

    managers_text = forms.CharField(
        label="Managers",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Email addresses of MHI Hub accounts, one a line. Managers approve bookings and record inductions.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk:
            self.initial["managers_text"] = "\n".join(
                self.instance.managers.order_by("email").values_list("email", flat=True)
            )
        self.fields["induction_class"].queryset = InductionClass.objects.order_by("name")
        self.fields["induction_class"].empty_label = "None: an induction on this resource only"
        for name in ("latitude", "longitude"):
            self.fields[name].widget.attrs["class"] += " govuk-input--width-10"

    def clean_managers_text(self):
        emails = [line.strip() for line in self.cleaned_data["managers_text"].replace(",", "\n").splitlines()]
        emails = [e for e in emails if e]
        wanted = Q()
        for email in emails:
            wanted |= Q(email__iexact=email)
        users = {u.email.lower(): u for u in User.objects.filter(wanted)} if emails else {}
        unknown = [e for e in emails if e.lower() not in users]
        if unknown:
            raise ValidationError(f"No MHI Hub account has the address {', '.join(unknown)}.")
        return list({users[e.lower()].pk: users[e.lower()] for e in emails}.values())

    def resource_fields(self) -> dict:
        """What services.resource_update is given: the details and the managers."""
        fields = {name: self.cleaned_data[name] for name in RESOURCE_DETAIL_FIELDS}
        fields["managers"] = self.cleaned_data["managers_text"]
        return fields


class ResourceCreateForm(ResourceForm):
    """A new resource, added by hand: its owner (one of the organisations the user may add for) and its details.
    Without an ID the service derives one, as an import does for a row without one."""

    owner = forms.ModelChoiceField(label="Owner", queryset=Organisation.objects.none())

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = organisations
        self.fields["owner"].empty_label = "Choose the organisation that owns it"
        if organisations.count() == 1:
            self.initial["owner"] = organisations.first().pk
        uniquip_id = self.fields["uniquip_id"]
        uniquip_id.required = False
        uniquip_id.help_text = "The Uniquip ID: unique among the owner's resources. Leave empty to have one made for it"
        self.order_fields(["owner"])


class OpeningHoursField(forms.CharField):
    """One day's opening hours as "09:00-12:00, 13:00-17:00"; empty for closed."""

    PATTERN = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–to]+\s*(\d{1,2}:\d{2})\s*$")

    def to_python(self, value):
        text = (super().to_python(value) or "").strip()
        if not text or text.lower() == "closed":
            return []
        windows = []
        for part in text.split(","):
            match = self.PATTERN.match(part)
            if not match:
                raise ValidationError(f"“{part.strip()}” is not a time range: write it as 09:00-17:00.")
            start, end = (self._time(t) for t in match.groups())
            if end <= start:
                raise ValidationError(f"In “{part.strip()}” the closing time must be after the opening time.")
            windows.append([start, end])
        windows.sort()
        for (_, first_end), (second_start, _) in zip(windows, windows[1:], strict=False):
            if second_start < first_end:
                raise ValidationError("The opening times overlap.")
        return windows

    @staticmethod
    def _time(text: str) -> str:
        hours, minutes = (int(p) for p in text.split(":"))
        if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
            raise ValidationError(f"“{text}” is not a time of day (00:00 to 24:00).")
        return f"{hours:02d}:{minutes:02d}"


def opening_hours_text(windows) -> str:
    return ", ".join(f"{start}-{end}" for start, end in windows or [])


class RulesForm(GovukModelForm):
    """The booking rules and the opening hours (one field a weekday)."""

    class Meta:
        model = Resource
        fields = RULE_FIELDS
        labels = {
            "bookable": "Can be booked through MHI Hub",
            "instant_booking": "Confirm bookings at once (no approval)",
            "slot_minutes": "Slot length (minutes)",
            "min_duration_minutes": "Shortest booking (minutes)",
            "max_duration_minutes": "Longest booking (minutes)",
            "lead_time_hours": "Book at least this many hours ahead",
            "horizon_days": "Book at most this many days ahead",
            "cancellation_notice_hours": "Cancellation notice (hours)",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in RULE_FIELDS[2:]:
            self.fields[name].widget.attrs["class"] += " govuk-input--width-5"
        hours = self.instance.opening_hours or {}
        for number, day in DAYS:
            name = f"hours_{number}"
            self.fields[name] = OpeningHoursField(
                label=day, required=False, help_text="For example 09:00-12:00, 13:00-17:00; empty for closed"
            )
            self.fields[name].widget.attrs.update(
                {"class": "govuk-input govuk-input--width-20", "aria-describedby": f"id_{name}-hint"}
            )
            self.initial.setdefault(name, opening_hours_text(hours.get(str(number))))

    def day_fields(self):
        return [self[f"hours_{number}"] for number, _ in DAYS]

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_duration_minutes"), cleaned.get("max_duration_minutes")
        if low and high and low > high:
            self.add_error("max_duration_minutes", "The longest booking must be at least the shortest.")
        return cleaned

    def _post_clean(self):
        # The check constraint on durations is reported on the field above, not as a second, vaguer error.
        errors = dict(self.errors)
        super()._post_clean()
        if "max_duration_minutes" in errors:
            self._errors.pop("__all__", None)

    def rule_fields(self) -> dict:
        """What services.resource_update is given: the rules and the opening hours as the model stores them."""
        fields = {name: self.cleaned_data[name] for name in RULE_FIELDS}
        fields["opening_hours"] = {
            str(number): self.cleaned_data[f"hours_{number}"]
            for number, _ in DAYS
            if self.cleaned_data.get(f"hours_{number}")
        }
        return fields


class RatesForm(GovukPlainForm):
    """One amount and unit a tier; an empty amount leaves that tier without a rate."""

    def __init__(self, *args, rates=(), **kwargs):
        super().__init__(*args, **kwargs)
        current = {rate.tier: rate for rate in rates}
        for tier, label in Tier.choices:
            rate = current.get(tier)
            self.fields[f"{tier}_amount"] = forms.DecimalField(
                label=f"{label}: amount (£)", required=False, min_value=0, max_digits=10, decimal_places=2
            )
            self.fields[f"{tier}_amount"].widget.attrs["class"] = "govuk-input govuk-input--width-5"
            self.fields[f"{tier}_unit"] = forms.ChoiceField(label=f"{label}: unit", choices=RateUnit.choices)
            self.fields[f"{tier}_unit"].widget.attrs["class"] = "govuk-select"
            if rate is not None:
                self.initial[f"{tier}_amount"] = rate.amount
                self.initial[f"{tier}_unit"] = rate.unit

    def tier_rows(self):
        return [(label, self[f"{tier}_amount"], self[f"{tier}_unit"]) for tier, label in Tier.choices]

    def rates(self) -> list[tuple[str, str, object]]:
        return [
            (tier, self.cleaned_data[f"{tier}_unit"], self.cleaned_data[f"{tier}_amount"])
            for tier, _ in Tier.choices
            if self.cleaned_data.get(f"{tier}_amount") is not None
        ]


class ClosureForm(GovukPlainForm):
    kind = forms.ChoiceField(label="Kind", choices=Closure.Kind.choices)
    start = _datetime_field("From")
    end = _datetime_field("Until")
    reason = forms.CharField(label="Reason", required=False, max_length=300, help_text="Shown to people booking")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end <= start:
            self.add_error("end", "The end must be after the start.")
        return cleaned


# --- import and export ---------------------------------------------------------------------------------------


class ImportForm(GovukPlainForm):
    organisation = forms.ModelChoiceField(label="Institution", queryset=Organisation.objects.none())
    file = forms.FileField(
        label="Uniquip file", help_text="CSV (UTF-8 or Windows) or XLSX, with the Uniquip header row"
    )
    skip_invalid = forms.BooleanField(
        label="Skip bad rows",
        required=False,
        help_text="Import the good rows and list the bad ones, instead of refusing the whole file",
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        if organisations.count() == 1:
            self.initial["organisation"] = organisations.first().pk


class ExportForm(GovukPlainForm):
    organisation = forms.ModelChoiceField(label="Institution", queryset=Organisation.objects.none())
    format = forms.ChoiceField(label="Format", choices=[("csv", "CSV"), ("xlsx", "Spreadsheet (XLSX)")])

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


# --- the induction passport ----------------------------------------------------------------------------------


class InductionRecordForm(GovukPlainForm):
    email = forms.EmailField(label="Email address of the person inducted", help_text="Their MHI Hub account")
    covers = forms.ChoiceField(label="The induction covers", choices=[("resource", "This resource")])
    date = _date_field("Date of the induction")
    expires = _date_field("Expires", required=False, help_text="Leave empty for the class's usual length, or none")
    trainer = forms.CharField(label="Trainer", max_length=200)

    def __init__(self, *args, resource, **kwargs):
        super().__init__(*args, **kwargs)
        self.resource = resource
        if resource.induction_class_id:
            self.fields["covers"].choices = [
                ("resource", f"This resource only ({resource.name})"),
                ("class", f"The class “{resource.induction_class}”"),
            ]

    def clean_email(self):
        email = self.cleaned_data["email"]
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise ValidationError("No MHI Hub account has this email address.")
        self.user = user
        return email

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date") and cleaned.get("expires") and cleaned["expires"] < cleaned["date"]:
            self.add_error("expires", "The expiry must be on or after the date of the induction.")
        return cleaned


class EquivalenceForm(GovukPlainForm):
    accepted_class = forms.ModelChoiceField(label="An induction in this class", queryset=InductionClass.objects.all())
    accepted_organisation = forms.ModelChoiceField(
        label="Given at this institution", queryset=Organisation.objects.none()
    )
    required_class = forms.ModelChoiceField(
        label="Satisfies the requirement of every resource in this class",
        queryset=InductionClass.objects.all(),
        required=False,
    )
    resource = forms.ModelChoiceField(label="Or of this one resource", queryset=Resource.objects.none(), required=False)
    note = forms.CharField(label="Note", required=False, max_length=300)

    def __init__(self, *args, resources, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accepted_organisation"].queryset = Organisation.objects.filter(kind="university").order_by("name")
        self.fields["resource"].queryset = resources
        for name in ("accepted_class", "required_class"):
            self.fields[name].queryset = InductionClass.objects.order_by("name")
        self.fields["required_class"].empty_label = "Choose a class, or a resource below"
        self.fields["resource"].empty_label = "Choose a resource, or a class above"

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("required_class")) == bool(cleaned.get("resource")):
            self.add_error("required_class", "Choose either a class of equipment or one resource, not both.")
        return cleaned


class TrainingRequestForm(GovukPlainForm):
    note = forms.CharField(
        label="Note to the resource's managers",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Your experience and when you could come, for example",
    )


class TrainingResponseForm(GovukPlainForm):
    status = forms.ChoiceField(
        label="Status", choices=[c for c in TrainingRequest.Status.choices if c[0] != TrainingRequest.Status.OPEN]
    )
    response = forms.CharField(label="Reply", required=False, widget=forms.Textarea(attrs={"rows": 2}))


# --- reports -------------------------------------------------------------------------------------------------


class ReportPeriodForm(GovukPlainForm):
    start = _date_field("From")
    end = _date_field("To", help_text="Included")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["end"] < cleaned["start"]:
            self.add_error("end", "The end must be on or after the start.")
        return cleaned


def default_report_period(today: datetime.date) -> dict:
    """The last 90 days up to today."""
    return {"start": today - datetime.timedelta(days=89), "end": today}
