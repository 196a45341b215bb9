"""The nightly chase-up: the next reminder for each overdue letter, with its PDF and email.

`send_chase_ups` (the management command) and the beat task both run chase_ups_send(). Each
step happens once per letter: the database keeps one reminder per letter and step, and each
letter is re-checked under a row lock before its reminder is made.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone

from letters.models import JobRun, Letter, Reminder
from letters.pdf import reminder_pdf
from letters.selectors.chase_ups import ChaseUp, chase_ups_due, next_chase_up
from letters.services.delivery import (
    document_name,
    email_context,
    letter_attachment,
    letter_store_pdf,
)
from letters.services.outbox import Attachment, email_queue

logger = logging.getLogger(__name__)

JOB_NAME = "send_chase_ups"


@dataclass
class ChaseUpRun:
    """What one run did (or, for a dry run, would do)."""

    today: date
    dry_run: bool
    due: list[ChaseUp]
    made: list[Reminder] = field(default_factory=list)
    failed: list[tuple[ChaseUp, str]] = field(default_factory=list)

    @property
    def not_emailed(self) -> list[ChaseUp]:
        return [c for c in self.due if not c.emailed and c.step != Reminder.Step.ESCALATION]

    def summary(self) -> str:
        counts = {step: 0 for step in Reminder.Step}
        done = self.due if self.dry_run else self.made
        for item in done:
            counts[item.step] += 1
        parts = [
            f"{count} {Reminder.Step(step).label.lower()}{'' if count == 1 else 's'}"
            for step, count in counts.items()
        ]
        text = ("Would make " if self.dry_run else "Made ") + ", ".join(parts) + "."
        if self.not_emailed:
            text += " No email address, to be posted: " + ", ".join(
                c.letter.reference for c in self.not_emailed
            )
            text += "."
        if self.failed:
            text += " Failed: " + "; ".join(f"{c.letter.reference}: {e}" for c, e in self.failed)
        return text


def _moment(today: date) -> datetime:
    """Now, or the current time of day on `today` when the run is for another date."""
    now = timezone.now()
    if today == timezone.localdate(now):
        return now
    return timezone.make_aware(datetime.combine(today, timezone.localtime(now).time()))


def _reminder_email(reminder: Reminder, chase_up: ChaseUp):
    letter = reminder.letter
    name = document_name(letter.reference)
    step = reminder.get_step_display()
    return email_queue(
        idempotency_key=f"reminder:{letter.pk}:{reminder.step}",
        letter=letter,
        to=[chase_up.to],
        subject=f"{step}: {letter.round.title} (our reference {letter.reference})",
        body=render_to_string(
            "letters/email/reminder.txt", email_context(letter) | {"reminder": reminder}
        ),
        attachments=[
            Attachment(file=reminder.pdf.name, filename=f"{name}-{reminder.step}-reminder.pdf"),
            letter_attachment(letter),
        ],
    )


@transaction.atomic
def reminder_create(*, letter: Letter, today: date | None = None) -> Reminder | None:
    """Make the reminder `letter` is due today, with its PDF and email; None if none is due.

    Escalations are flagged to the Commissioner with a final letter to send if she chooses;
    they are never emailed automatically.
    """
    today = today or timezone.localdate()
    letter = (
        Letter.objects.select_for_update(of=("self",))
        .select_related("round", "force")
        .prefetch_related(Prefetch("reminders", queryset=Reminder.objects.order_by("created_at")))
        .get(pk=letter.pk)
    )
    chase_up = next_chase_up(letter, today)
    if chase_up is None:
        return None
    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(
                letter=letter,
                step=chase_up.step,
                chased_due_on=chase_up.chased_due_on,
                reply_by=chase_up.reply_by,
                created_at=_moment(today),
            )
    except IntegrityError:
        return None  # made by a concurrent run
    letter_store_pdf(letter=letter)  # the original goes with the reminder
    reminder.pdf.name = default_storage.save(
        f"reminders/{letter.round_id}/{document_name(letter.reference)}-{reminder.step}.pdf",
        ContentFile(reminder_pdf(reminder)),
    )
    if chase_up.emailed:
        reminder.email = _reminder_email(reminder, chase_up)
    reminder.save(update_fields=["pdf", "email"])
    return reminder


def chase_ups_send(*, today: date | None = None, dry_run: bool = False) -> ChaseUpRun:
    """Make every reminder due today; a dry run only says what would be made."""
    today = today or timezone.localdate()
    run = ChaseUpRun(today=today, dry_run=dry_run, due=chase_ups_due(today=today))
    if dry_run:
        return run
    job = JobRun.objects.create(name=JOB_NAME)
    try:
        for chase_up in run.due:
            try:
                reminder = reminder_create(letter=chase_up.letter, today=today)
            except Exception as error:
                logger.exception("Chase-up for %s failed", chase_up.letter.reference)
                run.failed.append((chase_up, str(error)))
            else:
                if reminder is not None:
                    run.made.append(reminder)
    except Exception as error:
        job.summary = f"Stopped: {error}"
        raise
    else:
        job.summary = run.summary()
        job.succeeded = not run.failed
    finally:
        job.finished_at = timezone.now()
        job.save(update_fields=["summary", "succeeded", "finished_at"])
    return run
