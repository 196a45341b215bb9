from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Submit
from django import forms


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
