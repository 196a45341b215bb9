from pathlib import Path

from django.core.management.base import BaseCommand

from letters.archive import round_archive
from letters.management.rounds import round_argument


class Command(BaseCommand):
    help = (
        "Back up a round: every letter, reply document, reminder, outbox email and the tracker "
        "(as CSV) in one zip archive."
    )

    def add_arguments(self, parser):
        parser.add_argument("round", help="the round's id or slug")
        parser.add_argument("--out", required=True, type=Path, help="the zip file to write")

    def handle(self, *args, round, out, **options):
        round_ = round_argument(round)
        counts = round_archive(round=round_, out=out)
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {out}: {counts['letters']} letters, {counts['documents']} reply documents, "
                f"{counts['reminders']} reminders, {counts['emails']} emails, and the tracker."
            )
        )
