"""Read email messages as they arrive, however damaged, and recognise automatic ones.

`parse_message` never raises: what it cannot read it leaves empty and describes in
`problems`, so an importer can show a person what went wrong. The message tree is
parsed with the lenient `compat32` policy; header values are decoded with
`policy.default`'s header classes (encoded words, addresses, RFC 2231) and fall back
to the `compat32` helpers when those give up on a malformed value.
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import errors, policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from mimetypes import guess_extension

import html_text

# Kept from the top-level headers: what tells auto-replies, bounces and threads apart.
RECOGNITION_HEADERS = (
    "Auto-Submitted",
    "X-Autoreply",
    "X-Autorespond",
    "Precedence",
    "Content-Type",
    "In-Reply-To",
    "References",
    "X-Failed-Recipients",
    "Return-Path",
)

# Deeper nesting is only ever hostile; the stdlib parser recurses per level.
MAX_PART_DEPTH = 20

_TEXT_TYPES = ("text/plain", "text/html")
_ALTERNATIVE = "multipart/alternative"
_BROKEN_BASE64 = (errors.InvalidBase64CharactersDefect, errors.InvalidBase64LengthDefect)
_STRUCTURE_PROBLEMS = {
    errors.StartBoundaryNotFoundDefect: "a multipart section has no start boundary; its parts "
    "may be missing",
    errors.CloseBoundaryNotFoundDefect: "a multipart section is not closed; it was read to the end",
    errors.NoBoundaryInMultipartDefect: "a multipart section has no boundary; it was read as one "
    "part",
    errors.MissingHeaderBodySeparatorDefect: "a malformed header line ended the headers early; "
    "the rest was read as the body",
    errors.FirstHeaderLineIsContinuationDefect: "the first header line is malformed",
}
# Serialises nested messages back to bytes without refolding their headers.
_AS_RECEIVED = policy.compat32.clone(max_line_length=0)
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")

_AUTO_FLAG_HEADERS = ("x-autoreply", "x-autorespond")
# The prefixes mail systems put on automatic answers ("Automatic reply: ...").
_AUTO_REPLY_SUBJECT = re.compile(
    r"\s*(automatic reply|auto[- ]?reply|auto[- ]?response|out of (the )?office( autoreply)?)\s*:",
    re.IGNORECASE,
)
_BOUNCE_SENDER = re.compile(
    r"^(mailer-daemon|mail-daemon|postmaster|microsoftexchange[0-9a-f]*)(@|$)", re.IGNORECASE
)
_BOUNCE_SENDER_NAME = re.compile(r"^mail delivery (system|subsystem)$", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"undeliverable|undelivered mail|delivery status notification \(failure\)"
    r"|delivery (has )?failed|mail delivery failed|returned mail|failure notice"
    r"|could not be delivered|non-?delivery",
    re.IGNORECASE,
)
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_SMTP_DIAGNOSTIC = re.compile(r"\b(?:[45]\d\d[ -]|[45]\.\d{1,3}\.\d{1,3}\b)")
_ENHANCED_STATUS = re.compile(r"\b[45]\.\d{1,3}\.\d{1,3}\b")


@dataclass(frozen=True)
class ParsedAttachment:
    """A part of a message other than its text.

    `filename` is decoded but as the sender gave it (it may hold path parts: pass it
    through `letters.documents.safe_name` before showing or storing it). `inline` marks
    parts shown inside the message, such as a logo in a signature.
    """

    filename: str
    declared_type: str
    data: bytes = field(repr=False)
    inline: bool = False


@dataclass
class ParsedMessage:
    """What could be read from one message. Missing text fields are empty strings."""

    message_id: str = ""
    subject: str = ""
    from_address: str = ""
    from_name: str = ""
    to: list[str] = field(default_factory=list)
    date: datetime | None = None
    body_text: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DeliveryFailure:
    """A bounce: which recipients failed, why, and which of our messages it returns."""

    recipients: tuple[str, ...]
    status: str
    reason: str
    original_message_id: str

    @property
    def recipient(self) -> str:
        return self.recipients[0] if self.recipients else ""


def parse_message(raw: bytes) -> ParsedMessage:
    """Read a message in RFC 5322 form. Never raises; see `ParsedMessage.problems`."""
    parsed = ParsedMessage()
    try:
        message = BytesParser(policy=policy.compat32).parsebytes(bytes(raw))
    except Exception:  # the stdlib parser recurses per level: hostile nesting exhausts it
        parsed.problems.append("the message's structure could not be read; only its headers were")
        try:
            message = BytesHeaderParser(policy=policy.compat32).parsebytes(bytes(raw))
        except Exception:
            parsed.problems.append("the message could not be read at all")
            return parsed
    try:
        _read_headers(message, parsed)
        _read_parts(message, parsed)
    except Exception as exc:  # a promise to the importer: show what was read, never fail
        parsed.problems.append(f"the message could not be read fully ({type(exc).__name__})")
    if not parsed.body_text.strip():
        parsed.problems.append("no body")
    return parsed


def is_auto_reply(parsed: ParsedMessage) -> bool:
    """True for messages a machine sent in answer: out-of-office notes, acknowledgements,
    list traffic and bounces (use `delivery_failure` to tell bounces apart)."""
    headers = {name.lower(): value.strip().lower() for name, value in parsed.headers.items()}
    auto_submitted = headers.get("auto-submitted", "")
    if auto_submitted and not auto_submitted.startswith("no"):
        return True  # RFC 3834: anything but "no" is automatic
    if any(headers.get(name, "no") not in ("no", "false", "0") for name in _AUTO_FLAG_HEADERS):
        return True
    # RFC 3834 asks responders to treat these as not written to a person.
    if headers.get("precedence") in ("auto_reply", "bulk", "junk", "list"):
        return True
    if _AUTO_REPLY_SUBJECT.match(parsed.subject):
        return True
    return delivery_failure(parsed) is not None


def delivery_failure(parsed: ParsedMessage) -> DeliveryFailure | None:
    """The failure a bounce reports, or None when `parsed` is not a failed delivery.

    Delivery Status Notifications (RFC 3464) are read field by field; a report that only
    says delivery is delayed is not a failure. Bounces without one are recognised by a
    bounce sender (MAILER-DAEMON, postmaster) together with a bounce subject, or by
    Exim's X-Failed-Recipients, and read as well as their free text allows.
    """
    content_type, report_type = _content_type(parsed.headers.get("Content-Type", ""))
    status_parts = [
        attachment
        for attachment in parsed.attachments
        if attachment.declared_type in ("message/delivery-status", "message/global-delivery-status")
    ]
    is_report = (content_type == "multipart/report" and report_type == "delivery-status") or bool(
        status_parts
    )
    if not is_report and not _looks_like_bounce(parsed):
        return None

    recipients: list[str] = []
    status = reason = ""
    recipient_blocks = 0
    for block in (block for part in status_parts for block in _field_blocks(part.data)):
        recipient = _after_type(block.get("Final-Recipient") or block.get("Original-Recipient"))
        if not recipient:
            continue  # the per-message block: who reported, not who failed
        recipient_blocks += 1
        if (block.get("Action") or "").strip().lower() != "failed":
            continue
        recipients.append(recipient.strip("<>"))
        status = status or (block.get("Status") or "").strip()
        reason = reason or _after_type(block.get("Diagnostic-Code"))
    if recipient_blocks and not recipients:
        return None  # delayed, relayed or delivered: nothing failed yet

    if not recipients:
        recipients = _failed_recipients_from_text(parsed)
    if not reason:
        reason = _diagnostic_from_text(parsed.body_text)
    if not status:
        found = _ENHANCED_STATUS.search(reason)
        status = found.group() if found else ""
    return DeliveryFailure(
        recipients=tuple(recipients),
        status=status,
        reason=reason,
        original_message_id=_original_message_id(parsed),
    )


def _looks_like_bounce(parsed: ParsedMessage) -> bool:
    if "X-Failed-Recipients" in parsed.headers:
        return True
    from_bouncer = bool(
        _BOUNCE_SENDER.match(parsed.from_address)
        or _BOUNCE_SENDER_NAME.match(parsed.from_name)
        or parsed.headers.get("Return-Path", "").strip() == "<>"  # the null sender of bounces
    )
    return from_bouncer and bool(_BOUNCE_SUBJECT.search(parsed.subject))


def _failed_recipients_from_text(parsed: ParsedMessage) -> list[str]:
    listed = parsed.headers.get("X-Failed-Recipients", "")
    if listed:
        return [address for _, address in getaddresses([listed]) if address]
    # Free-text bounces name the failed address before quoting the original message.
    for address in _ADDRESS.findall(parsed.body_text):
        if address.lower() != parsed.from_address.lower() and not _BOUNCE_SENDER.match(address):
            return [address]
    return []


def _diagnostic_from_text(text: str) -> str:
    for line in text.splitlines():
        if _SMTP_DIAGNOSTIC.search(line):
            return " ".join(line.split())[:500]
    return ""


def _original_message_id(parsed: ParsedMessage) -> str:
    for attachment in parsed.attachments:
        if attachment.declared_type in ("message/rfc822", "text/rfc822-headers"):
            headers = BytesHeaderParser(policy=policy.compat32).parsebytes(attachment.data)
            message_id = _first_message_id(str(headers.get("Message-ID", "")))
            if message_id:
                return message_id
    quoted = re.search(r"^\s*Message-ID:\s*(<[^<>\s]+>)", parsed.body_text, re.I | re.M)
    if quoted:
        return quoted.group(1)
    return parsed.in_reply_to


def _field_blocks(data: bytes) -> list[Message]:
    """The header-like blocks of a delivery-status part, separated by blank lines."""
    text = data.replace(b"\r\n", b"\n")
    return [
        BytesHeaderParser(policy=policy.compat32).parsebytes(block)
        for block in re.split(rb"\n[ \t]*\n", text)
        if block.strip()
    ]


def _after_type(value: str | None) -> str:
    """'rfc822; a@b.example' -> 'a@b.example' (typed DSN fields)."""
    value = str(value or "")
    if ";" in value:
        value = value.partition(";")[2]
    return " ".join(value.split())


def _content_type(value: str) -> tuple[str, str]:
    holder = Message()
    holder["Content-Type"] = value or "text/plain"
    return holder.get_content_type(), str(holder.get_param("report-type") or "").lower()


# Headers -----------------------------------------------------------------------------


def _read_headers(message: Message, parsed: ParsedMessage) -> None:
    for name in RECOGNITION_HEADERS:
        value = _header_text(message, name)
        if value:
            parsed.headers[name] = value
    parsed.subject = _header_text(message, "Subject")
    senders = _addresses(message, "From")
    if senders:
        parsed.from_name, parsed.from_address = senders[0]
    parsed.to = [address for _, address in _addresses(message, "To")]
    parsed.message_id = _first_message_id(_header_text(message, "Message-ID"))
    parsed.in_reply_to = _first_message_id(parsed.headers.get("In-Reply-To", ""))
    parsed.references = _MESSAGE_ID.findall(parsed.headers.get("References", ""))
    parsed.date = _date(_raw_header(message, "Date"), parsed.problems)


def _raw_header(message: Message, name: str) -> str:
    """The first value of a header, unfolded, 8-bit bytes read as UTF-8 (or Windows-1252)."""
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return re.sub(r"\r?\n", "", _from_8bit(str(value)))
    return ""


def _from_8bit(value: str) -> str:
    # The parser keeps raw 8-bit header bytes as surrogates; most such headers are UTF-8.
    if not re.search("[\ud800-\udfff]", value):
        return value
    try:
        data = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # surrogates that never were bytes
        return value.encode("utf-8", "replace").decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _header_text(message: Message, name: str) -> str:
    raw = _raw_header(message, name)
    if not raw:
        return ""
    try:
        decoded = str(policy.default.header_factory(name, raw))
    except Exception:  # a value the modern header parser gives up on
        try:
            decoded = str(make_header(decode_header(raw)))
        except Exception:
            decoded = raw
    return _single_line(decoded)


def _addresses(message: Message, name: str) -> list[tuple[str, str]]:
    raw = _raw_header(message, name)
    if not raw:
        return []
    try:
        header = policy.default.header_factory(name, raw)
        pairs = [(address.display_name, address.addr_spec) for address in header.addresses]
    except Exception:
        pairs = getaddresses([raw])
    cleaned = [(_single_line(display), _single_line(address)) for display, address in pairs]
    return [(display, address) for display, address in cleaned if address and address != "<>"]


def _first_message_id(value: str) -> str:
    found = _MESSAGE_ID.search(value)
    return found.group() if found else value.strip()


def _date(value: str, problems: list[str]) -> datetime | None:
    if not value.strip():
        return None
    try:
        when = parsedate_to_datetime(value)
    except Exception:  # ValueError, TypeError, OverflowError for the many broken forms
        problems.append(f"the date {_single_line(value)[:80]!r} could not be read")
        return None
    # "-0000" (and a missing zone) mean UTC with the sender's zone unknown: RFC 5322 3.3.
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _single_line(value: str) -> str:
    value = _from_8bit(value)
    return " ".join(_CONTROL_CHARACTERS.sub(" ", value).split())


# Parts -------------------------------------------------------------------------------


def _read_parts(message: Message, parsed: ParsedMessage) -> None:
    body_path = _find_body(message, depth=0) or []
    body = body_path[-1] if body_path else None
    # Text renderings that are alternatives of the body: the same words again.
    alternatives = {id(part) for part in body_path if part.get_content_type() == _ALTERNATIVE}
    texts = [_part_text(body, "the body", parsed.problems)] if body is not None else []
    _collect(message, 0, body, alternatives, False, texts, parsed)
    parsed.body_text = "\n\n".join(text.strip("\n") for text in texts if text.strip())
    seen: set[type] = set()
    for part in message.walk() if message.is_multipart() else [message]:
        for defect in getattr(part, "defects", []):
            problem = _STRUCTURE_PROBLEMS.get(type(defect))
            if problem and type(defect) not in seen:
                seen.add(type(defect))
                parsed.problems.append(problem)


def _find_body(part: Message, depth: int) -> list[Message] | None:
    """The path from `part` to the part holding the message's text, plain text preferred."""
    if depth > MAX_PART_DEPTH or _is_attachment(part):
        return None
    content_type = part.get_content_type()
    if not part.is_multipart():
        return [part] if content_type in _TEXT_TYPES else None
    if not content_type.startswith("multipart/"):
        return None  # a forwarded message is an attachment, not this message's text
    paths = (_find_body(child, depth + 1) for child in _children(part))
    if content_type == _ALTERNATIVE:
        found = [path for path in paths if path]
        plain = [path for path in found if path[-1].get_content_type() == "text/plain"]
        best = (plain or found or [None])[0]
    else:
        best = next((path for path in paths if path), None)
    return [part, *best] if best else None


def _collect(
    part: Message,
    depth: int,
    body: Message | None,
    alternatives: set[int],
    in_alternative: bool,
    texts: list[str],
    parsed: ParsedMessage,
) -> None:
    if depth > MAX_PART_DEPTH:
        parsed.problems.append(f"parts nested more than {MAX_PART_DEPTH} levels deep were skipped")
        return
    if part is body:
        return
    content_type = part.get_content_type()
    if part.is_multipart() and content_type.startswith("multipart/"):
        in_alternative = in_alternative or id(part) in alternatives
        for child in _children(part):
            _collect(child, depth + 1, body, alternatives, in_alternative, texts, parsed)
        return
    if content_type in _TEXT_TYPES and not _is_attachment(part):
        if not in_alternative:
            # Another inline text part (some mailers split the text around an attachment).
            texts.append(_part_text(part, "a text part", parsed.problems))
        return
    attachment = _attachment(part, len(parsed.attachments) + 1, parsed.problems)
    if attachment is not None:
        parsed.attachments.append(attachment)


def _children(part: Message) -> list[Message]:
    payload = part.get_payload()
    return (
        [child for child in payload if isinstance(child, Message)]
        if isinstance(payload, list)
        else []
    )


def _is_attachment(part: Message) -> bool:
    return part.get_content_disposition() == "attachment" or bool(_filename(part))


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        return ""
    name = _from_8bit(str(name))
    if "=?" in name:  # Outlook puts encoded words in file names, against RFC 2231
        with suppress(Exception):  # if they are malformed, keep the name as written
            name = str(make_header(decode_header(name)))
    return _single_line(name)


def _attachment(part: Message, number: int, problems: list[str]) -> ParsedAttachment | None:
    content_type = part.get_content_type()
    filename = _filename(part) or _fallback_name(part, content_type, number)
    if part.is_multipart():  # message/rfc822 and other message/* parts hold messages
        try:
            data = b"".join(child.as_bytes(policy=_AS_RECEIVED) for child in _children(part))
        except Exception:
            problems.append(f"attachment {filename!r} could not be decoded")
            return None
    else:
        defects_before = len(part.defects)
        data = part.get_payload(decode=True) or b""
        if any(isinstance(defect, _BROKEN_BASE64) for defect in part.defects[defects_before:]):
            problems.append(f"attachment {filename!r} could not be decoded: its base64 is damaged")
            return None
    inline = part.get_content_disposition() == "inline" or (
        part.get_content_disposition() is None and "Content-ID" in part
    )
    return ParsedAttachment(filename=filename, declared_type=content_type, data=data, inline=inline)


def _fallback_name(part: Message, content_type: str, number: int) -> str:
    if content_type == "message/rfc822":
        children = _children(part)
        subject = _header_text(children[0], "Subject") if children else ""
        return f"{subject or 'message'}.eml"
    return f"attachment-{number}{guess_extension(content_type) or ''}"


def _part_text(part: Message, what: str, problems: list[str]) -> str:
    defects_before = len(part.defects)
    payload = part.get_payload(decode=True) or b""
    if any(isinstance(defect, _BROKEN_BASE64) for defect in part.defects[defects_before:]):
        problems.append(f"{what} could not be fully decoded: its base64 is damaged")
    text = _decode_text(payload, part.get_content_charset(), what, problems)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if part.get_content_type() == "text/html":
        return _html_to_text(text, problems)
    if str(part.get_param("format") or "").lower() == "flowed":
        return _unflow(text, delete_space=str(part.get_param("delsp") or "").lower() == "yes")
    return _CONTROL_CHARACTERS.sub("", text)


def _decode_text(payload: bytes, charset: str | None, what: str, problems: list[str]) -> str:
    if charset:
        try:
            return payload.decode(charset)
        except LookupError:
            problems.append(f"unknown charset {charset}: decoded as UTF-8 with replacements")
            return payload.decode("utf-8", "replace")
        except (UnicodeError, ValueError):
            try:
                text = payload.decode("utf-8")
            except UnicodeDecodeError:
                problems.append(f"{what} is not valid {charset}: undecodable bytes were replaced")
                return payload.decode("utf-8", "replace")
            problems.append(f"{what} is not valid {charset}: it was read as UTF-8")
            return text
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        # No charset given and not UTF-8: Windows-1252 is what British mailers then use.
        problems.append(f"{what} has no charset and is not UTF-8: it was read as Windows-1252")
        return payload.decode("cp1252", "replace")


def _html_to_text(html: str, problems: list[str]) -> str:
    html = _CONTROL_CHARACTERS.sub("", html)  # lxml refuses control characters
    try:
        return html_text.extract_text(html)
    except Exception:
        problems.append("the HTML body could not be read as HTML: its tags were stripped")
        return re.sub(r"<[^>]*>", " ", html)


def _unflow(text: str, *, delete_space: bool) -> str:
    """Join the soft line breaks of format=flowed text (RFC 3676)."""
    lines: list[str] = []
    pending = ""
    for line in _CONTROL_CHARACTERS.sub("", text).split("\n"):
        line = line[1:] if line.startswith(" ") else line  # undo space-stuffing
        if line.endswith(" ") and line != "-- ":
            pending += line[:-1] if delete_space else line
        else:
            lines.append(pending + line)
            pending = ""
    if pending:
        lines.append(pending)
    return "\n".join(lines)
