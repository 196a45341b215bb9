#!/usr/bin/env python
"""Time letter_pdf() for the 43 forces against bare WeasyPrint on the same HTML.

    python scripts/benchmark_pdf.py [--repeat N]

The bare run gets the very same document: the same HTML, stylesheet and fonts, fetched by
WeasyPrint's own URL fetcher from file URLs, the stylesheet linked and so parsed for every
letter, as plain WeasyPrint use does. So the ratio is what the project adds (template rendering
and the checks of ProjectURLFetcher) less what it saves by parsing its stylesheet once; the goal
is below 1.2. The forces come from a
throwaway test database (in memory on SQLite), so real data is never touched.
"""

import argparse
import io
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commissioner.settings")

BODY = """In October 2019 I am writing to the chief constables of the 43 police forces in England and Wales because the number of offenders referred to the Crown Prosecution Service for modern slavery and human trafficking offences fell in 2018.

If offenders think that there is a very low risk of prosecution, they are not deterred from committing what is essentially an economic crime. I should therefore be grateful if you would tell me:

- how {{ force_name }} is organised to investigate modern slavery, and how it works with other forces and agencies;
- how your force uses slavery and trafficking prevention and risk orders, and how they are enforced;
- what training your officers and staff have had, and what more is planned.

I intend to summarise the replies I receive in a report, and to share my observations with the Minister.

I would be grateful for your reply by 8 November 2019."""  # noqa: E501


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs over the 43 letters")
    repeat = parser.parse_args().repeat

    import django

    django.setup()
    from django.db import connection

    original_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0)
    try:
        benchmark(repeat)
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)


def benchmark(repeat: int) -> None:
    import weasyprint
    from django.template.loader import render_to_string
    from pypdf import PdfReader
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset
    from weasyprint.urls import path2url

    from forces.models import HeadOfForce
    from letters.models import Letter, Round
    from letters.pdf import letter_context, letter_pdf

    round_ = Round(title="Modern slavery prosecutions", reference_prefix="IASC/2019-10")
    letters = []
    for head in HeadOfForce.objects.filter(until__isnull=True).select_related("force"):
        force = head.force
        letters.append(
            Letter(
                round=round_,
                force=force,
                reference=f"IASC/2019-10/{force.code.upper()}",
                addressee_title=head.title,
                salutation=head.salutation,
                address=force.address,
                body=BODY.replace("{{ force_name }}", force.name),
                issued_on=date(2019, 10, 11),
                original_due_on=date(2019, 11, 8),
                due_on=date(2019, 11, 8),
            )
        )
    # The same HTML for bare WeasyPrint, linking the stylesheet by a file URL it can open, as
    # plain WeasyPrint use would: parsed again for every letter.
    stylesheet = path2url(BASE_DIR / "static" / "pdf" / "letter.css")
    bare_html = [
        render_to_string("letters/pdf/letter.html", letter_context(letter)).replace(
            "</head>", f'<link rel="stylesheet" href="{stylesheet}"></head>'
        )
        for letter in letters
    ]

    subsetter = (
        "HarfBuzz"
        if harfbuzz_subset and harfbuzz.hb_version_atleast(4, 1, 0)
        else "fontTools (install libharfbuzz-subset0 for HarfBuzz)"
    )
    print(f"WeasyPrint {weasyprint.__version__}; fonts subset with {subsetter}")
    print(f"{len(letters)} letters, {repeat} run(s)")

    # Warm up both paths: imports, font loading and caches are not what is measured.
    letter_pdf(letters[0])
    weasyprint.HTML(string=bare_html[0]).write_pdf()

    # Wall time, and the CPU time of this process: on a busy shared machine the second is the
    # steadier measure of the work itself.
    runs: list[tuple[float, float, float, float]] = []  # ours wall, ours CPU, bare wall, bare CPU
    per_letter: list[tuple[float, float]] = []
    page_counts: set[int] = set()
    for run in range(1, repeat + 1):
        ours_wall = ours_cpu = bare_wall = bare_cpu = 0.0
        for letter, html in zip(letters, bare_html, strict=True):
            # Alternate the two, so drift in machine load hits both alike.
            wall, cpu = time.perf_counter(), time.process_time()
            pdf = letter_pdf(letter)
            wall_ours, cpu_ours = time.perf_counter() - wall, time.process_time() - cpu
            wall, cpu = time.perf_counter(), time.process_time()
            weasyprint.HTML(string=html).write_pdf()
            bare_wall += time.perf_counter() - wall
            bare_cpu += time.process_time() - cpu
            ours_wall += wall_ours
            ours_cpu += cpu_ours
            per_letter.append((wall_ours, cpu_ours))
            if run == 1:
                page_counts.add(len(PdfReader(io.BytesIO(pdf)).pages))
        runs.append((ours_wall, ours_cpu, bare_wall, bare_cpu))
        print(
            f"run {run}: letter_pdf {ours_wall:.2f} s (CPU {ours_cpu:.2f} s), "
            f"bare WeasyPrint {bare_wall:.2f} s (CPU {bare_cpu:.2f} s), "
            f"ratio {ours_wall / bare_wall:.2f} (CPU {ours_cpu / bare_cpu:.2f})"
        )

    ours_wall, ours_cpu, bare_wall, bare_cpu = min(runs)
    print(
        f"fastest run: letter_pdf {ours_wall:.2f} s, bare {bare_wall:.2f} s, "
        f"ratio {ours_wall / bare_wall:.2f} (CPU {ours_cpu / bare_cpu:.2f}); goal < 1.2"
    )
    pages = "/".join(str(count) for count in sorted(page_counts))
    print(
        f"per {pages}-page letter via letter_pdf: "
        f"median {statistics.median(wall for wall, _ in per_letter) * 1000:.0f} ms wall, "
        f"{statistics.median(cpu for _, cpu in per_letter) * 1000:.0f} ms CPU; "
        f"fastest {min(wall for wall, _ in per_letter) * 1000:.0f} ms wall"
    )


if __name__ == "__main__":
    main()
