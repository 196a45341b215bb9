from letters.models import Round


def round_by_id_or_slug(value: str) -> Round:
    """The round a command-line argument names, by id or slug (Round.DoesNotExist if none)."""
    if value.isdigit():
        return Round.objects.get(pk=int(value))
    return Round.objects.get(slug=value)
