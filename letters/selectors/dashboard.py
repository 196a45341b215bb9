"""Reads for the dashboard: every open round's figures in a fixed number of queries."""

from dataclasses import dataclass
from datetime import date
from statistics import median

from django.db.models import Count
from django.utils import timezone

from letters.models import Letter, Reminder, Report, Round, Theme, ThemeReview, TrackerStatus
from letters.selectors.tracker import letters_with_state


@dataclass(frozen=True)
class OpenRound:
    """An issued round not yet closed, with the figures the Commissioner watches."""

    round: Round
    letters: int
    replied: int  # letters with a full reply
    overdue: int
    holding: int  # letters with a holding reply and no full reply yet, overdue or not
    escalated: int  # letters chased to the escalation step
    median_days_to_reply: float | None  # calendar days from issue to the first full reply
    unreviewed_themes: list[Theme]

    @property
    def response_rate(self) -> int | None:
        return round(100 * self.replied / self.letters) if self.letters else None


@dataclass(frozen=True)
class Dashboard:
    open_rounds: list[OpenRound]
    reports: list[Report]


def open_rounds(*, today: date | None = None) -> list[OpenRound]:
    """Open rounds, newest first, with response figures and the themes not yet reviewed."""
    today = today or timezone.localdate()
    rounds = list(
        Round.objects.filter(status=Round.Status.ISSUED)
        .prefetch_related("themes")
        .order_by("-issued_on", "-created_at")
    )
    letters = (
        letters_with_state(Letter.objects.filter(round__in=rounds), today=today)
        .order_by()
        .values_list("round_id", "tracker_status", "status", "issued_on", "replied_on")
    )
    per_round: dict[int, dict] = {
        round_.pk: {"letters": 0, "replied": 0, "overdue": 0, "holding": 0, "days": []}
        for round_ in rounds
    }
    for round_id, tracker_status, status, issued_on, replied_on in letters:
        figures = per_round[round_id]
        figures["letters"] += 1
        figures["replied"] += tracker_status == TrackerStatus.REPLIED
        figures["overdue"] += tracker_status == TrackerStatus.OVERDUE
        figures["holding"] += status == Letter.Status.HOLDING
        if replied_on:
            figures["days"].append((replied_on - issued_on).days)
    escalated = dict(
        Reminder.objects.filter(step=Reminder.Step.ESCALATION, letter__round__in=rounds)
        .order_by()
        .values("letter__round_id")
        .annotate(n=Count("letter", distinct=True))
        .values_list("letter__round_id", "n")
    )
    reviewed = set(
        ThemeReview.objects.filter(round__in=rounds, reviewed_at__isnull=False).values_list(
            "round_id", "theme_id"
        )
    )
    return [
        OpenRound(
            round=round_,
            letters=per_round[round_.pk]["letters"],
            replied=per_round[round_.pk]["replied"],
            overdue=per_round[round_.pk]["overdue"],
            holding=per_round[round_.pk]["holding"],
            escalated=escalated.get(round_.pk, 0),
            median_days_to_reply=(
                median(per_round[round_.pk]["days"]) if per_round[round_.pk]["days"] else None
            ),
            unreviewed_themes=[
                theme for theme in round_.themes.all() if (round_.pk, theme.pk) not in reviewed
            ],
        )
        for round_ in rounds
    ]


def latest_reports(*, limit: int = 5) -> list[Report]:
    return list(Report.objects.select_related("round", "requested_by")[:limit])


def dashboard(*, today: date | None = None) -> Dashboard:
    return Dashboard(open_rounds=open_rounds(today=today), reports=latest_reports())
