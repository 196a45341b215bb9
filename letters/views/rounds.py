from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from commissioner.roles import READERS, SECRETARIAT, role_required
from forces.models import Force
from letters.exports import TRACKER_COLUMNS, csv_response, tracker_table, xlsx_response
from letters.filters import TrackerFilter
from letters.forms import IssueRoundForm, RoundForm
from letters.models import Round, TrackerStatus
from letters.pdf import letter_context, letter_pdf
from letters.selectors.chase_ups import escalated_letters
from letters.selectors.ministerial import (
    ministerial_letters_of,
    round_has_reviewed_observations,
)
from letters.selectors.outbox import round_delivery
from letters.selectors.tracker import rounds_with_progress, tracker_counts, tracker_rows
from letters.services.rounds import (
    RoundNotDraft,
    letter_preview,
    round_create,
    round_issue,
    round_update,
)


@role_required(*READERS)
def round_list(request):
    return render(request, "letters/round_list.html", {"rounds": rounds_with_progress()})


@role_required(SECRETARIAT)
@require_http_methods(["GET", "POST"])
def round_create_view(request):
    form = RoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        round_ = round_create(created_by=request.user, **form.cleaned_data)
        messages.success(request, f"Round “{round_}” saved as a draft.")
        return redirect("letters:round_detail", slug=round_.slug)
    return render(request, "letters/round_form.html", {"form": form})


@role_required(SECRETARIAT)
@require_http_methods(["GET", "POST"])
def round_edit(request, slug):
    round_ = get_object_or_404(Round, slug=slug)
    if not round_.is_draft:
        messages.error(request, f"“{round_}” has been issued; its letters can no longer change.")
        return redirect("letters:round_detail", slug=slug)
    form = RoundForm(request.POST or None, instance=round_)
    if request.method == "POST" and form.is_valid():
        round_update(round=round_, **form.cleaned_data)
        messages.success(request, "Round saved.")
        return redirect("letters:round_detail", slug=slug)
    return render(request, "letters/round_form.html", {"form": form, "round": round_})


@role_required(*READERS)
def round_detail(request, slug):
    """The round's tracker: every letter, filterable and sortable, with CSV and XLSX exports."""
    round_ = get_object_or_404(Round.objects.prefetch_related("themes"), slug=slug)
    theme_count = len(round_.themes.all())
    every_row = tracker_rows(round=round_)
    filters = TrackerFilter(request.GET or None, queryset=every_row)
    # The counts are of the whole round; unfiltered, the rows are the same query's result.
    counts = tracker_counts(list(every_row))
    rows = filters.qs if filters.is_bound else every_row
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        table = tracker_table(rows, theme_count=theme_count)
        respond = csv_response if export == "csv" else xlsx_response
        return respond(f"tracker-{round_.slug}", TRACKER_COLUMNS, table)
    reports = list(round_.reports.select_related("requested_by")[:1])
    latest_report = reports[0] if reports else None
    ready_report = (
        latest_report
        if latest_report is None or latest_report.status == latest_report.Status.DONE
        else round_.reports.filter(status=latest_report.Status.DONE).first()
    )
    return render(
        request,
        "letters/round_detail.html",
        {
            "round": round_,
            "delivery": None if round_.is_draft else round_delivery(round=round_),
            "escalated": escalated_letters(round=round_),
            "report": latest_report,
            "ready_report": ready_report if ready_report != latest_report else None,
            "filters": filters,
            "rows": rows,
            "counts": counts,
            "statuses": TrackerStatus,
            "theme_count": theme_count,
            "query_string": request.GET.urlencode(),
            "ministerial_letters": ministerial_letters_of(round=round_),
            "has_reviewed_observations": round_has_reviewed_observations(round=round_),
        },
    )


@role_required(*READERS)
def round_preview(request, slug):
    round_ = get_object_or_404(Round, slug=slug)
    force = get_object_or_404(Force, code=request.GET.get("force", "metropolitan"))
    letter = letter_preview(round=round_, force=force)
    if request.GET.get("format") == "pdf":
        response = HttpResponse(letter_pdf(letter), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="preview-{force.code}.pdf"'
        return response
    return render(
        request,
        "letters/round_preview.html",
        {**letter_context(letter), "round": round_, "force": force, "forces": Force.objects.all()},
    )


@role_required(SECRETARIAT)
@require_http_methods(["GET", "POST"])
def round_issue_view(request, slug):
    round_ = get_object_or_404(Round, slug=slug)
    form = IssueRoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            letters = round_issue(
                round=round_, forces=form.cleaned_data["forces"], issued_by=request.user
            )
        except RoundNotDraft as not_draft:
            messages.error(request, str(not_draft))
        else:
            messages.success(request, f"{len(letters)} letters issued.")
        return redirect("letters:round_detail", slug=slug)
    return render(request, "letters/round_issue.html", {"round": round_, "form": form})
