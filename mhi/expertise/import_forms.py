from django import forms

from mhi.core.forms import GovukPlainForm
from mhi.expertise.imports import FORMATS
from mhi.expertise.models import ImportJob


class ImportForm(GovukPlainForm):
    format = forms.ChoiceField(
        label="Format",
        choices=[(value, ImportJob.Format(value).label) for value in FORMATS],
    )
    file = forms.FileField(
        label="File",
        help_text=(
            "OpenAlex JSON or JSON Lines (.gz allowed), PubMed XML, JATS XML, a works CSV, "
            "or a Gateway to Research projects CSV"
        ),
    )
    skip_bad_records = forms.BooleanField(
        label="Skip bad records",
        required=False,
        help_text="Import the good records and list the bad ones, instead of refusing the whole file",
    )
