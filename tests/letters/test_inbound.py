"""Importing inbound email: stored once, read as far as it can be, matched, then decided."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from forces.models import ForceDomain
from letters.models import InboundMessage, Letter, OutboundEmail, Reply
from letters.selectors.tracker import tracker_rows
from letters.services.inbound import (
    BODY_DOCUMENT_NAME,
    MessageNotOpen,
    message_confirm,
    message_dismiss,
    message_file,
    message_import,
)
from letters.services.replies import reply_log
from tests.conftest import issue_round, text_document
from tests.letters.inbound_emails import (
    OUR_MESSAGE_ID,
    bounce,
    email,
    pdf,
    reply_with_pdf,
)

pytestmark = pytest.mark.django_db

Status = InboundMessage.Status
Method = InboundMessage.MatchMethod
Confidence = InboundMessage.Confidence


def imported(raw: bytes) -> InboundMessage:
    message, created = message_import(raw=raw, source=InboundMessage.Source.COMMAND)
    assert created
    return message


@pytest.fixture
def avs(issued_round) -> Letter:
    return issued_round.letters.get(force__code="avon-somerset")


# Storing once --------------------------------------------------------------------------


def test_the_message_is_kept_byte_for_byte_with_its_headers_read(avs):
    raw = reply_with_pdf(message_id="<reply-1@avonandsomerset.police.uk>")

    message = imported(raw)

    with message.raw.open("rb") as stored:
        assert stored.read() == raw
    assert message.message_id == "<reply-1@avonandsomerset.police.uk>"
    assert message.from_address == "cc.office@avonandsomerset.police.uk"
    assert message.from_name == "Chief Constable's Office"
    assert message.subject == "RE: IASC/2019-10/AVS Modern slavery"
    assert message.body_text == "Dear Commissioner,\n\nPlease find our reply attached."
    assert message.kind == InboundMessage.Kind.REPLY
    assert message.status == Status.AWAITING
    assert message.problem_list == []


def test_the_date_keeps_the_senders_offset_and_the_header_as_written(avs):
    message = imported(email(date="Mon, 28 Oct 2019 09:15:00 +0100"))

    assert message.date_header == "Mon, 28 Oct 2019 09:15:00 +0100"
    message.refresh_from_db()
    assert message.sent_at == datetime(2019, 10, 28, 8, 15, tzinfo=UTC)
    assert message.sent_at_sender_time.utcoffset() == timedelta(hours=1)
    assert message.sent_at_sender_time.hour == 9


def test_the_same_message_is_imported_once(avs):
    raw = reply_with_pdf(message_id="<once@avonandsomerset.police.uk>")
    first, created = message_import(raw=raw, source=InboundMessage.Source.UPLOAD)
    again, created_again = message_import(raw=raw, source=InboundMessage.Source.COMMAND)

    assert created and not created_again
    assert again == first
    assert InboundMessage.objects.count() == 1
    assert first.attachments.count() == 1


def test_a_message_id_seen_before_is_not_imported_again_even_with_other_bytes(avs):
    message_import(raw=email(message_id="<same@x>"), source=InboundMessage.Source.UPLOAD)
    # The same message forwarded as a file by a colleague: other headers, same Message-ID.
    second, created = message_import(
        raw=email(message_id="<same@x>", headers={"X-Forwarded": "yes"}),
        source=InboundMessage.Source.UPLOAD,
    )

    assert not created
    assert InboundMessage.objects.count() == 1


def test_an_import_that_loses_a_race_returns_the_winner_and_leaves_no_file(avs, monkeypatch):
    from letters.services import inbound

    raw = email(message_id="<raced@x>")
    winner = imported(raw)
    real_find = inbound.find_imported
    calls = []

    def checked_before_the_winner_committed(**kwargs):
        calls.append(kwargs)
        return None if len(calls) == 1 else real_find(**kwargs)

    monkeypatch.setattr(inbound, "find_imported", checked_before_the_winner_committed)

    loser, created = message_import(raw=raw, source=InboundMessage.Source.UPLOAD)

    assert not created and loser == winner
    assert list(Path(winner.raw.storage.path("inbound")).rglob("*.eml")) == [Path(winner.raw.path)]


def test_messages_without_a_message_id_are_known_by_their_bytes(avs):
    raw = email(message_id=None, body="First.")
    message_import(raw=raw, source=InboundMessage.Source.UPLOAD)
    _, again = message_import(raw=raw, source=InboundMessage.Source.UPLOAD)
    _, other = message_import(
        raw=email(message_id=None, body="Second."), source=InboundMessage.Source.UPLOAD
    )

    assert not again and other
    assert InboundMessage.objects.filter(message_id="").count() == 2


# Matching ------------------------------------------------------------------------------


def test_a_reference_in_the_subject_is_a_sure_match(avs):
    message = imported(email(subject="RE: IASC/2019-10/AVS Modern slavery"))

    assert message.letter == avs
    assert message.match_method == Method.REFERENCE
    assert message.match_confidence == Confidence.SURE
    assert message.is_sure_match
    assert message.match_note == "IASC/2019-10/AVS is quoted in the subject"


@pytest.mark.parametrize(
    "quoted",
    ["iasc / 2019-10 / avs", "IASC/2019\u201310/AVS", "Iasc/2019-10/Avs.", "(IASC/2019-10/AVS/1)"],
)
def test_a_reference_in_the_body_is_found_whatever_its_spacing_and_case(avs, quoted):
    message = imported(
        email(subject="Your letter", body=f"Dear Commissioner,\nYour ref: {quoted}\nThanks")
    )

    assert message.letter == avs
    assert message.match_confidence == Confidence.SURE
    assert "is quoted in the body" in message.match_note


def test_a_reference_only_in_the_attached_letter_is_found(avs):
    message = imported(
        email(
            subject="Modern slavery",
            body="Please see attached.",
            sender="someone@example.com",
            attachments=(("reply.pdf", pdf("Our reference: IASC/2019-10/AVS"), "application/pdf"),),
        )
    )

    assert message.letter == avs
    assert message.match_confidence == Confidence.SURE
    assert message.match_note == "IASC/2019-10/AVS is quoted in the attachment ‘reply.pdf’"


def test_a_longer_reference_with_the_same_start_is_not_taken_for_another(issued_round):
    # IASC/2019-10/AV is no letter: the AVS reference must not match a shorter one.
    message = imported(email(subject="IASC/2019-10/AVSX", sender="someone@example.com"))

    assert message.letter is None
    assert message.match_method == Method.NONE


def test_two_references_need_a_person_to_choose(issued_round):
    message = imported(email(subject="IASC/2019-10/AVS and IASC/2019-10/KNT"))

    assert message.letter.reference == "IASC/2019-10/AVS"
    assert message.match_method == Method.REFERENCE
    assert message.match_confidence == Confidence.POSSIBLE
    assert not message.is_sure_match


@pytest.mark.parametrize(
    "sender", ["cc@avonandsomerset.police.uk", "cc@mail.AvonAndSomerset.police.uk"]
)
def test_without_a_reference_the_senders_domain_suggests_the_forces_open_letter(avs, sender):
    message = imported(email(subject="Your letter of October", sender=sender))

    assert message.letter == avs
    assert message.match_method == Method.SENDER_DOMAIN
    assert message.match_confidence == Confidence.LIKELY
    assert not message.is_sure_match


def test_any_of_a_forces_domains_is_recognised(avs):
    ForceDomain.objects.create(force=avs.force, domain="asc.pnn.police.uk")

    message = imported(email(subject="Letter", sender="office@asc.pnn.police.uk"))

    assert message.letter == avs


def test_a_domain_that_only_ends_like_a_forces_is_not_the_force(avs):
    message = imported(email(subject="Letter", sender="x@notavonandsomerset.police.uk"))

    assert message.letter is None


def test_with_several_open_letters_the_latest_is_only_possible(issued_round, secretariat_user):
    later = issue_round(
        created_by=secretariat_user, reference_prefix="IASC/2020-03", issued_on=date(2020, 3, 2)
    )

    message = imported(email(subject="Letter", sender="cc@avonandsomerset.police.uk"))

    assert message.letter == later.letters.get(force__code="avon-somerset")
    assert message.match_confidence == Confidence.POSSIBLE


def test_a_force_with_no_letter_awaiting_a_reply_is_not_matched(avs, secretariat_user):
    reply_log(
        letter=avs,
        kind=Reply.Kind.FULL,
        received_on=date(2019, 11, 1),
        channel="post",
        from_name="CC",
        documents=[text_document("Our reply.")],
        logged_by=secretariat_user,
    )

    message = imported(email(subject="A further note", sender="cc@avonandsomerset.police.uk"))

    assert message.letter is None
    assert "Avon and Somerset Constabulary" in message.match_note


# Automatic messages ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        email(subject="Automatic reply: IASC/2019-10/AVS Modern slavery"),
        email(subject="RE: IASC/2019-10/AVS", headers={"Auto-Submitted": "auto-replied"}),
    ],
)
def test_an_out_of_office_reply_is_filed_not_logged(avs, raw):
    message = imported(raw)

    assert message.kind == InboundMessage.Kind.AUTO_REPLY
    assert message.status == Status.FILED
    assert message.letter == avs
    assert not Reply.objects.exists()


def _sent_email(letter: Letter, message_id: str = OUR_MESSAGE_ID) -> OutboundEmail:
    # Built by hand: the outbox's sending service lives on another branch.
    return OutboundEmail.objects.create(
        idempotency_key=f"letter-{letter.pk}",
        letter=letter,
        to="chief.constable@avonandsomerset.police.uk",
        subject=f"{letter.reference} Modern slavery",
        body="Please find the letter attached.",
        message_id=message_id,
        status=OutboundEmail.Status.SENT,
    )


def test_a_bounce_marks_our_email_failed_with_the_reason_and_shows_on_the_tracker(avs):
    sent = _sent_email(avs)

    message = imported(bounce(original_message_id=OUR_MESSAGE_ID))

    sent.refresh_from_db()
    assert sent.status == OutboundEmail.Status.FAILED
    assert "chief.constable@avonandsomerset.police.uk" in sent.last_error
    assert "User unknown" in sent.last_error
    assert message.kind == InboundMessage.Kind.BOUNCE
    assert message.status == Status.FILED
    assert message.bounced_email == sent
    assert message.letter == avs
    rows = {row.reference: row for row in tracker_rows(round=avs.round)}
    assert rows[avs.reference].email_bounced
    assert not rows["IASC/2019-10/KNT"].email_bounced


def test_a_bounce_without_our_message_id_is_matched_by_recipient_and_letter(avs):
    sent = _sent_email(avs, message_id="<other-id@iasc.example.org>")

    message = imported(bounce(original_message_id="<unknown@elsewhere>"))

    sent.refresh_from_db()
    assert sent.status == OutboundEmail.Status.FAILED
    assert message.bounced_email == sent


def test_a_bounce_of_nothing_we_sent_waits_for_a_person(avs):
    message = imported(bounce(recipient="nobody@example.com", original_message_id="<x@y>"))

    assert message.kind == InboundMessage.Kind.BOUNCE
    assert message.status == Status.AWAITING
    assert "no email in the outbox matches this delivery failure" in message.problem_list


# Bad input ------------------------------------------------------------------------------


def test_malformed_mime_is_imported_with_the_problem_shown(avs):
    raw = (
        b"From: cc@avonandsomerset.police.uk\r\nSubject: IASC/2019-10/AVS\r\n"
        b"Message-ID: <broken@x>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nOur reply, cut short"
    )

    message = imported(raw)

    assert message.letter == avs
    assert "Our reply, cut short" in message.body_text
    assert any("not closed" in problem for problem in message.problem_list)


def test_an_unknown_charset_is_read_and_reported(avs):
    raw = (
        b"From: cc@avonandsomerset.police.uk\r\nSubject: IASC/2019-10/AVS\r\n"
        b"Message-ID: <charset@x>\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\n"
        b"We replied on time \xe2\x80\x93 and in full."
    )

    message = imported(raw)

    assert message.body_text == "We replied on time \u2013 and in full."
    assert message.problem_list == ["unknown charset x-klingon: decoded as UTF-8 with replacements"]


def test_an_attachment_over_the_upload_limit_is_refused_and_the_rest_kept(avs, settings):
    settings.REPLY_DOCUMENT_MAX_BYTES = 5000
    raw = email(
        attachments=(
            ("huge.txt", b"x " * 5000, "text/plain"),
            ("reply.txt", b"Our reply in full.", "text/plain"),
        )
    )

    message = imported(raw)

    huge, kept = message.attachments.all()
    assert huge.problem == "‘huge.txt’ is 9.8 KB; the limit is 4.9 KB."
    assert not huge.file and not huge.accepted
    assert kept.accepted and kept.extracted_text == "Our reply in full."


def test_an_attachment_that_claims_one_type_and_is_another_is_refused(avs):
    message = imported(
        email(attachments=(("reply.pdf", b"MZ\x90\x00 a program", "application/pdf"),))
    )

    refused = message.attachments.get()
    assert refused.problem == "‘reply.pdf’ is not a PDF: its content is a Windows program."
    assert refused.declared_type == "application/pdf"
    assert refused.detected_type == ""
    assert message.status == Status.AWAITING


def test_a_declared_type_the_content_belies_is_noted(avs):
    message = imported(email(attachments=(("reply", b"Our reply in words.", "application/pdf"),)))

    attachment = message.attachments.get()
    assert attachment.accepted
    assert attachment.detected_type == "text/plain; charset=utf-8"
    assert attachment.note_list == [
        "‘reply’ was sent as application/pdf, but its content is plain text."
    ]


def test_a_message_with_no_body_is_imported_and_says_so(avs):
    message = imported(
        email(body=None, attachments=(("reply.pdf", pdf("Reply"), "application/pdf"),))
    )

    assert message.body_text == ""
    assert "no body" in message.problem_list
    assert message.attachments.get().accepted


def test_inline_logos_are_not_attachments(avs):
    logo = (
        b"--X\r\nContent-Type: image/png\r\nContent-ID: <logo>\r\nContent-Disposition: inline\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--X--\r\n"
    )
    raw = (
        b"From: cc@avonandsomerset.police.uk\r\nSubject: IASC/2019-10/AVS\r\n"
        b"Message-ID: <l@x>\r\nContent-Type: multipart/related; boundary=X\r\n\r\n"
        b"--X\r\nContent-Type: text/plain\r\n\r\nOur reply.\r\n" + logo
    )

    message = imported(raw)

    assert message.attachments.count() == 0
    assert message.problem_list == []


# Deciding ------------------------------------------------------------------------------


def test_confirming_logs_an_email_reply_with_the_attachments_and_the_date_sent(
    avs, secretariat_user
):
    message = imported(
        reply_with_pdf("We have trained 40 officers.", date="Fri, 1 Nov 2019 00:30:00 +0100")
    )

    reply = message_confirm(
        message=message, letter=message.letter, kind=Reply.Kind.FULL, by=secretariat_user
    )

    assert reply.channel == Reply.Channel.EMAIL
    assert reply.from_name == "Chief Constable's Office <cc.office@avonandsomerset.police.uk>"
    assert reply.received_at == datetime(2019, 10, 31, 23, 30, tzinfo=UTC)
    assert reply.received_on == date(2019, 10, 31)  # the office's day, in London
    assert [document.original_name for document in reply.documents.all()] == ["reply.pdf"]
    assert "We have trained 40 officers." in reply.text
    assert reply.logged_by == secretariat_user
    message.refresh_from_db()
    assert message.status == Status.CONFIRMED
    assert message.reply == reply
    assert message.decided_by == secretariat_user
    avs.refresh_from_db()
    assert avs.status == Letter.Status.REPLIED


def test_a_reply_written_in_the_email_keeps_its_text_without_the_quoted_letter(
    avs, secretariat_user
):
    body = (
        "Dear Commissioner,\n\nWe have trained 40 officers in modern slavery.\n\nJane Smith\n\n"
        "From: IASC Replies <replies@iasc.example.org>\nSent: 11 October 2019 09:00\n"
        "To: Chief Constable\nSubject: IASC/2019-10/AVS Modern slavery\n\n"
        "Please tell me how your force is organised to investigate modern slavery."
    )
    message = imported(email(body=body))

    reply = message_confirm(
        message=message, letter=message.letter, kind=Reply.Kind.FULL, by=secretariat_user
    )

    document = reply.documents.get()
    assert document.original_name == BODY_DOCUMENT_NAME
    assert document.content_type == "text/plain; charset=utf-8"
    assert reply.text == (
        "Dear Commissioner,\n\nWe have trained 40 officers in modern slavery.\n\nJane Smith"
    )
    with document.file.open("rb") as stored:
        assert stored.read().decode() == reply.text


def test_a_person_can_pick_another_letter_and_keep_the_body_too(
    issued_round, avs, secretariat_user
):
    kent = issued_round.letters.get(force__code="kent")
    message = imported(reply_with_pdf(subject="Letter", sender="someone@example.com"))
    assert message.letter is None

    reply = message_confirm(
        message=message,
        letter=kent,
        kind=Reply.Kind.HOLDING,
        by=secretariat_user,
        include_body=True,
    )

    assert reply.letter == kent
    assert [document.original_name for document in reply.documents.all()] == [
        BODY_DOCUMENT_NAME,
        "reply.pdf",
    ]
    kent.refresh_from_db()
    assert kent.status == Letter.Status.HOLDING
    message.refresh_from_db()
    assert message.letter == kent


def test_a_date_in_the_future_gives_way_to_the_time_of_import(avs, secretariat_user):
    message = imported(email(date="Sat, 1 Jan 2050 09:00:00 +0000"))

    reply = message_confirm(message=message, letter=avs, kind=Reply.Kind.FULL, by=secretariat_user)

    assert reply.received_at == message.imported_at


def test_an_email_with_nothing_to_keep_cannot_be_logged(avs, secretariat_user):
    message = imported(email(body=None))

    with pytest.raises(ValidationError, match="no text"):
        message_confirm(message=message, letter=avs, kind=Reply.Kind.FULL, by=secretariat_user)
    assert not Reply.objects.exists()


def test_a_message_is_decided_once(avs, secretariat_user):
    message = imported(email())
    message_confirm(message=message, letter=avs, kind=Reply.Kind.FULL, by=secretariat_user)

    with pytest.raises(MessageNotOpen):
        message_confirm(message=message, letter=avs, kind=Reply.Kind.FULL, by=secretariat_user)
    with pytest.raises(MessageNotOpen):
        message_dismiss(message=message, by=secretariat_user)
    assert Reply.objects.count() == 1


def test_filed_messages_can_still_be_logged_and_dismissed_ones_cannot(avs, secretariat_user):
    filed = message_file(message=imported(email()), by=secretariat_user)
    dismissed = message_dismiss(message=imported(email()), by=secretariat_user)

    assert filed.status == Status.FILED and filed.decided_by == secretariat_user
    assert dismissed.status == Status.DISMISSED
    message_confirm(message=filed, letter=avs, kind=Reply.Kind.FULL, by=secretariat_user)
    with pytest.raises(MessageNotOpen):
        message_confirm(message=dismissed, letter=avs, kind=Reply.Kind.FULL, by=secretariat_user)


# import_mail ---------------------------------------------------------------------------


def test_import_mail_prints_each_files_letter_or_unmatched(avs, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    sure = tmp_path / "sure.eml"
    sure.write_bytes(reply_with_pdf())
    domain = tmp_path / "domain.eml"
    domain.write_bytes(email(subject="Our answer", sender="cc@avonandsomerset.police.uk"))
    stranger = tmp_path / "stranger.eml"
    stranger.write_bytes(email(subject="Hello", sender="someone@example.com"))
    out = StringIO()

    call_command("import_mail", str(sure), str(domain), str(stranger), stdout=out)
    call_command("import_mail", str(sure), stdout=out)

    assert out.getvalue().splitlines() == [
        f"{sure}: IASC/2019-10/AVS",
        f"{domain}: IASC/2019-10/AVS (sender's domain, likely)",
        f"{stranger}: unmatched",
        f"{sure}: IASC/2019-10/AVS (already imported)",
    ]
    assert set(InboundMessage.objects.values_list("source", flat=True)) == {"command"}


def test_import_mail_refuses_files_that_are_not_emails_and_imports_the_rest(avs, tmp_path):
    from io import StringIO

    from django.core.management import CommandError, call_command

    notes = tmp_path / "notes.eml"
    notes.write_bytes(b"Just notes.")
    good = tmp_path / "good.eml"
    good.write_bytes(email())
    err = StringIO()

    with pytest.raises(CommandError, match="2 of 3 file"):
        call_command(
            "import_mail", str(notes), str(tmp_path / "missing.eml"), str(good), stderr=err
        )

    assert f"{notes}: not an email" in err.getvalue()
    assert "missing.eml: cannot be read" in err.getvalue()
    assert InboundMessage.objects.count() == 1
