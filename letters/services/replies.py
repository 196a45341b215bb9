"""Logging what forces send back."""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from letters.documents import CheckedDocument
from letters.models import Letter, Reply, ReplyDocument
from letters.queue import enqueue
from letters.tasks import suggest_coding


def validate_received_on(letter: Letter, received_on: date) -> None:
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": "The date received cannot be in the future."})
    if received_on < letter.issued_on:
        raise ValidationError(
            {
                "received_on": f"The date received cannot be before the letter was issued "
                f"({letter.issued_on:%-d %B %Y})."
            }
        )


def _status_after_reply(letter: Letter, kind: str) -> str:
    if letter.has_full_reply:
        return letter.status
    return Letter.Status.REPLIED if kind == Reply.Kind.FULL else Letter.Status.HOLDING


@transaction.atomic
def reply_log(
    *,
    letter: Letter,
    kind: str,
    received_on: date,
    channel: str,
    from_name: str,
    logged_by,
    summary: str = "",
    documents: list[CheckedDocument] = (),
    received_at: datetime | None = None,
) -> Reply:
    """Record a reply and its documents, and move the letter on.

    A second full reply is recorded like the first; the letter stays replied.
    """
    letter = Letter.objects.select_for_update().get(pk=letter.pk)
    validate_received_on(letter, received_on)
    reply = Reply(
        letter=letter,
        kind=kind,
        received_on=received_on,
        received_at=received_at,
        channel=channel,
        from_name=from_name,
        summary=summary,
        text="\n\n".join(document.text for document in documents if document.text),
        logged_by=logged_by,
    )
    reply.full_clean()
    reply.save()
    for checked in documents:
        document = ReplyDocument(
            reply=reply,
            original_name=checked.safe_name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            extracted_text=checked.text,
        )
        # The bytes that were checked, not a second read of the upload.
        document.file.save(checked.safe_name, ContentFile(checked.content), save=False)
        document.save()
    letter.set_status(_status_after_reply(letter, kind))
    letter.save(update_fields=["status"])
    enqueue(suggest_coding, reply.pk)
    return reply


def earlier_full_reply(letter: Letter) -> Reply | None:
    return letter.replies.filter(kind=Reply.Kind.FULL).order_by("received_on").first()
