"""Forms for opportunities, their list filters, CSV import and feeds, in GOV.UK markup."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone

from mhi.core.forms import GovukModelForm, GovukPlainForm
from mhi.directory.models import Organisation
from mhi.opportunities import services
from mhi.opportunities.intake import theme_list
from mhi.opportunities.models import Kind, Opportunity, OpportunityFeed, Status, validate_themes

DATETIME_WIDGET_FORMAT = "%Y-%m-%dT%H:%M"
DATE_HINT = "UK time. For 3 March 2026 at 4pm: 03/03/2026 16:00."


def _datetime_field(label: str, help_text: str = DATE_HINT) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_WIDGET_FORMAT),
    )


class OpportunityForm(GovukModelForm):
    """Adding or editing an opportunity. Dates are entered and shown in UK time (Europe/London)."""

    themes = forms.CharField(
        label="Themes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One theme per line, for example “multimorbidity”. People are matched to the call by them.",
    )
    funder_organisation = forms.ModelChoiceField(
        label="Funder in the directory",
        queryset=Organisation.objects.order_by("name"),
        required=False,
        empty_label="Not in the directory",
    )
    opens_at = _datetime_field("Opens")
    eoi_deadline = _datetime_field("Internal expression-of-interest deadline")
    outline_deadline = _datetime_field("Outline deadline")
    closes_at = _datetime_field("Closes")
    link = forms.URLField(label="Link", required=False, assume_scheme="https", max_length=500)

    class Meta:
        model = Opportunity
        fields = list(services.OPPORTUNITY_FIELDS)
        labels = {
            "title": "Title",
            "kind": "Kind",
            "funder_name": "Funder or issuer",
            "scheme": "Scheme",
            "summary": "Summary",
            "full_text": "Full text",
            "value_min": "Minimum value (£)",
            "value_max": "Maximum value (£)",
            "requires_nhs_partner": "An NHS partner is required",
            "requires_industry_partner": "An industry partner is required",
            "requires_local_government_partner": "A local government partner is required",
            "lead_must_be_partner_university": "The lead must be a partner university",
            "min_partner_universities": "Minimum number of partner universities",
            "cap_per_institution": "Bids per institution",
            "cap_partnership": "Bids for the whole partnership",
        }
        help_texts = {
            "cap_per_institution": "How many bids each institution may submit. Leave empty for no cap.",
            "cap_partnership": "How many bids the partnership as a whole may submit. Leave empty for no cap.",
            "min_partner_universities": "0 for no minimum.",
        }
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "full_text": forms.Textarea(attrs={"rows": 10}),
        }

    def __init__(self, *args, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.creating = self.instance.pk is None
        self.now = now
        if not self.is_bound and not self.creating:
            self.initial["themes"] = "\n".join(self.instance.themes or [])
        for name in ("value_min", "value_max", "min_partner_universities", "cap_per_institution", "cap_partnership"):
            self.fields[name].widget.attrs["class"] += " govuk-input--width-10"

    def clean_themes(self):
        themes = theme_list(self.cleaned_data.get("themes") or "")
        try:
            validate_themes(themes)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None
        return themes

    def _post_clean(self):
        # After the model's own checks (dates in order, value range), which need every value on the instance:
        # an error added earlier would take its field off the instance and hide them.
        cleaned = dict(self.cleaned_data)
        super()._post_clean()
        merged = {
            name: cleaned.get(name, getattr(self.instance, name, None)) for name in ("title", "funder_name", "link")
        }
        merged["closes_at"] = cleaned.get("closes_at")
        problems = services.opportunity_problems(
            fields=merged,
            creating=self.creating,
            exclude_pk=self.instance.pk,
            now=self.now or timezone.now(),
        )
        for name, message in problems:
            self.add_error(name, message)


class OpportunityFilterForm(GovukPlainForm):
    q = forms.CharField(label="Search", required=False, help_text="Words in the title, summary or scheme")
    kind = forms.ChoiceField(label="Kind", required=False, choices=[("", "Any kind"), *Kind.choices])
    status = forms.MultipleChoiceField(
        label="Status", required=False, choices=Status.choices, widget=forms.CheckboxSelectMultiple
    )
    funder = forms.ChoiceField(label="Funder or issuer", required=False)
    theme = forms.ChoiceField(label="Theme", required=False)
    closing_before = forms.DateField(
        label="Closing on or before",
        required=False,
        help_text="For example 31/03/2026",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, funders=(), themes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["funder"].choices = [("", "Any funder")] + [(f, f) for f in funders]
        self.fields["theme"].choices = [("", "Any theme")] + [(t, t) for t in themes]


class OpportunityImportForm(GovukPlainForm):
    file = forms.FileField(label="CSV file", help_text="UTF-8 CSV with a header row, at most 5 MB")
    skip_bad_rows = forms.BooleanField(
        label="Skip bad rows",
        required=False,
        help_text="Add the good rows and list the bad ones, instead of refusing the whole file",
    )


class OpportunityFeedForm(GovukModelForm):
    url = forms.CharField(
        label="Address",
        max_length=500,
        help_text="The feed's http:// or https:// address, for example https://www.ukri.org/opportunity/feed/",
    )
    funder_organisation = forms.ModelChoiceField(
        label="Funder in the directory",
        queryset=Organisation.objects.order_by("name"),
        required=False,
        empty_label="Not in the directory",
    )

    class Meta:
        model = OpportunityFeed
        fields = list(services.FEED_FIELDS)
        labels = {
            "name": "Name",
            "format": "Format",
            "default_kind": "Kind of opportunity",
            "funder_name": "Funder or issuer",
            "active": "Fetch this feed on the schedule",
            "fetch_interval_minutes": "Fetch every (minutes)",
        }
        help_texts = {"fetch_interval_minutes": "At least 15. 360 is four times a day."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fetch_interval_minutes"].widget.attrs["class"] += " govuk-input--width-5"

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme not in ("http", "https"):
            raise ValidationError(
                f"A feed address must start with http:// or https://{f', not {scheme}:' if scheme else ''}."
            )
        URLValidator(schemes=["http", "https"], message="Enter the feed's full address, such as https://…")(url)
        return url
