import csv
import re
import shutil
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from forces.models import Force
from letters.models import Coding, CodingSuggestion, Excerpt, Letter, Reply, Round, Theme
from letters.selectors.suggestions import active_theme_specs, learned_examples
from letters.services.suggestions import reply_suggest
from letters.suggestions import (
    LearnedExample,
    ThemeSpec,
    keyword_baseline,
    split_sentences,
    suggest_coding,
)

DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLES = Path(__file__).resolve().parents[2] / "letters" / "demo_data" / "sample_replies"
HOLDOUT = DATA / "holdout_replies"
LAST_LINE = re.compile(r"^precision=(\d\.\d{3}) recall=(\d\.\d{3}) holding_accuracy=(\d\.\d{3})$")


def codebook_entry(code, name, question, keywords):
    return ThemeSpec(code, name, question, tuple(keywords.split(";")))


# The seeded codebook, as data, so that the engine's tests need no database.
THEMES = [
    codebook_entry(
        "structures",
        "Structures and coordination",
        "Do the force's structures and operational arrangements reflect the complex, organised "
        "and cross-border nature of modern slavery, and how does it share intelligence and "
        "coordinate with other forces and regions?",
        "structure;structures;dedicated team;regional;ROCU;coordination;collaboration;"
        "intelligence sharing;organised crime;serious and organised;SPOC;single point of "
        "contact;governance;tasking",
    ),
    codebook_entry(
        "ancillary-orders",
        "Ancillary orders",
        "How does the force seek, record, monitor and enforce Slavery and Trafficking "
        "Prevention Orders and Risk Orders, and can other forces see them?",
        "ancillary order;prevention order;risk order;STPO;STRO;interim order;PND;police "
        "national database;ViSOR;breach;enforce;monitoring",
    ),
    codebook_entry(
        "training",
        "Training and guidance",
        "What training and guidance do officers and staff receive on modern slavery and human "
        "trafficking, and who provides it now and in future?",
        "training;trained;guidance;College of Policing;Modern Slavery Police Transformation "
        "Unit;MSPTU;e-learning;CPD;awareness;first responder;NRM;National Referral Mechanism",
    ),
    codebook_entry(
        "resourcing",
        "Resourcing and investment",
        "Is the force investing enough people and money for officers to investigate modern "
        "slavery without fear of uncovering crime they cannot resource?",
        "resource;resources;resourcing;funding;investment;capacity;demand;officers;staff;"
        "uplift;budget;detectives",
    ),
]


def letter(body: str) -> str:
    """A reply laid out as forces write them: address, date, salutation, body, signature."""
    return (
        "Exampleshire Police\nPolice Headquarters\nHigh Street\nExampletown\n\n"
        "14 November 2019\n\nIndependent Anti-Slavery Commissioner\nLondon\n\n"
        f"Dear Commissioner,\n\n{body}\n\nYours sincerely\n\nA. N. Officer\nChief Constable\n"
    )


def suggest(body: str, examples=()):
    return suggest_coding(text=letter(body), themes=THEMES, examples=examples)


# --- the engine -----------------------------------------------------------------------


def test_a_theme_discussed_in_other_words_is_proposed():
    body = (
        "Last spring the court made a stop order against a gangmaster, which forbids him from "
        "contacting the men he had housed. An officer visits him each month to check that he "
        "keeps to its conditions."
    )
    assert "ancillary-orders" not in keyword_baseline(text=letter(body), themes=THEMES)

    suggestion = suggest(body).for_theme("ancillary-orders")

    assert suggestion.proposed
    assert any("court" in reason for reason in suggestion.reasons)


def test_a_keyword_in_another_sense_is_not_enough():
    body = (
        "In September more than 200 people from local authorities and charities came to our "
        "training centre for a conference on supply chains. Intelligence is shared with "
        "Staffordshire and Warwickshire under a regional agreement. We are also monitoring the "
        "outcome of every burglary at a monthly performance meeting."
    )
    proposed_by_keywords = keyword_baseline(text=letter(body), themes=THEMES)
    assert {"training", "ancillary-orders"} <= proposed_by_keywords

    result = suggest(body)

    training = result.for_theme("training")
    assert not training.proposed
    assert "not counted: ‘training centre’ names a place" in training.reasons
    assert not result.for_theme("ancillary-orders").proposed
    assert not result.for_theme("resourcing").proposed  # "Staffordshire" is not "staff"
    assert result.for_theme("structures").proposed


def test_a_theme_named_only_to_put_it_off_is_not_proposed():
    body = (
        "Resourcing is being considered as part of next year's budget, and the Police and "
        "Crime Commissioner will write to you separately once decisions have been made."
    )

    suggestion = suggest(body).for_theme("resourcing")

    assert suggestion.judgement == "not"
    assert suggestion.reasons[0].startswith("named only to put it off")


def test_two_sentences_on_a_theme_make_it_addressed_and_one_partly():
    one = "Every frontline officer has completed the College of Policing e-learning course."
    two = one + " Call handlers have a checklist and investigators attend a three-day course."

    assert suggest(one).for_theme("training").judgement == "partly"
    assert suggest(two).for_theme("training").judgement == "addressed"


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.txt")), ids=lambda path: path.stem)
def test_excerpts_are_at_most_three_whole_sentences_copied_from_the_text(path):
    text = path.read_text(encoding="utf-8")
    sentences = {sentence.text for sentence in split_sentences(text)}

    result = suggest_coding(text=text, themes=THEMES)

    for suggestion in result.themes:
        assert len(suggestion.excerpts) <= 3
        for excerpt in suggestion.excerpts:
            assert excerpt in text
            assert excerpt in sentences
            assert excerpt[-1] in ".?!"


def test_sentences_follow_the_layout_of_a_letter():
    text = (
        "Exampleshire Police\nPolice Headquarters\nExampletown\n\n3 December 2019\n\n"
        "Dear Commissioner,\n\nRe: your letter of 11 October 2019\n\n"
        "Thank you for your letter. Dr. A. N. Other, our analyst, wrote the\n"
        "assessment, which is shared with each force in the region.\n\n"
        "Ancillary orders\n"
        "We have obtained four orders since 2016.\n\n"
        "1. Our arrangements. Cases are led by the Serious Crime Unit.\n"
        "2. Training\n"
        "- All recruits receive a day on exploitation.\n\n"
        "Yours sincerely,\n\nJ. Smith\nChief Constable\n"
    )

    sentences = split_sentences(text)
    body = [s for s in sentences if s.is_candidate]

    assert [s.text for s in body] == [
        "Thank you for your letter.",
        "Dr. A. N. Other, our analyst, wrote the\nassessment, which is shared with each force "
        "in the region.",
        "We have obtained four orders since 2016.",
        "Cases are led by the Serious Crime Unit.",
        "All recruits receive a day on exploitation.",
    ]
    assert [s.heading for s in body[2:]] == ["Ancillary orders", "Our arrangements", "Training"]
    assert all(text[s.start : s.end] == s.text for s in sentences)
    outside = {s.text for s in sentences if not s.in_body}
    assert {"Police Headquarters", "3 December 2019", "J. Smith"} <= outside


def test_a_holding_reply_is_detected_with_its_reasons():
    body = (
        "Thank you for your letter of 11 October 2019.\n\n"
        "A review of our exploitation work is under way, and I would like my answer to "
        "reflect it. I will write to you in full by 20 December 2019.\n\n"
        "With apologies for the delay,"
    )

    holding = suggest(body).holding

    assert holding.is_holding
    assert holding.reasons[0] == (
        "promises a fuller reply later: ‘I will write to you in full by 20 December 2019.’"
    )
    assert "0 sentences answer a theme" in holding.reasons[1]


def test_a_full_reply_that_promises_more_on_one_point_is_not_a_holding_reply():
    text = (SAMPLES / "metropolitan.txt").read_text(encoding="utf-8")
    assert "I will write to you again" in text

    holding = suggest_coding(text=text, themes=THEMES).holding

    assert not holding.is_holding
    assert "too much substance for a holding reply" in holding.reasons


def test_a_learned_example_raises_a_similar_sentence():
    body = (
        "Every week we meet the harbour master and the ferry companies to compare passenger "
        "manifests for signs of suspicious travel."
    )
    coded = LearnedExample(
        theme_code="structures",
        judgement="addressed",
        text="We meet the harbour master and the ferry companies each week to compare "
        "passenger manifests.",
    )

    without = suggest(body).for_theme("structures")
    learned = suggest(body, examples=[coded]).for_theme("structures")

    assert not without.proposed
    assert learned.proposed
    assert learned.excerpts[0].startswith("Every week we meet the harbour master")
    assert any(
        reason.startswith("resembles an excerpt coded for Structures and coordination: ‘We meet")
        for reason in learned.reasons
    )


def test_an_excerpt_coded_as_not_addressed_does_not_raise_a_theme():
    body = "Every week we meet the harbour master and the ferry companies to compare manifests."
    coded = LearnedExample("structures", "not", "We meet the harbour master every week.")

    assert not suggest(body, examples=[coded]).for_theme("structures").proposed


# --- the service and selectors --------------------------------------------------------


@pytest.fixture
def october_round(db):
    round_ = Round.objects.create(
        title="Modern slavery prosecutions",
        slug="2019-10",
        reference_prefix="IASC/2019-10",
        body="Dear {{ head_title }}, ...",
    )
    round_.themes.set(Theme.objects.filter(active=True))
    return round_


def make_reply(round_, force_code, text):
    force = Force.objects.get(code=force_code)
    letter_sent = Letter.objects.create(
        round=round_,
        force=force,
        reference=f"{round_.reference_prefix}/{force_code}",
        addressee_title="Chief Constable",
        salutation="Dear Chief Constable",
        address=force.address,
        body="...",
        issued_on=date(2019, 10, 11),
        original_due_on=date(2019, 11, 8),
        due_on=date(2019, 11, 8),
    )
    return Reply.objects.create(
        letter=letter_sent,
        kind=Reply.Kind.FULL,
        received_on=date(2019, 11, 20),
        channel=Reply.Channel.POST,
        from_name="Chief Constable",
        text=text,
    )


def code_excerpt(reply, theme_code, text, judgement="addressed"):
    coding = Coding.objects.create(
        reply=reply, theme=Theme.objects.get(code=theme_code), judgement=judgement
    )
    return Excerpt.objects.create(coding=coding, text=text)


def sample(name):
    return (SAMPLES / f"{name}.txt").read_text(encoding="utf-8")


def test_reply_suggest_stores_a_pending_suggestion_per_theme_and_the_holding_guess(october_round):
    reply = make_reply(october_round, "gwent", sample("gwent"))

    suggestions = reply_suggest(reply=reply)

    stored = CodingSuggestion.objects.filter(reply=reply)
    assert [s.theme.code for s in suggestions] == [
        "structures",
        "ancillary-orders",
        "training",
        "resourcing",
    ]
    assert stored.count() == 4
    assert {s.decision for s in stored} == {CodingSuggestion.Decision.PENDING}
    resourcing = stored.get(theme__code="resourcing")
    assert resourcing.judgement == "partly"
    assert resourcing.excerpts[0].startswith("I can say now that I have approved two additional")
    assert resourcing.excerpts[0] in reply.text
    assert resourcing.reasons
    reply.refresh_from_db()
    assert reply.holding_suggested is True
    assert reply.holding_reasons[0].startswith("promises a fuller reply later")


def test_reply_suggest_replaces_pending_suggestions_but_not_decided_ones(october_round):
    reply = make_reply(october_round, "surrey", sample("surrey"))
    reply_suggest(reply=reply)
    training = CodingSuggestion.objects.get(reply=reply, theme__code="training")
    training.decision = CodingSuggestion.Decision.EDITED
    training.judgement = "partly"
    training.save()

    # The reply's text is corrected: it turns out to be a short acknowledgement.
    reply.text = sample("northumbria")
    reply.save()
    reply_suggest(reply=reply)

    training.refresh_from_db()
    assert training.decision == CodingSuggestion.Decision.EDITED
    assert training.judgement == "partly"
    assert training.excerpts  # still the excerpts the person saw
    structures = CodingSuggestion.objects.get(reply=reply, theme__code="structures")
    assert structures.decision == CodingSuggestion.Decision.PENDING
    assert structures.judgement == "not"
    assert CodingSuggestion.objects.filter(reply=reply).count() == 4


def test_reply_suggest_learns_from_other_replies_but_never_from_its_own(october_round):
    text = letter(
        "Every week we meet the harbour master and the ferry companies to compare passenger "
        "manifests for signs of suspicious travel."
    )
    reply = make_reply(october_round, "kent", text)
    code_excerpt(reply, "structures", text.split("\n\n")[4])

    reply_suggest(reply=reply)
    structures = CodingSuggestion.objects.get(reply=reply, theme__code="structures")
    assert structures.judgement == "not"

    earlier_round = Round.objects.create(
        title="Earlier round", slug="2018-04", reference_prefix="IASC/2018-04", body="..."
    )
    other = make_reply(earlier_round, "essex", "...")
    code_excerpt(
        other,
        "structures",
        "We meet the harbour master and the ferry companies each week to compare manifests.",
    )

    reply_suggest(reply=reply)
    structures.refresh_from_db()
    assert structures.judgement == "partly"
    assert any(reason.startswith("resembles an excerpt") for reason in structures.reasons)


def test_reply_suggest_only_proposes_the_rounds_active_themes(october_round):
    october_round.themes.set(Theme.objects.filter(code__in=["training", "resourcing"]))
    Theme.objects.filter(code="resourcing").update(active=False)
    reply = make_reply(october_round, "surrey", sample("surrey"))

    suggestions = reply_suggest(reply=reply)

    assert [s.theme.code for s in suggestions] == ["training"]


def test_learned_examples_come_in_one_query_whatever_their_number(
    october_round, django_assert_num_queries
):
    for code in ("kent", "essex", "durham"):
        reply = make_reply(october_round, code, "...")
        code_excerpt(reply, "training", f"{code} trains its officers.")
        code_excerpt(reply, "resourcing", f"{code} has more detectives.", judgement="partly")

    with django_assert_num_queries(1):
        examples = learned_examples(exclude_reply_id=reply.pk)

    assert len(examples) == 4
    assert {(e.theme_code, e.judgement) for e in examples} == {
        ("training", "addressed"),
        ("resourcing", "partly"),
    }


# --- the evaluate_suggestions command -------------------------------------------------


def evaluate(directory) -> list[str]:
    out = StringIO()
    call_command("evaluate_suggestions", str(directory), stdout=out)
    return out.getvalue().splitlines()


def figures(lines):
    match = LAST_LINE.match(lines[-1])
    assert match, lines[-1]
    return tuple(float(value) for value in match.groups())


@pytest.mark.django_db
def test_evaluate_suggestions_reaches_the_aims_on_the_sample_replies_without_codings():
    assert not Excerpt.objects.exists()

    lines = evaluate(SAMPLES)

    precision, recall, holding_accuracy = figures(lines)
    assert precision >= 0.8
    assert recall >= 0.8
    assert holding_accuracy >= 0.9
    baseline = next(line for line in lines if line.startswith("Keyword baseline"))
    assert re.search(r"precision=0\.\d{3} recall=0\.\d{3}$", baseline)
    assert any(line.startswith("west-midlands ") for line in lines)


@pytest.mark.django_db
def test_evaluate_suggestions_on_replies_it_was_not_tuned_on():
    # Held-out letters, labelled by hand before the suggester first ran on them.
    precision, recall, holding_accuracy = figures(evaluate(HOLDOUT))

    assert precision >= 0.8
    assert recall >= 0.8
    assert holding_accuracy >= 0.9


def test_evaluate_suggestions_sets_aside_excerpts_quoted_from_the_letter_it_scores(
    october_round, tmp_path
):
    shutil.copy(SAMPLES / "gwent.txt", tmp_path / "gwent.txt")
    with (SAMPLES / "labels.csv").open(encoding="utf-8") as source:
        rows = [row for row in csv.DictReader(source) if row["force"] == "gwent"]
    with (tmp_path / "labels.csv").open("w", newline="", encoding="utf-8") as target:
        writer = csv.DictWriter(target, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    logged = make_reply(october_round, "gwent", sample("gwent"))
    code_excerpt(logged, "training", "Regrettably, a complete answer is not yet possible.")
    other = make_reply(october_round, "kent", "...")
    code_excerpt(other, "training", "Every officer has completed the e-learning course.")

    lines = evaluate(tmp_path)

    assert "2 coded excerpts to learn from" in lines[0]
    assert "Coded excerpts set aside as quoted from the letter being scored: 1" in lines
    assert figures(lines) == (1.0, 1.0, 1.0)


@pytest.mark.django_db
def test_evaluate_suggestions_refuses_a_folder_without_labels(tmp_path):
    with pytest.raises(CommandError, match="labels.csv not found"):
        evaluate(tmp_path)


@pytest.mark.django_db
def test_the_codebook_in_the_database_is_the_one_the_engine_is_tested_with():
    assert active_theme_specs() == THEMES
