from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from commissioner.roles import READERS, SECRETARIAT, role_required
from letters.forms import ExtensionForm, PauseChaseUpsForm
from letters.models import Letter, Reminder
from letters.selectors.history import letter_history
from letters.selectors.tracker import letters_with_state
from letters.services.delivery import document_name, letter_email_to_force
from letters.services.letters import (
    letter_extend,
    letter_pause_chase_ups,
    letter_resume_chase_ups,
)
from letters.working_days import count_working_days


@role_required(*READERS)
def letter_detail(request, pk):
    letter = get_object_or_404(letters_with_state(Letter.objects.filter(pk=pk)))
    return render(
        request,
        "letters/letter_detail.html",
        {
            "letter": letter,
            "due_count": count_working_days(letter.issued_on, letter.round.reply_working_days),
            "replies": letter.replies.prefetch_related("documents", "codings__theme"),
            "extensions": letter.extensions.select_related("granted_by"),
            "emails": letter.inbound_messages.order_by("-imported_at"),
            "reminders": letter.reminders.select_related("email"),
            "email": letter.emails.filter(idempotency_key=f"letter:{letter.pk}").first(),
            "history": letter_history(letter),
        },
    )


@role_required(SECRETARIAT)
@require_http_methods(["GET", "POST"])
def letter_extend_view(request, pk):
    letter = get_object_or_404(Letter.objects.select_related("force"), pk=pk)
    form = ExtensionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            extension = letter_extend(letter=letter, granted_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, f"{letter.force} now has until {extension.new_due_on:%-d %B %Y} to reply."
            )
            return redirect("letters:letter_detail", pk=pk)
    return render(request, "letters/letter_extend.html", {"letter": letter, "form": form})


@role_required(SECRETARIAT)
@require_http_methods(["GET", "POST"])
def letter_pause_view(request, pk):
    letter = get_object_or_404(Letter.objects.select_related("force"), pk=pk)
    form = PauseChaseUpsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        letter_pause_chase_ups(letter=letter, reason=form.cleaned_data["reason"])
        messages.success(request, f"Chase-ups paused for {letter.reference}.")
        return redirect("letters:letter_detail", pk=pk)
    return render(request, "letters/letter_pause.html", {"letter": letter, "form": form})


@role_required(SECRETARIAT)
@require_POST
def letter_resume_view(request, pk):
    letter = get_object_or_404(Letter, pk=pk)
    letter_resume_chase_ups(letter=letter)
    messages.success(request, f"Chase-ups resumed for {letter.reference}.")
    return redirect("letters:letter_detail", pk=pk)


def _pdf_response(file, filename: str) -> FileResponse:
    if not file:
        raise Http404("This PDF has not been made yet.")
    return FileResponse(
        file.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf"
    )


@role_required(*READERS)
def letter_pdf_download(request, pk):
    """The letter exactly as it was sent."""
    letter = get_object_or_404(Letter, pk=pk)
    return _pdf_response(letter.pdf, f"{document_name(letter.reference)}.pdf")


@role_required(*READERS)
def reminder_pdf_download(request, pk):
    reminder = get_object_or_404(Reminder.objects.select_related("letter"), pk=pk)
    name = f"{document_name(reminder.letter.reference)}-{reminder.step}-reminder.pdf"
    return _pdf_response(reminder.pdf, name)


@role_required(SECRETARIAT)
@require_POST
def letter_email_view(request, pk):
    """Email a letter issued without an address, once its force has one."""
    letter = get_object_or_404(Letter, pk=pk)
    try:
        email = letter_email_to_force(letter=letter)
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
    else:
        messages.success(request, f"{letter.reference} is queued to be emailed to {email.to}.")
    return redirect("letters:letter_detail", pk=pk)
