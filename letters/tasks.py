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
