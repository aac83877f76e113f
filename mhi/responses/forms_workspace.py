"""Forms of the response workspace: a response (new, edited), a question, a pasted list, an import, the owners and
word limits of every question at once. The services (mhi.responses.workspace) check the rules again."""

from django import forms

from mhi.core.forms import GovukPlainForm
from mhi.responses import question_import, workspace
from mhi.responses.models import ResponseKind, ResponseStatus


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.full_name} ({obj.email})" if obj.full_name else obj.email


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class ResponseFilterForm(GovukPlainForm):
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any status"), *ResponseStatus.choices])


class ResponseForm(GovukPlainForm):
    """A new response; `editing=True` leaves out what is fixed once it exists (its kind and consultation)."""

    kind = forms.ChoiceField(
        label="Kind",
        choices=ResponseKind.choices,
        help_text="A response to a consultation listed in opportunities, or a free-standing position statement",
    )
    opportunity = forms.ModelChoiceField(
        label="Consultation",
        required=False,
        queryset=workspace.consultations(),
        empty_label="None (a position statement)",
    )
    title = forms.CharField(
        label="Title",
        required=False,
        max_length=workspace.TITLE_MAX,
        help_text="Left empty for a consultation: “Response to” and the consultation's title",
    )
    introduction = forms.CharField(
        label="Introduction",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Shown before the questions in the export",
    )
    deadline = forms.DateField(
        label="Deadline",
        required=False,
        widget=DateInput(),
        help_text="Left empty for a consultation: its closing date",
    )
    coordinator = UserChoiceField(
        label="Coordinator",
        queryset=workspace.coordinator_choices(),
        required=False,
        empty_label="Me",
        help_text="Who composes the answers, marks the draft final and publishes it",
    )
    signatories = forms.ModelMultipleChoiceField(
        label="Partner institutions expected to sign",
        required=False,
        queryset=workspace.signatory_choices(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["kind"]
            del self.fields["opportunity"]
            self.fields["title"].required = True
            self.fields["title"].help_text = ""
            self.fields["deadline"].help_text = ""
            self.fields["coordinator"].required = True
            self.fields["coordinator"].empty_label = None


class QuestionForm(GovukPlainForm):
    text = forms.CharField(label="Question", widget=forms.Textarea(attrs={"rows": 3}))
    word_limit = forms.IntegerField(
        label="Word limit", required=False, min_value=1, help_text="A whole number of words; empty for no limit"
    )
    guidance = forms.CharField(
        label="Guidance", required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Notes for who answers"
    )
    owner = UserChoiceField(
        label="Owner",
        required=False,
        queryset=workspace.coordinator_choices().none(),
        empty_label="Nobody yet",
        help_text="The response's coordinator or a member of a signatory institution",
    )

    def __init__(self, *args, response, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = workspace.contributors_of(response)
        self.fields["word_limit"].widget.attrs.update(
            {"inputmode": "numeric", "class": "govuk-input govuk-input--width-5"}
        )


class PasteForm(GovukPlainForm):
    text = forms.CharField(
        label="Questions",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="One question a line, or numbered (1. / 1) / Q1 / Question 1). End a question with “(250 words)” "
        "or “[max 250 words]” to set its word limit.",
    )


class ImportForm(GovukPlainForm):
    file = forms.FileField(
        label="Word or CSV file",
        help_text=f"A .docx file (numbered questions, or a table with a Question column) or a .csv file with the "
        f"columns question, word_limit, guidance, owner; up to {question_import.MAX_UPLOAD_BYTES // (1024 * 1024)} MB",
        widget=forms.ClearableFileInput(attrs={"accept": ".docx,.csv"}),
    )


class OwnersForm(GovukPlainForm):
    """Each question's owner and word limit: fields owner_<id> and word_limit_<id>."""

    def __init__(self, *args, response, questions, **kwargs):
        super().__init__(*args, **kwargs)
        contributors = workspace.contributors_of(response)
        self.questions = questions
        for question in questions:
            self.fields[f"owner_{question.pk}"] = UserChoiceField(
                label=f"Owner of Q{question.number}",
                required=False,
                queryset=contributors,
                empty_label="Nobody yet",
                initial=question.owner_id,
            )
            field = forms.IntegerField(
                label=f"Word limit of Q{question.number}", required=False, min_value=1, initial=question.word_limit
            )
            self.fields[f"word_limit_{question.pk}"] = field
        # The GOV.UK classes are set in GovukForm's __init__, before these fields existed.
        for name, field in self.fields.items():
            css = "govuk-select" if name.startswith("owner_") else "govuk-input govuk-input--width-5"
            field.widget.attrs["class"] = css

    def rows(self):
        return [(q, self[f"owner_{q.pk}"], self[f"word_limit_{q.pk}"]) for q in self.questions]

    def values(self) -> dict[int, dict]:
        return {
            q.pk: {
                "owner": self.cleaned_data[f"owner_{q.pk}"],
                "word_limit": self.cleaned_data[f"word_limit_{q.pk}"],
            }
            for q in self.questions
        }
