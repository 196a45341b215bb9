"""Celery tasks: thin wrappers that take ids and call one service."""

from celery import shared_task

from letters.models import Reply
from letters.services.suggestions import reply_suggest


@shared_task(bind=True, max_retries=5, retry_backoff=True, retry_jitter=True, acks_late=True)
def suggest_coding(self, reply_id: int) -> None:
    # Safe to run twice: pending suggestions are replaced, decided ones are kept.
    reply = Reply.objects.filter(pk=reply_id).first()
    if reply is not None:
        reply_suggest(reply=reply)


@shared_task(bind=True, max_retries=0, acks_late=True)
def fetch_replies(self) -> str:
    # No retries: the next beat run is the retry. Safe to run twice: messages import once.
    from django.conf import settings

    # Imported here: the inbound service imports this module (through reply_log).
    from letters.services.inbound import mailbox_fetch

    if not settings.IMAP_HOST:
        return "IMAP_HOST is not set: no mailbox to read."
    return str(mailbox_fetch(limit=settings.IMAP_FETCH_LIMIT))
