"""The dashboard: what the Commissioner sees first, each figure leading to the rows behind it."""

from datetime import date

import pytest
from django.urls import reverse

from letters.models import Reminder, Report, Round, Theme
from letters.services.letters import letter_extend
from letters.services.reviews import theme_review_mark
from tests.conftest import issue_round, make_round
from tests.letters.test_themes import log_reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_round(secretariat_user):
    """Issued 11 October 2019 (due 8 November): 3 full replies, 2 holding, 1 escalated."""
    by = secretariat_user
    round_ = issue_round(created_by=by)
    letters = {letter.force.code: letter for letter in round_.letters.select_related("force")}
    log_reply(letters["kent"], by, received_on=date(2019, 10, 21))  # 10 days
    log_reply(letters["essex"], by, received_on=date(2019, 11, 1))  # 21 days
    log_reply(letters["surrey"], by, received_on=date(2019, 11, 20))  # 40 days
    log_reply(letters["gwent"], by, kind="holding", received_on=date(2019, 11, 4))
    log_reply(letters["dorset"], by, kind="holding", received_on=date(2019, 11, 4))
    letter_extend(
        letter=letters["dorset"],
        new_due_on=date(2099, 1, 5),
        reason="Audit",
        agreed_with="CC",
        granted_by=by,
    )
    # No chase-up service on this branch yet: the escalation is recorded as the nightly job would.
    Reminder.objects.create(
        letter=letters["cleveland"], step=Reminder.Step.ESCALATION, chased_due_on=date(2019, 11, 8)
    )
    Reminder.objects.create(
        letter=letters["cleveland"], step=Reminder.Step.FIRST, chased_due_on=date(2019, 11, 8)
    )
    return round_


def test_the_dashboard_gives_each_open_round_its_figures(commissioner_client, open_round):
    response = commissioner_client.get(reverse("letters:dashboard"))

    [item] = response.context["dashboard"].open_rounds
    assert item.round == open_round
    assert (item.letters, item.replied, item.response_rate) == (43, 3, 7)
    assert item.overdue == 43 - 3 - 1  # Dorset's extension runs to 2099
    assert item.holding == 2  # Gwent (overdue) and Dorset (extended) both sent one
    assert item.escalated == 1
    assert item.median_days_to_reply == 21
    page = response.content.decode()
    assert "7%" in page and "replied (3 of 43)" in page


def test_each_figure_links_to_the_tracker_rows_behind_it(commissioner_client, open_round):
    item = commissioner_client.get(reverse("letters:dashboard")).context["dashboard"].open_rounds[0]
    page = commissioner_client.get(reverse("letters:dashboard")).content.decode()
    tracker = reverse("letters:round_detail", args=[open_round.slug])

    for query, expected in [
        ("status=overdue", item.overdue),
        ("reply=holding", item.holding),
        ("chased=escalation", item.escalated),
        ("status=replied", item.replied),
    ]:
        assert f"{tracker}?{query}" in page
        rows = commissioner_client.get(f"{tracker}?{query}").context["rows"]
        assert len(rows) == expected, query
    holding = commissioner_client.get(tracker, {"reply": "holding"}).context["rows"]
    assert {row.force.code for row in holding} == {"gwent", "dorset"}


def test_closed_and_draft_rounds_are_not_open(commissioner_client, secretariat_user, open_round):
    closed = issue_round(created_by=secretariat_user, reference_prefix="IASC/2018-01")
    # No service closes a round on this branch yet; the status is what the dashboard reads.
    Round.objects.filter(pk=closed.pk).update(status=Round.Status.CLOSED)
    make_round(created_by=secretariat_user, reference_prefix="IASC/2020-01")

    rounds = commissioner_client.get(reverse("letters:dashboard")).context["dashboard"].open_rounds

    assert [item.round for item in rounds] == [open_round]


def test_unreviewed_themes_are_listed_with_links_to_their_summaries(
    commissioner_client, commissioner_user, open_round
):
    theme_review_mark(
        round=open_round, theme=Theme.objects.get(code="training"), by=commissioner_user
    )

    response = commissioner_client.get(reverse("letters:dashboard"))

    [item] = response.context["dashboard"].open_rounds
    assert [theme.code for theme in item.unreviewed_themes] == [
        "structures",
        "ancillary-orders",
        "resourcing",
    ]
    page = response.content.decode()
    assert reverse("letters:theme_summary", args=[open_round.slug, "structures"]) in page
    assert reverse("letters:theme_summary", args=[open_round.slug, "training"]) not in page


def test_a_round_with_no_replies_has_no_median(commissioner_client, secretariat_user):
    issue_round(created_by=secretariat_user)

    [item] = commissioner_client.get(reverse("letters:dashboard")).context["dashboard"].open_rounds

    assert item.median_days_to_reply is None
    assert item.response_rate == 0


def test_the_latest_reports_are_listed_with_their_status(
    commissioner_client, commissioner_user, open_round
):
    # Reports are built by another part of the system; here only their rows matter.
    Report.objects.create(round=open_round, status=Report.Status.FAILED, error="boom")
    Report.objects.create(
        round=open_round, status=Report.Status.DONE, requested_by=commissioner_user
    )

    page = commissioner_client.get(reverse("letters:dashboard")).content.decode()

    reports = page[page.index("Latest reports") :]
    assert reports.index("Done") < reports.index("Failed")  # newest first
    assert "boom" not in reports


def test_signing_in_lands_on_the_dashboard_and_only_it_is_the_active_menu_entry(
    client, commissioner_user, open_round
):
    commissioner_user.set_password("a-long-password-1")
    commissioner_user.save()
    response = client.post(
        reverse("login"),
        {"username": commissioner_user.username, "password": "a-long-password-1"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("letters:dashboard") == "/"

    def active(path):
        return [item["label"] for item in client.get(path).context["navigation"] if item["active"]]

    assert active("/") == ["Dashboard"]
    assert active(reverse("letters:round_list")) == ["Rounds"]
    assert active(reverse("forces:figures")) == ["Figures"]
    assert active(reverse("forces:force_detail", args=["kent"])) == ["Forces"]


def test_the_tracker_filters_by_the_reply_received_and_the_chase_up_reached(
    secretariat_client, open_round
):
    tracker = reverse("letters:round_detail", args=[open_round.slug])

    def forces(**query):
        return {row.force.code for row in secretariat_client.get(tracker, query).context["rows"]}

    assert forces(reply="full") == {"kent", "essex", "surrey"}
    assert len(forces(reply="none")) == 43 - 3 - 2
    assert forces(chased="first") == forces(chased="escalation") == {"cleveland"}
    assert forces(chased="second") == set()
    assert forces(reply="holding", region="Wales") == {"gwent"}
