"""Sending an issued letter: its PDF, stored once and never redrawn, and its email."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.loader import render_to_string

from letters.models import Letter, OutboundEmail
from letters.pdf import letter_pdf
from letters.services.outbox import Attachment, email_queue


def document_name(reference: str) -> str:
    """A file name made from a reference: IASC/2019-10/AVS gives IASC-2019-10-AVS."""
    return re.sub(r"[^A-Za-z0-9]+", "-", reference).strip("-")


def _render_and_save(letter: Letter) -> str:
    """The letter's PDF, saved; the name it was saved under (not yet recorded on the letter)."""
    path = f"letters/{letter.round_id}/{document_name(letter.reference)}.pdf"
    return default_storage.save(path, ContentFile(letter_pdf(letter)))


def _record_pdf(letter: Letter, name: str) -> Letter:
    # Guarded: if another worker stored the letter first, keep theirs and drop ours.
    if Letter.objects.filter(pk=letter.pk, pdf="").update(pdf=name):
        letter.pdf.name = name
    else:
        default_storage.delete(name)
        letter.refresh_from_db(fields=["pdf"])
    return letter


def letter_store_pdf(*, letter: Letter) -> Letter:
    """Render and store the letter's PDF, unless it has one: a stored letter never changes."""
    return letter if letter.pdf else _record_pdf(letter, _render_and_save(letter))


def salutation_line(letter: Letter) -> str:
    return letter.salutation.strip().rstrip(",") + ","


def email_context(letter: Letter) -> dict:
    return {
        "letter": letter,
        "salutation": salutation_line(letter),
        "office_name": settings.OFFICE_NAME,
        "office_address": settings.OFFICE_ADDRESS,
    }


def letter_attachment(letter: Letter) -> Attachment:
    return Attachment(file=letter.pdf.name, filename=f"{document_name(letter.reference)}.pdf")


def letter_deliver(*, letter: Letter) -> OutboundEmail | None:
    """Store the letter's PDF and queue its email; a letter with no address gets no email.

    Safe to run again: the PDF is kept and the email is queued once (key letter:<id>).
    """
    # Rendered before the transaction, so that it stays short; the PDF's record and the email
    # then commit together.
    rendered = None if letter.pdf else _render_and_save(letter)
    with transaction.atomic():
        if rendered:
            letter = _record_pdf(letter, rendered)
        if not letter.email:
            return None  # flagged on the tracker and the round page, to be sent another way
        return email_queue(
            idempotency_key=f"letter:{letter.pk}",
            letter=letter,
            to=[letter.email],
            subject=f"{letter.round.title} (our reference {letter.reference})",
            body=render_to_string("letters/email/letter.txt", email_context(letter)),
            attachments=[letter_attachment(letter)],
        )


@transaction.atomic
def letter_email_to_force(*, letter: Letter) -> OutboundEmail:
    """Email a letter that went out without an address, now that its force has one."""
    letter = Letter.objects.select_for_update().select_related("force", "round").get(pk=letter.pk)
    if letter.emails.filter(idempotency_key=f"letter:{letter.pk}").exists():
        raise ValidationError(f"{letter.reference} has already been emailed.")
    if not letter.force.email:
        raise ValidationError(
            f"{letter.force} has no email address yet: add one on the force's page first."
        )
    letter.email = letter.force.email
    letter.save(update_fields=["email"])
    return letter_deliver(letter=letter)
