from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fieldset, Layout, Size, Submit
from django import forms
from django.core.exceptions import ValidationError

from forces.models import Force
from forces.services import CHANGE_REASON_MAX_LENGTH, FIGURES_FIELDS


class ForceContactForm(forms.Form):
    email = forms.EmailField(
        required=False,
        label="Email address for letters",
        help_text="Letters to a force without an address are flagged on the tracker.",
    )
    address = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), label="Postal address")
    head_name = forms.CharField(
        max_length=120,
        required=False,
        label="Name of the head of force",
        help_text="Letters already sent keep the name they were addressed to.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.text("head_name"),
            Field.text("email", field_width=20),
            Field.textarea("address", rows=5),
            Submit("submit", "Save"),
        )


class _DateField(DateInputField):
    """A GOV.UK date input whose impossible dates (31 2 2019) get the field's own message."""

    def compress(self, data_list):
        try:
            return super().compress(data_list)
        except ValidationError as error:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from error


def _date_field(label: str, help_text: str) -> DateInputField:
    field = _DateField(label=label, help_text=help_text)
    field.error_messages["invalid"] = f"{label} must be a real date"
    field.error_messages["required"] = f"Enter the {label.lower()}"
    return field


# GOV.UK asks for text inputs with a numeric keypad, not type="number", for whole numbers.
NUMERIC = {"inputmode": "numeric", "spellcheck": "false"}


def _count_field(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=0,
        widget=forms.TextInput(attrs=NUMERIC),
        error_messages={
            "required": f"Enter the number of {label.lower()}",
            "invalid": f"{label} must be a whole number, like 172",
            "min_value": f"{label} cannot be less than 0",
        },
    )


class ProsecutionFiguresForm(forms.Form):
    """A year's prosecution figures, nationally or for one force; corrections say why."""

    force = forms.ModelChoiceField(
        queryset=Force.objects.all(),
        required=False,
        empty_label="National (England and Wales)",
        label="Whose figures",
        help_text="Leave as national unless the figures are for one force.",
    )
    year = forms.IntegerField(
        min_value=2000,
        max_value=2100,
        label="Year",
        widget=forms.TextInput(attrs=NUMERIC),
        error_messages={
            "required": "Enter the year",
            "invalid": "Year must be a number, like 2019",
            "min_value": "Year must be 2000 or later",
            "max_value": "Year must be 2100 or earlier",
        },
    )
    period_start = _date_field("Start of the period", "For example, 1 1 2019")
    period_end = _date_field("End of the period", "For example, 31 12 2019")
    recorded_crimes = _count_field("Recorded crimes")
    suspects_charged = _count_field("Suspects charged")
    defendants_prosecuted = _count_field("Defendants prosecuted")
    defendants_convicted = _count_field("Defendants convicted")
    part_year = forms.BooleanField(
        required=False,
        label="Some counts cover only part of the year",
        help_text="Part-year figures are marked, and never compared with whole years.",
    )
    note = forms.CharField(
        max_length=300,
        required=False,
        label="Note",
        help_text="Which counts cover only part of the year, e.g. "
        "“Recorded crimes are for January to September 2019 only”.",
    )
    source = forms.CharField(
        max_length=300,
        label="Source",
        help_text="Where the figures come from: the publication or letter, and its date.",
        error_messages={"required": "Enter where the figures come from"},
    )

    def __init__(self, *args, correcting: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        fields = [
            Field.select("force"),
            Field.text("year", field_width=4),
            Field("period_start"),
            Field("period_end"),
            Fieldset(
                Field.text("recorded_crimes", field_width=10),
                Field.text("suspects_charged", field_width=10),
                Field.text("defendants_prosecuted", field_width=10),
                Field.text("defendants_convicted", field_width=10),
                legend="Counts",
                legend_size=Size.MEDIUM,
            ),
            Field.checkbox("part_year"),
            Field.text("note"),
            Field.text("source"),
        ]
        if correcting:
            self.fields["reason"] = forms.CharField(
                max_length=CHANGE_REASON_MAX_LENGTH,
                label="What was corrected, and why",
                help_text="For example, “2019 convictions revised in the CPS annual report”.",
                error_messages={"required": "Say what was corrected and why"},
            )
            fields.append(Field.text("reason"))
        self.helper = FormHelper()
        self.helper.layout = Layout(
            *fields, Submit("submit", "Save corrected figures" if correcting else "Save figures")
        )

    def figures_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in FIGURES_FIELDS}
