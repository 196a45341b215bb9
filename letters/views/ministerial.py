"""The letter that closes a round: drafted by the secretariat or the Commissioner, issued by the
Commissioner only, and kept as issued."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from commissioner.roles import COMMISSIONER, READERS, SECRETARIAT, role_required
from letters.forms import AddresseeChoiceForm, AddresseeForm, MinisterialLetterForm
from letters.models import MinisterialLetter, Round
from letters.pdf import ministerial_letter_pdf
from letters.selectors.ministerial import (
    draft_notes,
    issue_problems,
    letter_figures,
    next_reference,
    round_observations,
)
from letters.services.ministerial import (
    LetterIssued,
    addressee_create,
    ministerial_letter_create,
    ministerial_letter_issue,
    ministerial_letter_update,
)

# Who may draft and edit; only the Commissioner issues.
DRAFTERS = (SECRETARIAT, COMMISSIONER)


def _letter(pk) -> MinisterialLetter:
    return get_object_or_404(
        MinisterialLetter.objects.select_related("round", "updated_by", "issued_by"), pk=pk
    )


def _round_url(letter: MinisterialLetter) -> str:
    return reverse("letters:round_detail", args=[letter.round.slug]) + "#letters-out"


@role_required(*DRAFTERS)
@require_http_methods(["GET", "POST"])
def ministerial_letter_create_view(request, slug):
    round_ = get_object_or_404(Round, slug=slug)
    form = AddresseeChoiceForm(
        request.POST or None, initial={"addressee": request.GET.get("addressee")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            letter = ministerial_letter_create(
                round=round_, addressee=form.cleaned_data["addressee"], created_by=request.user
            )
        except ValidationError as refused:
            form.add_error(None, refused)
        else:
            messages.success(request, f"Draft letter to {letter.addressee_name} started.")
            return redirect("letters:ministerial_letter_edit", pk=letter.pk)
    return render(
        request,
        "letters/ministerial_create.html",
        {
            "round": round_,
            "form": form,
            "has_addressees": form.fields["addressee"].queryset.exists(),
            "observations": round_observations(round=round_),
        },
    )


@role_required(*DRAFTERS)
@require_http_methods(["GET", "POST"])
def addressee_create_view(request, slug):
    round_ = get_object_or_404(Round, slug=slug)
    form = AddresseeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            addressee = addressee_create(created_by=request.user, **form.cleaned_data)
        except ValidationError as refused:
            form.add_error(None, refused)
        else:
            messages.success(request, f"{addressee} is saved as an addressee.")
            url = reverse("letters:ministerial_letter_create", args=[round_.slug])
            return redirect(f"{url}?addressee={addressee.pk}")
    return render(request, "letters/addressee_form.html", {"round": round_, "form": form})


def _autosaved(form: MinisterialLetterForm, letter: MinisterialLetter | None) -> JsonResponse:
    """The answer to the page's background save: when it was saved, or why it was not."""
    if letter is None:
        errors = [str(error) for errors in form.errors.values() for error in errors]
        return JsonResponse({"saved": False, "errors": errors}, status=400)
    saved_at = timezone.localtime(letter.updated_at)
    return JsonResponse({"saved": True, "saved_at": f"{saved_at:%H:%M:%S}"})


@role_required(*DRAFTERS)
@require_http_methods(["GET", "POST"])
def ministerial_letter_edit(request, pk):
    letter = _letter(pk)
    autosave = request.headers.get("X-Autosave") == "1"
    if letter.is_issued:
        if autosave:
            return JsonResponse(
                {"saved": False, "errors": [f"{letter.reference} has been issued."]}, status=409
            )
        messages.error(request, f"{letter.reference} has been issued and cannot change.")
        return redirect(_round_url(letter))
    form = MinisterialLetterForm(
        request.POST or None,
        initial={
            "addressee": letter.addressee_id,
            "subject": letter.subject,
            "body": letter.body,
            "figure_years": letter.figure_years,
        },
    )
    saved = None
    if request.method == "POST" and form.is_valid():
        try:
            saved = ministerial_letter_update(
                letter=letter, updated_by=request.user, **form.cleaned_data
            )
        except ValidationError as refused:
            form.add_error(None, refused)
        except LetterIssued as issued:
            messages.error(request, str(issued))
            return redirect(_round_url(letter))
    if autosave:
        return _autosaved(form, saved)
    if saved is not None:
        if "preview" in request.POST:
            return redirect("letters:ministerial_letter_preview", pk=pk)
        messages.success(request, "Draft saved.")
        return redirect("letters:ministerial_letter_edit", pk=pk)
    observations = round_observations(round=letter.round)
    return render(
        request,
        "letters/ministerial_edit.html",
        {
            "letter": letter,
            "round": letter.round,
            "form": form,
            "observations": observations,
            "notes": draft_notes(letter, observations),
            "figures": letter_figures(years=letter.figure_years),
        },
    )


@role_required(*READERS)
def ministerial_letter_preview(request, pk):
    """The PDF, shown in the browser: a draft drawn as it stands, an issued letter as issued."""
    letter = _letter(pk)
    if letter.is_issued:
        return _stored_pdf(letter, as_attachment=False)
    response = HttpResponse(ministerial_letter_pdf(letter), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="draft-letter-{letter.pk}.pdf"'
    return response


def _stored_pdf(letter: MinisterialLetter, *, as_attachment: bool) -> FileResponse:
    return FileResponse(
        letter.pdf.open("rb"),
        as_attachment=as_attachment,
        filename=letter.pdf.name.rsplit("/", 1)[-1],
        content_type="application/pdf",
    )


@role_required(*READERS)
def ministerial_letter_pdf_view(request, pk):
    """The PDF exactly as it was issued."""
    letter = _letter(pk)
    if not letter.is_issued:
        raise Http404("Only an issued letter has a PDF to download; preview a draft instead.")
    return _stored_pdf(letter, as_attachment=True)


@role_required(COMMISSIONER)
@require_http_methods(["GET", "POST"])
def ministerial_letter_issue_view(request, pk):
    letter = _letter(pk)
    if letter.is_issued:
        messages.info(request, f"{letter.reference} was issued on {letter.issued_on:%-d %B %Y}.")
        return redirect(_round_url(letter))
    problems = issue_problems(letter)
    if request.method == "POST":
        try:
            letter = ministerial_letter_issue(letter=letter, issued_by=request.user)
        except LetterIssued as issued:
            messages.error(request, str(issued))
            return redirect(_round_url(letter))
        except ValidationError as refused:
            problems = refused.messages
        else:
            messages.success(request, f"Letter {letter.reference} issued and kept with the round.")
            return redirect(_round_url(letter))
    return render(
        request,
        "letters/ministerial_issue.html",
        {
            "letter": letter,
            "round": letter.round,
            "problems": problems,
            "reference": next_reference(letter.round),
            "today": timezone.localdate(),
        },
    )
