"""Reads for inbound mail: which letter a message answers, and the inbox."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from forces.models import ForceDomain
from letters.models import InboundMessage, Letter, Round

Method = InboundMessage.MatchMethod
Confidence = InboundMessage.Confidence

# Dashes that word processors and mail programs put where a hyphen was typed.
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d", "-"))
# "iasc / 2019-10 / avs": spaces around a separator are dropped; a backslash is a slip for "/".
_AROUND_SEPARATOR = re.compile(r"\s*([/\\-])\s*")
_SEGMENT = r"[A-Z0-9]+(?:[._][A-Z0-9]+)*"
_TOKEN = re.compile(rf"(?<![A-Z0-9._]){_SEGMENT}(?:[/-]{_SEGMENT})+")
# A reference is a few segments (IASC/2019-10/AVS is four); longer runs are searched inside.
_MAX_SEGMENTS = 8


@dataclass(frozen=True)
class LetterMatch:
    letter: Letter | None
    method: str
    confidence: str
    note: str = ""


NO_MATCH = LetterMatch(None, Method.NONE, Confidence.NONE)


def normalise_references(text: str) -> str:
    return _AROUND_SEPARATOR.sub(r"\1", text.translate(_DASHES).upper()).replace("\\", "/")


def _candidates(text: str) -> dict[str, int]:
    """Every run of segments that could be a reference, with where it first appears."""
    found: dict[str, int] = {}
    for token in _TOKEN.finditer(normalise_references(text)):
        parts = re.split(r"([/-])", token.group())  # segment, separator, segment, ...
        segments = (len(parts) + 1) // 2
        for first in range(segments):
            for last in range(first + 1, min(segments, first + _MAX_SEGMENTS)):
                found.setdefault("".join(parts[2 * first : 2 * last + 1]), token.start())
    return found


def reference_index() -> dict[str, int]:
    """Every letter's reference, as `normalise_references` writes it, to the letter's id."""
    return {
        normalise_references(reference): pk
        for pk, reference in Letter.objects.values_list("pk", "reference")
    }


def letters_referenced(text: str, index: dict[str, int]) -> list[int]:
    """The ids of the letters whose reference `text` quotes, in the order they first appear."""
    candidates = _candidates(text)
    found = sorted((position, index[c]) for c, position in candidates.items() if c in index)
    return list(dict.fromkeys(pk for _, pk in found))


def open_letters_to(force_id: int) -> QuerySet:
    """Letters to a force still waiting for a full reply, newest first."""
    return (
        Letter.objects.filter(
            force_id=force_id,
            status__in=(Letter.Status.ISSUED, Letter.Status.ACKNOWLEDGED, Letter.Status.HOLDING),
        )
        .exclude(round__status=Round.Status.CLOSED)
        .select_related("force")
        .order_by("-issued_on", "-pk")
    )


def force_domain_of(address: str) -> ForceDomain | None:
    """The force domain an address belongs to, subdomains included (mail.kent.police.uk)."""
    domain = address.rpartition("@")[2].strip().strip(".").lower()
    if not domain:
        return None
    labels = domain.split(".")
    parents = [".".join(labels[start:]) for start in range(len(labels) - 1)]
    known = ForceDomain.objects.select_related("force").filter(domain__in=parents)
    return max(known, key=lambda found: len(found.domain), default=None)


def letter_match(
    *, subject: str, body: str, attachment_texts: Sequence[tuple[str, str]], from_address: str
) -> LetterMatch:
    """Which letter a message answers, how that was found and how sure it is.

    A reference quoted in the subject, else in the body, else in an attachment is sure
    when it is the only one there; else the sender's domain names the force, and its open
    letters are the candidates. `attachment_texts` are (file name, text) pairs.
    """
    places = [("the subject", subject), ("the body", body)]
    places += [(f"the attachment ‘{name}’", text) for name, text in attachment_texts]
    index = reference_index()
    for where, text in places:
        found = letters_referenced(text, index)
        if not found:
            continue
        letters = Letter.objects.select_related("force").in_bulk(found)
        first = letters[found[0]]
        if len(found) == 1:
            note = f"{first} is quoted in {where}"
            return LetterMatch(first, Method.REFERENCE, Confidence.SURE, note)
        quoted = ", ".join(letters[pk].reference for pk in found)
        return LetterMatch(
            first,
            Method.REFERENCE,
            Confidence.POSSIBLE,
            f"{where.capitalize()} quotes {len(found)} references ({quoted}): "
            "check which one this answers",
        )

    domain = force_domain_of(from_address)
    if domain is None:
        return NO_MATCH
    force = domain.force
    letters = list(open_letters_to(force.pk)[:2])
    if not letters:
        return LetterMatch(
            None,
            Method.NONE,
            Confidence.NONE,
            f"{force} writes from {domain.domain}, but has no letter awaiting a reply",
        )
    if len(letters) == 1:
        return LetterMatch(
            letters[0],
            Method.SENDER_DOMAIN,
            Confidence.LIKELY,
            f"{force} writes from {domain.domain}; this is its only letter awaiting a reply",
        )
    return LetterMatch(
        letters[0],
        Method.SENDER_DOMAIN,
        Confidence.POSSIBLE,
        f"{force} writes from {domain.domain} and has several letters awaiting a reply; "
        "this is the latest",
    )


def inbox_messages(*, status: str) -> QuerySet:
    """Messages in one status, newest first, with what the inbox table shows of each."""
    return (
        InboundMessage.objects.filter(status=status)
        .select_related("letter__force")
        .annotate(
            refused_attachments=Count("attachments", filter=~Q(attachments__problem="")),
            attachment_count=Count("attachments"),
        )
        .order_by("-imported_at", "-pk")
    )


def inbox_counts() -> dict[str, int]:
    rows = InboundMessage.objects.order_by().values("status").annotate(n=Count("pk"))
    counts = {status.value: 0 for status in InboundMessage.Status}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def letters_to_choose_from() -> QuerySet:
    """The letters a person may log an email against: every letter not closed."""
    return (
        Letter.objects.select_related("force", "round")
        .exclude(status=Letter.Status.CLOSED)
        .order_by("-round__issued_on", "force__name")
    )


def match_label(message: InboundMessage) -> str:
    """What `import_mail` prints for a message: the letter's reference, or "unmatched"."""
    if message.letter is None:
        label = "unmatched"
    elif message.match_confidence == Confidence.SURE:
        label = message.letter.reference
    else:
        label = (
            f"{message.letter.reference} ({message.get_match_method_display().lower()}, "
            f"{message.get_match_confidence_display().lower()})"
        )
    if message.kind != InboundMessage.Kind.REPLY:
        label += f" [{message.get_kind_display().lower()}]"
    return label
