import io
import struct
import time
import zipfile
from email.message import EmailMessage

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader, PdfWriter
from weasyprint import HTML

from letters import documents
from letters.documents import DocumentRejected, check_document, safe_name, tidy_text

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def make_pdf(*pages: str) -> bytes:
    html = "".join(
        f'<p style="page-break-before: always">{text}</p>' if number else f"<p>{text}</p>"
        for number, text in enumerate(pages)
    )
    return HTML(string=f"<html><body>{html}</body></html>").write_pdf()


@pytest.fixture(scope="module")
def reply_pdf():
    return make_pdf(
        "Dear Commissioner, thank you for your letter of 3 October 2019.",
        "We have trained 40 officers in modern slavery awareness.",
    )


def make_docx(*paragraphs: str, table=None, header: str = "") -> bytes:
    document = docx.Document()
    if header:
        document.sections[0].header.is_linked_to_previous = False
        document.sections[0].header.paragraphs[0].text = header
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, values in zip(grid.rows, table, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_email(body: str = "Please find our reply attached.", **headers) -> EmailMessage:
    message = EmailMessage()
    message["From"] = headers.get("sender", "Chief Constable <chief@avonandsomerset.police.uk>")
    message["To"] = "replies@iasc.example.org"
    message["Subject"] = headers.get("subject", "Re: IASC/2019-10/AVS")
    message["Date"] = "Mon, 28 Oct 2019 09:15:00 +0000"
    message.set_content(body)
    return message


def refusal(data, filename, **options) -> str:
    with pytest.raises(DocumentRejected) as refused:
        check_document(data, filename=filename, **options)
    return refused.value.reason


# Accepted kinds ----------------------------------------------------------------------


def test_a_pdf_is_accepted_with_the_text_of_all_its_pages_in_order(reply_pdf):
    checked = check_document(reply_pdf, filename="AVS reply.pdf")

    assert checked.kind == "pdf"
    assert checked.content_type == "application/pdf"
    assert checked.size == len(reply_pdf)
    assert checked.content == reply_pdf
    assert len(checked.sha256) == 64
    assert "thank you for your letter of 3 October 2019." in checked.text
    assert checked.text.index("3 October") < checked.text.index("We have trained 40 officers")
    assert checked.notes == ()


def test_an_uploaded_file_is_read_whole_even_after_something_else_read_it(reply_pdf):
    upload = SimpleUploadedFile("reply.pdf", reply_pdf, content_type="application/octet-stream")
    upload.read(100)

    checked = check_document(upload, filename=upload.name)

    assert checked.size == len(reply_pdf)
    assert checked.content == reply_pdf


def test_a_word_document_gives_its_paragraphs_tables_and_letterhead():
    data = make_docx(
        "Dear Commissioner,",
        "Our response to your letter follows.",
        table=[["Year", "Officers trained"], ["2019", "40"]],
        header="Our ref: IASC/2019-10/AVS",
    )

    checked = check_document(data, filename="reply.docx")

    assert checked.kind == "docx"
    assert checked.content_type == DOCX_TYPE
    assert checked.text.startswith("Our ref: IASC/2019-10/AVS")
    assert "Dear Commissioner,\nOur response to your letter follows." in checked.text
    assert "Year\tOfficers trained\n2019\t40" in checked.text


def test_a_merged_table_cell_is_read_once():
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 2)).text = "Training across the force"
    table.cell(1, 0).text = "2019"
    buffer = io.BytesIO()
    document.save(buffer)

    checked = check_document(buffer.getvalue(), filename="table.docx")

    assert checked.text.count("Training across the force") == 1


def test_plain_text_in_utf8_is_accepted_and_tidied():
    data = "Dear Commissioner,\r\n\r\n\r\n\r\nWe  have\u00a0trained   40 officers.  \r\n".encode()

    checked = check_document(data, filename="reply.txt")

    assert checked.kind == "txt"
    assert checked.content_type == "text/plain; charset=utf-8"
    assert checked.text == "Dear Commissioner,\n\nWe have trained 40 officers."


def test_plain_text_from_windows_is_read_as_windows_1252():
    data = "The Commissioner’s letter – received “today”.".encode("cp1252")

    checked = check_document(data, filename="reply.txt")

    assert checked.content_type == "text/plain; charset=windows-1252"
    assert checked.text == "The Commissioner’s letter – received “today”."


def test_plain_text_in_utf16_with_a_byte_order_mark_is_accepted():
    data = "Notepad’s “Unicode” text".encode("utf-16")

    checked = check_document(data, filename="notes.txt")

    assert checked.text == "Notepad’s “Unicode” text"
    assert checked.content_type == "text/plain; charset=utf-16"


def test_an_email_gives_subject_sender_body_and_its_attachments_text(reply_pdf):
    message = make_email("Please find our response attached.\n\nDCC Smith")
    message.add_attachment(
        reply_pdf, maintype="application", subtype="pdf", filename="AVS response.pdf"
    )
    message.add_attachment(
        make_docx("Annex A: the training plan."),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename="annex.docx",
    )

    checked = check_document(message.as_bytes(), filename="reply.eml")

    assert checked.kind == "eml"
    assert checked.content_type == "message/rfc822"
    assert checked.text.startswith("Subject: Re: IASC/2019-10/AVS\n")
    assert "From: Chief Constable <chief@avonandsomerset.police.uk>" in checked.text
    assert "Date: 28 October 2019 09:15 +0000" in checked.text
    assert "Please find our response attached.\n\nDCC Smith" in checked.text
    assert "[Attachment: AVS response.pdf]" in checked.text
    assert "We have trained 40 officers" in checked.text
    assert "[Attachment: annex.docx]\nAnnex A: the training plan." in checked.text
    assert checked.notes == ()


def test_an_email_with_only_html_gives_readable_text():
    message = make_email()
    message.set_content(
        "<html><head><style>p {color: red}</style></head><body>"
        "<p>Dear Commissioner,</p><p>We have <b>trained</b> 40 officers.</p></body></html>",
        subtype="html",
    )

    checked = check_document(message.as_bytes(), filename="reply.eml")

    assert "Dear Commissioner,\n\nWe have trained 40 officers." in checked.text
    assert "<p>" not in checked.text and "<b>" not in checked.text
    assert "color" not in checked.text


def test_an_email_says_which_attachments_were_not_read_and_why():
    message = make_email()
    message.add_attachment(
        b"MZ\x90\x00 program", maintype="application", subtype="octet-stream", filename="tool.exe"
    )
    # A logo shown in the signature is no document, and no reason for a note.
    message.add_attachment(
        b"\x89PNG\r\n\x1a\n logo", maintype="image", subtype="png", disposition="inline",
        filename="logo.png",
    )  # fmt: skip

    checked = check_document(message.as_bytes(), filename="reply.eml")

    assert checked.notes == (
        "The attachment ‘tool.exe’ of ‘reply.eml’ was not read: ‘tool.exe’ cannot be accepted: "
        "its content is a Windows program. Only PDF, Word (.docx), plain text and email (.eml) "
        "files are accepted.",
    )


def test_an_email_with_an_undecodable_attachment_says_so():
    raw = (
        b"From: chief@force.police.uk\r\nSubject: Reply\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nOur reply is attached.\r\n"
        b"--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="a.pdf"\r\n\r\nJVBERi0x*\r\n--b--\r\n'
    )

    checked = check_document(raw, filename="reply.eml")

    assert "Our reply is attached." in checked.text
    assert checked.notes == (
        "In ‘reply.eml’: attachment 'a.pdf' could not be decoded: its base64 is damaged.",
    )


def test_a_forwarded_email_inside_an_email_is_read_too():
    inner = make_email("Our original reply of 28 October.", subject="IASC letter reply")
    outer = make_email("Forwarding the reply below.", subject="Fwd: IASC letter reply")
    outer.add_attachment(inner)

    checked = check_document(outer.as_bytes(), filename="forward.eml")

    assert "Forwarding the reply below." in checked.text
    assert "[Attachment: IASC letter reply.eml]" in checked.text
    assert "Our original reply of 28 October." in checked.text


def test_emails_nested_too_deep_are_not_read():
    message = make_email("level 0")
    for level in range(1, 4):
        outer = make_email(f"level {level}")
        outer.add_attachment(message)
        message = outer

    checked = check_document(message.as_bytes(), filename="deep.eml")

    assert "level 1" in checked.text and "level 2" in checked.text
    assert "level 0" not in checked.text
    assert any("emails are read only 3 levels deep" in note for note in checked.notes)


# Type by content, not by name --------------------------------------------------------


def test_a_pdf_renamed_docx_is_refused(reply_pdf):
    assert refusal(reply_pdf, "reply.docx") == (
        "‘reply.docx’ is not a Word document: its content is a PDF."
    )


@pytest.mark.parametrize(
    ("data", "content"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200), "a Windows program"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "a PNG image"),
        (b"\xff\xd8\xff\xe0" + bytes(200), "a JPEG image"),
    ],
)
def test_a_program_or_image_renamed_pdf_is_refused(data, content):
    assert refusal(data, "scan.pdf") == f"‘scan.pdf’ is not a PDF: its content is {content}."


def test_a_zip_renamed_docx_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a Word document")

    assert refusal(buffer.getvalue(), "report.docx") == (
        "‘report.docx’ is not a Word document: its content is a ZIP archive."
    )


def test_text_renamed_pdf_is_refused():
    assert refusal(b"Dear Commissioner", "reply.pdf") == (
        "‘reply.pdf’ is not a PDF: its content is plain text."
    )


def test_a_name_without_a_known_extension_is_judged_by_content(reply_pdf):
    assert check_document(reply_pdf, filename="scan_0042").kind == "pdf"
    assert check_document(reply_pdf, filename="reply.doc").kind == "pdf"
    assert check_document(b"# Notes\nWe replied.", filename="notes.md").kind == "txt"


def test_an_email_saved_as_txt_is_text_but_text_saved_as_eml_is_refused():
    saved_as_text = check_document(make_email().as_bytes(), filename="reply.txt")
    assert (saved_as_text.kind, saved_as_text.content_type) == ("txt", "text/plain; charset=utf-8")
    assert "Subject: Re: IASC/2019-10/AVS" in saved_as_text.text
    assert check_document(make_email().as_bytes(), filename="reply").kind == "eml"
    assert refusal(b"Dear Commissioner,\nthank you.", "reply.eml") == (
        "‘reply.eml’ is not an email message: its content is plain text."
    )


@pytest.mark.parametrize(
    "data",
    [b"<!DOCTYPE html><html><body><p>Reply</p></body></html>", b"\n  <html>\n<p>Reply</p>"],
)
def test_web_pages_are_refused_even_though_they_are_text(data):
    assert refusal(data, "reply.txt") == (
        "‘reply.txt’ is not a plain text file: its content is a web page (HTML)."
    )
    assert "its content is a web page (HTML)" in refusal(data, "reply")


def test_binary_junk_is_not_plain_text():
    assert refusal(b"header\x00\x01\x02\x03 data", "data.txt") == (
        "‘data.txt’ is not a plain text file: its content is binary data of an unknown kind."
    )


def test_an_empty_file_is_refused():
    assert refusal(b"", "reply.pdf") == "‘reply.pdf’ is empty."


# Damaged, protected and awkward PDFs -------------------------------------------------


def test_a_damaged_pdf_is_refused():
    assert refusal(b"%PDF-1.7\n1 0 obj << /Type /Catalog", "reply.pdf") == (
        "‘reply.pdf’ is a damaged PDF: it could not be read."
    )


def test_a_pdf_needing_a_password_is_accepted_with_a_note_saying_why_it_has_no_text(reply_pdf):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(reply_pdf)))
    writer.encrypt(user_password="open-sesame", owner_password="owner", algorithm="AES-256")
    protected = io.BytesIO()
    writer.write(protected)

    checked = check_document(protected.getvalue(), filename="reply.pdf")

    assert checked.kind == "pdf"
    assert checked.text == ""
    assert checked.notes == (
        "No text could be read from ‘reply.pdf’: it is protected by a password. Ask the force "
        "for a copy without one, or type in the passages you need.",
    )


def test_a_pdf_with_only_an_owner_password_is_read(reply_pdf):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(reply_pdf)))
    writer.encrypt(user_password="", owner_password="no-printing", algorithm="AES-128")
    restricted = io.BytesIO()
    writer.write(restricted)

    checked = check_document(restricted.getvalue(), filename="reply.pdf")

    assert "We have trained 40 officers" in checked.text


def test_a_scan_without_text_is_accepted_with_a_note():
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    scan = io.BytesIO()
    writer.write(scan)

    checked = check_document(scan.getvalue(), filename="scan.pdf")

    assert checked.text == ""
    assert checked.notes == (
        "No text could be read from ‘scan.pdf’: it may be a scan without a text layer. "
        "Type in the passages you need.",
    )


def test_a_long_pdf_is_read_up_to_the_page_limit(monkeypatch, reply_pdf):
    monkeypatch.setattr(documents, "PDF_MAX_PAGES", 1)

    checked = check_document(reply_pdf, filename="reply.pdf")

    assert "3 October 2019" in checked.text
    assert "trained 40 officers" not in checked.text
    assert checked.notes == ("Only the first 1 of 2 pages of ‘reply.pdf’ were read.",)


def test_a_pdf_that_cannot_be_read_in_time_is_refused(reply_pdf):
    started = time.monotonic()

    reason = refusal(reply_pdf, "slow.pdf", read_seconds=0.01)

    assert reason == (
        "‘slow.pdf’ could not be read within 1 second, so it was not accepted. "
        "It may be damaged: try saving it again as a PDF."
    )
    assert time.monotonic() - started < 2


# Size ---------------------------------------------------------------------------------


def test_a_file_declared_too_large_is_refused_before_it_is_read():
    upload = SimpleUploadedFile("scan.pdf", b"%PDF-")
    upload.size = int(31.2 * 1024 * 1024)

    assert refusal(upload, "scan.pdf") == "‘scan.pdf’ is 31.2 MB; the limit is 25 MB."


def test_bytes_over_the_limit_are_refused(reply_pdf):
    assert refusal(reply_pdf, "reply.pdf", max_bytes=2048) == (
        f"‘reply.pdf’ is {len(reply_pdf) / 1024:.1f} KB; the limit is 2 KB."
    )


class EndlessUpload(io.RawIOBase):
    """An upload that never ends and lies about its size."""

    size = 10

    def __init__(self):
        self.bytes_read = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        buffer[:] = b"a" * len(buffer)
        self.bytes_read += len(buffer)
        return len(buffer)


def test_reading_stops_just_past_the_limit_whatever_the_file_claims():
    upload = EndlessUpload()

    reason = refusal(upload, "reply.txt", max_bytes=1024 * 1024)

    assert reason == "‘reply.txt’ is larger than the limit of 1 MB."
    assert upload.bytes_read == 1024 * 1024 + 1


# Word files that attack -------------------------------------------------------------


def zip_with(entries: dict[str, bytes | int]) -> bytes:
    """A ZIP of the given parts; an int is that many zero bytes, written in chunks."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            if isinstance(content, int):
                with archive.open(name, "w", force_zip64=True) as part:
                    for _ in range(content // (1024 * 1024)):
                        part.write(bytes(1024 * 1024))
            else:
                archive.writestr(name, content)
    return buffer.getvalue()


WORD_PARTS = {"[Content_Types].xml": b"<Types/>"}


def test_a_zip_bomb_word_file_is_refused_before_unpacking():
    bomb = zip_with({**WORD_PARTS, "word/document.xml": 110 * 1024 * 1024})
    started = time.monotonic()

    reason = refusal(bomb, "reply.docx")

    assert reason == (
        "‘reply.docx’ was refused: unpacked it would take 110 MB, more than the 100 MB accepted."
    )
    assert time.monotonic() - started < 1


def test_a_part_packed_like_a_bomb_is_refused_even_when_small_overall():
    bomb = zip_with({**WORD_PARTS, "word/document.xml": 50 * 1024 * 1024})

    assert refusal(bomb, "reply.docx").startswith(
        "‘reply.docx’ was refused: a part of it would unpack to "
    )


def test_a_word_file_of_too_many_parts_is_refused():
    crowded = zip_with({**WORD_PARTS, "word/document.xml": b"<w/>"} | {
        f"word/media/{number}.xml": b"" for number in range(1000)
    })  # fmt: skip

    assert refusal(crowded, "reply.docx") == (
        "‘reply.docx’ was refused: it packs 1,002 files, far more than a Word document holds "
        "(at most 1,000 are accepted)."
    )


def test_a_word_file_whose_parts_lie_about_their_size_is_refused_as_damaged():
    data = bytearray(make_docx("A real paragraph."))
    # Claim that word/document.xml unpacks to 100 bytes, in both of the ZIP's directories
    # (local header, central directory): offsets of size, name length and name.
    for signature, size_at, length_at, name_at in (
        (b"PK\x03\x04", 22, 26, 30),
        (b"PK\x01\x02", 24, 28, 46),
    ):
        position = data.find(signature)
        while position != -1:
            name_length = struct.unpack_from("<H", data, position + length_at)[0]
            name = bytes(data[position + name_at : position + name_at + name_length])
            if name == b"word/document.xml":
                struct.pack_into("<I", data, position + size_at, 100)
            position = data.find(signature, position + 1)

    assert refusal(bytes(data), "reply.docx") == (
        "‘reply.docx’ is a damaged Word document: it could not be opened."
    )


def test_a_word_file_with_macros_is_refused():
    data = make_docx("Enable content to read this reply.")
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("word/vbaProject.bin", b"\x00macro")

    assert refusal(buffer.getvalue(), "reply.docx") == (
        "‘reply.docx’ is a Word document with macros, which could harm whoever opens it. "
        "Save it as an ordinary .docx or as a PDF and upload that."
    )


def test_a_password_protected_word_file_is_refused_with_the_reason():
    protected = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500) + "EncryptedPackage".encode("utf-16-le")
    )

    assert refusal(protected, "reply.docx") == (
        "‘reply.docx’ is protected by a password, so it cannot be read. Ask the force for a "
        "copy without a password, or for a PDF."
    )


# Names and text ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\x\\y.pdf", "y.pdf"),
        ("C:reply.pdf", "reply.pdf"),
        ("reply\x00.pdf", "reply.pdf"),
        ("Our\nreply\r\n.pdf", "Our reply .pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("  .hidden.pdf. ", "hidden.pdf"),
        ("../..", "document"),
        ("", "document"),
        ("a" * 300 + ".pdf", "a" * 146 + ".pdf"),
    ],
)
def test_safe_name_keeps_only_a_plain_file_name(given, safe):
    assert safe_name(given) == safe


def test_the_checked_document_carries_the_safe_name(reply_pdf):
    assert check_document(reply_pdf, filename="../../etc/passwd.pdf").safe_name == "passwd.pdf"


def test_tidying_keeps_words_so_quotes_can_be_found():
    extracted = (
        "We have \ufb01nally trained\u00a0forty o\u00adfficers.\x00\n\n\n\nNext para-\ngraph."
    )

    tidied = tidy_text(extracted)

    assert tidied == "We have finally trained forty officers.\n\nNext para-\ngraph."
    assert "finally trained forty officers" in tidied
