from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
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
    reply = get_object_or_404(Reply.objects.select_related("letter__force", "letter__round"), pk=pk)
    initial = coding_initial(reply)
    forms = [
        ThemeCodingForm(
            request.POST or None, prefix=theme.code, theme=theme, initial=initial[theme]["initial"]
        )
        for theme in initial
    ]
    if request.method == "POST" and all(form.is_valid() for form in forms):
        codings = {
            form.theme: {
                "judgement": form.cleaned_data["judgement"],
                "excerpts": form.excerpt_list(),
                "note": form.cleaned_data["note"],
            }
            for form in forms
            if form.cleaned_data["judgement"]
        }
        try:
            reply_code(reply=reply, codings=codings, coded_by=request.user)
        except CodingErrors as refused:
            for form in forms:
                if form.theme.code in refused.errors:
                    form.add_error(None, refused.errors[form.theme.code])
        else:
            messages.success(request, f"Coding saved for {len(codings)} theme(s).")
            return redirect("letters:reply_detail", pk=pk)
    return render(
        request,
        "letters/reply_code.html",
        {
            "reply": reply,
            "themes": [
                {"form": form, "suggestion": initial[form.theme]["suggestion"]} for form in forms
            ],
            "has_errors": any(form.errors for form in forms),
        },
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
