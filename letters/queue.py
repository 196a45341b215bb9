"""Handing work to Celery so that a queue outage delays it but never loses it or breaks a page.

Services call `enqueue(task, *args)` inside their transaction. The task is published after the
commit; if the broker does not answer, the work is written down as a DeferredTask instead, and
`deferred_tasks_publish` (run by beat every few minutes) sends it once the broker is back.
"""

import logging
from functools import partial

from celery import current_app
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerUnreachable

from letters.models import DeferredTask

logger = logging.getLogger(__name__)

# Give up quickly: a person is waiting for the page, and the work is kept to send later.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0.2, "interval_step": 0.2}


def enqueue(task, *args) -> None:
    """Queue `task(*args)` once the current transaction commits (straight away outside one)."""
    transaction.on_commit(partial(publish, task.name, list(args)), robust=True)


def publish(name: str, args: list) -> bool:
    """Send one task to the broker; on failure keep it as a DeferredTask. True if sent."""
    try:
        current_app.tasks[name].apply_async(args=args, retry_policy=PUBLISH_RETRY_POLICY)
    except (BrokerUnreachable, OSError) as error:
        logger.warning("Queue unreachable; %s%s kept to send later: %s", name, tuple(args), error)
        DeferredTask.objects.create(name=name, args=args, last_error=str(error)[:1000])
        return False
    return True


def deferred_tasks_publish() -> dict[str, int]:
    """Send the work kept while the queue was down, oldest first; stop at the first failure."""
    sent = 0
    for deferred in DeferredTask.objects.all():
        try:
            current_app.tasks[deferred.name].apply_async(
                args=deferred.args, retry_policy=PUBLISH_RETRY_POLICY
            )
        except (BrokerUnreachable, OSError) as error:
            DeferredTask.objects.filter(pk=deferred.pk).update(last_error=str(error)[:1000])
            break
        deferred.delete()
        sent += 1
    return {"sent": sent, "still_waiting": DeferredTask.objects.count()}
