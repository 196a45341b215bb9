"""Is the service well? The database, the queue, and how old the last good scheduled runs are."""

from dataclasses import dataclass, field
from datetime import timedelta

import redis
from celery import current_app
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.utils import timezone

from letters.models import JobRun

# A scheduled job is late when its last good run is older than this.
SCHEDULED_JOBS = {
    "send_chase_ups": timedelta(hours=26),
    "fetch_replies": timedelta(minutes=30),
}


@dataclass
class Health:
    healthy: bool
    checks: dict[str, str] = field(default_factory=dict)


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return f"down: {error.__class__.__name__}"
    return "ok"


def queue_status() -> str:
    """'ok', 'in-process' (no broker configured) or 'down: …'; waits at most a second."""
    conf = current_app.conf
    if conf.task_always_eager:
        return "in-process"
    try:
        redis.Redis.from_url(conf.broker_url, socket_timeout=1, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        return f"down: {error.__class__.__name__}"
    return "ok"


def _job_age(name: str, late_after: timedelta, now) -> tuple[str, bool]:
    last = JobRun.objects.filter(name=name, succeeded=True).order_by("-finished_at").first()
    if last is None or last.finished_at is None:
        return "never run", False
    age = now - last.finished_at
    minutes = int(age.total_seconds() // 60)
    text = f"last good run {minutes // 60} h {minutes % 60} min ago"
    return (text + " (late)", True) if age > late_after else (text, False)


def service_health() -> Health:
    checks = {"database": _database(), "queue": queue_status()}
    healthy = checks["database"] == "ok" and not checks["queue"].startswith("down")
    if checks["database"] == "ok":
        now = timezone.now()
        for name, late_after in SCHEDULED_JOBS.items():
            checks[name], late = _job_age(name, late_after, now)
            healthy = healthy and not late
    return Health(healthy=healthy, checks=checks)


def background_delayed() -> bool:
    """Is the task queue out of reach, so that background work waits? Cached: every page asks."""
    delayed = cache.get("background-delayed")
    if delayed is None:
        delayed = queue_status().startswith("down")
        cache.set("background-delayed", delayed, timeout=30)
    return delayed
