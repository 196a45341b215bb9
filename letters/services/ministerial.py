"""Letters that close a round (to a Minister, or anyone the office saves as an addressee).

A draft starts from the round's data (see `letters.selectors.ministerial.prefilled_draft`) and
is edited freely by the secretariat or the Commissioner. Issuing gives the letter the round's
next reference (IASC/2019-10/MIN-1, MIN-2...), draws its PDF once and keeps it: an issued letter
is never changed or drawn again, whatever happens later to the observations or the figures. Who
may issue is the views' business (the Commissioner); these functions record who did it.
"""

import hashlib

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from letters.models import Addressee, MinisterialLetter, Round, slugify_reference
from letters.pdf import ministerial_letter_pdf
from letters.selectors.ministerial import (
    default_figure_years,
    issue_problems,
    next_reference,
    prefilled_draft,
    round_has_reviewed_observations,
)


class LetterIssued(Exception):
    """An issued letter cannot be changed or issued again, only followed by another."""


def _refuse_if_issued(letter: MinisterialLetter) -> None:
    if letter.is_issued:
        raise LetterIssued(
            f"{letter.reference} was issued on {letter.issued_on:%-d %B %Y} and cannot change. "
            "Draft another letter to follow it."
        )


def _copy_addressee(letter: MinisterialLetter, addressee: Addressee) -> None:
    letter.addressee = addressee
    letter.addressee_name = addressee.name
    letter.addressee_position = addressee.position
    letter.addressee_organisation = addressee.organisation
    letter.addressee_address = addressee.address
    letter.salutation = addressee.salutation


def _plain(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


@transaction.atomic
def addressee_create(
    *,
    name: str,
    salutation: str,
    created_by,
    position: str = "",
    organisation: str = "",
    address: str = "",
) -> Addressee:
    addressee = Addressee(
        name=name.strip(),
        position=position.strip(),
        organisation=organisation.strip(),
        address=_plain(address),
        salutation=salutation.strip(),
        created_by=created_by,
    )
    addressee.full_clean()
    addressee._history_user = created_by
    addressee.save()
    return addressee


def ministerial_letter_prefill(
    *, round: Round, addressee: Addressee, years: list[int] | None = None
) -> MinisterialLetter:
    """The draft as the round's data writes it, not saved (the command renders it as it is)."""
    round = Round.objects.get(pk=round.pk)  # as issued, whatever the caller's copy says
    if round.is_draft:
        raise ValidationError(f"“{round}” has not been issued: there is nothing to report yet.")
    if not round_has_reviewed_observations(round=round):
        raise ValidationError(
            f"No theme of “{round}” has a reviewed observation yet. The Commissioner writes an "
            "observation on a theme and marks it reviewed; the letter is drafted from those."
        )
    years = sorted(set(default_figure_years() if years is None else years))
    draft = prefilled_draft(round=round, years=years)
    letter = MinisterialLetter(
        round=round, subject=draft.subject, body=draft.body, figure_years=years
    )
    _copy_addressee(letter, addressee)
    return letter


@transaction.atomic
def ministerial_letter_create(
    *, round: Round, addressee: Addressee, created_by, years: list[int] | None = None
) -> MinisterialLetter:
    """A new draft to `addressee`, pre-filled from the round (years: the latest two by default)."""
    letter = ministerial_letter_prefill(round=round, addressee=addressee, years=years)
    letter.created_by = letter.updated_by = created_by
    letter.full_clean()
    letter._history_user = created_by
    letter.save()
    return letter


@transaction.atomic
def ministerial_letter_update(
    *,
    letter: MinisterialLetter,
    subject: str,
    body: str,
    figure_years: list[int],
    updated_by,
    addressee: Addressee | None = None,
) -> MinisterialLetter:
    """Save a draft's edits (nothing is written, nor a history row, when nothing changed)."""
    letter = MinisterialLetter.objects.select_for_update().get(pk=letter.pk)
    _refuse_if_issued(letter)
    before = (letter.addressee_id, letter.subject, letter.body, letter.figure_years)
    if addressee is not None and addressee.pk != letter.addressee_id:
        _copy_addressee(letter, addressee)
    letter.subject = subject.strip()
    letter.body = _plain(body)
    letter.figure_years = sorted(set(figure_years))
    if (letter.addressee_id, letter.subject, letter.body, letter.figure_years) == before:
        return letter
    letter.updated_by, letter.updated_at = updated_by, timezone.now()
    letter.full_clean()
    letter._history_user = updated_by
    letter.save()
    return letter


@transaction.atomic
def ministerial_letter_issue(*, letter: MinisterialLetter, issued_by) -> MinisterialLetter:
    """Give the draft its reference and today's date, draw its PDF and keep it as issued."""
    # One issue at a time per round, so its letters are numbered in the order they are issued.
    round_ = Round.objects.select_for_update().get(pk=letter.round_id)
    letter = MinisterialLetter.objects.select_for_update().get(pk=letter.pk)
    _refuse_if_issued(letter)
    problems = issue_problems(letter)
    if problems:
        raise ValidationError(problems)
    letter.round = round_
    letter.status = MinisterialLetter.Status.ISSUED
    letter.reference = next_reference(round_)
    letter.issued_on = timezone.localdate()
    letter.issued_by = letter.updated_by = issued_by
    letter.updated_at = timezone.now()
    pdf = ministerial_letter_pdf(letter)
    letter.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    letter.pdf.save(f"{slugify_reference(letter.reference)}.pdf", ContentFile(pdf), save=False)
    try:
        letter.full_clean()
        letter._history_user = issued_by
        letter.save()
    except Exception:
        letter.pdf.delete(save=False)
        raise
    return letter
