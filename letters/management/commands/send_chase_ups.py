from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from letters.models import Reminder
from letters.services.chase_ups import chase_ups_send


class Command(BaseCommand):
    help = (
        "Chase overdue letters: the next reminder for each, with its PDF and email "
        "(the nightly job; safe to run again the same day)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be sent; change nothing."
        )

    def handle(self, *args, dry_run: bool, **options):
        run = chase_ups_send(dry_run=dry_run)
        today = timezone.localdate()
        if not run.due:
            self.stdout.write(f"No chase-ups are due on {today:%-d %B %Y}.")
            return
        verb = "Would make" if dry_run else "Made"
        made = {(r.letter_id, r.step) for r in run.made}
        for chase_up in run.due:
            letter = chase_up.letter
            if not dry_run and (letter.pk, chase_up.step) not in made:
                continue  # failed, or made meanwhile by another run
            step = Reminder.Step(chase_up.step).label.lower()
            if chase_up.step == Reminder.Step.ESCALATION:
                how = "flagged to the Commissioner, not emailed"
            elif chase_up.emailed:
                how = f"email to {chase_up.to}"
            else:
                how = "NO EMAIL ADDRESS: print and post it"
            self.stdout.write(
                f"{verb} {step}: {letter.reference} {letter.force.name}, due "
                f"{chase_up.chased_due_on:%-d %B %Y}, reply by {chase_up.reply_by:%-d %B %Y}; {how}"
            )
        self.stdout.write(run.summary())
        if run.failed:
            raise CommandError(f"{len(run.failed)} chase-up(s) failed; see above.")
