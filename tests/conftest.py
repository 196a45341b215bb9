import pytest
from django.contrib.auth.models import Group

from commissioner.roles import ADMIN, COMMISSIONER, SECRETARIAT


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Every test writes its files under its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")


def _user_with_role(django_user_model, username, role=None):
    user = django_user_model.objects.create_user(username=username, password="not-used-here-1")
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def secretariat_user(db, django_user_model):
    return _user_with_role(django_user_model, "sam.secretariat", SECRETARIAT)


@pytest.fixture
def commissioner_user(db, django_user_model):
    return _user_with_role(django_user_model, "cara.commissioner", COMMISSIONER)


@pytest.fixture
def admin_user_role(db, django_user_model):
    return _user_with_role(django_user_model, "ada.admin", ADMIN)


@pytest.fixture
def no_role_user(db, django_user_model):
    return _user_with_role(django_user_model, "nora.norole")


def _client_for(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def secretariat_client(client, secretariat_user):
    return _client_for(client, secretariat_user)


@pytest.fixture
def commissioner_client(client, commissioner_user):
    return _client_for(client, commissioner_user)


@pytest.fixture
def admin_client_role(client, admin_user_role):
    return _client_for(client, admin_user_role)


@pytest.fixture
def no_role_client(client, no_role_user):
    return _client_for(client, no_role_user)
