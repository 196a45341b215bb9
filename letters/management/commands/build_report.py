from pathlib import Path

from django.core.management.base import BaseCommand

from letters.management.rounds import round_argument
from letters.pdf import summary_report_pdf
from letters.selectors.report import summary_report


class Command(BaseCommand):
    help = "Build a round's summary report PDF now, the same PDF the round's page asks for."

    def add_arguments(self, parser):
        parser.add_argument("round", help="The round's id or slug.")
        parser.add_argument("--out", required=True, type=Path, help="Where to write the PDF.")

    def handle(self, *args, round: str, out: Path, **options):
        round_ = round_argument(round)
        pdf = summary_report_pdf(summary_report(round=round_))
        out.write_bytes(pdf.content)
        self.stdout.write(
            self.style.SUCCESS(f"Wrote {out} ({pdf.page_count} pages) for “{round_}”.")
        )
