"""Summary reports: asked for on the round's page, built in the background."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from letters import tasks
from letters.models import Report, Round
from letters.pdf import summary_report_pdf
from letters.queue import enqueue
from letters.selectors.report import summary_report

logger = logging.getLogger(__name__)


class ReportNotAvailable(Exception):
    """A draft round has no letters, so nothing to report."""


STEPS = ("Reading the replies and codings", "Laying out the pages", "Saving the PDF")


def _step(number: int) -> str:
    return f"Step {number} of {len(STEPS)}: {STEPS[number - 1].lower()}"


def _abandoned_before():
    """A report running since before this was left by a worker that died or hit the limit."""
    return timezone.now() - timedelta(seconds=settings.REPORT_BUILD_TIME_LIMIT)


@transaction.atomic
def report_request(*, round: Round, requested_by) -> tuple[Report, bool]:
    """Ask for the round's summary report: (the report, whether it is a new request).

    A report already queued or being built for the round is returned instead of a second one.
    """
    if Round.objects.get(pk=round.pk).is_draft:
        raise ReportNotAvailable(f"“{round}” has not been issued yet: there is nothing to report.")
    in_progress = (
        Report.objects.select_for_update()
        .filter(round=round, kind=Report.Kind.SUMMARY, requested_at__gte=_abandoned_before())
        .filter(status__in=(Report.Status.QUEUED, Report.Status.RUNNING))
        .first()
    )
    if in_progress is not None:
        return in_progress, False
    report = Report.objects.create(round=round, requested_by=requested_by)
    enqueue(tasks.build_report, report.pk)
    return report, True


def report_build(*, report_id: int) -> Report | None:
    """Build a queued report's PDF; None if there is nothing to do (already built or building).

    A second delivery of the same task finds the report claimed and leaves it alone, unless the
    first build was abandoned (running longer than REPORT_BUILD_TIME_LIMIT).
    """
    started_at = timezone.now()
    claimable = Q(status=Report.Status.QUEUED) | Q(
        status=Report.Status.RUNNING, started_at__lt=_abandoned_before()
    )
    claimed = Report.objects.filter(claimable, pk=report_id).update(
        status=Report.Status.RUNNING,
        started_at=started_at,
        finished_at=None,
        progress=_step(1),
        error="",
    )
    if not claimed:
        logger.info("Report %s is already built or being built: nothing to do.", report_id)
        return None
    mine = Report.objects.filter(pk=report_id, started_at=started_at)
    report = Report.objects.select_related("round").get(pk=report_id)
    try:
        content = summary_report(round=report.round)
        mine.update(progress=_step(2))
        pdf = summary_report_pdf(content)
        mine.update(progress=_step(3))
        name = default_storage.save(
            f"reports/{report.round_id}/summary-{report.round.slug}-{report.pk}.pdf",
            ContentFile(pdf.content),
        )
        mine.update(
            status=Report.Status.DONE,
            file=name,
            page_count=pdf.page_count,
            finished_at=timezone.now(),
            progress="",
        )
    except Exception as error:  # whatever went wrong is shown on the round's page
        logger.exception("Report %s failed", report_id)
        mine.update(
            status=Report.Status.FAILED,
            error=f"{type(error).__name__}: {error}",
            finished_at=timezone.now(),
        )
    report.refresh_from_db()
    return report
