import secrets

from django.core.management.base import BaseCommand

from letters.demo import ensure_demo_users


class Command(BaseCommand):
    help = "Create (or reset) one demo login per role, with fresh passwords, and print them."

    def handle(self, *args, **options):
        self.stdout.write("Demo logins (passwords are new each time this runs):")
        for role, user in ensure_demo_users().items():
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.save(update_fields=["password"])
            self.stdout.write(f"  {role:<13} username: {user.username:<13} password: {password}")
