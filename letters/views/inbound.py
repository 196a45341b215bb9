from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from commissioner.roles import READERS, SECRETARIAT, has_role, role_required
from letters.forms import InboundConfirmForm, InboundUploadForm, read_email_upload
from letters.models import InboundAttachment, InboundMessage, Reply
from letters.selectors.inbound import inbox_counts, inbox_messages, match_label
from letters.services.inbound import (
    MessageNotOpen,
    message_confirm,
    message_dismiss,
    message_file,
    message_import,
)

INBOX_PAGE_SIZE = 50


@role_required(SECRETARIAT)
@require_http_methods(["GET", "POST"])
def inbox(request):
    """Emails waiting for a person, and the upload of saved ones."""
    form = InboundUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        _import_uploads(request, form.cleaned_data["emails"])
        return redirect("letters:inbox")
    status = request.GET.get("status")
    if status not in InboundMessage.Status.values:
        status = InboundMessage.Status.AWAITING
    page = Paginator(inbox_messages(status=status), INBOX_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "letters/inbox.html",
        {
            "form": form,
            "page": page,
            "status": InboundMessage.Status(status),
            "statuses": InboundMessage.Status,
            "counts": inbox_counts(),
        },
    )


def _import_uploads(request, uploads) -> None:
    imported, again = [], 0
    for upload in uploads:
        try:
            raw = read_email_upload(upload)
        except ValidationError as refusal:
            messages.error(request, " ".join(refusal.messages))
            continue
        message, created = message_import(
            raw=raw, source=InboundMessage.Source.UPLOAD, imported_by=request.user
        )
        if created:
            imported.append(f"‘{message}’: {match_label(message)}")
        else:
            again += 1
    if imported:
        messages.success(request, f"{len(imported)} email(s) imported. " + "; ".join(imported))
    if again:
        messages.info(request, f"{again} email(s) were already in the inbox.")


def _detail_context(request, message: InboundMessage, form=None) -> dict:
    if form is None and message.is_open and has_role(request.user, SECRETARIAT):
        accepted = any(attachment.accepted for attachment in message.attachments.all())
        form = InboundConfirmForm(
            initial={
                "letter": message.letter,
                "kind": Reply.Kind.FULL,
                "include_body": "no" if accepted else "yes",
            },
            action=reverse("letters:inbound_confirm", args=[message.pk]),
        )
    return {"message": message, "attachments": message.attachments.all(), "form": form}


def _message(pk) -> InboundMessage:
    return get_object_or_404(
        InboundMessage.objects.select_related(
            "letter__force", "letter__round", "reply", "decided_by", "imported_by", "bounced_email"
        ).prefetch_related("attachments"),
        pk=pk,
    )


@role_required(*READERS)
def inbound_detail(request, pk):
    message = _message(pk)
    return render(request, "letters/inbound_detail.html", _detail_context(request, message))


@role_required(SECRETARIAT)
@require_POST
def inbound_confirm_view(request, pk):
    message = _message(pk)
    form = InboundConfirmForm(
        request.POST, action=reverse("letters:inbound_confirm", args=[message.pk])
    )
    if form.is_valid():
        try:
            reply = message_confirm(message=message, by=request.user, **form.cleaned_data)
        except MessageNotOpen as refusal:
            messages.error(request, str(refusal))
            return redirect("letters:inbound_detail", pk=pk)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, f"Email logged as a {reply.get_kind_display().lower()} to {reply.letter}."
            )
            if request.POST.get("return_to") == "inbox":
                return redirect("letters:inbox")
            return redirect("letters:reply_code", pk=reply.pk)
    return render(
        request, "letters/inbound_detail.html", _detail_context(request, message, form=form)
    )


def _decide(request, pk, decide, done: str):
    message = get_object_or_404(InboundMessage, pk=pk)
    try:
        decide(message=message, by=request.user)
    except MessageNotOpen as refusal:
        messages.error(request, str(refusal))
        return redirect("letters:inbound_detail", pk=pk)
    messages.success(request, f"‘{message}’ {done}.")
    return redirect("letters:inbox")


@role_required(SECRETARIAT)
@require_POST
def inbound_file_view(request, pk):
    return _decide(request, pk, message_file, "filed")


@role_required(SECRETARIAT)
@require_POST
def inbound_dismiss_view(request, pk):
    return _decide(request, pk, message_dismiss, "dismissed")


@role_required(*READERS)
def inbound_original(request, pk):
    message = get_object_or_404(InboundMessage, pk=pk)
    return FileResponse(
        message.raw.open("rb"),
        as_attachment=True,
        filename=f"email-{message.pk}.eml",
        content_type="message/rfc822",
    )


@role_required(*READERS)
def inbound_attachment_download(request, pk):
    attachment = get_object_or_404(InboundAttachment, pk=pk)
    if not attachment.file:
        raise Http404("This attachment was refused; it is kept only inside the original email.")
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.detected_type,
    )
