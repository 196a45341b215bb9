"""The Commissioner drafts, edits and issues the letter on a round's findings, in a real browser."""

from datetime import date

import pytest
from playwright.sync_api import expect

from commissioner.roles import COMMISSIONER
from letters.models import MinisterialLetter, Reply, Theme
from letters.services.replies import reply_log
from letters.services.reviews import theme_observation_save, theme_review_mark
from tests.browser.conftest import check_accessibility, save_screenshot, sign_in
from tests.conftest import issue_round, text_document
from tests.forces.test_figures import PART_YEAR_NOTE, add_year

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OBSERVATION = "Forces must share intelligence across their borders as a matter of routine."


def test_the_commissioner_drafts_edits_and_issues_a_letter_to_the_minister(page, person):
    cara = person("cara", COMMISSIONER)
    round_ = issue_round(created_by=cara)
    reply_log(
        letter=round_.letters.get(force__code="kent"),
        kind=Reply.Kind.FULL,
        received_on=date(2019, 11, 1),
        channel=Reply.Channel.POST,
        from_name="Chief Constable",
        documents=[text_document("Our reply.")],
        logged_by=cara,
    )
    structures = Theme.objects.get(code="structures")
    theme_observation_save(round=round_, theme=structures, observation=OBSERVATION, by=cara)
    theme_review_mark(round=round_, theme=structures, by=cara)
    add_year(2018, (3723, 172, 294, 191), cara)
    add_year(2019, (5019, 226, 349, 251), cara, part_year=True, note=PART_YEAR_NOTE)
    sign_in(page, "cara")

    page.goto(f"/rounds/{round_.slug}/")
    page.get_by_role("button", name="Draft a letter").click()
    check_accessibility(page)
    expect(page.get_by_text("Training and guidance (not reviewed yet)")).to_be_visible()
    page.get_by_role("button", name="Add an addressee").click()
    page.get_by_label("Recipient’s name").fill("The Rt Hon Jo Harland MP")
    page.get_by_label("Title or position").fill(
        "Minister of State for Crime, Policing and the Fire Service"
    )
    page.get_by_label("Organisation").fill("House of Commons")
    page.get_by_label("Address").fill("London\nSW1A 0AA")
    page.get_by_role("button", name="Save addressee").click()
    expect(page.get_by_text("Enter how the letter greets them")).to_have_count(2)
    check_accessibility(page)
    page.get_by_label("Greeting").fill("Dear Minister")
    page.get_by_role("button", name="Save addressee").click()
    expect(page.get_by_label("The Rt Hon Jo Harland MP")).to_be_checked()
    page.get_by_role("button", name="Draft the letter").click()

    expect(
        page.get_by_role("heading", name="Draft letter to The Rt Hon Jo Harland MP")
    ).to_be_visible()
    body = page.get_by_label("Text of the letter")
    expect(body).to_contain_text(f"- {OBSERVATION}")
    expect(body).to_contain_text("[figures table]")
    check_accessibility(page)
    body.press("Control+End")
    body.press_sequentially("\n\nI would be glad to meet you.")
    expect(page.get_by_role("status")).to_contain_text("Saved automatically at")
    save_screenshot(page, "ministerial-letter-draft")
    page.reload()
    expect(page.get_by_label("Text of the letter")).to_contain_text("I would be glad to meet you.")

    page.get_by_role("button", name="Issue the letter").click()
    check_accessibility(page)
    expect(page.get_by_text(f"{round_.reference_prefix}/MIN-1")).to_be_visible()
    page.get_by_role("button", name="Issue the letter").click()

    expect(page.get_by_text(f"Letter {round_.reference_prefix}/MIN-1 issued")).to_be_visible()
    issued = page.get_by_role("table", name="Issued")
    expect(issued.get_by_role("link", name="Download the PDF")).to_be_visible()
    check_accessibility(page)
    save_screenshot(page, "ministerial-letter-issued")
    letter = MinisterialLetter.objects.get()
    assert letter.is_issued and letter.body.endswith("I would be glad to meet you.")
