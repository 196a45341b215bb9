"""Changes to one letter after it was issued: extensions and pausing chase-ups."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from letters.models import Extension, Letter


@transaction.atomic
def letter_extend(
    *, letter: Letter, new_due_on: date, reason: str, agreed_with: str, granted_by
) -> Extension:
    """Move a letter's due date later, recording why and who agreed."""
    letter = Letter.objects.select_for_update().get(pk=letter.pk)
    if new_due_on <= letter.due_on:
        raise ValidationError(
            {
                "new_due_on": f"The new due date must be after the current one "
                f"({letter.due_on:%-d %B %Y})."
            }
        )
    extension = Extension(
        letter=letter,
        previous_due_on=letter.due_on,
        new_due_on=new_due_on,
        reason=reason,
        agreed_with=agreed_with,
        granted_by=granted_by,
    )
    extension.full_clean()
    extension.save()
    letter.due_on = new_due_on
    letter.save(update_fields=["due_on"])
    return extension


@transaction.atomic
def letter_pause_chase_ups(*, letter: Letter, reason: str) -> Letter:
    letter = Letter.objects.select_for_update().get(pk=letter.pk)
    if not reason.strip():
        raise ValidationError({"reason": "Say why chase-ups are paused for this letter."})
    letter.chase_paused = True
    letter.chase_pause_reason = reason.strip()
    letter.save(update_fields=["chase_paused", "chase_pause_reason"])
    return letter


@transaction.atomic
def letter_resume_chase_ups(*, letter: Letter) -> Letter:
    letter = Letter.objects.select_for_update().get(pk=letter.pk)
    letter.chase_paused = False
    letter.chase_pause_reason = ""
    letter.save(update_fields=["chase_paused", "chase_pause_reason"])
    return letter
