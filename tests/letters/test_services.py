"""The write operations of issue 2: rounds, replies, extensions, coding."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from forces.models import Force
from forces.services import head_of_force_appoint
from letters.models import Coding, Letter, Reply, Round, Theme
from letters.services.coding import CodingErrors, coding_save, reply_code
from letters.services.letters import letter_extend, letter_pause_chase_ups
from letters.services.replies import reply_log
from letters.services.rounds import RoundNotDraft, letter_preview, round_issue
from tests.conftest import make_round, text_document

pytestmark = pytest.mark.django_db


def test_a_round_refuses_unknown_merge_fields(secretariat_user):
    with pytest.raises(ValidationError) as refused:
        make_round(created_by=secretariat_user, body="Dear {{ chief_name }}, {{ force_name }}")
    assert "{{ chief_name }}" in str(refused.value)
    assert not Round.objects.exists()


def test_issuing_creates_one_letter_per_force_merged_and_due_in_working_days(secretariat_user):
    round_ = make_round(created_by=secretariat_user)
    letters = round_issue(round=round_, issued_by=secretariat_user, issued_on=date(2019, 10, 11))

    assert len(letters) == 43
    met = Letter.objects.get(round=round_, force__code="metropolitan")
    assert met.reference == "IASC/2019-10/MPS"
    assert met.salutation == "Dear Commissioner"
    assert "Metropolitan Police Service" in met.body
    assert "8 November 2019" in met.body and "IASC/2019-10/MPS" in met.body
    assert met.due_on == met.original_due_on == date(2019, 11, 8)
    round_.refresh_from_db()
    assert round_.status == Round.Status.ISSUED
    assert Letter.objects.filter(round=round_).values("reference").distinct().count() == 43


def test_a_round_is_issued_once_and_then_cannot_change(secretariat_user):
    round_ = make_round(created_by=secretariat_user)
    round_issue(round=round_, issued_by=secretariat_user)
    with pytest.raises(RoundNotDraft):
        round_issue(round=round_, issued_by=secretariat_user)
    assert Letter.objects.filter(round=round_).count() == 43


def test_issuing_to_chosen_forces_only(secretariat_user):
    round_ = make_round(created_by=secretariat_user)
    wales = Force.objects.filter(country="Wales")
    round_issue(round=round_, issued_by=secretariat_user, forces=wales)
    assert set(round_.letters.values_list("force__code", flat=True)) == set(
        wales.values_list("code", flat=True)
    )


def test_a_letter_keeps_the_name_it_was_sent_to_when_the_head_changes(issued_round):
    kent = Force.objects.get(code="kent")
    head_of_force_appoint(force=kent, name="Alan Pughsley")
    later = make_round(created_by=None, reference_prefix="IASC/2020-03")
    round_issue(round=later, issued_by=None)
    head_of_force_appoint(force=kent, name="Tim Smith")

    assert issued_round.letters.get(force=kent).addressee_name == ""
    assert later.letters.get(force=kent).addressee_name == "Alan Pughsley"
    assert letter_preview(round=later, force=kent).addressee_name == "Tim Smith"


def test_a_full_reply_marks_the_letter_replied_and_stores_its_text(issued_round, secretariat_user):
    letter = issued_round.letters.get(force__code="surrey")
    reply = reply_log(
        letter=letter,
        kind=Reply.Kind.FULL,
        received_on=date(2019, 11, 12),
        channel=Reply.Channel.POST,
        from_name="Chief Constable",
        documents=[text_document("Our joint exploitation unit investigates every case.")],
        logged_by=secretariat_user,
    )
    letter.refresh_from_db()
    assert letter.status == Letter.Status.REPLIED
    assert "joint exploitation unit" in reply.text
    assert (
        reply.documents.get().file.read() == b"Our joint exploitation unit investigates every case."
    )


def test_a_holding_reply_then_a_full_one_moves_the_letter_on(issued_round, secretariat_user):
    letter = issued_round.letters.get(force__code="gwent")
    common = dict(channel="email", from_name="CC", logged_by=secretariat_user)
    reply_log(letter=letter, kind="holding", received_on=date(2019, 11, 8), **common)
    letter.refresh_from_db()
    assert letter.status == Letter.Status.HOLDING
    reply_log(letter=letter, kind="full", received_on=date(2019, 11, 29), **common)
    letter.refresh_from_db()
    assert letter.status == Letter.Status.REPLIED
    reply_log(letter=letter, kind="full", received_on=date(2019, 12, 2), **common)
    assert letter.replies.filter(kind="full").count() == 2


@pytest.mark.parametrize(
    "received_on, message",
    [
        (timezone.localdate() + timedelta(days=1), "cannot be in the future"),
        (date(2019, 10, 10), "before the letter was issued"),
    ],
)
def test_impossible_received_dates_are_refused(issued_round, received_on, message):
    letter = issued_round.letters.get(force__code="kent")
    with pytest.raises(ValidationError, match=message):
        reply_log(
            letter=letter,
            kind="full",
            received_on=received_on,
            channel="post",
            from_name="CC",
            logged_by=None,
        )
    assert not Reply.objects.exists()


def test_an_extension_moves_the_due_date_and_records_why(issued_round, secretariat_user):
    letter = issued_round.letters.get(force__code="gwent")
    extension = letter_extend(
        letter=letter,
        new_due_on=date(2019, 11, 29),
        reason="Audit of case files",
        agreed_with="Chief Constable",
        granted_by=secretariat_user,
    )
    letter.refresh_from_db()
    assert letter.due_on == date(2019, 11, 29)
    assert letter.original_due_on == date(2019, 11, 8)
    assert extension.previous_due_on == date(2019, 11, 8)


def test_an_extension_before_the_current_due_date_is_refused(issued_round):
    letter = issued_round.letters.get(force__code="gwent")
    with pytest.raises(ValidationError, match="must be after the current one"):
        letter_extend(
            letter=letter,
            new_due_on=date(2019, 11, 1),
            reason="x",
            agreed_with="y",
            granted_by=None,
        )
    letter.refresh_from_db()
    assert letter.due_on == date(2019, 11, 8)


def test_pausing_chase_ups_needs_a_reason(issued_round):
    letter = issued_round.letters.get(force__code="kent")
    with pytest.raises(ValidationError):
        letter_pause_chase_ups(letter=letter, reason="  ")
    letter_pause_chase_ups(letter=letter, reason="Force in special measures; writing directly")
    letter.refresh_from_db()
    assert letter.chase_paused


@pytest.fixture
def surrey_reply(issued_round, secretariat_user):
    return reply_log(
        letter=issued_round.letters.get(force__code="surrey"),
        kind="full",
        received_on=date(2019, 11, 12),
        channel="email",
        from_name="CC",
        documents=[
            text_document(
                "Every officer completed the College of Policing e-learning in 2018.\n"
                "Our   investigators attended courses run by the Transformation Unit."
            )
        ],
        logged_by=secretariat_user,
    )


def test_coding_keeps_verbatim_excerpts(surrey_reply, secretariat_user):
    training = Theme.objects.get(code="training")
    coding = coding_save(
        reply=surrey_reply,
        theme=training,
        judgement="addressed",
        # Line breaks and spacing in the document do not matter; the words do.
        excerpts=["Our investigators attended courses run by the Transformation Unit."],
        coded_by=secretariat_user,
    )
    assert coding.excerpts.get().text.startswith("Our investigators")


def test_an_excerpt_not_in_the_reply_is_refused(surrey_reply, secretariat_user):
    training = Theme.objects.get(code="training")
    with pytest.raises(ValidationError, match="not in the reply's text"):
        coding_save(
            reply=surrey_reply,
            theme=training,
            judgement="addressed",
            excerpts=["Every officer completed advanced training in 2019."],
            coded_by=secretariat_user,
        )
    assert not Coding.objects.exists()


def test_addressed_needs_an_excerpt(surrey_reply, secretariat_user):
    with pytest.raises(ValidationError, match="Quote at least one passage"):
        coding_save(
            reply=surrey_reply,
            theme=Theme.objects.get(code="training"),
            judgement="partly",
            excerpts=[],
            coded_by=secretariat_user,
        )


def test_coding_several_themes_saves_all_or_none(surrey_reply, secretariat_user):
    themes = {theme.code: theme for theme in Theme.objects.all()}
    with pytest.raises(CodingErrors) as refused:
        reply_code(
            reply=surrey_reply,
            codings={
                themes["training"]: {
                    "judgement": "addressed",
                    "excerpts": ["Every officer completed the College of Policing e-learning"],
                },
                themes["resourcing"]: {"judgement": "partly", "excerpts": ["Invented words."]},
            },
            coded_by=secretariat_user,
        )
    assert list(refused.value.errors) == ["resourcing"]
    assert not Coding.objects.exists()
