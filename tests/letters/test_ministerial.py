"""The letter on a round's findings: pre-filled from the round, edited, previewed, issued, kept."""

import logging
from datetime import date

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from forces.services import prosecution_figures_correct
from letters.demo import REVIEWS_2019, load_demo
from letters.models import Addressee, Letter, MinisterialLetter, Reply, Round, Theme
from letters.selectors.ministerial import RoundStory, observations_text
from letters.services.ministerial import (
    LetterIssued,
    addressee_create,
    ministerial_letter_create,
    ministerial_letter_issue,
    ministerial_letter_update,
)
from letters.services.replies import reply_log
from letters.services.reviews import theme_observation_save, theme_review_mark
from tests.conftest import issue_round, text_document
from tests.forces.test_figures import PART_YEAR_NOTE, add_year
from tests.letters.test_pdf import canary_server, pages_text, squashed  # noqa: F401

pytestmark = pytest.mark.django_db

STRUCTURES = "Forces must share intelligence across their borders as a matter of routine."
TRAINING = "Training has improved, but it must reach every response officer."


def log_reply(letter, by, *, kind=Reply.Kind.FULL, received_on=date(2019, 11, 1)):
    return reply_log(
        letter=letter,
        kind=kind,
        received_on=received_on,
        channel=Reply.Channel.POST,
        from_name="Chief Constable",
        documents=[text_document("Our reply.")],
        logged_by=by,
    )


def review(round_, theme_code, observation, by):
    theme = Theme.objects.get(code=theme_code)
    theme_observation_save(round=round_, theme=theme, observation=observation, by=by)
    theme_review_mark(round=round_, theme=theme, by=by)


@pytest.fixture
def figures(secretariat_user):
    """The seed's table: 2018 whole, 2019 with nine months of recorded crimes."""
    return {
        2018: add_year(2018, (3723, 172, 294, 191), secretariat_user),
        2019: add_year(
            2019, (5019, 226, 349, 251), secretariat_user, part_year=True, note=PART_YEAR_NOTE
        ),
    }


@pytest.fixture
def reviewed_round(secretariat_user, commissioner_user, figures):
    """Issued 11 October 2019 (replies due 8 November): Kent replied on time, Essex late, Gwent
    sent a holding reply. Structures is reviewed; training has an observation not yet reviewed."""
    round_ = issue_round(created_by=secretariat_user)
    letters = {letter.force.code: letter for letter in round_.letters.select_related("force")}
    log_reply(letters["kent"], secretariat_user, received_on=date(2019, 11, 1))
    log_reply(letters["essex"], secretariat_user, received_on=date(2019, 12, 2))
    log_reply(letters["gwent"], secretariat_user, kind=Reply.Kind.HOLDING)
    review(round_, "structures", STRUCTURES, commissioner_user)
    theme_observation_save(
        round=round_,
        theme=Theme.objects.get(code="training"),
        observation=TRAINING,
        by=commissioner_user,
    )
    return Round.objects.get(pk=round_.pk)


@pytest.fixture
def minister(commissioner_user):
    return addressee_create(
        name="The Rt Hon Jo Harland MP",
        position="Minister of State for Crime, Policing and the Fire Service",
        organisation="House of Commons",
        address="London\nSW1A 0AA",
        salutation="Dear Minister",
        created_by=commissioner_user,
    )


@pytest.fixture
def draft(reviewed_round, minister, secretariat_user):
    return ministerial_letter_create(
        round=reviewed_round, addressee=minister, created_by=secretariat_user
    )


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def edit_data(letter, **changes) -> dict:
    data = {
        "addressee": letter.addressee_id,
        "subject": letter.subject,
        "body": letter.body,
        "figure_years": letter.figure_years,
    }
    return data | changes


# --- The pre-filled draft ----------------------------------------------------------------------


def test_the_demo_rounds_draft_has_its_observations_figures_and_counts(tmp_path):
    load_demo()
    round_ = Round.objects.get(reference_prefix="IASC/2019-10")
    letters = Letter.objects.filter(round=round_)
    replied = letters.filter(replies__kind=Reply.Kind.FULL).distinct().count()
    holding_only = (
        letters.filter(replies__kind=Reply.Kind.HOLDING)
        .exclude(replies__kind=Reply.Kind.FULL)
        .distinct()
        .count()
    )
    out = tmp_path / "draft.pdf"

    call_command("draft_ministerial_letter", round_.slug, "--out", out, "--years", "2018", "2019")

    text = " ".join(pages_text(out.read_bytes()))
    for _, observation in REVIEWS_2019.values():
        assert squashed(observation) in squashed(text)
    assert f"the chief officers of the {letters.count()} police forces" in text
    assert f"Of the {letters.count()}, {replied} have replied in full" in text
    assert f"{holding_only} have sent only a holding reply" in text
    assert "2018 3,723 172 294 191" in text
    assert "2019* 5,019 226 349 251" in text
    assert "* Recorded crimes are for January to September 2019 only" in text
    assert "The Rt Hon Jo Harland MP Minister of State for Crime" in text
    assert "Dear Minister," in text
    assert "Draft – not issued".upper() in text
    assert not MinisterialLetter.objects.exists()  # the command saves nothing

    call_command("draft_ministerial_letter", str(round_.pk), "--out", out, "--years", "2018")

    text = " ".join(pages_text(out.read_bytes()))
    assert "2018 3,723 172 294 191" in text
    assert "5,019" not in text
    assert "January to September" not in text


def test_the_draft_tells_the_rounds_story_from_its_replies(draft):
    assert draft.body.startswith(
        "In October 2019 I wrote to the chief officers of the 43 police forces in England and "
        "Wales. Of the 43, 2 have replied in full, the last on 2 December 2019. Of these, 1 "
        "arrived by 8 November 2019, the date I asked for. Of the other 41, 1 has sent only a "
        "holding reply and 40 have not replied."
    )
    assert draft.figure_years == [2018, 2019]
    assert "\n\n[figures table]\n\n" in draft.body


@pytest.mark.parametrize(
    ("story", "expected"),
    [
        (
            {"letters": 43, "to_every_force": True, "replied": 43, "replied_by_due": 43},
            "All 43 have replied in full, the last on 16 December 2019. Every reply arrived by "
            "8 November 2019, the date I asked for.",
        ),
        (
            {"letters": 3, "to_every_force": False, "replied": 0, "replied_by_due": 0},
            "the chief officers of 3 police forces in England and Wales. None has replied in "
            "full yet.",
        ),
        (
            {"letters": 1, "to_every_force": False, "replied": 1, "replied_by_due": 0},
            "the chief officer of 1 police force in England and Wales. The force has replied in "
            "full, on 16 December 2019. The reply arrived after 8 November 2019, the date I asked "
            "for.",
        ),
        (
            {"letters": 43, "to_every_force": True, "replied": 1, "replied_by_due": 1},
            "Of the 43, 1 has replied in full, on 16 December 2019. The reply arrived by 8 "
            "November 2019, the date I asked for. The other 42 have not replied.",
        ),
    ],
)
def test_the_story_reads_right_whatever_the_counts(story, expected):
    text = RoundStory(
        issued_on=date(2019, 10, 11),
        due_on=date(2019, 11, 8),
        last_reply_on=date(2019, 12, 16),
        holding_only=0,
        no_reply=story["letters"] - story["replied"],
        **story,
    ).text

    assert expected in text


def test_observations_of_several_paragraphs_stay_paragraphs():
    one = type("Review", (), {"observation": "First line\nwrapped."})
    two = type("Review", (), {"observation": "A point.\n\nAnd a second paragraph."})

    assert observations_text([one]) == "- First line wrapped."
    assert observations_text([one, two]) == (
        "First line\nwrapped.\n\nA point.\n\nAnd a second paragraph."
    )


def test_a_theme_without_a_reviewed_observation_is_left_out_and_named_on_the_page(
    reviewed_round, minister, commissioner_client
):
    page = commissioner_client.get(
        reverse("letters:ministerial_letter_create", args=[reviewed_round.slug])
    )
    assert page.status_code == 200

    response = commissioner_client.post(
        reverse("letters:ministerial_letter_create", args=[reviewed_round.slug]),
        {"addressee": minister.pk},
    )

    letter = MinisterialLetter.objects.get()
    assert response["Location"] == reverse("letters:ministerial_letter_edit", args=[letter.pk])
    assert f"- {STRUCTURES}" in letter.body
    assert TRAINING not in letter.body  # written, but not reviewed
    for theme in Theme.objects.exclude(code="structures"):
        assert theme.name not in letter.body
    edit_page = commissioner_client.get(response["Location"]).content.decode()
    assert "These themes have no reviewed observation, so the draft leaves them out" in edit_page
    for theme in Theme.objects.exclude(code="structures"):
        assert f">{theme.name}</a> (not reviewed yet)" in edit_page


def test_draft_a_letter_is_offered_only_once_a_theme_is_reviewed(
    secretariat_user, commissioner_user, secretariat_client
):
    round_ = issue_round(created_by=secretariat_user)
    url = reverse("letters:round_detail", args=[round_.slug])
    create_url = reverse("letters:ministerial_letter_create", args=[round_.slug])

    assert create_url not in secretariat_client.get(url).content.decode()
    minister = addressee_create(name="Minister", salutation="Dear Minister", created_by=None)
    response = secretariat_client.post(create_url, {"addressee": minister.pk})
    assert "No theme of “Modern slavery” has a reviewed observation yet" in (
        response.content.decode()
    )
    assert not MinisterialLetter.objects.exists()

    review(round_, "training", TRAINING, commissioner_user)

    assert create_url in secretariat_client.get(url).content.decode()


# --- Addressees -------------------------------------------------------------------------------


def test_a_new_addressee_is_saved_for_reuse_and_chosen_for_the_draft(
    reviewed_round, secretariat_client
):
    url = reverse("letters:addressee_create", args=[reviewed_round.slug])
    typed = {
        "name": "The Rt Hon Jo Harland MP",
        "position": "Minister of State for Crime, Policing and the Fire Service",
        "organisation": "House of Commons",
        "address": "London\r\nSW1A 0AA",
    }

    missing = secretariat_client.post(url, typed)
    assert "Enter how the letter greets them" in missing.content.decode()
    assert 'value="The Rt Hon Jo Harland MP"' in missing.content.decode()

    saved = secretariat_client.post(url, typed | {"salutation": "Dear Minister"})
    addressee = Addressee.objects.get()
    assert saved["Location"].endswith(f"?addressee={addressee.pk}")
    assert addressee.address_block == [
        "The Rt Hon Jo Harland MP",
        "Minister of State for Crime, Policing and the Fire Service",
        "House of Commons",
        "London",
        "SW1A 0AA",
    ]
    picker = secretariat_client.get(saved["Location"]).content.decode()
    assert f'value="{addressee.pk}" checked' in " ".join(picker.split())

    again = secretariat_client.post(url, typed | {"salutation": "Dear Minister"})
    assert "This addressee is saved already" in again.content.decode()
    assert Addressee.objects.count() == 1


# --- Editing ----------------------------------------------------------------------------------


def test_the_secretariat_edits_a_draft_and_each_save_is_in_its_history(
    draft, secretariat_client, secretariat_user
):
    url = reverse("letters:ministerial_letter_edit", args=[draft.pk])
    body = "Thank you for meeting me.\n\n[figures table]\n\n- One point."

    response = secretariat_client.post(
        url, edit_data(draft, subject="Findings", body=body, figure_years=[2019])
    )

    assert response["Location"] == url
    draft.refresh_from_db()
    assert (draft.subject, draft.body, draft.figure_years) == ("Findings", body, [2019])
    assert draft.updated_by == secretariat_user
    assert draft.history.count() == 2
    assert draft.history.first().history_user == secretariat_user
    page = secretariat_client.get(url).content.decode()
    assert "Only the Commissioner can issue the letter" in page
    assert reverse("letters:ministerial_letter_issue", args=[draft.pk]) not in page

    secretariat_client.post(url, edit_data(draft))
    assert draft.history.count() == 2  # nothing changed, nothing written


def test_a_refused_edit_keeps_what_was_typed(draft, secretariat_client):
    url = reverse("letters:ministerial_letter_edit", args=[draft.pk])
    body = "First table:\n\n[figures table]\n\nAnd again:\n\n[Figures table]"

    response = secretariat_client.post(url, edit_data(draft, subject="Kept subject", body=body))

    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Put the [figures table] line in once only" in page
    assert "And again:" in page
    assert 'value="Kept subject"' in page
    empty = secretariat_client.post(url, edit_data(draft, body="  "))
    assert "Enter the text of the letter" in empty.content.decode()
    draft.refresh_from_db()
    assert "[figures table]" in draft.body and "And again" not in draft.body


def test_save_and_preview_shows_the_saved_draft_as_a_pdf(draft, secretariat_client):
    url = reverse("letters:ministerial_letter_edit", args=[draft.pk])
    body = "A new opening paragraph.\n\n[figures table]"

    response = secretariat_client.post(url, edit_data(draft, body=body, preview=""))

    assert response["Location"] == reverse("letters:ministerial_letter_preview", args=[draft.pk])
    pdf = secretariat_client.get(response["Location"])
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith("inline")
    (text,) = pages_text(pdf.content)
    assert "A new opening paragraph." in text
    assert "2019* 5,019 226 349 251" in text
    assert "Our reference: IASC/2019-10/MIN-1" in text


def test_the_page_saves_in_the_background_and_says_when(draft, secretariat_client):
    url = reverse("letters:ministerial_letter_edit", args=[draft.pk])

    saved = secretariat_client.post(
        url, edit_data(draft, body="Autosaved text."), headers={"X-Autosave": "1"}
    )
    refused = secretariat_client.post(url, edit_data(draft, body=""), headers={"X-Autosave": "1"})

    assert saved.json()["saved"] is True
    assert refused.status_code == 400
    assert refused.json() == {"saved": False, "errors": ["Enter the text of the letter"]}
    draft.refresh_from_db()
    assert draft.body == "Autosaved text."


def test_years_ticked_without_the_table_line_are_pointed_out(draft, secretariat_client):
    url = reverse("letters:ministerial_letter_edit", args=[draft.pk])
    secretariat_client.post(url, edit_data(draft, body="No table here."))

    page = secretariat_client.get(url).content.decode()

    assert "The years you ticked are not shown: the text has no [figures table] line." in page


def test_an_observation_reviewed_after_the_draft_was_started_is_pointed_out(
    draft, commissioner_user, secretariat_client
):
    review(draft.round, "training", TRAINING, commissioner_user)

    page = secretariat_client.get(reverse("letters:ministerial_letter_edit", args=[draft.pk]))

    assert (
        "The observation on “Training and guidance” was written or reviewed after this draft was "
        "started"
    ) in page.content.decode()
    assert "Structures and coordination" not in " ".join(note for note in page.context["notes"])


# --- Issuing ----------------------------------------------------------------------------------


def test_the_secretariat_may_not_issue(draft, secretariat_client):
    url = reverse("letters:ministerial_letter_issue", args=[draft.pk])

    assert secretariat_client.get(url).status_code == 403
    assert secretariat_client.post(url).status_code == 403
    draft.refresh_from_db()
    assert not draft.is_issued


def test_the_commissioner_issues_and_the_round_lists_the_letter(
    draft, commissioner_client, commissioner_user
):
    commissioner_user.first_name, commissioner_user.last_name = "Cara", "Whitlock"
    commissioner_user.save()
    url = reverse("letters:ministerial_letter_issue", args=[draft.pk])
    confirm = commissioner_client.get(url).content.decode()
    assert "IASC/2019-10/MIN-1" in confirm
    assert "Once issued, the letter cannot be changed" in confirm

    response = commissioner_client.post(url)

    draft.refresh_from_db()
    round_page = reverse("letters:round_detail", args=[draft.round.slug])
    assert response["Location"] == round_page + "#letters-out"
    assert draft.is_issued
    assert draft.reference == "IASC/2019-10/MIN-1"
    assert draft.issued_on == timezone.localdate()
    assert draft.issued_by == commissioner_user
    page = " ".join(commissioner_client.get(round_page).content.decode().split())
    assert "IASC/2019-10/MIN-1" in page
    assert f"{timezone.localdate():%-d %B %Y}" in page
    assert "Cara Whitlock" in page
    assert reverse("letters:ministerial_letter_pdf", args=[draft.pk]) in page
    (text,) = pages_text(
        commissioner_client.get(
            reverse("letters:ministerial_letter_pdf", args=[draft.pk])
        ).getvalue()
    )
    assert "Our reference: IASC/2019-10/MIN-1" in text
    assert "DRAFT" not in text

    second = ministerial_letter_create(
        round=draft.round, addressee=draft.addressee, created_by=commissioner_user
    )
    assert ministerial_letter_issue(letter=second, issued_by=commissioner_user).reference == (
        "IASC/2019-10/MIN-2"
    )


def test_a_table_line_without_years_stops_the_issue(draft, commissioner_client):
    commissioner_client.post(
        reverse("letters:ministerial_letter_edit", args=[draft.pk]),
        edit_data(draft, figure_years=[]),
    )
    url = reverse("letters:ministerial_letter_issue", args=[draft.pk])

    response = commissioner_client.post(url)

    assert "Tick the years of figures for the table, or delete the [figures table] line." in (
        response.content.decode()
    )
    draft.refresh_from_db()
    assert not draft.is_issued


def test_an_issued_letters_pdf_is_kept_byte_for_byte_and_the_letter_never_changes(
    draft, figures, commissioner_client, commissioner_user, secretariat_user
):
    commissioner_client.post(reverse("letters:ministerial_letter_issue", args=[draft.pk]))
    draft.refresh_from_db()
    download = reverse("letters:ministerial_letter_pdf", args=[draft.pk])
    as_issued = commissioner_client.get(download).getvalue()

    theme_observation_save(
        round=draft.round,
        theme=Theme.objects.get(code="structures"),
        observation="A rewritten observation.",
        by=commissioner_user,
    )
    prosecution_figures_correct(
        figures=figures[2019], reason="Full-year count", by=commissioner_user, recorded_crimes=7000
    )

    assert commissioner_client.get(download).getvalue() == as_issued
    preview = commissioner_client.get(
        reverse("letters:ministerial_letter_preview", args=[draft.pk])
    )
    assert preview.getvalue() == as_issued
    # Drawn again, the letter would now differ: the stored file is what keeps it.
    fresh = ministerial_letter_create(
        round=draft.round, addressee=draft.addressee, created_by=commissioner_user
    )
    fresh_text = " ".join(
        pages_text(
            commissioner_client.get(
                reverse("letters:ministerial_letter_preview", args=[fresh.pk])
            ).content
        )
    )
    assert "7,000" in fresh_text and "A rewritten observation." in fresh_text
    assert "7,000" not in " ".join(pages_text(as_issued))

    with pytest.raises(LetterIssued):
        ministerial_letter_update(
            letter=draft, subject="", body="Changed", figure_years=[], updated_by=commissioner_user
        )
    with pytest.raises(LetterIssued):
        ministerial_letter_issue(letter=draft, issued_by=commissioner_user)
    edit = client_for(secretariat_user).post(
        reverse("letters:ministerial_letter_edit", args=[draft.pk]),
        edit_data(draft, body="Changed"),
    )
    assert edit.status_code == 302
    again = commissioner_client.post(reverse("letters:ministerial_letter_issue", args=[draft.pk]))
    assert again.status_code == 302
    with pytest.raises(IntegrityError), transaction.atomic():
        MinisterialLetter.objects.filter(pk=draft.pk).update(body="Changed behind its back")

    kept = MinisterialLetter.objects.get(pk=draft.pk)
    assert (kept.body, kept.reference, kept.pdf.name) == (
        draft.body,
        draft.reference,
        draft.pdf.name,
    )
    assert commissioner_client.get(download).getvalue() == as_issued


def test_deleting_the_person_who_issued_a_letter_keeps_the_letter(draft, commissioner_user):
    issued = ministerial_letter_issue(letter=draft, issued_by=commissioner_user)

    commissioner_user.delete()

    issued.refresh_from_db()
    assert issued.is_issued and issued.issued_by is None


def test_markup_typed_into_a_letter_is_printed_as_text_and_fetches_nothing(
    canary_server,  # noqa: F811
    draft,
    secretariat_client,
    caplog,
):
    url, requests = canary_server
    body = (
        'See <img src="file:///etc/passwd"> and <img src="' + url + '/pixel.png">\n\n'
        f'- <link rel="stylesheet" href="{url}/x.css"> <b>bold</b>'
    )
    ministerial_letter_update(
        letter=draft,
        subject="<script>alert(1)</script>",
        body=body,
        figure_years=[],
        updated_by=None,
    )

    with caplog.at_level(logging.WARNING, logger="letters.pdf"):
        pdf = secretariat_client.get(reverse("letters:ministerial_letter_preview", args=[draft.pk]))

    text = " ".join(pages_text(pdf.content))
    assert requests == []
    assert not [record for record in caplog.records if record.name == "letters.pdf"]
    assert squashed('<img src="file:///etc/passwd">') in squashed(text)
    assert squashed(f'<img src="{url}/pixel.png">') in squashed(text)
    assert squashed("<b>bold</b>") in squashed(text)
    assert "<script>alert(1)</script>" in text
    assert "root:" not in text
    page = secretariat_client.get(reverse("letters:ministerial_letter_edit", args=[draft.pk]))
    assert b"<script>alert(1)</script>" not in page.content


@pytest.mark.parametrize("drafts", [1, 20])
def test_the_round_page_lists_its_letters_in_a_constant_number_of_queries(
    draft, drafts, secretariat_user, secretariat_client, django_assert_max_num_queries
):
    for _ in range(drafts - 1):
        ministerial_letter_create(
            round=draft.round, addressee=draft.addressee, created_by=secretariat_user
        )
    ministerial_letter_issue(letter=draft, issued_by=secretariat_user)

    with django_assert_max_num_queries(15):
        page = secretariat_client.get(reverse("letters:round_detail", args=[draft.round.slug]))

    assert page.content.decode().count("the draft to The Rt Hon Jo Harland MP") == 2 * (drafts - 1)
