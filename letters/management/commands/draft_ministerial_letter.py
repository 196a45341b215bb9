from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from letters.management.rounds import round_argument
from letters.models import Addressee
from letters.pdf import ministerial_letter_pdf
from letters.selectors.ministerial import round_observations
from letters.services.ministerial import ministerial_letter_prefill


def _addressee(value: str | None) -> Addressee:
    """The saved addressee named by id or name; without one, the only (or first) saved one."""
    if value is None:
        addressee = Addressee.objects.first()
        if addressee is None:
            raise CommandError("No addressee is saved yet: save one on a round's page first.")
        return addressee
    found = Addressee.objects.filter(pk=int(value)) if value.isdigit() else None
    found = found or Addressee.objects.filter(name__iexact=value.strip())
    if len(found) != 1:
        raise CommandError(
            f"No single saved addressee with id or name “{value}”. Saved: "
            + "; ".join(f"{a.pk}: {a}" for a in Addressee.objects.all())
        )
    return found[0]


class Command(BaseCommand):
    help = (
        "Render the pre-filled letter closing a round (its story, each reviewed observation and "
        "the national figures) as a draft PDF, without saving anything."
    )

    def add_arguments(self, parser):
        parser.add_argument("round", help="the round's id or slug")
        parser.add_argument("--out", required=True, type=Path, help="the PDF file to write")
        parser.add_argument(
            "--years",
            nargs="+",
            type=int,
            help="the years of national figures in the table (default: the latest two)",
        )
        parser.add_argument(
            "--addressee", help="a saved addressee's id or name (default: the first saved)"
        )

    def handle(self, *args, round, out, years, addressee, **options):
        round_ = round_argument(round)
        try:
            letter = ministerial_letter_prefill(
                round=round_, addressee=_addressee(addressee), years=years
            )
        except ValidationError as refused:
            raise CommandError(" ".join(refused.messages)) from refused
        out.write_bytes(ministerial_letter_pdf(letter))
        self.stdout.write(self.style.SUCCESS(f"Wrote {out}: draft to {letter.addressee_name}."))
        for left_out in round_observations(round=round_).left_out:
            self.stdout.write(f"Left out: “{left_out.theme}” ({left_out.reason}).")
