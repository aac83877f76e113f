"""Form base class that renders Django widgets with GOV.UK Frontend's classes and error states."""

from django import forms

_WIDGET_CLASSES = {
    forms.Select: "govuk-select",
    forms.Textarea: "govuk-textarea",
    forms.CheckboxInput: "govuk-checkboxes__input",
    forms.FileInput: "govuk-file-upload",
}


class GovukForm:
    """Mix into a Form or ModelForm; call after fields exist (in __init__) via super()."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            css = next((c for t, c in _WIDGET_CLASSES.items() if isinstance(widget, t)), "govuk-input")
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()
            described = []
            if field.help_text:
                described.append(f"id_{self.add_prefix(name)}-hint")
            if self.is_bound and name in self.errors:
                widget.attrs["class"] += f" {css}--error"
                described.append(f"id_{self.add_prefix(name)}-error")
            if described:
                widget.attrs["aria-describedby"] = " ".join(described)


class GovukModelForm(GovukForm, forms.ModelForm):
    pass


class GovukPlainForm(GovukForm, forms.Form):
    pass
