from django import forms

from mhi.core.forms import GovukPlainForm
from mhi.expertise.models import ImportJob


class ImportForm(GovukPlainForm):
    format = forms.ChoiceField(
        label="Format",
        choices=[(v, label) for v, label in ImportJob.Format.choices if v in ("openalex", "pubmed", "jats", "csv")],
    )
    file = forms.FileField(
        label="File",
        help_text="OpenAlex JSON or JSON Lines (.gz allowed), PubMed XML, JATS XML, or a works CSV",
    )
    skip_bad_records = forms.BooleanField(
        label="Skip bad records",
        required=False,
        help_text="Import the good records and list the bad ones, instead of refusing the whole file",
    )
