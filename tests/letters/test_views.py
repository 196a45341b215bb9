"""The secretariat's pages, driven through real requests."""

import csv
import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from letters.models import Coding, Letter, Reply, ReplyDocument, Round
from letters.services.letters import letter_extend
from letters.services.replies import reply_log
from tests.conftest import ROUND_BODY, issue_round, text_document

pytestmark = pytest.mark.django_db


def _date(prefix, value: date) -> dict:
    return {f"{prefix}_0": value.day, f"{prefix}_1": value.month, f"{prefix}_2": value.year}


def test_creating_a_round_and_previewing_the_met_letter(secretariat_client):
    response = secretariat_client.post(
        reverse("letters:round_create"),
        {
            "title": "Modern slavery prosecutions",
            "reference_prefix": "IASC/2019-10",
            "body": ROUND_BODY,
            "reply_working_days": 20,
            "themes": [],
            "first_reminder_days": 0,
            "second_reminder_days": 10,
            "escalation_days": 10,
            "reminder_reply_days": 10,
        },
    )
    round_ = Round.objects.get()
    assert response.status_code == 302
    preview = secretariat_client.get(
        reverse("letters:round_preview", args=[round_.slug]), {"force": "metropolitan"}
    )
    assert "Dear Commissioner," in preview.content.decode()
    assert "I am writing to Metropolitan Police Service" in preview.content.decode()


def test_a_round_form_with_errors_keeps_what_was_typed(secretariat_client):
    response = secretariat_client.post(
        reverse("letters:round_create"),
        {"title": "My subject", "reference_prefix": "", "body": "Hello {{ nobody }}"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Unknown merge field: {{ nobody }}" in page
    assert 'value="My subject"' in page
    assert not Round.objects.exists()


def test_issuing_from_the_page_writes_to_all_43_forces(secretariat_client, secretariat_user):
    from tests.conftest import make_round

    round_ = make_round(created_by=secretariat_user)
    form_page = secretariat_client.get(reverse("letters:round_issue", args=[round_.slug]))
    assert form_page.content.decode().count('type="checkbox"') == 43
    from forces.models import Force

    secretariat_client.post(
        reverse("letters:round_issue", args=[round_.slug]),
        {"forces": list(Force.objects.values_list("pk", flat=True))},
    )
    tracker = secretariat_client.get(reverse("letters:round_detail", args=[round_.slug]))
    assert Letter.objects.filter(round=round_).count() == 43
    assert tracker.context["counts"]["awaiting"] == 43


@pytest.fixture
def busy_round(secretariat_user):
    """A 2019 round where Surrey replied, Gwent sent a holding reply and got an extension."""
    round_ = issue_round(created_by=secretariat_user)
    letters = {letter.force.code: letter for letter in round_.letters.all()}
    common = dict(channel="email", from_name="CC", logged_by=secretariat_user)
    reply_log(letter=letters["surrey"], kind="full", received_on=date(2019, 11, 12), **common)
    reply_log(letter=letters["gwent"], kind="holding", received_on=date(2019, 11, 8), **common)
    letter_extend(
        letter=letters["gwent"],
        new_due_on=date(2099, 1, 5),
        reason="Audit",
        agreed_with="CC",
        granted_by=secretariat_user,
    )
    return round_


def test_the_tracker_counts_and_filters_by_status_and_region(secretariat_client, busy_round):
    url = reverse("letters:round_detail", args=[busy_round.slug])
    counts = secretariat_client.get(url).context["counts"]
    assert counts == {
        "replied": 1,
        "overdue": 41,
        "extended": 1,
        "holding": 0,
        "awaiting": 0,
        "total": 43,
    }
    wales = secretariat_client.get(url, {"region": "Wales", "status": "overdue"})
    assert [row.force.code for row in wales.context["rows"]] == [
        "dyfed-powys",
        "north-wales",
        "south-wales",
    ]
    replied = secretariat_client.get(url, {"status": "replied"}).content.decode()
    assert "Surrey Police" in replied and "Kent Police" not in replied


def test_the_tracker_sorts_by_date_of_reply(secretariat_client, busy_round):
    url = reverse("letters:round_detail", args=[busy_round.slug])
    rows = secretariat_client.get(url, {"sort": "-replied"}).context["rows"]
    replied_dates = [row.replied_on for row in rows if row.replied_on]
    assert replied_dates == [date(2019, 11, 12)]


def test_csv_and_xlsx_exports_hold_the_same_rows_as_the_page(secretariat_client, busy_round):
    url = reverse("letters:round_detail", args=[busy_round.slug])
    page_rows = secretariat_client.get(url, {"region": "South East"}).context["rows"]
    expected = [row.reference for row in page_rows]

    exported = secretariat_client.get(url, {"region": "South East", "export": "csv"})
    table = list(csv.reader(io.StringIO(exported.content.decode())))
    assert table[0][:4] == ["Force", "Region", "Addressee", "Reference"]
    assert [row[3] for row in table[1:]] == expected
    surrey = next(row for row in table if row[0] == "Surrey Police")
    assert surrey[6] == "Replied" and surrey[8] == "2019-11-12"

    workbook = load_workbook(
        io.BytesIO(secretariat_client.get(url, {"region": "South East", "export": "xlsx"}).content)
    )
    sheet_rows = list(workbook.active.iter_rows(values_only=True))
    assert [row[3] for row in sheet_rows[1:]] == expected


def test_the_letter_page_shows_how_the_due_date_was_counted_and_its_history(
    secretariat_client, busy_round
):
    gwent = busy_round.letters.get(force__code="gwent")
    page = secretariat_client.get(reverse("letters:letter_detail", args=[gwent.pk])).content
    page = page.decode()
    assert "20 working days after 11 October 2019" in page
    assert "5 January 2099" in page and "(originally 8 November 2019)" in page
    assert "Extension to 5 Jan 2099 created" in page
    assert "Due on: 2019-11-08 → 2099-01-05" in page


def test_logging_a_reply_with_a_document(secretariat_client, busy_round):
    kent = busy_round.letters.get(force__code="kent")
    response = secretariat_client.post(
        reverse("letters:reply_log"),
        {
            "letter": kent.pk,
            **_date("received_on", date(2019, 11, 20)),
            "channel": "post",
            "from_name": "Chief Constable Alan Pughsley",
            "kind": "full",
            "summary": "Describes the regional unit.",
            "documents": [SimpleUploadedFile("kent.txt", b"Kent works with the ROCU.")],
        },
    )
    reply = Reply.objects.get(letter=kent)
    assert response["Location"] == reverse("letters:reply_code", args=[reply.pk])
    assert reply.text == "Kent works with the ROCU."
    kent.refresh_from_db()
    assert kent.status == Letter.Status.REPLIED


def test_a_rejected_upload_says_why_keeps_the_form_and_saves_nothing(
    secretariat_client, busy_round, settings
):
    kent = busy_round.letters.get(force__code="kent")
    response = secretariat_client.post(
        reverse("letters:reply_log"),
        {
            "letter": kent.pk,
            **_date("received_on", date(2019, 11, 20)),
            "channel": "post",
            "from_name": "Chief Constable Alan Pughsley",
            "kind": "full",
            "documents": [SimpleUploadedFile("photo.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)],
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "photo.pdf" in page and "There is a problem" in page
    assert 'value="Chief Constable Alan Pughsley"' in page
    assert not Reply.objects.filter(letter=kent).exists()
    assert not ReplyDocument.objects.exists()
    assert not list((settings.MEDIA_ROOT).glob("**/*.*")) if settings.MEDIA_ROOT.exists() else True


def test_a_received_date_before_the_letter_is_refused_in_place(secretariat_client, busy_round):
    kent = busy_round.letters.get(force__code="kent")
    response = secretariat_client.post(
        reverse("letters:reply_log"),
        {
            "letter": kent.pk,
            **_date("received_on", date(2019, 10, 1)),
            "channel": "post",
            "from_name": "CC",
            "kind": "full",
            "documents": [SimpleUploadedFile("kent.txt", b"Kent works with the ROCU.")],
        },
    )
    assert "cannot be before the letter was issued (11 October 2019)" in response.content.decode()
    assert not Reply.objects.filter(letter=kent).exists()


def test_a_second_full_reply_is_logged_and_says_so(secretariat_client, busy_round):
    surrey = busy_round.letters.get(force__code="surrey")
    form = secretariat_client.get(reverse("letters:reply_log"), {"letter": surrey.pk})
    assert "already has a full reply, received 12 November 2019" in form.content.decode()
    response = secretariat_client.post(
        reverse("letters:reply_log"),
        {
            "letter": surrey.pk,
            **_date("received_on", date(2019, 11, 20)),
            "channel": "email",
            "from_name": "CC",
            "kind": "full",
            "documents": [SimpleUploadedFile("more.txt", b"A further reply.")],
        },
        follow=True,
    )
    assert "This second full reply is logged too" in response.content.decode()
    assert surrey.replies.filter(kind="full").count() == 2


def test_an_extension_earlier_than_the_due_date_is_refused_in_place(secretariat_client, busy_round):
    kent = busy_round.letters.get(force__code="kent")
    response = secretariat_client.post(
        reverse("letters:letter_extend", args=[kent.pk]),
        {**_date("new_due_on", date(2019, 11, 1)), "agreed_with": "CC", "reason": "Busy"},
    )
    assert "must be after the current one (8 November 2019)" in response.content.decode()
    kent.refresh_from_db()
    assert kent.due_on == date(2019, 11, 8)


def test_coding_a_reply_from_the_page(secretariat_client, busy_round, secretariat_user):
    kent = busy_round.letters.get(force__code="kent")
    reply = reply_log(
        letter=kent,
        kind="full",
        received_on=date(2019, 11, 20),
        channel="post",
        from_name="CC",
        documents=[text_document("Kent works with the ROCU. Training is given to all officers.")],
        logged_by=secretariat_user,
    )
    url = reverse("letters:reply_code", args=[reply.pk])
    refused = secretariat_client.post(
        url,
        {
            "structures-decision": "own",
            "structures-judgement": "addressed",
            "structures-excerpts": "Kent works alone.",
            "training-decision": "own",
            "training-judgement": "partly",
            "training-excerpts": "Training is given to all officers.",
        },
    )
    assert "This is not in the reply" in refused.content.decode()
    assert not Coding.objects.exists()

    secretariat_client.post(
        url,
        {
            "structures-decision": "own",
            "structures-judgement": "addressed",
            "structures-excerpts": "Kent works with the ROCU.",
            "training-decision": "own",
            "training-judgement": "partly",
            "training-excerpts": "Training is given to all officers.",
        },
    )
    assert dict(Coding.objects.values_list("theme__code", "judgement")) == {
        "structures": "addressed",
        "training": "partly",
    }
    detail = secretariat_client.get(reverse("letters:reply_detail", args=[reply.pk]))
    assert "Kent works with the ROCU." in detail.content.decode()


def test_reply_documents_download_only_for_signed_in_staff(secretariat_client, busy_round):
    reply = reply_log(
        letter=busy_round.letters.get(force__code="kent"),
        kind="full",
        received_on=date(2019, 11, 20),
        channel="post",
        from_name="CC",
        documents=[text_document("Confidential reply.", name="../../etc/kent.txt")],
        logged_by=None,
    )
    document = reply.documents.get()
    url = reverse("letters:document_download", args=[document.pk])
    response = secretariat_client.get(url)
    assert b"".join(response.streaming_content) == b"Confidential reply."
    assert 'filename="kent.txt"' in response["Content-Disposition"]
    secretariat_client.logout()
    assert secretariat_client.get(url).status_code == 302


@pytest.mark.parametrize("rounds", [1, 20])
def test_the_tracker_and_round_list_run_a_constant_number_of_queries(
    secretariat_client, secretariat_user, django_assert_max_num_queries, rounds
):
    made = [
        issue_round(created_by=secretariat_user, reference_prefix=f"IASC/R{n}")
        for n in range(rounds)
    ]
    for round_ in made:
        for letter in round_.letters.all()[:5]:
            reply_log(
                letter=letter,
                kind="full",
                received_on=date(2019, 11, 1),
                channel="post",
                from_name="CC",
                documents=[text_document("Reply.")],
                logged_by=secretariat_user,
            )
    with django_assert_max_num_queries(15):
        secretariat_client.get(reverse("letters:round_detail", args=[made[-1].slug]))
    with django_assert_max_num_queries(8):
        secretariat_client.get(reverse("letters:round_list"))


def test_the_preview_pdf_is_the_letter_on_letterhead(secretariat_client, secretariat_user):
    from pypdf import PdfReader

    from tests.conftest import make_round

    round_ = make_round(created_by=secretariat_user)
    response = secretariat_client.get(
        reverse("letters:round_preview", args=[round_.slug]),
        {"force": "city-of-london", "format": "pdf"},
    )
    assert response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Dear Commissioner," in text
    assert "City of London Police" in text
