from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate


class LettersConfig(AppConfig):
    name = "letters"
    verbose_name = "Correspondence"

    def ready(self):
        from commissioner.roles import grant_admin_permissions
        from letters.checks import background_time_limits

        checks.register(background_time_limits)

        # Permissions exist only once every app has migrated, hence post_migrate.
        post_migrate.connect(grant_admin_permissions, sender=self)
