"""The summary report: what it says, the PDF it makes, and how it is asked for and built."""

import io
import re
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from forces.models import Force, ProsecutionFigures
from letters.models import Judgement, Reply, Report, Theme, ThemeReview
from letters.pdf import summary_report_pdf
from letters.selectors.report import summary_report
from letters.services.coding import coding_save
from letters.services.letters import letter_extend
from letters.services.replies import reply_log
from letters.services.reports import ReportNotAvailable, report_build, report_request
from tests.conftest import issue_round, make_round, text_document
from tests.letters.test_pdf import canary_server, squashed  # noqa: F401 - a fixture, shared

pytestmark = pytest.mark.django_db

TODAY = date(2020, 1, 10)
FORCES = ("kent", "essex", "surrey", "gwent", "city-of-london")


def reply(letter, kind, received_on, user, text="Our reply."):
    return reply_log(
        letter=letter,
        kind=kind,
        received_on=received_on,
        channel="email",
        from_name="Chief Constable",
        documents=[text_document(text)],
        logged_by=user,
    )


@pytest.fixture
def replied_round(secretariat_user, commissioner_user):
    """Issued 11 October 2019 (due 8 November) to five forces; three full replies, one holding."""
    themes = list(Theme.objects.filter(code__in=("structures", "training")))
    round_ = issue_round(
        created_by=secretariat_user,
        forces=Force.objects.filter(code__in=FORCES),
        themes=themes,
        title="Modern slavery prosecutions",
    )
    letters = {letter.force.code: letter for letter in round_.letters.select_related("force")}
    kent = reply(
        letters["kent"],
        Reply.Kind.FULL,
        date(2019, 11, 1),
        secretariat_user,
        text="Kent has a dedicated exploitation team. Training is under review.",
    )
    essex = reply(
        letters["essex"],
        Reply.Kind.FULL,
        date(2019, 11, 20),
        secretariat_user,
        text="Essex refers complex cases to the region.",
    )
    gwent = reply(letters["gwent"], Reply.Kind.FULL, date(2019, 11, 15), secretariat_user)
    reply(letters["surrey"], Reply.Kind.HOLDING, date(2019, 11, 4), secretariat_user)
    letter_extend(
        letter=letters["gwent"],
        new_due_on=date(2019, 11, 22),
        reason="Audit",
        agreed_with="CC",
        granted_by=secretariat_user,
    )
    structures, training = themes
    codings = [
        (kent, structures, Judgement.ADDRESSED, ["Kent has a dedicated exploitation team."]),
        (essex, structures, Judgement.PARTLY, ["Essex refers complex cases to the region."]),
        (gwent, structures, Judgement.NOT_ADDRESSED, []),
        (kent, training, Judgement.PARTLY, ["Training is under review."]),
    ]
    for coded_reply, theme, judgement, excerpts in codings:
        coding_save(
            reply=coded_reply,
            theme=theme,
            judgement=judgement,
            excerpts=excerpts,
            coded_by=secretariat_user,
        )
    ThemeReview.objects.create(
        round=round_,
        theme=structures,
        summary="Most forces route complex cases to a regional unit.",
        observation="Structures still do not match the organised nature of the crime.",
        observation_by=commissioner_user,
    )
    for year, recorded, note in (
        (2018, 3723, ""),
        (2019, 5019, "Recorded crimes are for January to September 2019 only"),
    ):
        ProsecutionFigures.objects.create(
            year=year,
            period_start=date(year, 1, 1),
            period_end=date(year, 12, 31),
            recorded_crimes=recorded,
            suspects_charged=172 if year == 2018 else 226,
            defendants_prosecuted=294 if year == 2018 else 349,
            defendants_convicted=191 if year == 2018 else 251,
            part_year=bool(note),
            note=note,
            source="Letter to the Minister, 10 February 2020",
        )
    return round_


def pdf_pages(content: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages]


def test_the_response_statistics(replied_round):
    stats = summary_report(round=replied_round, today=TODAY).stats
    # Gwent replied after the original due date but within its extension.
    assert (stats.issued, stats.replied, stats.replied_by_due_date) == (5, 3, 2)
    assert (stats.holding, stats.overdue, stats.not_yet_due, stats.extended) == (1, 2, 0, 1)
    # Kent 21 days, Gwent 35, Essex 40.
    assert stats.median_days_to_reply == 35
    assert (stats.longest_days_to_reply, stats.longest_to_reply) == (40, ["Essex Police"])


def test_the_matrix_the_themes_and_the_figures(replied_round):
    report = summary_report(round=replied_round, today=TODAY)
    assert [theme.code for theme in report.themes] == ["structures", "training"]
    rows = {row.force: row.cells for row in report.matrix}
    assert rows["Kent Police"] == [Judgement.ADDRESSED, Judgement.PARTLY]
    assert rows["Gwent Police"] == [Judgement.NOT_ADDRESSED, None]
    assert rows["City of London Police"] == [None, None]

    structures = report.theme_sections[0]
    assert structures.observation.startswith("Structures still do not match")
    addressed, partly, not_addressed = structures.groups
    assert [(f.force, f.excerpts) for f in addressed.forces] == [
        ("Kent Police", ["Kent has a dedicated exploitation team."])
    ]
    assert [f.force for f in partly.quoted] == ["Essex Police"]
    assert not_addressed.unquoted == ["Gwent Police"]
    assert report.theme_sections[1].not_coded == ["Essex Police", "Gwent Police"]

    year_2018, year_2019 = report.figures
    assert (str(year_2018.charge_rate), str(year_2018.conviction_rate)) == ("4.6", "5.1")
    assert (year_2018.footnote, year_2019.footnote) == (None, 1)
    assert report.figures_notes == ["Recorded crimes are for January to September 2019 only"]
    assert [item.letter.force.name for item in report.not_replied] == [
        "City of London Police",
        "Surrey Police",
    ]


@pytest.mark.parametrize("forces", [2, 43])
def test_the_report_reads_a_constant_number_of_queries(
    secretariat_user, django_assert_max_num_queries, forces
):
    round_ = issue_round(created_by=secretariat_user, forces=Force.objects.all()[:forces])
    for letter in round_.letters.all():
        reply(letter, Reply.Kind.FULL, date(2019, 11, 1), secretariat_user)
    with django_assert_max_num_queries(10):
        summary_report(round=round_)


def test_the_pdf_says_what_the_report_promises(replied_round):
    pdf = summary_report_pdf(summary_report(round=replied_round, today=TODAY))
    pages = pdf_pages(pdf.content)
    assert pdf.page_count == len(pages) >= 8
    title, contents, statistics, *rest = pages
    text = " ".join(pages)

    assert "Modern slavery prosecutions" in title and "10 January 2020" in title
    assert "Page" not in title  # no running header or number on the title page
    assert "Contents" in contents and "Response statistics" in contents
    assert "National prosecution figures" in contents and "Forces that have not replied" in contents
    # Running header (the round, the chapter) and page numbers from the third page on.
    assert statistics.endswith(
        f"Modern slavery prosecutions Response statistics Page 3 of {len(pages)}"
    )
    assert "Median time to a full reply 35 days" in statistics
    assert "Longest time to a full reply 40 days (Essex Police)" in statistics
    assert "Full replies received over time" in statistics
    assert "How the replies addressed each theme" in text
    assert "Structures and coordination: 1 addressed, 1 partly addressed, 1 not addressed" in text
    assert "Most forces route complex cases to a regional unit." in text
    assert "Structures still do not match the organised nature of the crime." in text
    assert "Addressed: 1 force Kent Police Kent has a dedicated exploitation team." in text
    assert "Partly addressed: 1 force Essex Police" in text
    assert "Not addressed: 1 force Gwent Police" in text
    assert "2018 3723 172 294 191 4.6 7.9 5.1" in text
    assert "[1] Recorded crimes are for January to September 2019 only" in text
    assert "City of London Police IASC/2019-10/CLP Overdue since 8 November 2019" in text
    assert "holding reply received" in text
    # The contents give each chapter's page.
    for chapter, mark in (
        ("National prosecution figures", "Table 3."),
        ("Forces that", "Table 4."),
    ):
        listed = re.search(re.escape(chapter) + r"[^0-9]*?(\d+)", contents)
        assert int(listed.group(1)) == next(n for n, page in enumerate(pages, 1) if mark in page)


def test_markup_in_what_people_wrote_is_printed_as_text_and_fetches_nothing(
    replied_round,
    secretariat_user,
    canary_server,  # noqa: F811 - the fixture imported from test_pdf
):
    url, requests = canary_server
    review = replied_round.reviews.get()
    review.observation = f'<img src="file:///etc/passwd"> <img src="{url}/pixel.png">'
    review.save()
    excerpt = f'<link rel="stylesheet" href="{url}/x.css"> quoted'
    later = reply(
        replied_round.letters.get(force__code="kent"),
        Reply.Kind.FULL,
        date(2019, 12, 2),
        secretariat_user,
        text=f"Further to our reply: {excerpt}",
    )
    coding_save(
        reply=later,
        theme=review.theme,
        judgement=Judgement.ADDRESSED,
        excerpts=[excerpt],
        coded_by=secretariat_user,
    )
    text = " ".join(pdf_pages(summary_report_pdf(summary_report(round=replied_round)).content))
    assert requests == []
    assert squashed(excerpt) in squashed(text)
    assert squashed(f'<img src="{url}/pixel.png">') in squashed(text)
    assert squashed('<img src="file:///etc/passwd">') in squashed(text)
    assert "root:" not in text


# Asking for the report, and building it in the background


def test_the_commissioner_asks_for_the_report_and_downloads_it(
    replied_round, commissioner_client, commissioner_user, django_capture_on_commit_callbacks
):
    round_url = reverse("letters:round_detail", args=[replied_round.slug])
    assert "Ask for the summary report" in commissioner_client.get(round_url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = commissioner_client.post(
            reverse("letters:report_request", args=[replied_round.slug])
        )
    assert response["Location"] == round_url + "#summary-report"
    report = Report.objects.get()
    assert (report.status, report.requested_by) == (Report.Status.DONE, commissioner_user)
    assert report.page_count >= 8 and report.duration > timedelta(0) and not report.error

    page = " ".join(commissioner_client.get(round_url).content.decode().split())
    assert "Ready" in page
    assert f"Download the summary report (PDF, {report.page_count} pages" in page
    download = commissioner_client.get(reverse("letters:report_download", args=[report.pk]))
    assert download["Content-Type"] == "application/pdf"
    content = b"".join(download.streaming_content)
    assert len(PdfReader(io.BytesIO(content)).pages) == report.page_count


def test_the_round_page_shows_progress_in_a_status_region_while_it_is_built(
    replied_round, commissioner_user, commissioner_client
):
    report, created = report_request(round=replied_round, requested_by=commissioner_user)
    assert created
    assert report_request(round=replied_round, requested_by=commissioner_user) == (report, False)
    Report.objects.filter(pk=report.pk).update(
        status=Report.Status.RUNNING,
        started_at=timezone.now(),
        progress="Step 2 of 3: laying out the pages",
    )
    page = commissioner_client.get(reverse("letters:round_detail", args=[replied_round.slug]))
    html = " ".join(page.content.decode().split())
    assert 'role="status"' in html and 'data-report-finished="false"' in html
    assert "Being built</strong> Step 2 of 3: laying out the pages." in html
    assert "js/report-status.js" in html
    assert "Ask for the summary report" not in html  # not while one is being built

    panel = commissioner_client.get(reverse("letters:report_status", args=[report.pk]))
    assert panel.content.decode().lstrip().startswith('<div id="report-status"')
    assert "laying out the pages" in panel.content.decode()


def test_a_report_is_built_once_however_often_its_task_comes(replied_round, settings):
    report, _ = report_request(round=replied_round, requested_by=None)
    assert report_build(report_id=report.pk).status == Report.Status.DONE
    assert report_build(report_id=report.pk) is None
    # A build still within its time limit belongs to its worker; an older one was abandoned.
    Report.objects.filter(pk=report.pk).update(
        status=Report.Status.RUNNING, started_at=timezone.now()
    )
    assert report_build(report_id=report.pk) is None
    long_ago = timezone.now() - timedelta(seconds=settings.REPORT_BUILD_TIME_LIMIT + 1)
    Report.objects.filter(pk=report.pk).update(started_at=long_ago)
    assert report_build(report_id=report.pk).status == Report.Status.DONE


def test_a_report_that_cannot_be_built_says_why(replied_round, settings):
    report, _ = report_request(round=replied_round, requested_by=None)
    settings.MEDIA_ROOT = settings.MEDIA_ROOT.parent / "media-is-a-file"
    settings.MEDIA_ROOT.write_text("A file where the media folder should be.")
    built = report_build(report_id=report.pk)
    assert built.status == Report.Status.FAILED and built.finished_at
    assert "Error" in built.error


def test_a_draft_round_has_no_report(secretariat_user, commissioner_client):
    draft = make_round(created_by=secretariat_user)
    with pytest.raises(ReportNotAvailable):
        report_request(round=draft, requested_by=None)
    response = commissioner_client.post(
        reverse("letters:report_request", args=[draft.slug]), follow=True
    )
    assert "has not been issued yet" in response.content.decode()
    assert not Report.objects.exists()


def test_build_report_writes_the_same_pdf_for_an_id_or_a_slug(replied_round, tmp_path):
    for key in (str(replied_round.pk), replied_round.slug):
        out = tmp_path / f"report-{key}.pdf"
        stdout = io.StringIO()
        call_command("build_report", key, "--out", str(out), stdout=stdout)
        pages = len(PdfReader(out).pages)
        assert f"({pages} pages)" in stdout.getvalue()
        assert "Response statistics" in " ".join(pdf_pages(out.read_bytes()))
    with pytest.raises(CommandError, match="No round with id or slug"):
        call_command("build_report", "no-such-round", "--out", str(tmp_path / "x.pdf"))
