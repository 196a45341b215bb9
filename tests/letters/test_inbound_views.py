"""The inbox pages, driven through real requests."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from letters.models import InboundMessage, Letter, OutboundEmail, Reply
from letters.services.inbound import message_import
from tests.conftest import issue_round
from tests.letters.inbound_emails import OUR_MESSAGE_ID, bounce, email, pdf, reply_with_pdf

pytestmark = pytest.mark.django_db


def imported(raw: bytes) -> InboundMessage:
    return message_import(raw=raw, source=InboundMessage.Source.UPLOAD)[0]


def test_the_inbox_lists_emails_awaiting_review_with_match_and_problems(
    secretariat_client, issued_round
):
    sure = imported(reply_with_pdf(subject="RE: IASC/2019-10/AVS"))
    unsure = imported(
        email(
            subject="Our letter",
            sender="office@kent.police.uk",
            attachments=(("reply.pdf", b"MZ not a pdf", "application/pdf"),),
        )
    )
    imported(email(subject="Automatic reply: IASC/2019-10/AVS"))  # filed, not listed

    response = secretariat_client.get(reverse("letters:inbox"))
    page = response.content.decode()

    assert [message.pk for message in response.context["page"]] == [unsure.pk, sure.pk]
    assert "Sure match" in page and "Likely match" in page
    assert "1 problem" in page
    confirm_sure = reverse("letters:inbound_confirm", args=[sure.pk])
    confirm_unsure = reverse("letters:inbound_confirm", args=[unsure.pk])
    assert f'action="{confirm_sure}"' in page  # one click for the sure match
    assert f'action="{confirm_unsure}"' not in page  # a person must choose the letter
    filed = secretariat_client.get(reverse("letters:inbox"), {"status": "filed"})
    assert "Automatic reply: IASC/2019-10/AVS" in filed.content.decode()


def test_one_click_logs_a_sure_match_as_a_reply(secretariat_client, issued_round):
    message = imported(reply_with_pdf(subject="RE: IASC/2019-10/AVS"))

    response = secretariat_client.post(
        reverse("letters:inbound_confirm", args=[message.pk]),
        {"letter": message.letter_id, "kind": "holding", "return_to": "inbox"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("letters:inbox")
    reply = Reply.objects.get()
    assert reply.kind == Reply.Kind.HOLDING
    assert reply.letter.reference == "IASC/2019-10/AVS"
    assert [document.original_name for document in reply.documents.all()] == ["reply.pdf"]
    message.refresh_from_db()
    assert message.status == InboundMessage.Status.CONFIRMED
    assert not secretariat_client.get(reverse("letters:inbox")).context["page"].object_list


def test_an_unmatched_email_is_logged_against_the_letter_a_person_picks(
    secretariat_client, issued_round
):
    message = imported(email(subject="Hello", sender="someone@example.com"))
    kent = issued_round.letters.get(force__code="kent")
    detail = secretariat_client.get(reverse("letters:inbound_detail", args=[message.pk]))
    assert "No match" in detail.content.decode()

    response = secretariat_client.post(
        reverse("letters:inbound_confirm", args=[message.pk]),
        {"letter": kent.pk, "kind": "full", "include_body": "yes"},
    )

    reply = Reply.objects.get()
    assert response["Location"] == reverse("letters:reply_code", args=[reply.pk])
    assert reply.letter == kent
    kent.refresh_from_db()
    assert kent.status == Letter.Status.REPLIED


def test_logging_without_choosing_a_letter_shows_the_error(secretariat_client, issued_round):
    message = imported(email(subject="Hello", sender="someone@example.com"))

    response = secretariat_client.post(
        reverse("letters:inbound_confirm", args=[message.pk]), {"kind": "full"}
    )

    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert "Choose the letter this email answers" in response.content.decode()
    assert not Reply.objects.exists()


def test_filing_and_dismissing(secretariat_client, issued_round):
    to_file = imported(email(subject="A question"))
    to_dismiss = imported(email(subject="Spam"))

    secretariat_client.post(reverse("letters:inbound_file", args=[to_file.pk]))
    secretariat_client.post(reverse("letters:inbound_dismiss", args=[to_dismiss.pk]))
    again = secretariat_client.post(
        reverse("letters:inbound_confirm", args=[to_dismiss.pk]),
        {"letter": to_dismiss.letter_id, "kind": "full"},
    )

    to_file.refresh_from_db()
    to_dismiss.refresh_from_db()
    assert to_file.status == InboundMessage.Status.FILED
    assert to_dismiss.status == InboundMessage.Status.DISMISSED
    assert again.status_code == 302
    assert not Reply.objects.exists()


def test_uploading_several_emails_imports_each_and_refuses_what_is_not_one(
    secretariat_client, issued_round
):
    uploads = [
        SimpleUploadedFile("avs.eml", reply_with_pdf(subject="RE: IASC/2019-10/AVS")),
        SimpleUploadedFile("notes.eml", b"Just some notes, not an email."),
        SimpleUploadedFile("kent.eml", email(subject="IASC/2019-10/KNT")),
    ]

    response = secretariat_client.post(reverse("letters:inbox"), {"emails": uploads}, follow=True)

    page = response.content.decode()
    assert InboundMessage.objects.count() == 2
    assert set(InboundMessage.objects.values_list("source", flat=True)) == {"upload"}
    assert "2 email(s) imported" in page
    assert "IASC/2019-10/AVS" in page and "IASC/2019-10/KNT" in page
    assert "‘notes.eml’ is not a saved email" in page


def test_an_upload_over_the_limit_is_refused(secretariat_client, settings, issued_round):
    settings.INBOUND_MESSAGE_MAX_BYTES = 100

    response = secretariat_client.post(
        reverse("letters:inbox"),
        {"emails": [SimpleUploadedFile("big.eml", email(body="x" * 500))]},
        follow=True,
    )

    assert "‘big.eml’ is larger than the limit" in response.content.decode()
    assert not InboundMessage.objects.exists()


def test_the_detail_shows_attachments_problems_and_the_date_as_sent(
    commissioner_client, issued_round
):
    message = imported(
        email(
            date="Mon, 28 Oct 2019 09:15:00 +0100",
            attachments=(
                ("reply.pdf", pdf("We have trained 40 officers."), "application/pdf"),
                ("tool.pdf", b"MZ a program", "application/pdf"),
            ),
        )
    )
    accepted, refused = message.attachments.all()

    response = commissioner_client.get(reverse("letters:inbound_detail", args=[message.pk]))
    page = response.content.decode()

    assert "28 October 2019 09:15 (+0100)" in page
    assert "Date header: Mon, 28 Oct 2019 09:15:00 +0100" in page
    assert "We have trained 40 officers." in page
    assert reverse("letters:inbound_attachment", args=[accepted.pk]) in page
    assert reverse("letters:inbound_attachment", args=[refused.pk]) not in page
    assert "is not a PDF: its content is a Windows program" in page
    assert "Log as a reply" not in page  # the Commissioner reads; the secretariat decides


def test_readers_download_the_original_and_accepted_attachments_only(
    commissioner_client, issued_round
):
    raw = email(
        attachments=(
            ("reply.txt", b"Our reply.", "text/plain"),
            ("tool.pdf", b"MZ a program", "application/pdf"),
        )
    )
    message = imported(raw)
    accepted, refused = message.attachments.all()

    original = commissioner_client.get(reverse("letters:inbound_original", args=[message.pk]))
    document = commissioner_client.get(reverse("letters:inbound_attachment", args=[accepted.pk]))
    missing = commissioner_client.get(reverse("letters:inbound_attachment", args=[refused.pk]))

    assert b"".join(original.streaming_content) == raw
    assert original["Content-Disposition"].startswith("attachment")
    assert b"".join(document.streaming_content) == b"Our reply."
    assert 'filename="reply.txt"' in document["Content-Disposition"]
    assert missing.status_code == 404


def test_the_letter_lists_the_emails_matched_to_it(commissioner_client, issued_round):
    message = imported(email(subject="RE: IASC/2019-10/AVS our reply"))

    page = commissioner_client.get(
        reverse("letters:letter_detail", args=[message.letter_id])
    ).content.decode()

    assert reverse("letters:inbound_detail", args=[message.pk]) in page
    assert "RE: IASC/2019-10/AVS our reply" in page


def test_the_tracker_tags_a_letter_whose_email_bounced(secretariat_client, issued_round):
    letter = issued_round.letters.get(force__code="avon-somerset")
    OutboundEmail.objects.create(  # by hand: the outbox's sending lives on another branch
        idempotency_key="letter-avs",
        letter=letter,
        to="chief.constable@avonandsomerset.police.uk",
        subject="IASC/2019-10/AVS",
        body="The letter is attached.",
        message_id=OUR_MESSAGE_ID,
        status=OutboundEmail.Status.SENT,
    )
    imported(bounce())

    page = secretariat_client.get(reverse("letters:round_detail", args=[issued_round.slug]))

    assert page.content.decode().count("Email bounced") == 1


def test_only_the_secretariat_has_the_inbox_in_the_menu(
    client, secretariat_user, commissioner_user
):
    inbox = f'href="{reverse("letters:inbox")}"'
    client.force_login(secretariat_user)
    assert inbox in client.get(reverse("letters:round_list")).content.decode()
    client.force_login(commissioner_user)
    assert inbox not in client.get(reverse("letters:round_list")).content.decode()


@pytest.mark.parametrize("rounds", [1, 20])
def test_the_inbox_takes_the_same_queries_however_many_emails(
    secretariat_client, secretariat_user, django_assert_max_num_queries, rounds
):
    made = [
        issue_round(created_by=secretariat_user, reference_prefix=f"IASC/R{n}")
        for n in range(rounds)
    ]
    for round_ in made:
        imported(
            email(
                subject=f"RE: {round_.reference_prefix}/AVS",
                attachments=(("tool.pdf", b"MZ a program", "application/pdf"),),
            )
        )

    with django_assert_max_num_queries(9):
        response = secretariat_client.get(reverse("letters:inbox"))
    assert len(response.context["page"]) == rounds
