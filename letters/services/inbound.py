"""Mail that comes in: import each message once, match it to a letter, let a person decide.

`message_import` never refuses a message for what it contains: whatever can be read is
kept, and what cannot is described in the message's problems, so that one damaged email
never stops a batch. Reading attachments (PDFs in a sandboxed child process) happens
before the transaction, so no lock is held while a slow document is read.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from mailparser_reply import EmailReplyParser

from letters.documents import (
    CONTENT_TYPES,
    CheckedDocument,
    DocumentRejected,
    check_document,
    safe_name,
    tidy_text,
)
from letters.imap import Mailbox, MailboxSettings, open_mailbox
from letters.mail import DeliveryFailure, ParsedMessage, delivery_failure, is_auto_reply
from letters.mail import parse_message as parse_email
from letters.models import (
    InboundAttachment,
    InboundMessage,
    JobRun,
    Letter,
    MailboxCursor,
    OutboundEmail,
    Reply,
)
from letters.selectors.inbound import NO_MATCH, LetterMatch, letter_match
from letters.services.replies import reply_log

logger = logging.getLogger(__name__)

Kind = InboundMessage.Kind
Status = InboundMessage.Status

MESSAGE_ID_MAX_CHARS = InboundMessage._meta.get_field("message_id").max_length
# The reply parser slows badly on long texts; the newest reply is at the top anyway.
QUOTE_SEARCH_MAX_CHARS = 20_000
BODY_DOCUMENT_NAME = "email-text.txt"
# Declared content types that name one of the kinds check_document accepts.
_DECLARED_KINDS = {
    CONTENT_TYPES["pdf"]: "pdf",
    CONTENT_TYPES["docx"]: "docx",
    CONTENT_TYPES["eml"]: "eml",
    "text/plain": "txt",
}
_KIND_NAMES = {"pdf": "a PDF", "docx": "a Word document", "eml": "an email", "txt": "plain text"}


class MessageNotOpen(Exception):
    """The message was already logged as a reply or dismissed: it cannot be decided again."""


@dataclass(frozen=True)
class ImapLocation:
    folder: str
    uidvalidity: int
    uid: int


@dataclass
class _Attachment:
    filename: str
    declared_type: str
    data: bytes
    checked: CheckedDocument | None = None
    problem: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class _Reading:
    """All that is worked out about a message before anything is written."""

    kind: str = Kind.REPLY
    match: LetterMatch = NO_MATCH
    failure: DeliveryFailure | None = None
    attachments: list[_Attachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class FetchSummary:
    folder: str
    imported: list[InboundMessage] = field(default_factory=list)
    already_imported: int = 0

    def __str__(self) -> str:
        waiting = sum(1 for message in self.imported if message.status == Status.AWAITING)
        return (
            f"{len(self.imported)} new message(s) from {self.folder}: {waiting} awaiting review, "
            f"{len(self.imported) - waiting} filed; {self.already_imported} already imported"
        )


# Importing -----------------------------------------------------------------------------


def usable_message_id(message_id: str) -> str:
    """The Message-ID to know a message by, or "" when it is missing or unfit for that."""
    fit = (
        0 < len(message_id) <= MESSAGE_ID_MAX_CHARS
        and message_id == _storable(message_id)
        and not any(character.isspace() for character in message_id)
    )
    return message_id if fit else ""


def is_saved_email(raw: bytes) -> bool:
    """Whether a file someone gives as an email has the headers of one."""
    parsed = parse_email(raw)
    return bool(parsed.from_address or parsed.message_id or parsed.subject)


def find_imported(
    *, message_id: str, raw_sha256: str = "", imap: ImapLocation | None = None
) -> InboundMessage | None:
    """The stored message these identify, if any: by Message-ID, else by content, or by UID."""
    if message_id:
        found = InboundMessage.objects.filter(message_id=message_id).first()
    else:
        found = InboundMessage.objects.filter(message_id="", raw_sha256=raw_sha256).first()
    if found is None and imap is not None:
        found = InboundMessage.objects.filter(
            imap_folder=imap.folder, imap_uidvalidity=imap.uidvalidity, imap_uid=imap.uid
        ).first()
    return found


def message_import(
    *,
    raw: bytes,
    source: str,
    imported_by=None,
    imap: ImapLocation | None = None,
) -> tuple[InboundMessage, bool]:
    """Store a message byte for byte, read it, match it; (message, False) if already stored.

    Never raises for what the message contains; only a failing database or file storage
    stops it, and then no row of the message is kept.
    """
    raw = bytes(raw)
    raw_sha256 = hashlib.sha256(raw).hexdigest()
    parsed = parse_email(raw)
    message_id = usable_message_id(parsed.message_id)
    existing = find_imported(message_id=message_id, raw_sha256=raw_sha256, imap=imap)
    if existing is not None:
        return existing, False

    try:
        reading = _read(parsed)
    except Exception as error:  # a promise to the batch: a message we cannot read is still kept
        logger.exception("Could not read inbound message %s", message_id or raw_sha256)
        reading = _Reading(problems=[f"the message could not be read ({type(error).__name__})"])
    if parsed.message_id and not message_id:
        reading.problems.insert(0, "its Message-ID is malformed: it is known by its content")

    message = InboundMessage(
        raw_sha256=raw_sha256,
        size=len(raw),
        message_id=message_id,
        source=source,
        imap_folder=imap.folder if imap else "",
        imap_uidvalidity=imap.uidvalidity if imap else None,
        imap_uid=imap.uid if imap else None,
        from_address=_clip(parsed.from_address, "from_address"),
        from_name=_clip(parsed.from_name, "from_name"),
        subject=_clip(parsed.subject, "subject"),
        date_header=_clip(_date_header(raw), "date_header"),
        body_text=_storable(parsed.body_text),
        kind=reading.kind,
        letter=reading.match.letter,
        match_method=reading.match.method,
        match_confidence=reading.match.confidence,
        match_note=_clip(reading.match.note, "match_note"),
        imported_by=imported_by,
    )
    _set_sent_at(message, parsed.date, reading.problems)
    with transaction.atomic():
        bounced = _bounced_email(reading.failure, message) if reading.failure else None
        _set_status(message, reading, bounced)
        message.problems = _storable("\n".join(dict.fromkeys(reading.problems)))
        message.raw.save("message.eml", ContentFile(raw), save=False)
        try:
            with transaction.atomic():  # a savepoint: another import of it may have won
                message.full_clean(validate_unique=False, validate_constraints=False)
                message.save()
        except IntegrityError:
            message.raw.delete(save=False)
            existing = find_imported(message_id=message_id, raw_sha256=raw_sha256, imap=imap)
            if existing is None:
                raise
            return existing, False
        for position, attachment in enumerate(reading.attachments, start=1):
            _save_attachment(message, position, attachment)
        if bounced is not None:
            _mark_bounced(bounced, reading.failure)
    return message, True


def _read(parsed: ParsedMessage) -> _Reading:
    reading = _Reading(problems=list(parsed.problems))
    reading.attachments = [_check_attachment(attachment) for attachment in parsed.attachments]
    reading.attachments = [attachment for attachment in reading.attachments if attachment]
    reading.failure = delivery_failure(parsed)
    if reading.failure is not None:
        reading.kind = Kind.BOUNCE
    elif is_auto_reply(parsed):
        reading.kind = Kind.AUTO_REPLY
    reading.match = letter_match(
        subject=parsed.subject,
        body=parsed.body_text,
        attachment_texts=[
            (attachment.filename, attachment.checked.text)
            for attachment in reading.attachments
            if attachment.checked
        ],
        from_address=parsed.from_address,
    )
    return reading


def _check_attachment(attachment) -> _Attachment | None:
    if attachment.inline and attachment.declared_type.startswith("image/"):
        return None  # a logo or picture in the text, not a document
    found = _Attachment(
        filename=_storable(safe_name(attachment.filename)),
        declared_type=_storable(attachment.declared_type)[:100],
        data=attachment.data,
    )
    try:
        found.checked = check_document(attachment.data, filename=found.filename)
    except DocumentRejected as refusal:
        found.problem = refusal.reason
        return found
    found.notes = list(found.checked.notes)
    declared_kind = _DECLARED_KINDS.get(found.declared_type)
    if declared_kind and declared_kind != found.checked.kind:
        found.notes.append(
            f"‘{found.filename}’ was sent as {found.declared_type}, but its content is "
            f"{_KIND_NAMES[found.checked.kind]}."
        )
    return found


def _save_attachment(message: InboundMessage, position: int, attachment: _Attachment) -> None:
    checked = attachment.checked
    stored = InboundAttachment(
        message=message,
        position=position,
        filename=attachment.filename,
        declared_type=attachment.declared_type,
        detected_kind=checked.kind if checked else "",
        detected_type=checked.content_type if checked else "",
        size=len(attachment.data),
        sha256=checked.sha256 if checked else hashlib.sha256(attachment.data).hexdigest(),
        extracted_text=_storable(checked.text) if checked else "",
        notes=_storable("\n".join(attachment.notes)),
        problem=_storable(attachment.problem),
    )
    if checked:  # refused files stay only inside the original message
        stored.file.save(attachment.filename, ContentFile(checked.content), save=False)
    stored.save()


def _set_status(message: InboundMessage, reading: _Reading, bounced: OutboundEmail | None) -> None:
    if message.kind == Kind.AUTO_REPLY:
        message.status, message.decided_at = Status.FILED, timezone.now()
    elif message.kind == Kind.BOUNCE:
        if bounced is None:
            reading.problems.append("no email in the outbox matches this delivery failure")
        else:
            message.bounced_email = bounced
            message.letter = message.letter or bounced.letter
            message.status, message.decided_at = Status.FILED, timezone.now()


def _date_header(raw: bytes) -> str:
    try:
        value = BytesHeaderParser(policy=compat32).parsebytes(raw).get("Date", "")
    except Exception:  # headers the parser cannot read at all: parse_email said why
        return ""
    return " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", str(value)).split())


def _set_sent_at(message: InboundMessage, sent: datetime | None, problems: list[str]) -> None:
    if sent is None:
        return
    offset = sent.utcoffset()
    try:
        message.sent_at = sent.astimezone(UTC)
    except OverflowError:  # a date at the very edge of the calendar
        problems.append(f"the date {message.date_header!r} is out of range")
        return
    message.sent_utc_offset = int(offset.total_seconds() // 60) if offset is not None else 0


def _clip(value: str, field_name: str) -> str:
    return _storable(value)[: InboundMessage._meta.get_field(field_name).max_length]


def _storable(text: str) -> str:
    """`text` as every database can store it: no NUL, no lone surrogates (odd charsets)."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


# Delivery failures -----------------------------------------------------------------------


def _bounced_email(failure: DeliveryFailure, message: InboundMessage) -> OutboundEmail | None:
    """Our email that bounced: by its Message-ID, else by the recipient and the letter."""
    original = failure.original_message_id.strip().strip("<>")
    if original:
        found = OutboundEmail.objects.filter(message_id__in=(f"<{original}>", original)).first()
        if found is not None:
            return found
    failed = {recipient.lower() for recipient in failure.recipients}
    if message.letter is None or not failed:
        return None
    for email in OutboundEmail.objects.filter(letter=message.letter).order_by("-queued_at"):
        if failed & {recipient.lower() for recipient in email.recipients}:
            return email
    return None


def _mark_bounced(email: OutboundEmail, failure: DeliveryFailure) -> None:
    why = " ".join(part for part in (failure.status, failure.reason) if part)
    recipients = ", ".join(failure.recipients) or "the recipient"
    error = f"Bounced: delivery to {recipients} failed" + (f" ({why})" if why else "")
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=OutboundEmail.Status.FAILED, last_error=error
    )


# Deciding ------------------------------------------------------------------------------


def _decidable(message: InboundMessage) -> InboundMessage:
    locked = InboundMessage.objects.select_for_update().get(pk=message.pk)
    if not locked.is_open:
        raise MessageNotOpen(
            f"This email was already {locked.get_status_display().lower()}; it cannot be "
            "decided again."
        )
    return locked


@transaction.atomic
def message_confirm(
    *,
    message: InboundMessage,
    letter: Letter,
    kind: str,
    by,
    include_body: bool | None = None,
) -> Reply:
    """Log the message as a reply to `letter`, received when its Date header says.

    The time keeps the sender's zone; the day received is the office's (Europe/London).
    The reply's documents are the accepted attachments, and the text of the email (without
    the earlier messages it quotes) when `include_body`, by default when no attachment
    was accepted. Raises ValidationError when the reply cannot be logged.
    """
    locked = _decidable(message)
    documents = [
        _stored_document(attachment)
        for attachment in locked.attachments.exclude(detected_kind="").order_by("position")
    ]
    if include_body is None:
        include_body = not documents
    if include_body:
        body = body_document(locked)
        if body is None:
            raise ValidationError("The email has no text to keep as a document.")
        documents.insert(0, body)
    if not documents:
        raise ValidationError(
            "The email has no attachment that could be accepted: keep its text as the reply."
        )
    received_at = received_time(locked)
    reply = reply_log(
        letter=letter,
        kind=kind,
        received_on=timezone.localdate(received_at),  # the office's day; the time keeps its zone
        received_at=received_at,
        channel=Reply.Channel.EMAIL,
        from_name=_sender(locked),
        logged_by=by,
        documents=documents,
    )
    locked.status = Status.CONFIRMED
    locked.letter = letter
    locked.reply = reply
    locked.decided_by, locked.decided_at = by, timezone.now()
    locked.save(update_fields=["status", "letter", "reply", "decided_by", "decided_at"])
    return reply


@transaction.atomic
def message_file(*, message: InboundMessage, by) -> InboundMessage:
    """Keep the message, as not a reply (an acknowledgement, a question, an auto-reply)."""
    return _decide(_decidable(message), Status.FILED, by)


@transaction.atomic
def message_dismiss(*, message: InboundMessage, by) -> InboundMessage:
    """Set the message aside as of no use (spam, a duplicate sent another way)."""
    return _decide(_decidable(message), Status.DISMISSED, by)


def _decide(message: InboundMessage, status: str, by) -> InboundMessage:
    message.status = status
    message.decided_by, message.decided_at = by, timezone.now()
    message.save(update_fields=["status", "decided_by", "decided_at"])
    return message


def received_time(message: InboundMessage) -> datetime:
    """When the reply counts as received: its Date in the sender's zone, never in the future."""
    sent = message.sent_at_sender_time
    if sent is None or sent > message.imported_at:
        return timezone.localtime(message.imported_at)
    return sent


def new_text(body: str) -> str:
    """The body without the earlier messages it quotes (tidied)."""
    text = tidy_text(body)
    head = text[:QUOTE_SEARCH_MAX_CHARS]
    try:
        latest = EmailReplyParser(languages=["en"]).parse_reply(head) or ""
    except Exception:  # the parser's regexes on hostile text: keep the whole body
        return text
    if latest.strip() and len(latest.strip()) < len(head.strip()):
        return latest.strip()  # the earlier messages quoted below are left out, tail and all
    return text


def body_document(message: InboundMessage) -> CheckedDocument | None:
    """The email's own text as a plain-text document, or None when it has none."""
    text = new_text(message.body_text)
    if not text:
        return None
    content = text.encode("utf-8")
    return CheckedDocument(
        kind="txt",
        content_type="text/plain; charset=utf-8",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        safe_name=BODY_DOCUMENT_NAME,
        text=text,
        content=content,
    )


def _stored_document(attachment: InboundAttachment) -> CheckedDocument:
    with attachment.file.open("rb") as stored:
        content = stored.read()
    return CheckedDocument(
        kind=attachment.detected_kind,
        content_type=attachment.detected_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        safe_name=attachment.filename,
        text=attachment.extracted_text,
        notes=tuple(attachment.note_list),
        content=content,
    )


def _sender(message: InboundMessage) -> str:
    if message.from_name and message.from_address:
        sender = f"{message.from_name} <{message.from_address}>"
    else:
        sender = message.from_name or message.from_address or "Unknown sender"
    return sender[: Reply._meta.get_field("from_name").max_length]


# The mailbox -----------------------------------------------------------------------------


def mailbox_fetch(
    *, limit: int | None = None, config: MailboxSettings | None = None
) -> FetchSummary:
    """Import the messages that arrived in the reply mailbox since the last run.

    Each message is imported in its own transaction and the folder's cursor moves past it
    only then, so a run that stops half-way loses nothing and the next one carries on.
    Messages already stored (the mailbox re-read from the start, or a new UIDVALIDITY) are
    recognised by their Message-ID before their bodies are fetched.
    """
    config = config or MailboxSettings.from_settings()
    run = JobRun.objects.create(name="fetch_replies")
    summary = FetchSummary(folder=config.folder)
    try:
        with open_mailbox(config) as mailbox:
            _fetch_new(mailbox, limit, summary)
    except Exception as error:
        _finish(run, succeeded=False, summary=f"{summary}; stopped by {error!r}")
        raise
    _finish(run, succeeded=True, summary=str(summary))
    return summary


def _fetch_new(mailbox: Mailbox, limit: int | None, summary: FetchSummary) -> None:
    cursor, _ = MailboxCursor.objects.get_or_create(
        folder=mailbox.folder, uidvalidity=mailbox.uidvalidity
    )
    waiting = mailbox.waiting_after(cursor.last_uid)
    known = _known_message_ids(waiting)
    # At most `limit` new messages; known ones are passed over until the first left for later.
    to_fetch, end_uid = [], cursor.last_uid
    for message in waiting:
        if message.message_id in known:
            summary.already_imported += 1
        elif limit is not None and len(to_fetch) >= limit:
            break
        else:
            to_fetch.append(message)
        end_uid = message.uid
    for message, raw in mailbox.bodies(to_fetch):
        location = ImapLocation(mailbox.folder, mailbox.uidvalidity, message.uid)
        stored, created = message_import(raw=raw, source=InboundMessage.Source.IMAP, imap=location)
        if created:
            summary.imported.append(stored)
        else:
            summary.already_imported += 1
        _advance(cursor, message.uid)
    _advance(cursor, end_uid)


def _known_message_ids(waiting) -> set[str]:
    ids = sorted({usable_message_id(message.message_id) for message in waiting} - {""})
    known: set[str] = set()
    for start in range(0, len(ids), 500):  # within every database's limit on parameters
        chunk = ids[start : start + 500]
        known.update(
            InboundMessage.objects.filter(message_id__in=chunk).values_list("message_id", flat=True)
        )
    return known


def _finish(run: JobRun, *, succeeded: bool, summary: str) -> None:
    run.finished_at, run.succeeded, run.summary = timezone.now(), succeeded, summary
    run.save(update_fields=["finished_at", "succeeded", "summary"])


def _advance(cursor: MailboxCursor, uid: int) -> None:
    if uid > cursor.last_uid:
        cursor.last_uid, cursor.updated_at = uid, timezone.now()
        cursor.save(update_fields=["last_uid", "updated_at"])
