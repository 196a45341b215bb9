from django.core.management.base import BaseCommand

from letters.demo import load_demo


class Command(BaseCommand):
    help = "Load the worked example: the October 2019 round to the 43 forces, and a live round."

    def handle(self, *args, **options):
        result = load_demo()
        if not result.created:
            self.stdout.write("The demo is already loaded; nothing changed.")
            return
        for round_ in result.rounds:
            self.stdout.write(
                self.style.SUCCESS(f"Loaded “{round_}” ({round_.letters.count()} letters).")
            )
