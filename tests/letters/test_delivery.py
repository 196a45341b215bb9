"""Issuing a round: each letter's PDF stored once, and its email queued in the outbox."""

import io

import pytest
from django.core import mail
from django.urls import reverse
from pypdf import PdfReader

from forces.models import Force
from letters.models import Letter, OutboundEmail
from letters.services.delivery import letter_deliver, letter_store_pdf
from tests.conftest import issue_round

pytestmark = pytest.mark.django_db

FORCES = ("kent", "essex", "city-of-london")


@pytest.fixture
def force_emails():
    for code in ("kent", "essex"):
        Force.objects.filter(code=code).update(email=f"chief.officer@{code}.police.example")


def issue(user, capture, *, execute=True):
    with capture(execute=execute) as callbacks:
        round_ = issue_round(created_by=user, forces=Force.objects.filter(code__in=FORCES))
    return round_, callbacks


def pdf_text(data: bytes) -> str:
    return " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages
    )


def test_nothing_is_made_until_the_issue_commits_then_one_task_per_letter(
    secretariat_user, django_capture_on_commit_callbacks, force_emails
):
    round_, callbacks = issue(secretariat_user, django_capture_on_commit_callbacks, execute=False)
    assert len(callbacks) == 3
    assert not Letter.objects.filter(round=round_).exclude(pdf="").exists()
    assert not OutboundEmail.objects.exists()


def test_each_letter_is_stored_as_a_pdf_and_emailed_with_it(
    secretariat_user, django_capture_on_commit_callbacks, force_emails, settings
):
    settings.REPLY_MAILBOX = "replies@iasc.example.org"
    round_, _ = issue(secretariat_user, django_capture_on_commit_callbacks)
    kent = round_.letters.get(force__code="kent")

    text = pdf_text(kent.pdf.read())
    assert "IASC/2019-10/KNT" in text and "Kent Police" in text and "Dear Chief Constable," in text

    email = OutboundEmail.objects.get(idempotency_key=f"letter:{kent.pk}")
    assert email.letter == kent and email.status == OutboundEmail.Status.SENT
    assert "IASC/2019-10/KNT" in email.subject
    [message] = [m for m in mail.outbox if m.to == ["chief.officer@kent.police.example"]]
    assert message.reply_to == ["replies@iasc.example.org"]
    assert message.extra_headers["Message-ID"] == email.message_id
    assert "quoting our reference IASC/2019-10/KNT" in message.body
    [(filename, content, content_type)] = message.attachments
    assert (filename, content_type) == ("IASC-2019-10-KNT.pdf", "application/pdf")
    kent.pdf.open("rb")
    assert content == kent.pdf.read()


def test_user_text_stays_as_typed_in_the_plain_text_email_and_escaped_on_the_outbox_page(
    secretariat_user, secretariat_client, django_capture_on_commit_callbacks, force_emails
):
    title = "Slavery & trafficking <b>orders</b>"
    with django_capture_on_commit_callbacks(execute=True):
        issue_round(
            created_by=secretariat_user,
            forces=Force.objects.filter(code="kent"),
            title=title,
        )

    [message] = mail.outbox
    assert f"from the Independent Anti-Slavery Commissioner: {title}." in message.body
    assert "&amp;" not in message.body and "&lt;" not in message.body

    page = secretariat_client.get(reverse("letters:outbox")).content.decode()
    assert "Slavery &amp; trafficking &lt;b&gt;orders&lt;/b&gt;" in page
    assert "<b>orders</b>" not in page


def test_a_letter_to_a_force_without_an_address_is_stored_but_flagged_not_emailed(
    secretariat_user, secretariat_client, django_capture_on_commit_callbacks, force_emails
):
    round_, _ = issue(secretariat_user, django_capture_on_commit_callbacks)
    city = round_.letters.get(force__code="city-of-london")
    assert city.pdf and not city.emails.exists()
    assert len(mail.outbox) == 2

    page = secretariat_client.get(reverse("letters:round_detail", args=[round_.slug]))
    html = " ".join(page.content.decode().split())
    assert "1 letter could not be emailed because the force has no email address" in html
    assert "City of London Police (IASC/2019-10/CLP)" in html
    assert "2 sent" in html and "1 not emailed (no address)" in html


def test_a_letter_issued_without_an_address_can_be_emailed_once_the_force_has_one(
    secretariat_user, secretariat_client, django_capture_on_commit_callbacks
):
    round_, _ = issue(secretariat_user, django_capture_on_commit_callbacks)
    city = round_.letters.get(force__code="city-of-london")
    url = reverse("letters:letter_email", args=[city.pk])
    refused = secretariat_client.post(url, follow=True)
    assert "has no email address yet" in refused.content.decode()

    Force.objects.filter(code="city-of-london").update(email="commissioner@col.example")
    page = secretariat_client.get(reverse("letters:letter_detail", args=[city.pk]))
    assert "Email the letter to commissioner@col.example" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        secretariat_client.post(url)
    assert [m.to for m in mail.outbox] == [["commissioner@col.example"]]
    again = secretariat_client.post(url, follow=True)
    assert "has already been emailed" in again.content.decode()
    assert len(mail.outbox) == 1


def test_a_stored_letter_is_never_redrawn_nor_emailed_twice(
    secretariat_user, django_capture_on_commit_callbacks, force_emails
):
    round_, _ = issue(secretariat_user, django_capture_on_commit_callbacks)
    kent = round_.letters.get(force__code="kent")
    stored_name, stored = kent.pdf.name, kent.pdf.read()

    Letter.objects.filter(pk=kent.pk).update(body="A body that was never sent.")
    kent.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        letter_deliver(letter=kent)
    letter_store_pdf(letter=kent)
    kent.refresh_from_db()
    assert kent.pdf.name == stored_name and kent.pdf.read() == stored
    assert OutboundEmail.objects.filter(letter=kent).count() == 1
    assert len(mail.outbox) == 2


def test_the_letter_page_offers_the_pdf_as_sent_to_readers(
    secretariat_user, commissioner_client, django_capture_on_commit_callbacks
):
    round_, _ = issue(secretariat_user, django_capture_on_commit_callbacks)
    kent = round_.letters.get(force__code="kent")
    page = commissioner_client.get(reverse("letters:letter_detail", args=[kent.pk]))
    assert "Download the letter (PDF)" in page.content.decode()
    response = commissioner_client.get(reverse("letters:letter_pdf", args=[kent.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="IASC-2019-10-KNT.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == kent.pdf.read()
