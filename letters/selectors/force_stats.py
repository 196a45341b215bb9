"""How each force has answered the office's letters over time, round after round.

Definitions, per letter (one per force per round):

- replied on time: its first full reply was received on or before the due date (after any
  extension); replied late: after it;
- never replied: no full reply, and the due date has passed; awaiting: no full reply, not due yet;
- days to reply: calendar days from the letter's issue to its first full reply;
- reminders needed: it was sent at least one reminder;
- themes addressed: the round's themes a person coded as addressed or partly addressed, across
  all the force's replies to it; themes asked: the round's themes.

The same four queries serve one force or all 43, whatever the number of rounds.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from statistics import median

from django.db import models
from django.db.models import Count, Exists, OuterRef, Subquery
from django.utils import timezone

from forces.models import Force
from letters.models import Coding, Judgement, Letter, Reminder, Reply, Round


class Outcome(models.TextChoices):
    ON_TIME = "on-time", "Replied on time"
    LATE = "late", "Replied late"
    NEVER = "never", "Never replied"
    AWAITING = "awaiting", "Awaiting reply, not yet due"


@dataclass(frozen=True)
class LetterOutcome:
    """One letter to a force and how the force answered it."""

    letter_id: int
    force_id: int
    reference: str
    round_title: str
    round_slug: str
    issued_on: date
    due_on: date
    first_full_reply_on: date | None
    outcome: str
    reminded: bool
    themes_addressed: int
    themes_asked: int

    @property
    def outcome_label(self) -> str:
        return Outcome(self.outcome).label

    @property
    def days_to_reply(self) -> int | None:
        if self.first_full_reply_on is None:
            return None
        return (self.first_full_reply_on - self.issued_on).days


@dataclass(frozen=True)
class ForceStats:
    force: Force
    letters: int
    replied_on_time: int
    replied_late: int
    never_replied: int
    awaiting: int
    median_days_to_reply: float | None
    reminders_needed: int
    themes_addressed: int
    themes_asked: int
    outcomes: tuple[LetterOutcome, ...]


# ?sort= keys of the all-forces table, and the value each sorts by.
SORT_KEYS = {
    "force": lambda row: row.force.name,
    "region": lambda row: (row.force.region, row.force.name),
    "letters": lambda row: row.letters,
    "on-time": lambda row: row.replied_on_time,
    "late": lambda row: row.replied_late,
    "never": lambda row: row.never_replied,
    "awaiting": lambda row: row.awaiting,
    "median-days": lambda row: row.median_days_to_reply,
    "reminders": lambda row: row.reminders_needed,
    "themes": lambda row: row.themes_addressed,
}
DEFAULT_SORT = "force"


def _outcome(due_on: date, first_full_reply_on: date | None, today: date) -> str:
    if first_full_reply_on is not None:
        return Outcome.ON_TIME if first_full_reply_on <= due_on else Outcome.LATE
    return Outcome.NEVER if due_on < today else Outcome.AWAITING


def letter_outcomes(
    *, force: Force | None = None, today: date | None = None
) -> list[LetterOutcome]:
    """Every letter (to `force`, or to every force), newest round first (three queries)."""
    today = today or timezone.localdate()
    letters = Letter.objects.all() if force is None else Letter.objects.filter(force=force)
    first_full_reply = Reply.objects.filter(letter=OuterRef("pk"), kind=Reply.Kind.FULL).order_by(
        "received_on"
    )
    rows = (
        letters.annotate(
            first_full_reply_on=Subquery(first_full_reply.values("received_on")[:1]),
            reminded=Exists(Reminder.objects.filter(letter=OuterRef("pk"))),
        )
        .order_by("-issued_on", "round__title")
        .values_list(
            "pk",
            "force_id",
            "reference",
            "round_id",
            "round__title",
            "round__slug",
            "issued_on",
            "due_on",
            "first_full_reply_on",
            "reminded",
        )
    )
    addressed = Coding.objects.filter(judgement__in=(Judgement.ADDRESSED, Judgement.PARTLY))
    if force is not None:
        addressed = addressed.filter(reply__letter__force=force)
    themes_addressed = dict(
        addressed.order_by()
        .values("reply__letter_id")
        .annotate(n=Count("theme", distinct=True))
        .values_list("reply__letter_id", "n")
    )
    themes_asked = dict(Round.objects.annotate(n=Count("themes")).order_by().values_list("pk", "n"))
    return [
        LetterOutcome(
            letter_id=pk,
            force_id=force_id,
            reference=reference,
            round_title=round_title,
            round_slug=round_slug,
            issued_on=issued_on,
            due_on=due_on,
            first_full_reply_on=first_full_reply_on,
            outcome=_outcome(due_on, first_full_reply_on, today),
            reminded=reminded,
            themes_addressed=themes_addressed.get(pk, 0),
            themes_asked=themes_asked.get(round_id, 0),
        )
        for (
            pk,
            force_id,
            reference,
            round_id,
            round_title,
            round_slug,
            issued_on,
            due_on,
            first_full_reply_on,
            reminded,
        ) in rows
    ]


def _stats(force: Force, outcomes: list[LetterOutcome]) -> ForceStats:
    counts = defaultdict(int)
    for outcome in outcomes:
        counts[outcome.outcome] += 1
    days = [o.days_to_reply for o in outcomes if o.days_to_reply is not None]
    return ForceStats(
        force=force,
        letters=len(outcomes),
        replied_on_time=counts[Outcome.ON_TIME],
        replied_late=counts[Outcome.LATE],
        never_replied=counts[Outcome.NEVER],
        awaiting=counts[Outcome.AWAITING],
        median_days_to_reply=median(days) if days else None,
        reminders_needed=sum(1 for o in outcomes if o.reminded),
        themes_addressed=sum(o.themes_addressed for o in outcomes),
        themes_asked=sum(o.themes_asked for o in outcomes),
        outcomes=tuple(outcomes),
    )


def force_stats(*, force: Force, today: date | None = None) -> ForceStats:
    """One force's figures across every round, with its letters' outcomes, newest first."""
    return _stats(force, letter_outcomes(force=force, today=today))


def all_force_stats(*, sort: str = DEFAULT_SORT, today: date | None = None) -> list[ForceStats]:
    """Every force's figures across every round, sorted by a SORT_KEYS key ("-" first for
    descending; an unknown key sorts by force). Forces with no figure for a column (no
    reply, so no median) come last either way."""
    by_force = defaultdict(list)
    for outcome in letter_outcomes(today=today):
        by_force[outcome.force_id].append(outcome)
    rows = [_stats(force, by_force[force.pk]) for force in Force.objects.order_by("name")]
    descending = sort.startswith("-")
    key = SORT_KEYS.get(sort.removeprefix("-"), SORT_KEYS[DEFAULT_SORT])
    present = [row for row in rows if key(row) is not None]
    missing = [row for row in rows if key(row) is None]
    # Python's sort is stable: ties keep the forces in name order.
    return sorted(present, key=key, reverse=descending) + missing
