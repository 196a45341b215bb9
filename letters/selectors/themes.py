"""Reads for theme summaries, the coverage matrix and a theme across rounds, in few queries.

A force counts by its latest full reply (latest received, then latest logged): that reply's
coding for the theme puts the force in a judgement group. A force whose latest full reply is not
coded for the theme yet is "awaiting coding"; a force with only a holding reply, or no reply, is
in no judgement group: a holding reply promises an answer, it is not one. Excerpts coded on a
holding reply are still shown, marked as coming from one. Shares are of the forces whose full
reply is coded, so a round still being coded is not made to look worse than it is.
"""

from dataclasses import dataclass, field

from django.db.models import OuterRef, QuerySet, Subquery

from letters.models import Coding, Judgement, Letter, Reply, Round, Theme, ThemeReview


class Coverage:
    """How one force stands on one theme: a judgement, or why it has none yet."""

    ADDRESSED = Judgement.ADDRESSED.value
    PARTLY = Judgement.PARTLY.value
    NOT_ADDRESSED = Judgement.NOT_ADDRESSED.value
    AWAITING_CODING = "uncoded"
    HOLDING = "holding"
    NO_REPLY = "none"

    JUDGED = (ADDRESSED, PARTLY, NOT_ADDRESSED)
    LABELS = {
        ADDRESSED: "Addressed",
        PARTLY: "Partly addressed",
        NOT_ADDRESSED: "Not addressed",
        AWAITING_CODING: "Full reply not coded yet",
        HOLDING: "Holding reply only",
        NO_REPLY: "No reply",
    }
    ORDER = (ADDRESSED, PARTLY, NOT_ADDRESSED, AWAITING_CODING, HOLDING, NO_REPLY)


def _latest_reply(kind: str) -> Subquery:
    return Subquery(
        Reply.objects.filter(letter=OuterRef("pk"), kind=kind)
        .order_by("-received_on", "-logged_at", "-pk")
        .values("pk")[:1]
    )


def letters_with_latest_replies(queryset: QuerySet) -> QuerySet:
    """Letters with the ids of their latest full and latest holding reply (or None)."""
    return queryset.annotate(
        latest_full_reply_id=_latest_reply(Reply.Kind.FULL),
        latest_holding_reply_id=_latest_reply(Reply.Kind.HOLDING),
    )


def _state(letter: Letter, judgement: str | None) -> str:
    if letter.latest_full_reply_id:
        return judgement or Coverage.AWAITING_CODING
    return Coverage.HOLDING if letter.latest_holding_reply_id else Coverage.NO_REPLY


@dataclass(frozen=True)
class ForceCoverage:
    """One force on one theme: its state, the reply that decides it, and that reply's coding."""

    letter: Letter
    theme: Theme
    state: str
    reply: Reply | None
    coding: Coding | None

    @property
    def force(self):
        return self.letter.force

    @property
    def label(self) -> str:
        return Coverage.LABELS[self.state]

    @property
    def excerpts(self) -> list:
        return list(self.coding.excerpts.all()) if self.coding else []


def _coverage(letters: list[Letter], themes: list[Theme]) -> dict[tuple[int, int], ForceCoverage]:
    """Each (letter, theme) pair's coverage, in three queries whatever the number of letters."""
    deciding_reply = {
        letter.pk: letter.latest_full_reply_id or letter.latest_holding_reply_id
        for letter in letters
    }
    reply_ids = {reply_id for reply_id in deciding_reply.values() if reply_id}
    replies = Reply.objects.only("pk", "kind", "received_on", "letter_id").in_bulk(reply_ids)
    codings = {
        (coding.reply_id, coding.theme_id): coding
        for coding in Coding.objects.filter(
            reply_id__in=reply_ids, theme__in=themes
        ).prefetch_related("excerpts")
    }
    result = {}
    for letter in letters:
        reply = replies.get(deciding_reply[letter.pk])
        for theme in themes:
            coding = codings.get((reply.pk, theme.pk)) if reply else None
            judgement = coding.judgement if coding and letter.latest_full_reply_id else None
            result[letter.pk, theme.pk] = ForceCoverage(
                letter=letter,
                theme=theme,
                state=_state(letter, judgement),
                reply=reply,
                coding=coding,
            )
    return result


def _round_letters(round: Round, region: str | None = None) -> list[Letter]:
    letters = Letter.objects.filter(round=round).select_related("force")
    if region:
        letters = letters.filter(force__region=region)
    return list(letters_with_latest_replies(letters).order_by("force__region", "force__name"))


@dataclass(frozen=True)
class CoverageCounts:
    """How many forces are in each state; shares are of the forces whose full reply is coded."""

    counts: dict[str, int]

    @property
    def judged(self) -> int:
        return sum(self.counts[state] for state in Coverage.JUDGED)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def share(self, state: str) -> int | None:
        """Percentage of judged forces in `state`, rounded; None when nothing is judged yet."""
        return round(100 * self.counts[state] / self.judged) if self.judged else None

    @property
    def rows(self) -> list[dict]:
        """For templates: each state in order with its label, count and share."""
        return [
            {
                "state": state,
                "label": Coverage.LABELS[state],
                "count": self.counts[state],
                "share": self.share(state) if state in Coverage.JUDGED else None,
            }
            for state in Coverage.ORDER
        ]

    @classmethod
    def of(cls, states) -> "CoverageCounts":
        counts = dict.fromkeys(Coverage.ORDER, 0)
        for state in states:
            counts[state] += 1
        return cls(counts)


@dataclass(frozen=True)
class CoverageGroup:
    state: str
    label: str
    forces: list[ForceCoverage]


@dataclass(frozen=True)
class ThemeSummary:
    round: Round
    theme: Theme
    review: ThemeReview  # unsaved (and empty) until someone first writes to it
    counts: CoverageCounts
    groups: list[CoverageGroup]


def theme_review_of(*, round: Round, theme: Theme) -> ThemeReview:
    """The round's review of a theme, or a blank unsaved one: reading never creates rows."""
    review = (
        ThemeReview.objects.filter(round=round, theme=theme)
        .select_related("summary_by", "observation_by", "reviewed_by")
        .first()
    )
    return review or ThemeReview(round=round, theme=theme)


def theme_summary(*, round: Round, theme: Theme) -> ThemeSummary:
    """What the round's forces said about one theme, grouped by judgement, with every excerpt."""
    letters = _round_letters(round)
    coverage = _coverage(letters, [theme])
    by_state: dict[str, list[ForceCoverage]] = {state: [] for state in Coverage.ORDER}
    for letter in letters:
        item = coverage[letter.pk, theme.pk]
        by_state[item.state].append(item)
    return ThemeSummary(
        round=round,
        theme=theme,
        review=theme_review_of(round=round, theme=theme),
        counts=CoverageCounts({state: len(items) for state, items in by_state.items()}),
        groups=[
            CoverageGroup(state=state, label=Coverage.LABELS[state], forces=by_state[state])
            for state in Coverage.ORDER
        ],
    )


@dataclass(frozen=True)
class MatrixRow:
    letter: Letter
    cells: list[ForceCoverage]  # in the order of the matrix's themes


@dataclass(frozen=True)
class RegionRows:
    region: str
    rows: list[MatrixRow] = field(default_factory=list)


@dataclass(frozen=True)
class CoverageMatrix:
    round: Round
    themes: list[Theme]
    regions: list[RegionRows]
    totals: list[CoverageCounts]  # per theme, over the rows shown
    reviewed_theme_ids: set[int]


def coverage_matrix(*, round: Round, region: str | None = None) -> CoverageMatrix:
    """Forces (grouped by region) × the round's themes, each cell the force's coverage."""
    themes = list(round.themes.all())
    letters = _round_letters(round, region)
    coverage = _coverage(letters, themes)
    regions: list[RegionRows] = []
    for letter in letters:
        if not regions or regions[-1].region != letter.force.region:
            regions.append(RegionRows(letter.force.region))
        regions[-1].rows.append(
            MatrixRow(letter, [coverage[letter.pk, theme.pk] for theme in themes])
        )
    reviewed = set(
        ThemeReview.objects.filter(round=round, reviewed_at__isnull=False).values_list(
            "theme_id", flat=True
        )
    )
    return CoverageMatrix(
        round=round,
        themes=themes,
        regions=regions,
        totals=[
            CoverageCounts.of(coverage[letter.pk, theme.pk].state for letter in letters)
            for theme in themes
        ],
        reviewed_theme_ids=reviewed,
    )


@dataclass(frozen=True)
class RoundCoverage:
    round: Round
    counts: CoverageCounts
    reviewed: bool


def theme_across_rounds(*, theme: Theme) -> list[RoundCoverage]:
    """For each issued round that asked about the theme, oldest first: how forces covered it."""
    rounds = list(
        Round.objects.filter(themes=theme)
        .exclude(status=Round.Status.DRAFT)
        .order_by("issued_on", "created_at")
    )
    judgement = Subquery(
        Coding.objects.filter(reply_id=OuterRef("latest_full_reply_id"), theme=theme).values(
            "judgement"
        )[:1]
    )
    letters = (
        letters_with_latest_replies(Letter.objects.filter(round__in=rounds).only("round_id"))
        .annotate(judgement=judgement)
        .order_by()
    )
    states: dict[int, list[str]] = {round_.pk: [] for round_ in rounds}
    for letter in letters:
        states[letter.round_id].append(_state(letter, letter.judgement))
    reviewed = set(
        ThemeReview.objects.filter(
            theme=theme, round__in=rounds, reviewed_at__isnull=False
        ).values_list("round_id", flat=True)
    )
    return [
        RoundCoverage(
            round=round_,
            counts=CoverageCounts.of(states[round_.pk]),
            reviewed=round_.pk in reviewed,
        )
        for round_ in rounds
    ]
