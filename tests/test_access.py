"""Every page is behind login, and each role reaches only what it may.

The table below must list every named URL of the project's apps: a new view without an
access rule here fails `test_every_view_is_in_the_access_table`.
"""

from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.urls import get_resolver, reverse

from commissioner.roles import ADMIN, COMMISSIONER, READERS, SECRETARIAT
from forces.models import ProsecutionFigures
from letters.models import Reminder, Reply, Report
from letters.services.inbound import message_import
from letters.services.outbox import email_queue
from letters.services.replies import reply_log
from tests.conftest import issue_round, make_round, text_document

pytestmark = pytest.mark.django_db

# url name -> (roles allowed, how to build the URL's arguments from the objects fixture)
ACCESS = {
    "letters:round_list": (READERS, lambda o: {}),
    "letters:round_create": ((SECRETARIAT,), lambda o: {}),
    "letters:round_detail": (READERS, lambda o: {"slug": o["round"].slug}),
    "letters:round_edit": ((SECRETARIAT,), lambda o: {"slug": o["draft"].slug}),
    "letters:round_preview": (READERS, lambda o: {"slug": o["draft"].slug}),
    "letters:round_issue": ((SECRETARIAT,), lambda o: {"slug": o["draft"].slug}),
    "letters:letter_detail": (READERS, lambda o: {"pk": o["letter"].pk}),
    "letters:letter_extend": ((SECRETARIAT,), lambda o: {"pk": o["letter"].pk}),
    "letters:letter_pause": ((SECRETARIAT,), lambda o: {"pk": o["letter"].pk}),
    "letters:letter_resume": ((SECRETARIAT,), lambda o: {"pk": o["letter"].pk}),
    "letters:reply_log": ((SECRETARIAT,), lambda o: {}),
    "letters:reply_detail": (READERS, lambda o: {"pk": o["reply"].pk}),
    "letters:reply_code": ((SECRETARIAT,), lambda o: {"pk": o["reply"].pk}),
    "letters:document_download": (READERS, lambda o: {"pk": o["reply"].documents.get().pk}),
    "letters:dashboard": (READERS, lambda o: {}),
    "letters:coverage_matrix": (READERS, lambda o: {"slug": o["round"].slug}),
    "letters:theme_summary": (READERS, lambda o: {"slug": o["round"].slug, "theme": "training"}),
    "letters:theme_summary_edit": (
        (SECRETARIAT,),
        lambda o: {"slug": o["round"].slug, "theme": "training"},
    ),
    "letters:theme_observation": (
        (COMMISSIONER,),
        lambda o: {"slug": o["round"].slug, "theme": "training"},
    ),
    "letters:theme_review_mark": (
        (COMMISSIONER,),
        lambda o: {"slug": o["round"].slug, "theme": "training"},
    ),
    "letters:theme_across_rounds": (READERS, lambda o: {"code": "training"}),
    "letters:ministerial_letter_create": (
        (SECRETARIAT, COMMISSIONER),
        lambda o: {"slug": o["round"].slug},
    ),
    "letters:addressee_create": ((SECRETARIAT, COMMISSIONER), lambda o: {"slug": o["round"].slug}),
    "letters:ministerial_letter_edit": (
        (SECRETARIAT, COMMISSIONER),
        lambda o: {"pk": ministerial_draft(o).pk},
    ),
    "letters:ministerial_letter_preview": (READERS, lambda o: {"pk": ministerial_draft(o).pk}),
    "letters:ministerial_letter_issue": (
        (COMMISSIONER,),
        lambda o: {"pk": ministerial_draft(o).pk},
    ),
    "letters:ministerial_letter_pdf": (READERS, lambda o: {"pk": ministerial_issued(o).pk}),
    "letters:search": (READERS, lambda o: {}),
    "letters:inbox": ((SECRETARIAT,), lambda o: {}),
    "letters:inbound_detail": (READERS, lambda o: {"pk": o["inbound"].pk}),
    "letters:inbound_confirm": ((SECRETARIAT,), lambda o: {"pk": o["inbound"].pk}),
    "letters:inbound_file": ((SECRETARIAT,), lambda o: {"pk": o["inbound"].pk}),
    "letters:inbound_dismiss": ((SECRETARIAT,), lambda o: {"pk": o["inbound"].pk}),
    "letters:inbound_original": (READERS, lambda o: {"pk": o["inbound"].pk}),
    "letters:inbound_attachment": (
        READERS,
        lambda o: {"pk": o["inbound"].attachments.get().pk},
    ),
    "letters:letter_pdf": (READERS, lambda o: {"pk": o["letter"].pk}),
    "letters:letter_email": ((SECRETARIAT,), lambda o: {"pk": o["letter"].pk}),
    "letters:reminder_pdf": (READERS, lambda o: {"pk": o["reminder"].pk}),
    "letters:outbox": ((SECRETARIAT,), lambda o: {}),
    "letters:outbox_resend": ((SECRETARIAT,), lambda o: {"pk": o["email"].pk}),
    "letters:outbox_mark_sent": ((SECRETARIAT,), lambda o: {"pk": o["email"].pk}),
    "letters:report_request": ((COMMISSIONER, SECRETARIAT), lambda o: {"slug": o["round"].slug}),
    "letters:report_status": (READERS, lambda o: {"pk": o["report"].pk}),
    "letters:report_download": (READERS, lambda o: {"pk": o["report"].pk}),
    "forces:force_list": (READERS, lambda o: {}),
    "forces:force_stats": (READERS, lambda o: {}),
    "forces:force_detail": (READERS, lambda o: {"code": "kent"}),
    "forces:force_edit": ((SECRETARIAT, ADMIN), lambda o: {"code": "kent"}),
    "forces:figures": (READERS, lambda o: {}),
    "forces:figures_add": ((SECRETARIAT,), lambda o: {}),
    "forces:figures_edit": ((SECRETARIAT,), lambda o: {"pk": o["figures"].pk}),
}
# Views that only accept POST answer GET with 405 once the role check has passed.
POST_ONLY = {
    "letters:letter_resume",
    "letters:theme_review_mark",
    "letters:inbound_confirm",
    "letters:inbound_file",
    "letters:inbound_dismiss",
    "letters:letter_email",
    "letters:outbox_resend",
    "letters:outbox_mark_sent",
    "letters:report_request",
}
PROJECT_NAMESPACES = ("letters", "forces")
# Open to anyone on purpose; what they show anonymous users is tested with them.
PUBLIC = {"letters:health"}


@pytest.fixture
def objects(secretariat_user):
    round_ = issue_round(created_by=secretariat_user)
    letter = round_.letters.get(force__code="kent")
    reply = reply_log(
        letter=letter,
        kind=Reply.Kind.FULL,
        received_on=date(2019, 11, 1),
        channel="post",
        from_name="CC",
        documents=[text_document("A reply.")],
        logged_by=secretariat_user,
    )
    draft = make_round(created_by=secretariat_user, reference_prefix="IASC/2020-01")
    figures = ProsecutionFigures.objects.create(
        year=2018,
        period_start=date(2018, 1, 1),
        period_end=date(2018, 12, 31),
        recorded_crimes=3723,
        suspects_charged=172,
        defendants_prosecuted=294,
        defendants_convicted=191,
        source="Seed letter",
    )
    inbound, _ = message_import(raw=email_with_text_attachment(), source="upload")
    # Stored files stand in for the PDFs: what is checked here is who may fetch them.
    pdf = ContentFile(b"%PDF-1.7 stand-in")
    letter.pdf.save("letter.pdf", pdf)
    reminder = Reminder.objects.create(
        letter=letter, step=Reminder.Step.FIRST, chased_due_on=letter.due_on
    )
    reminder.pdf.save("reminder.pdf", pdf)
    email = email_queue(
        idempotency_key="access", to=["kent@example.org"], subject="Letter", body="Hello"
    )
    report = Report.objects.create(round=round_, status=Report.Status.DONE)
    report.file.save("report.pdf", pdf)
    report.finished_at = report.requested_at
    report.save()
    return {
        "round": round_,
        "letter": letter,
        "reply": reply,
        "draft": draft,
        "figures": figures,
        "inbound": inbound,
        "reminder": reminder,
        "email": email,
        "report": report,
    }


def ministerial_draft(objects):
    """A draft letter on the round's findings, made only for the tests of its URLs."""
    if "ministerial_draft" not in objects:
        from letters.models import Theme
        from letters.services.ministerial import addressee_create, ministerial_letter_create
        from letters.services.reviews import theme_observation_save, theme_review_mark

        round_, by = objects["round"], objects["round"].created_by
        training = Theme.objects.get(code="training")
        theme_observation_save(round=round_, theme=training, observation="Train more.", by=by)
        theme_review_mark(round=round_, theme=training, by=by)
        minister = addressee_create(name="Minister", salutation="Dear Minister", created_by=by)
        objects["ministerial_draft"] = ministerial_letter_create(
            round=round_, addressee=minister, created_by=by
        )
    return objects["ministerial_draft"]


def ministerial_issued(objects):
    if "ministerial_issued" not in objects:
        from letters.services.ministerial import ministerial_letter_issue

        objects["ministerial_issued"] = ministerial_letter_issue(
            letter=ministerial_draft(objects), issued_by=objects["round"].created_by
        )
    return objects["ministerial_issued"]


def email_with_text_attachment() -> bytes:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "cc@kent.police.uk"
    message["Subject"] = "IASC/2019-10/KNT"
    message["Message-ID"] = "<access@kent.police.uk>"
    message.set_content("Our reply is attached.")
    message.add_attachment(b"Our reply.", maintype="text", subtype="plain", filename="reply.txt")
    return message.as_bytes()


def _url(name, objects):
    return reverse(name, kwargs=ACCESS[name][1](objects))


def test_every_view_is_in_the_access_table():
    names = set()
    for namespace in PROJECT_NAMESPACES:
        resolver = get_resolver().namespace_dict[namespace][1]
        names |= {f"{namespace}:{name}" for name in resolver.reverse_dict if isinstance(name, str)}
    assert names == set(ACCESS) | PUBLIC


@pytest.mark.parametrize("name", sorted(ACCESS))
def test_anonymous_users_are_sent_to_sign_in(client, objects, name):
    url = _url(name, objects)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", sorted(ACCESS))
def test_a_user_without_a_role_is_refused(no_role_client, objects, name):
    assert no_role_client.get(_url(name, objects)).status_code == 403
    assert no_role_client.post(_url(name, objects)).status_code == 403


@pytest.mark.parametrize("role", [SECRETARIAT, COMMISSIONER, ADMIN])
@pytest.mark.parametrize("name", sorted(ACCESS))
def test_each_role_reaches_exactly_its_views(client, django_user_model, objects, name, role):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(username=f"user-{role}")
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    response = client.get(_url(name, objects))
    allowed = role in ACCESS[name][0]
    if not allowed:
        assert response.status_code == 403
    elif name in POST_ONLY:
        assert response.status_code == 405
    else:
        assert response.status_code == 200


def test_forms_refuse_a_post_without_the_csrf_token(objects, secretariat_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(secretariat_user)
    response = client.post(
        reverse("letters:letter_pause", args=[objects["letter"].pk]), {"reason": "x"}
    )
    assert response.status_code == 403
    objects["letter"].refresh_from_db()
    assert not objects["letter"].chase_paused
