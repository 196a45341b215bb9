"""Reads for the letter that closes a round: the round's story, its observations, the figures.

The pre-filled draft is composed here from data only: when the letters went out and to how many
forces, how many replied and by when, each reviewed theme's observation in the Commissioner's own
words, and a line standing for the table of national figures. Themes without a reviewed
observation are left out of the text and named for the page, never filled with placeholder text.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef, Subquery
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.dateformat import format as format_date

from forces.models import Force, ProsecutionFigures
from letters.models import (
    FIGURES_TABLE_LINE,
    Letter,
    MinisterialLetter,
    Reply,
    Round,
    Theme,
    ThemeReview,
    is_figures_table_line,
)
from letters.text import BULLET


def _day(value: date) -> str:
    return format_date(value, "j F Y")


@dataclass(frozen=True)
class RoundStory:
    """What happened to a round's letters, counted from its letters and replies."""

    issued_on: date
    letters: int
    to_every_force: bool
    replied: int  # letters with a full reply
    replied_by_due: int  # ... received on or before the date first asked for
    due_on: date | None  # the date first asked for, when every letter asked for the same one
    last_reply_on: date | None  # the latest first full reply
    holding_only: int  # letters with a holding reply and no full reply
    no_reply: int

    @property
    def text(self) -> str:
        """One paragraph: the letters written and the replies received, in the office's voice."""
        n = self.letters
        if self.to_every_force:
            written_to = f"the chief officers of the {n} police forces in England and Wales"
        else:
            written_to = (
                f"the chief officer{pluralize(n)} of {n} police force{pluralize(n)} "
                "in England and Wales"
            )
        sentences = [f"In {format_date(self.issued_on, 'F Y')} I wrote to {written_to}."]
        if self.replied:
            if n == 1:
                who = "The force"
            else:
                who = f"All {n}" if self.replied == n else f"Of the {n}, {self.replied}"
            when = (
                f"the last on {_day(self.last_reply_on)}"
                if self.replied > 1
                else f"on {_day(self.last_reply_on)}"
            )
            sentences.append(
                f"{who} {pluralize(self.replied, 'has,have')} replied in full, {when}."
            )
            due = (
                f"{_day(self.due_on)}, the date I asked for"
                if self.due_on
                else ("the date I asked for")
            )
            if self.replied_by_due == self.replied:
                every = "Every reply" if self.replied > 1 else "The reply"
                sentences.append(f"{every} arrived by {due}.")
            elif self.replied == 1:
                sentences.append(f"The reply arrived after {due}.")
            else:
                sentences.append(f"Of these, {self.replied_by_due or 'none'} arrived by {due}.")
        else:
            sentences.append("None has replied in full yet.")
        sentences += self._the_others()
        return " ".join(sentences)

    def _the_others(self) -> list[str]:
        """What the forces without a full reply did: a holding reply, or nothing."""
        n, rest = self.letters, self.letters - self.replied
        if not rest or not (self.replied or self.holding_only):
            return []  # no one else, or "None has replied" already says it all
        if self.holding_only and self.no_reply:
            lead = f"Of the other {rest}" if self.replied else f"Of the {n}"
            return [
                f"{lead}, {self.holding_only} {pluralize(self.holding_only, 'has,have')} sent "
                f"only a holding reply and {self.no_reply} "
                f"{pluralize(self.no_reply, 'has,have')} not replied."
            ]
        if self.replied:
            everyone = "The other force" if rest == 1 else f"The other {rest}"
        else:
            everyone = "The force" if n == 1 else f"All {n}"
        has = pluralize(rest, "has,have")
        return [
            f"{everyone} {has} sent only a holding reply."
            if self.holding_only
            else f"{everyone} {has} not replied."
        ]


def round_story(*, round: Round) -> RoundStory:
    """The round's letters and replies, counted in one query."""
    first_full_reply = Reply.objects.filter(letter=OuterRef("pk"), kind=Reply.Kind.FULL).order_by(
        "received_on"
    )
    letters = list(
        Letter.objects.filter(round=round)
        .annotate(
            replied_on=Subquery(first_full_reply.values("received_on")[:1]),
            has_holding_reply=Exists(
                Reply.objects.filter(letter=OuterRef("pk"), kind=Reply.Kind.HOLDING)
            ),
        )
        .order_by()
        .values_list("original_due_on", "replied_on", "has_holding_reply")
    )
    due_dates = {due_on for due_on, _, _ in letters}
    replied_on = [replied for _, replied, _ in letters if replied]
    holding_only = sum(1 for _, replied, holding in letters if holding and not replied)
    return RoundStory(
        issued_on=round.issued_on,
        letters=len(letters),
        to_every_force=len(letters) == Force.objects.count(),
        replied=len(replied_on),
        replied_by_due=sum(1 for due_on, replied, _ in letters if replied and replied <= due_on),
        due_on=due_dates.pop() if len(due_dates) == 1 else None,
        last_reply_on=max(replied_on, default=None),
        holding_only=holding_only,
        no_reply=len(letters) - len(replied_on) - holding_only,
    )


@dataclass(frozen=True)
class LeftOutTheme:
    theme: Theme
    reason: str


@dataclass(frozen=True)
class RoundObservations:
    """The round's themes: those with a reviewed observation, and those left out, and why."""

    reviews: list[ThemeReview]
    left_out: list[LeftOutTheme]


def round_observations(*, round: Round) -> RoundObservations:
    reviews = {
        review.theme_id: review
        for review in ThemeReview.objects.filter(round=round).select_related("theme")
    }
    included, left_out = [], []
    for theme in round.themes.all():
        review = reviews.get(theme.pk)
        if review is None or not review.is_reviewed:
            left_out.append(LeftOutTheme(theme, "not reviewed yet"))
        elif not review.observation.strip():
            left_out.append(LeftOutTheme(theme, "reviewed, but with no observation written"))
        else:
            included.append(review)
    return RoundObservations(reviews=included, left_out=left_out)


def round_has_reviewed_observations(*, round: Round) -> bool:
    return (
        ThemeReview.objects.filter(
            round=round, theme__in=round.themes.all(), reviewed_at__isnull=False
        )
        .exclude(observation="")
        .exists()
    )


def observations_text(reviews: list[ThemeReview]) -> str:
    """One bullet per observation; observations of several paragraphs stay paragraphs."""
    texts = [review.observation.strip().replace("\r\n", "\n") for review in reviews]
    if all("\n\n" not in text and not text.startswith(BULLET) for text in texts):
        return "\n".join(BULLET + " ".join(text.split()) for text in texts)
    return "\n\n".join(texts)


# --- National figures -------------------------------------------------------------------------


@dataclass(frozen=True)
class FiguresRow:
    figures: ProsecutionFigures
    mark: str  # "*", "**"... for a part-year row; "" otherwise


@dataclass(frozen=True)
class FiguresFootnote:
    mark: str
    text: str


@dataclass(frozen=True)
class LetterFigures:
    """The national figures of the chosen years, oldest first, part-year rows footnoted."""

    rows: list[FiguresRow]
    footnotes: list[FiguresFootnote]
    missing_years: list[int]  # chosen, but with no national figures

    def __bool__(self) -> bool:
        return bool(self.rows)


def _footnote_text(figures: ProsecutionFigures) -> str:
    if figures.note:
        return figures.note
    return f"Figures for {_day(figures.period_start)} to {_day(figures.period_end)}"


def letter_figures(*, years: list[int]) -> LetterFigures:
    rows = list(
        ProsecutionFigures.objects.filter(force__isnull=True, year__in=years).order_by("year")
    )
    table, footnotes = [], []
    for figures in rows:
        mark = ""
        if figures.part_year:
            mark = "*" * (len(footnotes) + 1)
            footnotes.append(FiguresFootnote(mark, _footnote_text(figures)))
        table.append(FiguresRow(figures, mark))
    found = {figures.year for figures in rows}
    return LetterFigures(table, footnotes, sorted(set(years) - found))


def national_figure_years() -> list[int]:
    return list(
        ProsecutionFigures.objects.filter(force__isnull=True)
        .order_by("year")
        .values_list("year", flat=True)
    )


def default_figure_years() -> list[int]:
    """The latest two years, as the seed letter compares a year with the one before."""
    return national_figure_years()[-2:]


# --- The letter's body ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BodyPart:
    """A stretch of the body's plain text, or the place of the figures table."""

    text: str
    is_figures_table: bool = False


def body_parts(body: str) -> list[BodyPart]:
    parts, lines = [], []
    for line in body.replace("\r\n", "\n").split("\n"):
        if is_figures_table_line(line):
            parts += [BodyPart("\n".join(lines)), BodyPart("", is_figures_table=True)]
            lines = []
        else:
            lines.append(line)
    parts.append(BodyPart("\n".join(lines)))
    return [part for part in parts if part.is_figures_table or part.text.strip()]


@dataclass(frozen=True)
class Draft:
    subject: str
    body: str


def prefilled_draft(*, round: Round, years: list[int]) -> Draft:
    """The letter as the round's data writes it, for the Commissioner to edit."""
    story = round_story(round=round)
    observations = round_observations(round=round)
    paragraphs = [story.text]
    if years and letter_figures(years=years):
        paragraphs += [
            "The national figures for modern slavery offences are:",
            FIGURES_TABLE_LINE,
        ]
    if observations.reviews:
        paragraphs += [
            "I would make the following observations on the replies I received:",
            observations_text(observations.reviews),
        ]
    paragraphs.append("I would welcome the opportunity to discuss these findings with you.")
    return Draft(
        subject=f"Police forces’ replies to my letter of {format_date(round.issued_on, 'F Y')}",
        body="\n\n".join(paragraphs),
    )


def issue_problems(letter: MinisterialLetter) -> list[str]:
    """What stops a draft from being issued as it stands."""
    problems = []
    if letter.has_figures_table_line:
        if not letter.figure_years:
            problems.append(
                f"Tick the years of figures for the table, or delete the {FIGURES_TABLE_LINE} line."
            )
        else:
            for year in letter_figures(years=letter.figure_years).missing_years:
                problems.append(f"There are no national figures for {year}: untick it.")
    if not letter.body.strip():
        problems.append("Write the letter’s text.")
    return problems


def draft_notes(letter: MinisterialLetter, observations: RoundObservations) -> list[str]:
    """What the person editing should know, though it does not stop the letter being issued."""
    notes = []
    if letter.figure_years and not letter.has_figures_table_line:
        notes.append(
            f"The years you ticked are not shown: the text has no {FIGURES_TABLE_LINE} line."
        )
    # The draft copied the observations when it was started; later ones are not in its text.
    for review in observations.reviews:
        changed_at = max(review.reviewed_at, review.observation_at or review.reviewed_at)
        if changed_at > letter.created_at:
            notes.append(
                f"The observation on “{review.theme}” was written or reviewed after this draft "
                f"was started, on {_day(timezone.localdate(changed_at))}: check that the text "
                "has it as it now stands."
            )
    return notes


def next_reference(round: Round) -> str:
    """The reference the round's next issued letter gets: IASC/2019-10/MIN-1, MIN-2..."""
    issued = MinisterialLetter.objects.filter(
        round=round, status=MinisterialLetter.Status.ISSUED
    ).count()
    return f"{round.reference_prefix}/MIN-{issued + 1}"


def ministerial_letters_of(*, round: Round) -> list[MinisterialLetter]:
    """The round's letters, issued first (newest first), then drafts (latest edited first)."""
    letters = MinisterialLetter.objects.filter(round=round).select_related(
        "issued_by", "updated_by"
    )
    return sorted(
        letters,
        key=lambda letter: (
            not letter.is_issued,
            -(letter.issued_on or date.min).toordinal(),
            -letter.updated_at.timestamp(),
        ),
    )
