from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from letters.models import Round
from letters.pdf import summary_report_pdf
from letters.selectors.report import summary_report


class Command(BaseCommand):
    help = "Build a round's summary report PDF now, the same PDF the round's page asks for."

    def add_arguments(self, parser):
        parser.add_argument("round", help="The round's id or slug.")
        parser.add_argument("--out", required=True, type=Path, help="Where to write the PDF.")

    def handle(self, *args, round: str, out: Path, **options):
        match = Q(slug=round) | Q(pk=int(round)) if round.isdigit() else Q(slug=round)
        round_ = Round.objects.filter(match).first()
        if round_ is None:
            raise CommandError(f"No round has the id or slug “{round}”.")
        pdf = summary_report_pdf(summary_report(round=round_))
        out.write_bytes(pdf.content)
        self.stdout.write(
            self.style.SUCCESS(f"Wrote {out} ({pdf.page_count} pages) for “{round_}”.")
        )
