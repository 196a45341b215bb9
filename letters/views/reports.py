from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from commissioner.roles import COMMISSIONER, READERS, SECRETARIAT, role_required
from letters.models import Report, Round
from letters.services.reports import ReportNotAvailable, report_request


@role_required(COMMISSIONER, SECRETARIAT)
@require_POST
def report_request_view(request, slug):
    round_ = get_object_or_404(Round, slug=slug)
    try:
        _, created = report_request(round=round_, requested_by=request.user)
    except ReportNotAvailable as not_available:
        messages.error(request, str(not_available))
    else:
        if created:
            messages.success(
                request, "The summary report is on its way: it appears below when ready."
            )
        else:
            messages.info(request, "The summary report is already being built: it appears below.")
    return redirect(reverse("letters:round_detail", args=[slug]) + "#summary-report")


@role_required(*READERS)
def report_status(request, pk):
    """The report's status panel alone, for the round's page to refresh while it is built."""
    report = get_object_or_404(Report.objects.select_related("requested_by"), pk=pk)
    return render(request, "letters/includes/report_status.html", {"report": report})


@role_required(*READERS)
def report_download(request, pk):
    report = get_object_or_404(Report.objects.select_related("round"), pk=pk)
    if report.status != Report.Status.DONE or not report.file:
        raise Http404("This report has not been built.")
    return FileResponse(
        report.file.open("rb"),
        as_attachment=True,
        filename=f"summary-report-{report.round.slug}-{report.finished_at:%Y-%m-%d}.pdf",
        content_type="application/pdf",
    )
