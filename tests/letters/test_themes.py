"""Theme summaries, the coverage matrix and a theme across rounds, through real requests."""

from datetime import date

import pytest
from django.urls import reverse

from letters.models import Reply, Theme, ThemeReview
from letters.selectors.themes import theme_across_rounds, theme_summary
from letters.services.coding import coding_save
from letters.services.replies import reply_log
from letters.services.reviews import (
    theme_observation_save,
    theme_review_mark,
    theme_summary_save,
)
from tests.conftest import issue_round, text_document

pytestmark = pytest.mark.django_db

KENT_QUOTE = "Kent has a dedicated modern slavery team within serious and organised crime."
ESSEX_QUOTE = "Complex cases go to the regional organised crime unit."
GWENT_QUOTE = "Our exploitation team will be restructured in the new year."


def log_reply(letter, by, *, text="We have nothing to add.", kind="full", received_on=None):
    return reply_log(
        letter=letter,
        kind=kind,
        received_on=received_on or date(2019, 11, 1),
        channel=Reply.Channel.EMAIL,
        from_name="Chief Constable",
        documents=[text_document(text)],
        logged_by=by,
    )


def code(reply, theme_code, judgement, by, *excerpts):
    return coding_save(
        reply=reply,
        theme=Theme.objects.get(code=theme_code),
        judgement=judgement,
        excerpts=list(excerpts),
        coded_by=by,
    )


@pytest.fixture
def coded_round(secretariat_user):
    """The 2019 round: six forces answered in different ways, the other 37 have not replied."""
    by = secretariat_user
    round_ = issue_round(created_by=by)
    letters = {letter.force.code: letter for letter in round_.letters.select_related("force")}
    code(log_reply(letters["kent"], by, text=KENT_QUOTE), "structures", "addressed", by, KENT_QUOTE)
    code(log_reply(letters["essex"], by, text=ESSEX_QUOTE), "structures", "partly", by, ESSEX_QUOTE)
    code(log_reply(letters["surrey"], by), "structures", "not", by)
    log_reply(letters["sussex"], by)  # a full reply nobody has coded yet
    holding = log_reply(letters["gwent"], by, text=GWENT_QUOTE, kind="holding")
    code(holding, "structures", "partly", by, GWENT_QUOTE)
    # Durham's second full reply withdrew what the first said: the latest full reply counts.
    first = log_reply(letters["durham"], by, text=KENT_QUOTE, received_on=date(2019, 11, 1))
    code(first, "structures", "addressed", by, KENT_QUOTE)
    second = log_reply(letters["durham"], by, received_on=date(2019, 11, 20))
    code(second, "structures", "not", by)
    return round_


def summary_url(round_, theme_code="structures"):
    return reverse("letters:theme_summary", args=[round_.slug, theme_code])


def test_forces_count_by_the_coding_of_their_latest_full_reply(coded_round):
    summary = theme_summary(round=coded_round, theme=Theme.objects.get(code="structures"))

    assert summary.counts.counts == {
        "addressed": 1,
        "partly": 1,
        "not": 2,
        "uncoded": 1,
        "holding": 1,
        "none": 37,
    }
    assert summary.counts.judged == 4
    assert summary.counts.share("addressed") == 25
    groups = {group.state: [item.force.code for item in group.forces] for group in summary.groups}
    assert groups["not"] == ["durham", "surrey"]  # by region: North East, then South East
    assert groups["uncoded"] == ["sussex"]
    assert groups["holding"] == ["gwent"]


def test_the_summary_page_shows_each_group_with_regions_and_every_excerpt_linked_to_its_reply(
    client, commissioner_client, coded_round
):
    page = commissioner_client.get(summary_url(coded_round)).content.decode()

    kent_reply = coded_round.letters.get(force__code="kent").replies.get()
    assert "Addressed: 1 force" in page and "Not addressed: 2 forces" in page
    assert "No reply: 37 forces" in page
    kent_row = page[page.index('id="force-kent"') :]
    kent_row = kent_row[: kent_row.index("</tr>")]
    assert "South East" in kent_row
    assert KENT_QUOTE in kent_row
    assert reverse("letters:reply_detail", args=[kent_reply.pk]) in kent_row
    # A holding reply's excerpt is shown, but said not to count.
    gwent_row = page[page.index('id="force-gwent"') :]
    assert GWENT_QUOTE in gwent_row[: gwent_row.index("</tr>")]
    assert "Quoted from a holding reply" in gwent_row
    # Durham's withdrawn excerpt, from the earlier full reply, is not presented as its answer.
    durham_row = page[page.index('id="force-durham"') :]
    assert KENT_QUOTE not in durham_row[: durham_row.index("</tr>")]


def test_reading_a_summary_creates_no_review_row(commissioner_client, coded_round):
    commissioner_client.get(summary_url(coded_round))

    assert not ThemeReview.objects.exists()


def test_a_theme_the_round_did_not_ask_about_is_not_found(commissioner_client, secretariat_user):
    round_ = issue_round(created_by=secretariat_user, themes=Theme.objects.filter(code="training"))

    assert commissioner_client.get(summary_url(round_, "training")).status_code == 200
    assert commissioner_client.get(summary_url(round_, "structures")).status_code == 404


def test_the_secretariat_writes_the_summary_and_the_commissioner_the_observation(
    client, secretariat_user, commissioner_user, coded_round
):
    args = [coded_round.slug, "structures"]
    client.force_login(secretariat_user)
    response = client.post(
        reverse("letters:theme_summary_edit", args=args), {"summary": "Most forces use ROCUs."}
    )
    assert response.status_code == 302
    assert (
        client.post(
            reverse("letters:theme_observation", args=args), {"observation": "Mine"}
        ).status_code
        == 403
    )
    assert client.post(reverse("letters:theme_review_mark", args=args)).status_code == 403

    client.force_login(commissioner_user)
    assert (
        client.post(
            reverse("letters:theme_summary_edit", args=args), {"summary": "Overwritten"}
        ).status_code
        == 403
    )
    client.post(
        reverse("letters:theme_observation", args=args),
        {"observation": "Structures still do not match the crime."},
    )
    client.post(reverse("letters:theme_review_mark", args=args))

    review = ThemeReview.objects.get()
    assert review.summary == "Most forces use ROCUs."
    assert review.summary_by == secretariat_user
    assert review.observation == "Structures still do not match the crime."
    assert review.observation_by == commissioner_user
    assert review.reviewed_by == commissioner_user and review.reviewed_at is not None
    page = client.get(summary_url(coded_round)).content.decode()
    assert "Most forces use ROCUs." in page
    assert f"by {commissioner_user.username}, {review.reviewed_at:%-d %B %Y}" in page
    assert "Mark as reviewed" not in page


def test_each_role_sees_only_its_own_edit_links(secretariat_client, coded_round):
    page = secretariat_client.get(summary_url(coded_round)).content.decode()

    assert reverse("letters:theme_summary_edit", args=[coded_round.slug, "structures"]) in page
    assert reverse("letters:theme_observation", args=[coded_round.slug, "structures"]) not in page
    assert "Mark as reviewed" not in page


def test_an_empty_observation_is_refused_in_place(commissioner_client, coded_round):
    response = commissioner_client.post(
        reverse("letters:theme_observation", args=[coded_round.slug, "structures"]),
        {"observation": "   "},
    )

    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert "Enter your observation" in response.content.decode()
    assert not ThemeReview.objects.exists()


def test_changing_the_observation_after_review_keeps_the_review_and_records_the_change(
    commissioner_client, commissioner_user, coded_round
):
    theme = Theme.objects.get(code="structures")
    theme_observation_save(
        round=coded_round, theme=theme, observation="First", by=commissioner_user
    )
    reviewed = theme_review_mark(round=coded_round, theme=theme, by=commissioner_user)

    commissioner_client.post(
        reverse("letters:theme_observation", args=[coded_round.slug, "structures"]),
        {"observation": "Second thoughts"},
    )

    review = ThemeReview.objects.get()
    assert review.observation == "Second thoughts"
    assert review.reviewed_at == reviewed.reviewed_at
    assert review.observation_at > review.reviewed_at
    assert [h.observation for h in review.history.order_by("history_date")][-2:] == [
        "First",
        "Second thoughts",
    ]
    assert review.history.latest().history_user == commissioner_user
    page = commissioner_client.get(summary_url(coded_round)).content.decode()
    assert "changed after the review" in page


def test_changing_the_summary_after_review_asks_for_a_new_review(
    secretariat_user, commissioner_user, coded_round
):
    theme = Theme.objects.get(code="structures")
    theme_summary_save(round=coded_round, theme=theme, summary="Draft", by=secretariat_user)
    theme_review_mark(round=coded_round, theme=theme, by=commissioner_user)

    same = theme_summary_save(round=coded_round, theme=theme, summary="Draft ", by=secretariat_user)
    assert same.is_reviewed  # saving the same words again changes nothing
    changed = theme_summary_save(round=coded_round, theme=theme, summary="New", by=secretariat_user)
    assert not changed.is_reviewed
    assert changed.history.filter(reviewed_by=commissioner_user).exists()


def test_marking_reviewed_twice_keeps_the_first_mark(commissioner_user, coded_round):
    theme = Theme.objects.get(code="structures")
    first = theme_review_mark(round=coded_round, theme=theme, by=commissioner_user)
    again = theme_review_mark(round=coded_round, theme=theme, by=commissioner_user)

    assert again.reviewed_at == first.reviewed_at
    assert ThemeReview.objects.count() == 1


def test_a_review_of_a_theme_outside_the_round_is_refused(commissioner_user, secretariat_user):
    from django.core.exceptions import ValidationError

    round_ = issue_round(created_by=secretariat_user, themes=Theme.objects.filter(code="training"))
    with pytest.raises(ValidationError):
        theme_review_mark(
            round=round_, theme=Theme.objects.get(code="structures"), by=commissioner_user
        )
    assert not ThemeReview.objects.exists()


def test_observations_and_summaries_are_shown_as_text_not_markup(
    commissioner_client, commissioner_user, secretariat_user, coded_round
):
    theme = Theme.objects.get(code="structures")
    theme_summary_save(
        round=coded_round, theme=theme, summary="<b>bold</b> claim", by=secretariat_user
    )
    theme_observation_save(
        round=coded_round,
        theme=theme,
        observation="<script>alert('x')</script>",
        by=commissioner_user,
    )

    page = commissioner_client.get(summary_url(coded_round)).content.decode()

    assert "<script>alert" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt; claim" in page


def test_the_matrix_groups_forces_by_region_and_links_each_cell_to_its_excerpts(
    commissioner_client, coded_round
):
    response = commissioner_client.get(reverse("letters:coverage_matrix", args=[coded_round.slug]))

    matrix = response.context["matrix"]
    assert [theme.code for theme in matrix.themes] == [
        "structures",
        "ancillary-orders",
        "training",
        "resourcing",
    ]
    regions = [group.region for group in matrix.regions]
    assert regions == sorted(regions) and len(regions) == 10
    assert sum(len(group.rows) for group in matrix.regions) == 43
    page = response.content.decode()
    kent_cell = summary_url(coded_round) + "#force-kent"
    assert kent_cell in page
    cell = page[page.index(kent_cell) :]
    assert "Addressed</strong>" in cell[: cell.index("</td>")]  # a word, not a colour alone
    assert "1 addressed, 1 partly, 2 not; 1 not coded yet; 38 without a full reply" in page


def test_the_matrix_filters_by_region(commissioner_client, coded_round):
    response = commissioner_client.get(
        reverse("letters:coverage_matrix", args=[coded_round.slug]), {"region": "Wales"}
    )

    rows = [row for group in response.context["matrix"].regions for row in group.rows]
    assert [row.letter.force.code for row in rows] == [
        "dyfed-powys",
        "gwent",
        "north-wales",
        "south-wales",
    ]
    gwent = next(row for row in rows if row.letter.force.code == "gwent")
    assert [cell.label for cell in gwent.cells][0] == "Holding reply only"
    assert "Kent Police" not in response.content.decode()


def test_an_unknown_region_shows_every_force(commissioner_client, coded_round):
    response = commissioner_client.get(
        reverse("letters:coverage_matrix", args=[coded_round.slug]), {"region": "<Atlantis>"}
    )

    assert response.context["region"] is None
    assert sum(len(group.rows) for group in response.context["matrix"].regions) == 43


def test_a_theme_across_rounds_counts_each_round_and_its_share(
    commissioner_client, secretariat_user, coded_round
):
    later = issue_round(
        created_by=secretariat_user, reference_prefix="IASC/2020-06", issued_on=date(2020, 6, 1)
    )
    by = secretariat_user
    for force_code in ("kent", "essex", "surrey"):
        letter = later.letters.get(force__code=force_code)
        code(
            log_reply(letter, by, text=KENT_QUOTE, received_on=date(2020, 6, 10)),
            "structures",
            "addressed",
            by,
            KENT_QUOTE,
        )
    unrelated = issue_round(
        created_by=by,
        reference_prefix="IASC/2020-09",
        themes=Theme.objects.filter(code="training"),
        issued_on=date(2020, 9, 1),
    )

    rounds = theme_across_rounds(theme=Theme.objects.get(code="structures"))

    assert [item.round for item in rounds] == [coded_round, later]
    assert unrelated not in [item.round for item in rounds]
    assert rounds[0].counts.counts["addressed"] == 1 and rounds[0].counts.judged == 4
    assert rounds[1].counts.counts["addressed"] == 3 and rounds[1].counts.share("addressed") == 100
    page = commissioner_client.get(
        reverse("letters:theme_across_rounds", args=["structures"])
    ).content.decode()
    assert "1 (25%)" in page and "3 (100%)" in page
    assert summary_url(later) in page


@pytest.mark.parametrize("rounds", [1, 20])
def test_summary_matrix_and_dashboard_run_a_constant_number_of_queries(
    client,
    commissioner_user,
    secretariat_user,
    django_assert_max_num_queries,
    rounds,
):
    by = secretariat_user
    made = [
        issue_round(created_by=by, reference_prefix=f"IASC/R{n}", issued_on=date(2019, 10, 11))
        for n in range(rounds)
    ]
    for round_ in made:
        for letter in round_.letters.select_related("force")[:6]:
            reply = log_reply(letter, by, text=KENT_QUOTE)
            for theme_code in ("structures", "training"):
                code(reply, theme_code, "addressed", by, KENT_QUOTE)
        theme_summary_save(
            round=round_, theme=Theme.objects.get(code="training"), summary="S", by=by
        )
    client.force_login(commissioner_user)

    with django_assert_max_num_queries(12):
        response = client.get(summary_url(made[-1]))
    assert response.context["summary"].counts.counts["addressed"] == 6
    with django_assert_max_num_queries(12):
        response = client.get(reverse("letters:coverage_matrix", args=[made[-1].slug]))
    assert response.context["matrix"].totals[0].counts["addressed"] == 6
    with django_assert_max_num_queries(12):
        response = client.get(reverse("letters:dashboard"))
    assert len(response.context["dashboard"].open_rounds) == rounds
    with django_assert_max_num_queries(10):
        client.get(reverse("letters:theme_across_rounds", args=["structures"]))
