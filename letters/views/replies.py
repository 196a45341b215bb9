from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_http_methods

from commissioner.roles import READERS, SECRETARIAT, role_required
from letters.forms import ReplyForm, ThemeCodingForm
from letters.models import Letter, Reply, ReplyDocument
from letters.selectors.coding import coding_initial
from letters.services.coding import CodingErrors, reply_code
from letters.services.replies import earlier_full_reply, reply_log


@role_required(SECRETARIAT)
@require_http_methods(["GET", "POST"])
def reply_log_view(request):
    initial_letter = Letter.objects.filter(pk=request.GET.get("letter") or None).first()
    form = ReplyForm(
        request.POST or None,
        request.FILES or None,
        initial={"letter": initial_letter, "channel": Reply.Channel.EMAIL},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        earlier = earlier_full_reply(data["letter"])
        try:
            reply = reply_log(logged_by=request.user, **data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if earlier and reply.kind == Reply.Kind.FULL:
                messages.warning(
                    request,
                    f"{reply.letter.reference} already had a full reply, received "
                    f"{earlier.received_on:%-d %B %Y}. This second full reply is logged too.",
                )
            for document in data["documents"]:
                for note in document.notes:
                    messages.warning(request, f"{document.safe_name}: {note}")
            messages.success(request, f"Reply from {reply.letter.force} logged.")
            return redirect("letters:reply_code", pk=reply.pk)
    selected = form["letter"].value()
    letter = Letter.objects.filter(pk=selected).first() if str(selected).isdigit() else None
    return render(
        request,
        "letters/reply_form.html",
        {"form": form, "earlier_full_reply": letter and earlier_full_reply(letter)},
    )


@role_required(*READERS)
def reply_detail(request, pk):
    reply = get_object_or_404(
        Reply.objects.select_related("letter__force", "letter__round", "logged_by"), pk=pk
    )
    return render(
        request,
        "letters/reply_detail.html",
        {
            "reply": reply,
            "documents": reply.documents.all(),
            "codings": reply.codings.select_related("theme", "coded_by").prefetch_related(
                "excerpts"
            ),
        },
    )


@role_required(SECRETARIAT)
@require_http_methods(["GET", "POST"])
def reply_code_view(request, pk):
    """Per theme, the coder accepts the system's suggestion, codes it themself, or leaves it."""
    reply = get_object_or_404(Reply.objects.select_related("letter__force", "letter__round"), pk=pk)
    themes = coding_initial(reply)
    forms = [
        ThemeCodingForm(
            request.POST or None,
            prefix=theme.code,
            theme=theme,
            suggestion=item["suggestion"],
            coding=item["coding"],
            initial=item["initial"],
        )
        for theme, item in themes.items()
    ]
    if request.method == "POST" and all(form.is_valid() for form in forms):
        chosen = {form.theme: form.coding_to_save() for form in forms}
        codings = {theme: coding for theme, coding in chosen.items() if coding is not None}
        try:
            reply_code(reply=reply, codings=codings, coded_by=request.user)
        except CodingErrors as refused:
            for form in forms:
                if form.theme.code in refused.errors:
                    form.add_error(None, refused.errors[form.theme.code])
        else:
            left = len(chosen) - len(codings)
            if codings:
                messages.success(
                    request,
                    f"Coding saved for {len(codings)} theme{pluralize(len(codings))}"
                    + (f"; {left} left as {pluralize(left, 'it was,they were')}." if left else "."),
                )
            else:
                messages.info(request, "Nothing was coded: every theme was left as it was.")
            return redirect("letters:reply_detail", pk=pk)
    return render(
        request,
        "letters/reply_code.html",
        {"reply": reply, "forms": forms, "has_errors": any(form.errors for form in forms)},
    )


@role_required(*READERS)
def document_download(request, pk):
    document = get_object_or_404(ReplyDocument, pk=pk)
    return FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
