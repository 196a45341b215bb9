"""Reads of the outbox, and of how a round's letters went out."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from letters.models import Letter, OutboundEmail, Round

Status = OutboundEmail.Status


def outbox_emails(*, status: str | None = None) -> QuerySet:
    """Outbox rows, newest first, with what the outbox page shows of each."""
    emails = OutboundEmail.objects.select_related("letter").prefetch_related("attachments")
    if status:
        emails = emails.filter(status=status)
    return emails.order_by("-queued_at", "-pk")


def outbox_counts() -> dict[str, int]:
    counts = {status.value: 0 for status in Status}
    rows = OutboundEmail.objects.order_by().values("status").annotate(n=Count("pk"))
    counts.update({row["status"]: row["n"] for row in rows})
    counts["total"] = sum(counts.values())
    return counts


@dataclass(frozen=True)
class RoundDelivery:
    letters: int
    pdfs_made: int
    emails: dict[str, int]  # letter emails (not reminders) by outbox status
    not_emailed: list[Letter]  # letters with no email address

    @property
    def needs_attention(self) -> int:
        return self.emails[Status.FAILED] + self.emails[Status.UNKNOWN]


def round_delivery(*, round: Round) -> RoundDelivery:
    """How the round's letters went out: PDFs made, emails by status, letters not emailed."""
    letters = Letter.objects.filter(round=round)
    totals = letters.aggregate(letters=Count("pk"), pdfs_made=Count("pk", filter=~Q(pdf="")))
    emails = {status.value: 0 for status in Status}
    rows = (
        OutboundEmail.objects.filter(letter__round=round, idempotency_key__startswith="letter:")
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
    )
    emails.update({row["status"]: row["n"] for row in rows})
    not_emailed = list(letters.filter(email="").select_related("force").order_by("force__name"))
    return RoundDelivery(not_emailed=not_emailed, emails=emails, **totals)
