"""Writes of the suggester: propose a coding for a reply and keep it for a person to decide."""

from django.db import transaction

from letters.models import CodingSuggestion, Reply
from letters.selectors.suggestions import learned_examples, theme_spec
from letters.suggestions import suggest_coding


@transaction.atomic
def reply_suggest(*, reply: Reply) -> list[CodingSuggestion]:
    """Propose a judgement, excerpts and reasons for each of the round's active themes.

    Learns from the excerpts people coded on other replies, in every round. Pending
    suggestions are replaced; one a person has already accepted, edited or rejected is left
    as it is. Also records on the reply whether it looks like a holding reply, and why.
    Returns the reply's suggestions, one per theme, in codebook order.
    """
    # The row lock keeps two runs for one reply from proposing the same theme twice.
    locked = Reply.objects.select_for_update().select_related("letter__round").get(pk=reply.pk)
    themes = list(locked.letter.round.themes.filter(active=True).order_by("order", "name"))
    result = suggest_coding(
        text=locked.text,
        themes=[theme_spec(theme) for theme in themes],
        examples=learned_examples(exclude_reply_id=locked.pk),
    )

    standing = {suggestion.theme_id: suggestion for suggestion in locked.suggestions.all()}
    # A pending suggestion for a theme the round no longer codes is stale.
    locked.suggestions.filter(decision=CodingSuggestion.Decision.PENDING).exclude(
        theme__in=themes
    ).delete()
    suggestions = []
    for theme, proposed in zip(themes, result.themes, strict=True):
        suggestion = standing.get(theme.pk) or CodingSuggestion(reply=locked, theme=theme)
        if suggestion.decision == CodingSuggestion.Decision.PENDING:
            suggestion.judgement = proposed.judgement
            suggestion.score = proposed.score
            suggestion.excerpts = list(proposed.excerpts)
            suggestion.reasons = list(proposed.reasons)
            # No excerpt is a fair answer for a theme not addressed; the field only says blank.
            suggestion.full_clean(exclude=["excerpts"])
            suggestion.save()
        suggestions.append(suggestion)

    has_text = bool(locked.text.strip())
    reply.holding_suggested = result.holding.is_holding if has_text else None
    reply.holding_reasons = list(result.holding.reasons) if has_text else []
    # A machine's guess, not a person's change to the reply: no history row for it.
    Reply.objects.filter(pk=locked.pk).update(
        holding_suggested=reply.holding_suggested, holding_reasons=reply.holding_reasons
    )
    return suggestions
