from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from commissioner.roles import SECRETARIAT, role_required
from letters.models import OutboundEmail
from letters.selectors.outbox import outbox_counts, outbox_emails
from letters.services.outbox import EmailActionRefused, email_mark_sent, email_resend

PAGE_SIZE = 50


@role_required(SECRETARIAT)
def outbox(request):
    """Every email the system has sent or will send, filterable by status."""
    status = request.GET.get("status", "")
    if status not in OutboundEmail.Status.values:
        status = ""
    page = Paginator(outbox_emails(status=status or None), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "letters/outbox.html",
        {
            "page": page,
            "status": status,
            "status_label": OutboundEmail.Status(status).label if status else "All emails",
            "statuses": OutboundEmail.Status,
            "counts": outbox_counts(),
        },
    )


def _back_to_outbox(request):
    # Back to the list the person was looking at: a known status, never a URL from the form.
    status = request.POST.get("status", "")
    suffix = f"?status={status}" if status in OutboundEmail.Status.values else ""
    return redirect(reverse("letters:outbox") + suffix)


@role_required(SECRETARIAT)
@require_POST
def outbox_resend(request, pk):
    email = get_object_or_404(OutboundEmail, pk=pk)
    try:
        email_resend(email=email, by=request.user)
    except EmailActionRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"“{email.subject}” is queued to be sent again.")
    return _back_to_outbox(request)


@role_required(SECRETARIAT)
@require_POST
def outbox_mark_sent(request, pk):
    email = get_object_or_404(OutboundEmail, pk=pk)
    try:
        email_mark_sent(email=email, by=request.user)
    except EmailActionRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"“{email.subject}” is marked as sent.")
    return _back_to_outbox(request)
