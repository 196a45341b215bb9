"""Signing in: real passwords, throttled after repeated failures, sessions that expire."""

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(django_user_model, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    return django_user_model.objects.create_user("sam", password="correct horse battery")


def _sign_in(client, password):
    return client.post(reverse("login"), {"username": "sam", "password": password})


def test_signing_in_with_the_right_password(client, staff):
    response = _sign_in(client, "correct horse battery")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_a_wrong_password_says_so_and_keeps_the_username(client, staff):
    page = _sign_in(client, "wrong").content.decode()
    assert "There is a problem" in page
    assert 'value="sam"' in page


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "wrong")
    locked = _sign_in(client, "correct horse battery")
    assert locked.status_code == 429
    assert "Too many attempts to sign in" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_sessions_expire_and_end_with_the_browser():
    assert settings.SESSION_COOKIE_AGE <= 8 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


@pytest.mark.parametrize("password", ["short1", "password1234", "12345678901234"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_password_stored_with_pbkdf2_is_upgraded_to_argon2_at_sign_in(
    client, django_user_model, settings
):
    from django.contrib.auth.hashers import make_password

    from commissioner import settings as project_settings

    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    user = django_user_model.objects.create_user("old")
    user.password = make_password("an older long passphrase", hasher="pbkdf2_sha256")
    user.save()
    response = client.post(
        reverse("login"), {"username": "old", "password": "an older long passphrase"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$")
