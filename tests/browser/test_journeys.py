"""The three daily journeys, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from commissioner.roles import SECRETARIAT
from tests.browser.conftest import check_accessibility, save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_secretariat_issues_a_round_to_all_43_forces(page, person):
    person("sam", SECRETARIAT)
    sign_in(page, "sam")

    page.get_by_role("link", name="Rounds").click()
    check_accessibility(page)
    page.get_by_role("button", name="Start a new round").click()
    check_accessibility(page)
    page.get_by_label("Subject").fill("Modern slavery prosecutions")
    page.get_by_label("Reference prefix").fill("IASC/2026-12")
    page.get_by_label("Body").fill(
        "I am writing to {{ force_name }} about modern slavery prosecutions.\n\n"
        "- How is your response structured?\n- What training do officers receive?\n\n"
        "Please reply by {{ due_date }}, quoting {{ reference }}."
    )
    page.get_by_label("Structures and coordination").check()
    page.get_by_label("Training and guidance").check()
    page.get_by_role("button", name="Save round").click()
    expect(page.get_by_text("saved as a draft")).to_be_visible()
    check_accessibility(page)

    page.get_by_role("link", name="Preview the letter").click()
    page.get_by_label("Preview the letter for").select_option(label="Metropolitan Police Service")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("Dear Commissioner,")).to_be_visible()
    expect(page.get_by_text("I am writing to Metropolitan Police Service")).to_be_visible()
    check_accessibility(page)

    page.get_by_role("link", name="Back to the round").click()
    page.get_by_role("button", name="Issue letters").click()
    check_accessibility(page)
    expect(page.get_by_role("checkbox")).to_have_count(43)
    page.get_by_role("button", name="Issue letters").click()
    expect(page.get_by_text("43 letters issued.")).to_be_visible()

    counts = page.get_by_role("list", name="Letters by status")
    expect(counts.get_by_role("link", name=re.compile(r"^43 awaiting reply$"))).to_be_visible()
    expect(page.get_by_role("row")).to_have_count(44)
    check_accessibility(page)
    save_screenshot(page, "journey-1-tracker")
