"""Theme reviews: the secretariat's summary, the Commissioner's observation and review mark.

A review row is created the first time anyone writes to it. Who may write what is the views'
business (by role); these functions record who did it and when, and keep the history.

Changing the observation after the review keeps the review: the Commissioner wrote both, and the
page shows that the observation changed after the review. Changing the summary after the review
clears it: the Commissioner reviewed words that are no longer there, so the theme is listed as
unreviewed again until they look at it. Both changes stay in the review's history.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from letters.models import Round, Theme, ThemeReview


def _review_for_update(round: Round, theme: Theme, by) -> ThemeReview:
    if not round.themes.filter(pk=theme.pk).exists():
        raise ValidationError(f"“{theme}” is not one of the themes of “{round}”.")
    review, _ = ThemeReview.objects.select_for_update().get_or_create(round=round, theme=theme)
    review._history_user = by
    return review


def _save(review: ThemeReview) -> ThemeReview:
    review.full_clean()
    review.save()
    return review


@transaction.atomic
def theme_summary_save(*, round: Round, theme: Theme, summary: str, by) -> ThemeReview:
    """Record the secretariat's draft summary; a changed summary needs reviewing again."""
    review = _review_for_update(round, theme, by)
    summary = summary.strip()
    if summary == review.summary:
        return review
    review.summary, review.summary_by, review.summary_at = summary, by, timezone.now()
    review.reviewed_by, review.reviewed_at = None, None
    return _save(review)


@transaction.atomic
def theme_observation_save(*, round: Round, theme: Theme, observation: str, by) -> ThemeReview:
    """Record the Commissioner's observation; an existing review mark stays."""
    review = _review_for_update(round, theme, by)
    observation = observation.strip()
    if observation == review.observation:
        return review
    review.observation, review.observation_by = observation, by
    review.observation_at = timezone.now()
    return _save(review)


@transaction.atomic
def theme_review_mark(*, round: Round, theme: Theme, by) -> ThemeReview:
    """Mark the theme reviewed by `by`, now; marking it again keeps the first mark."""
    review = _review_for_update(round, theme, by)
    if review.is_reviewed:
        return review
    review.reviewed_by, review.reviewed_at = by, timezone.now()
    return _save(review)
