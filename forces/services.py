from datetime import date

from django.db import transaction
from django.utils import timezone

from forces.models import Force, HeadOfForce


@transaction.atomic
def force_update_contact(*, force: Force, email: str, address: str) -> Force:
    force = Force.objects.select_for_update().get(pk=force.pk)
    force.email = email
    force.address = address
    force.full_clean()
    force.save(update_fields=["email", "address"])
    return force


@transaction.atomic
def head_of_force_appoint(*, force: Force, name: str, since: date | None = None) -> HeadOfForce:
    """Record a new head of force. Letters already sent keep the name they were addressed to."""
    since = since or timezone.localdate()
    current = (
        HeadOfForce.objects.select_for_update().filter(force=force, until__isnull=True).first()
    )
    title = current.title if current else HeadOfForce.Title.CHIEF_CONSTABLE
    if current:
        if current.name == name:
            return current
        current.until = since
        current.save(update_fields=["until"])
    head = HeadOfForce(force=force, title=title, name=name, since=since)
    head.full_clean()
    head.save()
    return head
