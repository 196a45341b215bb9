"""System checks (`manage.py check`) for settings that only work together."""

from django.conf import settings
from django.core.checks import Warning

# Each pair: the first must be shorter than the second.
_ORDERED_LIMITS = (
    ("OUTBOX_SEND_TIME_LIMIT", "OUTBOX_SENDING_LEASE"),
    ("OUTBOX_SENDING_LEASE", "CELERY_VISIBILITY_TIMEOUT"),
    ("REPORT_BUILD_TIME_LIMIT", "CELERY_VISIBILITY_TIMEOUT"),
)


def background_time_limits(app_configs, **kwargs) -> list[Warning]:
    """A task's time limit must end before its claim is deemed abandoned, and both before Redis
    hands the task to another worker: otherwise a live send looks dead, or a task handed out
    again finds its dead worker's claim still fresh and leaves the email to the recovery run."""
    seconds = {
        "OUTBOX_SEND_TIME_LIMIT": settings.OUTBOX_SEND_TIME_LIMIT,
        "OUTBOX_SENDING_LEASE": settings.OUTBOX_SENDING_LEASE,
        "REPORT_BUILD_TIME_LIMIT": settings.REPORT_BUILD_TIME_LIMIT,
        "CELERY_VISIBILITY_TIMEOUT": settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"],
    }
    return [
        Warning(
            f"{shorter} ({seconds[shorter]} s) should be less than {longer} ({seconds[longer]} s).",
            hint=f"Lower {shorter} or raise {longer}; see docs/background.md.",
            id="letters.W001",
        )
        for shorter, longer in _ORDERED_LIMITS
        if seconds[shorter] >= seconds[longer]
    ]
