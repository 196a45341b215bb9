"""Check a document a force sent back, and read its text.

`check_document` accepts PDF, Word (.docx), plain text and saved email (.eml), judged by
content, never by name; it refuses anything else with a reason a person can act on
(`DocumentRejected`). Choices, so that callers know what to expect:

- A name that claims one of the four kinds must match the content; a name without such
  an extension is judged by content alone. A saved email named .txt is text, since
  that is what it is too; a file named .eml must have real email headers.
- HTML and SVG are refused even though they are text: they are web content, not letters,
  and their markup would spoil the text that replies are quoted from.
- Word files with macros and password-protected Office files are refused: the first can
  harm whoever opens them, the second cannot be read or even told apart (.docx or .xlsx).
- A password-protected PDF, a scan without a text layer or a file cut short by the time
  and page limits is still accepted, being the force's reply as sent, with empty or
  partial text and a note in `notes` saying why; a damaged PDF is refused.
- PDFs are read by pypdf in a child process (`letters/pdf_text_reader.py`) under a
  memory and CPU cap, killed after `read_seconds` (all the PDFs inside one email share
  that time) and reading at most `PDF_MAX_PAGES` pages: a hostile PDF costs a bounded time.
- Word files are refused as zip bombs by what their ZIP directory declares, before
  anything is unpacked; Python's zipfile never unpacks more than an entry declares.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import math
import re
import subprocess
import sys
import time
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, NamedTuple

import docx
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from docx.document import Document as WordDocument
from docx.table import Table
from docx.text.paragraph import Paragraph

from letters.mail import parse_message

READ_SECONDS = 20.0  # under a web worker's usual 30 s timeout
PDF_MAX_PAGES = 500
PDF_READER = Path(__file__).with_name("pdf_text_reader.py")
PDF_READER_MEMORY_BYTES = 1024 * 1024 * 1024
MAX_TEXT_CHARS = 2_000_000
DOCX_MAX_ENTRIES = 1000
DOCX_MAX_UNPACKED_BYTES = 100 * 1024 * 1024
DOCX_MAX_RATIO = 100  # a Word file's XML packs about 10:1; bombs pack 1000:1 and more
DOCX_RATIO_CHECKED_FROM_BYTES = 1024 * 1024  # small parts may pack well and harm nobody
EML_MAX_DEPTH = 3  # an email attached to an email attached to an email
SAFE_NAME_MAX_CHARS = 150
READ_CHUNK_BYTES = 64 * 1024

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "eml": "message/rfc822",
}  # plain text's depends on its encoding
_CLAIMS = {
    "pdf": "a PDF",
    "docx": "a Word document",
    "txt": "a plain text file",
    "eml": "an email message",
}
_CONTENTS = {"pdf": "a PDF", "docx": "a Word document", "txt": "plain text", "eml": "an email"}
_ACCEPTED = "Only PDF, Word (.docx), plain text and email (.eml) files are accepted."

_PROGRAM = "a program"
_SIGNATURES = (
    (b"MZ", "a Windows program"),
    (b"\x7fELF", _PROGRAM),
    (b"\xca\xfe\xba\xbe", _PROGRAM),
    (b"\xcf\xfa\xed\xfe", _PROGRAM),
    (b"\xce\xfa\xed\xfe", _PROGRAM),
    (b"#!", "a script"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"{\\rtf", "a Rich Text (RTF) document"),
    (b"%!PS", "a PostScript file"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
)
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_OFFICE = "EncryptedPackage".encode("utf-16-le")
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_WEB_CONTENT = re.compile(
    r"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|script|svg)\b",
    re.IGNORECASE | re.DOTALL,
)
_NOT_TEXT = re.compile(r"[\x00-\x08\x0e-\x19\x1b-\x1f\x7f-\x9f]")  # keeps \t \n \f \r, DOS EOF
_EMAIL_FIELDS = {"date", "subject", "to", "message-id", "mime-version", "content-type"}

# Tidying extracted text: what PDFs and Word add that is not words.
_LIGATURES = {ord(c): unicodedata.normalize("NFKC", c) for c in "\ufb00\ufb01\ufb02\ufb03\ufb04"}
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_SPACES = {code: " " for code in (0x00A0, 0x202F, 0x205F, 0x3000, *range(0x2000, 0x200B))}
_TIDY = {**_LIGATURES, **_INVISIBLE, **_SPACES}
_LINE_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x85\u2028\u2029]")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class DocumentRejected(ValueError):
    """A document refused, with the reason to show to the person who gave it."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CheckedDocument:
    """A document that passed the checks, with its text.

    `notes` tell the user what they should know about the text (none was found, only part
    was read...). `content` holds the bytes that were checked: store those, so the file
    kept is the file that was checked.
    """

    kind: str  # "pdf", "docx", "txt" or "eml"
    content_type: str
    size: int
    sha256: str
    safe_name: str
    text: str
    notes: tuple[str, ...] = ()
    content: bytes = field(default=b"", repr=False, compare=False)


def check_document(
    file: bytes | UploadedFile | BinaryIO,
    *,
    filename: str,
    max_bytes: int | None = None,
    read_seconds: float = READ_SECONDS,
) -> CheckedDocument:
    """Check a document by its content and read its text; raise `DocumentRejected` if refused.

    `file` is bytes or an open file (a Django `UploadedFile` or any object with `read`),
    read in chunks and never past `max_bytes` (default `settings.REPLY_DOCUMENT_MAX_BYTES`).
    """
    limit = settings.REPLY_DOCUMENT_MAX_BYTES if max_bytes is None else max_bytes
    name = safe_name(filename)
    data = _read_within(file, name, limit)
    return _check(data, name, deadline=time.monotonic() + read_seconds, depth=0)


def safe_name(filename: str) -> str:
    """A file name fit to show and store: no folders, control characters or hidden dots."""
    name = unicodedata.normalize("NFC", str(filename or ""))
    name = re.sub(r"[\t\n\r\x0b\x0c\x85\u2028\u2029]", " ", name)
    # Control and format characters (NUL, right-to-left overrides) hide what a name says.
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    name = re.split(r"[/\\]", name)[-1]
    name = re.sub(r"^[A-Za-z]:", "", name)  # a Windows drive: C:report.pdf
    name = " ".join(name.split()).strip(" .")
    if len(name) > SAFE_NAME_MAX_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: SAFE_NAME_MAX_CHARS - len(extension) - 1].rstrip(" .") + "." + extension
        else:
            name = name[:SAFE_NAME_MAX_CHARS].rstrip(" .")
    return name or "document"


def tidy_text(text: str) -> str:
    """Tidy extracted text without changing its words: unify spaces and line breaks,
    undo ligatures, drop soft hyphens and invisible characters, keep paragraphs."""
    text = unicodedata.normalize("NFC", text).translate(_TIDY)
    text = _CONTROLS.sub("", _LINE_BREAKS.sub("\n", text))
    text = re.sub(r"[ \t]{2,}|\t", lambda run: "\t" if "\t" in run.group() else " ", text)
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# Reading -----------------------------------------------------------------------------


def _read_within(file: bytes | UploadedFile | BinaryIO, name: str, limit: int) -> bytes:
    if isinstance(file, bytes | bytearray | memoryview):
        data = bytes(file)
        if len(data) > limit:
            raise DocumentRejected(_too_large(name, len(data), limit))
        return data
    declared = getattr(file, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise DocumentRejected(_too_large(name, declared, limit))
    if getattr(file, "seekable", lambda: False)():
        file.seek(0)
    chunks, total = [], 0
    while chunk := file.read(min(READ_CHUNK_BYTES, limit + 1 - total)):
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:  # the declared size was wrong: stop here, read no more
            raise DocumentRejected(f"‘{name}’ is larger than the limit of {_size(limit)}.")
    return b"".join(chunks)


def _too_large(name: str, size: int, limit: int) -> str:
    return f"‘{name}’ is {_size(size)}; the limit is {_size(limit)}."


def _size(size: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


class _Identity(NamedTuple):
    kind: str | None  # None: not a kind we accept
    content: str  # what the content is, in words
    text: str = ""  # plain text's, decoded
    charset: str = ""


def _check(data: bytes, name: str, *, deadline: float, depth: int) -> CheckedDocument:
    if not data:
        raise DocumentRejected(f"‘{name}’ is empty.")
    identity = _identify(data, name)
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    claimed = extension if extension in _CLAIMS else None
    if identity.kind == "eml" and claimed == "txt":
        text, charset = _decode_text(data)
        if text is not None:  # a saved email is text too
            identity = _Identity("txt", _CONTENTS["txt"], text, charset)
    kind, content = identity.kind, identity.content
    if claimed and kind != claimed:
        raise DocumentRejected(f"‘{name}’ is not {_CLAIMS[claimed]}: its content is {content}.")
    if kind is None:
        raise DocumentRejected(
            f"‘{name}’ cannot be accepted: its content is {content}. {_ACCEPTED}"
        )

    notes: list[str] = []
    if kind == "pdf":
        text = _pdf_text(data, name, deadline, notes)
        content_type = CONTENT_TYPES["pdf"]
    elif kind == "docx":
        text = _docx_text(data, name)
        content_type = CONTENT_TYPES["docx"]
    elif kind == "eml":
        text = _eml_text(data, name, deadline, depth, notes)
        content_type = CONTENT_TYPES["eml"]
    else:
        text = identity.text
        content_type = f"text/plain; charset={identity.charset}"

    text = tidy_text(text)
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS]
        notes.append(f"The text of ‘{name}’ was cut at {MAX_TEXT_CHARS:,} characters.")
    if not text and not notes:
        notes.append(f"No text was found in ‘{name}’.")
    return CheckedDocument(
        kind=kind,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        safe_name=name,
        text=text,
        notes=tuple(notes),
        content=data,
    )


def _identify(data: bytes, name: str) -> _Identity:
    """What the bytes are, judged by themselves alone."""
    if data.startswith(b"%PDF-"):
        return _Identity("pdf", _CONTENTS["pdf"])
    if data.startswith(_ZIP):
        return _identify_zip(data)
    if data.startswith(_OLE):
        if _ENCRYPTED_OFFICE in data:
            raise DocumentRejected(
                f"‘{name}’ is protected by a password, so it cannot be read. Ask the force "
                "for a copy without a password, or for a PDF."
            )
        return _Identity(None, "an old-style Office file (.doc, .xls or Outlook .msg)")
    if data[4:8] == b"ftyp":
        return _Identity(None, "a photo or video (HEIC or MP4)")
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return _Identity(None, "a WebP image")
    for signature, content in _SIGNATURES:
        if data.startswith(signature):
            return _Identity(None, content)
    if _looks_like_email(data):
        return _Identity("eml", _CONTENTS["eml"])
    text, charset = _decode_text(data)
    if text is None:
        return _Identity(None, "binary data of an unknown kind")
    web = _WEB_CONTENT.match(text[:4096])
    if web:
        page = "an SVG image" if web.group(1).lower() == "svg" else "a web page (HTML)"
        return _Identity(None, page)
    return _Identity("txt", _CONTENTS["txt"], text, charset)


def _identify_zip(data: bytes) -> _Identity:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except Exception:  # zipfile raises many kinds of error on damaged archives
        return _Identity(None, "a damaged ZIP archive")
    if {"[Content_Types].xml", "word/document.xml"} <= names:
        return _Identity("docx", _CONTENTS["docx"])
    for part, content in (
        ("xl/workbook.xml", "an Excel workbook"),
        ("ppt/presentation.xml", "a PowerPoint presentation"),
        ("mimetype", "an OpenDocument file"),
    ):
        if part in names:
            return _Identity(None, content)
    return _Identity(None, "a ZIP archive")


def _looks_like_email(data: bytes) -> bool:
    """Whether `data` opens with an email's header block: a From and another real field."""
    head = data[: 64 * 1024]
    if head.startswith(b"From "):  # the separator line mailbox files and some clients add
        head = head.partition(b"\n")[2]
    fields = set()
    for line in re.split(rb"\r?\n", head):
        if not line.strip():
            break
        if line[:1] in (b" ", b"\t"):
            continue  # a folded continuation of the field above
        found = re.match(rb"([!-9;-~]+):", line)
        if not found:
            return False
        fields.add(found.group(1).decode("ascii").lower())
    return "from" in fields and bool(fields & _EMAIL_FIELDS)


def _decode_text(data: bytes) -> tuple[str | None, str]:
    """The text and its charset, or (None, "") when the bytes are not text."""
    for bom, codec, charset in (
        (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16", "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16", "utf-16"),
    ):
        if data.startswith(bom):
            candidates = ((codec, charset),)
            break
    else:
        # UTF-8, or else Windows-1252: what British offices' older tools write.
        candidates = (("utf-8", "utf-8"), ("cp1252", "windows-1252"))
    for codec, charset in candidates:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        # Binary data decodes as Windows-1252 too, but is full of control characters.
        if "\x00" in text or len(_NOT_TEXT.findall(text)) > len(text) / 100:
            return None, ""
        return text, charset
    return None, ""


# PDF ---------------------------------------------------------------------------------


def _pdf_text(data: bytes, name: str, deadline: float, notes: list[str]) -> str:
    seconds = max(deadline - time.monotonic(), 0.0)
    command = [
        sys.executable,
        "-I",  # no user site, no environment, no current folder on the path
        str(PDF_READER),
        str(PDF_MAX_PAGES),
        str(MAX_TEXT_CHARS),
        str(PDF_READER_MEMORY_BYTES),
        str(int(seconds) + 1),
    ]
    try:
        finished = subprocess.run(  # noqa: S603 - our own script, the PDF goes in on stdin
            command,
            input=data,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=seconds,
            check=False,
        )
        output, stopped = finished.stdout, False
    except subprocess.TimeoutExpired as timeout:
        output, stopped = timeout.stdout or b"", True

    records = []
    for line in output.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            break  # the line being written when the reader was stopped
    first = records[0] if records else {}
    if first.get("error") == "password":
        notes.append(
            f"No text could be read from ‘{name}’: it is protected by a password. Ask the "
            "force for a copy without one, or type in the passages you need."
        )
        return ""
    if "pages" not in first:
        if stopped:
            raise DocumentRejected(
                f"‘{name}’ could not be read within {_seconds(seconds)}, so it was not "
                "accepted. It may be damaged: try saving it again as a PDF."
            )
        raise DocumentRejected(f"‘{name}’ is a damaged PDF: it could not be read.")
    page_count = first["pages"]
    if page_count == 0:
        raise DocumentRejected(f"‘{name}’ is a PDF with no pages.")

    pages = records[1:]
    texts = [page.get("text", "") for page in pages]
    failed = sum(1 for page in pages if page.get("failed"))
    if stopped and len(pages) < page_count:
        notes.append(
            f"Reading ‘{name}’ stopped after {_seconds(seconds)}: its text comes from the "
            f"first {len(pages)} of {page_count} pages."
        )
    elif len(pages) < page_count and page_count > PDF_MAX_PAGES:
        notes.append(f"Only the first {PDF_MAX_PAGES} of {page_count} pages of ‘{name}’ were read.")
    if failed:
        notes.append(f"{failed} of the pages of ‘{name}’ could not be read and were left out.")
    text = "\n\n".join(texts)
    if not text.strip():
        notes.append(
            f"No text could be read from ‘{name}’: it may be a scan without a text layer. "
            "Type in the passages you need."
        )
    return text


def _seconds(seconds: float) -> str:
    whole = math.ceil(seconds)
    return f"{whole} second" if whole == 1 else f"{whole} seconds"


# Word --------------------------------------------------------------------------------


def _docx_text(data: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = archive.infolist()
    _refuse_zip_bomb(entries, name)
    if any(entry.filename.lower() == "word/vbaproject.bin" for entry in entries):
        raise DocumentRejected(
            f"‘{name}’ is a Word document with macros, which could harm whoever opens it. "
            "Save it as an ordinary .docx or as a PDF and upload that."
        )
    try:
        document = docx.Document(io.BytesIO(data))
        parts = [
            *_docx_headers_or_footers(document, footers=False),
            *_blocks(document),
            *_docx_headers_or_footers(document, footers=True),
        ]
    except Exception as error:  # python-docx raises many kinds of error on damaged files
        raise DocumentRejected(
            f"‘{name}’ is a damaged Word document: it could not be opened."
        ) from error
    return "\n".join(parts)


def _refuse_zip_bomb(entries: list[zipfile.ZipInfo], name: str) -> None:
    if len(entries) > DOCX_MAX_ENTRIES:
        raise DocumentRejected(
            f"‘{name}’ was refused: it packs {len(entries):,} files, far more than a Word "
            f"document holds (at most {DOCX_MAX_ENTRIES:,} are accepted)."
        )
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > DOCX_MAX_UNPACKED_BYTES:
        raise DocumentRejected(
            f"‘{name}’ was refused: unpacked it would take {_size(unpacked)}, more than the "
            f"{_size(DOCX_MAX_UNPACKED_BYTES)} accepted."
        )
    for entry in entries:
        if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise DocumentRejected(
                f"‘{name}’ was refused: it uses a compression method Word never uses."
            )
        if (
            entry.file_size > DOCX_RATIO_CHECKED_FROM_BYTES
            and entry.file_size > DOCX_MAX_RATIO * max(entry.compress_size, 1)
        ):
            raise DocumentRejected(
                f"‘{name}’ was refused: a part of it would unpack to "
                f"{entry.file_size // max(entry.compress_size, 1):,} times its packed size, "
                "as only a zip bomb does."
            )


def _docx_headers_or_footers(document: WordDocument, *, footers: bool) -> list[str]:
    """The distinct text of the sections' headers (or footers): letterheads hold references."""
    texts: list[str] = []
    for section in document.sections:
        kinds = ("first_page_footer", "footer") if footers else ("first_page_header", "header")
        for kind in kinds:
            if kind.startswith("first_page") and not section.different_first_page_header_footer:
                continue
            part = getattr(section, kind)
            if part.is_linked_to_previous:
                continue
            text = "\n".join(_blocks(part)).strip()
            if text and text not in texts:
                texts.append(text)
    return texts


def _blocks(container) -> list[str]:
    """Paragraphs and tables in document order; table cells tab-separated, a row a line."""
    lines: list[str] = []
    for block in container.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.append(block.text)
        elif isinstance(block, Table):
            seen: set[int] = set()
            for row in block.rows:
                cells = []
                for cell in row.cells:
                    # A merged cell comes back once per grid column and row it spans.
                    if id(cell._tc) in seen:
                        continue
                    seen.add(id(cell._tc))
                    cells.append(" ".join("\n".join(_blocks(cell)).split()))
                lines.append("\t".join(cells))
    return lines


# Email -------------------------------------------------------------------------------


def _eml_text(data: bytes, name: str, deadline: float, depth: int, notes: list[str]) -> str:
    message = parse_message(data)
    heading = [f"Subject: {message.subject}"]
    if message.from_address:
        sender = message.from_name or message.from_address
        heading.append(f"From: {sender} <{message.from_address}>")
    if message.date:
        heading.append(f"Date: {message.date.day} {message.date:%B %Y %H:%M %z}")
    parts = ["\n".join(heading), message.body_text]
    notes.extend(f"In ‘{name}’: {problem}." for problem in message.problems)

    for attachment in message.attachments:
        if attachment.inline and attachment.declared_type.startswith("image/"):
            continue  # logos and pictures in the text, not documents
        attachment_name = safe_name(attachment.filename)
        skipped = f"The attachment ‘{attachment_name}’ of ‘{name}’ was not read:"
        if depth + 1 >= EML_MAX_DEPTH:
            notes.append(f"{skipped} emails are read only {EML_MAX_DEPTH} levels deep.")
            continue
        if time.monotonic() >= deadline:
            notes.append(f"{skipped} the time for reading this email ran out.")
            continue
        try:
            checked = _check(attachment.data, attachment_name, deadline=deadline, depth=depth + 1)
        except DocumentRejected as refusal:
            notes.append(f"{skipped} {refusal.reason}")
            continue
        parts.append(f"[Attachment: {checked.safe_name}]\n{checked.text}")
        notes.extend(checked.notes)
    return "\n\n".join(parts)
