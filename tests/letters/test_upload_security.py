"""The reply upload, attacked through the real page: each bad file refused, nothing stored."""

import io
import zipfile
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from letters.models import Reply, ReplyDocument
from tests.conftest import issue_round

pytestmark = pytest.mark.django_db


def _zip_bomb_docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as docx:
        docx.writestr("[Content_Types].xml", "<Types/>")
        docx.writestr("word/document.xml", b"<w:document>" + b"A" * (200 * 1024 * 1024))
    return buffer.getvalue()


def _post_reply(client, letter, upload):
    return client.post(
        reverse("letters:reply_log"),
        {
            "letter": letter.pk,
            "received_on_0": 20,
            "received_on_1": 11,
            "received_on_2": 2019,
            "channel": "post",
            "from_name": "Chief Constable",
            "kind": "full",
            "documents": [upload],
        },
    )


def _files_under(folder):
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


@pytest.fixture
def kent(secretariat_user):
    return issue_round(created_by=secretariat_user).letters.get(force__code="kent")


@pytest.mark.parametrize(
    "upload, reason",
    [
        (SimpleUploadedFile("reply.pdf", b"MZ\x90\x00" + b"\x00" * 200), "reply.pdf"),
        (SimpleUploadedFile("reply.docx", b"%PDF-1.4\n%%EOF"), "is not a Word document"),
        (SimpleUploadedFile("reply.txt", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100), "reply.txt"),
        (SimpleUploadedFile("bomb.docx", _zip_bomb_docx()), "bomb.docx"),
        (SimpleUploadedFile("empty.pdf", b""), "empty.pdf"),
    ],
    ids=["program-named-pdf", "pdf-named-docx", "image-named-txt", "zip-bomb", "empty"],
)
def test_files_that_lie_or_attack_are_refused_and_nothing_is_kept(
    secretariat_client, kent, settings, tmp_path, upload, reason
):
    response = _post_reply(secretariat_client, kent, upload)
    assert response.status_code == 200
    assert reason in response.content.decode()
    assert not Reply.objects.exists() and not ReplyDocument.objects.exists()
    assert _files_under(tmp_path) == []


def test_an_oversized_file_is_refused_with_the_limit(secretariat_client, kent, settings, tmp_path):
    settings.REPLY_DOCUMENT_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("big.txt", b"word " * (300 * 1024))
    page = _post_reply(secretariat_client, kent, big).content.decode()
    assert "big.txt" in page and "the limit is 1 MB" in page
    assert not Reply.objects.exists()
    assert _files_under(tmp_path) == []


@pytest.mark.parametrize(
    "name",
    [
        "../../../etc/cron.d/reply.txt",
        "..\\..\\windows\\reply.txt",
        "/tmp/reply.txt",
        "re\x00ply.txt",
    ],
)
def test_path_tricks_in_names_write_nothing_outside_the_media_folder(
    secretariat_client, kent, settings, tmp_path, name
):
    response = _post_reply(
        secretariat_client, kent, SimpleUploadedFile(name, b"Kent works with the ROCU.")
    )
    assert response.status_code == 302
    document = ReplyDocument.objects.get()
    assert "/" not in document.original_name and "\\" not in document.original_name
    assert "\x00" not in document.original_name
    stored = _files_under(tmp_path)
    assert stored == [settings.MEDIA_ROOT / document.file.name]
    assert all(path.is_relative_to(settings.MEDIA_ROOT) for path in stored)
    assert document.reply.received_on == date(2019, 11, 20)
