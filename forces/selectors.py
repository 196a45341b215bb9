from django.db.models import Prefetch, QuerySet

from forces.models import Force, HeadOfForce, ProsecutionFigures


def forces_with_heads() -> QuerySet:
    current_heads = HeadOfForce.objects.filter(until__isnull=True)
    return Force.objects.prefetch_related(
        Prefetch("heads", queryset=current_heads, to_attr="current_heads"), "domains"
    ).order_by("region", "name")


def current_head(force: Force) -> HeadOfForce | None:
    return force.heads.filter(until__isnull=True).first()


def national_figures() -> QuerySet:
    return ProsecutionFigures.objects.filter(force__isnull=True).order_by("year")
