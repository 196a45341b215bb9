"""Real Celery worker processes on Redis, working on the test database, for the background tests.

Each test gets a queue of its own on the test Redis database (CELERY_TEST_BROKER_URL, by default
db 1), so nothing left over from another test or test run reaches its workers.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[2]
BROKER_URL = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/1")
START_TIMEOUT = 90  # seconds; a busy shared machine imports Django and WeasyPrint slowly


def worker_database_url() -> str:
    """A DATABASE_URL for the database this test process is using (the test database)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host, port = db["HOST"] or "localhost", db["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def wait_until(condition: Callable[[], object], *, timeout: float = 90, what: str = "", log=None):
    """Poll `condition` until it is true; fail with `what` (and the worker's log) if it never is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.2)
    tail = f"\n--- worker log ---\n{log()[-4000:]}" if log else ""
    raise AssertionError(f"Timed out after {timeout} s waiting for {what or condition}.{tail}")


class Worker:
    """`celery worker` in a process of its own, one task at a time (solo pool).

    The solo pool runs tasks in the process that talks to Redis, so SIGKILL stops the worker as a
    crash or the OOM killer would: its task is left unacknowledged, for Redis to hand out again
    after the visibility timeout.
    """

    def __init__(self, *, name: str, queue: str, log_path: Path, env: dict[str, str]):
        self.name, self.queue, self.log_path = name, queue, log_path
        self.env = os.environ | env | {"CELERY_QUEUE": queue}
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def start(self) -> "Worker":
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "commissioner",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{self.name}@%h",
        ]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command, cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        wait_until(self._ready, timeout=START_TIMEOUT, what=f"{self.name} to start", log=self.log)
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited early:\n{self.log()}")
        return " ready." in self.log()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_log(self, text: str, *, count: int = 1, timeout: float = 60) -> None:
        wait_until(
            lambda: self.log().count(text) >= count,
            timeout=timeout,
            what=f"{count} × {text!r} in {self.name}'s log",
            log=self.log,
        )

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)

    def wait_dead(self, timeout: float = 60) -> int:
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # warm shutdown: finishes nothing here, all tasks are done
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
