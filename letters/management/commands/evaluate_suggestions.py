"""Measure the suggested coding against a folder of replies labelled by hand.

The folder holds one `<force-code>.txt` per reply and a `labels.csv` with the columns
`force`, `holding` (yes/no) and one per theme code (addressed/partly/not). The suggester
runs with the database's active themes and the excerpts people have coded there; labels
are read only to score. A theme counts as proposed when its judgement is addressed or
partly. The last line printed is `precision=P recall=R holding_accuracy=H`.
"""

import csv
from dataclasses import dataclass, field
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from letters.selectors.suggestions import active_theme_specs, learned_examples, reply_texts
from letters.suggestions import (
    ADDRESSED,
    NOT_ADDRESSED,
    PARTLY,
    LearnedExample,
    keyword_baseline,
    suggest_coding,
)

JUDGEMENTS = (ADDRESSED, PARTLY, NOT_ADDRESSED)


@dataclass
class Tally:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    def add(self, *, labelled: bool, proposed: bool) -> None:
        self.true_positives += labelled and proposed
        self.false_positives += proposed and not labelled
        self.false_negatives += labelled and not proposed

    @property
    def precision(self) -> float:
        proposed = self.true_positives + self.false_positives
        return self.true_positives / proposed if proposed else 0.0

    @property
    def recall(self) -> float:
        labelled = self.true_positives + self.false_negatives
        return self.true_positives / labelled if labelled else 0.0


@dataclass
class Scores:
    suggester: dict[str, Tally] = field(default_factory=dict)
    baseline: dict[str, Tally] = field(default_factory=dict)
    holding_right: int = 0
    judgement_right: int = 0
    letters: int = 0

    def overall(self, tallies: dict[str, Tally]) -> Tally:
        total = Tally()
        for tally in tallies.values():
            total.true_positives += tally.true_positives
            total.false_positives += tally.false_positives
            total.false_negatives += tally.false_negatives
        return total


def _normalised(text: str) -> str:
    return " ".join(text.split()).casefold()


def _read_labels(folder: Path) -> tuple[list[dict[str, str]], list[str]]:
    path = folder / "labels.csv"
    if not path.is_file():
        raise CommandError(f"{path} not found.")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        if "force" not in columns or "holding" not in columns:
            raise CommandError(f"{path} needs the columns force and holding.")
        rows = list(reader)
    theme_columns = [column for column in columns if column not in ("force", "holding")]
    for number, row in enumerate(rows, start=2):
        if row["holding"] not in ("yes", "no"):
            raise CommandError(f"{path}, line {number}: holding must be yes or no.")
        for column in theme_columns:
            if row[column] not in JUDGEMENTS:
                raise CommandError(
                    f"{path}, line {number}: {column} must be one of {', '.join(JUDGEMENTS)}."
                )
        if not (folder / f"{row['force']}.txt").is_file():
            raise CommandError(f"{folder / (row['force'] + '.txt')} not found.")
    return rows, theme_columns


class Command(BaseCommand):
    help = (
        "Precision and recall of the suggested themes, and accuracy of holding-reply "
        "detection, against a folder of labelled replies (<force>.txt and labels.csv)."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="folder with labels.csv and one <force>.txt each")
        parser.add_argument(
            "--details", action="store_true", help="also print each theme's reasons and excerpts"
        )

    def handle(self, *args, directory, details, **options):
        folder = Path(directory)
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder.")
        rows, label_columns = _read_labels(folder)
        themes = active_theme_specs()
        scored = [theme.code for theme in themes if theme.code in label_columns]
        if not scored:
            raise CommandError("No active theme of the codebook has a column in labels.csv.")
        examples = learned_examples()
        sources = reply_texts(reply_ids={e.source_reply_id for e in examples if e.source_reply_id})

        self.stdout.write(
            f"Suggested coding against {folder}: {len(rows)} letters, themes "
            f"{', '.join(scored)}, {len(examples)} coded excerpts to learn from.\n"
        )
        scores = Scores(
            suggester={code: Tally() for code in scored},
            baseline={code: Tally() for code in scored},
        )
        widths = [max(16, *(len(row["force"]) for row in rows)), 12] + [
            max(18, len(code) + 2) for code in scored
        ]
        header = ["letter", "holding", *scored]
        self.stdout.write("Per letter: the suggestion, and the label in brackets where they differ")
        self.stdout.write(self._row(header, widths))
        set_aside = 0
        for row in rows:
            text = (folder / f"{row['force']}.txt").read_text(encoding="utf-8")
            usable = self._not_from(text, examples, sources)
            set_aside += len(examples) - len(usable)
            result = suggest_coding(text=text, themes=themes, examples=usable)
            baseline = keyword_baseline(text=text, themes=themes)
            scores.letters += 1

            labelled_holding = row["holding"] == "yes"
            scores.holding_right += result.holding.is_holding == labelled_holding
            cells = [row["force"], self._cell(result.holding.is_holding, labelled_holding)]
            for code in scored:
                suggestion = result.for_theme(code)
                labelled = row[code] in (ADDRESSED, PARTLY)
                scores.suggester[code].add(labelled=labelled, proposed=suggestion.proposed)
                scores.baseline[code].add(labelled=labelled, proposed=code in baseline)
                scores.judgement_right += suggestion.judgement == row[code]
                cell = suggestion.judgement
                if suggestion.proposed != labelled:
                    cell += f" ({row[code]})"
                cells.append(cell)
            self.stdout.write(self._row(cells, widths))
            if details:
                self._write_details(result, scored)

        self._write_summary(scores, scored, set_aside)

    @staticmethod
    def _not_from(
        text: str, examples: list[LearnedExample], sources: dict[int, str]
    ) -> list[LearnedExample]:
        """Leave out excerpts coded on this same letter: learning from it would be cheating."""
        letter = _normalised(text)
        return [
            example
            for example in examples
            if _normalised(sources.get(example.source_reply_id, "")) != letter
            and _normalised(example.text) not in letter
        ]

    @staticmethod
    def _row(cells: list[str], widths: list[int]) -> str:
        line = "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        return line.rstrip()

    @staticmethod
    def _cell(suggested: bool, labelled: bool) -> str:
        cell = "yes" if suggested else "no"
        return cell if suggested == labelled else f"{cell} ({'yes' if labelled else 'no'})"

    def _write_details(self, result, scored: list[str]) -> None:
        self.stdout.write(f"    holding: {'; '.join(result.holding.reasons)}")
        for code in scored:
            suggestion = result.for_theme(code)
            self.stdout.write(
                f"    {code}: {suggestion.judgement} ({suggestion.score:.2f}) "
                f"{'; '.join(suggestion.reasons)}"
            )
            for excerpt in suggestion.excerpts:
                self.stdout.write(f"      > {' '.join(excerpt.split())}")

    def _write_summary(self, scores: Scores, scored: list[str], set_aside: int) -> None:
        widths = [18, 9, 9, 6, 10, 7, 20, 7]
        self.stdout.write("\nPer theme (a theme is proposed when addressed or partly)")
        self.stdout.write(
            self._row(
                ["theme", "labelled", "proposed", "right", "precision", "recall",
                 "keywords: precision", "recall"],
                widths,
            )
        )  # fmt: skip
        lines = [(code, scores.suggester[code], scores.baseline[code]) for code in scored]
        lines.append(
            ("all themes", scores.overall(scores.suggester), scores.overall(scores.baseline))
        )
        for name, tally, baseline in lines:
            self.stdout.write(
                self._row(
                    [
                        name,
                        str(tally.true_positives + tally.false_negatives),
                        str(tally.true_positives + tally.false_positives),
                        str(tally.true_positives),
                        f"{tally.precision:.3f}",
                        f"{tally.recall:.3f}",
                        f"{baseline.precision:.3f}",
                        f"{baseline.recall:.3f}",
                    ],
                    widths,
                )
            )
        overall = scores.overall(scores.suggester)
        baseline = scores.overall(scores.baseline)
        holding_accuracy = scores.holding_right / scores.letters
        judged = scores.letters * len(scored)
        self.stdout.write("")
        self.stdout.write(
            f"Exact judgement (addressed/partly/not) as labelled: "
            f"{scores.judgement_right} of {judged}"
        )
        self.stdout.write(f"Holding replies told apart: {scores.holding_right} of {scores.letters}")
        self.stdout.write(
            f"Coded excerpts set aside as quoted from the letter being scored: {set_aside}"
        )
        self.stdout.write(
            f"Keyword baseline (a theme proposed when any of its keywords appears): "
            f"precision={baseline.precision:.3f} recall={baseline.recall:.3f}"
        )
        self.stdout.write(
            f"precision={overall.precision:.3f} recall={overall.recall:.3f} "
            f"holding_accuracy={holding_accuracy:.3f}"
        )
