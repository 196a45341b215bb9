"""Import saved emails (.eml) into the inbox, as if they had arrived in the reply mailbox.

Prints, per file, the reference of the letter it matched or `unmatched`.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from letters.models import InboundMessage
from letters.selectors.inbound import match_label
from letters.services.inbound import is_saved_email, message_import


class Command(BaseCommand):
    help = "Import saved emails (.eml) as replies awaiting confirmation in the inbox."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE.eml")

    def handle(self, *args, files: list[Path], **options):
        unread = 0
        for path in files:
            try:
                raw = path.read_bytes()
            except OSError as error:
                self.stderr.write(f"{path}: cannot be read ({error.strerror})")
                unread += 1
                continue
            if not is_saved_email(raw):
                self.stderr.write(f"{path}: not an email (no From, Subject or Message-ID)")
                unread += 1
                continue
            message, created = message_import(raw=raw, source=InboundMessage.Source.COMMAND)
            again = "" if created else " (already imported)"
            self.stdout.write(f"{path}: {match_label(message)}{again}")
        if unread:
            raise CommandError(f"{unread} of {len(files)} file(s) were not imported.")
