"""Reads for the tracker: one row per letter with its derived state, in few queries."""

from datetime import date

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from letters.models import (
    Coding,
    Extension,
    Letter,
    OutboundEmail,
    Reminder,
    Reply,
    Round,
    TrackerStatus,
)

FULL_REPLY_STATUSES = (Letter.Status.REPLIED, Letter.Status.CLOSED)


def _subquery_count(queryset: QuerySet, group_by: str, counted: str) -> Subquery:
    counts = queryset.order_by().values(group_by).annotate(n=Count(counted, distinct=True))
    return Coalesce(Subquery(counts.values("n")[:1], output_field=IntegerField()), 0)


def tracker_status_expression(today: date) -> Case:
    """The tracker's status, in SQL so it can be filtered, counted and sorted."""
    return Case(
        When(status__in=FULL_REPLY_STATUSES, then=Value(TrackerStatus.REPLIED)),
        When(due_on__lt=today, then=Value(TrackerStatus.OVERDUE)),
        When(has_extension=True, then=Value(TrackerStatus.EXTENDED)),
        When(status=Letter.Status.HOLDING, then=Value(TrackerStatus.HOLDING)),
        default=Value(TrackerStatus.AWAITING),
        output_field=CharField(),
    )


def letters_with_state(queryset: QuerySet | None = None, *, today: date | None = None) -> QuerySet:
    """Letters annotated with what the tracker shows about each."""
    today = today or timezone.localdate()
    queryset = Letter.objects.all() if queryset is None else queryset
    first_full_reply = Reply.objects.filter(letter=OuterRef("pk"), kind=Reply.Kind.FULL).order_by(
        "received_on"
    )
    return (
        queryset.select_related("force", "round")
        .annotate(
            has_extension=Exists(Extension.objects.filter(letter=OuterRef("pk"))),
            has_holding_reply=Exists(
                Reply.objects.filter(letter=OuterRef("pk"), kind=Reply.Kind.HOLDING)
            ),
            replied_on=Subquery(first_full_reply.values("received_on")[:1]),
            themes_coded=_subquery_count(
                Coding.objects.filter(reply__letter=OuterRef("pk")), "reply__letter", "theme"
            ),
            reminders_sent=_subquery_count(
                Reminder.objects.filter(letter=OuterRef("pk")), "letter", "pk"
            ),
            # An email of the letter came back undelivered and has not been sent again since.
            email_bounced=Exists(
                OutboundEmail.objects.filter(
                    letter=OuterRef("pk"),
                    status=OutboundEmail.Status.FAILED,
                    bounces__isnull=False,
                )
            ),
        )
        .annotate(tracker_status=tracker_status_expression(today))
    )


def tracker_rows(*, round: Round, today: date | None = None) -> QuerySet:
    return letters_with_state(Letter.objects.filter(round=round), today=today).order_by(
        "force__name"
    )


def tracker_counts(rows) -> dict[str, int]:
    """How many of these tracker rows are in each status, plus the total."""
    counts = {status.value: 0 for status in TrackerStatus}
    for letter in rows:
        counts[letter.tracker_status] += 1
    counts["total"] = len(rows)
    return counts


def days_overdue(letter: Letter, today: date | None = None) -> int:
    today = today or timezone.localdate()
    if letter.has_full_reply or letter.due_on >= today:
        return 0
    return (today - letter.due_on).days


def rounds_with_progress(*, today: date | None = None) -> QuerySet:
    """Every round with its letter, reply and overdue counts (one query)."""
    today = today or timezone.localdate()
    full = Q(letters__status__in=FULL_REPLY_STATUSES)
    return Round.objects.annotate(
        letter_count=Count("letters"),
        replied_count=Count("letters", filter=full),
        overdue_count=Count("letters", filter=~full & Q(letters__due_on__lt=today)),
    ).order_by("-issued_on", "-created_at")
