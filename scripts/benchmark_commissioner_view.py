#!/usr/bin/env python
"""Time the Commissioner's pages at 20 rounds × 43 replies of about 400 words, every theme coded.

    python scripts/benchmark_commissioner_view.py [--rounds 20] [--repeat 15]

Prints, for the dashboard, the coverage matrix, a theme summary and two searches, the median
server time of a request (wall clock and CPU) and its number of queries; then the suggester's
precision and recall on the sample replies and on the held-out letters. The data go into a
throwaway test database (in memory on SQLite, `test_<name>` on PostgreSQL), so real data are
never touched. Replies and codings are bulk-inserted: the pages are measured, not the services
that write them.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commissioner.settings")

SENTENCES = [
    "Modern slavery investigations are led by a dedicated exploitation team.",
    "The team attends the regional organised crime unit's tasking meeting every month.",
    "Each order is entered on the Police National Database on the day it is made.",
    "All frontline officers have completed the College of Policing e-learning.",
    "The exploitation team has grown, and demand continues to rise.",
    "We share intelligence with neighbouring forces through the regional meeting.",
    "Breaches are treated as new offences and referred to the Crown Prosecution Service.",
    "Investigators attend the specialist course on evidence-led prosecutions.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=15, help="requests per page")
    arguments = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    original_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0)
    try:
        benchmark(arguments.rounds, arguments.repeat)
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)


def build(rounds: int):
    from django.contrib.auth.models import Group, User

    from commissioner.roles import COMMISSIONER
    from letters.models import Coding, Excerpt, Judgement, Reply, Theme
    from letters.services.rounds import round_create, round_issue

    rng = random.Random(20)  # noqa: S311 - reproducible benchmark data, not security
    commissioner = User.objects.create_user("bench-commissioner")
    commissioner.groups.add(Group.objects.get(name=COMMISSIONER))
    themes = list(Theme.objects.all())
    made = []
    for number in range(rounds):
        issued_on = date(2019, 1, 7) + timedelta(weeks=8 * number)
        round_ = round_create(
            title=f"Round {number + 1}",
            reference_prefix=f"IASC/BENCH-{number + 1:02}",
            body="I am writing to {{ force_name }}.",
            themes=themes,
            created_by=commissioner,
        )
        letters = round_issue(round=round_, issued_by=commissioner, issued_on=issued_on)
        replies = Reply.objects.bulk_create(
            Reply(
                letter=letter,
                kind=Reply.Kind.FULL,
                received_on=issued_on + timedelta(days=rng.randint(5, 40)),
                channel=Reply.Channel.EMAIL,
                from_name="Chief Constable",
                # About 400 words: 50 sentences of about 8 words.
                text=" ".join(rng.choice(SENTENCES) for _ in range(50)),
            )
            for letter in letters
        )
        codings = Coding.objects.bulk_create(
            Coding(reply=reply, theme=theme, judgement=rng.choice(Judgement.values))
            for reply in replies
            for theme in themes
        )
        Excerpt.objects.bulk_create(
            Excerpt(coding=coding, text=rng.choice(SENTENCES), position=position)
            for coding in codings
            if coding.judgement != Judgement.NOT_ADDRESSED
            for position in range(2)
        )
        for letter in letters:
            letter.status = letter.Status.REPLIED
        type(letters[0]).objects.bulk_update(letters, ["status"])
        made.append(round_)
    return commissioner, made, themes


def benchmark(rounds: int, repeat: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    setup_test_environment()
    started = time.perf_counter()
    commissioner, made, themes = build(rounds)
    print(
        f"{rounds} rounds × 43 replies of about 400 words, {len(themes)} themes coded "
        f"(built in {time.perf_counter() - started:.0f} s, {connection.vendor})"
    )
    client = Client()
    client.force_login(commissioner)
    pages = {
        "dashboard": reverse("letters:dashboard"),
        "matrix": reverse("letters:coverage_matrix", args=[made[-1].slug]),
        "theme summary": reverse("letters:theme_summary", args=[made[-1].slug, themes[0].code]),
        "search (common words)": reverse("letters:search") + "?q=regional+organised+crime",
        "search (rare word)": reverse("letters:search") + "?q=breaches",
    }
    for name, url in pages.items():
        connection.queries_log.clear()  # a full log (the build's inserts) would count nothing
        with CaptureQueriesContext(connection) as queries:  # also warms up
            assert client.get(url).status_code == 200
        walls, cpus = [], []
        for _ in range(repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            client.get(url)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        print(
            f"{name}: median {statistics.median(walls) * 1000:.0f} ms wall, "
            f"{statistics.median(cpus) * 1000:.0f} ms CPU, {len(queries)} queries"
        )
    suggester_figures()


def suggester_figures() -> None:
    """The suggester scored on labelled folders (its last line: precision, recall, holding)."""
    import io

    from django.core.management import call_command

    folders = {
        "sample replies": BASE_DIR / "letters" / "demo_data" / "sample_replies",
        "held-out letters": BASE_DIR / "tests" / "data" / "holdout_replies",
    }
    for name, folder in folders.items():
        output = io.StringIO()
        call_command("evaluate_suggestions", str(folder), stdout=output)
        print(f"suggester on {name}: {output.getvalue().strip().splitlines()[-1]}")


if __name__ == "__main__":
    main()
