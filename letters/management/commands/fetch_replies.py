"""Import the messages that arrived in the reply mailbox since the last run (IMAP).

Reads IMAP_HOST, IMAP_PORT, IMAP_SECURITY, IMAP_USER, IMAP_PASSWORD and IMAP_FOLDER from
the settings. Beat runs the same import every IMAP_FETCH_MINUTES.
"""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from imapclient import IMAPClient

from letters.selectors.inbound import match_label
from letters.services.inbound import mailbox_fetch


class Command(BaseCommand):
    help = "Import new messages from the reply mailbox over IMAP."

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=None, help="import at most this many messages"
        )

    def handle(self, *args, limit: int | None = None, **options):
        try:
            summary = mailbox_fetch(limit=limit)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        except (OSError, IMAPClient.Error) as error:
            raise CommandError(f"Could not read the reply mailbox: {error}") from error
        for message in summary.imported:
            self.stdout.write(f"UID {message.imap_uid}: {match_label(message)}")
        self.stdout.write(str(summary))
