"""Reading the reply mailbox from a real IMAP server: a throwaway Dovecot on loopback."""

import uuid
from contextlib import suppress
from email.utils import make_msgid

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from imapclient import IMAPClient

from letters.mail import parse_message
from letters.models import InboundMessage, JobRun, MailboxCursor
from letters.services.inbound import find_imported, message_import, usable_message_id
from letters.tasks import fetch_replies
from tests.dovecot import running_dovecot
from tests.letters.inbound_emails import email, reply_with_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def dovecot():
    with running_dovecot() as server:
        yield server


class ReplyFolder:
    """One folder of the throwaway server, which the settings point fetch_replies at."""

    def __init__(self, server, folder: str):
        self.server = server
        self.folder = folder

    def append(self, *messages: bytes) -> list[int]:
        return self.server.append(self.folder, list(messages))

    def stored(self, uid: int) -> bytes:
        with self.server.client() as client:
            client.select_folder(self.folder, readonly=True)
            return client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]

    def uidvalidity(self) -> int:
        with self.server.client() as client:
            return client.select_folder(self.folder, readonly=True)[b"UIDVALIDITY"]

    def recreate(self) -> None:
        with self.server.client() as client:
            client.delete_folder(self.folder)
            client.create_folder(self.folder)


def point_settings_at(settings, server, folder: str) -> None:
    for name, value in server.django_settings(folder).items():
        setattr(settings, name, value)


@pytest.fixture
def mailbox(dovecot, settings):
    folder = f"Replies-{uuid.uuid4().hex[:8]}"
    point_settings_at(settings, dovecot, folder)
    box = ReplyFolder(dovecot, folder)
    with dovecot.client() as client:
        client.create_folder(folder)
    return box


def fetch(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("fetch_replies", *args, stdout=out)
    return out.getvalue()


def test_new_messages_are_imported_once_with_their_place_in_the_mailbox(mailbox, issued_round):
    reply = reply_with_pdf(message_id="<r1@avonandsomerset.police.uk>")
    away = email(subject="Automatic reply: IASC/2019-10/AVS", message_id="<ooo@x>")
    first, second = mailbox.append(reply, away)

    out = fetch()

    assert f"UID {first}: IASC/2019-10/AVS\n" in out
    assert f"UID {second}: IASC/2019-10/AVS [automatic reply]\n" in out
    assert "2 new message(s)" in out and "1 awaiting review, 1 filed" in out
    message = InboundMessage.objects.get(message_id="<r1@avonandsomerset.police.uk>")
    assert message.source == InboundMessage.Source.IMAP
    assert (message.imap_folder, message.imap_uidvalidity, message.imap_uid) == (
        mailbox.folder,
        mailbox.uidvalidity(),
        first,
    )
    with message.raw.open("rb") as stored:
        assert stored.read() == mailbox.stored(first) == reply
    assert message.attachments.get().detected_kind == "pdf"

    assert "0 new message(s)" in fetch()
    (third,) = mailbox.append(email(subject="IASC/2019-10/KNT"))
    assert f"UID {third}: IASC/2019-10/KNT" in fetch()
    assert InboundMessage.objects.count() == 3


def test_reading_leaves_the_mailbox_as_it_was(mailbox, issued_round):
    (uid,) = mailbox.append(email())

    fetch()

    with mailbox.server.client() as client:
        client.select_folder(mailbox.folder, readonly=True)
        assert b"\\Seen" not in client.get_flags([uid])[uid]  # not marked as read


def test_a_mailbox_read_again_from_the_start_imports_nothing_twice(mailbox, issued_round):
    mailbox.append(email(), email(message_id=None, body="No Message-ID here."))
    fetch()
    MailboxCursor.objects.all().delete()

    out = fetch()

    assert "0 new message(s)" in out and "2 already imported" in out
    assert InboundMessage.objects.count() == 2


def test_a_new_uidvalidity_imports_nothing_twice(mailbox, issued_round):
    messages = [email(), email(message_id=None, body="No Message-ID here.")]
    mailbox.append(*messages)
    fetch()
    old_validity = mailbox.uidvalidity()
    mailbox.recreate()  # the server renumbered the folder: every UID is new
    mailbox.append(*messages)

    out = fetch()

    assert mailbox.uidvalidity() != old_validity
    assert "0 new message(s)" in out and "2 already imported" in out
    assert InboundMessage.objects.count() == 2


def test_a_limited_run_counts_new_messages_and_leaves_the_rest_for_the_next(mailbox, issued_round):
    uploaded = [email(message_id=f"<uploaded-{n}@x>") for n in range(2)]
    for raw in uploaded:  # saved and uploaded by hand before the mailbox was read
        message_import(raw=raw, source=InboundMessage.Source.UPLOAD)
    mailbox.append(uploaded[0], email(), uploaded[1], email(), email())

    first = fetch("--limit", "1")
    second = fetch("--limit", "2")

    assert "1 new message(s)" in first and "2 already imported" in first
    assert "2 new message(s)" in second and "0 already imported" in second
    assert "0 new message(s)" in fetch()
    assert InboundMessage.objects.filter(source=InboundMessage.Source.IMAP).count() == 3


def test_each_bad_message_is_imported_as_far_as_it_can_be_and_none_is_lost(
    mailbox, issued_round, settings
):
    settings.REPLY_DOCUMENT_MAX_BYTES = 5000
    bad = {
        "malformed MIME": b"From: cc@kent.police.uk\r\nSubject: IASC/2019-10/KNT\r\n"
        b"Message-ID: <mime@x>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nOur reply, cut short",
        "unknown charset": b"From: cc@kent.police.uk\r\nSubject: IASC/2019-10/KNT\r\n"
        b"Message-ID: <charset@x>\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\n"
        b"Our reply \xe2\x80\x93 in full.",
        "huge attachment": email(attachments=(("huge.txt", b"x " * 5000, "text/plain"),)),
        "lying attachment": email(attachments=(("reply.pdf", b"MZ program", "application/pdf"),)),
        "no body": email(body=None),
    }
    good = [reply_with_pdf(message_id=f"<good-{n}@x>") for n in range(2)]
    mailbox.append(good[0], *bad.values(), good[1])

    out = fetch()

    assert "7 new message(s)" in out
    problems = {
        name: InboundMessage.objects.get(raw_sha256=_sha256(raw)).problem_list
        + [a.problem for a in InboundMessage.objects.get(raw_sha256=_sha256(raw)).attachments.all()]
        for name, raw in bad.items()
    }
    assert any("not closed" in problem for problem in problems["malformed MIME"])
    assert (
        "unknown charset x-klingon: decoded as UTF-8 with replacements"
        in problems["unknown charset"]
    )
    assert "‘huge.txt’ is 9.8 KB; the limit is 4.9 KB." in problems["huge attachment"]
    assert (
        "‘reply.pdf’ is not a PDF: its content is a Windows program."
        in problems["lying attachment"]
    )
    assert "no body" in problems["no body"]
    for n in range(2):
        intact = InboundMessage.objects.get(message_id=f"<good-{n}@x>")
        assert intact.problem_list == [] and intact.is_sure_match
        assert intact.attachments.get().accepted


def _sha256(raw: bytes) -> str:
    import hashlib

    return hashlib.sha256(raw).hexdigest()


# Fuzzing: damaged messages never stop the batch or cost a well-formed one -----------------

damage = st.one_of(
    st.tuples(st.just("cut"), st.floats(0, 1)),
    st.tuples(st.just("insert"), st.floats(0, 1), st.binary(min_size=1, max_size=40)),
    st.tuples(st.just("delete"), st.floats(0, 1), st.integers(1, 80)),
    st.tuples(
        st.just("header"),
        st.sampled_from(
            [
                b'Content-Type: multipart/mixed; boundary=""',
                b"Content-Type: text/plain; charset=utf-7",
                b"Content-Type: text/plain; charset=unicode_escape",
                b"Content-Transfer-Encoding: base64",
                b"Content-Transfer-Encoding: x-uuencode",
                b"Date: Fri, 31 Feb 99999 25:61:61 +9999",
                b"Date: Sat, 1 Jan 0001 00:00:00 +2359",
                b"From: =?utf-8?b?!!!?= <@@>",
                b"Subject: =?x-foo?q?=FF?= IASC / 2019-10 / avs",
                b"Message-ID: <" + b"x" * 600 + b">",
                b"Message-ID: <shared@example.org>",
                b"Auto-Submitted: auto-replied",
                b"Content-Disposition: attachment; filename*=utf-8''%E2%80%93%ZZ.pdf",
            ]
        ),
    ),
)
malformed_messages = st.one_of(
    st.binary(min_size=1, max_size=500),
    st.tuples(
        st.sampled_from(["pdf", "txt", "nested", "html"]), st.lists(damage, min_size=1, max_size=4)
    ),
)


def _damaged(spec) -> bytes:
    if isinstance(spec, bytes):
        return spec
    base, damages = spec
    raw = {
        "pdf": reply_with_pdf(message_id=None),
        "txt": email(attachments=(("r.txt", b"Our reply.", "text/plain"),), message_id=None),
        "nested": email(attachments=(("fwd.eml", email(), "message/rfc822"),), message_id=None),
        "html": email(message_id=None, body=None, headers={"Content-Type": "text/html"}),
    }[base]
    for change in damages:
        at = int(change[1] * len(raw)) if change[0] != "header" else 0
        if change[0] == "cut":
            raw = raw[:at]
        elif change[0] == "insert":
            raw = raw[:at] + change[2] + raw[at:]
        elif change[0] == "delete":
            raw = raw[:at] + raw[at + change[2] :]
        else:
            raw = change[1] + b"\r\n" + raw
    return raw or b"x"


@settings(
    max_examples=2,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(batch=st.lists(malformed_messages, min_size=250, max_size=250))
def test_damaged_messages_never_stop_the_batch_nor_lose_a_well_formed_one(
    dovecot, settings, issued_round, batch
):
    folder = f"Fuzz-{uuid.uuid4().hex[:8]}"
    point_settings_at(settings, dovecot, folder)
    well_formed = {make_msgid(domain="avonandsomerset.police.uk"): None for _ in range(5)}
    raws = [_damaged(spec) for spec in batch]
    for position, message_id in enumerate(well_formed):
        raws.insert(position * 30, reply_with_pdf(message_id=message_id))
    with dovecot.client() as client:
        client.create_folder(folder)
        for raw in raws:
            with suppress(IMAPClient.Error):  # refused by the server: it never reaches us
                client.append(folder, raw)

    fetch()  # raises if the importer did

    validity = ReplyFolder(dovecot, folder).uidvalidity()
    with dovecot.client() as client:
        client.select_folder(folder, readonly=True)
        in_mailbox = client.fetch(client.search(["ALL"]), ["BODY.PEEK[]"])
    cursor = MailboxCursor.objects.get(folder=folder, uidvalidity=validity)
    assert cursor.last_uid == max(in_mailbox)
    for found in in_mailbox.values():  # every message is kept, or one it duplicates
        raw = found[b"BODY[]"]
        message_id = usable_message_id(parse_message(raw).message_id)
        assert find_imported(message_id=message_id, raw_sha256=_sha256(raw)) is not None
    for message_id in well_formed:
        message = InboundMessage.objects.get(message_id=message_id)
        assert message.letter.reference == "IASC/2019-10/AVS" and message.is_sure_match
        assert message.problem_list == []
        assert message.attachments.get().extracted_text.startswith("Modern slavery")
    assert JobRun.objects.filter(name="fetch_replies", succeeded=True).exists()


# Configuration and the beat task ---------------------------------------------------------


def test_the_beat_task_imports_with_the_settings_limit(mailbox, issued_round, settings):
    from django.conf import settings as django_settings

    settings.IMAP_FETCH_LIMIT = 1
    mailbox.append(email(), email())

    summary = fetch_replies.apply().get()

    assert summary.startswith(f"1 new message(s) from {mailbox.folder}")
    assert django_settings.CELERY_BEAT_SCHEDULE["fetch-replies"]["task"] == fetch_replies.name
    run = JobRun.objects.get(name="fetch_replies")
    assert run.succeeded and run.summary == summary


def test_the_task_does_nothing_without_a_mailbox(settings):
    settings.IMAP_HOST = ""

    assert fetch_replies.apply().get() == "IMAP_HOST is not set: no mailbox to read."
    assert not JobRun.objects.exists()


def test_the_command_explains_a_missing_or_wrong_configuration(mailbox, settings):
    settings.IMAP_PASSWORD = "wrong"
    with pytest.raises(CommandError, match="Could not read the reply mailbox"):
        fetch()
    assert JobRun.objects.get().succeeded is False

    settings.IMAP_HOST = ""
    with pytest.raises(CommandError, match="Set IMAP_HOST"):
        fetch()


def test_a_password_is_never_sent_in_clear_beyond_loopback(settings):
    settings.IMAP_HOST = "imap.example.org"
    settings.IMAP_SECURITY = "none"

    with pytest.raises(CommandError, match="allowed only on loopback"):
        fetch()
