"""Benchmark: the tracker page against the Django admin's letter changelist, on the same data.

Fills a throwaway database with 20 rounds x 43 letters, each with a reply and codings, then
prints the median server time of each page and their ratio (goal: the tracker is no slower).

    python scripts/benchmark_tracker.py [--rounds 20] [--repeat 15]

Uses a temporary SQLite file unless DATABASE_URL is set (then a fresh `<name>_bench` database).
"""

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commissioner.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp())


def build(rounds: int):
    from django.contrib.auth.models import Group, User

    from letters import tasks
    from letters.documents import check_document
    from letters.models import Theme
    from letters.services.coding import coding_save
    from letters.services.replies import reply_log
    from letters.services.rounds import round_create, round_issue

    # Suggestions are not what is measured here; leave them out of the set-up.
    tasks.suggest_coding.delay_on_commit = lambda *args, **kwargs: None
    user = User.objects.create_superuser("bench", password=secrets.token_urlsafe(16))
    user.groups.add(Group.objects.get(name="Secretariat"))
    themes = list(Theme.objects.all())
    text = (
        "Our exploitation team works with the regional organised crime unit. "
        "Every order is recorded on the Police National Database. "
        "All officers completed the College of Policing e-learning."
    )
    document = check_document(text.encode(), filename="reply.txt")
    for n in range(rounds):
        round_ = round_create(
            title=f"Round {n}",
            reference_prefix=f"BENCH/{n}",
            body="Text",
            themes=themes,
            created_by=user,
        )
        for letter in round_issue(round=round_, issued_by=user, issued_on=date(2019, 10, 11)):
            reply = reply_log(
                letter=letter,
                kind="full",
                received_on=date(2019, 11, 1),
                channel="email",
                from_name="CC",
                documents=[document],
                logged_by=user,
            )
            for theme in themes[:3]:
                coding_save(
                    reply=reply,
                    theme=theme,
                    judgement="partly",
                    excerpts=[text.split(". ")[0]],
                    coded_by=user,
                )
    return user, round_


def median_ms(client, url: str, repeat: int) -> float:
    client.get(url)  # warm caches and template loading
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        from django.db import connection

        name = connection.settings_dict["NAME"] + "_bench"
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
        connection.close()
        settings.DATABASES["default"]["NAME"] = name
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    user, last_round = build(args.rounds)
    print(
        f"Built {args.rounds} rounds x 43 letters in {time.perf_counter() - started:.1f} s "
        f"({settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]})"
    )

    client = Client()
    client.force_login(user)
    tracker = median_ms(
        client, reverse("letters:round_detail", args=[last_round.slug]), args.repeat
    )
    admin = median_ms(client, reverse("admin:letters_letter_changelist"), args.repeat)
    print(f"tracker page (43 rows):           median {tracker:7.1f} ms")
    print(f"admin letter changelist (100 rows): median {admin:7.1f} ms")
    print(f"ratio tracker / admin: {tracker / admin:.2f}")


if __name__ == "__main__":
    main()
