from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Max, Min, Prefetch, QuerySet

from forces.models import Force, HeadOfForce, ProsecutionFigures


def forces_with_heads() -> QuerySet:
    current_heads = HeadOfForce.objects.filter(until__isnull=True)
    return Force.objects.prefetch_related(
        Prefetch("heads", queryset=current_heads, to_attr="current_heads"), "domains"
    ).order_by("region", "name")


def current_head(force: Force) -> HeadOfForce | None:
    return force.heads.filter(until__isnull=True).first()


def national_figures() -> QuerySet:
    return ProsecutionFigures.objects.filter(force__isnull=True).order_by("year")


# The four counts, in the order of the seed letter's table.
MEASURES = (
    ("recorded_crimes", "Recorded crimes"),
    ("suspects_charged", "Suspects charged"),
    ("defendants_prosecuted", "Defendants prosecuted"),
    ("defendants_convicted", "Defendants convicted"),
)


@dataclass(frozen=True)
class Change:
    """A count's change on the year before: the difference, and as a percentage of that year."""

    amount: int
    percent: Decimal | None  # None when the year before was zero

    @property
    def text(self) -> str:
        """E.g. "+54 (+31.4%)", with a true minus sign for falls."""
        if not self.amount:
            return "No change"
        text = f"{self.amount:+,}" + (f" ({self.percent:+}%)" if self.percent is not None else "")
        return text.replace("-", "\u2212")


@dataclass(frozen=True)
class Measure:
    name: str
    label: str
    count: int
    rate: Decimal | None  # per 100 recorded crimes; None for recorded crimes, or part-year rows
    change: Change | None  # None when the two years cannot be compared


@dataclass(frozen=True)
class FiguresYear:
    """One year's figures with their rates and their change on the year before.

    Part-year rows mix periods (the seed's 2019 recorded crimes cover nine months, its charges
    twelve), so they get no rates, and no year is compared with a part year or a short period.
    """

    figures: ProsecutionFigures
    measures: list[Measure]
    compared_with: int | None  # the year the changes are on
    not_compared: str  # why there are no changes, when there are none
    footnote: int | None  # the number of this row's part-year footnote


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _is_whole_year(figures: ProsecutionFigures) -> bool:
    days = (figures.period_end - figures.period_start).days + 1
    return not figures.part_year and days >= 365


def _why_not_compared(figures: ProsecutionFigures, previous: ProsecutionFigures | None) -> str:
    if figures.part_year:
        return "Not compared: part-year figures"
    if not _is_whole_year(figures):
        return "Not compared: covers less than a year"
    if previous is None:
        return f"No figures for {figures.year - 1}"
    if previous.part_year:
        return f"Not compared: {previous.year} figures are part-year"
    return f"Not compared: {previous.year} figures cover less than a year"


@dataclass(frozen=True)
class FiguresTable:
    years: list[FiguresYear]  # oldest first

    def __bool__(self) -> bool:
        return bool(self.years)

    @property
    def part_years(self) -> list[FiguresYear]:
        """The rows that carry a footnote, in footnote order."""
        return [row for row in self.years if row.footnote]

    @property
    def sources(self) -> list[tuple[str, list[int]]]:
        """Each source once, with the years taken from it."""
        years_by_source: dict[str, list[int]] = {}
        for row in self.years:
            years_by_source.setdefault(row.figures.source, []).append(row.figures.year)
        return list(years_by_source.items())


def figures_table(*, force: Force | None = None) -> FiguresTable:
    """National figures (or one force's), by year, with rates and changes where they are fair."""
    rows = list(
        ProsecutionFigures.objects.filter(force=force)
        if force
        else ProsecutionFigures.objects.filter(force__isnull=True)
    )
    rows.sort(key=lambda figures: figures.year)
    by_year = {figures.year: figures for figures in rows}
    table, footnotes = [], 0
    for figures in rows:
        previous = by_year.get(figures.year - 1)
        comparable = _is_whole_year(figures) and previous is not None and _is_whole_year(previous)
        measures = []
        for name, label in MEASURES:
            count = getattr(figures, name)
            rate = None
            if name != "recorded_crimes" and not figures.part_year:
                rate = _percent(count, figures.recorded_crimes)
            change = None
            if comparable:
                before = getattr(previous, name)
                change = Change(amount=count - before, percent=_percent(count - before, before))
            measures.append(Measure(name, label, count, rate, change))
        if figures.part_year:
            footnotes += 1
        table.append(
            FiguresYear(
                figures=figures,
                measures=measures,
                compared_with=previous.year if comparable else None,
                not_compared="" if comparable else _why_not_compared(figures, previous),
                footnote=footnotes if figures.part_year else None,
            )
        )
    return FiguresTable(table)


def forces_with_figures() -> QuerySet:
    """Forces that have figures of their own, with the years they cover."""
    return (
        Force.objects.filter(figures__isnull=False)
        .annotate(first_year=Min("figures__year"), last_year=Max("figures__year"))
        .order_by("name")
    )


def _shown(value) -> str:
    if value is None or value == "":
        return "(blank)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return f"{value.day} {value:%B %Y}"
    return str(value)


def figures_history(figures: ProsecutionFigures) -> list[dict]:
    """Every version of a row, newest first, with what changed from the version before."""
    versions = list(figures.history.select_related("history_user").order_by("-history_date"))
    entries = []
    for newer, older in zip(versions, [*versions[1:], None], strict=True):
        changes = []
        if older is not None:
            changes = [
                (
                    ProsecutionFigures._meta.get_field(change.field).verbose_name,
                    _shown(change.old),
                    _shown(change.new),
                )
                for change in newer.diff_against(
                    older, excluded_fields=["updated_at", "updated_by"], foreign_keys_are_objs=True
                ).changes
            ]
        entries.append({"version": newer, "changes": changes, "created": older is None})
    return entries
