"""The nightly chase-up: from the letters' state, the next step each is due, exactly once."""

import io
from datetime import date, timedelta
from email import message_from_bytes, policy

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from forces.models import Force
from letters.demo import load_demo
from letters.models import JobRun, OutboundEmail, Reminder, Reply, Round
from letters.selectors.chase_ups import chase_ups_due
from letters.services.chase_ups import chase_ups_send
from letters.services.letters import letter_extend, letter_pause_chase_ups
from letters.services.replies import reply_log
from tests.conftest import issue_round, text_document

pytestmark = pytest.mark.django_db

# Issued Friday 11 October 2019, due Friday 8 November 2019 (20 working days).
DUE = date(2019, 11, 8)
FORCES = ("kent", "essex", "surrey", "gwent", "city-of-london")


@pytest.fixture
def chased_round(secretariat_user):
    for code in FORCES[:-1]:
        Force.objects.filter(code=code).update(email=f"chief.officer@{code}.police.example")
    return issue_round(created_by=secretariat_user, forces=Force.objects.filter(code__in=FORCES))


@pytest.fixture
def kent_round(secretariat_user):
    """The same round, to Kent alone: for following one letter through every step."""
    Force.objects.filter(code="kent").update(email="chief.officer@kent.police.example")
    return issue_round(created_by=secretariat_user, forces=Force.objects.filter(code="kent"))


def letter(round_, code):
    return round_.letters.get(force__code=code)


def steps(today):
    return {(c.letter.force.code, c.step) for c in chase_ups_due(today=today)}


def run(today, capture):
    with capture(execute=True):
        return chase_ups_send(today=today)


def log_reply(letter, kind, user):
    reply_log(
        letter=letter,
        kind=kind,
        received_on=date(2019, 11, 1),
        channel="post",
        from_name="Chief Constable",
        documents=[text_document("Our reply.")],
        logged_by=user,
    )


def test_a_letter_is_first_chased_the_day_after_it_was_due(chased_round):
    assert steps(DUE) == set()
    assert steps(date(2019, 11, 11)) == {(code, Reminder.Step.FIRST) for code in FORCES}


def test_the_first_reminder_waits_the_rounds_working_days(secretariat_user):
    round_ = issue_round(
        created_by=secretariat_user, forces=Force.objects.filter(code="kent"), first_reminder_days=2
    )
    assert round_.first_reminder_days == 2
    assert steps(date(2019, 11, 11)) == set()
    assert steps(date(2019, 11, 12)) == {("kent", Reminder.Step.FIRST)}


def test_never_a_full_reply_a_live_extension_a_paused_letter_or_a_closed_round(
    chased_round, secretariat_user
):
    log_reply(letter(chased_round, "kent"), Reply.Kind.FULL, secretariat_user)
    log_reply(letter(chased_round, "essex"), Reply.Kind.HOLDING, secretariat_user)
    letter_extend(
        letter=letter(chased_round, "surrey"),
        new_due_on=date(2019, 11, 29),
        reason="Figures being checked",
        agreed_with="Staff officer",
        granted_by=secretariat_user,
    )
    letter_pause_chase_ups(letter=letter(chased_round, "gwent"), reason="Chief Constable is ill")
    # A holding reply is not an answer: Essex is chased; City of London never replied.
    assert steps(date(2019, 11, 11)) == {
        ("essex", Reminder.Step.FIRST),
        ("city-of-london", Reminder.Step.FIRST),
    }
    # Once the extension has run out, Surrey is chased too.
    assert ("surrey", Reminder.Step.FIRST) in steps(date(2019, 12, 2))

    Round.objects.filter(pk=chased_round.pk).update(status=Round.Status.CLOSED)
    assert steps(date(2019, 12, 2)) == set()


def test_each_letter_gets_only_the_next_step_it_is_due_however_late_the_run(
    kent_round, django_capture_on_commit_callbacks
):
    # The job has not run for months: one step now, the next when its own time comes.
    first = run(date(2020, 3, 2), django_capture_on_commit_callbacks)
    assert {r.step for r in first.made} == {Reminder.Step.FIRST}
    assert steps(date(2020, 3, 3)) == set()
    kent = letter(kent_round, "kent")
    reminder = kent.reminders.get()
    assert (reminder.chased_due_on, reminder.reply_by) == (DUE, date(2020, 3, 16))
    # The second waits ten working days and until the first reminder's date has passed.
    assert steps(date(2020, 3, 16)) == set()
    assert ("kent", Reminder.Step.SECOND) in steps(date(2020, 3, 17))


def test_the_three_steps_on_the_default_policy(kent_round, django_capture_on_commit_callbacks):
    dates = {
        Reminder.Step.FIRST: date(2019, 11, 11),
        Reminder.Step.SECOND: date(2019, 11, 26),
        Reminder.Step.ESCALATION: date(2019, 12, 11),
    }
    for step, today in dates.items():
        if step != Reminder.Step.FIRST:
            assert steps(today - timedelta(days=1)) == set()
        made = run(today, django_capture_on_commit_callbacks).made
        assert [(r.letter.force.code, r.step) for r in made] == [("kent", step)]
    assert steps(date(2020, 6, 1)) == set()  # nothing after escalation


def test_running_twice_the_same_day_makes_and_sends_each_reminder_once(
    chased_round, django_capture_on_commit_callbacks
):
    today = date(2019, 11, 11)
    assert len(run(today, django_capture_on_commit_callbacks).made) == 5
    assert run(today, django_capture_on_commit_callbacks).made == []
    assert Reminder.objects.count() == 5
    assert OutboundEmail.objects.filter(idempotency_key__startswith="reminder:").count() == 4
    assert len([m for m in mail.outbox if m.subject.startswith("First reminder")]) == 4
    summaries = list(JobRun.objects.order_by("started_at").values_list("summary", flat=True))
    assert summaries[0].startswith("Made 5 first reminders, 0 second reminders, 0 escalations.")
    assert summaries[1].startswith("Made 0 first reminders")
    assert JobRun.objects.filter(name="send_chase_ups", succeeded=True).count() == 2


def test_a_reminder_is_emailed_with_its_pdf_and_the_original_letter(
    chased_round, django_capture_on_commit_callbacks, settings
):
    settings.REPLY_MAILBOX = "replies@iasc.example.org"
    run(date(2019, 11, 11), django_capture_on_commit_callbacks)
    kent = letter(chased_round, "kent")
    email = OutboundEmail.objects.get(idempotency_key=f"reminder:{kent.pk}:first")
    assert email.subject.startswith("First reminder") and "IASC/2019-10/KNT" in email.subject
    [message] = [m for m in mail.outbox if m.subject == email.subject]
    parsed = message_from_bytes(message.message().as_bytes(), policy=policy.default)
    assert parsed["Reply-To"] == "replies@iasc.example.org"
    reminder_file, letter_file = list(parsed.iter_attachments())
    assert letter_file.get_filename() == "IASC-2019-10-KNT.pdf"
    text = " ".join(
        " ".join(page.extract_text().split())
        for page in PdfReader(io.BytesIO(reminder_file.get_content())).pages
    )
    assert "IASC/2019-10/KNT" in text and "Kent Police" in text
    assert "On 11 October 2019 I wrote to you" in text
    assert "Your reply was due by 8 November 2019" in text
    assert "by 25 November 2019" in text


def test_a_letter_without_an_address_gets_its_reminder_on_paper_only(
    chased_round, django_capture_on_commit_callbacks
):
    result = run(date(2019, 11, 11), django_capture_on_commit_callbacks)
    city = letter(chased_round, "city-of-london")
    reminder = city.reminders.get()
    assert reminder.pdf and reminder.email is None
    assert "No email address, to be posted: IASC/2019-10/CLP." in result.summary()


def test_escalation_is_flagged_to_the_commissioner_and_never_emailed(
    kent_round, commissioner_client, django_capture_on_commit_callbacks
):
    for today in (date(2019, 11, 11), date(2019, 11, 26), date(2019, 12, 11)):
        run(today, django_capture_on_commit_callbacks)
    escalation = letter(kent_round, "kent").reminders.get(step=Reminder.Step.ESCALATION)
    assert escalation.email is None and escalation.pdf
    assert OutboundEmail.objects.filter(idempotency_key__endswith=":escalation").count() == 0

    page = commissioner_client.get(reverse("letters:round_detail", args=[kent_round.slug]))
    html = " ".join(page.content.decode().split())
    assert "Escalated to the Commissioner" in html
    assert "Kent Police (IASC/2019-10/KNT)" in html
    final_letter = commissioner_client.get(reverse("letters:reminder_pdf", args=[escalation.pk]))
    assert final_letter["Content-Type"] == "application/pdf"


@pytest.fixture
def overdue_today(secretariat_user):
    """A round issued two months ago to Kent (with an address) and City of London (without)."""
    Force.objects.filter(code="kent").update(email="chief.officer@kent.police.example")
    round_ = issue_round(
        created_by=secretariat_user,
        forces=Force.objects.filter(code__in=("kent", "city-of-london")),
        issued_on=timezone.localdate() - timedelta(days=60),
    )
    return round_.letters.first().due_on


def test_dry_run_says_what_would_go_and_changes_nothing(overdue_today):
    out = io.StringIO()
    call_command("send_chase_ups", "--dry-run", stdout=out)
    output = out.getvalue()
    assert (
        f"Would make first reminder: IASC/2019-10/KNT Kent Police, due {overdue_today:%-d %B %Y}"
        in output
    )
    assert "email to chief.officer@kent.police.example" in output
    assert "IASC/2019-10/CLP City of London Police" in output and "NO EMAIL ADDRESS" in output
    assert not Reminder.objects.exists()
    assert not JobRun.objects.exists() and not OutboundEmail.objects.exists()


def test_the_command_makes_the_reminders_and_says_so(overdue_today):
    out = io.StringIO()
    call_command("send_chase_ups", stdout=out)
    assert "Made first reminder: IASC/2019-10/KNT Kent Police" in out.getvalue()
    assert Reminder.objects.count() == 2
    out = io.StringIO()
    call_command("send_chase_ups", stdout=out)
    assert f"No chase-ups are due on {timezone.localdate():%-d %B %Y}." in out.getvalue()


def test_after_the_demo_the_chase_up_has_work_to_do():
    load_demo()
    due = {(c.letter.force.code, c.step) for c in chase_ups_due()}
    assert due == {
        ("cleveland", Reminder.Step.SECOND),
        ("dyfed-powys", Reminder.Step.FIRST),
        ("gwent", Reminder.Step.FIRST),
        ("northumbria", Reminder.Step.FIRST),
    }
