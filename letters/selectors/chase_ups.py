"""Which letters are due a chase-up, worked out from their state rather than from a time window.

A letter is chased while it is overdue (its due date, after any extension, has passed), has no
full reply, is not paused and belongs to an issued round. It gets only the next step it is due:

- first reminder: the round's `first_reminder_days` working days after the due date;
- second reminder: `second_reminder_days` working days after the first reminder (or after the
  due date, if an extension moved it later), and not before the first reminder's reply-by date
  has passed;
- escalation: likewise, `escalation_days` after the second reminder.

A night the job did not run is caught up by the next run, each letter getting one step.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from letters.models import Letter, Reminder, Round
from letters.selectors.tracker import FULL_REPLY_STATUSES
from letters.working_days import add_working_days

STEPS = (Reminder.Step.FIRST, Reminder.Step.SECOND, Reminder.Step.ESCALATION)


@dataclass(frozen=True)
class ChaseUp:
    """One step due for one letter."""

    letter: Letter
    step: Reminder.Step
    chased_due_on: date
    reply_by: date
    to: str  # where it is emailed; empty when the force has no address (or for an escalation)

    @property
    def emailed(self) -> bool:
        return bool(self.to)


def chasable_letters(today: date) -> QuerySet:
    """Overdue letters of issued rounds with no full reply and chase-ups not paused."""
    return (
        Letter.objects.filter(
            round__status=Round.Status.ISSUED, chase_paused=False, due_on__lt=today
        )
        .exclude(status__in=FULL_REPLY_STATUSES)
        .select_related("round", "force")
        .prefetch_related(Prefetch("reminders", queryset=Reminder.objects.order_by("created_at")))
        .order_by("round__issued_on", "reference")
    )


def next_chase_up(letter: Letter, today: date) -> ChaseUp | None:
    """The step `letter` is due today, if any. Expects its reminders prefetched or fresh."""
    if letter.has_full_reply or letter.chase_paused or letter.due_on >= today:
        return None
    if letter.round.status != Round.Status.ISSUED:
        return None
    done = {reminder.step: reminder for reminder in letter.reminders.all()}
    step = next((step for step in STEPS if step not in done), None)
    if step is None:
        return None
    policy = letter.round
    if step == Reminder.Step.FIRST:
        earliest = add_working_days(letter.due_on, policy.first_reminder_days)
    else:
        previous = done[STEPS[STEPS.index(step) - 1]]
        wait = (
            policy.second_reminder_days if step == Reminder.Step.SECOND else policy.escalation_days
        )
        base = max(timezone.localdate(previous.created_at), letter.due_on)
        earliest = add_working_days(base, wait)
        if previous.reply_by:
            earliest = max(earliest, previous.reply_by + timedelta(days=1))
    if today < earliest:
        return None
    to = "" if step == Reminder.Step.ESCALATION else (letter.force.email or letter.email)
    return ChaseUp(
        letter=letter,
        step=step,
        chased_due_on=letter.due_on,
        reply_by=add_working_days(today, policy.reminder_reply_days),
        to=to,
    )


def chase_ups_due(*, today: date | None = None) -> list[ChaseUp]:
    """Every chase-up due today, one per letter at most."""
    today = today or timezone.localdate()
    due = (next_chase_up(letter, today) for letter in chasable_letters(today))
    return [chase_up for chase_up in due if chase_up is not None]


def escalated_letters(*, round: Round | None = None) -> QuerySet:
    """Letters escalated to the Commissioner that still have no full reply."""
    letters = Letter.objects.filter(reminders__step=Reminder.Step.ESCALATION).exclude(
        status__in=FULL_REPLY_STATUSES
    )
    if round is not None:
        letters = letters.filter(round=round)
    return letters.select_related("force", "round").order_by("force__name")
