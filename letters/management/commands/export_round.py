from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from letters.archive import round_archive
from letters.models import Round
from letters.selectors.rounds import round_by_id_or_slug


class Command(BaseCommand):
    help = (
        "Back up a round: every letter, reply document, reminder, outbox email and the tracker "
        "(as CSV) in one zip archive."
    )

    def add_arguments(self, parser):
        parser.add_argument("round", help="the round's id or slug")
        parser.add_argument("--out", required=True, type=Path, help="the zip file to write")

    def handle(self, *args, round, out, **options):
        try:
            round_ = round_by_id_or_slug(round)
        except Round.DoesNotExist as missing:
            raise CommandError(f"No round with id or slug “{round}”.") from missing
        counts = round_archive(round=round_, out=out)
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {out}: {counts['letters']} letters, {counts['documents']} reply documents, "
                f"{counts['reminders']} reminders, {counts['emails']} emails, and the tracker."
            )
        )
