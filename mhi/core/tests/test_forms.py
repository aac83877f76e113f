"""GovukForm gives widgets GOV.UK Frontend's classes and marks fields in error, however the error arrives."""

from django import forms
from django.core.validators import EmailValidator

from mhi.core.forms import GovukPlainForm


class ExampleForm(GovukPlainForm):
    name = forms.CharField(help_text="As it appears on the door")
    email = forms.CharField(required=False, validators=[EmailValidator()])


def test_a_field_that_fails_validation_is_marked_once():
    form = ExampleForm(data={"name": "", "email": "not an email"})
    assert not form.is_valid()
    assert form.fields["name"].widget.attrs == {
        "class": "govuk-input govuk-input--error",
        "aria-describedby": "id_name-hint id_name-error",
    }
    assert form.fields["email"].widget.attrs == {
        "class": "govuk-input govuk-input--error",
        "aria-describedby": "id_email-error",
    }


def test_an_error_added_after_validation_marks_its_field():
    """How views show a service's refusal (a DomainError naming a field)."""
    form = ExampleForm(data={"name": "Lab 1", "email": "lab@example.org"})
    assert form.is_valid()
    assert form.fields["email"].widget.attrs == {"class": "govuk-input"}

    form.add_error("email", "This address already receives the lab's bookings.")
    form.add_error("email", "A second problem with it.")
    form.add_error(None, "A problem with the whole form.")

    assert form.fields["email"].widget.attrs == {
        "class": "govuk-input govuk-input--error",
        "aria-describedby": "id_email-error",
    }
    assert form.fields["name"].widget.attrs == {"class": "govuk-input", "aria-describedby": "id_name-hint"}
