"""The coding page: per theme the coder accepts the suggestion, codes it themself, or leaves it.

Driven through the real endpoint, with suggestions made by the real suggester, and controls
found by their labels as a person (or a browser test) finds them.
"""

from datetime import date

import lxml.html
import pytest
from django.urls import reverse
from django.utils.html import escape

from letters.models import Coding, CodingSuggestion, Reply
from letters.services.coding import coding_save
from letters.services.replies import reply_log
from letters.services.suggestions import reply_suggest
from tests.conftest import issue_round, text_document

pytestmark = pytest.mark.django_db

KENT_REPLY = """Dear Commissioner,

Thank you for your letter of 11 October 2019 about modern slavery prosecutions.

Modern slavery investigations in Kent are led by a dedicated exploitation team within our \
serious and organised crime command. The team attends the regional organised crime unit's \
tasking meeting every month and shares intelligence with neighbouring forces.

Since 2016 we have obtained twelve Slavery and Trafficking Prevention Orders and three Risk \
Orders. Each order is recorded on the Police National Database on the day it is made, and \
breaches are referred to the Crown Prosecution Service.

All frontline officers have completed the College of Policing e-learning on modern slavery. \
First responders have guidance on National Referral Mechanism referrals.

The exploitation team has grown to twenty officers, and the Police and Crime Commissioner has \
agreed funding for four more detectives from April.

Yours sincerely

Chief Constable"""

HOLDING_TEXT = """Dear Commissioner,

Thank you for your letter of 11 October 2019. I am gathering the information you ask for and \
will send you a full reply by the end of November.

Yours sincerely

Chief Constable"""


def _log(round_, force_code, text, by, kind=Reply.Kind.FULL):
    reply = reply_log(
        letter=round_.letters.get(force__code=force_code),
        kind=kind,
        received_on=date(2019, 11, 1),
        channel="email",
        from_name="Chief Constable",
        documents=[text_document(text)],
        logged_by=by,
    )
    # What the task queued on commit does; the test's transaction never commits.
    reply_suggest(reply=reply)
    return reply


@pytest.fixture
def kent_reply(secretariat_user):
    round_ = issue_round(created_by=secretariat_user)
    return _log(round_, "kent", KENT_REPLY, secretariat_user)


def _suggestions(reply) -> dict[str, CodingSuggestion]:
    return {s.theme.code: s for s in reply.suggestions.select_related("theme")}


def _controls(page: str) -> dict[str, lxml.html.HtmlElement]:
    """Each form control by the text of its label, as assistive technology reads it."""
    doc = lxml.html.fromstring(page)
    controls = {}
    for label in doc.xpath("//label[@for]"):
        name = " ".join(label.text_content().split())
        controls[name] = doc.get_element_by_id(label.get("for"))
    return controls


def _form_data(page: str) -> dict:
    """What a browser would post if the coder changed nothing."""
    doc = lxml.html.fromstring(page)
    data = {}
    for element in doc.xpath("//form[@method='post']//input | //form[@method='post']//textarea"):
        if element.tag == "textarea":
            data[element.name] = element.text or ""
        elif element.type != "radio" or element.checked:
            data[element.name] = element.value
    return data


def test_the_page_shows_each_suggestion_with_its_excerpts_and_reasons(
    secretariat_client, kent_reply
):
    url = reverse("letters:reply_code", args=[kent_reply.pk])
    page = secretariat_client.get(url).content.decode()
    suggestions = _suggestions(kent_reply)
    assert suggestions["training"].judgement == "addressed"
    assert "Suggested: addressed" in page and "Suggested: partly addressed" in page
    for suggestion in suggestions.values():
        for excerpt in suggestion.excerpts:
            assert f'<blockquote class="app-quote">{escape(excerpt)}</blockquote>' in page
    assert "Why: mentions ‘First responders’" in page

    controls = _controls(page)
    for theme in ("Structures and coordination", "Training and guidance", "Ancillary orders"):
        accept = controls[f"Accept the suggestion for {theme}"]
        assert (accept.get("type"), accept.get("value")) == ("radio", "accept")
        assert controls[f"Code it myself for {theme}"].get("value") == "own"
        leave = controls[f"Leave uncoded for now for {theme}"]
        assert leave.get("checked") is not None  # nothing is coded unless the coder chooses
        assert controls[f"Excerpts for {theme}"].tag == "textarea"
    # The fields of "Code it myself" start from the suggestion, to edit.
    excerpts = controls["Excerpts for Training and guidance"].text.strip()
    assert excerpts == "\n\n".join(suggestions["training"].excerpts)


def test_accept_two_edit_one_reject_one(secretariat_client, kent_reply):
    suggestions = _suggestions(kent_reply)
    orders = suggestions["ancillary-orders"]
    assert suggestions["resourcing"].judgement == "partly"
    assert orders.excerpts[0].startswith("Each order is recorded on the Police National Database")
    url = reverse("letters:reply_code", args=[kent_reply.pk])
    edited_excerpt = "Each order is recorded on the Police National Database on the day it is made"

    response = secretariat_client.post(
        url,
        {
            "structures-decision": "accept",
            "training-decision": "accept",
            "ancillary-orders-decision": "own",
            "ancillary-orders-judgement": "addressed",
            "ancillary-orders-excerpts": f"{edited_excerpt}\n\n{orders.excerpts[1]}",
            "resourcing-decision": "own",
            "resourcing-judgement": "not",
            "resourcing-excerpts": "",
            "resourcing-note": "Growth already planned before the letter; no new investment.",
        },
        follow=True,
    )
    assert "Coding saved for 4 themes." in response.content.decode()

    codings = {c.theme.code: c for c in Coding.objects.filter(reply=kent_reply)}
    assert {code: c.judgement for code, c in codings.items()} == {
        "structures": "addressed",
        "training": "addressed",
        "ancillary-orders": "addressed",
        "resourcing": "not",
    }
    for code in ("structures", "training"):
        texts = [excerpt.text for excerpt in codings[code].excerpts.all()]
        assert texts == list(suggestions[code].excerpts)
    assert [e.text for e in codings["ancillary-orders"].excerpts.all()] == [
        edited_excerpt,
        orders.excerpts[1],
    ]
    assert not codings["resourcing"].excerpts.exists()
    assert codings["resourcing"].note.startswith("Growth already planned")
    assert {c.coded_by.username for c in codings.values()} == {"sam.secretariat"}

    decisions = {code: s.decision for code, s in _suggestions(kent_reply).items()}
    assert decisions == {
        "structures": CodingSuggestion.Decision.ACCEPTED,
        "training": CodingSuggestion.Decision.ACCEPTED,
        "ancillary-orders": CodingSuggestion.Decision.EDITED,
        "resourcing": CodingSuggestion.Decision.REJECTED,
    }


def test_a_theme_left_uncoded_is_not_coded_and_its_suggestion_stays_pending(
    secretariat_client, kent_reply
):
    url = reverse("letters:reply_code", args=[kent_reply.pk])
    untouched = _form_data(secretariat_client.get(url).content.decode())
    assert {untouched[f"{code}-decision"] for code in _suggestions(kent_reply)} == {"leave"}
    response = secretariat_client.post(url, untouched, follow=True)
    assert "Nothing was coded" in response.content.decode()
    assert not Coding.objects.exists()

    secretariat_client.post(url, {**untouched, "training-decision": "accept"})
    assert list(Coding.objects.values_list("theme__code", flat=True)) == ["training"]
    pending = {
        code
        for code, s in _suggestions(kent_reply).items()
        if s.decision == CodingSuggestion.Decision.PENDING
    }
    assert pending == {"structures", "ancillary-orders", "resourcing"}


def test_coding_it_myself_needs_a_judgement_and_saves_nothing_until_all_is_right(
    secretariat_client, kent_reply
):
    url = reverse("letters:reply_code", args=[kent_reply.pk])
    response = secretariat_client.post(
        url,
        {
            "structures-decision": "accept",
            "training-decision": "own",
            "training-judgement": "",
            "resourcing-decision": "own",
            "resourcing-judgement": "addressed",
            "resourcing-excerpts": "We doubled the team.",
        },
    )
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Choose how the reply answers “Training and guidance”" in page
    assert not Coding.objects.exists()

    response = secretariat_client.post(
        url,
        {
            "structures-decision": "accept",
            "resourcing-decision": "own",
            "resourcing-judgement": "addressed",
            "resourcing-excerpts": "We doubled the team.",
        },
    )
    page = response.content.decode()
    assert "This is not in the reply" in page
    # What the coder typed is kept, and "Code it myself" stays chosen with its fields shown.
    controls = _controls(page)
    assert controls["Code it myself for Resourcing and investment"].get("checked") is not None
    assert "We doubled the team." in controls["Excerpts for Resourcing and investment"].text
    assert 'id="conditional-resourcing"' in page
    assert not Coding.objects.exists()
    assert {s.decision for s in _suggestions(kent_reply).values()} == {"pending"}


def test_accepting_is_only_offered_where_there_is_a_suggestion(
    secretariat_client, secretariat_user
):
    round_ = issue_round(created_by=secretariat_user)
    reply = reply_log(
        letter=round_.letters.get(force__code="kent"),
        kind=Reply.Kind.FULL,
        received_on=date(2019, 11, 1),
        channel="post",
        from_name="CC",
        documents=[text_document("Kent works with the ROCU.")],
        logged_by=secretariat_user,
    )
    url = reverse("letters:reply_code", args=[reply.pk])
    controls = _controls(secretariat_client.get(url).content.decode())
    assert "Accept the suggestion for Training and guidance" not in controls
    assert "Code it myself for Training and guidance" in controls
    response = secretariat_client.post(url, {"training-decision": "accept"})
    assert "Select a valid choice" in response.content.decode()
    assert not Coding.objects.exists()


def test_a_coded_theme_is_kept_unless_the_coder_changes_it(
    secretariat_client, secretariat_user, kent_reply
):
    from letters.models import Theme

    coding = coding_save(
        reply=kent_reply,
        theme=Theme.objects.get(code="training"),
        judgement="partly",
        excerpts=["First responders have guidance on National Referral Mechanism referrals."],
        coded_by=secretariat_user,
    )
    url = reverse("letters:reply_code", args=[kent_reply.pk])
    page = secretariat_client.get(url).content.decode()
    controls = _controls(page)
    assert controls["Keep the coding as it is for Training and guidance"].get("checked") is not None
    assert "Accept the suggestion for Training and guidance" not in controls
    assert "Coded: partly addressed" in page

    secretariat_client.post(url, _form_data(page))
    assert Coding.objects.get() == coding
    assert Coding.objects.get().coded_at == coding.coded_at

    data = _form_data(page)
    data.update({"training-decision": "change", "training-judgement": "addressed"})
    secretariat_client.post(url, data)
    assert Coding.objects.get().judgement == "addressed"


def test_a_full_reply_that_looks_like_a_holding_reply_says_so_and_why(
    secretariat_client, secretariat_user
):
    round_ = issue_round(created_by=secretariat_user)
    reply = _log(round_, "surrey", HOLDING_TEXT, secretariat_user)
    assert reply.holding_suggested is True
    page = secretariat_client.get(reverse("letters:reply_code", args=[reply.pk])).content.decode()
    assert "logged as a full reply, but it looks like a holding reply" in page
    assert "Why: promises a fuller reply later: ‘I am gathering the information" in page

    kent = _log(round_, "kent", KENT_REPLY, secretariat_user)
    page = secretariat_client.get(reverse("letters:reply_code", args=[kent.pk])).content.decode()
    assert "looks like a holding reply" not in page
