"""With Redis stopped the application keeps working; the queued work runs when Redis returns.

The test starts a Redis server of its own on a free port, so it can stop and restart it.
"""

import shutil
import socket
import subprocess
import time
import uuid
from datetime import date

import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from commissioner.celery import app as celery_app
from letters.models import CodingSuggestion, DeferredTask, Reply
from letters.queue import deferred_tasks_publish
from tests.conftest import issue_round
from tests.letters.celery_worker import Worker, wait_until, worker_database_url

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


class RedisServer:
    def __init__(self, port: int, folder):
        self.port, self.folder, self.process = port, folder, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_until(self._answers, timeout=20, what="the test's Redis to start")

    def _answers(self) -> bool:
        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


@pytest.fixture
def own_redis(tmp_path):
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = RedisServer(port, tmp_path)
    server.start()
    saved = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    saved["task_default_queue"] = celery_app.conf.task_default_queue
    queue = f"outage-{uuid.uuid4().hex[:8]}"
    celery_app.conf.update(broker_url=server.url, task_always_eager=False, task_default_queue=queue)
    celery_app._pool = celery_app.amqp._producer_pool = None
    yield server
    if server.process.poll() is None:
        server.stop()
    celery_app.conf.update(saved)
    celery_app._pool = celery_app.amqp._producer_pool = None


def test_with_redis_down_replies_are_logged_and_their_work_runs_when_it_returns(
    own_redis, secretariat_client, secretariat_user, settings, tmp_path
):
    round_ = issue_round(created_by=secretariat_user)
    DeferredTask.objects.all().delete()  # issuing queued the letters while Redis was up
    own_redis.stop()

    kent = round_.letters.get(force__code="kent")
    started = time.monotonic()
    response = secretariat_client.post(
        reverse("letters:reply_log"),
        {
            "letter": kent.pk,
            "received_on_0": 20,
            "received_on_1": 11,
            "received_on_2": 2019,
            "channel": "post",
            "from_name": "Chief Constable",
            "kind": "full",
            "documents": [SimpleUploadedFile("kent.txt", b"Kent works with the regional ROCU.")],
        },
    )
    assert response.status_code == 302, "logging a reply must not fail with the queue down"
    assert time.monotonic() - started < 10
    reply = Reply.objects.get(letter=kent)
    assert list(DeferredTask.objects.values_list("name", "args")) == [
        ("letters.tasks.suggest_coding", [reply.pk])
    ]

    tracker = secretariat_client.get(reverse("letters:round_detail", args=[round_.slug]))
    assert tracker.status_code == 200
    assert "Background work is delayed." in tracker.content.decode()
    assert deferred_tasks_publish() == {"sent": 0, "still_waiting": 1}

    own_redis.start()
    worker = Worker(
        name="outage",
        queue=celery_app.conf.task_default_queue,
        log_path=tmp_path / "worker.log",
        env={
            "DATABASE_URL": worker_database_url(),
            "CELERY_BROKER_URL": own_redis.url,
            "CELERY_RESULT_BACKEND": "disabled://",
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        },
    ).start()
    try:
        assert deferred_tasks_publish() == {"sent": 1, "still_waiting": 0}
        wait_until(
            lambda: CodingSuggestion.objects.filter(reply=reply).exists(),
            what="the worker to make the suggestions that waited for Redis",
            log=worker.log,
        )
    finally:
        worker.stop()
    assert reply.letter.replies.get().received_on == date(2019, 11, 20)
