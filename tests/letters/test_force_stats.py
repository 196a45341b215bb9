"""Forces over time: each force's replies across rounds, on its page and in one table."""

import csv
import io
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from letters.models import Reminder, Reply, Theme
from letters.selectors.force_stats import all_force_stats, force_stats
from letters.services.coding import coding_save
from letters.services.letters import letter_extend
from letters.services.replies import reply_log
from tests.conftest import issue_round, text_document

pytestmark = pytest.mark.django_db

STATS = reverse("forces:force_stats")


def _reply(round_, force_code, received_on, *, by, kind=Reply.Kind.FULL):
    return reply_log(
        letter=round_.letters.get(force__code=force_code),
        kind=kind,
        received_on=received_on,
        channel="post",
        from_name="Chief Constable",
        documents=[text_document("Kent works with the ROCU. Every officer is trained.")],
        logged_by=by,
    )


def _remind(letter):
    # The chase-up service lives on another branch; a reminder row is all these figures read.
    return Reminder.objects.create(
        letter=letter, step=Reminder.Step.FIRST, chased_due_on=letter.due_on
    )


@pytest.fixture
def history(secretariat_user):
    """Three rounds. 2019 (due 8 Nov 2019): Kent on time, Surrey late after a reminder, Gwent a
    holding reply only, Essex on time after an extension. 2020 (due 29 Jun 2020): Kent on time.
    A round issued today: nobody has replied and nothing is due yet."""
    by = secretariat_user
    themes = {theme.code: theme for theme in Theme.objects.all()}
    round_2019 = issue_round(created_by=by, issued_on=date(2019, 10, 11))
    round_2020 = issue_round(
        created_by=by,
        reference_prefix="IASC/2020-06",
        issued_on=date(2020, 6, 1),
        themes=[themes["training"], themes["structures"]],
    )
    issue_round(created_by=by, reference_prefix="IASC/NOW", issued_on=timezone.localdate())

    kent_2019 = _reply(round_2019, "kent", date(2019, 11, 1), by=by)
    for code, judgement, excerpts in [
        ("structures", "addressed", ["Kent works with the ROCU."]),
        ("training", "partly", ["Every officer is trained."]),
        ("resourcing", "not", []),
    ]:
        coding_save(
            reply=kent_2019,
            theme=themes[code],
            judgement=judgement,
            excerpts=excerpts,
            coded_by=by,
        )
    _remind(round_2019.letters.get(force__code="surrey"))
    _reply(round_2019, "surrey", date(2019, 11, 20), by=by)
    _reply(round_2019, "gwent", date(2019, 11, 5), by=by, kind=Reply.Kind.HOLDING)
    letter_extend(
        letter=round_2019.letters.get(force__code="essex"),
        new_due_on=date(2019, 12, 20),
        reason="Audit",
        agreed_with="CC",
        granted_by=by,
    )
    _reply(round_2019, "essex", date(2019, 12, 10), by=by)

    kent_2020 = _reply(round_2020, "kent", date(2020, 6, 11), by=by)
    coding_save(
        reply=kent_2020,
        theme=themes["training"],
        judgement="addressed",
        excerpts=["Every officer is trained."],
        coded_by=by,
    )
    # A second full reply to the same letter neither moves the date of reply nor double-counts.
    second = _reply(round_2020, "kent", date(2020, 6, 25), by=by)
    coding_save(
        reply=second,
        theme=themes["training"],
        judgement="addressed",
        excerpts=["Every officer is trained."],
        coded_by=by,
    )
    return {"round_2019": round_2019, "round_2020": round_2020}


def _row(rows, code):
    return next(row for row in rows if row.force.code == code)


def test_each_forces_figures_across_rounds(history):
    rows = all_force_stats()
    assert len(rows) == 43

    kent = _row(rows, "kent")
    assert (kent.letters, kent.replied_on_time, kent.replied_late, kent.never_replied) == (
        3,
        2,
        0,
        0,
    )
    assert kent.awaiting == 1
    # 21 days in 2019 and 10 in 2020.
    assert kent.median_days_to_reply == 15.5
    assert (kent.themes_addressed, kent.themes_asked) == (3, 4 + 2 + 4)
    assert kent.reminders_needed == 0

    surrey = _row(rows, "surrey")
    assert (surrey.replied_on_time, surrey.replied_late, surrey.reminders_needed) == (0, 1, 1)
    assert surrey.median_days_to_reply == 40
    assert (surrey.never_replied, surrey.awaiting) == (1, 1)

    gwent = _row(rows, "gwent")
    assert (gwent.replied_on_time, gwent.replied_late, gwent.never_replied) == (0, 0, 2)
    assert gwent.median_days_to_reply is None

    # On time because the extension moved the due date.
    essex = _row(rows, "essex")
    assert (essex.replied_on_time, essex.replied_late) == (1, 0)
    assert essex.median_days_to_reply == 60

    assert force_stats(force=kent.force) == kent


def test_the_force_page_shows_its_figures_round_by_round(commissioner_client, history):
    page = commissioner_client.get(reverse("forces:force_detail", args=["kent"])).content.decode()
    assert "Over time" in page
    assert 'Median days to reply</dt><dd class="govuk-summary-list__value">15.5' in page
    assert "3 of 10 asked" in page
    assert "Awaiting reply, not yet due" in page
    assert page.count("Replied on time") >= 3  # summary row and two rounds

    surrey = commissioner_client.get(reverse("forces:force_detail", args=["surrey"]))
    assert "Replied late" in surrey.content.decode()
    assert surrey.context["stats"].reminders_needed == 1


@pytest.mark.parametrize(
    ("sort", "first"),
    [
        ("force", "avon-somerset"),
        ("-force", "wiltshire"),
        ("-median-days", "essex"),
        ("median-days", "kent"),
        ("never", "kent"),
        ("-late", "surrey"),
        ("-on-time", "kent"),
        ("-reminders", "surrey"),
        ("-themes", "kent"),
        ("region", "derbyshire"),
        ("nonsense", "avon-somerset"),
    ],
)
def test_the_table_sorts_by_each_column(commissioner_client, history, sort, first):
    rows = commissioner_client.get(STATS, {"sort": sort}).context["rows"]
    assert rows[0].force.code == first
    assert len(rows) == 43


def test_forces_without_a_median_come_last_whichever_the_direction(commissioner_client, history):
    for sort in ("median-days", "-median-days"):
        rows = commissioner_client.get(STATS, {"sort": sort}).context["rows"]
        medians = [row.median_days_to_reply for row in rows]
        assert None not in medians[:3]
        assert medians[3:] == [None] * 40


def test_a_heading_sorts_by_its_column_and_a_second_click_reverses(commissioner_client, history):
    page = commissioner_client.get(STATS, {"sort": "-late"}).content.decode()
    assert 'aria-sort="descending"><a class="govuk-link" href="?sort=late">Replied late' in page
    assert 'href="?sort=-never">Never replied' in page
    assert 'href="?sort=-force">Force' not in page and 'href="?sort=force">Force' in page


def test_csv_export_has_the_rows_of_the_page_in_its_order(commissioner_client, history):
    page_rows = commissioner_client.get(STATS, {"sort": "-median-days"}).context["rows"]
    exported = commissioner_client.get(STATS, {"sort": "-median-days", "export": "csv"})
    assert exported["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(exported.content.decode())))
    assert table[0][:3] == ["Force", "Region", "Letters received"]
    assert [row[0] for row in table[1:]] == [row.force.name for row in page_rows]
    surrey = next(row for row in table if row[0] == "Surrey Police")
    assert surrey[2:] == ["3", "0", "1", "1", "1", "40", "1", "0", "10"]
    gwent = next(row for row in table if row[0] == "Gwent Police")
    assert gwent[7] == ""


@pytest.mark.parametrize("rounds", [1, 20])
def test_the_pages_run_a_constant_number_of_queries(
    commissioner_client, secretariat_user, django_assert_max_num_queries, rounds
):
    for n in range(rounds):
        round_ = issue_round(created_by=secretariat_user, reference_prefix=f"IASC/R{n}")
        for code in ("kent", "surrey"):
            _reply(round_, code, date(2019, 11, 1), by=secretariat_user)
        _remind(round_.letters.get(force__code="essex"))
    with django_assert_max_num_queries(8):
        response = commissioner_client.get(STATS)
    assert _row(response.context["rows"], "kent").letters == rounds
    with django_assert_max_num_queries(8):
        commissioner_client.get(STATS, {"export": "csv"})
    with django_assert_max_num_queries(12):
        response = commissioner_client.get(reverse("forces:force_detail", args=["essex"]))
    assert response.context["stats"].reminders_needed == rounds
