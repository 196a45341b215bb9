"""Celery tasks: thin wrappers that take ids and call one service.

Each is safe to run twice (a second delivery finds its work done or claimed) and is queued
with letters.queue.enqueue after the commit, so a worker never looks for rows not yet committed.
The services queue these tasks, so most are imported inside the task, when it runs.
"""

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import InterfaceError, OperationalError

from letters.models import Letter, Reply
from letters.services.suggestions import reply_suggest

# The database may be briefly out of reach (a restart, a failover): worth trying again.
DATABASE_TROUBLE = (OperationalError, InterfaceError)
RETRY = {
    "max_retries": 5,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "acks_late": True,
}


@shared_task(bind=True, **RETRY)
def suggest_coding(self, reply_id: int) -> None:
    # Safe to run twice: pending suggestions are replaced, decided ones are kept.
    reply = Reply.objects.filter(pk=reply_id).first()
    if reply is not None:
        reply_suggest(reply=reply)


@shared_task(bind=True, max_retries=0, acks_late=True)
def fetch_replies(self) -> str:
    # No retries: the next beat run is the retry. Safe to run twice: messages import once.
    # Imported here: the inbound service imports this module (through reply_log).
    from letters.services.inbound import mailbox_fetch

    if not settings.IMAP_HOST:
        return "IMAP_HOST is not set: no mailbox to read."
    return str(mailbox_fetch(limit=settings.IMAP_FETCH_LIMIT))


@shared_task(bind=True, autoretry_for=DATABASE_TROUBLE, **RETRY)
def deliver_letter(self, letter_id: int) -> None:
    """Store an issued letter's PDF (once) and queue its email."""
    from letters.services.delivery import letter_deliver

    letter = Letter.objects.select_related("round", "force").filter(pk=letter_id).first()
    if letter is not None:
        letter_deliver(letter=letter)


@shared_task(bind=True, time_limit=settings.OUTBOX_SEND_TIME_LIMIT, **RETRY)
def send_email(self, email_id: int) -> str:
    """Send one outbox email; transient failures are retried with backoff and jitter."""
    from letters.services.outbox import SendOutcome, email_send

    outcome = email_send(email_id=email_id, may_retry=self.request.retries < self.max_retries)
    if outcome == SendOutcome.RETRY:
        countdown = get_exponential_backoff_interval(
            factor=settings.OUTBOX_RETRY_BACKOFF,
            retries=self.request.retries,
            maximum=60 * 60,
            full_jitter=True,
        )
        raise self.retry(countdown=countdown)
    return outcome.value


@shared_task(bind=True, autoretry_for=DATABASE_TROUBLE, **RETRY)
def recover_background_work(self) -> dict[str, dict[str, int]]:
    """Beat, every few minutes: send work kept while the queue was down; settle dead claims."""
    from letters.queue import deferred_tasks_publish
    from letters.services.outbox import outbox_recover

    return {"deferred": deferred_tasks_publish(), "outbox": outbox_recover()}


@shared_task(bind=True, autoretry_for=DATABASE_TROUBLE, **(RETRY | {"max_retries": 3}))
def send_chase_ups(self) -> str:
    """The nightly chase-up (beat); running it twice the same day makes nothing the second time."""
    from letters.services.chase_ups import chase_ups_send

    return chase_ups_send().summary()


@shared_task(
    bind=True,
    autoretry_for=DATABASE_TROUBLE,
    time_limit=settings.REPORT_BUILD_TIME_LIMIT,
    soft_time_limit=settings.REPORT_BUILD_TIME_LIMIT - 30,
    **(RETRY | {"max_retries": 3}),
)
def build_report(self, report_id: int) -> None:
    from letters.services.reports import report_build

    report_build(report_id=report_id)
