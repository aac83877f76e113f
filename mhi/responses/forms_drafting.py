"""Forms of the drafting pages: the consolidated answer, contributions and comments."""

from django import forms

from mhi.core.forms import GovukPlainForm
from mhi.directory.models import Organisation
from mhi.responses import drafting
from mhi.responses.models import ContributionKind


class AnswerForm(GovukPlainForm):
    form = forms.CharField(widget=forms.HiddenInput, initial="answer")
    text = forms.CharField(
        label="Consolidated answer",
        required=False,
        strip=False,
        max_length=drafting.MAX_ANSWER_LENGTH,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "true"}),
    )
    note = forms.CharField(
        label="Note on this version (optional)",
        required=False,
        max_length=300,
        help_text="For example: “merged Leicester's evidence”. Shown in the version list.",
    )
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_answer_%s")  # unique on the question's page, which has several forms
        super().__init__(*args, **kwargs)


class ContributionForm(GovukPlainForm):
    form = forms.CharField(widget=forms.HiddenInput, initial="contribution")
    organisation = forms.ModelChoiceField(label="On behalf of", queryset=Organisation.objects.none(), empty_label=None)
    kind = forms.ChoiceField(label="Kind", choices=ContributionKind.choices, initial=ContributionKind.DRAFT)
    text = forms.CharField(
        label="Your contribution",
        max_length=drafting.MAX_CONTRIBUTION_LENGTH,
        help_text="Evidence (figures, studies, examples) or draft text for the consolidated answer.",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "The contribution is empty; write something first."},
    )

    def __init__(self, *args, organisations=None, **kwargs):
        kwargs.setdefault("auto_id", "id_contribution_%s")
        super().__init__(*args, **kwargs)
        if organisations is not None:
            self.fields["organisation"].queryset = organisations


class ContributionEditForm(GovukPlainForm):
    text = forms.CharField(
        label="Text",
        strip=False,
        max_length=drafting.MAX_CONTRIBUTION_LENGTH,
        widget=forms.Textarea(attrs={"rows": 10}),
        error_messages={"required": "The contribution is empty; write something first."},
    )
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class CommentForm(GovukPlainForm):
    form = forms.CharField(widget=forms.HiddenInput, initial="comment")
    parent = forms.IntegerField(widget=forms.HiddenInput, required=False)
    text = forms.CharField(
        label="Comment",
        max_length=drafting.MAX_COMMENT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "The comment is empty; write something first."},
    )

    def __init__(self, *args, reply_to=None, **kwargs):
        if reply_to is not None:
            kwargs.setdefault("auto_id", f"id_reply{reply_to.pk}_%s")
            kwargs.setdefault("initial", {"parent": reply_to.pk})
        kwargs.setdefault("auto_id", "id_comment_%s")
        super().__init__(*args, **kwargs)
        if reply_to is not None:
            author = reply_to.author.full_name or reply_to.author.email if reply_to.author else "a former user"
            self.fields["text"].label = f"Reply to {author}"
