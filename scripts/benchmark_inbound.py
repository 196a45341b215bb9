#!/usr/bin/env python
"""Import replies from an IMAP server: messages per second and peak memory.

    python scripts/benchmark_inbound.py [--messages 1000] [--attachment pdf|txt|none]

A throwaway Dovecot (tests/dovecot.py) is filled with replies from the 43 forces, each
quoting its letter's reference and carrying the reply as an attachment: by default a PDF
made from the sample replies (one or two pages). Then `mailbox_fetch` imports them all,
timed. `--attachment txt` sends the same text as a .txt file, so the difference is what
reading PDFs costs (each is read by pypdf in its own sandboxed child process).

Peak memory: the importer process's peak resident set (VmHWM, reset just before the
import); the PDF reader children run under their own memory cap. The database is a
throwaway test database (SQLite in memory, or the one DATABASE_URL names), the files go
to a temporary folder.
"""

import argparse
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commissioner.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--attachment", choices=["pdf", "txt", "none"], default="pdf")
    options = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    settings.MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="benchmark-media-"))
    original_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0)
    try:
        benchmark(options.messages, options.attachment)
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)
        shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


def replies_to_send(count: int, attachment: str) -> list[bytes]:
    from email import policy
    from email.message import EmailMessage
    from email.utils import make_msgid

    from weasyprint import HTML

    from letters.models import Letter

    samples = sorted((BASE_DIR / "letters/demo_data/sample_replies").glob("*.txt"))
    texts = [sample.read_text() for sample in samples]
    letters = list(Letter.objects.select_related("force"))
    documents = {}
    for index, letter in enumerate(letters):
        text = f"Our reference: {letter.reference}\n\n" + texts[index % len(texts)]
        if attachment == "pdf":
            paragraphs = "".join(f"<p>{line}</p>" for line in text.split("\n\n"))
            documents[letter.pk] = ("reply.pdf", HTML(string=paragraphs).write_pdf(), "pdf")
        elif attachment == "txt":
            documents[letter.pk] = ("reply.txt", text.encode(), "plain")

    rng = random.Random(2019)  # noqa: S311 - which force replies, not a secret
    messages = []
    for _ in range(count):
        letter = rng.choice(letters)
        domain = letter.force.domains.first().domain
        message = EmailMessage()
        message["From"] = f"Chief Constable's Office <cc.office@{domain}>"
        message["To"] = "replies@iasc.example.org"
        message["Subject"] = f"RE: {letter.reference} Modern slavery"
        message["Date"] = "Tue, 12 Nov 2019 10:30:00 +0000"
        message["Message-ID"] = make_msgid(domain=domain)
        message.set_content("Dear Commissioner,\n\nPlease find our reply attached.\n")
        if letter.pk in documents:
            filename, data, subtype = documents[letter.pk]
            maintype = "application" if subtype == "pdf" else "text"
            message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
        messages.append(message.as_bytes(policy=policy.SMTP))
    return messages


def benchmark(count: int, attachment: str) -> None:
    from django.conf import settings

    from letters.models import InboundAttachment, InboundMessage
    from letters.services import inbound
    from letters.services.inbound import mailbox_fetch
    from tests.conftest import issue_round
    from tests.dovecot import running_dovecot

    issue_round(created_by=None)
    messages = replies_to_send(count, attachment)
    size = sum(len(raw) for raw in messages)
    print(f"{count} messages, {size / 1024 / 1024:.1f} MB, attachment: {attachment}")

    # Time spent checking attachments (reading PDFs), measured around check_document.
    checking: list[float] = []
    check_document = inbound.check_document

    def timed_check(*args, **kwargs):
        started = time.perf_counter()
        try:
            return check_document(*args, **kwargs)
        finally:
            checking.append(time.perf_counter() - started)

    inbound.check_document = timed_check

    with running_dovecot() as server:
        started = time.perf_counter()
        server.append("INBOX", messages)
        print(f"appended to Dovecot in {time.perf_counter() - started:.1f} s")
        for name, value in server.django_settings("INBOX").items():
            setattr(settings, name, value)

        _reset_peak_rss()
        rss_before = _status_kb("VmRSS")
        wall, cpu = time.perf_counter(), time.process_time()
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        summary = mailbox_fetch()
        wall = time.perf_counter() - wall
        cpu = time.process_time() - cpu
        children = resource.getrusage(resource.RUSAGE_CHILDREN)  # before Dovecot is reaped

    child_cpu = (children.ru_utime - children_before.ru_utime) + (
        children.ru_stime - children_before.ru_stime
    )
    imported = InboundMessage.objects.count()
    sure = InboundMessage.objects.filter(match_confidence="sure").count()
    read = InboundAttachment.objects.exclude(extracted_text="").count()
    print(summary)
    print(f"imported {imported}, sure matches {sure}, attachments with text {read}")
    print(
        f"import: {wall:.1f} s wall, {count / wall:.1f} messages/s; "
        f"CPU {cpu:.1f} s in the importer + {child_cpu:.1f} s in PDF reader children"
    )
    if checking:
        print(
            f"check_document: {sum(checking):.1f} s in all ({sum(checking) / wall:.0%} of the "
            f"wall time), median {statistics.median(checking) * 1000:.0f} ms per attachment"
        )
    print(
        f"memory: importer peak RSS {_status_kb('VmHWM') / 1024:.0f} MB "
        f"(was {rss_before / 1024:.0f} MB before the import); each PDF reader child is "
        "capped by letters.documents.PDF_READER_MEMORY_BYTES"
    )


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak_rss() -> None:
    # Linux: writing 5 to clear_refs resets VmHWM, so the peak is the import's own.
    Path("/proc/self/clear_refs").write_text("5")


if __name__ == "__main__":
    main()
