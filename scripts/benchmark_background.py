#!/usr/bin/env python
"""Time the background work with a real worker: issuing a round of 43 letters, and its report.

    python scripts/benchmark_background.py [--broker redis://127.0.0.1:6379/1]

Prints:
- the time from round_issue() to 43 stored PDFs and 43 queued emails, with one worker process
  (solo pool: one task at a time), and the time until the 43 emails were accepted by an SMTP
  server on loopback;
- the same 43 PDFs rendered by bare WeasyPrint from the same HTML in this process, and the
  ratio of the two (goal: below 1.2);
- the time to build the summary report of a round of 43 full replies with codings, its pages,
  and the worker's peak memory (VmHWM) while building it, in a worker that built nothing else.

It works in a throwaway test database (a SQLite file, or test_<name> on PostgreSQL when
DATABASE_URL says so) and a queue of its own on Redis, so real data is never touched. Needs
Redis and the test extras (aiosmtpd).
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import date
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commissioner.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/1", help="Redis URL")
    broker = parser.parse_args().broker

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    with tempfile.TemporaryDirectory(prefix="benchmark-background-") as folder:
        folder = Path(folder)
        settings.MEDIA_ROOT = folder / "media"
        database = settings.DATABASES["default"]
        if database["ENGINE"] == "django.db.backends.sqlite3":
            database["TEST"]["NAME"] = str(folder / "benchmark.sqlite3")
        original_name = database["NAME"]
        connection.creation.create_test_db(verbosity=0)
        try:
            benchmark(broker, folder)
        finally:
            connection.close()
            connection.creation.destroy_test_db(original_name, verbosity=0)


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) a process has used so far (Linux: /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_memory_mb(pid: int) -> float:
    """The process's peak resident memory so far (Linux: VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("No VmHWM: this needs Linux's /proc.")


def benchmark(broker: str, folder: Path) -> None:
    import weasyprint
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.template.loader import render_to_string
    from weasyprint.urls import path2url

    from commissioner.celery import app as celery_app
    from forces.models import Force
    from letters.demo import REVIEWS_2019, ROUND_2019_BODY, _composed_reply, _load_figures
    from letters.models import Letter, OutboundEmail, Reply, Report, Theme, ThemeReview
    from letters.pdf import letter_context
    from letters.services.coding import coding_save
    from letters.services.replies import reply_log
    from letters.services.reports import report_request
    from letters.services.rounds import round_create, round_issue
    from tests.conftest import text_document
    from tests.letters.celery_worker import Worker, wait_until, worker_database_url
    from tests.letters.smtp_server import SMTPServer

    queue = f"benchmark-{uuid.uuid4().hex[:8]}"
    celery_app.conf.update(broker_url=broker, task_always_eager=False, task_default_queue=queue)
    celery_app._pool = celery_app.amqp._producer_pool = None  # pooled for the eager broker
    for force in Force.objects.all():
        force.email = f"chief.officer@{force.code}.police.example"
        force.save(update_fields=["email"])
    user = get_user_model().objects.create_user("benchmark")
    themes = list(Theme.objects.filter(active=True))

    with SMTPServer() as smtp, ExitStack() as cleanup:
        env = {
            "DATABASE_URL": worker_database_url(),
            "CELERY_BROKER_URL": broker,
            "CELERY_RESULT_BACKEND": "disabled://",
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "EMAIL_URL": smtp.url,
        }

        def worker(name: str) -> Worker:
            started = Worker(name=name, queue=queue, log_path=folder / f"{name}.log", env=env)
            cleanup.callback(started.stop)  # even when the benchmark fails half way
            return started

        def issue(prefix: str, forces) -> tuple[float, float, float]:
            """Issue a round; wall time to its PDFs and queued emails, the worker's CPU time."""
            round_ = round_create(
                title="Modern slavery prosecutions: your force's response",
                reference_prefix=prefix,
                body=ROUND_2019_BODY,
                themes=themes,
                created_by=user,
            )
            cpu_before, started = cpu_seconds(issuing.pid), time.perf_counter()
            round_issue(round=round_, issued_by=user, forces=forces, issued_on=date(2019, 10, 11))
            letters = Letter.objects.filter(round=round_)

            def issued() -> bool:
                queued = OutboundEmail.objects.filter(letter__round=round_).count()
                return queued == len(forces) and not letters.filter(pdf="").exists()

            wait_until(issued, timeout=600, what="the PDFs and queued emails", log=issuing.log)
            wall, cpu = time.perf_counter() - started, cpu_seconds(issuing.pid) - cpu_before
            return round_, wall, cpu, started

        # 1. Issue a round of 43 letters with one worker, warmed up by a round of one letter
        #    (imports, fonts and caches are not what is measured).
        issuing = worker(f"{queue}-issue").start()
        issue("IASC/WARM-UP", list(Force.objects.filter(code="kent")))
        round_, issue_seconds, issue_cpu, started = issue("IASC/2019-10", list(Force.objects.all()))
        smtp.handler.wait_for(44, timeout=600)
        sent_seconds = time.perf_counter() - started
        issuing.stop()
        task_seconds = [
            float(line.rsplit("succeeded in ", 1)[1].split("s:")[0])
            for line in issuing.log().splitlines()
            if "deliver_letter[" in line and "succeeded in" in line
        ][1:]  # without the warm-up letter
        letters = Letter.objects.filter(round=round_)

        # 2. The same 43 letters by bare WeasyPrint, from the same HTML, linking the stylesheet
        #    by a file URL it can open, as plain WeasyPrint use would: parsed for every letter.
        stylesheet = path2url(BASE_DIR / "static" / "pdf" / "letter.css")
        html = [
            render_to_string("letters/pdf/letter.html", letter_context(letter)).replace(
                "</head>", f'<link rel="stylesheet" href="{stylesheet}"></head>'
            )
            for letter in letters.select_related("force", "round")
        ]
        weasyprint.HTML(string=html[0]).write_pdf()  # warm-up, as the worker had
        cpu_before, started = time.process_time(), time.perf_counter()
        for page in html:
            weasyprint.HTML(string=page).write_pdf()
        bare_seconds, bare_cpu = time.perf_counter() - started, time.process_time() - cpu_before

        # 3. Replies from all 43 forces, coded, then the summary report in a fresh worker.
        rng = random.Random(2019)  # noqa: S311 - reproducible benchmark data
        by_code = {theme.code: theme for theme in themes}
        for letter in letters.select_related("force"):
            text, codings = _composed_reply(letter.force, rng)
            reply = reply_log(
                letter=letter,
                kind=Reply.Kind.FULL,
                received_on=date(2019, 11, 1),
                channel=Reply.Channel.EMAIL,
                from_name="Chief Constable",
                documents=[text_document(text)],
                logged_by=user,
            )
            for code, (judgement, excerpts) in codings.items():
                coding_save(
                    reply=reply,
                    theme=by_code[code],
                    judgement=judgement,
                    excerpts=excerpts,
                    coded_by=user,
                )
        for code, (summary, observation) in REVIEWS_2019.items():
            ThemeReview.objects.create(
                round=round_, theme=by_code[code], summary=summary, observation=observation
            )
        _load_figures()
        celery_app.control.purge()  # the coding suggestions logging a reply queued
        reporting = worker(f"{queue}-report").start()
        memory_before = peak_memory_mb(reporting.pid)
        report, _ = report_request(round=round_, requested_by=user)
        finished = (Report.Status.DONE, Report.Status.FAILED)
        wait_until(
            lambda: Report.objects.filter(pk=report.pk, status__in=finished).exists(),
            timeout=600,
            what="the report",
            log=reporting.log,
        )
        memory_peak = peak_memory_mb(reporting.pid)
        reporting.stop()
        report.refresh_from_db()

    print(
        f"WeasyPrint {weasyprint.__version__}; database {settings.DATABASES['default']['ENGINE']}"
    )
    print(
        f"Issue 43 letters, one worker: {issue_seconds:.2f} s to 43 stored PDFs and queued "
        f"emails ({issue_seconds / 43 * 1000:.0f} ms a letter); {sent_seconds:.2f} s until all "
        "43 were accepted by the SMTP server"
    )
    print(
        f"Bare WeasyPrint, same 43 letters from the same HTML: {bare_seconds:.2f} s; "
        f"ratio {issue_seconds / bare_seconds:.2f} (goal < 1.2)"
    )
    print(
        f"CPU time (steadier on a busy machine): worker {issue_cpu:.2f} s, bare {bare_cpu:.2f} s; "
        f"ratio {issue_cpu / bare_cpu:.2f}"
    )
    print(
        f"deliver_letter tasks as the worker timed them: {sum(task_seconds):.2f} s in all, "
        f"median {statistics.median(task_seconds) * 1000:.0f} ms; the rest of the wall time is "
        "Celery, Redis and waiting for the CPU"
    )
    if report.status != Report.Status.DONE:
        print(f"Report FAILED: {report.error}")
        return
    print(
        f"Summary report, 43 full replies with codings: {report.duration.total_seconds():.2f} s "
        f"in the worker, {report.page_count} pages, {report.file.size / 1024:.0f} KB"
    )
    print(
        f"Worker peak memory (VmHWM): {memory_peak:.0f} MB while building the report "
        f"({memory_before:.0f} MB after starting)"
    )


if __name__ == "__main__":
    main()
