"""Writing rounds: create, edit, issue one letter per force."""

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history

from forces.models import Force, HeadOfForce
from letters import tasks
from letters.models import MERGE_FIELD_PATTERN, Letter, Round, Theme
from letters.queue import enqueue
from letters.working_days import add_working_days


class RoundNotDraft(Exception):
    """Only a draft round can be edited or issued."""


def _unique_slug(title: str, reference_prefix: str) -> str:
    base = slugify(f"{reference_prefix.replace('/', ' ')} {title}") or "round"
    if len(base) > 50:
        base = base[:50].rsplit("-", 1)[0]
    slug, n = base, 2
    while Round.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def round_create(
    *,
    title: str,
    reference_prefix: str,
    body: str,
    themes: Iterable[Theme],
    created_by,
    reply_working_days: int = 20,
    first_reminder_days: int = 0,
    second_reminder_days: int = 10,
    escalation_days: int = 10,
    reminder_reply_days: int = 10,
) -> Round:
    round_ = Round(
        title=title,
        slug=_unique_slug(title, reference_prefix),
        reference_prefix=reference_prefix,
        body=body,
        reply_working_days=reply_working_days,
        first_reminder_days=first_reminder_days,
        second_reminder_days=second_reminder_days,
        escalation_days=escalation_days,
        reminder_reply_days=reminder_reply_days,
        created_by=created_by,
    )
    round_.full_clean()
    round_.save()
    round_.themes.set(themes)
    return round_


@transaction.atomic
def round_update(*, round: Round, themes: Iterable[Theme] | None = None, **fields) -> Round:
    round_ = Round.objects.select_for_update().get(pk=round.pk)
    if not round_.is_draft:
        raise RoundNotDraft(f"“{round_}” has been issued; its letters can no longer change.")
    for name, value in fields.items():
        setattr(round_, name, value)
    round_.full_clean()
    round_.save()
    if themes is not None:
        round_.themes.set(themes)
    return round_


def merge_fields(
    *, force: Force, head: HeadOfForce, reference: str, issued_on: date, due_on: date
) -> dict[str, str]:
    return {
        "salutation": head.salutation,
        "head_title": head.title,
        "head_name": head.name or head.title,
        "force_name": force.name,
        "reference": reference,
        "issue_date": format_date(issued_on, "j F Y"),
        "due_date": format_date(due_on, "j F Y"),
    }


def merge_body(body: str, fields: dict[str, str]) -> str:
    """The body with every {{ field }} replaced; unknown fields were refused when it was saved."""
    return MERGE_FIELD_PATTERN.sub(lambda match: fields.get(match.group(1), match.group(0)), body)


def letter_reference(round_: Round, force: Force) -> str:
    return f"{round_.reference_prefix}/{force.short_code}"


def _current_heads(forces: Iterable[Force]) -> dict[int, HeadOfForce]:
    heads = HeadOfForce.objects.filter(force__in=forces, until__isnull=True)
    return {head.force_id: head for head in heads}


def _build_letter(round_: Round, force: Force, head: HeadOfForce, issued_on: date) -> Letter:
    due_on = add_working_days(issued_on, round_.reply_working_days)
    reference = letter_reference(round_, force)
    fields = merge_fields(
        force=force, head=head, reference=reference, issued_on=issued_on, due_on=due_on
    )
    return Letter(
        round=round_,
        force=force,
        reference=reference,
        addressee_title=head.title,
        addressee_name=head.name,
        salutation=head.salutation,
        address="\n".join(force.address_lines),
        email=force.email,
        body=merge_body(round_.body, fields),
        issued_on=issued_on,
        original_due_on=due_on,
        due_on=due_on,
    )


def letter_preview(*, round: Round, force: Force, on: date | None = None) -> Letter:
    """The letter `force` would receive if the round were issued `on` (not saved)."""
    head = _current_heads([force])[force.pk]
    return _build_letter(round, force, head, on or timezone.localdate())


@transaction.atomic
def round_issue(
    *, round: Round, issued_by, forces: Iterable[Force] | None = None, issued_on: date | None = None
) -> list[Letter]:
    """Create one letter per force (all 43 by default) in one transaction.

    The PDFs and emails are made after the commit, in the background, one task per letter.
    """
    round_ = Round.objects.select_for_update().get(pk=round.pk)
    if not round_.is_draft:
        raise RoundNotDraft(f"“{round_}” was issued on {round_.issued_on:%d %B %Y}.")
    forces = list(forces if forces is not None else Force.objects.all())
    if not forces:
        raise ValueError("Choose at least one force.")
    issued_on = issued_on or timezone.localdate()
    heads = _current_heads(forces)
    letters = bulk_create_with_history(
        [_build_letter(round_, force, heads[force.pk], issued_on) for force in forces],
        Letter,
        default_user=issued_by,
    )
    round_.status = Round.Status.ISSUED
    round_.issued_on = issued_on
    round_.issued_by = issued_by
    round_.save(update_fields=["status", "issued_on", "issued_by"])
    for letter_id in Letter.objects.filter(round=round_).values_list("pk", flat=True):
        enqueue(tasks.deliver_letter, letter_id)
    return letters
