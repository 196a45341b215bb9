import io

from django.core.management import call_command


def check_output() -> str:
    out = io.StringIO()
    call_command("check", stdout=out, stderr=out)
    return out.getvalue()


def test_default_background_time_limits_fit_together():
    assert "letters.W001" not in check_output()


def test_an_outbox_lease_longer_than_the_visibility_timeout_is_reported(settings):
    settings.OUTBOX_SENDING_LEASE = 3 * 60 * 60
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}

    output = check_output()

    assert "letters.W001" in output
    assert "OUTBOX_SENDING_LEASE (10800 s) should be less than CELERY_VISIBILITY_TIMEOUT" in output
    assert "OUTBOX_SEND_TIME_LIMIT" not in output


def test_a_report_time_limit_past_the_visibility_timeout_is_reported(settings):
    settings.REPORT_BUILD_TIME_LIMIT = 3 * 60 * 60
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}

    assert "REPORT_BUILD_TIME_LIMIT (10800 s) should be less than" in check_output()
