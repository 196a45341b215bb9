from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from forces.models import Force, HeadOfForce, ProsecutionFigures


@transaction.atomic
def force_update_contact(*, force: Force, email: str, address: str) -> Force:
    force = Force.objects.select_for_update().get(pk=force.pk)
    force.email = email
    force.address = address
    force.full_clean()
    force.save(update_fields=["email", "address"])
    return force


@transaction.atomic
def head_of_force_appoint(*, force: Force, name: str, since: date | None = None) -> HeadOfForce:
    """Record a new head of force. Letters already sent keep the name they were addressed to."""
    since = since or timezone.localdate()
    current = (
        HeadOfForce.objects.select_for_update().filter(force=force, until__isnull=True).first()
    )
    title = current.title if current else HeadOfForce.Title.CHIEF_CONSTABLE
    if current:
        if current.name == name:
            return current
        current.until = since
        current.save(update_fields=["until"])
    head = HeadOfForce(force=force, title=title, name=name, since=since)
    head.full_clean()
    head.save()
    return head


# django-simple-history keeps a change's reason in a 100-character column.
CHANGE_REASON_MAX_LENGTH = 100

# The values a row of prosecution figures is made of, as its forms and services take them.
FIGURES_FIELDS = (
    "force",
    "year",
    "period_start",
    "period_end",
    "recorded_crimes",
    "suspects_charged",
    "defendants_prosecuted",
    "defendants_convicted",
    "part_year",
    "note",
    "source",
)


def _check_figures(figures: ProsecutionFigures) -> None:
    """The rules the database cannot keep, as messages a person can act on."""
    errors = {}
    if figures.period_start and figures.period_end:
        if figures.period_end < figures.period_start:
            errors["period_end"] = "The end of the period must be on or after its start"
        elif not figures.period_start.year <= figures.year <= figures.period_end.year:
            errors["period_start"] = f"The period must include part of {figures.year}"
    if figures.part_year and not figures.note.strip():
        errors["note"] = "Say which counts cover only part of the year, and which months"
    if not figures.source.strip():
        errors["source"] = "Enter where the figures come from"
    duplicate = ProsecutionFigures.objects.filter(force=figures.force, year=figures.year).exclude(
        pk=figures.pk
    )
    if duplicate.exists():
        whose = figures.force.name if figures.force else "national"
        errors["year"] = f"There are already {whose} figures for {figures.year}: correct those"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def prosecution_figures_create(
    *,
    force: Force | None,
    year: int,
    period_start: date,
    period_end: date,
    recorded_crimes: int,
    suspects_charged: int,
    defendants_prosecuted: int,
    defendants_convicted: int,
    source: str,
    by,
    part_year: bool = False,
    note: str = "",
) -> ProsecutionFigures:
    """Record a year's figures, nationally (no force) or for one force, with their source."""
    figures = ProsecutionFigures(
        force=force,
        year=year,
        period_start=period_start,
        period_end=period_end,
        recorded_crimes=recorded_crimes,
        suspects_charged=suspects_charged,
        defendants_prosecuted=defendants_prosecuted,
        defendants_convicted=defendants_convicted,
        part_year=part_year,
        note=note.strip(),
        source=source.strip(),
        updated_by=by,
    )
    _check_figures(figures)
    figures.full_clean()
    figures._history_user = by
    figures.save()
    return figures


@transaction.atomic
def prosecution_figures_correct(
    *, figures: ProsecutionFigures, reason: str, by, **values
) -> ProsecutionFigures:
    """Correct a row; the version before stays in its history, with who, when and why."""
    unknown = set(values) - set(FIGURES_FIELDS)
    if unknown:
        raise TypeError(f"Not a field of prosecution figures: {', '.join(sorted(unknown))}")
    figures = ProsecutionFigures.objects.select_for_update().get(pk=figures.pk)
    for name in ("note", "source"):
        if name in values:
            values[name] = values[name].strip()
    if all(getattr(figures, name) == value for name, value in values.items()):
        raise ValidationError("Nothing has changed: change a figure, or go back")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say what was corrected and why"})
    if len(reason) > CHANGE_REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": f"Say what was corrected in {CHANGE_REASON_MAX_LENGTH} characters or fewer"}
        )
    for name, value in values.items():
        setattr(figures, name, value)
    figures.updated_by = by
    _check_figures(figures)
    figures.full_clean()
    figures._history_user = by
    figures._change_reason = reason
    figures.save()
    return figures
