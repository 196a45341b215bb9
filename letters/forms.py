from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fieldset, Layout, Size, Submit
from django import forms
from django.conf import settings
from django.db import models

from forces.models import Force
from letters.documents import DocumentRejected, check_document, safe_name
from letters.models import (
    FIGURES_TABLE_LINE,
    MERGE_FIELDS,
    Addressee,
    Judgement,
    Letter,
    Reply,
    Round,
    Theme,
)
from letters.selectors.inbound import letters_to_choose_from
from letters.selectors.ministerial import national_figure_years
from letters.selectors.search import HitKind, SearchFilters
from letters.services.inbound import is_saved_email
from letters.services.replies import validate_received_on


def _helper(*fields, submit: str) -> FormHelper:
    helper = FormHelper()
    helper.layout = Layout(*fields, Submit("submit", submit))
    return helper


def _date_field(label: str, help_text: str = "", required: bool = True) -> DateInputField:
    field = DateInputField(label=label, help_text=help_text, required=required)
    field.error_messages["invalid"] = f"{label} must be a real date"
    return field


def _reply_kind_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=Reply.Kind.choices,
        widget=forms.RadioSelect,
        label="Kind of reply",
        help_text="A holding reply acknowledges the letter and promises a full answer later.",
        error_messages={"required": "Say whether this is a full or a holding reply"},
    )


class RoundForm(forms.ModelForm):
    themes = forms.ModelMultipleChoiceField(
        queryset=Theme.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Replies will be coded against these themes.",
    )

    class Meta:
        model = Round
        fields = [
            "title",
            "reference_prefix",
            "body",
            "reply_working_days",
            "themes",
            "first_reminder_days",
            "second_reminder_days",
            "escalation_days",
            "reminder_reply_days",
        ]
        widgets = {"body": forms.Textarea(attrs={"rows": 18})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].help_text = (
            "Plain text. Leave a blank line between paragraphs; start a line with “- ” for a "
            "bullet. Merge fields: "
            + ", ".join(f"{{{{ {name} }}}} ({meaning})" for name, meaning in MERGE_FIELDS.items())
            + "."
        )
        self.helper = _helper(
            Field.text("title"),
            Field.text("reference_prefix", field_width=10),
            Field.textarea("body"),
            Field.text("reply_working_days", field_width=3),
            Field.checkboxes("themes", legend_size=Size.SMALL),
            Fieldset(
                Field.text("first_reminder_days", field_width=3),
                Field.text("second_reminder_days", field_width=3),
                Field.text("escalation_days", field_width=3),
                Field.text("reminder_reply_days", field_width=3),
                legend="Chase-ups",
                legend_size=Size.MEDIUM,
            ),
            submit="Save round",
        )


class IssueRoundForm(forms.Form):
    forces = forms.ModelMultipleChoiceField(
        queryset=Force.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        label="Forces to write to",
        help_text="All 43 forces are selected. Untick any that should not receive this letter.",
        error_messages={"required": "Select at least one force to write to"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["forces"].initial = list(self.fields["forces"].queryset)
        self.helper = _helper(
            Field.checkboxes("forces", small=True, legend_size=Size.MEDIUM),
            submit="Issue letters",
        )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class DocumentsField(forms.FileField):
    """One or more uploaded files, each checked by content and size."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if not files:
            if self.required:
                raise forms.ValidationError("Choose at least one document (PDF, DOCX, TXT or EML)")
            return []
        checked, errors = [], []
        for upload in files:
            try:
                checked.append(check_document(upload, filename=upload.name))
            except DocumentRejected as rejected:
                errors.append(str(rejected))
        if errors:
            raise forms.ValidationError(errors)
        return checked


class ReplyForm(forms.Form):
    letter = forms.ModelChoiceField(
        queryset=Letter.objects.none(),
        label="Letter",
        help_text="The force and reference of the letter being answered.",
        error_messages={"required": "Choose the letter this reply answers"},
    )
    received_on = _date_field("Date received", "For example, 8 11 2019")
    channel = forms.ChoiceField(
        choices=Reply.Channel.choices,
        widget=forms.RadioSelect,
        label="How it arrived",
        error_messages={"required": "Say how the reply arrived"},
    )
    from_name = forms.CharField(
        label="From",
        max_length=200,
        help_text="Who signed or sent it, e.g. Chief Constable Jane Smith",
        error_messages={"required": "Enter who the reply is from"},
    )
    kind = _reply_kind_field()
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    documents = DocumentsField(
        label="Documents",
        help_text=(
            "PDF, Word (DOCX), plain text or saved email (EML); "
            f"each at most {settings.REPLY_DOCUMENT_MAX_BYTES // (1024 * 1024)} MB."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["letter"].queryset = (
            Letter.objects.select_related("force", "round")
            .exclude(status=Letter.Status.CLOSED)
            .order_by("-round__issued_on", "force__name")
        )
        self.fields["letter"].label_from_instance = lambda letter: (
            f"{letter.force.name} – {letter.reference} ({letter.round.title})"
        )
        self.helper = _helper(
            Field.select("letter"),
            Field("received_on"),
            Field.radios("channel", inline=True, legend_size=Size.SMALL),
            Field.text("from_name"),
            Field.radios("kind", legend_size=Size.SMALL),
            Field.textarea("summary", rows=4),
            Field("documents"),
            submit="Log reply",
        )

    def clean(self):
        cleaned = super().clean()
        letter, received_on = cleaned.get("letter"), cleaned.get("received_on")
        if letter and received_on:
            try:
                validate_received_on(letter, received_on)
            except forms.ValidationError as error:
                self.add_error(None, error)
        return cleaned


class ExtensionForm(forms.Form):
    new_due_on = _date_field("New due date")
    agreed_with = forms.CharField(
        label="Agreed with",
        max_length=200,
        help_text="Who at the force asked for or agreed the extension",
        error_messages={"required": "Enter who at the force agreed the extension"},
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter the reason for the extension"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field("new_due_on"),
            Field.text("agreed_with"),
            Field.textarea("reason", rows=3),
            submit="Grant extension",
        )


class PauseChaseUpsForm(forms.Form):
    reason = forms.CharField(
        label="Why pause chase-ups for this letter?",
        max_length=300,
        error_messages={"required": "Enter why chase-ups are paused"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.text("reason"), submit="Pause chase-ups")


class CodingDecision(models.TextChoices):
    """What the coder chose to do with one theme of a reply."""

    ACCEPT = "accept", "Accept the suggestion"
    OWN = "own", "Code it myself"
    LEAVE = "leave", "Leave uncoded for now"
    KEEP = "keep", "Keep the coding as it is"
    CHANGE = "change", "Change the coding"


class ThemeCodingForm(forms.Form):
    """One theme of a reply: the coder accepts the suggestion, codes it themself, or leaves it.

    The page shows one per theme, by prefix. Nothing is coded unless the coder chooses so:
    the form starts on "Leave uncoded for now" (or, once coded, "Keep the coding as it is").
    """

    # Not sent at all (no radio checked) means the same as leaving the theme as it is.
    decision = forms.ChoiceField(widget=forms.RadioSelect, required=False)
    judgement = forms.ChoiceField(
        choices=Judgement.choices,
        widget=forms.RadioSelect,
        required=False,
        label="Judgement",
    )
    excerpts = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        label="Excerpts",
        help_text="Quote the reply word for word. Leave a blank line between excerpts.",
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, theme: Theme, suggestion=None, coding=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.theme, self.suggestion, self.coding = theme, suggestion, coding
        if coding is not None:
            choices = [CodingDecision.KEEP, CodingDecision.CHANGE]
        elif suggestion is not None:
            choices = [CodingDecision.ACCEPT, CodingDecision.OWN, CodingDecision.LEAVE]
        else:
            choices = [CodingDecision.OWN, CodingDecision.LEAVE]
        self.fields["decision"].choices = [(choice.value, choice.label) for choice in choices]
        self.fields["decision"].initial = choices[0] if coding is not None else choices[-1]
        self.fields["judgement"].label = f"How does the reply answer “{theme.name}”?"

    @property
    def codes_it_themself(self) -> bool:
        return self["decision"].value() in (CodingDecision.OWN, CodingDecision.CHANGE)

    def clean(self):
        cleaned = super().clean()
        if self.codes_it_themself and not cleaned.get("judgement"):
            self.add_error("judgement", f"Choose how the reply answers “{self.theme.name}”")
        return cleaned

    def excerpt_list(self) -> list[str]:
        text = self.cleaned_data.get("excerpts", "")
        return [part.strip() for part in text.replace("\r\n", "\n").split("\n\n") if part.strip()]

    def coding_to_save(self) -> dict | None:
        """The coding the coder chose, for `reply_code`; None to leave the theme as it is."""
        decision = self.cleaned_data["decision"]
        if decision == CodingDecision.ACCEPT:
            return {
                "judgement": self.suggestion.judgement,
                "excerpts": list(self.suggestion.excerpts),
                "note": "",
            }
        if decision in (CodingDecision.OWN, CodingDecision.CHANGE):
            return {
                "judgement": self.cleaned_data["judgement"],
                "excerpts": self.excerpt_list(),
                "note": self.cleaned_data["note"],
            }
        return None


class SearchTextField(forms.CharField):
    """What was typed in a search box: NUL characters are dropped, never an error."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace("\x00", "")
        return super().to_python(value)


class SearchForm(forms.Form):
    q = SearchTextField(label="Search replies, excerpts and letters", required=False)
    round = forms.ModelChoiceField(
        queryset=Round.objects.exclude(status=Round.Status.DRAFT),
        to_field_name="slug",
        required=False,
        empty_label="All rounds",
    )
    force = forms.ModelChoiceField(
        queryset=Force.objects.only("code", "name"),
        to_field_name="code",
        required=False,
        empty_label="All forces",
    )
    region = forms.ChoiceField(required=False)
    theme = forms.ModelChoiceField(
        queryset=Theme.objects.all(),
        to_field_name="code",
        required=False,
        empty_label="All themes",
        help_text=(
            "Finds excerpts coded for the theme, replies coded as addressing it (fully or "
            "partly) and letters of rounds that asked about it."
        ),
    )
    kind = forms.ChoiceField(
        choices=[("", "Everything"), *HitKind.choices], required=False, label="Search in"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        regions = Force.objects.order_by("region").values_list("region", flat=True).distinct()
        self.fields["region"].choices = [("", "All regions")] + [(r, r) for r in regions]
        self.fields["round"].label_from_instance = lambda round_: (
            f"{round_.title} ({round_.reference_prefix})"
        )
        self.helper = FormHelper()

    def filters(self) -> SearchFilters:
        data = self.cleaned_data
        return SearchFilters(
            round=data["round"],
            force=data["force"],
            region=data["region"],
            theme=data["theme"],
            kind=data["kind"],
        )


class ThemeSummaryForm(forms.Form):
    """The secretariat's draft summary of what forces said about a theme."""

    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10}),
        label="Draft summary",
        help_text="Plain text. Leave a blank line between paragraphs; start a line with “- ” "
        "for a bullet.",
        error_messages={"required": "Enter the summary"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.textarea("summary", rows=10), submit="Save summary")


class ThemeObservationForm(forms.Form):
    """The Commissioner's observation on a theme, as it may go into the report and letters."""

    observation = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        label="Your observation",
        help_text="Plain text. Leave a blank line between paragraphs.",
        error_messages={"required": "Enter your observation"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.textarea("observation", rows=8), submit="Save observation")


class EmailFilesField(forms.FileField):
    """One or more uploaded files; each is judged on its own by `read_email_upload`."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if not files:
            raise forms.ValidationError("Choose at least one saved email (.eml)")
        return files


def read_email_upload(upload) -> bytes:
    """The bytes of an uploaded email; ValidationError if it is too big or not an email."""
    limit = settings.INBOUND_MESSAGE_MAX_BYTES
    name = safe_name(upload.name)
    if upload.size > limit:
        raise forms.ValidationError(
            f"‘{name}’ is larger than the limit of {limit // (1024 * 1024)} MB."
        )
    raw = upload.read()
    if not is_saved_email(raw):
        raise forms.ValidationError(
            f"‘{name}’ is not a saved email: it has no From, Subject or Message-ID. Save the "
            "message from your mail program as .eml and upload that."
        )
    return raw


class InboundUploadForm(forms.Form):
    emails = EmailFilesField(
        label="Upload saved emails",
        help_text=(
            "Emails saved from your mail program as .eml files, one or many at once; each at "
            f"most {settings.INBOUND_MESSAGE_MAX_BYTES // (1024 * 1024)} MB."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["emails"].widget.attrs["accept"] = ".eml,message/rfc822"
        self.helper = _helper(Field("emails"), submit="Upload")


class InboundConfirmForm(forms.Form):
    """Log an inbound email as a reply: to which letter, what kind, with which documents."""

    letter = forms.ModelChoiceField(
        queryset=Letter.objects.none(),
        label="Letter this email answers",
        error_messages={"required": "Choose the letter this email answers"},
    )
    kind = _reply_kind_field()
    include_body = forms.TypedChoiceField(
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        label="Keep the email's own text as a document of the reply?",
        help_text="Yes when the email itself is the reply, not just a covering note.",
    )

    def __init__(self, *args, action: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["letter"].queryset = letters_to_choose_from()
        self.fields["letter"].label_from_instance = lambda letter: (
            f"{letter.force.name} – {letter.reference} ({letter.round.title})"
        )
        self.helper = _helper(
            Field.select("letter"),
            Field.radios("kind", inline=True, legend_size=Size.SMALL),
            Field.radios("include_body", inline=True, legend_size=Size.SMALL),
            submit="Log as a reply",
        )
        self.helper.form_action = action


class AddresseeChoiceForm(forms.Form):
    """Who a letter closing a round is to: one of the saved addressees."""

    addressee = forms.ModelChoiceField(
        queryset=Addressee.objects.all(),
        widget=forms.RadioSelect,
        empty_label=None,
        label="Who is the letter to?",
        error_messages={"required": "Choose who the letter is to"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.radios("addressee", legend_size=Size.MEDIUM), submit="Draft the letter"
        )


class AddresseeForm(forms.Form):
    """A new addressee, saved for any later letter."""

    name = forms.CharField(
        label="Recipient’s name",
        max_length=200,
        help_text="As it heads the address, for example The Rt Hon Jane Smith MP",
        error_messages={"required": "Enter the recipient’s name"},
    )
    position = forms.CharField(
        label="Title or position",
        max_length=200,
        required=False,
        help_text="For example, Minister of State for Crime, Policing and the Fire Service",
    )
    organisation = forms.CharField(
        max_length=200, required=False, help_text="For example, House of Commons"
    )
    address = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="One line per line of the address, ending with the postcode.",
    )
    salutation = forms.CharField(
        label="Greeting",
        max_length=120,
        help_text="How the letter opens, for example Dear Minister",
        error_messages={"required": "Enter how the letter greets them, for example Dear Minister"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.text("name"),
            Field.text("position"),
            Field.text("organisation"),
            Field.textarea("address", rows=4),
            Field.text("salutation", field_width=20),
            submit="Save addressee",
        )


class MinisterialLetterForm(forms.Form):
    """A draft letter closing a round: to whom, its subject, its text and the figures' years."""

    addressee = forms.ModelChoiceField(
        queryset=Addressee.objects.all(),
        empty_label=None,
        label="To",
        help_text="Choosing another addressee replaces the address and greeting with theirs.",
    )
    subject = forms.CharField(
        max_length=200,
        required=False,
        help_text="Printed in bold above the text. Leave it empty for none.",
    )
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 28, "spellcheck": "true"}),
        label="Text of the letter",
        help_text=(
            "Plain text. Leave a blank line between paragraphs; start a line with “- ” for a "
            f"bullet. The line {FIGURES_TABLE_LINE} marks where the table of national figures "
            "goes: move the line to move the table, delete it to leave the table out."
        ),
        error_messages={"required": "Enter the text of the letter"},
    )
    figure_years = forms.TypedMultipleChoiceField(
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Years of national figures in the table",
        help_text="Part-year figures are footnoted in the letter with their note.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["figure_years"].choices = [
            (year, str(year)) for year in national_figure_years()
        ]
        self.helper = FormHelper()
        self.helper.attrs = {"data-autosave": "autosave-status"}
        self.helper.layout = Layout(
            Field.select("addressee"),
            Field.text("subject"),
            Field.textarea("body", rows=28),
            Field.checkboxes("figure_years", small=True, legend_size=Size.SMALL),
            Button("save", "Save draft"),
            Button.secondary("preview", "Save and preview the PDF"),
        )
