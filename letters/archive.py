"""A round's backup: letters, reply documents, reminders, emails and the tracker in one zip."""

import csv
import io
import re
import zipfile
from pathlib import Path

from django.db.models import Prefetch

from letters.exports import TRACKER_COLUMNS, tracker_table
from letters.models import Coding, Letter, OutboundEmail, Reminder, Reply, Round
from letters.selectors.tracker import tracker_rows


def _safe(part: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", part).strip("-") or "file"


def _csv(columns: list[str], rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue()


def _copy(archive: zipfile.ZipFile, field, name: str) -> None:
    if field:
        with field.open("rb") as source, archive.open(name, "w") as target:
            while chunk := source.read(1024 * 1024):
                target.write(chunk)


def round_archive(*, round: Round, out: Path) -> dict[str, int]:
    """Write the round's archive to `out`; returns how many files of each kind went in."""
    counts = {"letters": 0, "documents": 0, "reminders": 0, "emails": 0}
    letters = (
        Letter.objects.filter(round=round)
        .select_related("force")
        .prefetch_related(
            Prefetch("replies", queryset=Reply.objects.prefetch_related("documents")),
            Prefetch("reminders", queryset=Reminder.objects.all()),
            "extensions",
        )
        .order_by("force__name")
    )
    emails = OutboundEmail.objects.filter(letter__round=round).prefetch_related("attachments")
    codings = (
        Coding.objects.filter(reply__letter__round=round)
        .select_related("reply__letter", "theme")
        .prefetch_related("excerpts")
    )
    theme_count = round.themes.count()

    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "tracker.csv",
            _csv(
                TRACKER_COLUMNS, tracker_table(tracker_rows(round=round), theme_count=theme_count)
            ),
        )
        reply_rows, extension_rows = [], []
        for letter in letters:
            folder = _safe(letter.reference)
            if letter.pdf:
                _copy(archive, letter.pdf, f"letters/{folder}.pdf")
                counts["letters"] += 1
            for reply in letter.replies.all():
                names = []
                for document in reply.documents.all():
                    name = f"replies/{folder}/{reply.pk}-{_safe(document.original_name)}"
                    _copy(archive, document.file, name)
                    names.append(name)
                    counts["documents"] += 1
                reply_rows.append(
                    [
                        letter.reference,
                        reply.pk,
                        reply.get_kind_display(),
                        reply.received_on,
                        reply.get_channel_display(),
                        reply.from_name,
                        reply.summary,
                        " ".join(names),
                    ]
                )
            for reminder in letter.reminders.all():
                if reminder.pdf:
                    _copy(archive, reminder.pdf, f"reminders/{folder}-{reminder.step}.pdf")
                    counts["reminders"] += 1
            extension_rows += [
                [letter.reference, ext.previous_due_on, ext.new_due_on, ext.agreed_with, ext.reason]
                for ext in letter.extensions.all()
            ]
        archive.writestr(
            "replies.csv",
            _csv(
                [
                    "Reference",
                    "Reply",
                    "Kind",
                    "Received",
                    "Channel",
                    "From",
                    "Summary",
                    "Documents",
                ],
                reply_rows,
            ),
        )
        archive.writestr(
            "extensions.csv",
            _csv(["Reference", "Due before", "Due after", "Agreed with", "Reason"], extension_rows),
        )
        archive.writestr(
            "codings.csv",
            _csv(
                ["Reference", "Reply", "Theme", "Judgement", "Excerpts", "Note"],
                [
                    [
                        coding.reply.letter.reference,
                        coding.reply_id,
                        coding.theme.name,
                        coding.get_judgement_display(),
                        "\n\n".join(excerpt.text for excerpt in coding.excerpts.all()),
                        coding.note,
                    ]
                    for coding in codings
                ],
            ),
        )
        email_rows = []
        for email in emails:
            for attachment in email.attachments.all():
                _copy(archive, attachment.file, f"outbox/{email.pk}/{_safe(attachment.filename)}")
            email_rows.append(
                [
                    email.pk,
                    email.idempotency_key,
                    " ".join(email.recipients),
                    email.subject,
                    email.get_status_display(),
                    email.attempts,
                    email.last_error,
                    email.sent_at,
                    email.message_id,
                    email.body,
                ]
            )
            counts["emails"] += 1
        archive.writestr(
            "outbox.csv",
            _csv(
                [
                    "Email",
                    "Key",
                    "To",
                    "Subject",
                    "Status",
                    "Attempts",
                    "Last error",
                    "Sent",
                    "Message-ID",
                    "Body",
                ],
                email_rows,
            ),
        )
    return counts
