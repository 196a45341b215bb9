import pytest
from django.urls import reverse

from letters.models import Theme

pytestmark = pytest.mark.django_db


def test_the_admin_role_edits_the_codebook_in_the_django_admin(admin_client_role, admin_user_role):
    admin_user_role.is_staff = True
    admin_user_role.save()
    theme = Theme.objects.get(code="training")
    url = reverse("admin:letters_theme_change", args=[theme.pk])
    page = admin_client_role.get(url)
    assert page.status_code == 200
    data = {
        "code": theme.code,
        "name": "Training, guidance and learning",
        "question": theme.question,
        "keywords": theme.keywords,
        "order": theme.order,
        "active": "on",
    }
    assert admin_client_role.post(url, data).status_code == 302
    theme.refresh_from_db()
    assert theme.name == "Training, guidance and learning"
    assert admin_client_role.get(reverse("admin:auth_user_changelist")).status_code == 200
    # Correspondence itself is not the Admin role's to change.
    assert admin_client_role.get(reverse("admin:letters_reply_changelist")).status_code == 403


def test_the_secretariat_cannot_use_the_django_admin(secretariat_client):
    response = secretariat_client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
