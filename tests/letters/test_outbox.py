"""The outbox, against a real SMTP server on loopback: sent once, failures kept, fates judged."""

import socket
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from letters.models import OutboundEmail
from letters.services.outbox import (
    Attachment,
    EmailActionRefused,
    SendOutcome,
    email_mark_sent,
    email_queue,
    email_resend,
    email_send,
    outbox_recover,
)
from letters.tasks import send_email
from tests.letters.smtp_server import SMTPServer, free_port

pytestmark = pytest.mark.django_db

Status = OutboundEmail.Status


@pytest.fixture
def smtp(settings):
    with SMTPServer() as server:
        server.django_settings(settings)
        yield server.handler


def queue(key="letter:1", to="chief@kent.police.example", **fields):
    values = {"subject": "Modern slavery (our reference IASC/2019-10/KNT)", "body": "Dear Chief"}
    return email_queue(idempotency_key=key, to=[to], **(values | fields))


def abandon(email, *, handed_over: bool, settings):
    """Leave a row as a worker that died mid-send leaves it."""
    claimed = timezone.now() - timedelta(seconds=settings.OUTBOX_SENDING_LEASE + 60)
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=Status.SENDING,
        claimed_at=claimed,
        attempts=1,
        handed_over_at=claimed + timedelta(seconds=1) if handed_over else None,
    )


def test_queuing_the_same_key_again_returns_the_first_email():
    first = queue(subject="First")
    again = queue(subject="Second")
    assert again.pk == first.pk
    assert OutboundEmail.objects.get().subject == "First"


def test_a_queued_email_is_sent_once_with_its_message_id_reply_to_and_attachment(
    smtp, settings, django_capture_on_commit_callbacks
):
    settings.REPLY_MAILBOX = "replies@iasc.example.org"
    name = default_storage.save("letters/IASC-2019-10-KNT.pdf", ContentFile(b"%PDF-1.7 letter"))
    with django_capture_on_commit_callbacks(execute=True):
        email = queue(attachments=[Attachment(file=name, filename="IASC-2019-10-KNT.pdf")])

    [message] = smtp.wait_for(1)
    assert message["Message-ID"] == email.message_id
    assert message["Subject"] == "Modern slavery (our reference IASC/2019-10/KNT)"
    assert message["To"] == "chief@kent.police.example"
    assert message["Reply-To"] == "replies@iasc.example.org"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "IASC-2019-10-KNT.pdf"
    assert attachment.get_content() == b"%PDF-1.7 letter"
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.SENT, 1)
    assert email.sent_at is not None and email.handed_over_at <= email.sent_at

    assert email_send(email_id=email.pk) == SendOutcome.NOTHING_TO_DO
    assert len(smtp.received) == 1


def test_a_refused_recipient_fails_at_once_with_the_answer_and_a_resend_sends_it(
    smtp, secretariat_user, django_capture_on_commit_callbacks
):
    email = queue()
    smtp.refuse_recipients.add("chief@kent.police.example")
    # A permanent refusal is not retried, even with retries left.
    assert email_send(email_id=email.pk, may_retry=True) == SendOutcome.FAILED
    email.refresh_from_db()
    assert email.status == Status.FAILED
    assert "550" in email.last_error and "chief@kent.police.example" in email.last_error
    assert smtp.received == []

    smtp.refuse_recipients.clear()
    with django_capture_on_commit_callbacks(execute=True):
        email_resend(email=email, by=secretariat_user)
    [message] = smtp.wait_for(1)
    assert message["Message-ID"] == email.message_id
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.SENT, 2)
    resent = email.history.filter(history_change_reason="Resent").get()
    assert resent.history_user == secretariat_user


def test_a_try_later_answer_is_retried_until_the_retries_run_out(smtp):
    email = queue()
    smtp.data_replies.extend(["451 4.3.0 Try again later"] * 2)
    assert email_send(email_id=email.pk, may_retry=True) == SendOutcome.RETRY
    email.refresh_from_db()
    assert email.status == Status.QUEUED and "451" in email.last_error
    assert email_send(email_id=email.pk, may_retry=False) == SendOutcome.FAILED
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.FAILED, 2)
    assert smtp.received == []


def test_the_send_task_retries_a_try_later_answer(smtp):
    email = queue()
    smtp.data_replies.append("451 4.3.0 Try again later")
    send_email.apply(args=[email.pk])  # in-process: the retry runs at once
    smtp.wait_for(1)
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.SENT, 2)
    assert "451" in email.last_error  # kept, so the page shows what happened on the way


def test_a_mail_server_out_of_reach_is_retried_and_never_counted_as_handed_over(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    email = queue()
    assert email_send(email_id=email.pk, may_retry=True) == SendOutcome.RETRY
    email.refresh_from_db()
    assert email.status == Status.QUEUED and email.handed_over_at is None
    assert "ConnectionRefusedError" in email.last_error


@pytest.fixture
def hanging_up_server(settings):
    """A mail server that reads the whole message, then hangs up without answering."""
    listener = socket.create_server(("127.0.0.1", 0))
    got_message = threading.Event()

    def serve():
        connection, _ = listener.accept()
        with connection, connection.makefile("rb") as lines:
            connection.sendall(b"220 hangs-up.example ESMTP\r\n")
            for line in lines:
                command = line[:4].upper()
                if command == b"DATA":
                    connection.sendall(b"354 Go ahead\r\n")
                    for body_line in lines:
                        if body_line == b".\r\n":
                            got_message.set()
                            return
                elif command == b"EHLO":
                    connection.sendall(b"250 hangs-up.example\r\n")
                else:
                    connection.sendall(b"250 OK\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", listener.getsockname()[1]
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield got_message
    listener.close()


def test_a_connection_lost_after_the_message_went_over_leaves_its_fate_unknown(
    hanging_up_server,
):
    email = queue()
    assert email_send(email_id=email.pk, may_retry=True) == SendOutcome.UNKNOWN
    assert hanging_up_server.is_set()
    email.refresh_from_db()
    assert email.status == Status.UNKNOWN and email.handed_over_at is not None


def test_an_email_abandoned_before_it_was_handed_over_is_sent_once(smtp, settings):
    email = queue()
    abandon(email, handed_over=False, settings=settings)
    assert email_send(email_id=email.pk) == SendOutcome.SENT
    assert email_send(email_id=email.pk) == SendOutcome.NOTHING_TO_DO
    assert len(smtp.wait_for(1)) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.SENT, 2)


def test_an_email_abandoned_after_it_was_handed_over_is_never_resent_blindly(
    smtp, settings, secretariat_user
):
    email = queue()
    abandon(email, handed_over=True, settings=settings)
    assert email_send(email_id=email.pk) == SendOutcome.NOTHING_TO_DO
    email.refresh_from_db()
    assert email.status == Status.UNKNOWN
    assert email.message_id in email.last_error
    assert smtp.received == []

    email_mark_sent(email=email, by=secretariat_user)
    email.refresh_from_db()
    assert email.status == Status.SENT and email.sent_at == email.handed_over_at
    confirmed = email.history.filter(history_change_reason="Confirmed as sent").get()
    assert confirmed.history_user == secretariat_user


def test_a_send_still_within_its_lease_is_left_to_its_worker(smtp):
    email = queue()
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=Status.SENDING, claimed_at=timezone.now()
    )
    assert email_send(email_id=email.pk) == SendOutcome.NOTHING_TO_DO
    assert outbox_recover() == {"queued": 0, "unknown": 0}
    email.refresh_from_db()
    assert email.status == Status.SENDING and smtp.received == []


def test_the_recovery_sweep_sends_again_only_what_never_went_over(
    smtp, settings, django_capture_on_commit_callbacks
):
    never_went, went = queue(key="letter:1"), queue(key="letter:2", to="chief@essex.example")
    abandon(never_went, handed_over=False, settings=settings)
    abandon(went, handed_over=True, settings=settings)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_recover() == {"queued": 1, "unknown": 1}
    [message] = smtp.wait_for(1)
    assert message["To"] == "chief@kent.police.example"
    assert OutboundEmail.objects.get(pk=went.pk).status == Status.UNKNOWN


def test_only_failed_or_unchecked_emails_can_be_resent_and_only_unchecked_marked_sent(
    secretariat_user,
):
    email = queue()
    with pytest.raises(EmailActionRefused):
        email_resend(email=email, by=secretariat_user)
    with pytest.raises(EmailActionRefused):
        email_mark_sent(email=email, by=secretariat_user)
    OutboundEmail.objects.filter(pk=email.pk).update(status=Status.FAILED)
    with pytest.raises(EmailActionRefused):
        email_mark_sent(email=email, by=secretariat_user)


# The outbox page


def test_the_outbox_shows_each_emails_status_attempts_and_last_error(secretariat_client):
    sent, failed = queue(key="a", subject="Letter to Kent"), queue(key="b", subject="To Essex")
    OutboundEmail.objects.filter(pk=sent.pk).update(status=Status.SENT, attempts=1)
    OutboundEmail.objects.filter(pk=failed.pk).update(
        status=Status.FAILED, attempts=3, last_error="The mail server answered 550 No such mailbox"
    )
    page = secretariat_client.get(reverse("letters:outbox")).content.decode()
    assert "Letter to Kent" in page and "To Essex" in page
    assert "550 No such mailbox" in page

    only_failed = secretariat_client.get(reverse("letters:outbox"), {"status": "failed"})
    assert [email.subject for email in only_failed.context["page"]] == ["To Essex"]
    assert only_failed.context["counts"]["failed"] == 1
    assert "Resend" in only_failed.content.decode()


@pytest.mark.parametrize("emails", [1, 20])
def test_the_outbox_runs_a_constant_number_of_queries(
    secretariat_client, django_assert_max_num_queries, emails
):
    for n in range(emails):
        queue(key=f"letter:{n}", attachments=[Attachment(file="x.pdf", filename="x.pdf")])
    with django_assert_max_num_queries(9):
        response = secretariat_client.get(reverse("letters:outbox"))
    assert len(response.context["page"]) == emails


def test_resend_and_mark_as_sent_from_the_outbox(
    secretariat_client, django_capture_on_commit_callbacks
):
    failed, unknown = queue(key="a"), queue(key="b", subject="Unknown fate")
    OutboundEmail.objects.filter(pk=failed.pk).update(status=Status.FAILED)
    OutboundEmail.objects.filter(pk=unknown.pk).update(
        status=Status.UNKNOWN, handed_over_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = secretariat_client.post(
            reverse("letters:outbox_resend", args=[failed.pk]), {"status": "failed"}
        )
    assert response["Location"] == reverse("letters:outbox") + "?status=failed"
    assert OutboundEmail.objects.get(pk=failed.pk).status == Status.SENT
    assert len(mail.outbox) == 1

    secretariat_client.post(reverse("letters:outbox_mark_sent", args=[unknown.pk]))
    assert OutboundEmail.objects.get(pk=unknown.pk).status == Status.SENT
    assert len(mail.outbox) == 1

    again = secretariat_client.post(
        reverse("letters:outbox_mark_sent", args=[unknown.pk]), follow=True
    )
    assert "only an email that needs checking can be marked as sent" in again.content.decode()


def test_outbox_actions_refuse_a_post_without_the_csrf_token(secretariat_user):
    email = queue()
    OutboundEmail.objects.filter(pk=email.pk).update(status=Status.FAILED)
    client = Client(enforce_csrf_checks=True)
    client.force_login(secretariat_user)
    assert client.post(reverse("letters:outbox_resend", args=[email.pk])).status_code == 403
    assert OutboundEmail.objects.get(pk=email.pk).status == Status.FAILED
