"""The outbox: every email the system sends is a row here first, and is sent only from here.

A send claims its row with a guarded update, so a task delivered twice sends once. Just before
the message goes to the mail server the row records that it was handed over. A row left
claimed by a worker that died is then judged by that mark: never handed over, it is queued
again and sent once; handed over, the server may have accepted it, so it is never resent
blindly but marked unknown for a person to confirm as sent or resend (its Message-ID never
changes, so a resend is recognisable as the same message).
"""

import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from email.utils import make_msgid
from enum import StrEnum

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from letters import tasks
from letters.models import Letter, OutboundAttachment, OutboundEmail
from letters.queue import enqueue

logger = logging.getLogger(__name__)

Status = OutboundEmail.Status


@dataclass(frozen=True)
class Attachment:
    """A stored file to attach: its storage name and the name the recipient sees."""

    file: str
    filename: str
    content_type: str = "application/pdf"


class SendOutcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    UNKNOWN = "unknown"
    NOTHING_TO_DO = "nothing to do"


class EmailActionRefused(Exception):
    """A person asked for something the email's status does not allow."""


def _message_id() -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    return make_msgid(domain=domain)


@transaction.atomic
def email_queue(
    *,
    idempotency_key: str,
    to: list[str],
    subject: str,
    body: str,
    letter: Letter | None = None,
    attachments: Sequence[Attachment] = (),
    reply_to: str | None = None,
) -> OutboundEmail:
    """Put an email in the outbox and send it once the transaction commits.

    Queuing the same key again returns the existing row, whatever its status.
    """
    existing = OutboundEmail.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    email = OutboundEmail(
        idempotency_key=idempotency_key,
        letter=letter,
        to="\n".join(to),
        reply_to=settings.REPLY_MAILBOX if reply_to is None else reply_to,
        subject=subject,
        body=body,
        message_id=_message_id(),
    )
    try:
        with transaction.atomic():  # a concurrent queue of the same key may win the race
            email.save()
    except IntegrityError:
        return OutboundEmail.objects.get(idempotency_key=idempotency_key)
    OutboundAttachment.objects.bulk_create(
        OutboundAttachment(
            email=email,
            file=attachment.file,
            filename=attachment.filename,
            content_type=attachment.content_type,
            position=position,
        )
        for position, attachment in enumerate(attachments)
    )
    enqueue(tasks.send_email, email.pk)
    return email


def _email_message(email: OutboundEmail) -> EmailMessage:
    message = EmailMessage(
        subject=email.subject,
        body=email.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=email.recipients,
        reply_to=[email.reply_to] if email.reply_to else None,
        headers={"Message-ID": email.message_id},
    )
    for attachment in email.attachments.all():
        with attachment.file.open("rb") as handle:
            message.attach(attachment.filename, handle.read(), attachment.content_type)
    return message


def _describe(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "The mail server refused " + "; ".join(
            f"{address}: {code} {_text(reply)}"
            for address, (code, reply) in error.recipients.items()
        )
    if isinstance(error, smtplib.SMTPResponseException):
        return f"The mail server answered {error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _is_refusal(error: Exception) -> bool:
    """The server answered with an error code, so it did not accept the message."""
    return isinstance(error, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused)


def _is_transient(error: Exception) -> bool:
    """Worth trying again later: a 4xx answer, or no answer at all (connection trouble)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return any(400 <= code < 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return True


def _not_sent(
    email: OutboundEmail, claim: QuerySet, error: Exception, *, may_retry: bool
) -> SendOutcome:
    description = _describe(error)
    if may_retry and _is_transient(error):
        claim.update(
            status=Status.QUEUED, claimed_at=None, handed_over_at=None, last_error=description
        )
        logger.warning("Email %s not sent, will retry: %s", email.pk, description)
        return SendOutcome.RETRY
    claim.update(status=Status.FAILED, last_error=description)
    logger.error("Email %s failed: %s", email.pk, description)
    return SendOutcome.FAILED


def _abandoned(email: OutboundEmail, now) -> bool:
    lease = timedelta(seconds=settings.OUTBOX_SENDING_LEASE)
    return email.status == Status.SENDING and email.claimed_at < now - lease


def _recover(email: OutboundEmail) -> str:
    """Settle a row whose worker died mid-send; returns its new status."""
    stale = OutboundEmail.objects.filter(
        pk=email.pk, status=Status.SENDING, claimed_at=email.claimed_at
    )
    if email.handed_over_at is None:
        stale.update(
            status=Status.QUEUED,
            claimed_at=None,
            last_error="The worker sending this stopped before handing it to the mail server; "
            "it was queued again.",
        )
        return Status.QUEUED
    handed_over = timezone.localtime(email.handed_over_at)
    stale.update(
        status=Status.UNKNOWN,
        last_error=f"The worker sending this stopped after handing it to the mail server at "
        f"{handed_over:%-d %B %Y %H:%M:%S}, before it could record the server's answer. It may "
        f"have been delivered: check the mail server's log or the recipient for Message-ID "
        f"{email.message_id}, then mark it as sent or resend it.",
    )
    return Status.UNKNOWN


def email_send(*, email_id: int, may_retry: bool = False) -> SendOutcome:
    """Send one queued email through Django's email backend, at most once.

    `may_retry`: a transient failure puts the row back in the queue (the caller retries later)
    instead of marking it failed.
    """
    email = OutboundEmail.objects.filter(pk=email_id).first()
    if email is None:
        return SendOutcome.NOTHING_TO_DO
    now = timezone.now()
    if _abandoned(email, now) and _recover(email) == Status.UNKNOWN:
        logger.warning(
            "Email %s may have been sent by a worker that died: left to a person.", email_id
        )
        return SendOutcome.NOTHING_TO_DO
    claimed = OutboundEmail.objects.filter(pk=email_id, status=Status.QUEUED).update(
        status=Status.SENDING, claimed_at=now, handed_over_at=None, attempts=F("attempts") + 1
    )
    if not claimed:
        logger.info("Email %s is not queued (%s): nothing to do.", email_id, email.status)
        return SendOutcome.NOTHING_TO_DO
    claim = OutboundEmail.objects.filter(pk=email_id, claimed_at=now)

    try:
        message = _email_message(email)
    except Exception as error:  # a missing attachment will still be missing on a retry
        return _not_sent(email, claim, error, may_retry=False)
    connection = get_connection(fail_silently=False)
    try:
        try:
            connection.open()
        except (smtplib.SMTPException, OSError) as error:
            return _not_sent(email, claim, error, may_retry=may_retry)
        if not claim.filter(status=Status.SENDING).update(handed_over_at=timezone.now()):
            return SendOutcome.NOTHING_TO_DO  # recovered by another worker in the meantime
        try:
            connection.send_messages([message])
        except (smtplib.SMTPException, OSError) as error:
            if _is_refusal(error):
                return _not_sent(email, claim, error, may_retry=may_retry)
            # The connection broke after the message was handed over: it may have arrived.
            claim.update(status=Status.UNKNOWN, last_error=_describe(error))
            return SendOutcome.UNKNOWN
        # The server accepted it, whatever happened to the row meanwhile.
        claim.update(status=Status.SENT, sent_at=timezone.now())
        logger.info("Email %s sent (%s).", email_id, email.message_id)
        return SendOutcome.SENT
    finally:
        _close(connection)


def _close(connection) -> None:
    # Whatever the server says to QUIT changes nothing about the message: it was sent or not.
    try:
        connection.close()
    except (smtplib.SMTPException, OSError) as error:
        logger.info("Closing the mail connection: %s", _describe(error))


def outbox_recover(*, now=None) -> dict[str, int]:
    """Settle every row left claimed by a worker that died; sends again what is safe to."""
    now = now or timezone.now()
    lease = timedelta(seconds=settings.OUTBOX_SENDING_LEASE)
    outcome = {Status.QUEUED: 0, Status.UNKNOWN: 0}
    stale = OutboundEmail.objects.filter(status=Status.SENDING, claimed_at__lt=now - lease)
    for email in stale:
        status = _recover(email)
        outcome[status] += 1
        if status == Status.QUEUED:
            enqueue(tasks.send_email, email.pk)
    return {str(status): count for status, count in outcome.items()}


def _locked(email: OutboundEmail) -> OutboundEmail:
    return OutboundEmail.objects.select_for_update().get(pk=email.pk)


@transaction.atomic
def email_resend(*, email: OutboundEmail, by) -> OutboundEmail:
    """Queue a failed email, or one whose fate is unknown, to be sent again (same Message-ID)."""
    email = _locked(email)
    if email.status not in (Status.FAILED, Status.UNKNOWN):
        raise EmailActionRefused(
            f"“{email.subject}” is {email.get_status_display().lower()}: "
            "only a failed email, or one that needs checking, can be resent."
        )
    email.status = Status.QUEUED
    email.claimed_at = email.handed_over_at = None
    email._history_user = by
    email._change_reason = "Resent"
    email.save()
    enqueue(tasks.send_email, email.pk)
    return email


@transaction.atomic
def email_mark_sent(*, email: OutboundEmail, by) -> OutboundEmail:
    """A person confirmed that an email whose fate was unknown did arrive."""
    email = _locked(email)
    if email.status != Status.UNKNOWN:
        raise EmailActionRefused(
            f"“{email.subject}” is {email.get_status_display().lower()}: only an email that "
            "needs checking can be marked as sent."
        )
    email.status = Status.SENT
    email.sent_at = email.handed_over_at or timezone.now()
    email._history_user = by
    email._change_reason = "Confirmed as sent"
    email.save()
    return email
