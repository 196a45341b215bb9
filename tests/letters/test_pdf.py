import io
import logging
import threading
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import weasyprint
from django.core.management import call_command
from pypdf import PdfReader

from forces.models import Force
from letters.models import Extension, Letter, Reminder, Round
from letters.pdf import ProjectURLFetcher, ResourceRefused, letter_pdf, reminder_pdf

LONDON = ZoneInfo("Europe/London")
BODY = (
    "In October 2019 I am writing to every chief constable about modern slavery referrals.\n\n"
    "I should be grateful for your reply on the following points:\n"
    "- how your force is organised to tackle modern slavery\n"
    "- how you use ancillary orders\n\n"
    "Thank you for your help."
)


def make_letter(force_code: str = "avon-somerset", *, body: str = BODY, **fields) -> Letter:
    """A letter as issuing a round will store it (services don't exist yet)."""
    force = Force.objects.get(code=force_code)
    head = force.heads.get(until__isnull=True)
    round_, _ = Round.objects.get_or_create(
        slug="modern-slavery-2019-10",
        defaults={
            "title": "Modern slavery prosecutions",
            "reference_prefix": "IASC/2019-10",
            "body": body,
        },
    )
    values = {
        "reference": f"IASC/2019-10/{force_code.upper()}",
        "addressee_title": head.title,
        "salutation": head.salutation,
        "address": force.address,
        "body": body,
        "issued_on": date(2019, 10, 11),
        "original_due_on": date(2019, 11, 8),
        "due_on": date(2019, 11, 8),
    }
    return Letter.objects.create(round=round_, force=force, **(values | fields))


def pages_text(pdf: bytes) -> list[str]:
    """Each page's text with runs of whitespace made single spaces, as a reader sees it."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def squashed(text: str) -> str:
    # PDF text extraction may break a long token across lines; compare without whitespace.
    return "".join(text.split())


@pytest.fixture
def canary_server():
    """A local HTTP server that records every request it receives."""
    requests: list[str] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"p { color: red }")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", requests
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("force_code", "salutation"),
    [("metropolitan", "Dear Commissioner,"), ("west-yorkshire", "Dear Chief Constable,")],
)
def test_letter_greets_the_head_of_force_and_is_addressed_and_signed(
    settings, force_code, salutation
):
    settings.OFFICE_SIGNATORY = "Dame Sara Thornton"
    letter = make_letter(force_code, addressee_name="Jane Doe")

    (text,) = pages_text(letter_pdf(letter))

    assert "Independent Anti-Slavery Commissioner" in text
    assert "89 Eccleston Square" in text
    assert f"{letter.addressee_title} Jane Doe {letter.force.name}" in text
    assert " ".join(letter.force.address_lines) in text
    assert "11 October 2019" in text
    assert f"Our reference: {letter.reference}" in text
    assert salutation in text
    assert "Modern slavery prosecutions" in text
    assert "I should be grateful for your reply on the following points:" in text
    assert "how you use ancillary orders" in text
    assert "- how you use" not in text
    assert "Yours sincerely, Dame Sara Thornton Independent Anti-Slavery Commissioner" in text


@pytest.mark.django_db
def test_letter_uses_the_projects_font_not_a_system_one():
    fonts = letter_fonts(letter_pdf(make_letter()))

    # "Letter Sans" exists only through the @font-face rules of static/pdf/letter.css.
    assert fonts and all("Letter-Sans" in font for font in fonts)


def letter_fonts(pdf: bytes) -> set[str]:
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    return {font.get_object()["/BaseFont"] for font in page["/Resources"]["/Font"].values()}


@pytest.mark.django_db(transaction=True)
def test_stylesheets_parsed_once_serve_every_later_letter_and_thread():
    first = make_letter("kent")
    second = make_letter("city-of-london")
    letter_pdf(first)

    in_thread = {}
    worker = threading.Thread(target=lambda: in_thread.update(pdf=letter_pdf(second)))
    worker.start()
    worker.join()
    again = letter_pdf(second)

    # The same letter drawn in a fresh thread and by a thread that has drawn others.
    assert pages_text(in_thread["pdf"]) == pages_text(again)
    assert letter_fonts(in_thread["pdf"]) == letter_fonts(again)
    assert all("Letter-Sans" in font for font in letter_fonts(again))
    assert "Dear Commissioner," in pages_text(again)[0]


@pytest.mark.django_db
def test_one_page_letter_has_no_page_number():
    (text,) = pages_text(letter_pdf(make_letter()))

    assert "Page 1" not in text


@pytest.mark.django_db
def test_letter_without_a_named_head_goes_to_the_office_holder():
    (text,) = pages_text(letter_pdf(make_letter("city-of-london")))

    assert "The Commissioner City of London Police" in text
    assert "Dear Commissioner," in text


@pytest.mark.django_db
def test_long_letter_numbers_its_continuation_pages_and_repeats_the_reference():
    paragraph = "Forces have developed their response to modern slavery over several years. " * 9
    letter = make_letter(body="\n\n".join([paragraph] * 12))

    pages = pages_text(letter_pdf(letter))

    assert len(pages) >= 3
    assert "Page 1" not in pages[0]
    assert pages[0].count("Our reference:") == 1
    for number, text in enumerate(pages[1:], start=2):
        assert f"Page {number} of {len(pages)}" in text
        assert f"Our reference: {letter.reference}" in text
    assert "Yours sincerely" in pages[-1]


@pytest.mark.django_db
def test_first_reminder_quotes_the_letter_its_extension_and_the_new_date():
    letter = make_letter(due_on=date(2019, 11, 22))
    Extension.objects.create(
        letter=letter,
        previous_due_on=date(2019, 11, 8),
        new_due_on=date(2019, 11, 22),
        reason="Force restructuring",
        agreed_with="Staff officer",
    )
    reminder = Reminder.objects.create(
        letter=letter,
        step=Reminder.Step.FIRST,
        chased_due_on=date(2019, 11, 22),
        reply_by=date(2019, 12, 6),
        created_at=datetime(2019, 11, 25, 2, 30, tzinfo=LONDON),
    )

    (text,) = pages_text(reminder_pdf(reminder))

    assert "25 November 2019" in text
    assert f"Our reference: {letter.reference}" in text
    assert "Dear Chief Constable," in text
    assert "Reminder: Modern slavery prosecutions" in text
    assert "On 11 October 2019 I wrote to you about Modern slavery prosecutions" in text
    assert f"(our reference {letter.reference}) and asked for your reply by 8 November 2019" in text
    assert "extend the date for your reply from 8 November 2019 to 22 November 2019" in text
    assert "Your reply was due by 22 November 2019 and I have not yet received it." in text
    assert "send your reply by 6 December 2019" in text
    assert "A copy of my letter of 11 October 2019 is attached." in text
    assert "Yours sincerely" in text


@pytest.mark.django_db
def test_escalation_recalls_earlier_reminders_and_says_what_happens_next():
    letter = make_letter()
    for step, day in [(Reminder.Step.FIRST, 11), (Reminder.Step.SECOND, 25)]:
        Reminder.objects.create(
            letter=letter,
            step=step,
            chased_due_on=date(2019, 11, 8),
            created_at=datetime(2019, 11, day, 2, 30, tzinfo=LONDON),
        )
    escalation = Reminder.objects.create(
        letter=letter,
        step=Reminder.Step.ESCALATION,
        chased_due_on=date(2019, 11, 8),
        reply_by=date(2019, 12, 20),
        created_at=datetime(2019, 12, 9, 2, 30, tzinfo=LONDON),
    )

    (text,) = pages_text(reminder_pdf(escalation))

    assert "Final reminder: Modern slavery prosecutions" in text
    assert "I wrote again on 11 November 2019 and 25 November 2019 to remind you." in text
    assert "Despite my reminders, I have still not received it." in text
    assert "I must now ask you to send your reply by 20 December 2019" in text
    assert "your force did not reply" in text
    assert "extend the date" not in text


@pytest.mark.django_db
def test_second_reminder_without_a_date_asks_for_a_reply_as_soon_as_possible():
    reminder = Reminder.objects.create(
        letter=make_letter(),
        step=Reminder.Step.SECOND,
        chased_due_on=date(2019, 11, 8),
        created_at=datetime(2019, 11, 25, 2, 30, tzinfo=LONDON),
    )

    (text,) = pages_text(reminder_pdf(reminder))

    assert "Second reminder: Modern slavery prosecutions" in text
    assert "Your reply was due by 8 November 2019 and I have still not received it." in text
    assert "Please send your reply as soon as possible" in text


def test_canary_server_sees_what_weasyprints_default_fetcher_fetches(canary_server):
    # Shows the canary works, so the tests below that find it untouched mean something.
    url, requests = canary_server
    weasyprint.HTML(string=f'<link rel="stylesheet" href="{url}/default.css"><p>x</p>').write_pdf()
    assert requests == ["/default.css"]


@pytest.mark.django_db
def test_markup_in_a_letter_body_is_printed_as_text_and_fetches_nothing(canary_server):
    url, requests = canary_server
    body = (
        'Summary: <img src="file:///etc/passwd"> and <img src="' + url + '/pixel.png">\n\n'
        '<a href="' + url + '/">click</a> <link rel="stylesheet" href="' + url + '/x.css">'
    )

    (text,) = pages_text(letter_pdf(make_letter(body=body)))

    assert requests == []
    assert squashed(f'<img src="{url}/pixel.png">') in squashed(text)
    assert squashed('<img src="file:///etc/passwd">') in squashed(text)
    assert squashed(f'<a href="{url}/">click</a>') in squashed(text)
    assert "root:" not in text


def test_fetcher_keeps_a_trusted_templates_resources_out_too(canary_server, caplog):
    url, requests = canary_server
    markup = (
        f'<link rel="stylesheet" href="{url}/trusted.css">'
        f'<style>@import url("{url}/imported.css");</style>'
        f'<p>Still rendered</p><img src="{url}/logo.png"><img src="file:///etc/passwd">'
        '<img src="data:text/html,%3Ch1%3Ehi%3C/h1%3E">'
        f'<img src="data:image/svg+xml,{quote(svg_with_image(url + "/inner.png"))}">'
    )
    with caplog.at_level(logging.WARNING, logger="letters.pdf"):
        pdf = weasyprint.HTML(string=markup, url_fetcher=ProjectURLFetcher()).write_pdf()

    assert requests == []
    assert "Still rendered" in pages_text(pdf)[0]
    refused = [r.getMessage() for r in caplog.records if r.name == "letters.pdf"]
    assert any("/logo.png" in message for message in refused)
    assert any("file:///etc/passwd" in message for message in refused)
    assert any("/inner.png" in message for message in refused)


def svg_with_image(href: str) -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="10" height="10"><image xlink:href="{href}" width="10" height="10"/></svg>'
    )


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "/static/../../../etc/passwd",
        "file:///static/../../../etc/passwd",
        "file:///static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/static//etc/passwd",
        "file://other-host/etc/passwd",
        "http://127.0.0.1:9/",
        "https://example.org/letter.css",
        "ftp://example.org/letter.css",
        "data:text/html,<script>alert(1)</script>",
        "data:,just text",
        "/files/letters/IASC-2019-10-AVS.pdf",
        "/etc/passwd",
    ],
)
def test_fetcher_refuses_anything_but_the_projects_files_and_images(url):
    with pytest.raises(ResourceRefused):
        ProjectURLFetcher().fetch(url)


def test_fetcher_serves_the_projects_stylesheet_and_fonts():
    css = ProjectURLFetcher().fetch("/static/pdf/letter.css")
    font = ProjectURLFetcher().fetch("file:///static/fonts/LiberationSans-Regular.ttf")

    assert css.content_type == "text/css"
    assert b"@page" in css.read()
    assert font.read()[:4] == b"\x00\x01\x00\x00"  # a TrueType font
    # The response names the real file WeasyPrint may read again: the one that was checked.
    assert css.path.endswith("/static/pdf/letter.css") and css.path != "/static/pdf/letter.css"


@pytest.mark.parametrize(
    "url",
    [
        "data:image/svg+xml,%3Csvg%20xmlns%3D%22http%3A//www.w3.org/2000/svg%22/%3E",
        "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=",
    ],
)
def test_fetcher_serves_data_images(url):
    response = ProjectURLFetcher().fetch(url)

    assert response.content_type == "image/svg+xml"
    assert response.read() == b'<svg xmlns="http://www.w3.org/2000/svg"/>'


def test_fetcher_serves_media_only_in_the_folders_it_was_given(settings):
    allowed = settings.MEDIA_ROOT / "rounds" / "7"
    allowed.mkdir(parents=True)
    (allowed / "chart.png").write_bytes(b"\x89PNG fake")
    other = settings.MEDIA_ROOT / "rounds" / "8"
    other.mkdir(parents=True)
    (other / "chart.png").write_bytes(b"\x89PNG other")
    (allowed / "escape.png").symlink_to("/etc/passwd")
    (allowed / "sideways.png").symlink_to(other / "chart.png")
    fetcher = ProjectURLFetcher(media_prefixes=("rounds/7",))

    assert fetcher.fetch("/files/rounds/7/chart.png").read() == b"\x89PNG fake"
    assert fetcher.fetch((allowed / "chart.png").as_uri()).read() == b"\x89PNG fake"
    for refused in [
        "/files/rounds/8/chart.png",
        (other / "chart.png").as_uri(),
        "/files/rounds/7/escape.png",
        "/files/rounds/7/sideways.png",
        "/files/rounds/7/../8/chart.png",
        "/files/rounds/7",
    ]:
        with pytest.raises(ResourceRefused):
            fetcher.fetch(refused)
    with pytest.raises(ResourceRefused):
        ProjectURLFetcher().fetch("/files/rounds/7/chart.png")


@pytest.mark.parametrize("prefix", ["", "/rounds/7", "rounds/../../etc"])
def test_media_prefixes_must_be_folders_inside_media_root(prefix):
    with pytest.raises(ValueError, match="media prefix"):
        ProjectURLFetcher(media_prefixes=(prefix,))


@pytest.mark.django_db
def test_letter_keeps_its_stylesheet_and_fonts_when_static_files_are_hashed(settings, tmp_path):
    # Production serves collected files with hashed names from STATIC_ROOT.
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}
    }
    call_command("collectstatic", interactive=False, verbosity=0, ignore_patterns=["admin", "gov*"])

    pdf = letter_pdf(make_letter())

    page = PdfReader(io.BytesIO(pdf)).pages[0]
    fonts = {font.get_object()["/BaseFont"] for font in page["/Resources"]["/Font"].values()}
    assert fonts and all("Letter-Sans" in font for font in fonts)
