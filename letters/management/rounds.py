from django.core.management.base import CommandError

from letters.models import Round
from letters.selectors.rounds import round_by_id_or_slug


def round_argument(value: str) -> Round:
    """The round a command's argument names (its id or slug), or a clear error."""
    try:
        return round_by_id_or_slug(value)
    except Round.DoesNotExist as missing:
        raise CommandError(f"No round with id or slug “{value}”.") from missing
