"""Forms for internal selection rounds, in GOV.UK markup: opening a round (criteria as rows, no JavaScript needed),
assigning a reviewer, a reviewer's scores, declaring a conflict and the decision."""

from django import forms
from django.contrib.auth import get_user_model

from mhi.bids import selection
from mhi.bids.models import default_criteria
from mhi.core.errors import DomainError
from mhi.core.forms import GovukPlainForm
from mhi.directory.models import Organisation
from mhi.opportunities.forms import DATE_HINT, DATETIME_WIDGET_FORMAT

CRITERION_ROWS = 6


def field_for(form: forms.Form, service_field: str | None) -> str | None:
    """The form field a service error names, or None (the error is then about the whole form)."""
    return service_field if service_field in form.fields else None


def add_service_error(form: forms.Form, exc) -> None:
    form.add_error(field_for(form, getattr(exc, "field", None)), exc.message)


class RoundOpenForm(GovukPlainForm):
    title = forms.CharField(
        label="Title", max_length=300, help_text="For example “NIHR PGfAR 2026: internal selection”"
    )
    opportunity = forms.ModelChoiceField(label="Opportunity", queryset=None, help_text="Only calls with caps")
    organisation = forms.ModelChoiceField(
        label="Institution",
        queryset=None,
        required=False,
        help_text="Only bids led by this institution enter the round",
    )
    reviews_due = forms.DateTimeField(
        label="Reviews due",
        required=False,
        help_text=DATE_HINT,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_WIDGET_FORMAT),
    )
    coauthorship_years = forms.IntegerField(
        label="Co-authorship window (years)",
        min_value=1,
        max_value=50,
        initial=3,
        help_text="A reviewer who co-authored a work with the bid's team in this many years is conflicted",
    )

    def __init__(self, *args, opportunities, organisations, partnership_wide: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["opportunity"].queryset = opportunities
        self.fields["organisation"].queryset = organisations
        if partnership_wide:
            self.fields["organisation"].empty_label = "The whole partnership"
        else:
            self.fields["organisation"].required = True
            self.fields["organisation"].empty_label = None
        self.fields["coauthorship_years"].widget.attrs["class"] += " govuk-input--width-3"
        defaults = default_criteria()
        for i in range(CRITERION_ROWS):
            initial = defaults[i] if i < len(defaults) and not self.is_bound else {}
            n = i + 1
            self.fields[f"criterion_{i}_name"] = forms.CharField(
                label=f"Criterion {n}: name", required=False, max_length=100, initial=initial.get("name", "")
            )
            self.fields[f"criterion_{i}_weight"] = forms.DecimalField(
                label=f"Criterion {n}: weight", required=False, initial=initial.get("weight"), decimal_places=2
            )
            self.fields[f"criterion_{i}_max_score"] = forms.IntegerField(
                label=f"Criterion {n}: maximum score", required=False, initial=initial.get("max_score")
            )
            # GovukForm set the classes before these fields existed.
            for part, width in (
                ("name", "govuk-input--width-20"),
                ("weight", "govuk-input--width-4"),
                ("max_score", "govuk-input--width-4"),
            ):
                self.fields[f"criterion_{i}_{part}"].widget.attrs["class"] = f"govuk-input {width}"

    def criterion_rows(self):
        return [
            (i + 1, self[f"criterion_{i}_name"], self[f"criterion_{i}_weight"], self[f"criterion_{i}_max_score"])
            for i in range(CRITERION_ROWS)
        ]

    def clean(self):
        cleaned = super().clean()
        rows = self.criteria_rows()
        try:
            self.cleaned_criteria = selection.criteria_clean([row for _, row in rows], numbers=[i + 1 for i, _ in rows])
        except DomainError as exc:
            self.cleaned_criteria = None
            parts = (exc.field or "").split(".")
            if len(parts) == 3:
                self.add_error(f"criterion_{rows[int(parts[1])][0]}_{parts[2]}", exc.message)
            else:
                self.add_error("criterion_0_name", exc.message)
        return cleaned

    def criteria_rows(self) -> list[tuple[int, dict]]:
        """The rows with anything in them, in order (numbered as the service reports them: criteria.<n>)."""
        rows = []
        for i in range(CRITERION_ROWS):
            row = {part: self.cleaned_data.get(f"criterion_{i}_{part}") for part in ("name", "weight", "max_score")}
            if any(v not in (None, "") for v in row.values()):
                rows.append((i, row))
        return rows


class ReviewerAssignForm(GovukPlainForm):
    email = forms.EmailField(label="Reviewer's email address", help_text="They must have an account on MHI Hub")

    def clean_email(self):
        email = self.cleaned_data["email"]
        user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError(f"No active user has the email address {email}.")
        self.user = user
        return email


class ReviewForm(GovukPlainForm):
    comment = forms.CharField(
        label="Comment", required=False, widget=forms.Textarea(attrs={"rows": 5}), help_text="Seen by the panel only"
    )

    def __init__(self, *args, criteria: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        scored = {}
        for i, criterion in enumerate(criteria):
            name = f"score_{i}"
            hint = f"A whole number from 0 to {criterion['max_score']}. Weight {criterion['weight']}."
            if criterion.get("description"):
                hint = f"{criterion['description']} {hint}"
            field = forms.IntegerField(
                label=criterion["name"],
                min_value=0,
                max_value=criterion["max_score"],
                help_text=hint,
                error_messages={
                    "required": f"Give a score for “{criterion['name']}”, from 0 to {criterion['max_score']}.",
                    "invalid": f"The score for “{criterion['name']}” must be a whole number.",
                    "min_value": f"The score for “{criterion['name']}” must be 0 or more.",
                    "max_value": f"The score for “{criterion['name']}” must be {criterion['max_score']} or less.",
                },
            )
            scored[name] = field
        # Scores first, the comment last.
        comment = self.fields.pop("comment")
        self.fields.update(scored)
        self.fields["comment"] = comment
        # GovukForm set the classes before these fields existed.
        for name in scored:
            self.fields[name].widget.attrs.update(
                {"class": "govuk-input govuk-input--width-3", "aria-describedby": f"id_{name}-hint"}
            )

    def score_fields(self):
        return [self[f"score_{i}"] for i in range(len(self.criteria))]

    def scores(self) -> dict:
        return {c["name"]: self.cleaned_data.get(f"score_{i}") for i, c in enumerate(self.criteria)}

    def field_for_score(self, service_field: str | None) -> str | None:
        for i, criterion in enumerate(self.criteria):
            if service_field == f"scores.{criterion['name']}":
                return f"score_{i}"
        return None


class ConflictDeclareForm(GovukPlainForm):
    detail = forms.CharField(
        label="Your conflict of interest",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example “I supervised the lead person's PhD”. Your review of this bid, if any, is withdrawn.",
    )


class RoundDecideForm(GovukPlainForm):
    selected = forms.MultipleChoiceField(
        label="Selected bids",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="These pass internal selection and take their cap places; the others become unsuccessful.",
    )
    rationale = forms.CharField(
        label="Rationale", widget=forms.Textarea(attrs={"rows": 5}), help_text="Why the panel decided as it did"
    )

    def __init__(self, *args, results, **kwargs):
        super().__init__(*args, **kwargs)
        self.results = results
        self.fields["selected"].choices = [(str(r.entry.pk), r.bid.title) for r in results]
        self.fields["selected"].widget.attrs["class"] = "govuk-checkboxes__input"
        self.fields["rationale"].error_messages["required"] = "Say why the panel decided as it did."
        for result in results:
            name = f"feedback_{result.entry.pk}"
            self.fields[name] = forms.CharField(
                label=f"Feedback for “{result.bid.title}”",
                required=False,
                widget=forms.Textarea(attrs={"rows": 3, "class": "govuk-textarea"}),
                help_text="What the applicants are told",
            )
            self.fields[name].widget.attrs["aria-describedby"] = f"id_{name}-hint"

    def rows(self):
        return [(r, self[f"feedback_{r.entry.pk}"]) for r in self.results]

    def feedback(self) -> dict[int, str]:
        return {r.entry.pk: self.cleaned_data.get(f"feedback_{r.entry.pk}", "") for r in self.results}


def organisations_for(ids) -> "forms.models.QuerySet":
    return Organisation.objects.filter(pk__in=ids).order_by("name")
