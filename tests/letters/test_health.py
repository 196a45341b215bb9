from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from letters.models import JobRun

pytestmark = pytest.mark.django_db


def _run(name, hours_ago):
    finished = timezone.now() - timedelta(hours=hours_ago)
    JobRun.objects.create(name=name, started_at=finished, finished_at=finished, succeeded=True)


def test_anonymous_monitors_get_the_status_and_nothing_else(client):
    _run("send_chase_ups", 3)
    response = client.get(reverse("letters:health"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_staff_see_what_was_checked(secretariat_client):
    _run("send_chase_ups", 3)
    checks = secretariat_client.get(reverse("letters:health")).json()["checks"]
    assert checks["database"] == "ok"
    assert checks["queue"] == "in-process"
    assert checks["send_chase_ups"].startswith("last good run 3 h")


def test_a_late_nightly_run_makes_the_service_unhealthy(client, secretariat_client):
    _run("send_chase_ups", 30)
    JobRun.objects.create(name="send_chase_ups", finished_at=timezone.now(), succeeded=False)
    response = secretariat_client.get(reverse("letters:health"))
    assert response.status_code == 503
    assert response.json()["checks"]["send_chase_ups"].endswith("(late)")


@pytest.fixture
def unreachable_broker():
    import socket

    from commissioner.celery import app

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=f"redis://127.0.0.1:{port}/0", task_always_eager=False)
    yield
    app.conf.update(saved)


def test_a_broker_that_does_not_answer_is_reported(secretariat_client, unreachable_broker):
    _run("send_chase_ups", 1)
    response = secretariat_client.get(reverse("letters:health"))
    assert response.status_code == 503
    assert response.json()["checks"]["queue"].startswith("down")
    page = secretariat_client.get(reverse("letters:round_list")).content.decode()
    assert "Background work is delayed." in page
