"""Who changed what, and when, on a letter and everything hanging off it."""

from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from letters.models import Coding, Extension, Letter, Reply

_HIDDEN_FIELDS = {
    "id",
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user",
    "history_user_id",
    "body",
    "text",
}


@dataclass(frozen=True)
class HistoryEntry:
    when: datetime
    who: str
    what: str
    action: str
    changes: list[tuple[str, str, str]]


def _entries(records, describe) -> list[HistoryEntry]:
    """Entries for one model's historical records, each compared with the one before it."""
    by_object: dict[int, list] = {}
    for record in records:
        by_object.setdefault(record.id, []).append(record)
    entries = []
    compared = [
        (field.verbose_name, field.attname)
        for field in records.model._meta.fields
        if field.attname not in _HIDDEN_FIELDS and field.name not in _HIDDEN_FIELDS
    ]
    for versions in by_object.values():
        versions.sort(key=lambda record: (record.history_date, record.history_id))
        entries.append(_entry(versions[0], describe, []))
        for older, newer in pairwise(versions):
            changes = [
                (label, str(getattr(older, attname)), str(getattr(newer, attname)))
                for label, attname in compared
                if getattr(older, attname) != getattr(newer, attname)
            ]
            if changes or newer.history_type == "-":
                entries.append(_entry(newer, describe, changes))
    return entries


def _entry(record, describe, changes) -> HistoryEntry:
    action = {"+": "created", "~": "changed", "-": "deleted"}[record.history_type]
    user = record.history_user
    return HistoryEntry(
        when=record.history_date,
        who=user.get_full_name() or user.get_username() if user else "the system",
        what=describe(record),
        action=action,
        changes=changes,
    )


def letter_history(letter: Letter) -> list[HistoryEntry]:
    """Every recorded change to the letter, its replies, extensions and codings, newest first."""
    reply_ids = list(Reply.history.filter(letter_id=letter.pk).values_list("id", flat=True))
    related = "history_user"
    entries = (
        _entries(
            Letter.history.filter(id=letter.pk).select_related(related),
            lambda record: f"Letter {record.reference}",
        )
        + _entries(
            Reply.history.filter(letter_id=letter.pk).select_related(related),
            lambda record: f"{record.get_kind_display()} received {record.received_on:%-d %b %Y}",
        )
        + _entries(
            Extension.history.filter(letter_id=letter.pk).select_related(related),
            lambda record: f"Extension to {record.new_due_on:%-d %b %Y}",
        )
        + _entries(
            Coding.history.filter(reply_id__in=reply_ids).select_related(related, "theme"),
            lambda record: f"Coding of {record.theme}",
        )
    )
    return sorted(entries, key=lambda entry: entry.when, reverse=True)
