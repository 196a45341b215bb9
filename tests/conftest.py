import importlib

import pytest
from django.contrib.auth.models import Group

from commissioner.roles import ADMIN, COMMISSIONER, SECRETARIAT


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite, a test database in a file: a Celery worker process must open it too."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database["TEST"]["NAME"] = str(tmp_path_factory.getbasetemp() / "test.sqlite3")


@pytest.fixture(autouse=True)
def _migrated_rows_after_a_flush(request):
    """Transactional tests (live server, real workers) end by emptying every table, rows of the
    data migrations included: put the forces, themes and roles back before such a test starts."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or (
        {"live_server", "transactional_db"} & set(request.fixturenames)
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    from commissioner.roles import grant_admin_permissions

    for module, function in [
        ("forces.migrations.0002_the_43_forces", "add_forces"),
        ("letters.migrations.0002_themes_and_roles", "add_themes_and_roles"),
    ]:
        getattr(importlib.import_module(module), function)(apps, None)
    grant_admin_permissions()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Cached answers (e.g. "is background work delayed?") never leak from one test to another."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Every test writes its files under its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    # Real hashing costs half a second a user; tests that are about passwords set it back.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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


ROUND_BODY = (
    "I am writing to {{ force_name }} about modern slavery prosecutions.\n\n"
    "Please reply by {{ due_date }}, quoting {{ reference }}."
)


def make_round(*, created_by, reference_prefix="IASC/2019-10", title="Modern slavery", **kw):
    from letters.models import Theme
    from letters.services.rounds import round_create

    return round_create(
        title=title,
        reference_prefix=reference_prefix,
        body=kw.pop("body", ROUND_BODY),
        themes=kw.pop("themes", Theme.objects.all()),
        created_by=created_by,
        **kw,
    )


def issue_round(*, created_by, issued_on=None, forces=None, **kw):
    from datetime import date

    from letters.services.rounds import round_issue

    round_ = make_round(created_by=created_by, **kw)
    round_issue(
        round=round_, issued_by=created_by, forces=forces, issued_on=issued_on or date(2019, 10, 11)
    )
    return round_


def text_document(text: str, name: str = "reply.txt"):
    from letters.documents import check_document

    return check_document(text.encode(), filename=name)


@pytest.fixture
def issued_round(secretariat_user):
    """The October 2019 round, issued to all 43 forces."""
    return issue_round(created_by=secretariat_user)
