"""Everything the summary report of a round says, read in a fixed number of queries."""

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from xml.etree import ElementTree as ET

from django.db.models import Prefetch
from django.utils import timezone

from forces.models import ProsecutionFigures
from letters.charts import replies_over_time_svg, svg_data_uri, theme_coverage_svg
from letters.models import (
    Coding,
    Excerpt,
    Judgement,
    Letter,
    Reply,
    Round,
    Theme,
    ThemeReview,
    TrackerStatus,
)
from letters.selectors.tracker import letters_with_state

# Strongest first: when a letter's replies were coded differently, the strongest counts.
JUDGEMENT_ORDER = (Judgement.ADDRESSED, Judgement.PARTLY, Judgement.NOT_ADDRESSED)


@dataclass(frozen=True)
class ResponseStats:
    issued: int
    replied: int
    replied_by_due_date: int
    holding: int  # a holding reply received, the full reply still to come
    overdue: int
    not_yet_due: int  # including letters given an extension
    extended: int
    median_days_to_reply: float | None
    longest_days_to_reply: int | None
    longest_to_reply: list[str]  # the forces that took longest

    @property
    def not_replied(self) -> int:
        return self.issued - self.replied


@dataclass(frozen=True)
class QuotedForce:
    force: str
    excerpts: list[str]
    holding_reply: bool  # what was coded is a holding reply


@dataclass(frozen=True)
class JudgementGroup:
    judgement: Judgement
    forces: list[QuotedForce]

    @property
    def quoted(self) -> list[QuotedForce]:
        return [force for force in self.forces if force.excerpts]

    @property
    def unquoted(self) -> list[str]:
        return [force.force for force in self.forces if not force.excerpts]


@dataclass(frozen=True)
class ThemeSection:
    theme: Theme
    summary: str
    observation: str
    groups: list[JudgementGroup]
    not_coded: list[str]  # forces that replied with no coding for this theme

    @property
    def anchor(self) -> str:
        return f"theme-{self.theme.code}"


@dataclass(frozen=True)
class MatrixRow:
    force: str
    cells: list[Judgement | None]  # one per theme, None when not coded


@dataclass(frozen=True)
class FiguresRow:
    figures: ProsecutionFigures
    charge_rate: Decimal | None
    prosecution_rate: Decimal | None
    conviction_rate: Decimal | None
    footnote: int | None  # number of the footnote explaining a part-year row


@dataclass(frozen=True)
class NotReplied:
    letter: Letter
    state: str  # in words: overdue, holding reply received, extension to ...
    reminders: int
    escalated: bool


@dataclass
class SummaryReport:
    round: Round
    generated_on: date
    stats: ResponseStats
    themes: list[Theme]
    replies_chart: str  # SVG
    coverage_chart: str  # SVG
    matrix: list[MatrixRow]
    theme_sections: list[ThemeSection]
    figures: list[FiguresRow]
    figures_notes: list[str] = field(default_factory=list)
    figures_sources: list[str] = field(default_factory=list)
    not_replied: list[NotReplied] = field(default_factory=list)

    @property
    def replies_chart_uri(self) -> str:
        return svg_data_uri(self.replies_chart)

    @property
    def coverage_chart_uri(self) -> str:
        return svg_data_uri(self.coverage_chart)

    @property
    def replies_chart_text(self) -> str:
        return _chart_description(self.replies_chart)

    @property
    def coverage_chart_text(self) -> str:
        return _chart_description(self.coverage_chart)


def _chart_description(svg: str) -> str:
    """The chart's <desc>: what it shows, in words, for the image's alternative text."""
    root = ET.fromstring(svg)  # noqa: S314 - our own charts.py output, not outside input
    desc = root.find("{http://www.w3.org/2000/svg}desc")
    return desc.text if desc is not None and desc.text else ""


def _rate(count: int, recorded: int) -> Decimal | None:
    if not recorded:
        return None
    return (Decimal(count) * 100 / recorded).quantize(Decimal("0.1"))


def national_figures() -> tuple[list[FiguresRow], list[str], list[str]]:
    """National prosecution figures with rates per 100 recorded crimes; notes for part years."""
    rows, notes = [], []
    for figures in ProsecutionFigures.objects.filter(force__isnull=True).order_by("year"):
        footnote = None
        if figures.part_year:
            notes.append(figures.note or "These figures cover only part of the year.")
            footnote = len(notes)
        rows.append(
            FiguresRow(
                figures=figures,
                charge_rate=_rate(figures.suspects_charged, figures.recorded_crimes),
                prosecution_rate=_rate(figures.defendants_prosecuted, figures.recorded_crimes),
                conviction_rate=_rate(figures.defendants_convicted, figures.recorded_crimes),
                footnote=footnote,
            )
        )
    sources = list(dict.fromkeys(row.figures.source for row in rows if row.figures.source))
    return rows, notes, sources


def _strongest(codings: list[Coding]) -> Coding:
    """The coding that speaks for a letter: full replies first, then the strongest, then latest."""
    return min(
        codings,
        key=lambda c: (
            c.reply.kind != Reply.Kind.FULL,
            JUDGEMENT_ORDER.index(c.judgement),
            -c.reply.received_on.toordinal(),
        ),
    )


def summary_report(*, round: Round, today: date | None = None) -> SummaryReport:
    today = today or timezone.localdate()
    themes = list(round.themes.all())
    letters = list(
        letters_with_state(Letter.objects.filter(round=round), today=today)
        .prefetch_related("reminders")
        .order_by("force__name")
    )
    codings = (
        Coding.objects.filter(reply__letter__round=round, theme__in=themes)
        .select_related("reply")
        .prefetch_related(Prefetch("excerpts", queryset=Excerpt.objects.order_by("position", "id")))
    )
    by_letter_theme: dict[tuple[int, int], list[Coding]] = {}
    for coding in codings:
        by_letter_theme.setdefault((coding.reply.letter_id, coding.theme_id), []).append(coding)
    chosen = {key: _strongest(found) for key, found in by_letter_theme.items()}
    reviews = {review.theme_id: review for review in ThemeReview.objects.filter(round=round)}

    replied = [letter for letter in letters if letter.tracker_status == TrackerStatus.REPLIED]
    days = {
        letter.force.name: (letter.replied_on - letter.issued_on).days
        for letter in replied
        if letter.replied_on
    }
    longest = max(days.values(), default=None)
    status_counts = Counter(letter.tracker_status for letter in letters)
    stats = ResponseStats(
        issued=len(letters),
        replied=len(replied),
        replied_by_due_date=sum(
            1 for letter in replied if letter.replied_on and letter.replied_on <= letter.due_on
        ),
        holding=sum(
            1 for letter in letters if letter.has_holding_reply and not letter.has_full_reply
        ),
        overdue=status_counts[TrackerStatus.OVERDUE],
        not_yet_due=sum(
            status_counts[status]
            for status in (TrackerStatus.AWAITING, TrackerStatus.EXTENDED, TrackerStatus.HOLDING)
        ),
        extended=sum(1 for letter in letters if letter.has_extension),
        median_days_to_reply=statistics.median(days.values()) if days else None,
        longest_days_to_reply=longest,
        longest_to_reply=sorted(name for name, d in days.items() if d == longest),
    )

    matrix = [
        MatrixRow(
            force=letter.force.name,
            cells=[
                chosen[(letter.pk, theme.pk)].judgement if (letter.pk, theme.pk) in chosen else None
                for theme in themes
            ],
        )
        for letter in letters
    ]
    sections = []
    for column, theme in enumerate(themes):
        groups = []
        for judgement in JUDGEMENT_ORDER:
            quoted = [
                QuotedForce(
                    force=letter.force.name,
                    excerpts=[excerpt.text for excerpt in coding.excerpts.all()],
                    holding_reply=coding.reply.kind == Reply.Kind.HOLDING,
                )
                for letter in letters
                if (coding := chosen.get((letter.pk, theme.pk))) and coding.judgement == judgement
            ]
            groups.append(JudgementGroup(judgement=judgement, forces=quoted))
        review = reviews.get(theme.pk)
        sections.append(
            ThemeSection(
                theme=theme,
                summary=review.summary if review else "",
                observation=review.observation if review else "",
                groups=groups,
                not_coded=[
                    row.force
                    for row, letter in zip(matrix, letters, strict=True)
                    if row.cells[column] is None and letter.has_full_reply
                ],
            )
        )

    counts_by_theme = [
        (theme.name, *(sum(1 for row in matrix if row.cells[i] == j) for j in JUDGEMENT_ORDER))
        for i, theme in enumerate(themes)
    ]
    due_dates = Counter(letter.original_due_on for letter in letters)
    figures, notes, sources = national_figures()
    return SummaryReport(
        round=round,
        generated_on=today,
        stats=stats,
        themes=themes,
        replies_chart=replies_over_time_svg(
            [(letter.replied_on, 1) for letter in replied if letter.replied_on],
            due_on=due_dates.most_common(1)[0][0] if due_dates else None,
            expected=len(letters),
        ),
        coverage_chart=theme_coverage_svg(counts_by_theme),
        matrix=matrix,
        theme_sections=sections,
        figures=figures,
        figures_notes=notes,
        figures_sources=sources,
        not_replied=[_not_replied(letter) for letter in letters if not letter.has_full_reply],
    )


def _not_replied(letter: Letter) -> NotReplied:
    reminders = list(letter.reminders.all())
    if letter.tracker_status == TrackerStatus.OVERDUE:
        state = "Overdue since " + _day(letter.due_on)
    elif letter.has_extension:
        state = "Extension to " + _day(letter.due_on)
    else:
        state = "Due " + _day(letter.due_on)
    if letter.has_holding_reply:
        state += "; holding reply received"
    return NotReplied(
        letter=letter,
        state=state,
        reminders=sum(1 for r in reminders if r.step != r.Step.ESCALATION),
        escalated=any(r.step == r.Step.ESCALATION for r in reminders),
    )


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"
