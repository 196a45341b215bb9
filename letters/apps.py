from django.apps import AppConfig
from django.db.models.signals import post_migrate


class LettersConfig(AppConfig):
    name = "letters"
    verbose_name = "Correspondence"

    def ready(self):
        from commissioner.roles import grant_admin_permissions

        # Permissions exist only once every app has migrated, hence post_migrate.
        post_migrate.connect(grant_admin_permissions, sender=self)
