import csv
import io
import zipfile
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command

from letters.services.replies import reply_log
from tests.conftest import issue_round, text_document

pytestmark = pytest.mark.django_db


def test_export_round_writes_everything_into_one_zip(secretariat_user, tmp_path):
    round_ = issue_round(created_by=secretariat_user)
    kent = round_.letters.get(force__code="kent")
    kent.pdf.save("kent.pdf", ContentFile(b"%PDF-1.7 the letter as sent"))
    reply_log(
        letter=kent,
        kind="full",
        received_on=date(2019, 11, 1),
        channel="email",
        from_name="Chief Constable",
        documents=[text_document("Kent works with the regional unit.", name="kent reply.txt")],
        logged_by=secretariat_user,
    )
    out = tmp_path / "round.zip"
    call_command("export_round", round_.slug, "--out", str(out))

    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        assert "letters/IASC-2019-10-KNT.pdf" in names
        assert archive.read("letters/IASC-2019-10-KNT.pdf") == b"%PDF-1.7 the letter as sent"
        document = next(name for name in names if name.startswith("replies/IASC-2019-10-KNT/"))
        assert archive.read(document) == b"Kent works with the regional unit."
        tracker = list(csv.DictReader(io.StringIO(archive.read("tracker.csv").decode())))
        assert len(tracker) == 43
        assert next(row for row in tracker if row["Force"] == "Kent Police")["Status"] == "Replied"
        assert {"replies.csv", "codings.csv", "extensions.csv", "outbox.csv"} <= set(names)


def test_export_round_names_a_missing_round(tmp_path):
    with pytest.raises(CommandError, match="No round with id or slug"):
        call_command("export_round", "no-such-round", "--out", str(tmp_path / "x.zip"))
