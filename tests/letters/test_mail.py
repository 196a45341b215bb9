from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from letters.mail import (
    DeliveryFailure,
    ParsedAttachment,
    delivery_failure,
    is_auto_reply,
    parse_message,
)

OUR_MESSAGE_ID = "<letter-avs-2019-10@iasc.example.org>"


def force_reply(body: str = "Dear Commissioner,\n\nPlease find our reply attached.") -> bytes:
    message = EmailMessage()
    message["From"] = '"Chief Constable\'s Office" <cc.office@avonandsomerset.police.uk>'
    message["To"] = "IASC Replies <replies@iasc.example.org>, archive@iasc.example.org"
    message["Subject"] = "RE: IASC/2019-10/AVS Modern slavery"
    message["Date"] = "Mon, 28 Oct 2019 09:15:00 +0100"
    message["Message-ID"] = "<reply-1@avonandsomerset.police.uk>"
    message["In-Reply-To"] = OUR_MESSAGE_ID
    message["References"] = f"<earlier@iasc.example.org> {OUR_MESSAGE_ID}"
    message.set_content(body)
    message.add_attachment(
        b"%PDF-1.7 the letter", maintype="application", subtype="pdf", filename="reply.pdf"
    )
    return message.as_bytes()


def test_an_ordinary_reply_is_read_in_full():
    parsed = parse_message(force_reply())

    assert parsed.message_id == "<reply-1@avonandsomerset.police.uk>"
    assert parsed.subject == "RE: IASC/2019-10/AVS Modern slavery"
    assert parsed.from_address == "cc.office@avonandsomerset.police.uk"
    assert parsed.from_name == "Chief Constable's Office"
    assert parsed.to == ["replies@iasc.example.org", "archive@iasc.example.org"]
    assert parsed.date == datetime(2019, 10, 28, 8, 15, tzinfo=UTC)
    assert parsed.date.utcoffset() == timedelta(hours=1)  # the sender's own offset is kept
    assert parsed.body_text == "Dear Commissioner,\n\nPlease find our reply attached."
    assert parsed.attachments == [
        ParsedAttachment("reply.pdf", "application/pdf", b"%PDF-1.7 the letter")
    ]
    assert parsed.in_reply_to == OUR_MESSAGE_ID
    assert parsed.references == ["<earlier@iasc.example.org>", OUR_MESSAGE_ID]
    assert parsed.headers["In-Reply-To"] == OUR_MESSAGE_ID
    assert parsed.problems == []


def test_an_ordinary_reply_is_neither_an_auto_reply_nor_a_bounce():
    parsed = parse_message(force_reply())

    assert not is_auto_reply(parsed)
    assert delivery_failure(parsed) is None


def test_an_html_only_body_becomes_readable_text():
    raw = (
        b"From: chief@force.police.uk\nSubject: Reply\nMIME-Version: 1.0\n"
        b"Content-Type: text/html; charset=utf-8\n\n"
        b"<html><head><style>p{margin:0}</style><script>track()</script></head>"
        b"<body><p>Dear Commissioner,</p><p>We have <b>trained</b> 40&nbsp;officers.</p>"
        b"<ul><li>Awareness</li><li>Investigation</li></ul></body></html>"
    )

    parsed = parse_message(raw)

    assert parsed.body_text == (
        "Dear Commissioner,\n\nWe have trained 40 officers.\n\nAwareness\nInvestigation"
    )
    assert parsed.problems == []


def test_plain_text_is_preferred_to_its_html_alternative():
    message = EmailMessage()
    message["From"] = "chief@force.police.uk"
    message.set_content("The plain words.")
    message.add_alternative("<p>The <i>rich</i> words.</p>", subtype="html")

    parsed = parse_message(message.as_bytes())

    assert parsed.body_text == "The plain words."
    assert parsed.attachments == []


def test_an_unknown_charset_is_read_as_utf8_and_reported():
    raw = (
        b"From: chief@force.police.uk\nSubject: Reply\n"
        b"Content-Type: text/plain; charset=x-foo\n\nWe replied on time \xe2\x80\x93 and \xff.\n"
    )

    parsed = parse_message(raw)

    assert parsed.body_text == "We replied on time \u2013 and \ufffd."
    assert parsed.problems == ["unknown charset x-foo: decoded as UTF-8 with replacements"]


def test_a_body_without_a_charset_falls_back_to_windows_1252():
    raw = b"From: chief@force.police.uk\nSubject: Reply\n\nThe Commissioner\x92s letter.\n"

    parsed = parse_message(raw)

    assert parsed.body_text == "The Commissioner\u2019s letter."
    assert parsed.problems == [
        "the body has no charset and is not UTF-8: it was read as Windows-1252"
    ]


def test_an_attachment_with_broken_base64_is_left_out_and_reported():
    raw = (
        b"From: chief@force.police.uk\nSubject: Reply\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="b"\n\n'
        b"--b\nContent-Type: text/plain\n\nOur reply is attached.\n"
        b"--b\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n"
        b'Content-Disposition: attachment; filename="a.pdf"\n\nJVBERi0x*\n'
        b"--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename=notes.txt\n\n"
        b"Notes.\n--b--\n"
    )

    parsed = parse_message(raw)

    assert parsed.body_text == "Our reply is attached."
    assert [attachment.filename for attachment in parsed.attachments] == ["notes.txt"]
    assert parsed.problems == ["attachment 'a.pdf' could not be decoded: its base64 is damaged"]


def test_a_message_without_a_body_says_so():
    raw = b"From: chief@force.police.uk\nSubject: (no subject)\nContent-Type: text/plain\n\n"

    parsed = parse_message(raw)

    assert parsed.body_text == ""
    assert parsed.problems == ["no body"]


def test_a_forwarded_message_is_an_attachment_and_not_the_body():
    inner = EmailMessage()
    inner["From"] = "chief@force.police.uk"
    inner["Subject"] = "Our reply"
    inner["Message-ID"] = "<inner@force.police.uk>"
    inner.set_content("The original reply.")
    outer = EmailMessage()
    outer["From"] = "staff.officer@force.police.uk"
    outer["Subject"] = "Fwd: Our reply"
    outer.set_content("Forwarding as asked.")
    outer.add_attachment(inner)

    parsed = parse_message(outer.as_bytes())

    assert parsed.body_text == "Forwarding as asked."
    [forwarded] = parsed.attachments
    assert forwarded.declared_type == "message/rfc822"
    assert forwarded.filename == "Our reply.eml"
    again = parse_message(forwarded.data)
    assert (again.subject, again.message_id) == ("Our reply", "<inner@force.police.uk>")
    assert again.body_text == "The original reply."


def test_encoded_header_words_and_file_names_are_decoded():
    raw = (
        b"From: =?utf-8?q?Si=C3=A2n_Jones?= <sian@dyfed-powys.police.uk>\n"
        b"Subject: =?utf-8?b?WW91ciBsZXR0ZXIg4oCTIG91ciByZXBseQ==?=\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="b"\n\n'
        b"--b\nContent-Type: text/plain; charset=utf-8\n\nAttached.\n"
        b'--b\nContent-Type: application/pdf; name="=?utf-8?q?Ymateb_=E2=80=93_reply.pdf?="\n'
        b"Content-Disposition: attachment; filename*=utf-8''Ymateb%20%E2%80%93%20reply.pdf\n\n"
        b"%PDF-\n--b--\n"
    )

    parsed = parse_message(raw)

    assert parsed.from_name == "Si\u00e2n Jones"
    assert parsed.subject == "Your letter \u2013 our reply"
    assert parsed.attachments[0].filename == "Ymateb \u2013 reply.pdf"


def test_raw_8bit_headers_are_read_as_utf8_or_windows_1252():
    raw = b"From: Si\xc3\xa2n <sian@example.org>\nSubject: Commissioner\x92s letter\n\nText\n"

    parsed = parse_message(raw)

    assert parsed.from_name == "Si\u00e2n"
    assert parsed.subject == "Commissioner\u2019s letter"


def test_dates_keep_their_offset_and_bad_dates_are_reported():
    def date_of(value: bytes):
        return parse_message(b"From: a@b.example\nDate: " + value + b"\n\nText\n")

    assert date_of(b"Tue, 1 Oct 2019 10:00:00 -0500").date == datetime(
        2019, 10, 1, 10, 0, tzinfo=timezone(timedelta(hours=-5))
    )
    assert date_of(b"Tue, 1 Oct 2019 10:00:00 -0000").date == datetime(
        2019, 10, 1, 10, 0, tzinfo=UTC
    )
    broken = date_of(b"the day after tomorrow")
    assert broken.date is None
    assert broken.problems == ["the date 'the day after tomorrow' could not be read"]


def test_hostile_nesting_is_reported_not_raised():
    depth = 3000
    raw = b"From: a@b.example\nSubject: deep\n" + b"".join(
        b'Content-Type: multipart/mixed; boundary="%d"\n\n--%d\n' % (level, level)
        for level in range(depth)
    )

    parsed = parse_message(raw)

    assert parsed.subject == "deep"
    assert parsed.problems
    assert "no body" in parsed.problems


# Automatic replies --------------------------------------------------------------------


def reply_with(headers: dict[str, str], subject: str = "RE: IASC/2019-10/AVS") -> bytes:
    lines = [
        "From: Chief Constable <chief@force.police.uk>",
        f"Subject: {subject}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\n".join(lines) + "\n\nThank you for your email.\n").encode()


def test_auto_replies_are_recognised():
    assert is_auto_reply(parse_message(reply_with({"Auto-Submitted": "auto-replied"})))
    assert is_auto_reply(parse_message(reply_with({"X-Autoreply": "yes"})))
    assert is_auto_reply(parse_message(reply_with({"Precedence": "bulk"})))
    assert is_auto_reply(parse_message(reply_with({}, subject="Automatic reply: IASC letter")))
    assert is_auto_reply(parse_message(reply_with({}, subject="Out of Office: IASC letter")))


def test_messages_people_wrote_are_not_auto_replies():
    assert not is_auto_reply(parse_message(reply_with({"Auto-Submitted": "no"})))
    assert not is_auto_reply(parse_message(reply_with({}, subject="RE: Out of office working")))
    assert not is_auto_reply(parse_message(reply_with({"Precedence": "first-class"})))


# Bounces -------------------------------------------------------------------------------

POSTFIX_BOUNCE = b"""\
Return-Path: <>
From: MAILER-DAEMON@mail.iasc.example.org (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: commissioner@iasc.example.org
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="DSN"

--DSN
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mail.iasc.example.org.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

--DSN
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.iasc.example.org
Arrival-Date: Mon, 28 Oct 2019 09:15:00 +0000 (GMT)

Final-Recipient: rfc822; chief.constable@avonandsomerset.police.uk
Original-Recipient: rfc822;chief.constable@avonandsomerset.police.uk
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.avonandsomerset.police.uk
Diagnostic-Code: smtp; 550 5.1.1 <chief.constable@avonandsomerset.police.uk>:
    Recipient address rejected: User unknown

--DSN
Content-Description: Undelivered Message
Content-Type: message/rfc822

From: commissioner@iasc.example.org
To: chief.constable@avonandsomerset.police.uk
Subject: IASC/2019-10/AVS
Message-ID: <letter-avs-2019-10@iasc.example.org>

Dear Chief Constable,

--DSN--
"""


def test_a_delivery_status_notification_gives_recipient_reason_and_original_message():
    parsed = parse_message(POSTFIX_BOUNCE)

    assert delivery_failure(parsed) == DeliveryFailure(
        recipients=("chief.constable@avonandsomerset.police.uk",),
        status="5.1.1",
        reason="550 5.1.1 <chief.constable@avonandsomerset.police.uk>: "
        "Recipient address rejected: User unknown",
        original_message_id=OUR_MESSAGE_ID,
    )
    assert is_auto_reply(parsed)


EXCHANGE_BOUNCE = b"""\
From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@force.police.uk>
To: <commissioner@iasc.example.org>
Subject: Undeliverable: IASC/2019-10/GWE
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="_000_"
MIME-Version: 1.0

--_000_
Content-Type: text/plain; charset="us-ascii"

Delivery has failed to these recipients or groups:

chief@gwent.police.uk
The email address you entered couldn't be found.

--_000_
Content-Type: message/delivery-status

Reporting-MTA: dns;EXCH01.gwent.police.uk

Final-recipient: RFC822; chief@gwent.police.uk
Action: failed
Status: 5.1.10
Diagnostic-code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP
 address lookup

--_000_
Content-Type: text/rfc822-headers

From: commissioner@iasc.example.org
To: chief@gwent.police.uk
Subject: IASC/2019-10/GWE
Message-ID: <letter-gwe-2019-10@iasc.example.org>

--_000_--
"""


def test_an_exchange_report_with_only_the_original_headers_is_read():
    failure = delivery_failure(parse_message(EXCHANGE_BOUNCE))

    assert failure.recipient == "chief@gwent.police.uk"
    assert failure.status == "5.1.10"
    assert failure.reason == (
        "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"
    )
    assert failure.original_message_id == "<letter-gwe-2019-10@iasc.example.org>"


PLAIN_BOUNCE = b"""\
From: Mail Delivery System <Mailer-Daemon@mx.example.net>
To: commissioner@iasc.example.org
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: chief@northumbria.police.uk

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  chief@northumbria.police.uk
    host mx.northumbria.police.uk [192.0.2.1]
    SMTP error from remote mail server after RCPT TO:<chief@northumbria.police.uk>:
    550 5.7.1 Mailbox full

------ This is a copy of the message, including all the headers. ------

Message-ID: <letter-nor-2019-10@iasc.example.org>
Subject: IASC/2019-10/NOR
"""


def test_a_plain_text_bounce_from_a_mailer_daemon_is_recognised():
    failure = delivery_failure(parse_message(PLAIN_BOUNCE))

    assert failure == DeliveryFailure(
        recipients=("chief@northumbria.police.uk",),
        status="5.7.1",
        reason="550 5.7.1 Mailbox full",
        original_message_id="<letter-nor-2019-10@iasc.example.org>",
    )


def test_a_bounce_subject_from_a_daemon_is_enough_without_a_report():
    raw = (
        b"From: postmaster@lincs.police.uk\nSubject: Undeliverable: IASC/2019-10/LIN\n"
        b"In-Reply-To: <letter-lin-2019-10@iasc.example.org>\n\n"
        b"Your message to chief@lincs.police.uk could not be delivered.\n"
    )

    failure = delivery_failure(parse_message(raw))

    assert failure.recipient == "chief@lincs.police.uk"
    assert failure.original_message_id == "<letter-lin-2019-10@iasc.example.org>"


def test_a_delay_notice_is_not_a_failure():
    delayed = POSTFIX_BOUNCE.replace(b"Action: failed", b"Action: delayed").replace(
        b"Status: 5.1.1", b"Status: 4.4.1"
    )

    assert delivery_failure(parse_message(delayed)) is None


def test_a_person_forwarding_a_bounce_is_not_a_bounce():
    raw = (
        b"From: Jane Smith <jane.smith@force.police.uk>\n"
        b"Subject: Fwd: Undeliverable: IASC/2019-10/AVS\n\n"
        b"FYI, your letter bounced from our old address.\n"
    )

    assert delivery_failure(parse_message(raw)) is None


# Never raises ---------------------------------------------------------------------------

header_names = st.sampled_from(
    [
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "Content-Type",
        "Content-Transfer-Encoding",
        "Content-Disposition",
        "In-Reply-To",
        "References",
        "Auto-Submitted",
        "X-Weird",
        "MIME-Version",
    ]
)
header_values = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "multipart/mixed; boundary=b",
            "multipart/alternative; boundary=b",
            "multipart/report; report-type=delivery-status; boundary=b",
            'text/plain; charset="x-unknown"',
            "text/html; charset=utf-16",
            "message/rfc822",
            "message/delivery-status",
            "base64",
            "quoted-printable",
            "x-uuencode",
            "attachment; filename*=utf-8''%E2%80%93%ZZ.pdf; filename=\"=?bad?q?x?=\"",
            "=?utf-8?b?!!!?= =?x-foo?q?=FF?=",
            '"unterminated <a@b',
            "Fri, 31 Feb 99999 25:61:61 +9999",
            "<<<>>>@@@",
        ]
    ),
)
bodies = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(
        [b"--b\n", b"--b--\n", b"=?=\n", b"JVBERi0x*\n", b"begin 644 x\n", b"\x00\xff"]
    ),
)
headers = st.lists(st.tuples(header_names, header_values), max_size=8)
parts = st.lists(st.tuples(headers, bodies), max_size=6)


def as_message(top: list, sections: list) -> bytes:
    raw = b"".join(f"{name}: {value}\n".encode("utf-8", "surrogatepass") for name, value in top)
    raw += b"\n"
    for part_headers, body in sections:
        raw += b"--b\n"
        raw += b"".join(
            f"{name}: {value}\n".encode("utf-8", "surrogatepass") for name, value in part_headers
        )
        raw += b"\n" + body + b"\n"
    return raw


@settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.one_of(st.binary(max_size=2000), st.builds(as_message, headers, parts)))
def test_parsing_never_raises_and_gives_text_a_database_can_store(raw):
    parsed = parse_message(raw)

    texts = [
        parsed.message_id,
        parsed.subject,
        parsed.from_address,
        parsed.from_name,
        parsed.body_text,
        *parsed.to,
        *parsed.problems,
        *parsed.headers.values(),
        *(attachment.filename for attachment in parsed.attachments),
    ]
    for text in texts:
        assert "\x00" not in text
        text.encode("utf-8")  # no lone surrogates
    assert parsed.date is None or parsed.date.tzinfo is not None
    is_auto_reply(parsed)
    delivery_failure(parsed)
