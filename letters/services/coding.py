"""Coding replies against themes, with verbatim excerpts."""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from letters.models import Coding, CodingSuggestion, Excerpt, Judgement, Reply, Theme

_QUOTE_MARKS = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def _normalised(text: str) -> str:
    # Line breaks, spacing and typographic quote marks vary between a document and a paste.
    return re.sub(r"\s+", " ", text.translate(_QUOTE_MARKS)).strip()


def quote_is_in(excerpt: str, text: str) -> bool:
    return _normalised(excerpt) in _normalised(text)


@transaction.atomic
def coding_save(
    *,
    reply: Reply,
    theme: Theme,
    judgement: str,
    excerpts: list[str],
    coded_by,
    note: str = "",
) -> Coding:
    """Record (or replace) a person's judgement of one reply against one theme."""
    excerpts = [excerpt.strip() for excerpt in excerpts if excerpt.strip()]
    if not reply.letter.round.themes.filter(pk=theme.pk).exists():
        raise ValidationError(f"“{theme}” is not one of this round's themes.")
    if judgement in (Judgement.ADDRESSED, Judgement.PARTLY) and not excerpts:
        raise ValidationError(
            {"excerpts": "Quote at least one passage that shows the theme is addressed."}
        )
    missing = [excerpt for excerpt in excerpts if not quote_is_in(excerpt, reply.text)]
    if missing:
        raise ValidationError(
            {
                "excerpts": [
                    f"This is not in the reply's text, word for word: “{excerpt[:120]}”."
                    for excerpt in missing
                ]
            }
        )
    coding, _ = Coding.objects.update_or_create(
        reply=reply,
        theme=theme,
        defaults={
            "judgement": judgement,
            "note": note,
            "coded_by": coded_by,
            "coded_at": timezone.now(),
        },
    )
    coding.excerpts.all().delete()
    for position, text in enumerate(excerpts):
        Excerpt.objects.create(coding=coding, text=text, position=position)
    _record_decision(reply, theme, judgement, excerpts)
    return coding


def _record_decision(reply: Reply, theme: Theme, judgement: str, excerpts: list[str]) -> None:
    """Note whether the coder took the system's suggestion as it was, edited it, or not."""
    suggestion = CodingSuggestion.objects.filter(reply=reply, theme=theme).first()
    if suggestion is None:
        return
    same_judgement = suggestion.judgement == judgement
    suggested = {_normalised(text) for text in suggestion.excerpts}
    if same_judgement and {_normalised(text) for text in excerpts} <= suggested:
        suggestion.decision = CodingSuggestion.Decision.ACCEPTED
    elif same_judgement or suggested & {_normalised(text) for text in excerpts}:
        suggestion.decision = CodingSuggestion.Decision.EDITED
    else:
        suggestion.decision = CodingSuggestion.Decision.REJECTED
    suggestion.save(update_fields=["decision"])


class CodingErrors(Exception):
    """Some of a reply's codings were refused; nothing was saved. Errors by theme code."""

    def __init__(self, errors: dict[str, ValidationError]):
        super().__init__(f"{len(errors)} theme(s) could not be coded")
        self.errors = errors


@transaction.atomic
def reply_code(*, reply: Reply, codings: dict[Theme, dict], coded_by) -> list[Coding]:
    """Save a reply's codings for several themes at once: all of them, or none."""
    saved, errors = [], {}
    for theme, coding in codings.items():
        try:
            with transaction.atomic():
                saved.append(coding_save(reply=reply, theme=theme, coded_by=coded_by, **coding))
        except ValidationError as error:
            errors[theme.code] = error
    if errors:
        transaction.set_rollback(True)
        raise CodingErrors(errors)
    return saved
