"""Form base class that renders Django widgets with GOV.UK Frontend's classes and error states."""

from django import forms

_WIDGET_CLASSES = {
    forms.Select: "govuk-select",
    forms.Textarea: "govuk-textarea",
    forms.CheckboxInput: "govuk-checkboxes__input",
    forms.FileInput: "govuk-file-upload",
}


def _css_for(widget) -> str:
    return next((c for t, c in _WIDGET_CLASSES.items() if isinstance(widget, t)), "govuk-input")


class GovukForm:
    """Mix into a Form or ModelForm before the Django class."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + _css_for(widget)).strip()
            if field.help_text:
                widget.attrs["aria-describedby"] = f"id_{self.add_prefix(name)}-hint"

    def full_clean(self):
        # Marked after validation, not in __init__, so subclasses can still set choices first.
        super().full_clean()
        for name in self.errors:
            self._mark_error(name)

    def add_error(self, field, error):
        # Also after validation: a view adds a service's refusal (DomainError naming a field) to the form.
        super().add_error(field, error)
        if getattr(self, "cleaned_data", None) is not None:
            for name in self._errors or {}:
                self._mark_error(name)

    def _mark_error(self, name: str) -> None:
        marked = self.__dict__.setdefault("_govuk_marked_errors", set())
        if name in marked or name not in self.fields:
            return
        marked.add(name)
        widget = self.fields[name].widget
        widget.attrs["class"] += f" {_css_for(widget)}--error"
        described = widget.attrs.get("aria-describedby", "")
        widget.attrs["aria-describedby"] = f"{described} id_{self.add_prefix(name)}-error".strip()


class GovukModelForm(GovukForm, forms.ModelForm):
    pass


class GovukPlainForm(GovukForm, forms.Form):
    pass
