"""End to end with real services: Celery workers on Redis, a real SMTP server, the test database.

Workers run in their own processes and see the test database (PostgreSQL, or the SQLite file),
so these tests commit their data (transactional); tests/conftest.py puts the migrated rows back.
"""

import io
import uuid
from datetime import timedelta

import pytest
import redis
from django.utils import timezone
from pypdf import PdfReader

from commissioner.celery import app as celery_app
from forces.models import Force
from letters.models import JobRun, OutboundEmail, Reminder, Report
from letters.services.outbox import email_queue, email_resend
from letters.services.reports import report_request
from letters.tasks import send_chase_ups, send_email
from tests.conftest import issue_round
from tests.letters.celery_worker import BROKER_URL, Worker, wait_until, worker_database_url
from tests.letters.smtp_server import SMTPServer

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]

Status = OutboundEmail.Status


@pytest.fixture
def queue():
    """This process's tasks go to Redis, on a queue only this test's workers read."""
    client = redis.Redis.from_url(BROKER_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis does not answer at {BROKER_URL}: see scripts/check-services.sh")
    name = f"test-{uuid.uuid4().hex[:12]}"
    saved = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    saved["task_default_queue"] = celery_app.conf.task_default_queue
    celery_app.conf.update(broker_url=BROKER_URL, task_always_eager=False, task_default_queue=name)
    # Connections are pooled by broker: drop the in-memory ones of the in-process tests.
    celery_app._pool = celery_app.amqp._producer_pool = None
    yield name
    celery_app.conf.update(saved)
    celery_app._pool = celery_app.amqp._producer_pool = None
    client.delete(name)


@pytest.fixture
def smtp():
    with SMTPServer() as server:
        yield server


@pytest.fixture
def start_worker(queue, smtp, settings, tmp_path):
    workers = []

    def start() -> Worker:
        worker = Worker(
            name=f"{queue}-{len(workers) + 1}",
            queue=queue,
            log_path=tmp_path / f"worker-{len(workers) + 1}.log",
            env={
                "DATABASE_URL": worker_database_url(),
                "CELERY_BROKER_URL": BROKER_URL,
                "CELERY_RESULT_BACKEND": "disabled://",
                "MEDIA_ROOT": str(settings.MEDIA_ROOT),
                "EMAIL_URL": smtp.url,
                "EMAIL_TIMEOUT": "10",
                # Redis hands an unacknowledged task to another worker after three seconds, and a
                # claim older than two is an abandoned one: the tests need not wait long. As in
                # production, the lease is shorter than the visibility timeout, so a task handed
                # out again always finds its dead worker's claim abandoned.
                "CELERY_VISIBILITY_TIMEOUT": "3",
                "CELERY_UNACKED_RESTORE_INTERVAL": "1",
                "OUTBOX_SENDING_LEASE": "2",
                "OUTBOX_RETRY_BACKOFF": "1",
            },
        )
        workers.append(worker)
        return worker.start()

    yield start
    for worker in workers:
        worker.stop()


def pdf_text(content: bytes) -> str:
    return " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages
    )


def test_a_worker_issues_a_round_chases_it_and_builds_its_report(
    start_worker, smtp, secretariat_user, commissioner_user
):
    codes = ("kent", "essex", "city-of-london")
    for code in codes[:2]:
        Force.objects.filter(code=code).update(email=f"chief.officer@{code}.police.example")
    smtp.handler.data_replies.append("451 4.3.0 Try again later")  # one letter is retried
    worker = start_worker()

    issued_on = timezone.localdate() - timedelta(days=60)
    round_ = issue_round(
        created_by=secretariat_user,
        forces=Force.objects.filter(code__in=codes),
        issued_on=issued_on,
    )
    letters = {letter.force.code: letter for letter in round_.letters.all()}
    letter_emails = smtp.handler.wait_for(2)
    assert {m["Subject"] for m in letter_emails} == {
        f"Modern slavery (our reference {letters[code].reference})" for code in codes[:2]
    }
    for message in letter_emails:
        [attachment] = message.iter_attachments()
        assert "Dear Chief Constable," in pdf_text(attachment.get_content())
    wait_until(
        lambda: not round_.letters.filter(pdf="").exists(), what="three stored PDFs", log=worker.log
    )
    attempts = sorted(round_.letters.values_list("emails__attempts", flat=True).exclude(email=""))
    assert attempts == [1, 2]  # the refused first attempt was retried with backoff
    assert not letters["city-of-london"].emails.exists()

    # The nightly chase-up, run by the worker twice: the second run makes and sends nothing.
    send_chase_ups.delay()
    wait_until(
        lambda: JobRun.objects.filter(finished_at__isnull=False).count() == 1, log=worker.log
    )
    reminder_emails = smtp.handler.wait_for(4)[2:]
    send_chase_ups.delay()
    wait_until(
        lambda: JobRun.objects.filter(finished_at__isnull=False).count() == 2, log=worker.log
    )
    assert Reminder.objects.count() == 3  # City of London's is on paper only
    assert len(smtp.handler.received) == 4
    assert JobRun.objects.order_by("-started_at").first().summary.startswith("Made 0 first")

    kent = letters["kent"]
    [kent_reminder] = [m for m in reminder_emails if kent.reference in m["Subject"]]
    assert kent_reminder["Subject"].startswith("First reminder")
    reminder_pdf, letter_pdf = kent_reminder.iter_attachments()
    text = pdf_text(reminder_pdf.get_content())
    reply_by = kent.reminders.get().reply_by
    assert kent.reference in text and "Kent Police" in text
    assert f"On {issued_on:%-d %B %Y} I wrote to you" in text
    assert f"Your reply was due by {kent.due_on:%-d %B %Y}" in text
    assert f"by {reply_by:%-d %B %Y}" in text
    assert letter_pdf.get_filename() == f"{kent.reference.replace('/', '-')}.pdf"

    # The summary report, asked for by the Commissioner, built by the worker.
    report, _ = report_request(round=round_, requested_by=commissioner_user)
    wait_until(
        lambda: Report.objects.filter(pk=report.pk, status=Report.Status.DONE).exists(),
        what="the report",
        log=worker.log,
    )
    report.refresh_from_db()
    assert report.page_count >= 8 and report.duration > timedelta(0)
    text = pdf_text(report.file.read())
    assert "Response statistics" in text and "Letters issued 3" in text
    assert "Forces that have not replied" in text and "Kent Police" in text


def test_a_worker_killed_before_handing_a_message_over_is_replaced_and_it_is_sent_once(
    start_worker, smtp
):
    first = start_worker()
    smtp.handler.on_login = first.kill  # dies while logging in to the mail server
    email = email_queue(idempotency_key="k1", to=["chief@kent.example"], subject="A", body="B")
    assert first.wait_dead() < 0
    email.refresh_from_db()
    assert (email.status, email.handed_over_at) == (Status.SENDING, None)

    smtp.handler.on_login = None
    second = start_worker()  # Redis hands it the dead worker's task
    wait_until(
        lambda: OutboundEmail.objects.filter(pk=email.pk, status=Status.SENT).exists(),
        what="the email to be sent",
        log=second.log,
    )
    [message] = smtp.handler.received
    assert message["Message-ID"] == email.message_id
    assert OutboundEmail.objects.get(pk=email.pk).attempts == 2

    # Any further delivery of the task finds nothing to do.
    send_email.delay(email.pk)
    second.wait_for_log("'nothing to do'")
    assert len(smtp.handler.received) == 1


def test_a_worker_killed_after_the_server_accepted_leaves_the_message_for_a_person(
    start_worker, smtp, secretariat_user
):
    first = start_worker()
    smtp.handler.on_accept = first.kill  # dies before it can record that the server said yes
    email = email_queue(idempotency_key="k1", to=["chief@kent.example"], subject="A", body="B")
    assert first.wait_dead() < 0
    smtp.handler.on_accept = None
    email.refresh_from_db()
    assert email.status == Status.SENDING and email.handed_over_at is not None

    second = start_worker()  # Redis hands it the dead worker's task: it must not resend
    second.wait_for_log("'nothing to do'")
    email.refresh_from_db()
    assert email.status == Status.UNKNOWN
    assert email.message_id in email.last_error
    assert len(smtp.handler.received) == 1

    # A person finds it did not arrive and resends it: the same Message-ID, recognisably.
    email_resend(email=email, by=secretariat_user)
    first_copy, second_copy = smtp.handler.wait_for(2)
    assert first_copy["Message-ID"] == second_copy["Message-ID"] == email.message_id
    wait_until(
        lambda: OutboundEmail.objects.filter(pk=email.pk, status=Status.SENT).exists(),
        log=second.log,
    )
