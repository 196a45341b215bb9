"""The three daily journeys, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from commissioner.roles import COMMISSIONER, SECRETARIAT
from letters.models import CodingSuggestion
from tests.browser.conftest import (
    PASSWORD,
    check_accessibility,
    save_screenshot,
    sign_in,
    sign_out,
)
from tests.conftest import issue_round

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


REPLY_HTML = """
<p>Kent Police, Police Headquarters, Maidstone</p>
<p>Dear Commissioner,</p>
<p>Thank you for your letter about modern slavery prosecutions.</p>
<p>Modern slavery investigations in Kent are led by a dedicated exploitation team within our
serious and organised crime command, which attends the regional organised crime unit's tasking
meeting every month and shares intelligence with neighbouring forces.</p>
<p>Since 2016 we have obtained twelve Slavery and Trafficking Prevention Orders. Each order is
entered on the Police National Database on the day it is made, and a named officer checks
compliance every month.</p>
<p>All frontline officers have completed the College of Policing e-learning on modern slavery,
and investigators attend the specialist course of the Modern Slavery Police Transformation
Unit.</p>
<p>Yours sincerely,</p><p>Chief Constable</p>
"""


@pytest.fixture
def kent_round(secretariat_user):
    from forces.models import Force

    forces = Force.objects.filter(code__in=["kent", "essex", "surrey"])
    return issue_round(created_by=secretariat_user, forces=forces, reference_prefix="IASC/2026-09")


def test_secretariat_logs_a_reply_and_codes_it_from_the_suggestions(
    page, person, kent_round, tmp_path
):
    from weasyprint import HTML

    reply_pdf = tmp_path / "kent-reply.pdf"
    HTML(string=REPLY_HTML).write_pdf(reply_pdf)
    person("sam", SECRETARIAT)
    sign_in(page, "sam")

    page.get_by_role("link", name="Log a reply").click()
    check_accessibility(page)
    kent = kent_round.letters.get(force__code="kent")
    page.get_by_label("Letter").select_option(
        label=f"Kent Police – {kent.reference} ({kent_round.title})"
    )
    page.get_by_label("Day").fill("1")
    page.get_by_label("Month").fill("10")
    page.get_by_label("Year").fill("2026")
    page.get_by_label("Post").check()
    page.get_by_label("From").fill("Chief Constable Tim Smith")
    page.get_by_label("Full reply").check()
    page.get_by_label("Documents").set_input_files(reply_pdf)
    page.get_by_role("button", name="Log reply").click()
    expect(page.get_by_text("Reply from Kent Police logged.")).to_be_visible()
    check_accessibility(page)

    page.get_by_label("Accept the suggestion for Structures and coordination").check()
    page.get_by_label("Accept the suggestion for Training and guidance").check()
    page.get_by_label("Code it myself for Ancillary orders").check()
    excerpts = page.get_by_label("Excerpts for Ancillary orders")
    excerpts.fill("we have obtained twelve Slavery and Trafficking Prevention Orders")
    page.get_by_role("radio", name="Addressed  : Ancillary orders", exact=True).check()
    check_accessibility(page)
    page.get_by_role("button", name="Save coding").click()
    expect(page.get_by_text("Coding saved for 3 themes; 1 left as it was.")).to_be_visible()
    expect(
        page.get_by_text(
            "we have obtained twelve Slavery and Trafficking Prevention Orders", exact=True
        )
    ).to_be_visible()

    page.get_by_role("link", name="Rounds").click()
    page.get_by_role("link", name=kent_round.title).click()
    kent_row = page.get_by_role("row").filter(has_text="Kent Police")
    expect(kent_row.get_by_text("Replied", exact=True)).to_be_visible()
    expect(kent_row.get_by_text("3 of 4")).to_be_visible()
    check_accessibility(page)
    save_screenshot(page, "journey-2-tracker-replied")

    decisions = dict(
        CodingSuggestion.objects.filter(reply__letter=kent).values_list("theme__code", "decision")
    )
    assert decisions["structures"] == decisions["training"] == "accepted"
    assert decisions["ancillary-orders"] == "edited"
    assert decisions["resourcing"] == "pending"


def test_nightly_chase_up_then_the_commissioner_reviews_and_reads_the_report(
    page, person, secretariat_user
):
    from django.core.management import call_command
    from pypdf import PdfReader

    from forces.models import Force
    from letters.models import Letter

    Force.objects.filter(code="essex").update(email="chief.officer@essex.police.example")
    round_ = issue_round(
        created_by=secretariat_user,
        forces=Force.objects.filter(code__in=["essex", "kent"]),
        reference_prefix="IASC/2019-10",
    )
    overdue = Letter.objects.get(round=round_, force__code="essex")
    call_command("send_chase_ups")

    person("sam", SECRETARIAT)
    sign_in(page, "sam")
    page.get_by_role("link", name="Outbox").click()
    reminder = (
        page.get_by_role("row").filter(has_text="reminder").filter(has_text=overdue.reference)
    )
    expect(reminder).to_have_count(1)
    check_accessibility(page)
    sign_out(page)

    person("cara", COMMISSIONER)
    sign_in(page, "cara")
    check_accessibility(page)
    page.get_by_role("link", name=round_.title).first.click()
    page.get_by_role("link", name="Training and guidance").click()
    check_accessibility(page)
    page.get_by_role("link", name="Write your observation").click()
    observation = "Training is in place everywhere, but who will provide it next year is unclear."
    page.get_by_label("Your observation").fill(observation)
    page.get_by_role("button", name="Save observation").click()
    page.get_by_role("button", name="Mark as reviewed").click()
    expect(page.get_by_text("Reviewed", exact=True)).to_be_visible()
    check_accessibility(page)
    save_screenshot(page, "journey-3-theme-summary")

    page.get_by_role("link", name="Rounds", exact=True).click()
    page.get_by_role("link", name=round_.title).click()
    page.get_by_role("button", name="Ask for the summary report").click()
    download_link = page.get_by_role("link", name=re.compile("Download the summary report"))
    expect(download_link.first).to_be_visible(timeout=60_000)
    check_accessibility(page)
    with page.expect_download() as download:
        download_link.first.click()
    save_screenshot(page, "journey-3-report-ready")
    text = "".join(page.extract_text() for page in PdfReader(download.value.path()).pages)
    assert " ".join(observation.split()) in " ".join(text.split())


def _tab_to(page, text: str, limit: int = 80) -> None:
    """Press Tab until the focused control shows `text`; fail if it is never reached."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => (document.activeElement.innerText || document.activeElement.value ||"
            " document.activeElement.labels?.[0]?.innerText || '').trim()"
        )
        if focused.startswith(text):
            return
    raise AssertionError(f"“{text}” cannot be reached with the Tab key")


def _focus_is_visible(page) -> bool:
    """GOV.UK's focus state: a yellow highlight, an outline or a thick shadow."""
    return page.evaluate(
        """() => {
            const style = getComputedStyle(document.activeElement);
            return style.backgroundColor === 'rgb(255, 221, 0)'
                || (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2)
                || style.boxShadow !== 'none';
        }"""
    )


def test_the_secretariat_journey_works_with_the_keyboard_alone(page, person, kent_round):
    person("sam", SECRETARIAT)
    page.goto("/sign-in/")
    _tab_to(page, "Skip to main content")
    assert _focus_is_visible(page)
    page.keyboard.press("Tab")
    while page.evaluate("() => document.activeElement.id") != "id_username":
        page.keyboard.press("Tab")
    page.keyboard.type("sam")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    for link in ("Rounds", kent_round.title, "Preview the letter"):
        _tab_to(page, link)
        assert _focus_is_visible(page), f"no visible focus on “{link}”"
        with page.expect_navigation():
            page.keyboard.press("Enter")
    expect(page.get_by_text("Dear Commissioner,")).to_be_visible()

    _tab_to(page, "Log a reply")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _tab_to(page, "Log reply")
    assert _focus_is_visible(page)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text("There is a problem")).to_be_visible()
    errors = page.get_by_role("alert").get_by_role("link")
    expect(errors.first).to_be_visible()
    save_screenshot(page, "journey-keyboard-errors")
