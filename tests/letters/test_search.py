"""Search over replies, coded excerpts and letters, through the search page.

Runs on SQLite and on PostgreSQL (CI runs the suite on both): what a user sees must hold on
either. Ranking by `ts_rank` is PostgreSQL's and is tested there; the fallback's own rules
(word starts, counting hits) are tested on SQLite.
"""

from datetime import date

import pytest
from django.db import connection
from django.urls import reverse
from django.utils.html import escape

from letters.models import Reply, Theme
from letters.selectors.search import MAX_TERMS, PER_PAGE, SearchFilters, parse_query, search
from letters.services.coding import coding_save
from letters.services.replies import reply_log
from tests.conftest import issue_round, text_document

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL full-text search"
)
on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite fallback")

SEARCH = reverse("letters:search")

ROUND_BODY = (
    "I am writing to {{ force_name }} about modern slavery prosecutions.\n\n"
    "Please reply by {{ due_date }}, quoting {{ reference }}."
)


def _reply(round_, force_code, text, *, by, summary="", kind=Reply.Kind.FULL, on=None):
    return reply_log(
        letter=round_.letters.get(force__code=force_code),
        kind=kind,
        received_on=on or date(2019, 11, 20),
        channel="post",
        from_name="Chief Constable",
        summary=summary,
        documents=[text_document(text)],
        logged_by=by,
    )


@pytest.fixture
def replies(secretariat_user):
    """The 2019 round with replies from Kent, Surrey and Gwent, and a 2020 round with Kent's."""
    round_2019 = issue_round(created_by=secretariat_user, body=ROUND_BODY)
    round_2020 = issue_round(
        created_by=secretariat_user,
        reference_prefix="IASC/2020-06",
        title="Follow-up",
        body="Please tell us about {{ force_name }}'s training.\n\nQuote {{ reference }}.",
        issued_on=date(2020, 6, 1),
    )
    training = Theme.objects.get(code="training")
    kent = _reply(
        round_2019,
        "kent",
        "Kent works with the regional organised crime unit. "
        "Every officer has completed the College of Policing e-learning on trafficking.",
        by=secretariat_user,
        on=date(2019, 11, 1),
    )
    coding_save(
        reply=kent,
        theme=training,
        judgement="addressed",
        excerpts=["Every officer has completed the College of Policing e-learning on trafficking."],
        coded_by=secretariat_user,
    )
    surrey = _reply(
        round_2019,
        "surrey",
        "Surrey shares a joint exploitation unit with Sussex. We have obtained four Risk Orders.",
        by=secretariat_user,
        summary="Joint unit with Sussex; four risk orders.",
        on=date(2019, 11, 12),
    )
    gwent = _reply(
        round_2019,
        "gwent",
        "Thank you for your letter, to which I will reply in full by the end of the month.",
        by=secretariat_user,
        kind=Reply.Kind.HOLDING,
        on=date(2019, 11, 8),
    )
    kent_2020 = _reply(
        round_2020,
        "kent",
        "Training on trafficking is now given by the regional unit to every new detective.",
        by=secretariat_user,
        on=date(2020, 6, 20),
    )
    return {
        "round_2019": round_2019,
        "round_2020": round_2020,
        "kent": kent,
        "surrey": surrey,
        "gwent": gwent,
        "kent_2020": kent_2020,
    }


def _results(client, **params):
    response = client.get(SEARCH, params)
    assert response.status_code == 200
    return response.context["results"]


def _hits(client, **params):
    """The hits on the page asked for (the first, unless `page` is given)."""
    return _results(client, **params).hits


def _described(hits):
    return {(hit.force.code, hit.found_in) for hit in hits}


def test_one_search_finds_replies_excerpts_and_letters(commissioner_client, replies):
    hits = _hits(commissioner_client, q="trafficking")
    assert len(hits) == 3
    assert _described(hits) == {
        ("kent", "Full reply"),
        ("kent", "Excerpt coded for Training and guidance"),
    }
    assert {hit.round for hit in hits} == {replies["round_2019"], replies["round_2020"]}
    assert {hit.on for hit in hits} == {date(2019, 11, 1), date(2020, 6, 20)}

    letters = _results(commissioner_client, q="prosecutions")
    assert letters.count == 43
    assert {hit.kind for hit in letters.hits} == {"letter"}
    assert letters.hits[0].found_in.startswith("Letter IASC/2019-10/")

    holding = _hits(commissioner_client, q="end of the month")
    assert _described(holding) == {("gwent", "Holding reply")}


def test_a_result_shows_force_round_date_kind_and_the_words_marked(commissioner_client, replies):
    page = commissioner_client.get(SEARCH, {"q": "risk orders"}).content.decode()
    assert "Surrey Police: Summary of the full reply" in page
    assert "12 November 2019" in page
    assert "Modern slavery" in page  # the round
    assert "<mark>risk</mark> <mark>orders</mark>" in page.lower()
    assert f'href="{reverse("letters:reply_detail", args=[replies["surrey"].pk])}"' in page


def test_marking_never_lets_a_reply_write_html(commissioner_client, secretariat_user, replies):
    _reply(
        replies["round_2019"],
        "essex",
        'Our <script>alert("x")</script> unit & <b>partners</b> fight trafficking.',
        by=secretariat_user,
    )
    response = commissioner_client.get(SEARCH, {"q": "trafficking unit"})
    page = response.content.decode()
    assert "<script>alert" not in page and "<b>partners" not in page
    assert "<mark>unit</mark>" in page and "<mark>trafficking</mark>" in page
    # PostgreSQL's snippets leave out what looks like a tag; the fallback's keep it, escaped.
    essex = next(hit for hit in response.context["results"].hits if hit.force.code == "essex")
    for segment in essex.snippet:
        assert escape(segment.text) in page


BAD_INPUT = [
    '"',
    '"risk orders',
    'AND -foo "bar',
    "risk OR OR AND NOT",
    "-",
    "--",
    "!!!",
    "…",
    "' OR 1=1; DROP TABLE letters_reply; --",
    "foo:* & !bar | (baz <-> qux",
    "%_\\",
    "\\",
    "a\x00b",
    "\x00",
    "\x01\x02\x1f",
    "🙂🚓",
    "تدريب الضباط",
    "培训 警察",
    "risk " * 2000,
    "x" * 10_000,
    "  ",
    "\ue000risk\ue001",
]


@pytest.mark.parametrize("query", BAD_INPUT, ids=range(len(BAD_INPUT)))
def test_any_input_gives_results_or_an_empty_list_never_an_error(
    commissioner_client, replies, query
):
    for kind in ("", "reply", "excerpt", "letter"):
        response = commissioner_client.get(SEARCH, {"q": query, "kind": kind, "page": "2"})
        assert response.status_code == 200
        assert "There is a problem" not in response.content.decode()


def test_a_very_long_search_is_cut_and_says_so(commissioner_client, replies):
    response = commissioner_client.get(SEARCH, {"q": "risk orders " + "x" * 10_000})
    assert "only its beginning was used" in response.content.decode()
    assert len(parse_query("word " * 500).required) <= MAX_TERMS


def test_non_latin_text_is_found(commissioner_client, secretariat_user, replies):
    _reply(
        replies["round_2019"],
        "essex",
        "Summary in Arabic: تدريب الضباط. In Chinese: 培训 警察. Emoji: 🚓.",
        by=secretariat_user,
    )
    for query in ("تدريب", "培训", "警察 تدريب"):
        hits = _hits(commissioner_client, q=query)
        assert [hit.force.code for hit in hits] == ["essex"], query


def test_quotes_and_minus_work_as_on_a_search_engine(commissioner_client, replies):
    assert _described(_hits(commissioner_client, q='"joint exploitation unit"')) == {
        ("surrey", "Full reply")
    }
    assert _hits(commissioner_client, q='"exploitation joint unit"') == []
    regional = _hits(commissioner_client, q="regional")
    assert {hit.force.code for hit in regional} == {"kent"}
    assert len(regional) == 2
    assert _described(_hits(commissioner_client, q="regional -detective")) == {
        ("kent", "Full reply")
    }
    assert [hit.on for hit in _hits(commissioner_client, q="regional -detective")] == [
        date(2019, 11, 1)
    ]


def test_case_does_not_matter(commissioner_client, replies):
    assert _hits(commissioner_client, q="SUSSEX") and _hits(commissioner_client, q="sussex")
    assert {hit.reply for hit in _hits(commissioner_client, q="SuSsEx", kind="reply")} == {
        replies["surrey"]
    }


def test_filters_by_round_force_region_and_kind(commissioner_client, replies):
    everything = _hits(commissioner_client, q="regional")
    assert len(everything) == 2
    by_round = _hits(commissioner_client, q="regional", round=replies["round_2020"].slug)
    assert [hit.reply for hit in by_round] == [replies["kent_2020"]]
    assert _hits(commissioner_client, q="sussex", force="kent") == []
    assert _hits(commissioner_client, q="sussex", force="surrey")
    assert _hits(commissioner_client, q="sussex", region="Wales") == []
    assert _hits(commissioner_client, q="sussex", region="South East")
    only_excerpts = _hits(commissioner_client, q="trafficking", kind="excerpt")
    assert [hit.kind for hit in only_excerpts] == ["excerpt"]
    only_letters = _results(commissioner_client, q="training", kind="letter")
    assert {hit.round for hit in only_letters.hits} == {replies["round_2020"]}
    assert only_letters.count == 43


def test_the_theme_filter_keeps_its_excerpts_replies_addressing_it_and_letters_asking(
    commissioner_client, secretariat_user, replies
):
    training = Theme.objects.get(code="training")
    replies["round_2020"].themes.set(Theme.objects.filter(code="structures"))
    hits = _hits(commissioner_client, q="trafficking", theme="training")
    # Kent 2019 coded training as addressed: its excerpt and its reply. Kent 2020 is not coded.
    assert sorted((hit.kind, hit.on) for hit in hits) == [
        ("excerpt", date(2019, 11, 1)),
        ("reply", date(2019, 11, 1)),
    ]
    coding_save(
        reply=replies["kent"],
        theme=training,
        judgement="not",
        excerpts=[],
        coded_by=secretariat_user,
    )
    assert _hits(commissioner_client, q="trafficking", theme="training") == []
    # Letters: those of rounds that asked about the theme.
    assert _hits(commissioner_client, q="training", theme="training") == []
    assert {hit.round for hit in _hits(commissioner_client, q="training", theme="structures")} == {
        replies["round_2020"]
    }
    asked = _hits(commissioner_client, q="prosecutions", theme="training", kind="letter")
    assert {hit.round for hit in asked} == {replies["round_2019"]}


def test_an_unknown_filter_value_is_an_error_on_the_form(commissioner_client, replies):
    response = commissioner_client.get(SEARCH, {"q": "sussex", "force": "atlantis"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page and "Select a valid choice" in page
    assert response.context["results"] is None


def test_results_come_in_pages(commissioner_client, replies):
    first = commissioner_client.get(SEARCH, {"q": "prosecutions", "region": ""})
    assert first.context["results"].count == 43
    assert len(first.context["results"].hits) == PER_PAGE
    page = first.content.decode()
    assert 'class="govuk-pagination"' in page
    assert 'href="?q=prosecutions&amp;region=&amp;page=2"' in page
    third = commissioner_client.get(SEARCH, {"q": "prosecutions", "page": 3})
    assert len(third.context["results"].hits) == 43 - 2 * PER_PAGE
    seen = {
        hit.letter.pk
        for number in (1, 2, 3)
        for hit in commissioner_client.get(SEARCH, {"q": "prosecutions", "page": number})
        .context["results"]
        .hits
    }
    assert len(seen) == 43
    for nonsense in ("abc", "0", "-1", "999", "1e9", "2" * 40):
        response = commissioner_client.get(SEARCH, {"q": "prosecutions", "page": nonsense})
        assert response.status_code == 200
        assert response.context["results"].hits


def test_a_search_follows_edits_to_the_text(replies):
    surrey = replies["surrey"]
    surrey.summary = "Mentions the Gangmasters and Labour Abuse Authority."
    surrey.save()
    hits = search(query="gangmasters").hits
    assert [(hit.reply, hit.found_in) for hit in hits] == [(surrey, "Summary of the full reply")]
    assert search(query="gangmasters", filters=SearchFilters(kind="letter")).hits == []


@pytest.mark.parametrize("rounds", [1, 20])
def test_the_search_page_runs_a_constant_number_of_queries(
    commissioner_client, secretariat_user, django_assert_max_num_queries, rounds
):
    training = Theme.objects.get(code="training")
    for n in range(rounds):
        round_ = issue_round(created_by=secretariat_user, reference_prefix=f"IASC/R{n}")
        for code in ("kent", "surrey", "essex"):
            reply = _reply(
                round_, code, "Training on trafficking for every officer.", by=secretariat_user
            )
            coding_save(
                reply=reply,
                theme=training,
                judgement="addressed",
                excerpts=["Training on trafficking for every officer."],
                coded_by=secretariat_user,
            )
    with django_assert_max_num_queries(14):
        response = commissioner_client.get(
            SEARCH, {"q": "trafficking officer", "region": "South East"}
        )
    assert response.context["results"].hits
    with django_assert_max_num_queries(14):
        response = commissioner_client.get(SEARCH, {"q": "slavery", "page": 2})
    assert {hit.kind for hit in response.context["results"].hits} == {"letter"}


@on_postgresql
def test_postgresql_ranks_summaries_above_text_and_letters_last(
    commissioner_client, secretariat_user
):
    round_ = issue_round(
        created_by=secretariat_user,
        body="Tell us about trafficking in {{ force_name }}.\n\nQuote {{ reference }}.",
        forces=None,
    )
    once = _reply(round_, "kent", "One word on trafficking here.", by=secretariat_user)
    thrice = _reply(
        round_,
        "essex",
        "Trafficking is rising. Trafficking cases take long. Trafficking victims need help.",
        by=secretariat_user,
    )
    summary = _reply(
        round_,
        "surrey",
        "A reply about exploitation.",
        summary="Covers trafficking.",
        by=secretariat_user,
    )
    hits = _hits(commissioner_client, q="trafficking", kind="")
    replies_first = [hit.reply for hit in hits[:3]]
    assert replies_first == [summary, thrice, once]
    assert {hit.kind for hit in hits[3:]} == {"letter"}
    assert [hit.rank for hit in hits] == sorted((hit.rank for hit in hits), reverse=True)
    # Stemming: other forms of the word are found, and marked, too.
    stemmed = _hits(commissioner_client, q="trafficked victim", kind="reply")
    assert [hit.reply for hit in stemmed] == [thrice]
    marked = [segment.text for segment in stemmed[0].snippet if segment.is_match]
    assert marked == ["Trafficking", "Trafficking", "Trafficking", "victims"]


@on_postgresql
def test_postgresql_understands_or(commissioner_client, replies):
    hits = _hits(commissioner_client, q="sussex or detective", kind="reply")
    assert {hit.reply for hit in hits} == {replies["surrey"], replies["kent_2020"]}


@on_sqlite
def test_the_fallback_matches_word_starts_and_ranks_by_hits(commissioner_client, secretariat_user):
    round_ = issue_round(
        created_by=secretariat_user,
        body="Tell us about trafficking in {{ force_name }}.\n\nQuote {{ reference }}.",
    )
    once = _reply(round_, "kent", "One word on trafficking here.", by=secretariat_user)
    thrice = _reply(
        round_,
        "essex",
        "Trafficking is rising. Trafficking cases take long. Trafficking victims need help.",
        by=secretariat_user,
    )
    hits = _hits(commissioner_client, q="traffick")
    assert [hit.reply for hit in hits[:2]] == [thrice, once]
    assert {hit.kind for hit in hits[2:]} == {"letter"}
    marked = [segment.text for segment in hits[0].snippet if segment.is_match]
    assert marked == ["Trafficking"] * 3
    # A word is matched from its start, not inside another word.
    assert _hits(commissioner_client, q="rafficking") == []
    # Case folds beyond ASCII.
    _reply(round_, "surrey", "Die ÄRGER-Akte.", by=secretariat_user)
    assert [hit.force.code for hit in _hits(commissioner_client, q="ärger")] == ["surrey"]
