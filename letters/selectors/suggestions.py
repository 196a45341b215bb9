"""Reads the suggester needs: the codebook as theme specs, and what people have coded."""

from collections.abc import Iterable

from letters.models import Excerpt, Reply, Theme
from letters.suggestions import LearnedExample, ThemeSpec


def theme_spec(theme: Theme) -> ThemeSpec:
    return ThemeSpec(
        code=theme.code,
        name=theme.name,
        question=theme.question,
        keywords=tuple(theme.keyword_list),
    )


def active_theme_specs() -> list[ThemeSpec]:
    """The codebook's active themes, in codebook order (one query)."""
    return [theme_spec(theme) for theme in Theme.objects.filter(active=True)]


def learned_examples(*, exclude_reply_id: int | None = None) -> list[LearnedExample]:
    """Every excerpt people have coded, in all rounds, with its theme and judgement (one query).

    `exclude_reply_id` leaves out the excerpts quoted from that reply, so that a reply is
    never suggested from its own coding.
    """
    excerpts = Excerpt.objects.exclude(text="").order_by("id")
    if exclude_reply_id is not None:
        excerpts = excerpts.exclude(coding__reply_id=exclude_reply_id)
    rows = excerpts.values_list(
        "text", "coding__theme__code", "coding__judgement", "coding__reply_id"
    )
    return [
        LearnedExample(theme_code=code, judgement=judgement, text=text, source_reply_id=reply_id)
        for text, code, judgement, reply_id in rows
    ]


def reply_texts(*, reply_ids: Iterable[int]) -> dict[int, str]:
    """The extracted text of the given replies, by id (one query)."""
    return dict(Reply.objects.filter(id__in=set(reply_ids)).values_list("id", "text"))
