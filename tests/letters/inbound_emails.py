"""Emails as forces, their mail servers and their out-of-office rules send them."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from functools import cache

AVS_SENDER = '"Chief Constable\'s Office" <cc.office@avonandsomerset.police.uk>'
OUR_MESSAGE_ID = "<letter-avs-2019-10@iasc.example.org>"


@cache
def pdf(text: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=f"<p>{text}</p>").write_pdf()


def email(
    *,
    subject: str = "RE: IASC/2019-10/AVS Modern slavery",
    body: str | None = "Dear Commissioner,\n\nPlease find our reply attached.",
    sender: str = AVS_SENDER,
    date: str | None = "Mon, 28 Oct 2019 09:15:00 +0100",
    message_id: str | None = "",
    attachments: tuple[tuple[str, bytes, str], ...] = (),
    headers: dict[str, str] | None = None,
) -> bytes:
    """A message; `message_id` "" makes a fresh one, None leaves the header out.

    `attachments` are (file name, bytes, declared content type).
    """
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "IASC Replies <replies@iasc.example.org>"
    message["Subject"] = subject
    if date is not None:
        message["Date"] = date
    if message_id is not None:
        message["Message-ID"] = message_id or make_msgid(domain="avonandsomerset.police.uk")
    for name, value in (headers or {}).items():
        message[name] = value
    if body is not None:
        message.set_content(body)
    for filename, data, content_type in attachments:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes(policy=policy.SMTP)  # CRLF line ends, as a mail server keeps them


def reply_with_pdf(text: str = "Modern slavery: we have trained 40 officers.", **kwargs) -> bytes:
    return email(attachments=(("reply.pdf", pdf(text), "application/pdf"),), **kwargs)


def bounce(
    *,
    recipient: str = "chief.constable@avonandsomerset.police.uk",
    original_message_id: str = OUR_MESSAGE_ID,
    original_subject: str = "IASC/2019-10/AVS Modern slavery",
    message_id: str = "",
) -> bytes:
    """A Postfix delivery status notification returning one of our emails."""
    message_id = message_id or make_msgid(domain="mail.iasc.example.org")
    return f"""\
Return-Path: <>
From: MAILER-DAEMON@mail.iasc.example.org (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: commissioner@iasc.example.org
Date: Tue, 15 Oct 2019 10:00:00 +0100
Message-ID: {message_id}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="DSN"

--DSN
Content-Type: text/plain; charset=us-ascii

Your message could not be delivered to one or more recipients.

--DSN
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.iasc.example.org

Final-Recipient: rfc822; {recipient}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: User unknown

--DSN
Content-Type: message/rfc822

From: commissioner@iasc.example.org
To: {recipient}
Subject: {original_subject}
Message-ID: {original_message_id}

Dear Chief Constable,

--DSN--
""".replace("\n", "\r\n").encode()
